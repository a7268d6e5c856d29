"""Injected faults: the next calls of a Bot API method answer an error instead of working.

The control API arms a ``Fault`` (``POST /control/faults``); ``take_fault`` uses one up per call::

    faults = [Fault(method="sendmessage", remaining=2, status=502)]
    take_fault(faults, "sendmessage").to_error()    # ApiError(502, "Bad Gateway")

A fault with ``lose_answer=True`` lets the call work (the message is posted) and then closes
the connection without answering, as when a network drops Telegram's reply.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bot.sandbox._errors import ApiError, flood_error

__all__ = ["ERROR_PHRASES", "Fault", "take_fault"]

JSON = dict[str, Any]

# The description a fault answers with when it was given none.
ERROR_PHRASES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Fault:
    """The next ``remaining`` calls of ``method`` (lower case; None: any) answer ``status``, or
    work but get no answer (``lose_answer``)."""

    method: str | None
    remaining: int
    status: int
    retry_after: int | None = None
    description: str | None = None
    lose_answer: bool = False

    def to_error(self) -> ApiError:
        if self.status == 429:
            return flood_error(max(1, self.retry_after or 1))
        phrase = ERROR_PHRASES.get(self.status, "Error")
        return ApiError(self.status, self.description or phrase)

    def to_json(self) -> JSON:
        return dataclasses.asdict(self)


def take_fault(faults: list[Fault], method: str) -> Fault | None:
    """The first armed fault for ``method`` (lower case), used up by one call."""
    for fault in faults:
        if fault.method in (None, method) and fault.remaining > 0:
            fault.remaining -= 1
            if fault.remaining == 0:
                faults.remove(fault)
            return fault
    return None
