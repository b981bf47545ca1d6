"""Stores behind the conversation loop; `factory.open_stores` picks them from settings."""
