"""What the bot makes of one message, in one place (for `python gateway.py understand` and for tests):
language and script (i18n/detect.py), intent and confidence (keywords, then the trained router), and
entities. The conversation graph uses the same pieces turn by turn."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from bot.graph.conversation import read_request
from bot.understanding.entities import extract
from bot.understanding.router import CLARIFY_BELOW, Router
from i18n.detect import LANGUAGES, detect

IST = timezone(timedelta(hours=5, minutes=30), "IST")


def understand_text(text: str, router: Router, *, current_language: str = "en") -> dict[str, Any]:
    if current_language not in LANGUAGES:
        raise ValueError(f"unknown language {current_language!r} (one of {', '.join(LANGUAGES)})")
    found = detect(text, current_language)
    request = read_request(text, router, switching=bool(found.switch_to))
    routed = request.routed or router.route(text)  # shown even when keywords decided
    return {
        "language": found.language,
        "script": found.script,
        "language_switch": found.switch_to,
        "intent": request.intent,
        # How sure: 1.0 when a keyword or button label decided; else the router's calibrated confidence.
        "confidence": 1.0 if request.decided_by == "keywords" else round(routed.confidence, 3),
        "decided_by": request.decided_by,
        "router": {"intent": routed.intent, "topic": routed.topic, "confidence": round(routed.confidence, 3),
                   "alternatives": [[name, round(p, 3)] for name, p in routed.alternatives],
                   "clarify_below": CLARIFY_BELOW},
        "entities": [e.as_json() for e in extract(text, datetime.now(IST).date())],
    }
