"""A small keyword intent matcher for the workflows' intents, in English, Hindi and Hinglish.

It is deliberately simple and local; the full router (a trained classifier over the intent
catalogue, with confidence and clarifying questions) replaces it without changing the graph."""

from __future__ import annotations

import re

from i18n.catalog import all_translations

_KEYWORDS: dict[str, tuple[str, ...]] = {
    # A question about the bank's rules, not the customer's own account: the knowledge base answers it
    # ("minimum balance kitna rakhna hai" is not a balance enquiry).
    "knowledge": ("minimum balance", "charges", "charge for", "fees", "fee for", "timings", "timing",
                  "ombudsman", "kyc", "documents needed", "documents required", "branch open", "bank open",
                  "shulk", "शुल्क", "न्यूनतम शेष", "लोकपाल"),
    "human": ("agent", "human", "customer care", "person", "representative", "officer", "advisor", "adviser",
              "सलाहकार", "एजेंट",
              "इंसान", "कस्टमर केयर", "insaan", "kisi se baat"),
    "resend_otp": ("resend", "new otp", "new code", "didn't get", "did not get", "not received",
                   "दोबारा", "नहीं मिला", "nahi mila", "phir se bhejo"),
    "failed_transfer": ("not credited", "failed transfer", "transfer failed", "upi failed", "imps failed",
                        "payment failed", "debited but", "money deducted", "amount deducted", "not reached",
                        "paisa kat gaya", "paise kat gaye", "paise nahi pahunche", "पैसे कट गए", "पैसा कट गया",
                        "क्रेडिट नहीं हुआ"),
    "report_fraud": ("fraud", "scam", "hacked", "not me", "unauthorised", "unauthorized", "someone used",
                     "stolen money", "dhokha", "धोखा", "फ्रॉड", "धोखाधड़ी"),
    "dispute_transaction": ("dispute", "don't recognise", "don't recognize", "do not recognise",
                            "do not recognize", "didn't make", "did not make", "wrong charge", "charged twice",
                            "unknown transaction", "maine nahi kiya", "मैंने नहीं किया", "विवाद"),
    "unblock_card": ("unblock", "activate my card", "card is blocked", "card blocked", "अनब्लॉक"),
    "block_card": ("block my card", "block card", "block the card", "block my debit card",
                   "block my credit card", "lost my card", "lost card", "card stolen", "stolen card",
                   "card lost", "card kho gaya", "card block karo", "कार्ड ब्लॉक", "कार्ड खो गया"),
    "change_pin": ("change pin", "change my pin", "reset pin", "set pin", "new pin", "forgot pin",
                   "pin change", "पिन बदल", "पिन"),
    # Only a card's limits: "what is the UPI limit" is a policy question for the knowledge base.
    "card_limits": ("card limit", "card limits", "my card's limit", "limit on my card", "limits on my card",
                    "atm limit", "my limits", "कार्ड लिमिट", "कार्ड की सीमा", "card ki limit"),
    "login_problem": ("can't log in", "cannot log in", "can't login", "cannot login", "unable to login",
                      "unable to log in", "login", "log in", "sign in", "locked out", "password",
                      "net banking", "app not working", "लॉगिन", "पासवर्ड"),
    "email_statement": ("email statement", "statement by email", "statement on email", "email me",
                        "mail me", "send statement", "full statement", "ईमेल"),
    "mini_statement": ("mini statement", "mini-statement", "मिनी स्टेटमेंट"),
    "recent_transactions": ("transaction", "statement", "recent", "history", "last payments",
                            "लेनदेन", "स्टेटमेंट", "लेन-देन", "len den", "lenden"),
    "balance": ("balance", "how much money", "bal", "बैलेंस", "शेष", "कितना पैसा", "कितने पैसे",
                "kitna paisa", "kitne paise", "paisa kitna"),
    "investment_advice": ("should i invest", "should i buy", "should i sell", "should i switch", "recommend",
                          "which fund", "best fund", "good fund", "where to invest", "where should i invest",
                          "kaunsa fund", "kahan invest", "kis fund", "कौन सा फंड", "कहाँ निवेश", "सलाह दो"),
    "sip_status": ("sip", "sips", "एसआईपी"),
    "nav": ("nav", "net asset value", "एनएवी"),
    "portfolio": ("portfolio", "investments", "investment", "mutual fund", "mutual funds", "holdings",
                  "निवेश", "पोर्टफोलियो", "म्यूचुअल फंड"),
    "loan_emi": ("emi", "loan", "outstanding", "लोन", "ईएमआई", "किस्त", "kist"),
    "greeting": ("hi", "hello", "hey", "namaste", "namaskar", "good morning", "good evening",
                 "नमस्ते", "नमस्कार", "हेलो", "हाय"),
}
# intent -> the catalog key of its button label (a tapped label is that intent, in every language).
_BUTTONS = {
    "balance": "btn_balance", "recent_transactions": "btn_recent", "human": "btn_human",
    "resend_otp": "btn_resend", "mini_statement": "btn_mini_statement", "email_statement": "btn_email_statement",
    "block_card": "btn_block_card", "unblock_card": "btn_unblock_card", "change_pin": "btn_change_pin",
    "card_limits": "btn_card_limits", "login_problem": "btn_login_problem", "report_fraud": "btn_report_fraud",
    "dispute_transaction": "btn_dispute", "failed_transfer": "btn_failed_transfer", "portfolio": "btn_portfolio",
    "sip_status": "btn_sip_status", "nav": "btn_nav", "loan_emi": "btn_loan_emi",
    "investment_advice": "btn_investment_advice",
}
BUTTON_KEYS = _BUTTONS  # for the clarifying question (bot/graph/conversation.py)


def is_other_button(text: str) -> bool:
    """The clarifying question's "Something else": not a request, so nothing is guessed from it."""
    return text.strip() in all_translations("btn_other")


def _pattern(words: tuple[str, ...]) -> re.Pattern:
    # Latin keywords match on word boundaries; Devanagari ones as substrings (no \b for matras).
    alternatives = [rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w in words]
    return re.compile("|".join(alternatives), re.IGNORECASE)


_PATTERNS = {intent: _pattern(words) for intent, words in _KEYWORDS.items()}


def match_intent(text: str) -> str:
    stripped = text.strip()
    for intent, key in _BUTTONS.items():
        if stripped in all_translations(key):
            return intent
    for intent, pattern in _PATTERNS.items():  # ordered: the more specific intents first
        if pattern.search(stripped):
            return intent
    return "unknown"
