"""What the workflow loader guarantees before a customer is waiting (bot/workflows/spec.py, and the
persona cross-checks in bot/persona.py): every broken file is refused with its file, line and field;
expressions are never Python; a state change needs a confirm's "yes" and an operation its auth level
on every path; `python gateway.py check-config` fails on a broken workflow.

Each case writes a small valid workflow, breaks one thing, and finds the expected line in the file it
wrote (so the assertion cannot drift from the YAML)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.persona import load_all
from bot.settings import PACKAGE_PERSONALITIES
from bot.workflows.spec import load_workflow, load_workflows
from bot.yaml_config import ConfigError

# A light block flow that loads cleanly: the base every case breaks in one place.
PROBE = """\
id: probe
name: Probe
intents:
  block_card: verify
steps:
  verify: {type: security_check, level: light, next: cards}
  cards: {type: api_call, operation: list_cards, save_as: cards, next: pick}
  pick:
    type: choose
    from: cards
    where: item.status == "active"
    say: {en: "Which card?", hi: "कौन-सा कार्ड?"}
    label: {en: "card ending {item.last4}", hi: "कार्ड {item.last4}"}
    keys: [last4]
    save_as: card
    empty: none
    next: route
  route:
    type: conditional
    branches:
      - if: card.status == "active"
        goto: ask
    else: none
  ask:
    type: confirm
    say: {en: "Block card ending {card.last4}?", hi: "कार्ड {card.last4} ब्लॉक करूँ?"}
    on_yes: block
    on_no: none
  block: {type: api_call, operation: block_card, args: {card: card}, save_as: blocked, next: done}
  done:
    type: reply
    say: {en: "Blocked {blocked.last4}.", hi: "ब्लॉक {blocked.last4}।"}
  none:
    type: reply
    say: {en: "Nothing changed.", hi: "कुछ नहीं बदला।"}
