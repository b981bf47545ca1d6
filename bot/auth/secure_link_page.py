"""The demo stand-in for the bank's secure page (demo mode only): where a secure link lands.

In a deployment the link points at the bank's own page (SAHAYAK_SECURE_LINK_BASE). In demo mode it
points here, so the whole flow (the bot sends a link by SMS, the customer opens it, finishes, goes
back to the chat) can be tried without a bank:

    GET  /demo/secure/{token}   says what the link is for, with a button
    POST /demo/secure/{token}   completes the link (atomic, single use): "Done. You can go back to the chat."

GET never completes anything: SMS apps and chat previews fetch links on their own, and that must
not use the link up. An unknown, expired or used token gets the same 404 page, so a guesser learns
nothing. The token is in the path, so the page sends no Referer on, is never cached, and the access
log writes the route's template instead of the path (see `gateway.loggable_path`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import time

from aiohttp import web

from bot.appkeys import STORES

PATH = "/demo/secure/{token}"

# purpose -> (heading, what the real page would be, button)
PURPOSES: dict[str, tuple[str, str, str]] = {
    "password_reset": ("Reset your password", "your bank's password-reset page", "Set a new password"),
    "pin_change": ("Change your card PIN", "your bank's card PIN change page", "Set a new PIN"),
    "card_limits": ("Change your card limits", "your bank's card-limits page", "Save new limits"),
}

INVALID = ("This link is not valid",
           "It may have expired or already been used. Ask in the chat for a new one.")

_STYLE = """
:root { --accent: #0b4f9c; --accent-dark: #07386f; --text: #1b2433; --muted: #5b6577; --line: #e2e7ef;
  color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif;
  color: var(--text); background: #f4f6fa; }
.topbar { background: linear-gradient(135deg, var(--accent), var(--accent-dark)); color: #fff; }
.wrap { max-width: 560px; margin: 0 auto; padding: 0 20px; }
.topbar .wrap { display: flex; align-items: center; gap: 12px; padding-top: 16px; padding-bottom: 16px; }
.logo { display: grid; place-items: center; width: 40px; height: 40px; border-radius: 10px;
  background: rgba(255, 255, 255, .16); font-weight: 700; }
.brand { font-size: 20px; font-weight: 650; margin: 0; }
.tag { margin-left: auto; font-size: 13px; border: 1px solid rgba(255,255,255,.4); border-radius: 999px;
  padding: 2px 10px; }
main.wrap { padding-top: 36px; padding-bottom: 48px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 14px; padding: 20px 22px; }
h1 { font-size: 24px; line-height: 1.25; margin: 0 0 12px; }
p { margin: 0 0 16px; }
.small { font-size: 14px; color: var(--muted); margin: 0; }
button { font: inherit; font-weight: 600; color: #fff; background: var(--accent); border: 0; border-radius: 10px;
  padding: 10px 18px; cursor: pointer; margin-bottom: 16px; }
button:hover { background: var(--accent-dark); }
"""

# No script at all, and the one inline style allowed by its hash rather than 'unsafe-inline'.
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def _page(status: int, heading: str, body_html: str) -> web.Response:
    text = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>{html.escape(heading)} · Sahayak Demo Bank</title>
  <link rel="icon" href="data:,">
  <style>{_STYLE}</style>
</head>
<body>
  <header class="topbar"><div class="wrap">
    <div class="logo" aria-hidden="true">SD</div>
    <p class="brand">Sahayak Demo Bank</p>
    <span class="tag">Demo: no real accounts</span>
  </div></header>
  <main class="wrap"><div class="card">
    <h1>{html.escape(heading)}</h1>
    {body_html}
  </div></main>
</body>
</html>
"""
    return web.Response(status=status, text=text, content_type="text/html", charset="utf-8", headers=HEADERS)


def _invalid() -> web.Response:
    heading, detail = INVALID
    return _page(404, heading, f"<p>{html.escape(detail)}</p>")


async def show(request: web.Request) -> web.Response:
    links = request.app[STORES].secure_links
    record = await links.open(request.match_info["token"], now=time.time())
    if record is None or record.purpose not in PURPOSES:
        return _invalid()
    heading, real_page, button = PURPOSES[record.purpose]
    return _page(200, heading, f"""<p>In a real deployment this is {html.escape(real_page)}.</p>
    <form method="post"><button type="submit">{html.escape(button)}</button></form>
    <p class="small">Nothing is changed in this demo; the link works once.</p>""")


async def complete(request: web.Request) -> web.Response:
    links = request.app[STORES].secure_links
    record = await links.complete(request.match_info["token"], now=time.time())
    if record is None:
        return _invalid()
    return _page(200, "Done", "<p>Done. You can go back to the chat.</p>")


def setup(app: web.Application) -> None:
    """Mount the stand-in page; the gateway calls this in demo mode only."""
    app.router.add_get(PATH, show)
    app.router.add_post(PATH, complete)
