"""The outbox's parts apart from its runtime (:mod:`jobs.deliver`): what a claimed delivery and
its outcome are (:mod:`.items`), per-chat pacing (:mod:`.pacing`), Telegram's answers by type
(:mod:`.answers`), and the claims, records and recovery in the database (:mod:`.claims`)."""
