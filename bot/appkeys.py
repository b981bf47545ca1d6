"""Typed keys for the app-scoped resources every part of the gateway shares (aiohttp `AppKey`s).

In a module of their own so channels and the gateway can both import them without a cycle."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web

from bot.banking.core import CoreBanking
from bot.knowledge.search import KnowledgeBase
from bot.understanding.router import Router
from bot.persona import PersonaRegistry, ServedPersona
from bot.settings import Settings
from bot.stores.factory import Stores

SETTINGS = web.AppKey("settings", Settings)
# The persona served, as loaded at start-up (channels read its bank name once). Turns read the
# current one from PERSONAS, which a reload swaps.
PERSONA = web.AppKey("persona", ServedPersona)
KNOWLEDGE = web.AppKey("knowledge", KnowledgeBase)
ROUTER = web.AppKey("router", Router)
PERSONAS = web.AppKey("personas", PersonaRegistry)
STORES = web.AppKey("stores", Stores)
BANK = web.AppKey("bank", CoreBanking)
HTTP = web.AppKey("http", aiohttp.ClientSession)
LOOP = web.AppKey("loop", Any)  # bot.loop.ConversationLoop (Any: the loop imports channels.base)
# voice.call.SpeechEngines (Whisper, Piper, the VAD), loaded once by the first part that needs them: the
# phone line at start-up, else WhatsApp on the first voice note. Any: importing the engines costs time.
SPEECH = web.AppKey("speech_engines", Any)
CHANNELS = web.AppKey("channels", dict)  # name -> Channel, filled as each configured channel starts
