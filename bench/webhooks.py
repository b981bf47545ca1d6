"""Signed-webhook throughput per channel (part of `make bench`).

The gateway runs as its own process with WhatsApp, SMS and email (Mailgun inbound) switched on; this
process signs webhooks exactly as Meta, Twilio and Mailgun do, posts them from N concurrent senders
(one conversation each), and stands in for the providers' outbound APIs (Graph API, Twilio REST, an
SMTP relay) to count the replies. Two figures per channel:

- acks/s: signed webhooks verified, claimed durably and acknowledged (what the provider sees);
- turns/s: webhooks until every reply reached the provider stand-in (the end-to-end rate).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from aiosmtpd.smtp import SMTP
from twilio.request_validator import RequestValidator

from bench.turns import free_port, postgres_env, start, stop, wait_healthy

APP_SECRET = "bench-app-secret-0123456789abcdef"
PHONE_ID = "100000000000001"
TWILIO_SID = "AC" + "b" * 32
TWILIO_TOKEN = "bench-twilio-token-0123456789abc"
PUBLIC_URL = "https://bench.sahayak.example"
MAILGUN_KEY = "key-bench0123456789"
BANK = "support@bench.example"


class Replies:
    """Counts what reaches the provider stand-ins."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = asyncio.Event()

    def add(self) -> None:
        self.count += 1
        self.changed.set()

    async def wait_for(self, target: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.count < target:
            self.changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"only {self.count} of {target} replies arrived")
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass


async def provider_stand_ins(replies: dict[str, Replies]) -> tuple[web.AppRunner, asyncio.AbstractServer, int, int]:
    async def graph(request: web.Request) -> web.Response:
        await request.read()
        replies["whatsapp"].add()
        return web.json_response({"messaging_product": "whatsapp", "messages": [{"id": f"wamid.{uuid.uuid4().hex}"}]})

    async def twilio(request: web.Request) -> web.Response:
        await request.read()
        replies["sms"].add()
        return web.json_response({"sid": "SM" + uuid.uuid4().hex, "status": "queued"}, status=201)

    app = web.Application()
    app.router.add_post("/{version}/{phone}/messages", graph)
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", twilio)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    http_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", http_port).start()

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            replies["email"].add()
            return "250 OK"

    smtp_port = free_port()
    smtp = await asyncio.get_running_loop().create_server(lambda: SMTP(Sink()), "127.0.0.1", smtp_port)
    return runner, smtp, http_port, smtp_port


def whatsapp_request(i: int, turn: int) -> tuple[str, bytes, dict]:
    wa_id = f"9170000{i:05d}"
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "911140001234", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": "Bench"}, "wa_id": wa_id, "user_id": f"IN.{wa_id}"}],
        "messages": [{"from": wa_id, "id": f"wamid.bench.{i}.{turn}.{uuid.uuid4().hex[:8]}",
                      "timestamp": str(int(time.time())), "type": "text", "text": {"body": "hi"}}]}}]}]}
    body = json.dumps(payload, separators=(",", ":")).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return "/whatsapp/webhook", body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}


def sms_request(i: int, turn: int) -> tuple[str, bytes, dict]:
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": TWILIO_SID, "From": f"+9170001{i:05d}",
              "To": "+911140001234", "Body": "hi", "NumMedia": "0"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + "/sms/twilio", params)
    return "/sms/twilio", urlencode(params).encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}


