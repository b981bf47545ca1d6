"""The sms channel (being built: see issue 3)."""

from __future__ import annotations


def setup(app, settings) -> None:
    """Off until built."""
