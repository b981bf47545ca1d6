"""Scripted conversations: a small YAML format that drives the web chat's HTTP API and checks the answers.

Bank operations staff write one file per conversation; tests run every file under
`tests/conversations/`, and the same files run against a live demo gateway:

    python -m bot.scripts.conversation run tests/conversations/balance_en.yaml --url http://127.0.0.1:8080

The format (every field is checked when the file is loaded; a typo names the file, line and field):

    name: Balance with OTP (English)      # required: what the conversation shows
    channel: web                          # optional; only "web" today (the HTTP API at /web/messages)
    steps:                                # required: at least one step, run in order in ONE session
      - say: hi                           # required: the customer's message
        expect:                           # optional: checks on the bot's replies to this message
          contains: ["Sahayak"]           #   each text appears in the replies' texts (joined by newlines)
          not_contains: ["Total balance: ₹0"]  # none of these texts appears
          buttons: ["Check balance"]      #   these buttons are offered (a subset of all replies' buttons)
          replies: 1                      #   exactly this many reply messages
          case_opened: true               #   true: this message opened a case for a human;
                                          #   false: it did not (see "Cases" below)
      - say: "+91 98123 45678"
      - say: "{otp:+919812345678}"        # the latest OTP in the demo outbox for that number

Placeholders in `say`: `{otp:<E.164 mobile>}` is replaced by the 6-digit code in the newest SMS for that
number in the demo outbox (GET /demo/outbox, demo mode only). Nothing else is substituted, so other
braces are sent as typed.

Cases: a reply quoting a case reference (ESC-20260101-ABC123) not seen earlier in the session counts as a
case opened by that message.
When the client is an in-process aiohttp TestClient, the gateway's case store is read as well, so a case
opened silently is caught too.

A failed expectation raises `ScriptFailure` (an AssertionError) naming the script file, the step number
(1-based), the step's line and what failed, with the actual replies.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.yaml_config import ConfigError, Lines, line_for, load_yaml_mapping_with_lines, validate_mapping_with_lines

__all__ = ["Expect", "Step", "Script", "ScriptFailure", "StepResult", "load_script", "run_script", "main"]

_OTP_PLACEHOLDER = re.compile(r"\{otp:(\+[0-9]{8,15})\}")
_CASE_REFERENCE = re.compile(r"\b(?:ESC|DSP|FRD|CAS)-\d{8}-[0-9A-Z]{6}\b")
# A script is a handful of turns; these bound a runaway file and a hung gateway.
MAX_STEPS = 200
MAX_TEXT = 4000
REQUEST_TIMEOUT_S = 30


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    contains: list[str] = Field(default_factory=list)
    not_contains: list[str] = Field(default_factory=list)
    buttons: list[str] = Field(default_factory=list)
    replies: int | None = Field(default=None, ge=0)
    case_opened: bool | None = None


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    say: str = Field(min_length=1, max_length=MAX_TEXT)
    expect: Expect | None = None


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    channel: Literal["web"] = "web"
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
    # Not in the file: where it came from, for failure messages.
    path: str = Field(default="<string>", exclude=True)
    step_lines: tuple[int | None, ...] = Field(default=(), exclude=True)


def load_script(path: str | Path) -> Script:
    """Load and validate a scripted conversation; a mistake raises ConfigError (file:line: field: message)."""
    data, lines = load_yaml_mapping_with_lines(path)
    for reserved in ("path", "step_lines"):
        if reserved in data:  # internal fields: a file may not set them
            raise ConfigError(str(path), line_for(lines, (reserved,)), reserved, f"unknown field {reserved!r}")
    script = validate_mapping_with_lines(data, lines, Script, path)
    return script.model_copy(update={"path": str(path), "step_lines": _step_lines(lines, len(script.steps))})


def _step_lines(lines: Lines, count: int) -> tuple[int | None, ...]:
    return tuple(lines.get(("steps", i)) for i in range(count))


class ScriptFailure(AssertionError):
    """A step's expectation failed; the message names file, step, line, the failures and the replies."""


@dataclass
class StepResult:
    number: int
    line: int | None
    said: str
    replies: list[dict]
    cases: list[str]
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def check(expect: Expect | None, replies: list[dict], cases: list[str]) -> list[str]:
    """The expectations that `replies` (and the cases opened by this step) do not meet."""
    if expect is None:
        return []
    failures = []
    joined = "\n".join(str(r.get("text", "")) for r in replies)
    offered = {b for r in replies for b in (r.get("buttons") or ())}
    for text in expect.contains:
        if text not in joined:
            failures.append(f"expected the replies to contain {text!r}")
    for text in expect.not_contains:
        if text in joined:
            failures.append(f"expected the replies not to contain {text!r}")
    missing = [b for b in expect.buttons if b not in offered]
    if missing:
        failures.append(f"expected buttons {missing!r} among {sorted(offered)!r}")
    if expect.replies is not None and len(replies) != expect.replies:
        failures.append(f"expected {expect.replies} reply message(s), got {len(replies)}")
    if expect.case_opened is True and not cases:
        failures.append("expected a case to be opened")
    if expect.case_opened is False and cases:
        failures.append(f"expected no case, but {cases!r} opened")
    return failures


