"""Tools for bank operations staff: scripted conversations (`python -m bot.scripts.conversation`)."""
