"""Scheduled work: thin functions over the core (poll feeds, deliver posts)."""
