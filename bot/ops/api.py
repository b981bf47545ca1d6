"""The human-agent queue API, under /ops/, for bank operations staff.

    GET  /ops/cases?status=open           the queue: urgent first, then the longest waiting
    GET  /ops/cases/{ref}                 one case and its (masked) transcript
    POST /ops/cases/{ref}/claim           {"agent"}            409 if another agent holds it
    POST /ops/cases/{ref}/reply           {"agent", "text"}    sent through the conversation's channel
    POST /ops/cases/{ref}/hand-back       {"agent", "notes"}   the bot answers again, with the notes in state
    POST /ops/reload                                           re-read the persona YAML (as SIGHUP does);
                                                               422 naming file:line:field keeps the old set

Every request carries `Authorization: Bearer <SAHAYAK_OPS_TOKEN>`, compared in constant time; a
missing or wrong token is a 401 before anything is read or changed. Without the setting the routes
are not mounted at all (404), so a gateway never serves an unprotected queue.

A case's `summary` is its last turns (masked); with an LLM configured, escalations also carry
`llm_summary`, a short handover note written just after the customer's reply (empty until then).

What an agent sees is masked (the audit trail and case summaries are masked when written); what an
agent writes is sent to the customer as typed but audited masked, like every other message.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
import uuid

from aiohttp import web

from bot.appkeys import CHANNELS, LOOP, PERSONA, PERSONAS, STORES
from bot.masking import mask
from bot.settings import Settings
from bot.stores.audit import AuditRecord
from bot.stores.cases import STATUSES, Case
from bot.yaml_config import ConfigError
from channels.base import OutboundMessage, render

log = logging.getLogger("sahayak.ops")

MAX_BODY = 16 * 1024
MAX_REPLY = 4000
MAX_NOTES = 2000
TRANSCRIPT_RECORDS = 50
_AGENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_REF = re.compile(r"[A-Z]{3}-\d{8}-[0-9A-Z]{6}")  # older references: six hex digits


def _error(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)


def _case_json(case: Case, now: float) -> dict:
    return {"reference": case.reference, "status": case.status, "priority": case.priority,
            "reason": case.reason, "tier": case.tier, "channel": case.channel,
            "created_at": case.created_at, "waiting_s": case.waiting_s(now), "agent": case.agent,
            "claimed_at": case.claimed_at, "closed_at": case.closed_at, "summary": case.summary,
            "kind": case.kind, "team": case.team, "llm_summary": case.llm_summary}


CASE_KINDS = ("escalation", "dispute", "fraud")
_TEAM = re.compile(r"[a-z][a-z0-9_]{1,31}")


class OpsApi:
    def __init__(self, token: str):
        self._token = token.encode()

    @web.middleware
    async def authorize(self, request: web.Request, handler):
        # Only /ops/ paths are guarded; the middleware sits on the whole app.
        if not request.path.startswith("/ops/"):
            return await handler(request)
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), self._token):
            return _error(401, "unauthorized", "Send Authorization: Bearer <ops token>.")
        return await handler(request)

    @staticmethod
    async def _body(request: web.Request, *fields: str, limits: dict[str, int]) -> dict | web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, "too_large", "The request body is too large.")
        try:
            raw = await request.content.read(MAX_BODY + 1)
            if len(raw) > MAX_BODY:
                return _error(413, "too_large", "The request body is too large.")
            data = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError):
            return _error(400, "invalid_json", "The body must be a JSON object.")
        if not isinstance(data, dict):
            return _error(400, "invalid_json", "The body must be a JSON object.")
        out = {}
        for field in fields:
            value = data.get(field)
            if not isinstance(value, str) or not value.strip():
                return _error(400, "invalid_field", f"{field} is required (a non-empty string).")
            value = value.strip()
            if len(value) > limits.get(field, 64):
                return _error(400, "invalid_field", f"{field} is longer than {limits.get(field, 64)} characters.")
            out[field] = value
        if "agent" in out and not _AGENT.fullmatch(out["agent"]):
            return _error(400, "invalid_field", "agent must be an id of letters, digits and . _ @ -")
        return out

    @staticmethod
    async def _case(request: web.Request) -> Case | web.Response:
        ref = request.match_info["ref"]
        if not _REF.fullmatch(ref):
            return _error(400, "invalid_reference", "That is not a case reference.")
        case = await request.app[STORES].cases.get(ref)
        if case is None or case.kind != "escalation":
            return _error(404, "not_found", "No such case.")
        return case

    async def list_cases(self, request: web.Request) -> web.Response:
        status = request.query.get("status", "open")
        if status not in STATUSES:
            return _error(400, "invalid_status", f"status must be one of {', '.join(STATUSES)}.")
        # The human queue (escalations) by default; disputes and fraud alerts are their teams' work lists.
        kind = request.query.get("kind", "escalation")
        if kind not in CASE_KINDS:
            return _error(400, "invalid_kind", f"kind must be one of {', '.join(CASE_KINDS)}.")
        team = request.query.get("team") or None
        if team is not None and not _TEAM.fullmatch(team):
            return _error(400, "invalid_team", "team must be a short lowercase name.")
        now = time.time()
        cases = await request.app[STORES].cases.queue(status, kind=kind, team=team)
        return web.json_response({"cases": [_case_json(c, now) for c in cases]})

    async def show_case(self, request: web.Request) -> web.Response:
        case = await self._case(request)
        if isinstance(case, web.Response):
            return case
        records = await request.app[STORES].audit.for_conversation(case.conversation, limit=TRANSCRIPT_RECORDS)
        transcript = []
        for r in records:
            if r.text:
                transcript.append({"from": "customer", "at": r.at, "text": r.text})
            for reply in r.replies:
                transcript.append({"from": reply.get("from", "bot"), "at": r.at, "text": reply.get("text", "")})
        return web.json_response({"case": _case_json(case, time.time()), "transcript": transcript},
                                 dumps=lambda obj: json.dumps(obj, ensure_ascii=False))

    async def claim(self, request: web.Request) -> web.Response:
        case = await self._case(request)
        if isinstance(case, web.Response):
            return case
        body = await self._body(request, "agent", limits={})
        if isinstance(body, web.Response):
            return body
        if not await request.app[STORES].cases.claim(case.reference, body["agent"]):
            current = await request.app[STORES].cases.get(case.reference)
            who = f" by {current.agent}" if current and current.status == "claimed" else ""
            return _error(409, "conflict", f"The case is {current.status if current else 'gone'}{who}.")
        return web.json_response({"case": _case_json(await request.app[STORES].cases.get(case.reference),
                                                     time.time())})

    def _held_by(self, case: Case, agent: str) -> web.Response | None:
        if case.status != "claimed" or case.agent != agent:
            return _error(409, "not_claimed", "Claim the case first (it is "
                          f"{case.status}{' by ' + case.agent if case.agent else ''}).")
        return None

    async def reply(self, request: web.Request) -> web.Response:
        case = await self._case(request)
        if isinstance(case, web.Response):
            return case
        body = await self._body(request, "agent", "text", limits={"text": MAX_REPLY})
        if isinstance(body, web.Response):
            return body
        if (refused := self._held_by(case, body["agent"])) is not None:
            return refused
        channel = request.app[CHANNELS].get(case.channel)
        if channel is None:
            return _error(409, "channel_unavailable", f"The {case.channel} channel is not running.")
        _, _, conversation = case.conversation.partition(":")
        message_id = f"agent-{uuid.uuid4().hex}"
        rendered = render(OutboundMessage(body["text"]), channel.capabilities)
        stores = request.app[STORES]
        # Held like a turn: an agent's reply never interleaves with the bot's replies to the same customer.
        ticket = stores.locks.ticket(case.conversation)
        async with stores.locks.hold(case.conversation, ticket):
            # Audited first (masked, marked as from the agent): what was sent is on record even if
            # delivery then fails.
            await stores.audit.append(AuditRecord(
                channel=case.channel, conversation=case.conversation, message_id=message_id,
                persona=request.app[PERSONA].id, language="", intent="agent_reply", step="escalated",
                tools=[f"agent:{body['agent']}"], outcome="agent_reply", latency_ms=0.0, text="",
                replies=[{"text": mask(body["text"]), "buttons": [], "from": "agent", "agent": body["agent"]}]))
            try:
                await channel.send(conversation, rendered, in_reply_to=None)
            except Exception as e:
                log.error("agent reply on %s failed: %s", case.channel, type(e).__name__)
                return _error(502, "delivery_failed", "The channel did not accept the message.")
        return web.json_response({"sent": True, "message_id": message_id, "parts": len(rendered)})

    async def hand_back(self, request: web.Request) -> web.Response:
        case = await self._case(request)
        if isinstance(case, web.Response):
            return case
        body = await self._body(request, "agent", "notes", limits={"notes": MAX_NOTES})
        if isinstance(body, web.Response):
            return body
        if (refused := self._held_by(case, body["agent"])) is not None:
            return refused
        stores = request.app[STORES]
        graph = request.app[LOOP].graph
        config = {"configurable": {"thread_id": case.conversation}}
        ticket = stores.locks.ticket(case.conversation)
        async with stores.locks.hold(case.conversation, ticket):
            # As if `with_human` (a leaf whose only edge is END) wrote it: the checkpoint then has no
            # pending node, and the next customer message starts a fresh turn at `understand` with
            # step "idle". Notes are masked: checkpoints hold no customer PII (DESIGN.md).
            await graph.aupdate_state(config, {
                "step": "idle", "agent_notes": mask(body["notes"]), "hold_notice_sent": False,
                "case_ref": None, "offered": []}, as_node="with_human")
            if not await stores.cases.finish(case.reference, body["agent"], "handed_back"):
                return _error(409, "conflict", "The case changed while handing back.")
        return web.json_response({"case": _case_json(await stores.cases.get(case.reference), time.time())})

    async def reload(self, request: web.Request) -> web.Response:
        """Re-read every persona file; swap them in only if all are valid. Conversations go on: the
        next turn of each uses the new persona, and no checkpoint is touched."""
        registry = request.app[PERSONAS]
        try:
            ids = await registry.reload()
        except ConfigError as e:
            log.warning("persona reload refused, keeping version %d:\n%s", registry.version, e)
            return web.json_response({
                "error": "invalid_config", "message": str(e), "version": registry.version,
                "errors": [{"file": err.path, "line": err.line, "field": err.field, "message": err.message}
                           for err in e.errors]}, status=422,
                dumps=lambda obj: json.dumps(obj, ensure_ascii=False))
        return web.json_response({"reloaded": True, "personas": ids, "version": registry.version})


def setup(app: web.Application, settings: Settings) -> None:
    """Mount /ops/ when SAHAYAK_OPS_TOKEN is set; otherwise serve nothing there."""
    if settings.ops_token is None:
        return
    api = OpsApi(settings.ops_token.get_secret_value().strip())
    app.middlewares.append(api.authorize)
    app.router.add_get("/ops/cases", api.list_cases)
    app.router.add_get("/ops/cases/{ref}", api.show_case)
    app.router.add_post("/ops/cases/{ref}/claim", api.claim)
    app.router.add_post("/ops/cases/{ref}/reply", api.reply)
    app.router.add_post("/ops/cases/{ref}/hand-back", api.hand_back)
    app.router.add_post("/ops/reload", api.reload)
