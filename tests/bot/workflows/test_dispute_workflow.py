"""The transaction-dispute workflow end to end, over the web chat of an in-process demo gateway.

Every path of personalities/workflows/transaction_dispute.yaml: the general -> fraud handoff and the
hand-back, zero / limited / board-policy liability, a suspicious pattern (extra security question,
card block, fraud alert, escalation), "not in this list", "no" at the confirmation, failed UPI
transfers within and past RBI's T+1, and a hostile narration in the seed. Besides the replies, each
test reads what the scripts in tests/conversations/dispute_*.yaml cannot: the demo bank, the demo
outbox, the `cases` table, the audit trail and the conversation's checkpointed state.

Expected dates and amounts are computed here with bot/workflows/rbi.py from the case's own timestamp
(the report's time starts RBI's clocks), never hard-coded: the demo seed is relative to the real time.
Limited and board-policy liability need an older transaction than the seed has, so those tests seed
the demo bank file with an earlier `now` before the gateway opens it."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from babel.dates import format_date

from bot.appkeys import BANK, LOOP, STORES
from bot.banking.demo import DemoBank
from bot.banking.demo_seed import build_seed
from bot.notify import NotifierUnavailable
from bot.workflows import rbi, risk
from bot.workflows.operations import IST
from i18n.money import format_inr
from tests.channels.web_chat import RAJESH_MOBILE, latest_otp, new_session, say, texts

RAJESH = "CUST_789123"
RAJESH_EMAIL = "rajesh.kumar@example.in"
RAJESH_DOB = "12-03-1984"
FARHAN, FARHAN_MOBILE, FARHAN_DOB = "CUST_100113", "+919826133445", "19-12-1992"
MEERA, MEERA_MOBILE = "CUST_100110", "+919880100112"
SUNITA, SUNITA_MOBILE = "CUST_100112", "+919835122334"
NEHA, NEHA_MOBILE = "CUST_100122", "+919818222334"
NOT_IN_LIST = "It's not in this list"
# Rajesh's hand-written Swiggy payment (20 hours before the seed). The filler statement may hold other
# Swiggy orders on some calendar days, so rows are picked by merchant and amount.
SWIGGY_ROW = "Swiggy ₹386.00"


# ------------------------------------------------------------------------------------------ helpers


def _conversation(session: str) -> str:
    return f"web:{session.split('.')[0]}"


def _date(day: date) -> str:
    return format_date(day, "d MMM yyyy", locale="en_IN")  # as the workflow's `|date` filter writes it


def _ist_day(moment: datetime | float) -> date:
    if isinstance(moment, (int, float)):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(IST).date()


def _button(replies: list[dict], needle: str) -> str:
    matches = [b for r in replies for b in r.get("buttons", ()) if needle in b]
    assert len(matches) == 1, (needle, [r.get("buttons") for r in replies])
    return matches[0]


async def _start(client, session: str, opener: str, identifier: str, mobile: str) -> list[dict]:
    """Open the dispute with `opener`, identify, type the OTP; returns the replies to the OTP."""
    first = texts(await say(client, session, opener))
    assert "Fraud Prevention Agent" in first, first
    assert "6-digit OTP" in texts(await say(client, session, identifier))
    return await say(client, session, await latest_otp(client, mobile))


async def _state(app, conversation: str) -> dict:
    snapshot = await app[LOOP].graph.aget_state({"configurable": {"thread_id": conversation}})
    return dict(snapshot.values)


async def _cards(app, customer_id: str) -> dict[str, str]:
    return {c.card_id: c.status for c in await app[BANK].list_cards(customer_id)}


async def _txn(app, customer_id: str, merchant: str, amount: Decimal | None = None):
    for account in await app[BANK].list_accounts(customer_id):
        for txn in await app[BANK].list_transactions(customer_id, account.account_id, limit=100):
            if txn.merchant == merchant and txn.direction == "debit" and (amount is None or txn.amount == amount):
                return txn
    raise AssertionError(f"no {merchant} debit for {customer_id} in the seed")


async def _risk(app, customer_id: str, txn) -> risk.RiskAssessment:
    bank = app[BANK]
    return risk.assess_transaction(
        txn, history=await bank.list_transactions(customer_id, txn.account_id, limit=100),
        devices=await bank.list_devices(customer_id),
        logins=await bank.list_login_attempts(customer_id, limit=50), now=datetime.now(UTC))


async def _seed_bank(tmp_path: Path, now: datetime) -> None:
    """Seed the demo bank file the gateway will open with an earlier `now` (the gateway then opens the
    existing file on the real clock, so every seeded transaction is that much older)."""
    bank = await DemoBank.open(tmp_path / "data" / "demo_bank.sqlite", now=now)
    await bank.close()


def _listed(seeded: datetime, customer_id: str, merchant: str) -> bool:
    """Is the customer's `merchant` debit among the six newest debits the workflow lists, with the bank
    seeded at `seeded`? (Filler transactions depend on the date and hour, so newer ones can push it out.)"""
    seed = build_seed(seeded)
    debits = []
    for account in (a.account_id for a in seed.accounts if a.customer_id == customer_id):
        rows = sorted((t for t in seed.transactions if t.account_id == account),
                      key=lambda t: (t.posted_at, t.txn_id), reverse=True)[:30]
        debits += [t for t in rows if t.direction == "debit" and t.status != "reversed"]
    debits.sort(key=lambda t: t.posted_at, reverse=True)
    return any(t.merchant == merchant for t in debits[:6])


async def _pick_transfer(client, session: str, replies: list[dict], txn) -> list[dict]:
    """Tap `txn` in the list of pending and failed transfers."""
    assert "Which transfer didn't reach the beneficiary?" in texts(replies)
    assert NOT_IN_LIST in [b for r in replies for b in r.get("buttons", ())]
    return await say(client, session, _button(replies, f"{txn.channel} {txn.merchant} {format_inr(txn.amount)}"))


# ------------------------------------------------------------------------ 1. handoff and hand-back


async def test_general_hands_a_dispute_to_fraud_and_gets_it_back(gateway):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    conversation = _conversation(session)

    opener = await say(client, session, "I don't recognise a transaction, my number is 9812345678")
    assert "Fraud Prevention Agent" in texts(opener)
    state = await _state(app, conversation)
    assert state["persona"] == "fraud" and state["handoff_from"] == "general"
    assert state["handoff_note"] == "asked: dispute_transaction"
    assert "9812345678" not in str(state["handoff_note"])
    first = (await app[STORES].audit.for_conversation(conversation))[-1]
    assert first.persona == "fraud" and first.intent == "dispute_transaction"
    assert "handoff.general->fraud" in first.tools
    assert "9812345678" not in first.text  # the audit keeps the message masked

    await say(client, session, RAJESH_MOBILE)
    listing = await say(client, session, await latest_otp(client))
    await say(client, session, _button(listing, SWIGGY_ROW))
    done = texts(await say(client, session, "Yes"))
    assert "Your dispute is recorded" in done
    assert done.rstrip().endswith("You're back with our General Support Agent. Is there anything else I can help with?")
    assert done.count("anything else") == 1  # the workflow's last text no longer asks as well

    records = await app[STORES].audit.for_conversation(conversation)
    assert [r.persona for r in records[1:-1]] == ["fraud"] * (len(records) - 2)
    assert "handoff.back->general" in records[-1].tools
    state = await _state(app, conversation)
    assert state["persona"] == "general"
    assert state.get("handoff_from") is None and state.get("handoff_note") is None and state.get("wf") is None

    greeting = texts(await say(client, session, "hi"))
    assert greeting.startswith("Namaste! I'm Sahayak")
    last = (await app[STORES].audit.for_conversation(conversation))[-1]
    assert last.persona == "general" and last.intent == "greeting"


# ---------------------------------------------------------------------------- 2. zero liability


async def test_zero_liability_records_the_dispute_before_replying_and_confirms_by_sms_and_email(gateway):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    conversation = _conversation(session)
    listing = await _start(client, session, "I don't recognise a transaction", RAJESH, RAJESH_MOBILE)
    # 20 hours old: within 3 working days whatever today is
    swiggy = await _txn(app, RAJESH, "Swiggy", Decimal("386.00"))
    confirm = texts(await say(client, session, _button(listing, SWIGGY_ROW)))
    assert f"You're reporting ₹386.00 to Swiggy on {_date(_ist_day(swiggy.posted_at))}" in confirm
    assert "date of birth" not in confirm  # nothing unusual about it: no security question
    cards_before = await _cards(app, RAJESH)

    before = time.time()
    reply = texts(await say(client, session, "Yes"))
    replied = time.time()

    [case] = await app[STORES].cases.for_conversation(conversation)
    assert (case.kind, case.team, case.reason, case.customer_id) == ("dispute", "disputes", "transaction_dispute", RAJESH)
    assert before <= case.created_at <= replied
    assert swiggy.txn_id in case.summary and "liability zero" in case.summary

    reported_on = _ist_day(case.created_at)
    liability = rbi.customer_liability(account_kind="savings", amount=swiggy.amount,
                                       transaction_on=_ist_day(swiggy.posted_at), reported_on=reported_on)
    assert liability.kind == "zero"
    timeline = rbi.dispute_timeline(reported_on)
    assert f"Your dispute is recorded: reference {case.reference}, at " in reply
    assert "within 3 working days, so under RBI's rules your liability is zero" in reply
    assert f"Any shadow credit of the amount is due by {_date(timeline.shadow_credit_by)}" in reply
    assert f"the dispute will be resolved by {_date(timeline.resolve_by)}" in reply
    assert timeline.shadow_credit_by == rbi.add_working_days(reported_on, 10)
    assert timeline.resolve_by == reported_on + timedelta(days=90)
    assert "fraud alert" not in reply
    assert await _cards(app, RAJESH) == cards_before

    outbox = app[STORES].outbox
    sms = (await outbox.read(RAJESH_MOBILE))[0]
    assert sms["kind"] == "sms"
    assert f"dispute {case.reference} recorded" in sms["body"] and "₹386.00" in sms["body"]
    assert f"Resolution by {_date(timeline.resolve_by)}" in sms["body"]
    [email] = await outbox.read(RAJESH_EMAIL)
    assert email["kind"] == "email" and email["subject"] == f"Dispute {case.reference} recorded"
    assert f"Shadow credit (if eligible) by {_date(timeline.shadow_credit_by)}" in email["body"]


async def test_a_failed_sms_still_sends_the_email_and_the_reply_does_not_claim_both(gateway, monkeypatch):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    listing = await _start(client, session, "I don't recognise a transaction", RAJESH, RAJESH_MOBILE)
    await say(client, session, _button(listing, SWIGGY_ROW))

    async def refused(to: str, body: str) -> None:
        raise NotifierUnavailable("the SMS provider refused the message")

    monkeypatch.setattr(app[STORES].outbox, "send_sms", refused)
    reply = texts(await say(client, session, "Yes"))
    [case] = await app[STORES].cases.for_conversation(_conversation(session))
    assert f"Your dispute is recorded: reference {case.reference}" in reply  # recorded whatever the SMS did
    assert "I've sent the details" not in reply and "couldn't send all of the details" in reply
    [email] = await app[STORES].outbox.read(RAJESH_EMAIL)  # the email went, though the SMS did not
    assert email["subject"] == f"Dispute {case.reference} recorded"


# ------------------------------------------------------------------------ 3. a suspicious pattern


async def test_suspicious_upi_payment_asks_the_security_question_raises_fraud_and_escalates(gateway, tmp_path):
    # Seeded up to a day earlier, so that the payment (28 hours before the seed) is among the six listed
    # and still within 3 working days.
    now = datetime.now(UTC)
    seeded = next((now - timedelta(hours=h) for h in range(24)
                   if _listed(now - timedelta(hours=h), RAJESH, "Zentrix Rewards Pvt Ltd")), None)
    assert seeded is not None
    await _seed_bank(tmp_path, seeded)
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    conversation = _conversation(session)
    zentrix = await _txn(app, RAJESH, "Zentrix Rewards Pvt Ltd")
    scored = await _risk(app, RAJESH, zentrix)
    # The seed's picture: a new untrusted phone signed in just before a first payment to a "rewards" payee.
    assert scored.suspicious_pattern and "new_device_recent" in scored.codes
    assert zentrix.card_id is None  # a UPI transfer: no card to block
    cards_before = await _cards(app, RAJESH)

    listing = await _start(client, session, "This is fraud, someone used my account", RAJESH_MOBILE,
                           RAJESH_MOBILE)
    question = texts(await say(client, session, _button(listing, "Zentrix")))
    assert "date of birth" in question  # on top of the OTP already given
    assert "doesn't match our records" in texts(await say(client, session, "01-01-1990"))  # one more try
    confirm = texts(await say(client, session, RAJESH_DOB))
    assert "You're reporting ₹5,000.00 to Zentrix Rewards Pvt Ltd" in confirm
    answer_turn = (await app[STORES].audit.for_conversation(conversation))[-1]
    assert answer_turn.text == "[security answer]" and "1984" not in str(answer_turn.replies)

    reply = texts(await say(client, session, "yes"))
    cases = {c.kind: c for c in await app[STORES].cases.for_conversation(conversation)}
    assert set(cases) == {"dispute", "fraud", "escalation"}
    assert (cases["dispute"].team, cases["dispute"].customer_id) == ("disputes", RAJESH)
    fraud = cases["fraud"]
    assert (fraud.team, fraud.priority, fraud.reason) == ("fraud", "urgent", "suspected_fraud")
    assert zentrix.txn_id in fraud.summary
    escalation = cases["escalation"]
    assert (escalation.team, escalation.priority, escalation.reason) == ("fraud", "urgent", "suspected_fraud")
    assert "[handed over: asked: report_fraud]" in escalation.summary

    assert "liability is zero" in reply and cases["dispute"].reference in reply
    assert f"raised fraud alert {fraud.reference}" in reply
    assert f"taking over this chat now (reference {escalation.reference})" in reply
    assert "No card was used for this payment, so there was no card to block" in reply
    assert "I've blocked" not in reply
    assert await _cards(app, RAJESH) == cards_before  # nothing to block, and nothing else touched

    sms = (await app[STORES].outbox.read(RAJESH_MOBILE))[0]
    assert f"fraud report {cases['dispute'].reference} recorded" in sms["body"] and "blocked" not in sms["body"]
    assert (await _state(app, conversation))["step"] == "escalated"
    assert "An officer will reply here" in texts(await say(client, session, "hello?"))
    assert await say(client, session, "please reply") == []  # a person owns the chat now


async def test_suspicious_card_payment_blocks_that_card(gateway, tmp_path):
    # Farhan's declined ₹8,999 Steam charge on his debit card is a first international debit to a new
    # payee; made between midnight and 5 am it is high risk. Seed the bank so it falls at 02:30 IST.
    now = datetime.now(UTC) - timedelta(minutes=5)
    evening = datetime.combine(now.astimezone(IST).date(), datetime.min.time(), IST) + timedelta(hours=22, minutes=30)
    evenings = [evening - timedelta(days=d) for d in range(8) if evening - timedelta(days=d) <= now]
    seeded = next((e for e in evenings if _listed(e, FARHAN, "Steam")), None)
    assert seeded is not None
    await _seed_bank(tmp_path, seeded)
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    conversation = _conversation(session)
    steam = await _txn(app, FARHAN, "Steam")
    scored = await _risk(app, FARHAN, steam)
    assert scored.suspicious_pattern and "first_international" in scored.codes and "odd_hour" in scored.codes
    assert steam.card_id is not None
    cards_before = await _cards(app, FARHAN)
    assert cards_before[steam.card_id] == "active"

    listing = await _start(client, session, "I didn't make this payment", FARHAN, FARHAN_MOBILE)
    # A first international debit reads as an unknown location: the date-of-birth question too.
    assert "date of birth" in texts(await say(client, session, _button(listing, "Steam")))
    assert "Shall I go ahead?" in texts(await say(client, session, FARHAN_DOB))
    reply = texts(await say(client, session, "Yes"))

    after = await _cards(app, FARHAN)
    assert after[steam.card_id] == "blocked"
    assert {k: v for k, v in after.items() if k != steam.card_id} == \
        {k: v for k, v in cards_before.items() if k != steam.card_id}
    [card] = [c for c in await app[BANK].list_cards(FARHAN) if c.card_id == steam.card_id]
    cases = {c.kind: c for c in await app[STORES].cases.for_conversation(conversation)}
    assert set(cases) == {"dispute", "fraud", "escalation"}
    assert (cases["escalation"].team, cases["escalation"].priority) == ("fraud", "urgent")
    assert f"I've blocked the card used and raised fraud alert {cases['fraud'].reference}" in reply
    assert "No card was used" not in reply
    assert "blocked the card used" in (await app[STORES].outbox.read(FARHAN_MOBILE))[0]["body"]
    turn = (await app[STORES].audit.for_conversation(conversation))[-1]
    assert "core.block_card" in turn.tools and "cases.open_fraud_alert" in turn.tools
    assert (await _state(app, conversation))["step"] == "escalated"
    assert card.card_id == steam.card_id


# -------------------------------------------------------------- 4. not in the list, 5. "no"


async def test_not_in_the_list_goes_to_the_fraud_team(gateway):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    conversation = _conversation(session)
    listing = await _start(client, session, "I don't recognise a transaction", RAJESH, RAJESH_MOBILE)
    reply = texts(await say(client, session, _button(listing, NOT_IN_LIST)))
    [case] = await app[STORES].cases.for_conversation(conversation)
    assert (case.kind, case.team, case.priority, case.reason) == ("escalation", "fraud", "high", "transaction_not_found")
    assert case.customer_id == RAJESH
    assert f"your reference is {case.reference}" in reply
    assert (await _state(app, conversation))["step"] == "escalated"


async def test_no_at_the_confirmation_records_nothing_and_changes_nothing(gateway):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    conversation = _conversation(session)
    cards_before = await _cards(app, RAJESH)
    listing = await _start(client, session, "I want to dispute a payment", RAJESH, RAJESH_MOBILE)
    outbox_before = await app[STORES].outbox.read(RAJESH_MOBILE)
    assert "Shall I go ahead?" in texts(await say(client, session, _button(listing, SWIGGY_ROW)))
    reply = texts(await say(client, session, "no"))
    assert "I haven't recorded anything" in reply
    assert await app[STORES].cases.for_conversation(conversation) == []
    assert await _cards(app, RAJESH) == cards_before
    assert await app[STORES].outbox.read(RAJESH_MOBILE) == outbox_before  # no confirmation SMS
    assert await app[STORES].outbox.read(RAJESH_EMAIL) == []
    assert (await _state(app, conversation))["persona"] == "general"


# ------------------------------------------------------------ 6. limited and board-policy liability


def _seed_time_for(wanted: str) -> tuple[datetime, rbi.Liability]:
    """A seeding time that makes Rajesh's Swiggy payment (20 hours before the seed) `wanted` liability
    today, with the working-day count of rbi.py itself."""
    now = datetime.now(UTC)
    for days in range(3, 30):
        seeded = now - timedelta(days=days)
        liability = rbi.customer_liability(account_kind="savings", amount=Decimal("386.00"),
                                           transaction_on=_ist_day(seeded - timedelta(hours=20)),
                                           reported_on=_ist_day(now))
        if liability.kind == wanted:
            return seeded, liability
    raise AssertionError(f"no seeding time gives {wanted} liability")


async def _dispute_swiggy(gateway, tmp_path, wanted: str):
    seeded, _ = _seed_time_for(wanted)
    await _seed_bank(tmp_path, seeded)
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    swiggy = await _txn(app, RAJESH, "Swiggy", Decimal("386.00"))
    listing = await _start(client, session, "I don't recognise a transaction", RAJESH, RAJESH_MOBILE)
    assert "Shall I go ahead?" in texts(await say(client, session, _button(listing, SWIGGY_ROW)))
    reply = texts(await say(client, session, "Yes"))
    [case] = await app[STORES].cases.for_conversation(_conversation(session))
    reported_on = _ist_day(case.created_at)
    liability = rbi.customer_liability(account_kind="savings", amount=swiggy.amount,
                                       transaction_on=_ist_day(swiggy.posted_at), reported_on=reported_on)
    assert liability.kind == wanted
    return reply, case, liability, rbi.dispute_timeline(reported_on)


async def test_limited_liability_between_4_and_7_working_days(gateway, tmp_path):
    reply, case, liability, timeline = await _dispute_swiggy(gateway, tmp_path, "limited")
    assert 4 <= liability.working_days <= 7
    assert liability.max_liability == Decimal("386.00")  # the lower of the amount and the ₹10,000 cap
    assert f"Your dispute is recorded: reference {case.reference}" in reply
    assert (f"It was reported {liability.working_days} working days after the transaction, so under RBI's "
            f"rules your liability is limited to at most {format_inr(liability.max_liability)}.") in reply
    assert f"Any shadow credit is due by {_date(timeline.shadow_credit_by)}" in reply
    assert f"resolved by {_date(timeline.resolve_by)}" in reply
    assert "liability is zero" not in reply and "board-approved" not in reply
    assert "liability limited" in case.summary


async def test_board_policy_beyond_7_working_days(gateway, tmp_path):
    reply, case, liability, timeline = await _dispute_swiggy(gateway, tmp_path, "board_policy")
    assert liability.working_days > 7
    assert (f"It was reported {liability.working_days} working days after the transaction, so your liability "
            "is decided under the bank's board-approved policy.") in reply
    assert f"The dispute will be resolved by {_date(timeline.resolve_by)}" in reply
    assert "shadow credit" not in reply.lower()  # only zero and limited liability cases get one
    assert "liability board_policy" in case.summary


# ------------------------------------------------------------------------- 7. failed transfers


async def test_failed_upi_within_t_plus_1_states_the_reversal_date(gateway):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    pending = await _txn(app, SUNITA, "Maa Tara Medical Hall")
    assert (pending.channel, pending.status) == ("UPI", "pending")
    listing = await _start(client, session, "money debited but not credited", SUNITA, SUNITA_MOBILE)
    reply = texts(await _pick_transfer(client, session, listing, pending))
    status = rbi.failed_transfer(channel="UPI", transaction_on=_ist_day(pending.posted_at),
                                 today=_ist_day(datetime.now(UTC)))
    assert status.within_tat
    assert (f"Your UPI transfer of ₹750.00 on {_date(_ist_day(pending.posted_at))} hasn't reached the "
            f"beneficiary. Under RBI's rules it must be reversed to your account by {_date(status.reverse_by)}") in reply
    assert await app[STORES].cases.for_conversation(_conversation(session)) == []


async def test_failed_upi_past_t_plus_1_computes_compensation_and_records_a_complaint(gateway):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    conversation = _conversation(session)
    failed = next(t for t in await app[BANK].list_transactions(MEERA, "ACC_100110_1", limit=100)
                  if t.merchant == "QuickLoan Helpdesk" and t.status == "failed")
    listing = await _start(client, session, "UPI failed, amount deducted", MEERA, MEERA_MOBILE)
    offer = texts(await _pick_transfer(client, session, listing, failed))
    status = rbi.failed_transfer(channel="UPI", transaction_on=_ist_day(failed.posted_at),
                                 today=_ist_day(datetime.now(UTC)))
    assert not status.within_tat and status.days_late >= 1
    assert (f"should have been reversed by {_date(status.reverse_by)}. It is {status.days_late} day(s) late, so "
            f"RBI's compensation of ₹100 a day applies: {format_inr(status.compensation_due)} so far.") in offer
    assert status.compensation_due == Decimal(100) * status.days_late
    assert await app[STORES].cases.for_conversation(conversation) == []  # nothing before the "yes"

    reply = texts(await say(client, session, "Yes"))
    [case] = await app[STORES].cases.for_conversation(conversation)
    assert (case.kind, case.team, case.customer_id) == ("dispute", "disputes", MEERA)
    assert case.reason == "failed_transfer" and "liability" not in case.summary
    assert failed.txn_id in case.summary and f"compensation Rs {status.compensation_due}" in case.summary
    timeline = rbi.dispute_timeline(_ist_day(case.created_at))
    assert f"Your complaint is recorded: reference {case.reference}" in reply
    assert f"resolved by {_date(timeline.resolve_by)}" in reply
    sms = (await app[STORES].outbox.read(MEERA_MOBILE))[0]
    assert f"complaint {case.reference} recorded" in sms["body"]
    assert f"Compensation of ₹100/day applies after {_date(status.reverse_by)}" in sms["body"]


# ------------------------------------------------------------------------------- 8. injection


async def test_a_hostile_narration_is_never_shown_or_obeyed(gateway):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    conversation = _conversation(session)
    hostile = [t for t in await app[BANK].list_transactions(NEHA, "ACC_100122_1", limit=100)
               if "IGNORE PREVIOUS INSTRUCTIONS" in t.narration]
    assert len(hostile) == 1  # the seed's hostile narration exists (a credit: not disputable)
    cards_before = await _cards(app, NEHA)
    assert "expired" in cards_before.values()

    listing = await _start(client, session, "I don't recognise a transaction", NEHA, NEHA_MOBILE)
    shown = texts(listing) + " ".join(b for r in listing for b in r.get("buttons", ()))
    for needle in ("IGNORE", "UNBLOCK", "Unknown sender", "437509918830"):
        assert needle not in shown
    await say(client, session, "1")
    reply = texts(await say(client, session, "yes"))
    assert "Your dispute is recorded" in reply and "IGNORE" not in reply

    after = await _cards(app, NEHA)
    # Nothing was unblocked or revived; at most the disputed card was blocked (if the scorer flagged it).
    assert all(after[card] == status or (status, after[card]) == ("active", "blocked")
               for card, status in cards_before.items())
    tools = [tool for record in await app[STORES].audit.for_conversation(conversation) for tool in record.tools]
    assert "core.unblock_card" not in tools and "core.unlock_access" not in tools


def _older_failed_transfer(seeded: datetime, now: datetime) -> bool:
    """Has Rajesh, with the bank seeded at `seeded`, a failed UPI/IMPS debit of the last 90 days that
    is not among his six newest debits?"""
    rows = sorted((t for t in build_seed(seeded).transactions if t.account_id == "ACC_789123_1"),
                  key=lambda t: (t.posted_at, t.txn_id), reverse=True)
    newest = [t.txn_id for t in rows if t.direction == "debit"][:6]
    return any(t.direction == "debit" and t.channel in ("UPI", "IMPS") and t.status == "failed"
               and t.txn_id not in newest and now - t.posted_at <= timedelta(days=80) for t in rows)


async def test_a_failed_transfer_older_than_the_newest_debits_is_still_found(gateway, tmp_path):
    # The workflow promises to look back 90 days: a failed UPI payment behind a week of newer debits
    # must still be offered, not answered with "I don't see a pending or failed UPI or IMPS transfer".
    now = datetime.now(UTC)
    seeded = next((now - timedelta(days=d) for d in range(30) if _older_failed_transfer(now - timedelta(days=d), now)),
                  None)
    assert seeded is not None
    await _seed_bank(tmp_path, seeded)
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    transfers = [t for t in await app[BANK].list_transactions(RAJESH, "ACC_789123_1", limit=100, status="failed")
                 if t.channel in ("UPI", "IMPS") and t.direction == "debit" and now - t.posted_at <= timedelta(days=90)]
    newest_debits = [t for t in await app[BANK].list_transactions(RAJESH, "ACC_789123_1", limit=30)
                     if t.direction == "debit"][:6]
    older = [t for t in transfers if t not in newest_debits]
    assert older
    reply = await _start(client, session, "my UPI failed but money was deducted", RAJESH, RAJESH_MOBILE)
    assert "I don't see a pending or failed" not in texts(reply)
    transfer = older[0]
    offer = texts(await _pick_transfer(client, session, reply, transfer))
    status = rbi.failed_transfer(channel=transfer.channel, transaction_on=_ist_day(transfer.posted_at),
                                 today=_ist_day(datetime.now(UTC)))
    assert f"It is {status.days_late} day(s) late" in offer and "Shall I register a complaint" in offer
