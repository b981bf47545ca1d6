"""Sahayak's entry point: settings -> aiohttp app.

    python gateway.py serve            serve the gateway (what `make run` does)
    python gateway.py check-config     validate settings and every persona YAML without serving

Personas reload without a restart (and without dropping conversations) on SIGHUP or POST /ops/reload.

The environment is read once, here. Every app-scoped resource (stores, the bank adapter, the HTTP
client session, the compiled graph) is created and closed in `cleanup_ctx`, in that order.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.web_log import AccessLogger

from bot.appkeys import BANK, CHANNELS, HTTP, KNOWLEDGE, LOOP, PERSONA, PERSONAS, ROUTER, SETTINGS, STORES
from bot.auth import secure_link_page
from bot.banking.core import CoreBanking
from bot.graph.conversation import build_conversation_graph
from bot.knowledge.documents import load_sections
from bot.knowledge.search import KnowledgeBase
from bot.understanding.pipeline import understand_text
from bot.understanding.router import Router
from bot.llm.client import LlmClient
from bot.llm.config import LlmSetup, load_llm_setup
from bot.llm.tasks import LlmTasks
from bot.workflows.llm_scorer import LlmScorer
from bot.graph.state import Services
from bot.loop import ConversationLoop
from bot.notify import ChannelNotifier
from bot.ops import api as ops_api
from bot.persona import PersonaRegistry, ServedPersona
from bot.settings import Settings, SettingsError, load_settings
from bot.stores.factory import open_stores
from bot.yaml_config import ConfigError
from channels.registry import CHANNEL_MODULES
from channels.web import STATIC, WEB  # noqa: F401 - WEB re-exported for tests and tools

log = logging.getLogger("sahayak")

# The optional LLM as configured (None: no LLM). Only the gateway reads it, so the key lives here.
LLM_SETUP = web.AppKey("llm_setup", object)


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with contextlib.AsyncExitStack() as stack:
        app[HTTP] = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)))
        stores = await stack.enter_async_context(open_stores(settings))
        app[STORES] = stores
        app[BANK] = await stack.enter_async_context(_open_bank(settings, app[HTTP]))
        # Channels register themselves in app[CHANNELS] as they start (their cleanup_ctx entries come
        # after this one); the loop and the notifier look channels up at send time.
        channels = app[CHANNELS]
        notifier = stores.outbox if settings.demo else ChannelNotifier(channels)
        registry = app[PERSONAS]
        scorer, llm_tasks = _llm(app[LLM_SETUP], app[HTTP])
        services = Services(bank=app[BANK], otp=stores.otp, notifier=notifier,
                            cases=stores.cases, personas=registry, persona_id=settings.persona,
                            auth_idle_s=settings.auth_idle_s, secure_links=getattr(stores, "secure_links", None),
                            llm=scorer, llm_tasks=llm_tasks, knowledge=app[KNOWLEDGE],
                            profiles=stores.profiles, router=app[ROUTER])
        # Build the knowledge index in the background (a few seconds on a small CPU, then cached):
        # the first question should not wait for it, and start-up does not either.
        warming = asyncio.create_task(app[KNOWLEDGE].warm())
        stack.callback(warming.cancel)
        loop = ConversationLoop(stores, build_conversation_graph(stores.checkpointer, registry.workflows), services,
                                channels, turn_timeout_s=settings.turn_timeout_s)
        app[LOOP] = loop

        def rebuild_graph(reloaded) -> None:
            # Workflows are compiled into the graph: a reload swaps in a graph built from the new set.
            # A turn already running keeps the graph it started with; checkpoints are untouched.
            loop.graph = build_conversation_graph(stores.checkpointer, reloaded.workflows)

        registry.on_reload.append(rebuild_graph)
        stack.callback(registry.on_reload.remove, rebuild_graph)
        await stores.inbox.prune()
        yield
        await loop.drain()
        if llm_tasks is not None:
            await llm_tasks.drain()  # case summaries still being written (the stores are still open)


def _llm(setup: LlmSetup | None, session: aiohttp.ClientSession) -> tuple[LlmScorer | None, LlmTasks | None]:
    """The risk scorer's second opinion and the conversation's LLM jobs, on one client (one fallback order)."""
    if setup is None:
        return None, None
    client = LlmClient(session, setup.endpoints, total_timeout_s=setup.total_timeout_s)
    uses = setup.uses
    scorer = LlmScorer.over(client) if uses.risk_opinion else None
    tasks = LlmTasks(client, uses) if uses.classify or uses.phrase_knowledge or uses.summarise else None
    return scorer, tasks


async def _reload_on_sighup(app: web.Application) -> AsyncIterator[None]:
    """SIGHUP re-reads the persona files (the Unix convention for "reload your configuration").

    Installed on the running loop for the app's lifetime and removed on cleanup. A bad file keeps
    the personas in use and logs every problem by file, line and field; the process keeps serving."""
    loop = asyncio.get_running_loop()
    registry = app[PERSONAS]
    pending: set[asyncio.Task] = set()

    async def reload() -> None:
        try:
            await registry.reload()
        except ConfigError as e:
            log.error("SIGHUP: persona reload refused, keeping version %d:\n%s", registry.version, e)

    def on_sighup() -> None:
        task = loop.create_task(reload())
        pending.add(task)  # a reference, so the task is not collected mid-reload
        task.add_done_callback(pending.discard)

    sighup = getattr(signal, "SIGHUP", None)
    installed = False
    if sighup is not None:
        try:
            loop.add_signal_handler(sighup, on_sighup)
            installed = True
        except (NotImplementedError, RuntimeError, ValueError) as e:
            # Windows loops, or a loop outside the main thread: POST /ops/reload still works.
            log.warning("no SIGHUP reload on this loop (%s); use POST /ops/reload", type(e).__name__)
    try:
        yield
    finally:
        if installed:
            loop.remove_signal_handler(sighup)
        for task in list(pending):
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


async def _replay(app: web.Application) -> AsyncIterator[None]:
    """After every channel has started: run turns a crash left unfinished (their replies need the
    channels to be there)."""
    settings = app[SETTINGS]
    replayed = await app[LOOP].replay_unfinished(
        older_than_s=2 * settings.turn_timeout_s + 10 if settings.scale_out else 0)
    if replayed:
        log.info("replayed %d unfinished turns", replayed)
    yield


@contextlib.asynccontextmanager
async def _open_bank(settings: Settings, http: aiohttp.ClientSession) -> AsyncIterator[CoreBanking]:
    if settings.core_banking_url:
        from bot.banking.http import HttpCoreBanking

        header = None
        if settings.core_banking_auth_header is not None:
            name, _, value = settings.core_banking_auth_header.get_secret_value().partition(":")
            header = (name.strip(), value.strip())
        bank = HttpCoreBanking(settings.core_banking_url, session=http, auth_header=header,
                               timeout_s=settings.core_banking_timeout_s)
    else:
        from bot.banking.demo import DemoBank

        bank = await DemoBank.open(settings.data_dir / "demo_bank.sqlite")
    try:
        yield bank
    finally:
        await bank.close()


async def healthz(request: web.Request) -> web.Response:
    stores = request.app[STORES]
    await stores.db.fetchone("SELECT 1")
    if stores.redis is not None:
        await stores.redis.ping()
    return web.json_response({"status": "ok"})


async def demo_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def demo_outbox(request: web.Request) -> web.Response:
    to = request.query.get("to", "").strip()
    if not to:
        return web.json_response({"error": "missing_to", "message": "Pass ?to=<phone or email>."}, status=400)
    outbox = request.app[STORES].outbox
    # ensure_ascii=False: a person reads this page, and Hindi OTP messages should be legible.
    return web.json_response({"to": to, "messages": await outbox.read(to)},
                             dumps=lambda obj: json.dumps(obj, ensure_ascii=False))


@web.middleware
async def errors_as_json(request: web.Request, handler):
    """Unexpected failures answer JSON 500 without internals; aiohttp's HTTP errors pass through."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as e:
        log.exception("request failed: %s %s: %s", request.method, loggable_path(request), type(e).__name__)
        return web.json_response({"error": "internal", "message": "Something went wrong."}, status=500)


