"""The web chat widget in a real browser (Debian's Chromium driven by Playwright) against a real gateway.

The selectors are the widget's documented test hooks (data-role / data-from, listed at the top of
channels/web_static/widget.js). Playwright's CSS selectors pierce the widget's open shadow root.
"""

from __future__ import annotations

import os
import re
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import async_playwright, expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 15_000
SESSION_KEY = "sahayak.session"

# True once a customer bubble with exactly `text` has at least one non-empty bot bubble after it (the
# customer bubble is the last one with that text).
BOT_REPLIED_AFTER = """(text) => {
  const host = document.querySelector('sahayak-chat');
  if (!host || !host.shadowRoot) return false;
  const ms = [...host.shadowRoot.querySelectorAll('[data-role="message"]')];
  let i = -1;
  ms.forEach((m, k) => { if (m.dataset.from === 'customer' && m.textContent === text) i = k; });
  return i >= 0 && ms.slice(i + 1).some(m => m.dataset.from === 'bot' && m.textContent.trim() !== '');
}"""

MESSAGES = """() => [...document.querySelector('sahayak-chat').shadowRoot
  .querySelectorAll('[data-role="message"]')].map(m => [m.dataset.from, m.textContent])"""


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is required under CI=true: run `make system-deps`")
        pytest.skip("chromium not installed: run `make system-deps`")


@asynccontextmanager
async def browser_page():
    """A fresh browser (so a fresh localStorage) and one page. It collects uncaught page errors."""
    require_chromium()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1200, "height": 860})
            page.set_default_timeout(TIMEOUT_MS)
            page.errors = []
            page.on("pageerror", lambda exc: page.errors.append(str(exc)))
            yield page
        finally:
            await browser.close()


async def send(page, text: str) -> None:
    box = page.locator('[data-role="input"]')
    await box.fill(text)
    await box.press("Enter")
    await expect(box).to_have_value("")


async def wait_for_turn(page, customer_text: str) -> None:
    """The customer bubble is shown, a bot reply follows it, and the turn is over (typing hidden)."""
    await page.wait_for_function(BOT_REPLIED_AFTER, arg=customer_text, timeout=TIMEOUT_MS)
    await expect(page.locator('[data-role="typing"]')).to_be_hidden()


async def stored_session(page) -> str | None:
    return await page.evaluate(f"localStorage.getItem({SESSION_KEY!r})")


async def test_widget_chat_survives_reload(live_gateway):
    async with browser_page() as page:
        await page.goto(live_gateway + "/")
        await expect(page.locator('[data-role="panel"]')).to_be_visible()
        await expect(page.locator('[data-role="title"]')).to_have_text("Sahayak")
        await expect(page.locator('[data-role="status"]')).to_have_attribute("data-state", "online")

        # Enter sends; the customer bubble shows at once, then a bot reply after it.
        await send(page, "hi")
        await expect(page.locator('[data-role="message"][data-from="customer"]').first).to_have_text("hi")
        await wait_for_turn(page, "hi")
        session = await stored_session(page)
        assert session, "the widget should keep its session in localStorage"

        # A quick-reply chip sends its label as a message, and the chips go away.
        chips = page.locator('[data-role="chip"]')
        if await chips.count():
            label = (await chips.first.text_content()).strip()
            group = await page.locator('[data-role="chips"]').element_handle()
            await chips.first.click()
            assert not await group.evaluate("g => g.isConnected"), "chips should be removed on click"
            await wait_for_turn(page, label)

        before = await page.evaluate(MESSAGES)
        assert ["customer", "hi"] in before

        # After a reload the conversation is restored from the server (history), in the same session.
        await page.reload()
        await page.wait_for_function(
            """(n) => {
              const h = document.querySelector('sahayak-chat');
              return h && h.shadowRoot && h.shadowRoot.querySelectorAll('[data-role="message"]').length >= n;
            }""",
            arg=len(before),
        )
        after = await page.evaluate(MESSAGES)
        assert after[: len(before)] == before
        assert await stored_session(page) == session

        # Sending still works after the reload, in the same conversation. The text is markup on purpose:
        # it must be shown as text and never parsed.
        probe = '<img src=x onerror="window.__sahayakPwned=1"><b>thanks</b>'
        await send(page, probe)
        await wait_for_turn(page, probe)
        assert await stored_session(page) == session
        assert await page.evaluate("document.querySelector('sahayak-chat').shadowRoot.querySelector('img, b')") is None
        assert await page.evaluate("window.__sahayakPwned") is None
        assert page.errors == []


