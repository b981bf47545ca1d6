"""All personas from the personalities folder: the three shipped agents, a fourth defined only in YAML,
and reloads (POST /ops/reload, SIGHUP) that reach the next turn without dropping conversations."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
from pathlib import Path

import pytest

from bot.appkeys import LOOP, PERSONAS, STORES
from bot.persona import KNOWN_INTENTS, PersonaRegistry, load_all
from bot.settings import PACKAGE_PERSONALITIES, Settings, load_settings
from bot.yaml_config import ConfigError
from tests.channels.web_chat import RAJESH_MOBILE, latest_otp, new_session, say, texts

TOKEN = "ops-token-personas-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OLD_GREETING = "Namaste! I'm Sahayak, your Sahayak Demo Bank assistant."
NEW_GREETING = "Welcome back to Sahayak Demo Bank, reloaded without a restart."


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "personalities"
    shutil.copytree(PACKAGE_PERSONALITIES, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def _conversation(session: str) -> str:
    return f"web:{session.split('.')[0]}"


# A persona that exists only here: a new YAML file and no code.
COLLECTIONS = """\
id: collections
name: Collections Reminder Agent
description: Gentle reminders about dues; anything else goes to a person.
bank_name: Sahayak Demo Bank
tone: [polite, clear]
style: brief
languages: [en, hi]
default_language: en
greeting:
  en: "Hello from the Collections desk of Sahayak Demo Bank. I can check your balance before your EMI date."
  hi: "सहायक डेमो बैंक की कलेक्शन डेस्क से नमस्ते। मैं आपकी EMI तारीख से पहले आपका बैलेंस देख सकता हूँ।"
workflows: [balance_statement]
intents: [greeting, balance, human, resend_otp]
escalation:
  policy: minimal
  max_otp_failures: 2
  on_customer_request: true
guardrails:
  - Never threaten or shame a customer.