def _describe(script: Script, result: StepResult) -> str:
    where = script.path if result.line is None else f"{script.path}:{result.line}"
    shown = "\n".join(
        f"    [{n}] {r.get('text', '')!r} buttons={list(r.get('buttons') or [])!r}" for n, r in enumerate(result.replies, 1)
    ) or "    (no replies)"
    return (f"{where}: step {result.number} (say {result.said!r}) failed in script {script.name!r}:\n  - "
            + "\n  - ".join(result.failures) + f"\n  actual replies:\n{shown}")


async def _json(resp) -> Any:
    # aiohttp's ClientResponse and TestClient responses both offer .status and async .json()/.text().
    if resp.status != 200:
        raise ScriptFailure(f"{resp.url}: HTTP {resp.status}: {(await resp.text())[:500]}")
    return await resp.json()


async def _post(client, url: str, body: dict) -> Any:
    async with client.post(url, json=body) as resp:
        return await _json(resp)


async def _get(client, url: str, params: dict) -> Any:
    async with client.get(url, params=params) as resp:
        return await _json(resp)


async def latest_otp(client, mobile: str, base: str = "") -> str:
    messages = (await _get(client, base + "/demo/outbox", {"to": mobile}))["messages"]
    for message in messages:  # newest first
        match = re.search(r"\b(\d{6})\b", message.get("body", ""))
        if match:
            return match.group(1)
    raise ScriptFailure(f"no OTP in the demo outbox for {mobile} (is the gateway in demo mode?)")


async def _expand(client, text: str, base: str) -> str:
    out, last = [], 0
    for match in _OTP_PLACEHOLDER.finditer(text):
        out.append(text[last:match.start()])
        out.append(await latest_otp(client, match.group(1), base))
        last = match.end()
    out.append(text[last:])
    return "".join(out)


async def _stored_cases(client, session: str) -> set[str] | None:
    """Case references for this session's conversation, read from an in-process gateway; None otherwise."""
    server = getattr(client, "server", None)
    app = getattr(server, "app", None)
    if app is None:
        return None
    from bot.appkeys import STORES

    conversation = "web:" + session.split(".", 1)[0]
    return {c.reference for c in await app[STORES].cases.for_conversation(conversation)}


async def run_script(client, script: Script, *, base_url: str = "", on_step=None) -> list[StepResult]:
    """Run `script` in one new web chat session; raise ScriptFailure at the first failed step.

    `client` is anything with aiohttp-style `.post(url, json=...)` / `.get(url, params=...)` returning
    async context managers (aiohttp's TestClient with relative URLs, or a ClientSession with `base_url`).
    `on_step(result)` is called after each step, failed or not (the CLI prints with it)."""
    session = (await _post(client, base_url + "/web/session", {}))["session"]
    results = []
    known = await _stored_cases(client, session) or set()
    for number, step in enumerate(script.steps, 1):
        line = script.step_lines[number - 1] if number - 1 < len(script.step_lines) else None
        text = await _expand(client, step.say, base_url)
        replies = (await _post(client, base_url + "/web/messages", {"session": session, "text": text}))["replies"]
        # A reference not seen before in this session is a new case (a later notice may quote it again).
        cases = set(_CASE_REFERENCE.findall("\n".join(str(r.get("text", "")) for r in replies)))
        stored = await _stored_cases(client, session)
        cases = (cases | (stored or set())) - known
        known |= cases
        result = StepResult(number, line, step.say, replies, sorted(cases))
        result.failures = check(step.expect, replies, result.cases)
        results.append(result)
        if on_step is not None:
            on_step(result)
        if result.failures:
            raise ScriptFailure(_describe(script, result))
    return results


# --------------------------------------------------------------------------- CLI


def _print_step(result: StepResult) -> None:
    status = "PASS" if result.passed else "FAIL"
    print(f"  step {result.number} (line {result.line}): say {result.said!r} ... {status}")
    for reply in result.replies:
        print("    bot: " + str(reply.get("text", "")).replace("\n", "\n         "))
        if reply.get("buttons"):
            print(f"         buttons: {reply['buttons']}")


async def _run_files(files: list[str], url: str) -> int:
    import aiohttp

    failed = 0
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for name in files:
            try:
                script = load_script(name)
            except ConfigError as e:
                print(f"FAIL {e}")
                failed += 1
                continue
            print(f"{script.name} ({name})")
            try:
                await run_script(http, script, base_url=url.rstrip("/"), on_step=_print_step)
            except ScriptFailure as e:
                print(f"FAIL {e}")
                failed += 1
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                print(f"FAIL {name}: cannot talk to {url}: {e!r}")
                failed += 1
            else:
                print("PASS")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.scripts.conversation",
                                     description="Run scripted conversations against a running demo gateway.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one or more script files")
    run.add_argument("files", nargs="+")
    run.add_argument("--url", default="http://127.0.0.1:8080", help="the gateway's base URL")
    check_cmd = sub.add_parser("check", help="validate script files without running them")
    check_cmd.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "check":
        bad = 0
        for name in args.files:
            try:
                load_script(name)
                print(f"OK   {name}")
            except ConfigError as e:
                print(f"FAIL {e}")
                bad += 1
        return 1 if bad else 0
    return asyncio.run(_run_files(args.files, args.url))


if __name__ == "__main__":
    sys.exit(main())