def create_app(settings: Settings, environ: Mapping[str, str] = os.environ) -> web.Application:
    """The gateway for `settings`; `environ` holds the variables llm.yaml names for API keys."""
    # Every persona file is validated, not only the one served: a typo in any file stops start-up
    # here rather than at the first reload or handoff.
    personas = PersonaRegistry.load(settings.personalities_dir, required=(settings.persona,))
    app = web.Application(middlewares=[errors_as_json], client_max_size=64 * 1024)
    app[SETTINGS] = settings
    app[LLM_SETUP] = load_llm_setup(settings, environ)
    app[PERSONAS] = personas
    app[PERSONA] = ServedPersona(personas, settings.persona)  # follows reloads
    app[KNOWLEDGE] = KnowledgeBase(load_sections(settings.knowledge_dir), cache_dir=Path(settings.data_dir))
    app[ROUTER] = Router.from_catalogue(settings.intent_catalogue)  # trained once per catalogue content
    app[CHANNELS] = {}
    app.cleanup_ctx.append(_resources)
    app.cleanup_ctx.append(_reload_on_sighup)
    app.router.add_get("/healthz", healthz)
    for module in CHANNEL_MODULES:
        module.setup(app, settings)
    ops_api.setup(app, settings)  # /ops/: the human-agent queue, only when SAHAYAK_OPS_TOKEN is set
    app.cleanup_ctx.append(_replay)
    if settings.demo:
        app.router.add_get("/", demo_page)
        app.router.add_get("/demo/outbox", demo_outbox)
        secure_link_page.setup(app)  # /demo/secure/{token}: stand-in for the bank's secure page
    return app


