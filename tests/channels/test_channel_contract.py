"""One contract for every registered channel, run against one gateway with all of them switched on:

- a forged request is refused with 403 and leaves nothing in any store;
- every recorded fixture of the channel parses without raising;
- whatever the bot says, what the channel is handed fits its capabilities.

A channel registered in channels/registry.py without an entry in CONTRACTS fails here, so a new
channel cannot skip the contract.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from media_streams_client import RECORDED_MESSAGES as RECORDED_STREAM, incoming_call_params
from multidict import MultiDict
from smtp_relay_stand_in import smtp_relay_stand_in
from test_email import BANK, SIGNING_KEY, mailgun_fields
from test_sms import sms_settings
from test_voice import speech_engines  # noqa: F401 - a fixture: the phone line's models, loaded once
from test_whatsapp import PHONE_NUMBER_ID, text_payload, whatsapp_settings
from test_whatsapp import post_signed as wa_post
from twilio_stand_in import RAJESH, RECORDED_INBOUND, TwilioStandIn, inbound_params
from twilio_stand_in import post_signed as sms_post
from urllib.parse import parse_qsl, urlencode
from web_chat import latest_otp, table_counts

from bot.appkeys import CHANNELS, LOOP, SETTINGS, SPEECH
from channels.base import OutboundMessage, render
from channels.email_parse import NothingToAnswer, parse_mime
from channels.registry import CHANNEL_MODULES
from channels.voice_wire import media_frame, parse_event
from channels.whatsapp_wire import parse_webhook
from gateway import create_app
from graph_api_stand_in import start as start_graph_api

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass(frozen=True)
class Forged:
    method: str
    path: str
    body: bytes
    headers: dict


@dataclass(frozen=True)
class Contract:
    forged: tuple[Forged, ...]
    parse_fixtures: Callable[[object], int]  # parses every recorded fixture; returns how many


def _web_fixtures(channel) -> int:
    payloads = [{"session": channel.signer.new(), "text": text, "id": f"f-{i}"}
                for i, text in enumerate(("hi", "मेरा बैलेंस क्या है", "balance please 🙏"))]
    for payload in payloads:
        channel.parse(payload)
    return len(payloads)


def _whatsapp_fixtures(channel) -> int:
    files = sorted((FIXTURES / "whatsapp").glob("*.json"))
    for path in files:
        parse_webhook(path.read_bytes(), PHONE_NUMBER_ID)
    return len(files)


def _sms_fixtures(channel) -> int:
    for body in RECORDED_INBOUND.values():
        channel.parse(MultiDict(parse_qsl(body, keep_blank_values=True)))
    return len(RECORDED_INBOUND)


def _email_fixtures(channel) -> int:
    files = sorted((FIXTURES / "email").glob("*.eml"))
    for path in files:
        try:
            parse_mime(path.read_bytes())
        except NothingToAnswer:
            pass  # a recorded out-of-office: recognised, which is the point
    return len(files)


def _voice_fixtures(channel) -> int:
    for raw in RECORDED_STREAM.values():
        event = parse_event(raw)
        if event["event"] == "media":
            media_frame(event)
    return len(RECORDED_STREAM)


def _json(payload) -> bytes:
    return json.dumps(payload).encode()


CONTRACTS: dict[str, Contract] = {
    "web": Contract(
        forged=(Forged("POST", "/web/messages", _json({"session": "x.1.forged", "text": "hi", "id": "c1"}),
                       {"Content-Type": "application/json"}),),
        parse_fixtures=_web_fixtures),
    "whatsapp": Contract(
        forged=(Forged("POST", "/whatsapp/webhook", (FIXTURES / "whatsapp" / "text_hindi_emoji.json").read_bytes(),
                       {"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + "0" * 64}),
                Forged("POST", "/whatsapp/webhook", b'{"object": "whatsapp_business_account"}',
                       {"Content-Type": "application/json"})),
        parse_fixtures=_whatsapp_fixtures),
    "sms": Contract(
        forged=(Forged("POST", "/sms/twilio", RECORDED_INBOUND["text"].encode(),
                       {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "forged="}),
                Forged("POST", "/sms/twilio", RECORDED_INBOUND["text"].encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"})),
        parse_fixtures=_sms_fixtures),
    "email": Contract(
        forged=(Forged("POST", "/email/inbound",
                       urlencode({**mailgun_fields("hi"), "signature": "0" * 64}).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"}),),
        parse_fixtures=_email_fixtures),
    "voice": Contract(
        forged=(Forged("POST", "/voice/twilio", urlencode(incoming_call_params("CA" + "1" * 32)).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "forged="}),
                Forged("GET", "/voice/stream", b"",  # the WebSocket upgrade Twilio opens, forged
                       {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "X-Twilio-Signature": "forged="})),
        parse_fixtures=_voice_fixtures),
}


@dataclass
class AllChannels:
    client: object
    graph: object  # the Graph API stand-in
    twilio: TwilioStandIn

    async def settle(self) -> None:
        for _ in range(3):
            await self.client.app[LOOP].drain()
            for channel in self.client.app[CHANNELS].values():
                if hasattr(channel, "drain"):
                    await channel.drain()


@pytest.fixture
async def everything(aiohttp_server, aiohttp_client, make_settings, speech_engines):
    """One gateway with every channel switched on, against local provider stand-ins."""
    graph = await start_graph_api(aiohttp_server, whatsapp_settings("x")["whatsapp_access_token"], PHONE_NUMBER_ID)
    twilio = TwilioStandIn()
    twilio.url = str((await aiohttp_server(twilio.make_app())).make_url("/")).rstrip("/")
    async with smtp_relay_stand_in() as relay:
        app = create_app(make_settings(
            **whatsapp_settings(graph.url), **sms_settings(twilio),
            email_address=BANK, email_smtp_relay_host="127.0.0.1", email_smtp_relay_port=relay.port,
            email_smtp_relay_starttls=False, mailgun_signing_key=SIGNING_KEY, phone_line=True))
        app[SPEECH] = speech_engines  # the phone line's models, loaded once per session
        client = await aiohttp_client(app)
        yield AllChannels(client, graph, twilio)


@pytest.fixture
def all_channels(everything):
    return everything.client


async def test_every_registered_channel_has_a_contract_and_is_on(all_channels):
    registered = {module.__name__.rsplit(".", 1)[-1] for module in CHANNEL_MODULES}
    running = set(all_channels.app[CHANNELS])
    assert running == set(CONTRACTS), f"channels without a contract: {running - set(CONTRACTS)}"
    assert registered == {"web", "whatsapp", "sms", "email", "voice"} and running == set(CONTRACTS)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
async def test_forged_requests_are_refused_and_nothing_is_stored(all_channels, name):
    data_dir = all_channels.app[SETTINGS].data_dir
    before = table_counts(data_dir)
    for forged in CONTRACTS[name].forged:
        resp = await all_channels.request(forged.method, forged.path, data=forged.body, headers=forged.headers)
        assert resp.status == 403, (name, forged.path, resp.status, await resp.text())
    assert table_counts(data_dir) == before


@pytest.mark.parametrize("name", sorted(CONTRACTS))
async def test_every_recorded_fixture_parses(all_channels, name):
    assert CONTRACTS[name].parse_fixtures(all_channels.app[CHANNELS][name]) >= 1


LONG = "Your statement is ready. " * 300
MANY_BUTTONS = tuple(f"Option {i}" for i in range(12))


@pytest.mark.parametrize("name", sorted(CONTRACTS))
@pytest.mark.parametrize("message", [
    OutboundMessage("Anything else?", ("Check balance", "Recent transactions", "Talk to an agent")),
    OutboundMessage(LONG),
    OutboundMessage("Pick one", MANY_BUTTONS),
    OutboundMessage("आपका बचत खाता (अंतिम अंक 4821):\nउपलब्ध शेष राशि: ₹83,950.75", ("बैलेंस देखें",)),
])
async def test_rendering_fits_the_channel(all_channels, name, message):
    caps = all_channels.app[CHANNELS][name].capabilities
    parts = render(message, caps)
    assert parts and all(len(p.text) <= caps.max_text for p in parts)
    assert all(not p.buttons for p in parts) if not caps.buttons else \
        all(len(p.buttons) <= caps.max_buttons for p in parts)
    # Nothing is lost: every option is still offered, as a button or in the numbered list.
    offered = "\n".join(p.text for p in parts) + "\n".join(b for p in parts for b in p.buttons)
    assert all(label in offered for label in message.buttons)


async def test_one_customer_across_whatsapp_and_sms_but_no_shared_authentication(everything):
    """The same number on WhatsApp and SMS is the same customer profile; a verification on WhatsApp
    does not open account data on SMS without a fresh OTP."""
    client = everything.client
    assert (await wa_post(client, text_payload("balance", message_id="wamid.x-1"))).status == 200
    await everything.settle()
    code = await latest_otp(client, RAJESH)
    assert (await wa_post(client, text_payload(code, message_id="wamid.x-2"))).status == 200
    await everything.settle()
    assert "Available balance: ₹" in "\n".join(everything.graph.bodies(RAJESH))

    assert (await sms_post(client, "/sms/twilio", inbound_params("balance", sender=RAJESH))).status == 200
    await everything.settle()
    sms_replies = "\n".join(everything.twilio.bodies_to(RAJESH))
    assert "OTP" in sms_replies and "Available balance" not in sms_replies

    graph = client.app[LOOP].graph
    states = [(await graph.aget_state({"configurable": {"thread_id": f"{channel}:{RAJESH}"}})).values
              for channel in ("whatsapp", "sms")]
    assert [s["customer_id"] for s in states] == ["CUST_789123", "CUST_789123"]
    assert states[0]["verified_at"] and not states[1].get("verified_at")
