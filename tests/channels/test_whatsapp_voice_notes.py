"""WhatsApp voice notes end to end: a gateway on a real port, the Graph API stand-in serving an OGG/Opus
note synthesized at test time (the packaged Piper voice, encoded with PyAV as a phone would record it),
and the real speech models (tests/voice/voice_fixtures.py, loaded once per session). A signed audio
webhook is acknowledged at once; the note is fetched with the bearer token, decoded, transcribed and
answered like typed text, in its place in the conversation; refused notes get a polite reply; with
voice-note replies on, the reply is uploaded as OGG/Opus and sent as a voice message after the text.
The pure parts (media checks, windows, what of a transcript is shown) are tested here too.
Everything runs on the session's event loop, where the speech models live."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import av
import numpy as np
import pytest
import pytest_asyncio
from aiohttp import web
from graph_api_stand_in import MEDIA_PATH, GraphApiStandIn
from web_chat import RAJESH_MOBILE

import bot.auth.otp as otp_module
from bot.appkeys import LOOP, PERSONA, SETTINGS, SPEECH, STORES
from bot.settings import SettingsError
from channels.whatsapp import WHATSAPP
from channels.whatsapp_wire import MAX_AUDIO_BYTES, MediaRefused, check_audio, check_digest, sign
from gateway import create_app
from tests.channels.served import serving
from i18n.catalog import t
from voice.audio import STT_RATE, float_to_pcm16, pcm16_to_float
from voice.call import SpeechEngines
from voice.decode import AudioTooLong, UnreadableAudio, decode_to_pcm16
from voice.notes import HIDDEN, as_typed, is_silent, note_windows, shown_transcript
from voice.settings import load_voice_settings
from voice.stt import MAX_TURN_S
from voice.tts import Synthesizer

# The speech models live on the session's loop, and so does every async test here.
on_session_loop = pytest.mark.asyncio(loop_scope="session")

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "whatsapp"
APP_SECRET = "3f9c1e7a2b8d4f60a5c7e9b1d3f5a7c9"
VERIFY_TOKEN = "sahayak-verify-7Qm2"
ACCESS_TOKEN = "EAAGtestAccessToken0123456789"
PHONE_NUMBER_ID = "106540352242922"
NOTE_MIME = "audio/ogg; codecs=opus"  # what WhatsApp states for its own voice notes
DIGIT_WORDS = "zero one two three four five six seven eight nine".split()
SPOKEN_CODE = 482913


# --- audio as a phone records it -----------------------------------------------------------------------

def ogg_opus(samples: np.ndarray, rate: int) -> bytes:
    """Float samples -> OGG/Opus, mono 48 kHz (as phones record; the gateway's own replies are 16 kHz)."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48_000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.frombuffer(float_to_pcm16(samples), dtype="<i2").reshape(1, -1),
                                           format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return buffer.getvalue()


async def spoken(synthesizer: Synthesizer, text: str) -> bytes:
    """`text` said by the packaged voice after a quarter second of room quiet, as an OGG/Opus note."""
    chunks = [chunk async for chunk in synthesizer.stream(text, "en")]
    rate = chunks[0].sample_rate
    lead_in = np.zeros(rate // 4, dtype=np.float32)
    return ogg_opus(np.concatenate([lead_in, *(pcm16_to_float(c.pcm16) for c in chunks)]), rate)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def balance_note(synthesizer) -> bytes:
    return await spoken(synthesizer, "What is my balance?")


@pytest.fixture(scope="session")
def speech_engines(recognizer, synthesizer, vad_model) -> SpeechEngines:
    return SpeechEngines(recognizer, synthesizer, vad_model)


# --- a gateway with WhatsApp on, against the stand-in ---------------------------------------------------

def webhook(kind: str, sender: str, message_id: str, **fields) -> dict:
    """A recorded webhook (fixtures/whatsapp/<kind>.json) from `sender`, sent now, its message's fields
    replaced (e.g. audio={...}, text={...})."""
    payload = json.loads((FIXTURES / f"{kind}.json").read_text(encoding="utf-8"))
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = sender.lstrip("+")
    message = value["messages"][0]
    message.update(fields, id=message_id, timestamp=str(int(time.time())))
    message["from"] = sender.lstrip("+")
    return payload


def voice_note(media_id: str, *, sender: str = RAJESH_MOBILE, message_id: str, mime_type: str = NOTE_MIME) -> dict:
    return webhook("voice_note", sender, message_id,
                   audio={"mime_type": mime_type, "id": media_id, "voice": True})


def typed(text: str, *, sender: str = RAJESH_MOBILE, message_id: str) -> dict:
    return webhook("text", sender, message_id, text={"body": text})


@dataclass
class Gateway:
    app: web.Application
    url: str
    http: aiohttp.ClientSession
    graph: GraphApiStandIn

    async def post(self, payload: dict) -> aiohttp.ClientResponse:
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(APP_SECRET.encode(), body)}
        async with self.http.post(self.url + "/whatsapp/webhook", data=body, headers=headers) as resp:
            await resp.read()
            return resp

    async def settle(self) -> None:
        """Every turn, notice and voice note queued so far has run and sent."""
        for _ in range(3):
            await self.app[LOOP].drain()
            await self.app[WHATSAPP].drain()

    async def otp(self, mobile: str = RAJESH_MOBILE) -> str:
        async with self.http.get(self.url + "/demo/outbox", params={"to": mobile}) as resp:
            messages = (await resp.json())["messages"]
        return next(word for word in messages[0]["body"].split() if word.isdigit() and len(word) == 6)

    async def audit(self, conversation: str) -> list:
        return await self.app[STORES].audit.for_conversation(f"whatsapp:{conversation}")

    def text_of(self, message: dict) -> str:
        return self.graph.bodies()[self.graph.sent.index(message)]

    @property
    def data_dir(self) -> Path:
        return self.app[SETTINGS].data_dir


@pytest_asyncio.fixture(loop_scope="session")
async def start_gateway(make_settings, speech_engines, monkeypatch) -> AsyncIterator[Callable[..., Awaitable[Gateway]]]:
    async with contextlib.AsyncExitStack() as stack:
        async def start(*, note_replies: bool = False) -> Gateway:
            if note_replies:
                monkeypatch.setenv("SAHAYAK_VOICE_NOTE_REPLIES", "true")
            graph = GraphApiStandIn(ACCESS_TOKEN, PHONE_NUMBER_ID)
            graph.url = await stack.enter_async_context(serving(graph.app())) + "/v21.0"
            settings = make_settings(whatsapp_verify_token=VERIFY_TOKEN, whatsapp_app_secret=APP_SECRET,
                                     whatsapp_access_token=ACCESS_TOKEN, whatsapp_phone_number_id=PHONE_NUMBER_ID,
                                     whatsapp_api_url=graph.url)
            app = create_app(settings)
            app[SPEECH] = speech_engines  # the session's models, as the phone line would have loaded them
            url = await stack.enter_async_context(serving(app))
            http = await stack.enter_async_context(aiohttp.ClientSession())
            gateway = Gateway(app, url, http, graph)
            stack.push_async_callback(gateway.settle)  # nothing left running when the app stops
            return gateway

        yield start


def data_files(data_dir: Path) -> bytes:
    return b"".join(path.read_bytes() for path in data_dir.rglob("*") if path.is_file())


def inbox_payload(wa: Gateway, message_id: str) -> dict | None:
    with sqlite3.connect(wa.data_dir / "sahayak.sqlite") as db:
        [payload] = db.execute("SELECT payload FROM inbox WHERE message_id = ?", (message_id,)).fetchone()
    return None if payload is None else json.loads(payload)


# --- a note answered like typed text ----------------------------------------------------------------

@on_session_loop
async def test_a_voice_note_is_fetched_with_the_token_transcribed_and_answered_like_typed_text(
        start_gateway, balance_note, synthesizer, monkeypatch):
    # The code the bank texts is fixed here: Whisper base hears a random six digits read out by Piper
    # right 95 times in 100 (measured), which would make this test fail now and then for the model's sake.
    monkeypatch.setattr(otp_module, "secrets", SimpleNamespace(randbelow=lambda _: SPOKEN_CODE))
    wa = await start_gateway()
    media_id = wa.graph.serve_media(balance_note, NOTE_MIME)
    resp = await wa.post(voice_note(media_id, message_id="wamid.note-1"))
    assert resp.status == 200
    assert wa.graph.sent == []  # acknowledged before the note was heard (transcription takes a second)
    # Claimed before the acknowledgement, with the media id and no audio.
    assert inbox_payload(wa, "wamid.note-1")["attachments"] == [{"kind": "audio", "mime_type": NOTE_MIME,
                                                                  "ref": media_id}]
    await wa.settle()

    # The Graph API media flow, both requests with the bearer token.
    assert [(path.split("?")[0], auth) for path, auth in wa.graph.media_requests] == [
        (f"/v21.0/{media_id}", f"Bearer {ACCESS_TOKEN}"), (MEDIA_PATH, f"Bearer {ACCESS_TOKEN}")]
    # The transcript ran the balance flow: its first question is the verification, as for typed text.
    [prompt] = wa.graph.sent
    text = wa.text_of(prompt)
    assert text.startswith('I heard: "What is my balance?"\n\n')
    assert "6-digit OTP" in text
    assert [b["reply"]["title"] for b in prompt["interactive"]["action"]["buttons"]] == [
        "Resend OTP", "Talk to an agent"]
    [record] = await wa.audit(RAJESH_MOBILE)
    assert (record.text, record.message_id) == ("What is my balance?", "wamid.note-1")

    # The code said in a second note: treated as typed (Whisper's "4-82913." becomes 482913), never echoed.
    code = await wa.otp()
    assert code == str(SPOKEN_CODE)
    code_note = await spoken(synthesizer, " ".join(DIGIT_WORDS[int(d)] for d in code))
    await wa.post(voice_note(wa.graph.serve_media(code_note, NOTE_MIME), message_id="wamid.note-2"))
    await wa.settle()
    replies = wa.graph.bodies()[1:]
    assert replies[0].startswith(f'I heard: "{HIDDEN}"\n\n')
    assert "Available balance: ₹" in "\n".join(replies)
    assert code not in json.dumps(wa.graph.sent)
    records = await wa.audit(RAJESH_MOBILE)
    assert all(code not in r.text for r in records) and records[1].text == "[OTP]"

    # No audio is kept anywhere, and the inbox erased the claim once answered (as for typed text).
    assert inbox_payload(wa, "wamid.note-1") is None
    assert b"OggS" not in data_files(wa.data_dir)


@on_session_loop
async def test_a_message_typed_after_a_note_is_answered_after_it(start_gateway, balance_note):
    wa = await start_gateway()
    media_id = wa.graph.serve_media(balance_note, NOTE_MIME)
    assert (await wa.post(voice_note(media_id, message_id="wamid.order-1"))).status == 200
    assert (await wa.post(typed("Talk to an agent", message_id="wamid.order-2"))).status == 200
    await wa.settle()
    records = await wa.audit(RAJESH_MOBILE)
    assert [r.message_id for r in records] == ["wamid.order-1", "wamid.order-2"]
    assert wa.graph.bodies()[0].startswith('I heard: "What is my balance?"')
    # A retried delivery of the note is claimed once: no second fetch, no second answer.
    await wa.post(voice_note(media_id, message_id="wamid.order-1"))
    await wa.settle()
    assert len(wa.graph.media_requests) == 2 and len(await wa.audit(RAJESH_MOBILE)) == 2


# --- notes that get a polite reply instead ------------------------------------------------------------

@on_session_loop
async def test_notes_that_cannot_be_heard_get_a_polite_reply_and_nothing_breaks(start_gateway, balance_note):
    wa = await start_gateway()
    rng = np.random.default_rng(7)
    silence = ogg_opus(np.zeros(3 * STT_RATE, dtype=np.float32), STT_RATE)
    long_note = ogg_opus((0.1 * rng.standard_normal(125 * STT_RATE)).astype(np.float32), STT_RATE)
    graph = wa.graph
    cases = {  # sender -> (media id, the MIME type the webhook states, expected audit outcome, reply key)
        "+919000000101": (graph.serve_media(rng.bytes(20_000), NOTE_MIME), NOTE_MIME,
                          "voice_note_unclear", "wa_voice_note_unclear"),  # corrupt
        "+919000000102": (graph.serve_media(balance_note, "video/mp4"), NOTE_MIME,
                          "voice_note_unclear", "wa_voice_note_unclear"),  # not audio at the Graph API
        "+919000000103": (graph.serve_media(balance_note, "audio/wav"), "audio/wav",
                          "voice_note_unclear", "wa_voice_note_unclear"),  # a type WhatsApp does not send
        "+919000000104": (graph.serve_media(balance_note, NOTE_MIME, file_size=MAX_AUDIO_BYTES + 1), NOTE_MIME,
                          "voice_note_too_long", "wa_voice_note_too_long"),  # stated over 16 MB
        "+919000000105": (graph.serve_media(b"OggS" + bytes(MAX_AUDIO_BYTES), NOTE_MIME, file_size=4096),
                          NOTE_MIME, "voice_note_too_long", "wa_voice_note_too_long"),  # over 16 MB, stated less
        "+919000000106": (graph.serve_media(balance_note, NOTE_MIME, sha256="0" * 64), NOTE_MIME,
                          "voice_note_unclear", "wa_voice_note_unclear"),  # digest mismatch
        "+919000000107": (graph.serve_media(long_note, NOTE_MIME), NOTE_MIME,
                          "voice_note_too_long", "wa_voice_note_too_long"),  # over two minutes
        "+919000000108": (graph.serve_media(silence, NOTE_MIME), NOTE_MIME,
                          "voice_note_unclear", "wa_voice_note_unclear"),  # nothing said
        "+919000000109": ("1999999999999999", NOTE_MIME, "voice_note_failed", "wa_voice_note_unclear"),  # expired
    }
    for i, (sender, (media_id, mime_type, _, _)) in enumerate(cases.items()):
        resp = await wa.post(voice_note(media_id, sender=sender, message_id=f"wamid.bad-{i}", mime_type=mime_type))
        assert resp.status == 200
    await wa.settle()
    language = wa.app[PERSONA].default_language
    for sender, (_, _, outcome, reply_key) in cases.items():
        assert wa.graph.bodies(sender) == [t(reply_key, language)], sender
        [record] = await wa.audit(sender)
        assert (record.outcome, record.text, record.intent) == (outcome, "[audio]", "none"), sender
    # Refused before a byte was downloaded: the wrong types and the stated oversize.
    downloads = [path for path, _ in wa.graph.media_requests if path.startswith(MEDIA_PATH)]
    refused_early = [cases[s][0] for s in ("+919000000102", "+919000000103", "+919000000104")]
    assert not any(f"mid={media_id}&" in path for path in downloads for media_id in refused_early)
    # The channel still answers.
    await wa.post(typed("What is my balance?", sender="+919000000101", message_id="wamid.after"))
    await wa.settle()
    assert len(wa.graph.bodies("+919000000101")) == 2


# --- replies as voice notes ---------------------------------------------------------------------------

@on_session_loop
async def test_with_voice_note_replies_on_the_reply_is_uploaded_and_sent_as_a_voice_message_after_the_text(
        start_gateway, balance_note, recognizer):
    wa = await start_gateway(note_replies=True)
    await wa.post(voice_note(wa.graph.serve_media(balance_note, NOTE_MIME), message_id="wamid.spoken-1"))
    await wa.settle()
    [(uploaded_id, upload)] = wa.graph.uploads
    assert upload.mime_type == "audio/ogg" and upload.data.startswith(b"OggS")
    with av.open(io.BytesIO(upload.data), format="ogg") as container:
        assert container.streams.audio[0].codec_context.name == "opus"
    said = await recognizer.transcribe(decode_to_pcm16(upload.data, upload.mime_type), "en")
    assert "registered mobile number" in said.text  # the verification question, said (12.7 s, 37 KB)
    text_reply, audio_reply = wa.graph.sent
    assert text_reply["type"] == "interactive" and "6-digit OTP" in wa.text_of(text_reply)
    assert audio_reply["type"] == "audio" and audio_reply["audio"] == {"id": uploaded_id, "voice": True}
    # A typed message still gets text only.
    await wa.post(typed("Resend OTP", message_id="wamid.spoken-2"))
    await wa.settle()
    assert len(wa.graph.uploads) == 1 and wa.graph.sent[-1]["type"] != "audio"


# --- the pure parts ---------------------------------------------------------------------------------------

def test_voice_note_replies_are_off_unless_set(tmp_path):
    assert load_voice_settings({}, tmp_path).note_replies is False
    assert load_voice_settings({"SAHAYAK_VOICE_NOTE_REPLIES": "true"}, tmp_path).note_replies is True
    with pytest.raises(SettingsError, match="SAHAYAK_VOICE_NOTE_REPLIES"):
        load_voice_settings({"SAHAYAK_VOICE_NOTE_REPLIES": "sometimes"}, tmp_path)


def test_audio_checks_before_and_after_the_download():
    check_audio("audio/ogg; codecs=opus", 10_000)
    check_audio("AUDIO/MPEG", None)
    with pytest.raises(MediaRefused) as refused:
        check_audio("image/jpeg", 10)
    assert refused.value.reason == "wrong_type"
    with pytest.raises(MediaRefused) as refused:
        check_audio("audio/ogg", MAX_AUDIO_BYTES + 1)
    assert refused.value.reason == "too_large"
    data = b"voice note bytes"
    check_digest(data, hashlib.sha256(data).hexdigest())  # the media endpoint's hex
    check_digest(data, base64.b64encode(hashlib.sha256(data).digest()).decode())  # the webhook's base64
    check_digest(data, None)
    for wrong in (hashlib.sha256(b"other").hexdigest(), "not a digest"):
        with pytest.raises(MediaRefused) as refused:
            check_digest(data, wrong)
        assert refused.value.reason == "corrupt"


def test_decoding_is_bounded_and_refuses_what_is_not_audio(balance_note):
    pcm = decode_to_pcm16(balance_note, NOTE_MIME)
    assert 1.0 < len(pcm) / 2 / STT_RATE < 3.0 and not is_silent(pcm)
    with pytest.raises(AudioTooLong):  # stopped while decoding: the limit is under the container's length
        decode_to_pcm16(balance_note, NOTE_MIME, max_s=0.5)
    for data, mime_type in ((balance_note, "audio/wav"), (b"", NOTE_MIME), (b"\x00" * 500, NOTE_MIME),
                            (balance_note[:100], NOTE_MIME), (balance_note, "audio/mpeg")):
        with pytest.raises(UnreadableAudio):
            decode_to_pcm16(data, mime_type)


def test_long_notes_are_cut_into_whisper_windows_at_pauses():
    rng = np.random.default_rng(3)
    speech = (0.3 * rng.standard_normal(STT_RATE)).astype(np.float32)  # one second of "speech"
    pause_at = 27.4  # a pause inside the last five seconds of the first window
    audio = np.concatenate([np.tile(speech, 27), speech[:int(0.4 * STT_RATE)], np.zeros(STT_RATE // 5, np.float32),
                            np.tile(speech, 40)])
    windows = note_windows(float_to_pcm16(audio))
    lengths = [len(w) / 2 / STT_RATE for w in windows]
    assert all(length <= MAX_TURN_S for length in lengths) and len(windows) == 3
    assert pause_at < lengths[0] < pause_at + 0.2  # cut in the pause, not mid-"word"
    assert b"".join(windows) == float_to_pcm16(audio)
    assert note_windows(float_to_pcm16(speech)) == [float_to_pcm16(speech)]


def test_what_of_a_transcript_is_shown_and_how_a_spoken_code_is_typed():
    assert shown_transcript("My OTP is 482913.") == f"My OTP is {HIDDEN}."
    assert shown_transcript("mera otp four eight two nine one three hai") == f"mera otp {HIDDEN} hai"
    assert shown_transcript("मेरा ओटीपी चार आठ दो नौ है") == f"मेरा ओटीपी {HIDDEN} है"
    assert shown_transcript("account ४८२९ 1234-5678 please") == f"account {HIDDEN} please"
    assert shown_transcript("I want to do a transfer") == "I want to do a transfer"  # one number word stays
    long = shown_transcript("word " * 100)
    assert len(long) <= 160 and long.endswith("…")
    assert [as_typed(x) for x in ("482913.", "4 8 2 9 1 3", "7-9-19-07.", "४८२९१३।")] == [
        "482913", "482913", "791907", "482913"]
    assert as_typed(" What is my balance? ") == "What is my balance?"
    assert as_typed("1.5") == "1.5"  # a decimal is not a spoken code
