"""End to end through the web chat: the account-access and investments/loans workflows, checked where a
scripted conversation cannot look (tests/conversations/access_*.yaml and invest_*.yaml cover the texts):
the demo bank's state, the demo outbox, the `cases` table, the secure-link page and the audit trail."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from decimal import Decimal

import pytest

from bot.workflows.operations import LATEST_APP_VERSION
from bot.appkeys import BANK, STORES
from bot.banking.demo import DemoBank
from bot.graph.intents import match_intent
from i18n.money import format_inr

KARTHIK = ("CUST_100102", "+919840022334", "6634")  # blocked: too many wrong PIN attempts
SOUROV = ("CUST_100117", "+919831177889", "2914")  # blocked today, same reason
SANDEEP = ("CUST_100105", "+919822055667")  # active account, two loans, no funds
HETAL = ("CUST_100106", "+919824066778")  # three SIPs (one paused), no loans
MEERA = ("CUST_100110", "+919880100112")  # sign-ins from an untrusted device behind a VPN
_URL = re.compile(r"https?://\S+?/demo/secure/([A-Za-z0-9_\-]+)")


class Chat:
    """One web chat session against the in-process gateway."""

    def __init__(self, client, session: str):
        self.client, self.session = client, session
        self.conversation = "web:" + session.split(".", 1)[0]

    @classmethod
    async def open(cls, client) -> Chat:
        resp = await client.post("/web/session", json={})
        assert resp.status == 200
        return cls(client, (await resp.json())["session"])

    async def say(self, text: str) -> str:
        resp = await self.client.post("/web/messages", json={"session": self.session, "text": text})
        assert resp.status == 200, await resp.text()
        return "\n".join(r["text"] for r in (await resp.json())["replies"])

    async def sms(self, mobile: str) -> list[str]:
        resp = await self.client.get("/demo/outbox", params={"to": mobile})
        return [m["body"] for m in (await resp.json())["messages"]]  # newest first

    async def verify(self, request: str, customer_id: str, mobile: str) -> str:
        """Ask, identify, type the OTP from the outbox; the replies to the OTP."""
        await self.say(request)
        assert "6-digit OTP" in await self.say(customer_id)
        code = next(m for b in await self.sms(mobile) if (m := re.search(r"\b(\d{6})\b", b))).group(1)
        return await self.say(code)

    async def cases(self):
        return await self.client.app[STORES].cases.for_conversation(self.conversation)

    async def audit(self):
        return await self.client.app[STORES].audit.for_conversation(self.conversation)


async def _account(client, customer_id: str):
    (account,) = await client.app[BANK].list_accounts(customer_id)
    return account


# ------------------------------------------------------------------------------ account access


@pytest.mark.parametrize("who", [KARTHIK, SOUROV], ids=["CUST_100102", "CUST_100117"])
async def test_a_wrong_pin_block_is_lifted_after_otp_and_yes_with_an_sms(gateway, who):
    customer_id, mobile, last4 = who
    client = await gateway()
    chat = await Chat.open(client)
    assert (await _account(client, customer_id)).status == "blocked"

    offer = await chat.verify("I can't log in", customer_id, mobile)
    assert f"account ending {last4} was blocked after too many wrong PIN attempts" in offer
    assert (await _account(client, customer_id)).status == "blocked"  # asking changes nothing

    assert "your access is restored" in await chat.say("yes")
    account = await _account(client, customer_id)
    assert (account.status, account.status_reason) == ("active", "")
    restored = [b for b in await chat.sms(mobile) if "was restored in chat" in b]
    assert len(restored) == 1 and f"ending {last4}" in restored[0]
    assert await chat.cases() == []
    tools = [tool for record in await chat.audit() for tool in record.tools]
    assert tools.index("confirm.yes") < tools.index("core.unlock_access") < tools.index("notify.sms")


async def test_no_to_the_unblock_leaves_the_account_blocked(gateway):
    customer_id, mobile, _ = KARTHIK
    client = await gateway()
    chat = await Chat.open(client)
    await chat.verify("locked out", customer_id, mobile)
    assert "haven't changed anything" in await chat.say("No")
    account = await _account(client, customer_id)
    assert (account.status, account.status_reason) == ("blocked", "too many wrong PIN attempts")
    assert not [b for b in await chat.sms(mobile) if "restored" in b]
    assert "core.unlock_access" not in [tool for record in await chat.audit() for tool in record.tools]


@pytest.mark.parametrize("customer_id, mobile, status, reason", [
    ("CUST_100104", "+919830044556", "blocked", "KYC expired"),
    ("CUST_100107", "+919845077889", "frozen", "court attachment order"),
    ("CUST_100111", "+919839111223", "dormant", "no customer-initiated transaction for 24 months"),
], ids=["kyc_expired", "court_order", "dormant"])
async def test_a_block_the_customer_cannot_lift_goes_to_the_accounts_team(gateway, customer_id, mobile, status,
                                                                          reason):
    client = await gateway()
    chat = await Chat.open(client)
    reply = await chat.verify("unable to login", customer_id, mobile)
    (case,) = await chat.cases()
    assert (case.kind, case.team, case.reason, case.customer_id) == ("escalation", "accounts", "account_blocked",
                                                                     customer_id)
    assert case.reference in reply and f"is {status} ({reason})" in reply
    account = await _account(client, customer_id)
    assert (account.status, account.status_reason) == (status, reason)
    assert "core.unlock_access" not in [tool for record in await chat.audit() for tool in record.tools]


async def test_suspicious_sign_ins_go_from_general_to_the_fraud_desk_and_its_team(gateway):
    customer_id, mobile = MEERA
    client = await gateway()
    chat = await Chat.open(client)
    reply = await chat.verify("I can't log in", customer_id, mobile)
    assert "Fraud Prevention Agent" in reply

    (case,) = await chat.cases()
    assert (case.team, case.priority, case.reason, case.kind) == ("fraud", "urgent", "suspicious_sign_in",
                                                                  "escalation")
    assert case.reference in reply
    records = await chat.audit()
    assert [r.persona for r in records] == ["general", "general", "fraud"]
    assert records[0].intent == "login_problem"
    tools = records[-1].tools
    handoff = tools.index("handoff.general->fraud")
    # The fraud desk ran the review again itself before escalating (the general desk's facts are not reused).
    assert "core.list_login_attempts" in tools[:handoff] and "core.list_login_attempts" in tools[handoff:]
    assert tools[-1] == "cases.open"
    assert (await _account(client, customer_id)).status == "blocked"  # the bank's own block stays

    assert case.reference in await chat.say("hello?")  # a person owns it now
    assert await chat.say("hello??") == ""


async def _reset_link_sent(client) -> tuple[Chat, str]:
    customer_id, mobile = SANDEEP
    chat = await Chat.open(client)
    troubleshooting = await chat.verify("app not working, can't sign in", customer_id, mobile)
    assert "app is up to date" in troubleshooting and "update the app" not in troubleshooting
    assert "can you sign in now?" in await chat.say("yes")
    # Sandeep's preferred language is Marathi: the link SMS goes in Marathi, whatever the chat's language.
    (sms,) = [b for b in await chat.sms(mobile) if "नेट बँकिंग पासवर्ड" in b]
    token = _URL.search(sms).group(1)
    return chat, token


async def test_a_completed_reset_link_is_seen_by_the_follow_up(gateway):
    client = await gateway()
    chat, token = await _reset_link_sent(client)
    page = await client.get(f"/demo/secure/{token}")
    assert page.status == 200 and "Reset your password" in await page.text()  # GET completes nothing
    done = await client.post(f"/demo/secure/{token}")
    assert done.status == 200 and "Done" in await done.text()
    assert (await client.post(f"/demo/secure/{token}")).status == 404  # single use

    reply = await chat.say("yes, I can sign in now")
    assert "glad you're back in" in reply and "wasn't used" not in reply
    assert "links.status" in (await chat.audit())[-1].tools
    assert await chat.cases() == []


async def test_yes_without_using_the_link_says_it_was_not_used(gateway):
    client = await gateway()
    chat, token = await _reset_link_sent(client)
    assert (await client.get(f"/demo/secure/{token}")).status == 200  # an SMS preview opening it is not a use
    reply = await chat.say("Yes")
    assert "reset link wasn't used" in reply and "glad" not in reply
    assert (await client.post(f"/demo/secure/{token}")).status == 200  # still usable until it expires


async def test_still_failing_after_the_link_goes_to_the_accounts_team(gateway):
    client = await gateway()
    chat, _ = await _reset_link_sent(client)
    reply = await chat.say("No")
    (case,) = await chat.cases()
    assert (case.team, case.reason) == ("accounts", "login_still_failing")
    assert case.reference in reply


async def test_an_outdated_app_is_named_before_the_reset_offer(gateway, make_settings):
    # No seed customer runs an old app, so this test seeds the demo bank file first and ages one device.
    path = make_settings().data_dir / "demo_bank.sqlite"
    await (await DemoBank.open(path)).close()
    with sqlite3.connect(path) as db:
        changed = db.execute("UPDATE devices SET app_version = '4.9.1', model = 'Moto G54' "
                             "WHERE customer_id = ?", (SANDEEP[0],)).rowcount
    assert changed == 1
    client = await gateway()
    chat = await Chat.open(client)
    reply = await chat.verify("can't log in", *SANDEEP)
    assert f"Your Moto G54 has app version 4.9.1; the current one is {LATEST_APP_VERSION}" in reply
    assert "app is up to date" not in reply and "secure reset link" in reply


# ----------------------------------------------------------------------------- investments and loans


async def test_portfolio_values_are_units_times_nav_with_the_disclaimer_then_back_to_general(gateway):
    customer_id, mobile = HETAL
    client = await gateway()
    chat = await Chat.open(client)
    reply = await chat.verify("show my portfolio", customer_id, mobile)
    sips = await client.app[BANK].list_sips(customer_id)
    total = Decimal("0.00")
    for sip in sips:
        value = (sip.units_held * sip.nav).quantize(Decimal("0.01"))
        total += value
        assert f"{sip.fund_name}: {sip.units_held} units × NAV {format_inr(sip.nav)} = {format_inr(value)}" in reply
    assert f"holdings ({len(sips)}), worth {format_inr(total)}" in reply
    assert "not investment advice" in reply

    assert "You're back with our General Support Agent" in await chat.say("no")
    records = await chat.audit()
    assert [r.persona for r in records] == ["investment", "investment", "investment", "general"]
    assert "handoff.general->investment" in records[0].tools
    assert "handoff.back->general" in records[-1].tools
    assert await chat.cases() == []


@pytest.mark.parametrize("request_text, answer", [
    ("my SIPs", "yes"), ("NAV of my funds", "Talk to an advisor"), ("portfolio", "मुझे सलाहकार से बात करनी है"),
], ids=["sips_yes", "nav_typed", "portfolio_hindi"])
async def test_an_advisor_request_goes_to_the_investment_advisor_team(gateway, request_text, answer):
    customer_id, mobile = HETAL
    client = await gateway()
    chat = await Chat.open(client)
    reply = await chat.verify(request_text, customer_id, mobile)
    assert "not investment advice" in reply or "निवेश सलाह नहीं" in reply
    assert await chat.cases() == []
    reply = await chat.say(answer)
    (case,) = await chat.cases()
    assert case.team == "investment_advisor" and case.customer_id == customer_id
    assert case.reference in reply
    assert (await chat.audit())[-1].persona == "investment"


def test_advisor_words_ask_for_a_person():
    for text in ("Talk to an advisor", "I need an adviser", "सलाहकार से बात करें"):
        assert match_intent(text) == "human", text


async def test_every_investment_answer_carries_the_disclaimer(gateway):
    customer_id, mobile = HETAL
    client = await gateway()
    chat = await Chat.open(client)
    replies = [await chat.verify("SIP status", customer_id, mobile)]
    for text in ("what is the NAV", "my portfolio"):  # each a new request while the advisor offer waits
        replies.append(await chat.say(text))
    headings = ("Your SIPs:", "Latest NAVs of the funds you hold:", "Your mutual fund holdings (3)")
    for heading, reply in zip(headings, replies, strict=True):
        assert heading in reply and "not investment advice" in reply, reply
    assert "(paused)" in replies[0]


async def test_no_funds_and_no_loans(gateway):
    customer_id, mobile = "CUST_100114", "+919900144556"
    client = await gateway()
    chat = await Chat.open(client)
    reply = await chat.verify("my investments", customer_id, mobile)
    assert "I don't see any mutual fund holdings or SIPs" in reply and "not investment advice" in reply
    assert "You're back with our General Support Agent" in reply
    reply = await chat.say("loan EMI")
    assert "You have no active loans with us." in reply and "OTP" not in reply


async def test_loans_show_emi_next_date_and_outstanding_from_the_bank(gateway):
    customer_id, mobile = SANDEEP
    client = await gateway()
    chat = await Chat.open(client)
    reply = await chat.verify("loan EMI", customer_id, mobile)
    loans = await client.app[BANK].list_loans(customer_id)
    assert len(loans) == 2
    for loan in loans:
        due = date.fromisoformat(loan.next_emi_date)
        assert (f"{loan.loan_id.upper()} ({loan.kind} loan): outstanding {format_inr(loan.outstanding)} of "
                f"{format_inr(loan.principal)}.\nEMI {format_inr(loan.emi)}, next due on "
                f"{due.day} {due.strftime('%b')} {due.year};") in reply
    assert "You're back with our General Support Agent" in reply
    records = await chat.audit()
    assert [r.persona for r in records] == ["investment", "investment", "general"]
