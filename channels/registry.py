"""The explicit list of channel modules. Each exposes `setup(app, settings)`, which adds its routes
and a cleanup_ctx entry that starts the channel (and registers it in app[CHANNELS]) only when its
settings are present. Adding a channel is one line here, never an if/elif chain elsewhere."""

from __future__ import annotations

from channels import email, sms, voice, web, whatsapp

CHANNEL_MODULES = (web, whatsapp, sms, email, voice)
