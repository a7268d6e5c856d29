"""The core's use cases, over a database session: what handlers, jobs and the CLI call.

Each function takes what it needs (a session, a fetcher) and returns plain values; none talks
to Telegram. Sending is the outbox's job (``jobs/deliver.py``).
"""