"""

CONDITION = 'if: card.status == "active"'


def line_of(path: Path, needle: str) -> int:
    """The one line of `path` that contains `needle` (two would make the assertion ambiguous)."""
    found = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found} of {path.name}"
    return found[0]


def write(directory: Path, text: str, name: str = "probe") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(text)
    return path


def broken(tmp_path: Path, old: str, new: str) -> Path:
    assert PROBE.count(old) == 1, old
    return write(tmp_path / "wf", PROBE.replace(old, new))


def refused(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        load_workflow(path)
    return err.value


def assert_names(err: ConfigError, path: Path, needle: str, field: str, *message: str) -> ConfigError:
    """Some error of `err` points at the line holding `needle`, with this field and message."""
    line = line_of(path, needle)
    hits = [e for e in err.errors if e.path == str(path) and e.line == line and e.field == field
            and all(m in e.message for m in message)]
    assert hits, f"no error at {path.name}:{line} {field} {message}; got:\n{err}"
    assert f"{path}:{line}: {field}: " in str(err)
    return hits[0]


def test_the_probe_loads(tmp_path):
    workflow = load_workflow(write(tmp_path, PROBE))
    assert workflow.id == "probe" and workflow.languages == {"en", "hi"}
    assert set(workflow.intents) == {"block_card"}


# ----------------------------------------------------------------------------- schema and targets


def test_unknown_step_type(tmp_path):
    path = broken(tmp_path, "type: conditional", "type: switch")
    err = refused(path)
    assert_names(err, path, "  route:", "steps.route", "'switch'", "conditional")


def test_unknown_field(tmp_path):
    path = broken(tmp_path, "    on_no: none\n", "    on_no: none\n    timeout_s: 30\n")
    assert_names(refused(path), path, "timeout_s: 30", "steps.ask.timeout_s", "unknown field 'timeout_s'")


def test_next_to_a_step_that_does_not_exist(tmp_path):
    path = broken(tmp_path, "next: done}", "next: finished}")
    assert_names(refused(path), path, "next: finished", "steps.block.next", "'finished' is not a step")


def test_a_notify_steps_on_failed_must_be_a_step(tmp_path):
    notify = ('block: {type: api_call, operation: block_card, args: {card: card}, save_as: blocked, next: sms}\n'
              '  sms: {type: notify, sms: {en: "Blocked.", hi: "ब्लॉक।"}, next: done, on_failed: unsent}')
    base = PROBE.replace("block: {type: api_call, operation: block_card, args: {card: card}, save_as: blocked, next: done}",
                         notify)
    path = write(tmp_path / "wf", base)
    assert_names(refused(path), path, "on_failed: unsent", "steps.sms.on_failed", "'unsent' is not a step")
    path = write(tmp_path / "ok", base.replace("on_failed: unsent", "on_failed: none"))
    assert load_workflow(path).steps["sms"].on_failed == "none"


def test_goto_and_intent_entry_that_do_not_exist(tmp_path):
    path = broken(tmp_path, "goto: ask", "goto: asks")
    assert_names(refused(path), path, "goto: asks", "steps.route.branches.0.goto", "'asks' is not a step")
    path = broken(tmp_path, "block_card: verify", "block_card: verfy")
    assert_names(refused(path), path, "block_card: verfy", "intents.block_card", "'verfy', which is not a step")


def test_unknown_operation(tmp_path):
    path = broken(tmp_path, "operation: list_cards", "operation: list_every_card")
    err = refused(path)
    assert_names(err, path, "list_every_card", "steps.cards.operation", "unknown operation 'list_every_card'")
    assert err.errors[0].field == "steps.cards.operation"  # the cause comes first


def test_unknown_scorer(tmp_path):
    path = broken(tmp_path, "    else: none\n",
                  "    else: score\n  score: {type: ai_analysis, scorer: mood_reader, save_as: mood, next: none}\n")
    assert_names(refused(path), path, "mood_reader", "steps.score.scorer", "unknown scorer 'mood_reader'")


def test_id_must_match_the_file_name(tmp_path):
    path = broken(tmp_path, "id: probe", "id: probe_two")
    assert_names(refused(path), path, "id: probe_two", "id", "does not match the file name 'probe'")


# ----------------------------------------------------------------------------- conditions


@pytest.mark.parametrize(("condition", "message"), [
    ('card.lastfour == "1234"', "unknown variable 'card.lastfour'"),
    ('cad.last4 == "1234"', "unknown variable 'cad.last4'"),
    ("card.last4", "must be true or false"),
    ("card.status == 'active' and len(card.last4)", "needs true/false"),
    ("frobnicate(card.last4)", "unknown function 'frobnicate'"),
    ('card.status = "active"', ""),
])
def test_a_bad_condition_names_its_line(tmp_path, condition, message):
    path = broken(tmp_path, CONDITION, f"if: {condition}")
    assert_names(refused(path), path, "- if:", "steps.route.branches.0.if", message)


def test_a_bad_choose_filter_names_its_line(tmp_path):
    path = broken(tmp_path, 'where: item.status == "active"', "where: item.colour == 'red'")
    assert_names(refused(path), path, "where:", "steps.pick.where", "unknown variable 'item.colour'")


# Expressions are never Python: nothing reaches eval, and the attempt fails when the file loads.
@pytest.mark.parametrize("condition", [
    "__import__('os').system('x')",
    "().__class__",
    "card.__class__.__mro__",
    "card._private == 1",
    "[c for c in cards]",
    "lambda: 1",
    "eval('1') == 1",
    "open('/etc/passwd') == 1",
    "card.last4 if true else false",
    "cards[0].last4 == '1'",
])
def test_python_in_a_condition_fails_at_load_time(tmp_path, condition, monkeypatch):
    import builtins

    def forbidden(*args, **kwargs):
        raise AssertionError("the expression reached Python")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, forbidden)
    path = broken(tmp_path, CONDITION, f'if: "{condition}"')
    assert_names(refused(path), path, "- if:", "steps.route.branches.0.if")


# ----------------------------------------------------------------------------- texts


@pytest.mark.parametrize(("text", "message"), [
    ("Block card ending {card.number}?", "unknown variable 'card.number'"),
    ("Block card ending {crd.last4}?", "unknown variable 'crd.last4'"),
    ("Block card ending {card.last4|shout}?", "unknown filter 'shout'"),
    ("Block card ending {card.last4?", "unmatched '{'"),
    ("Block card { ending {card.last4}?", "unmatched '{'"),
    ("Block card } ending {card.last4}?", ""),
    ("Block card ending {card.__class__}?", ""),
])
def test_a_bad_template_names_its_line_and_language(tmp_path, text, message):
    path = broken(tmp_path, "Block card ending {card.last4}?", text)
    assert_names(refused(path), path, "Block card", "steps.ask.say.en", message)


def test_a_bad_hindi_template_names_the_hindi_field(tmp_path):
    path = broken(tmp_path, "ब्लॉक {blocked.last4}।", "ब्लॉक {blocked.lastfour}।")
    assert_names(refused(path), path, "ब्लॉक {blocked", "steps.done.say.hi", "unknown variable 'blocked.lastfour'")


# ----------------------------------------------------------------------------- safety by construction


def test_a_state_change_reached_without_a_confirm(tmp_path):
    # The conditional's else skips the question.
    path = broken(tmp_path, "    else: none\n", "    else: block\n")
    assert_names(refused(path), path, "  block: {", "steps.block.operation",
                 "block_card changes the customer's records", "without a confirm step's yes")


def test_a_state_change_reached_only_through_on_no(tmp_path):
    path = broken(tmp_path, "on_yes: block\n    on_no: none", "on_yes: none\n    on_no: block")
    assert_names(refused(path), path, "  block: {", "steps.block.operation", "without a confirm step's yes")


def test_a_state_change_reached_through_on_yes_and_on_no(tmp_path):
    path = broken(tmp_path, "on_yes: block\n    on_no: none", "on_yes: block\n    on_no: block")
    assert_names(refused(path), path, "  block: {", "steps.block.operation", "without a confirm step's yes")


def test_an_earlier_confirm_does_not_cover_a_second_intent(tmp_path):
    # A second intent enters after the question: its path has no "yes".
    path = broken(tmp_path, "  block_card: verify\n", "  block_card: verify\n  unblock_card: block\n")
    err = refused(path)
    assert_names(err, path, "  block: {", "steps.block.operation", "intent 'unblock_card'", "confirm")


def test_full_auth_operation_after_a_light_check(tmp_path):
    path = broken(tmp_path, "operation: block_card,", "operation: unblock_card,")
    assert_names(refused(path), path, "  block: {", "steps.block", "unblock_card needs full verification",
                 "intent 'block_card'")


def test_full_auth_operation_reached_around_the_full_check(tmp_path):
    # A full check on one branch does not cover the other.
    text = PROBE.replace("  verify: {type: security_check, level: light, next: cards}",
                         "  verify: {type: security_check, level: light, next: gate}\n"
                         "  gate:\n    type: conditional\n    branches:\n"
                         "      - if: channel == \"web\"\n        goto: full\n    else: cards\n"
                         "  full: {type: security_check, level: full, next: cards}")
    text = text.replace("operation: block_card,", "operation: unblock_card,")
    path = write(tmp_path / "wf", text)
    assert_names(refused(path), path, "  block: {", "steps.block", "needs full verification")
    # With the full check on every path, the same file loads.
    load_workflow(write(tmp_path / "ok", text.replace("    else: cards\n", "    else: full\n")))


def test_an_operation_before_any_security_check(tmp_path):
    path = broken(tmp_path, "block_card: verify", "block_card: cards")
    assert_names(refused(path), path, "  cards: {", "steps.cards", "list_cards needs light verification")


TXN_PROBE = """\
id: probe
name: Probe
intents:
  report_fraud: verify
