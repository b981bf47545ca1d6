"""`make bench`: turns per second and p50/p99 turn latency for N concurrent web conversations.

The gateway runs as its own process (`python gateway.py serve`), as in production, and this process
is the load: N conversations over HTTP, each sending turns back to back. Measured on the embedded
store (SQLite) and on PostgreSQL + Redis, with an aiohttp hello-world JSON echo served the same way
in the same run as the ceiling. No LLM is involved (there is none in the default configuration).

Each conversation does the real balance workflow once (identify, OTP from the demo outbox, balance,
recent transactions) and then plain turns, so the figures include claims, the per-conversation
lock, the checkpoint, the graph, the audit record and the reply.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
HELLO = """
from aiohttp import web
async def echo(request):
    return web.json_response({"replies": [{"text": (await request.json())["text"], "buttons": []}]})
app = web.Application()
app.router.add_post("/web/messages", echo)
app.router.add_post("/web/session", lambda r: web.json_response({"session": "x.y"}))
app.router.add_get("/healthz", lambda r: web.json_response({"status": "ok"}))
web.run_app(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), print=None, access_log=None)
"""
PLAIN_TURNS = ("hi", "what can you do", "hello", "thanks")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_healthy(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                async with http.get(base + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("server did not become healthy")


def start(cmd: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


async def conversation(http: aiohttp.ClientSession, base: str, turns: int, latencies: list[float],
                       full_flow: bool, mobile: str) -> None:
    async with http.post(base + "/web/session", json={}) as resp:
        session = (await resp.json())["session"]

    async def say(text: str) -> list[dict]:
        t0 = time.perf_counter()
        async with http.post(base + "/web/messages", json={"session": session, "text": text,
                                                           "id": secrets.token_hex(8)}) as resp:
            body = await resp.json()
            assert resp.status == 200, body
        latencies.append(time.perf_counter() - t0)
        return body["replies"]

    done = 0
    if full_flow:
        await say("balance")
        await say(mobile)
        async with http.get(base + "/demo/outbox", params={"to": mobile}) as resp:
            otp = re.search(r"\b(\d{6})\b", (await resp.json())["messages"][0]["body"]).group(1)
        replies = await say(otp)
        assert any("₹" in r["text"] for r in replies), replies
        await say("Recent transactions")
        done = 4
    for i in range(turns - done):
        await say(PLAIN_TURNS[i % len(PLAIN_TURNS)])


async def load(base: str, conversations: int, turns: int, full_flow: bool) -> dict:
    latencies: list[float] = []
    mobiles = await demo_mobiles() if full_flow else ["+919812345678"]
    connector = aiohttp.TCPConnector(limit=conversations)
    async with aiohttp.ClientSession(connector=connector) as http:
        # Warm up (imports, first checkpoint, connection pool) outside the measurement.
        await conversation(http, base, 2, [], False, mobiles[0])
        t0 = time.perf_counter()
        # One customer per conversation doing the OTP flow (two sharing a mobile would read each other's OTP).
        await asyncio.gather(*(conversation(http, base, turns, latencies, full_flow and i < len(mobiles),
                                            mobiles[i % len(mobiles)]) for i in range(conversations)))
        elapsed = time.perf_counter() - t0
    latencies.sort()
    return {
        "turns": len(latencies),
        "turns_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


async def demo_mobiles() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from bot.banking.demo import DemoBank

    with tempfile.TemporaryDirectory() as tmp:
        bank = await DemoBank.open(Path(tmp) / "bank.sqlite")
        try:
            return [c.mobile for c in await bank.customers()]
        finally:
            await bank.close()


async def run_gateway(env_extra: dict, args) -> dict:
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAHAYAK_")}
        env.update({"SAHAYAK_DEMO": "true", "SAHAYAK_PORT": str(port), "SAHAYAK_DATA_DIR": data,
                    "SAHAYAK_LOG_LEVEL": "WARNING", "SAHAYAK_OTP_MAX_SENDS": "10"}, **env_extra)
        proc = start([sys.executable, "gateway.py", "serve"], env)
        try:
            await wait_healthy(f"http://127.0.0.1:{port}", proc)
            return await load(f"http://127.0.0.1:{port}", args.conversations, args.turns, True)
        finally:
            stop(proc)


async def run_hello(args) -> dict:
    port = free_port()
    proc = start([sys.executable, "-c", HELLO, str(port)], dict(os.environ))
    try:
        await wait_healthy(f"http://127.0.0.1:{port}", proc)
        return await load(f"http://127.0.0.1:{port}", args.conversations, args.turns, False)
    finally:
        stop(proc)


async def postgres_env() -> tuple[dict, callable] | None:
    import psycopg

    admin_url = os.environ.get("SAHAYAK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("SAHAYAK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        admin = await psycopg.AsyncConnection.connect(admin_url, autocommit=True, connect_timeout=3)
    except Exception as e:  # noqa: BLE001
        print(f"PostgreSQL unavailable ({e}); skipping the scale-out run")
        return None
    name = f"sahayak_bench_{secrets.token_hex(4)}"
    await admin.execute(f"CREATE DATABASE {name}")

    async def drop():
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()

    env = {"SAHAYAK_POSTGRES_URL": admin_url.rsplit("/", 1)[0] + f"/{name}", "SAHAYAK_REDIS_URL": redis_url,
           "SAHAYAK_REDIS_PREFIX": f"sahayak-bench-{name}:"}
    return env, drop


def summary(runs: list[dict]) -> dict:
    """Median of the repeats by throughput (the machine is shared: single runs swing by 30%+)."""
    ordered = sorted(runs, key=lambda r: r["turns_per_s"])
    middle = dict(ordered[len(ordered) // 2])
    middle["spread"] = f"{ordered[0]['turns_per_s']:.0f}-{ordered[-1]['turns_per_s']:.0f}"
    return middle


def line(name: str, r: dict, ceiling: dict | None) -> str:
    ratio = f"   ceiling/this {ceiling['turns_per_s'] / r['turns_per_s']:>5.1f}x" if ceiling else "   (ceiling)"
    return (f"{name:<22} {r['turns_per_s']:>7.0f}/s (runs {r['spread']:>9})   p50 {r['p50_ms']:>6.1f} ms"
            f"   p99 {r['p99_ms']:>6.1f} ms{ratio}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=int(os.environ.get("BENCH_CONVERSATIONS", 20)))
    parser.add_argument("--turns", type=int, default=int(os.environ.get("BENCH_TURNS", 25)))
    parser.add_argument("--repeats", type=int, default=int(os.environ.get("BENCH_REPEATS", 3)))
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load: {args.conversations} concurrent web conversations x {args.turns} turns over HTTP, no LLM; "
          f"median of {args.repeats} interleaved runs")
    results: dict[str, list[dict]] = {"hello": [], "embedded": [], "scale_out": []}
    pg = await postgres_env()
    try:
        for _ in range(args.repeats):  # interleaved, so a noisy moment hurts every configuration alike
            results["hello"].append(await run_hello(args))
            results["embedded"].append(await run_gateway({}, args))
            if pg is not None:
                results["scale_out"].append(await run_gateway(pg[0], args))
    finally:
        if pg is not None:
            await pg[1]()
    hello = summary(results["hello"])
    print(line("aiohttp hello-world", hello, None))
    print(line("embedded (SQLite)", summary(results["embedded"]), hello))
    if results["scale_out"]:
        print(line("PostgreSQL + Redis", summary(results["scale_out"]), hello))


if __name__ == "__main__":
    asyncio.run(main())
