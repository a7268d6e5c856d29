"""Tests of the pure formatting core (bot.formatting)."""
