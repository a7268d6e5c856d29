"""newsbot: a publisher's RSS/Atom articles, condensed into posts, in its Telegram channel and
in the private chats of the readers who subscribed."""

import os

__version__ = "0.1.0"

# PTB 22 is moving its time periods (RetryAfter.retry_after, …) from int to timedelta and warns
# on every read of the old form; newsbot opts in to the new form, documented by PTB.
os.environ.setdefault("PTB_TIMEDELTA", "true")