steps:
  verify: {type: security_check, level: full, next: history}
  history: {type: api_call, operation: disputable_transactions, save_as: txns, next: pick}
  pick:
    type: choose
    from: txns
    say: {en: "Which one?"}
    label: {en: "{item.description} {item.amount|inr}"}
    save_as: txn
    empty: none
    next: ask
  ask:
    type: confirm
    say: {en: "Block the card of {txn.description}?"}
    on_yes: block
    on_no: none
  block: {type: api_call, operation: block_card, args: {card: txn}, save_as: blocked, next: none}
  none:
    type: reply
    say: {en: "OK."}
"""


def test_a_record_argument_of_the_wrong_type(tmp_path):
    # A transaction where block_card needs a card from the customer's own card list.
    path = write(tmp_path, TXN_PROBE)
    assert_names(refused(path), path, "args: {card: txn}", "steps.block.args.card",
                 "'txn' holds TxnView", "needs a Card")


def test_a_record_argument_that_is_a_list_or_unknown(tmp_path):
    path = broken(tmp_path, "args: {card: card}", "args: {card: cards}")
    assert_names(refused(path), path, "args: {card: cards}", "steps.block.args.card", "holds list of Card")
    path = broken(tmp_path, "args: {card: card}", "args: {card: CRD_0001}")
    assert_names(refused(path), path, "args: {card: CRD_0001}", "steps.block.args.card", "not a saved variable")


def test_missing_and_extra_arguments(tmp_path):
    path = broken(tmp_path, "args: {card: card}", "args: {card: card, amount: \"50000\"}")
    assert_names(refused(path), path, "amount:", "steps.block.args.amount", "takes no argument 'amount'")
    path = broken(tmp_path, "args: {card: card}, ", "")
    assert_names(refused(path), path, "  block: {", "steps.block.args", "needs the argument 'card'")


def test_a_literal_argument_not_on_the_allow_list(tmp_path):
    text = PROBE.replace("  verify: {type: security_check, level: light, next: cards}",
                         "  verify: {type: security_check, level: full, next: cards}")
    text = text.replace("    else: none\n", "    else: link\n"
                        "  link: {type: api_call, operation: secure_link, args: {purpose: transfer_money},"
                        " save_as: link, next: none}\n")
    path = write(tmp_path, text)
    err = refused(path)
    assert_names(err, path, "transfer_money", "steps.link.args.purpose", "'transfer_money' is not allowed",
                 "password_reset")
    assert len(err.errors) == 1


# YAML 1.1 reads `yes:` / `no:` (and on/off, y/n) as booleans: the mistake must be spelled out.
@pytest.mark.parametrize(("yes", "no"), [("yes", "no"), ("Yes", "No"), ("on", "off")])
def test_yes_no_keys_instead_of_on_yes_on_no(tmp_path, yes, no):
    path = broken(tmp_path, "on_yes: block\n    on_no: none", f"{yes}: block\n    {no}: none")
    err = refused(path)
    hit = assert_names(err, path, f"    {yes}: block", f"steps.ask.{yes}", "on_yes")
    assert "true" in hit.message
    assert_names(err, path, f"    {no}: none", f"steps.ask.{no}", "on_no")
    assert "Keys should be strings" not in str(err)


def test_a_boolean_key_in_a_text_is_named_too(tmp_path):
    # `no:` is also Norwegian's language code: YAML still reads it as false.
    path = broken(tmp_path, 'say: {en: "Nothing changed.", hi: "कुछ नहीं बदला।"}',
                  'say: {en: "Nothing changed.", no: "Ingenting endret."}')
    assert_names(refused(path), path, "Ingenting", "steps.none.say.no", "false")


# ----------------------------------------------------------------------------- several files, personas


def _copy_personalities(tmp_path: Path) -> Path:
    target = tmp_path / "personalities"
    shutil.copytree(PACKAGE_PERSONALITIES, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def test_several_broken_files_are_listed_in_one_error(tmp_path):
    directory = _copy_personalities(tmp_path)
    workflows = directory / "workflows"
    cards, access = workflows / "card_services.yaml", workflows / "account_access.yaml"
    _edit(cards, "operation: block_card,", "operation: block_every_card,")
    _edit(access, "      - if: access.app_outdated", "      - if: access.app_is_old")
    probe = write(workflows, PROBE.replace("next: done}", "next: finished}"))
    with pytest.raises(ConfigError) as err:
        load_workflows(workflows)
    assert {Path(e.path).name for e in err.value.errors} == {"card_services.yaml", "account_access.yaml", "probe.yaml"}
    assert_names(err.value, cards, "block_every_card", "steps.block_do.operation", "unknown operation")
    assert_names(err.value, access, "access.app_is_old", "steps.troubleshoot_route.branches.0.if",
                 "unknown variable 'access.app_is_old'")
    assert_names(err.value, probe, "next: finished", "steps.block.next")
    # The persona loader reports the same, with a persona's own mistake, in one error.
    _edit(directory / "fraud.yaml", "max_otp_failures: 2", "max_otp_failures: two")
    with pytest.raises(ConfigError) as err:
        load_all(directory, ("general",))
    names = {Path(e.path).name for e in err.value.errors}
    assert names == {"card_services.yaml", "account_access.yaml", "probe.yaml", "fraud.yaml"}


def test_a_persona_naming_a_workflow_that_does_not_exist(tmp_path):
    directory = _copy_personalities(tmp_path)
    general = directory / "general.yaml"
    _edit(general, "workflows: [balance_statement, account_access, card_services]",
          "workflows: [balance_statement, account_access, card_services, fd_rates]")
    with pytest.raises(ConfigError) as err:
        load_all(directory)
    assert_names(err.value, general, "workflows: [", "workflows.3", "unknown workflow 'fd_rates'")


def test_a_handoff_to_a_persona_without_a_workflow_for_the_intent(tmp_path):
    directory = _copy_personalities(tmp_path)
    general = directory / "general.yaml"
    # `investment` runs no card workflow.
    _edit(general, "investment: [portfolio, sip_status, nav, loan_emi, investment_advice]",
          "investment: [portfolio, sip_status, nav, loan_emi, investment_advice, card_limits]")
    with pytest.raises(ConfigError) as err:
        load_all(directory)
    assert_names(err.value, general, "  investment: [", "handoffs.investment",
                 "persona 'investment' runs no workflow for ['card_limits']")


def test_a_handoff_to_a_persona_that_does_not_exist(tmp_path):
    directory = _copy_personalities(tmp_path)
    general = directory / "general.yaml"
    _edit(general, "  fraud: [report_fraud", "  frauds: [report_fraud")
    with pytest.raises(ConfigError) as err:
        load_all(directory)
    assert_names(err.value, general, "  frauds: [", "handoffs.frauds", "unknown persona 'frauds'")


def test_a_workflow_step_handing_off_to_a_persona_that_does_not_exist(tmp_path):
    directory = _copy_personalities(tmp_path)
    _edit(directory / "workflows" / "account_access.yaml", "    to: fraud\n", "    to: fraud_desk\n")
    with pytest.raises(ConfigError) as err:
        load_all(directory)
    # Reported by every persona that runs the workflow, at the line naming it.
    for persona, index in (("general.yaml", 1), ("fraud.yaml", 2)):
        assert_names(err.value, directory / persona, "workflows: [", f"workflows.{index}",
                     "hands off to unknown persona 'fraud_desk'")


def test_a_workflow_missing_the_hindi_texts_of_a_hindi_persona(tmp_path):
    directory = _copy_personalities(tmp_path)
    # An English-only workflow that the (en, hi) general persona runs.
    write(directory / "workflows", PROBE.replace("block_card: verify", "card_limits: verify")
          .replace(', hi: "कार्ड {card.last4} ब्लॉक करूँ?"', ""), "probe")
    general = directory / "general.yaml"
    _edit(general, "workflows: [balance_statement, account_access, card_services]",
          "workflows: [balance_statement, account_access, probe]")
    _edit(general, "login_problem, block_card, unblock_card, change_pin, card_limits]", "login_problem, card_limits]")
    with pytest.raises(ConfigError) as err:
        load_all(directory)
    assert_names(err.value, general, "workflows: [", "workflows.2", "workflow 'probe' has no texts in ['hi', 'hinglish', 'ta', 'te', 'bn', 'mr']")
    # The same file is fine for a persona that speaks English only.
    _edit(general, "languages: [en, hi, hinglish, ta, te, bn, mr]", "languages: [en]")
    text = general.read_text()
    general.write_text(text[: text.index("  hi: \"नमस्ते!")] + text[text.index("workflows:"):])
    load_all(directory)


def test_a_persona_intent_that_no_workflow_starts(tmp_path):
    directory = _copy_personalities(tmp_path)
    investment = directory / "investment.yaml"
    _edit(investment, "intents: [greeting, human, resend_otp, portfolio,",
          "intents: [greeting, human, resend_otp, block_card, portfolio,")
    with pytest.raises(ConfigError) as err:
        load_all(directory)
    assert_names(err.value, investment, "intents: [greeting", "intents",
                 "no workflow of this persona starts with ['block_card']")


def test_check_config_fails_on_a_broken_workflow_naming_file_and_line(tmp_path, monkeypatch, capsys):
    import gateway

    for name in [k for k in os.environ if k.startswith("SAHAYAK_")]:
        monkeypatch.delenv(name)
    directory = _copy_personalities(tmp_path)
    cards = directory / "workflows" / "card_services.yaml"
    _edit(cards, "where: item.status == \"blocked\"", "where: item.status == \"blocked\" or item.lastfour == 1")
    monkeypatch.setenv("SAHAYAK_DEMO", "true")
    monkeypatch.setenv("SAHAYAK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SAHAYAK_PERSONALITIES_DIR", str(directory))
    assert gateway.main(["check-config"]) == 2
    captured = capsys.readouterr()
    line = line_of(cards, "item.lastfour")
    assert f"{cards}:{line}: steps.unblock_pick.where: unknown variable 'item.lastfour'" in captured.err
    assert "configuration OK" not in captured.out

    # Fixed, the same folder passes and lists the workflows.
    _edit(cards, " or item.lastfour == 1", "")
    assert gateway.main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "card_services: Card services" in out
