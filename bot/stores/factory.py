"""The stores behind the conversation loop, chosen by settings: embedded SQLite files under the
data directory, or PostgreSQL + Redis for several gateway processes. One interface per store."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from bot.auth.otp import OtpService
from bot.auth.secure_links import SecureLinks
from bot.settings import Settings
from bot.stores.audit import AuditLog
from bot.stores.cases import Cases
from bot.stores.channel_state import ContactWindows, DeliveryStatuses, OptOuts
from bot.stores.checkpoints import postgres_checkpointer, sqlite_checkpointer
from bot.stores.claims import Claims, RedisClaims, SqlClaims
from bot.stores.email_state import EmailThreads, WebhookTokens
from bot.stores.inbox import Inbox
from bot.stores.locks import ConversationLocks
from bot.stores.notices import Notices
from bot.stores.outbox import DemoOutbox
from bot.stores.profiles import Profiles
from bot.stores.sql import PostgresDb, Sql, SqliteDb


# Worst case for delivering one turn's replies with every provider's bounded retries (SMS: 3 bodies x
# 4 tries x 15 s timeouts plus backoff).
DELIVERY_BUDGET_S = 240


@dataclass(frozen=True)
class Stores:
    db: Sql
    claims: Claims
    inbox: Inbox
    audit: AuditLog
    cases: Cases
    otp: OtpService
    locks: ConversationLocks
    checkpointer: Any
    outbox: DemoOutbox | None  # demo mode only
    redis: Any | None
    deliveries: DeliveryStatuses
    opt_outs: OptOuts
    windows: ContactWindows
    notices: Notices  # at-most-once-per-period channel notices (WhatsApp "we're back")
    email_threads: EmailThreads  # whom and under which subject to answer, per email conversation
    webhook_tokens: WebhookTokens  # replay cache of signed webhook tokens (Mailgun)
    secure_links: SecureLinks  # one-time links to the bank's page for what never happens in chat
    profiles: Profiles  # what the assistant remembers per customer (the language they asked for)


@contextlib.asynccontextmanager
async def open_stores(settings: Settings) -> AsyncIterator[Stores]:
    async with contextlib.AsyncExitStack() as stack:
        redis = None
        if settings.scale_out:
            import redis.asyncio as aioredis

            db: Sql = await PostgresDb.open(settings.postgres_url.get_secret_value())
            stack.push_async_callback(db.close)
            redis = aioredis.from_url(settings.redis_url.get_secret_value())
            stack.push_async_callback(redis.aclose)
            checkpointer = await stack.enter_async_context(
                postgres_checkpointer(settings.postgres_url.get_secret_value()))
        else:
            db = await SqliteDb.open(settings.data_dir / "sahayak.sqlite")
            stack.push_async_callback(db.close)
            checkpointer = await stack.enter_async_context(
                sqlite_checkpointer(settings.data_dir / "checkpoints.sqlite"))
        outbox = None
        if settings.demo:
            # The demo outbox is a demo convenience; it always lives in the embedded file.
            demo_db = await SqliteDb.open(settings.data_dir / "demo_outbox.sqlite")
            stack.push_async_callback(demo_db.close)
            outbox = DemoOutbox(demo_db)
            await outbox.setup()
        otp = OtpService(db, settings.resolved_secret(), ttl_s=settings.otp_ttl_s,
                         max_checks=settings.otp_max_checks, max_sends=settings.otp_max_sends)
        # The lock is held through the turn *and* the delivery of its replies (so replies of
        # consecutive turns never interleave); provider retries can take minutes in the worst case.
        lease_s = settings.turn_timeout_s + DELIVERY_BUDGET_S
        inbox = Inbox(db)
        claims: Claims = RedisClaims(redis, settings.redis_prefix, inbox) if redis is not None else SqlClaims(inbox)
        audit = AuditLog(db)
        stores = Stores(db=db, claims=claims, inbox=inbox, audit=audit, cases=Cases(db, audit), otp=otp,
                        locks=ConversationLocks(redis, settings.redis_prefix, lease_s=lease_s,
                                                wait_s=lease_s + settings.turn_timeout_s), checkpointer=checkpointer,
                        outbox=outbox, redis=redis, deliveries=DeliveryStatuses(db), opt_outs=OptOuts(db),
                        windows=ContactWindows(db), notices=Notices(db),
                        email_threads=EmailThreads(db), webhook_tokens=WebhookTokens(db),
                        secure_links=SecureLinks(db, settings.resolved_secret(),
                                                 settings.resolved_secure_link_base()),
                        profiles=Profiles(db))
        for store in (stores.inbox, stores.claims, stores.audit, stores.cases, stores.otp, stores.deliveries,
                      stores.opt_outs, stores.windows, stores.notices, stores.email_threads,
                      stores.webhook_tokens, stores.secure_links, stores.profiles):
            await store.setup()
        await stores.secure_links.prune(now=time.time())
        yield stores