def describe_llm(setup: LlmSetup | None) -> str:
    """One line for `check-config`: endpoints in fallback order, deadlines, the uses switched on."""
    if setup is None:
        return "none (understanding, answers and summaries are local)"
    endpoints = " -> ".join(f"{e.name} ({e.model}, {e.timeout_s:g}s{', key set' if e.api_key else ''})"
                            for e in setup.endpoints)
    uses = ", ".join(name for name, on in setup.uses.model_dump().items() if on) or "nothing"
    return f"{endpoints}; total {setup.total_timeout_s:g}s; used for {uses} (from {setup.source})"


def loggable_path(request: web.BaseRequest) -> str:
    """The request's path as logs may show it: the route's template (`/demo/secure/{token}`) when the
    path has variable parts, since those can be secrets (a secure-link token) or customer data."""
    match_info = getattr(request, "match_info", None)
    resource = match_info.route.resource if match_info is not None else None
    if isinstance(resource, web.DynamicResource):
        return resource.canonical
    return request.path


class NoQueryAccessLogger(AccessLogger):
    """Access log lines without query strings (they may carry phone numbers, DESIGN.md) and without
    the variable parts of a path (see `loggable_path`)."""

    def log(self, request, response, time):  # noqa: A002 - aiohttp's signature
        self.logger.info('%s "%s %s" %s %.1fms', request.remote, request.method, loggable_path(request),
                         response.status, time * 1000)


def _understand(args: argparse.Namespace) -> int:
    """`python gateway.py understand "<text>"`: one JSON object with what the bot makes of a message."""
    if not args.text:
        print("sahayak: understand needs the message text", file=sys.stderr)
        return 2
    try:
        settings = load_settings(os.environ, args.config)
        router = Router.from_catalogue(settings.intent_catalogue)
        result = understand_text(args.text, router, current_language=args.language)
    except (SettingsError, ConfigError, ValueError) as e:
        print(f"sahayak: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gateway.py", description="Sahayak conversational gateway")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "check-config", "understand"])
    parser.add_argument("text", nargs="?", help="understand: the customer message to analyse")
    parser.add_argument("--language", default="en", help="understand: the conversation's current language")
    parser.add_argument("--config", help="optional settings YAML (environment variables override it)")
    args = parser.parse_args(argv)
    if args.command == "understand":
        return _understand(args)
    if args.text is not None:
        parser.error(f"{args.command} takes no text")
    try:
        settings = load_settings(os.environ, args.config)
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        app = create_app(settings, os.environ)
    except (SettingsError, ConfigError) as e:
        print(f"sahayak: configuration error: {e}", file=sys.stderr)
        return 2
    if args.command == "check-config":
        print(f"configuration OK: persona {app[PERSONA].id!r} from {settings.personalities_dir}, "
              f"{'PostgreSQL + Redis' if settings.scale_out else 'embedded SQLite'} stores, "
              f"demo mode {'on' if settings.demo else 'off'}")
        registry = app[PERSONAS]
        print(f"personas ({len(registry)}):")
        for persona_id in registry.ids:
            persona = registry[persona_id]
            served = "  (served)" if persona_id == settings.persona else ""
            print(f"  {persona_id}: {persona.name} [{', '.join(persona.languages)}] "
                  f"workflows: {', '.join(persona.workflows)}{served}")
        print(f"knowledge: {len(app[KNOWLEDGE].sections)} sections from {settings.knowledge_dir}")
        print(f"llm: {describe_llm(app[LLM_SETUP])}")
        print(f"workflows ({len(registry.workflows)}):")
        for workflow_id, workflow in sorted(registry.workflows.items()):
            print(f"  {workflow_id}: {workflow.name} ({len(workflow.steps)} steps; "
                  f"intents: {', '.join(workflow.intents)})")
        return 0
    # aiosqlite runs each statement on a helper thread; under load the event loop holds the GIL and
    # the helper waits out the 5 ms default switch interval for every statement. 0.5 ms measured
    # +25% turns/s on the embedded store (README, Benchmark).
    sys.setswitchinterval(0.0005)
    print(f"Sahayak serving on http://{settings.host}:{settings.port}/  (data in {Path(settings.data_dir).resolve()})")
    web.run_app(app, host=settings.host, port=settings.port, access_log_class=NoQueryAccessLogger, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