def email_request(i: int, turn: int) -> tuple[str, bytes, dict]:
    timestamp, token = str(int(time.time())), uuid.uuid4().hex + uuid.uuid4().hex[:18]
    fields = {"sender": f"bench{i}@example.in", "from": f"bench{i}@example.in", "recipient": BANK,
              "subject": f"Question {i}", "body-plain": "hi", "Message-Id": f"<bench.{i}.{turn}.{token}@example.in>",
              "timestamp": timestamp, "token": token,
              "signature": hmac.new(MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()}
    return "/email/inbound", urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"}


BUILDERS = {"whatsapp": whatsapp_request, "sms": sms_request, "email": email_request}


async def load_channel(base: str, name: str, replies: Replies, senders: int, per_sender: int) -> dict:
    build = BUILDERS[name]
    acks: list[float] = []
    start_count = replies.count
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=senders)) as http:
        async def sender(i: int) -> None:
            for turn in range(per_sender):
                path, body, headers = build(i, turn)
                t0 = time.perf_counter()
                async with http.post(base + path, data=body, headers=headers) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"{name}: HTTP {resp.status}")
                acks.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*(sender(i) for i in range(senders)))
        acked = time.perf_counter() - t0
        await replies.wait_for(start_count + senders * per_sender, timeout=120)
        done = time.perf_counter() - t0
    acks.sort()
    n = len(acks)
    return {"acks_per_s": n / acked, "turns_per_s": n / done, "ack_p50_ms": statistics.median(acks) * 1000,
            "ack_p99_ms": acks[min(n - 1, int(n * 0.99))] * 1000}


async def run(env_extra: dict, senders: int, per_sender: int) -> dict[str, dict]:
    replies = {name: Replies() for name in BUILDERS}
    runner, smtp, http_port, smtp_port = await provider_stand_ins(replies)
    port = free_port()
    try:
        with tempfile.TemporaryDirectory() as data:
            env = {k: v for k, v in os.environ.items() if not k.startswith("SAHAYAK_")}
            env.update({
                "SAHAYAK_DEMO": "true", "SAHAYAK_PORT": str(port), "SAHAYAK_DATA_DIR": data,
                "SAHAYAK_LOG_LEVEL": "WARNING", "SAHAYAK_PUBLIC_URL": PUBLIC_URL,
                "SAHAYAK_WHATSAPP_VERIFY_TOKEN": "bench-verify-token", "SAHAYAK_WHATSAPP_APP_SECRET": APP_SECRET,
                "SAHAYAK_WHATSAPP_ACCESS_TOKEN": "bench-access-token-0123456789", "SAHAYAK_WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
                "SAHAYAK_WHATSAPP_API_URL": f"http://127.0.0.1:{http_port}/v21.0",
                "SAHAYAK_TWILIO_ACCOUNT_SID": TWILIO_SID, "SAHAYAK_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                "SAHAYAK_TWILIO_FROM": "+911140001234", "SAHAYAK_TWILIO_API_URL": f"http://127.0.0.1:{http_port}",
                "SAHAYAK_EMAIL_ADDRESS": BANK, "SAHAYAK_EMAIL_SMTP_RELAY_HOST": "127.0.0.1",
                "SAHAYAK_EMAIL_SMTP_RELAY_PORT": str(smtp_port), "SAHAYAK_EMAIL_SMTP_RELAY_STARTTLS": "false",
                "SAHAYAK_MAILGUN_SIGNING_KEY": MAILGUN_KEY}, **env_extra)
            proc = start([sys.executable, "gateway.py", "serve"], env)
            try:
                base = f"http://127.0.0.1:{port}"
                await wait_healthy(base, proc)
                return {name: await load_channel(base, name, replies[name], senders, per_sender)
                        for name in BUILDERS}
            finally:
                stop(proc)
    finally:
        smtp.close()
        await runner.cleanup()


async def main() -> None:
    senders = int(os.environ.get("BENCH_WEBHOOK_SENDERS", 20))
    per_sender = int(os.environ.get("BENCH_WEBHOOK_MESSAGES", 10))
    print(f"signed webhooks: {senders} concurrent senders x {per_sender} messages per channel "
          "(ack = verified + claimed + 200; turn = reply received by the provider stand-in)")
    configs = [("embedded (SQLite)", {})]
    pg = await postgres_env()
    if pg is not None:
        configs.append(("PostgreSQL + Redis", pg[0]))
    try:
        for label, env in configs:
            for name, r in (await run(env, senders, per_sender)).items():
                print(f"{label:<20} {name:<9} {r['acks_per_s']:>6.0f} acks/s  ack p50 {r['ack_p50_ms']:>6.1f} ms"
                      f"  p99 {r['ack_p99_ms']:>6.1f} ms   {r['turns_per_s']:>6.0f} turns/s end to end")
    finally:
        if pg is not None:
            await pg[1]()


if __name__ == "__main__":
    asyncio.run(main())