"""


# --------------------------------------------------------------------------- the shipped personas


def test_the_three_shipped_personas_load_and_differ():
    personas = load_all(PACKAGE_PERSONALITIES, ("general",))
    assert set(personas) >= {"general", "fraud", "investment"}

    fraud = personas["fraud"]
    assert {"serious", "security-focused", "thorough"} <= set(fraud.tone)
    assert fraud.escalation.policy == "immediate" and fraud.escalation.team == "fraud"
    assert fraud.escalation.risk_score is not None and fraud.escalation.risk_score <= 40
    assert {"transaction_dispute", "card_services"} <= set(fraud.workflows)
    rules = " ".join(fraud.guardrails)
    assert "PIN" in rules and "CVV" in rules and "OTP" in rules
    assert "verification code" in rules  # the one code it may ask for, said precisely

    investment = personas["investment"]
    assert {"knowledgeable", "patient", "educational"} <= set(investment.tone)
    assert investment.escalation.team == "investment_advisor"
    assert {"portfolio", "sip_status", "nav"} <= set(investment.intents)
    assert "not investment advice" in investment.disclaimers["en"][0]
    assert set(investment.disclaimers) == set(investment.languages)
    assert "licensed advisor" in " ".join(investment.guardrails)

    for persona in personas.values():
        assert all(persona.greeting[lang] for lang in persona.languages)
        assert set(persona.workflows) <= set(personas.workflows) and set(persona.intents) <= set(KNOWN_INTENTS)


def test_disclaimers_must_cover_every_language(tmp_path):
    directory = _copy(tmp_path)
    path = directory / "investment.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("  hi:\n    - \"यह आपके")])
    with pytest.raises(ConfigError) as err:
        load_all(directory)
    assert "investment.yaml" in str(err.value) and "disclaimers have no text for ['hi'," in str(err.value)


def test_any_bad_persona_file_stops_start_up_naming_file_line_and_field(tmp_path):
    from gateway import create_app

    directory = _copy(tmp_path)
    # Not the persona served: every file is validated at start-up, and every problem is listed.
    _edit(directory / "fraud.yaml", "max_otp_failures: 2", "max_otp_failures: two")
    _edit(directory / "investment.yaml", "id: investment", "id: invest")
    settings = Settings(demo=True, data_dir=tmp_path / "data", personalities_dir=directory)
    with pytest.raises(ConfigError) as err:
        create_app(settings)
    message = str(err.value)
    assert f"fraud.yaml:{_line_of(directory / 'fraud.yaml', 'max_otp_failures')}: escalation.max_otp_failures" in message
    assert f"investment.yaml:{_line_of(directory / 'investment.yaml', 'id: invest')}: id:" in message
    assert "does not match the file name" in message
    assert len(err.value.errors) == 2


def test_the_served_persona_must_have_a_file(tmp_path):
    directory = _copy(tmp_path)
    with pytest.raises(ConfigError, match="persona 'loans' is configured but there is no such file"):
        PersonaRegistry.load(directory, required=("loans",))


def test_editor_files_and_sub_folders_are_not_personas(tmp_path):
    directory = _copy(tmp_path)
    (directory / ".#general.yaml").write_text("not: a persona")
    (directory / "drafts").mkdir()
    (directory / "drafts" / "dispute.yaml").write_text("steps: []")
    assert set(load_all(directory)) == {"general", "fraud", "investment"}


def test_check_config_validates_and_lists_every_persona(tmp_path, monkeypatch, capsys):
    import gateway

    for name in [k for k in os.environ if k.startswith("SAHAYAK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SAHAYAK_DEMO", "true")
    monkeypatch.setenv("SAHAYAK_DATA_DIR", str(tmp_path / "data"))
    assert gateway.main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "personas (3):" in out
    for line in ("fraud: Fraud Prevention Agent", "general: General Support Agent",
                 "investment: Investment Advisory Agent"):
        assert line in out
    assert "(served)" in out.split("general:")[1].splitlines()[0]

    directory = _copy(tmp_path)
    _edit(directory / "fraud.yaml", "policy: immediate", "policy: whenever")
    monkeypatch.setenv("SAHAYAK_PERSONALITIES_DIR", str(directory))
    assert gateway.main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert f"fraud.yaml:{_line_of(directory / 'fraud.yaml', 'policy: whenever')}: escalation.policy" in err


# --------------------------------------------------------------------------- a fourth persona, YAML only


async def test_a_fourth_persona_is_a_yaml_file_and_no_code(tmp_path, aiohttp_client):
    from gateway import create_app

    directory = _copy(tmp_path)
    (directory / "collections.yaml").write_text(COLLECTIONS)
    settings = load_settings({"SAHAYAK_DEMO": "true", "SAHAYAK_DATA_DIR": str(tmp_path / "data"),
                              "SAHAYAK_PERSONALITIES_DIR": str(directory), "SAHAYAK_PERSONA": "collections"})
    client = await aiohttp_client(create_app(settings))
    assert set(client.server.app[PERSONAS].ids) == {"collections", "fraud", "general", "investment"}

    session = await new_session(client)
    greeting = texts(await say(client, session, "hi"))
    assert greeting.startswith("Hello from the Collections desk of Sahayak Demo Bank.")
    hindi = texts(await say(client, session, "नमस्ते"))
    assert hindi.startswith("सहायक डेमो बैंक की कलेक्शन डेस्क से नमस्ते।")
    # It runs the same workflow, with its own escalation settings.
    await say(client, session, "balance")
    await say(client, session, RAJESH_MOBILE)
    assert "Available balance" in texts(await say(client, session, await latest_otp(client)))
    records = await client.server.app[STORES].audit.for_conversation(_conversation(session))
    assert {r.persona for r in records} == {"collections"}


# --------------------------------------------------------------------------- reload


async def _verified_conversation(client) -> str:
    session = await new_session(client)
    assert OLD_GREETING in texts(await say(client, session, "hi"))
    await say(client, session, "balance")
    await say(client, session, RAJESH_MOBILE)
    assert "Available balance" in texts(await say(client, session, await latest_otp(client)))
    return session


async def test_ops_reload_reaches_the_next_turn_and_keeps_the_conversation(tmp_path, gateway):
    directory = _copy(tmp_path)
    client = await gateway(ops_token=TOKEN, personalities_dir=directory)
    app = client.server.app
    registry = app[PERSONAS]
    session = await _verified_conversation(client)
    graph = app[LOOP].graph
    config = {"configurable": {"thread_id": _conversation(session)}}
    before = (await graph.aget_state(config)).values
    assert before["verified_at"] and before["customer_id"]

    # The token guards it like the rest of /ops/.
    assert (await client.post("/ops/reload")).status == 401
    assert (await client.post("/ops/reload", headers={"Authorization": "Bearer nope"})).status == 401

    _edit(directory / "general.yaml", OLD_GREETING, NEW_GREETING)
    resp = await client.post("/ops/reload", headers=AUTH)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["reloaded"] is True and body["personas"] == ["fraud", "general", "investment"]
    assert body["version"] == registry.version == 2

    assert NEW_GREETING in texts(await say(client, session, "hi"))
    after = (await graph.aget_state(config)).values
    assert after["verified_at"] == before["verified_at"] and after["customer_id"] == before["customer_id"]
    # Still verified: the balance comes straight back, no identity or OTP asked again.
    assert "Available balance" in texts(await say(client, session, "balance"))

    # A typo: 422 naming the file and line; the persona in use stays, and so does its greeting.
    _edit(directory / "general.yaml", "max_otp_failures: 3", "max_otp_failures: 3x")
    resp = await client.post("/ops/reload", headers=AUTH)
    assert resp.status == 422
    body = await resp.json()
    line = _line_of(directory / "general.yaml", "max_otp_failures: 3x")
    assert body["error"] == "invalid_config"
    assert f"general.yaml:{line}: escalation.max_otp_failures" in body["message"]
    [error] = body["errors"]
    assert error["file"].endswith("general.yaml") and error["line"] == line
    assert error["field"] == "escalation.max_otp_failures"
    assert registry.version == 2
    assert NEW_GREETING in texts(await say(client, session, "hello"))

    # The served persona's file removed: refused too (the gateway would have nothing to serve).
    _edit(directory / "general.yaml", "max_otp_failures: 3x", "max_otp_failures: 3")
    (directory / "general.yaml").rename(directory / "general.yaml.bak")
    resp = await client.post("/ops/reload", headers=AUTH)
    assert resp.status == 422 and "persona 'general' is configured but there is no such file" in (await resp.json())["message"]
    assert registry["general"].greeting["en"].startswith(NEW_GREETING)


async def test_sighup_reloads_on_the_running_loop(tmp_path, gateway, caplog):
    directory = _copy(tmp_path)
    client = await gateway(personalities_dir=directory)
    app = client.server.app
    registry = app[PERSONAS]
    session = await new_session(client)
    assert OLD_GREETING in texts(await say(client, session, "hi"))

    loop = asyncio.get_running_loop()
    sighup = getattr(signal, "SIGHUP", None)
    if sighup is None:
        pytest.skip("no SIGHUP on this platform")
    # Guard: SIGHUP's default action ends the process. Send it only when the gateway's handler is
    # installed on this very loop (asyncio keeps them in loop._signal_handlers).
    handlers = getattr(loop, "_signal_handlers", {})
    assert sighup in handlers, "the gateway did not install its SIGHUP handler on the running loop"
    assert "on_sighup" in handlers[sighup]._callback.__qualname__

    async def reloaded(version: int) -> None:
        for _ in range(200):
            if registry.version > version:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("SIGHUP did not reload the personas")

    _edit(directory / "general.yaml", OLD_GREETING, NEW_GREETING)
    os.kill(os.getpid(), sighup)
    await reloaded(1)
    assert registry["general"].greeting["en"].startswith(NEW_GREETING)
    assert NEW_GREETING in texts(await say(client, session, "hi"))

    # A bad file on SIGHUP: logged with file:line:field, the old set kept, the gateway still serving.
    _edit(directory / "general.yaml", "policy: conservative", "policy: sometimes")
    with caplog.at_level(logging.ERROR, logger="sahayak"):
        assert sighup in loop._signal_handlers
        os.kill(os.getpid(), sighup)
        for _ in range(200):
            if any("persona reload refused" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.02)
    line = _line_of(directory / "general.yaml", "policy: sometimes")
    assert any(f"general.yaml:{line}: escalation.policy" in r.getMessage() for r in caplog.records)
    assert registry.version == 2
    assert NEW_GREETING in texts(await say(client, session, "hello"))

    # Cleanup removes the handler (SIGHUP is back to its default).
    await client.close()
    assert sighup not in getattr(loop, "_signal_handlers", {})