async def test_widget_adds_floating_launcher_when_page_has_no_element(live_gateway):
    async with browser_page() as page:
        # A page from the gateway's own origin that does not load the widget: replace it with a bare
        # "bank page" and add only the script tag. The widget must create its own floating element.
        await page.goto(live_gateway + "/healthz")
        await page.evaluate(
            """() => {
              document.documentElement.innerHTML = '<head><title>Bank</title></head><body><h1>Bank</h1></body>';
              const s = document.createElement('script');
              s.src = '/widget.js';
              document.body.appendChild(s);
            }"""
        )
        await page.wait_for_function("!!document.querySelector('sahayak-chat')")
        launcher = page.locator('[data-role="launcher"]')
        panel = page.locator('[data-role="panel"]')
        await expect(launcher).to_be_visible()
        await expect(launcher).to_have_attribute("aria-expanded", "false")
        await expect(panel).to_be_hidden()

        await launcher.click()
        await expect(panel).to_be_visible()
        await expect(page.locator('[data-role="input"]')).to_be_focused()
        await send(page, "hi")
        await wait_for_turn(page, "hi")

        # "End chat" forgets the session (shared computers): the view is cleared and a new session starts.
        old_session = await stored_session(page)
        await page.locator('[data-role="end"]').click()
        await expect(page.locator('[data-role="message"]')).to_have_count(0)
        await page.wait_for_function("(old) => { const s = localStorage.getItem('sahayak.session'); return !!s && s !== old; }",
                                     arg=old_session)
        await expect(page.locator('[data-role="status"]')).to_have_attribute("data-state", "online")

        await page.keyboard.press("Escape")
        await expect(panel).to_be_hidden()
        await expect(launcher).to_have_attribute("aria-expanded", "false")
        await expect(launcher).to_be_focused()
        assert page.errors == []


async def mount_widget(page, base_url: str, attributes: str) -> None:
    """A bare "bank page" on the gateway's own origin with one inline <sahayak-chat {attributes}>."""
    await page.goto(base_url + "/healthz")
    await page.evaluate(
        """(attributes) => {
          document.documentElement.innerHTML =
            '<head><title>Bank</title></head><body><sahayak-chat inline ' + attributes + '></sahayak-chat></body>';
          const s = document.createElement('script');
          s.src = '/widget.js';
          document.body.appendChild(s);
        }""",
        attributes,
    )
    await page.wait_for_function("!!customElements.get('sahayak-chat')")


async def test_widget_chrome_speaks_the_language_of_its_lang_attribute(live_gateway):
    from i18n.catalog import MESSAGES

    async with browser_page() as page:
        await mount_widget(page, live_gateway, 'lang="ta"')
        # DOM text, not pixels: this Chromium may have no Tamil font.
        await expect(page.locator('[data-role="end"]')).to_have_text(MESSAGES["widget_end_chat"]["ta"])
        await expect(page.locator('[data-role="input"]')).to_have_attribute(
            "placeholder", MESSAGES["widget_input_placeholder"]["ta"])
        await expect(page.locator('[data-role="panel"]')).to_have_attribute("lang", "ta")
        await expect(page.locator('[data-role="send"]')).to_have_attribute("aria-label", MESSAGES["widget_send"]["ta"])
        await expect(page.locator('[data-role="notice"]')).to_have_text(MESSAGES["widget_notice"]["ta"])
        await expect(page.locator('[data-role="status"]')).to_have_attribute("data-state", "online")
        await expect(page.locator('[data-role="status"]')).to_have_text(MESSAGES["widget_status_online"]["ta"])

        # The page changes the attribute: the texts follow.
        await page.evaluate("document.querySelector('sahayak-chat').setAttribute('lang', 'bn-IN')")
        await expect(page.locator('[data-role="end"]')).to_have_text(MESSAGES["widget_end_chat"]["bn"])
        await expect(page.locator('[data-role="panel"]')).to_have_attribute("lang", "bn")
        assert page.errors == []


async def test_a_first_ok_on_a_tamil_page_is_answered_in_tamil(live_gateway):
    """The widget sends its language with each message; a first message with no language of its own
    ("ok") is answered in it, so the bot's replies match the widget's chrome."""
    async with browser_page() as page:
        await mount_widget(page, live_gateway, 'lang="ta"')
        await expect(page.locator('[data-role="status"]')).to_have_attribute("data-state", "online")
        await send(page, "ok")
        await wait_for_turn(page, "ok")
        reply = await page.locator('[data-role="message"][data-from="bot"]').last.inner_text()
        assert re.search("[\u0B80-\u0BFF]", reply), reply  # Tamil script
        await expect(page.locator('[data-role="panel"]')).to_have_attribute("lang", "ta")
        assert page.errors == []


async def test_widget_chrome_follows_the_conversation_into_hindi(live_gateway):
    from i18n.catalog import MESSAGES

    async with browser_page() as page:
        await page.goto(live_gateway + "/")  # the demo page: <html lang="en">
        end, box = page.locator('[data-role="end"]'), page.locator('[data-role="input"]')
        await expect(page.locator('[data-role="status"]')).to_have_attribute("data-state", "online")
        await expect(end).to_have_text(MESSAGES["widget_end_chat"]["en"])

        await send(page, "नमस्ते")
        await wait_for_turn(page, "नमस्ते")
        await expect(end).to_have_text(MESSAGES["widget_end_chat"]["hi"])
        await expect(box).to_have_attribute("placeholder", MESSAGES["widget_input_placeholder"]["hi"])
        await expect(page.locator('[data-role="panel"]')).to_have_attribute("lang", "hi")

        # After a reload the history names the conversation's language: the chrome is Hindi again.
        await page.reload()
        await expect(page.locator('[data-role="message"][data-from="customer"]').first).to_have_text("नमस्ते")
        await expect(end).to_have_text(MESSAGES["widget_end_chat"]["hi"])
        assert page.errors == []
