"""The demo stand-in for the bank's secure page, its settings, and that no log line carries the token."""

from __future__ import annotations

import asyncio
import html
import logging
import time

import pytest
from aiohttp.test_utils import TestServer

from bot.appkeys import STORES
from bot.settings import SettingsError, load_settings

PAGE = "/demo/secure/"
RAJESH = "CUST_789123"


async def _issue(client, purpose: str = "password_reset", *, now: float | None = None) -> tuple[str, str]:
    link = await client.app[STORES].secure_links.issue(
        customer_id=RAJESH, purpose=purpose, conversation="web:test", now=time.time() if now is None else now)
    return link.link_id, link.url.rsplit("/", 1)[1]


async def _status(client, link_id: str) -> str:
    return await client.app[STORES].secure_links.status(link_id, now=time.time())


@pytest.mark.parametrize("purpose, real_page", [
    ("password_reset", "your bank's password-reset page"),
    ("pin_change", "your bank's card PIN change page"),
    ("card_limits", "your bank's card-limits page"),
])
async def test_open_shows_the_purpose_and_post_completes_once(gateway, purpose, real_page):
    client = await gateway()
    link_id, token = await _issue(client, purpose)
    for _ in range(2):  # SMS apps prefetch links: a GET must never use one up
        page = await client.get(PAGE + token)
        body = await page.text()
        assert page.status == 200 and page.content_type == "text/html"
        assert f"In a real deployment this is {real_page}." in html.unescape(body)
        assert '<form method="post">' in body
    assert await _status(client, link_id) == "pending"
    assert "<script" not in body and token not in body
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]

    done = await client.post(PAGE + token)
    assert done.status == 200 and "Done. You can go back to the chat." in await done.text()
    assert await _status(client, link_id) == "completed"


async def test_used_expired_and_unknown_tokens_get_the_same_404(gateway):
    client = await gateway()
    _, used = await _issue(client, "pin_change")
    assert (await client.post(PAGE + used)).status == 200
    _, expired = await _issue(client, "card_limits", now=time.time() - 3600)
    _, valid = await _issue(client)
    unknown = valid[:-1] + ("A" if valid[-1] != "A" else "B")
    answers = []
    for token in (used, expired, unknown, "not-a-token"):
        for method in (client.get, client.post):
            resp = await method(PAGE + token)
            answers.append((resp.status, await resp.text()))
    assert {status for status, _ in answers} == {404}
    assert len({text for _, text in answers}) == 1  # nothing tells a guesser which case it was
    assert "This link is not valid" in answers[0][1]
    assert (await client.get(PAGE + valid)).status == 200  # the near-miss did not hurt the real one


async def test_concurrent_posts_complete_once(gateway):
    client = await gateway()
    link_id, token = await _issue(client)
    answers = await asyncio.gather(*(client.post(PAGE + token) for _ in range(5)))
    assert sorted(a.status for a in answers) == [200, 404, 404, 404, 404]
    assert await _status(client, link_id) == "completed"


async def test_demo_links_point_at_the_demo_page(gateway):
    client = await gateway(public_url="https://chat.bank.example/")
    link = await client.app[STORES].secure_links.issue(customer_id=RAJESH, purpose="pin_change",
                                                       conversation="web:test", now=time.time())
    assert link.url.startswith("https://chat.bank.example/demo/secure/")


async def test_access_log_carries_the_route_not_the_token(aiohttp_client, make_settings, caplog):
    from gateway import NoQueryAccessLogger, create_app

    access = logging.getLogger("test.sahayak.access")
    server = TestServer(create_app(make_settings()))
    await server.start_server(access_log_class=NoQueryAccessLogger, access_log=access)
    client = await aiohttp_client(server)
    _, token = await _issue(client)
    with caplog.at_level(logging.INFO, logger=access.name):
        assert (await client.get(PAGE + token)).status == 200
        assert (await client.post(PAGE + token)).status == 200
        assert (await client.get(PAGE + token)).status == 404
        assert (await client.get("/healthz")).status == 200
        for _ in range(200):  # the server writes its log line just after the response: wait, bounded
            if any("/healthz" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.01)
    lines = [r.getMessage() for r in caplog.records if r.name == access.name]
    assert sum('"GET /demo/secure/{token}"' in line for line in lines) == 2
    assert sum('"POST /demo/secure/{token}"' in line for line in lines) == 1
    assert not [line for line in lines if token in line]


async def test_outside_demo_mode_links_point_at_the_bank_and_no_page_is_served(aiohttp_client, make_settings):
    from gateway import create_app

    settings = make_settings(demo=False, secret_key="k" * 40, core_banking_url="http://127.0.0.1:9/",
                             secure_link_base="https://netbanking.bank.example/secure")
    client = await aiohttp_client(create_app(settings))
    link = await client.app[STORES].secure_links.issue(customer_id=RAJESH, purpose="password_reset",
                                                       conversation="web:test", now=time.time())
    token = link.url.rsplit("/", 1)[1]
    assert link.url == f"https://netbanking.bank.example/secure/{token}"
    assert (await client.get(PAGE + token)).status == 404
    assert await client.app[STORES].secure_links.open(token, now=time.time()) is not None


# -- settings ------------------------------------------------------------------------------------

OUTSIDE_DEMO = {"SAHAYAK_CORE_BANKING_URL": "https://cbs.bank.internal/api", "SAHAYAK_SECRET_KEY": "k" * 40}


def test_secure_link_base_is_required_outside_demo_mode():
    with pytest.raises(SettingsError, match="SAHAYAK_SECURE_LINK_BASE is required outside demo mode"):
        load_settings(OUTSIDE_DEMO)
    s = load_settings({**OUTSIDE_DEMO, "SAHAYAK_SECURE_LINK_BASE": "https://netbanking.bank.example/secure/"})
    assert s.resolved_secure_link_base() == "https://netbanking.bank.example/secure/"


@pytest.mark.parametrize("url", ["http://netbanking.bank.example/secure/", "https://bank.example/reset?t=",
                                 "https://bank.example/reset#", "netbanking.bank.example/secure",
                                 "https://bank.example/a b"])
def test_secure_link_base_must_be_https_without_query_or_fragment(url):
    with pytest.raises(SettingsError, match="SAHAYAK_SECURE_LINK_BASE must be an https:// URL"):
        load_settings({**OUTSIDE_DEMO, "SAHAYAK_SECURE_LINK_BASE": url})


def test_demo_mode_defaults_to_the_demo_page_and_allows_http(tmp_path):
    demo = {"SAHAYAK_DEMO": "true", "SAHAYAK_DATA_DIR": str(tmp_path)}
    assert load_settings({**demo, "SAHAYAK_PORT": "9090"}).resolved_secure_link_base() == (
        "http://127.0.0.1:9090/demo/secure/")
    assert load_settings({**demo, "SAHAYAK_PUBLIC_URL": "https://chat.bank.example/"}).resolved_secure_link_base() \
        == "https://chat.bank.example/demo/secure/"
    local = load_settings({**demo, "SAHAYAK_SECURE_LINK_BASE": "http://localhost:8000/reset"})
    assert local.resolved_secure_link_base() == "http://localhost:8000/reset"
