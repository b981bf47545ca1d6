"""The one renderer: buttons degrade to a numbered list, long text splits on boundaries."""

from __future__ import annotations

import dataclasses

import pytest

from channels.base import Capabilities, InboundMessage, OutboundMessage, render, resolve_numbered_choice

SMS = Capabilities(buttons=False, max_text=160)
CHAT = Capabilities(buttons=True, max_buttons=3, max_text=4096)


def test_buttons_kept_where_supported():
    out = render(OutboundMessage("Anything else?", ("Balance", "Agent")), CHAT)
    assert [(r.text, r.buttons) for r in out] == [("Anything else?", ("Balance", "Agent"))]


def test_buttons_become_a_numbered_list_without_button_support():
    out = render(OutboundMessage("Anything else?", ("Balance", "Agent")), SMS)
    assert [(r.text, r.buttons) for r in out] == [("Anything else?\n\n1. Balance\n2. Agent", ())]
    assert resolve_numbered_choice("2", ("Balance", "Agent")) == "Agent"
    assert resolve_numbered_choice("482913", ("Balance", "Agent")) == "482913"


def test_too_many_buttons_also_become_a_list():
    out = render(OutboundMessage("Pick", ("a", "b", "c", "d")), CHAT)
    assert out[0].buttons == () and "4. d" in out[0].text


def test_long_text_splits_on_word_boundaries():
    text = " ".join(f"word{i}" for i in range(100))
    parts = render(OutboundMessage(text), SMS)
    assert len(parts) > 1 and all(len(p.text) <= 160 for p in parts)
    assert " ".join(p.text for p in parts) == text


def test_messages_are_frozen():
    msg = OutboundMessage("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        msg.text = "y"  # type: ignore[misc]
    assert {f.name for f in dataclasses.fields(InboundMessage)} >= {
        "channel", "conversation", "sender", "text", "message_id", "received_at", "attachments", "language_hint"}
