"""Callback data for inline buttons: a small codec that writes an action and its arguments into
Telegram's 64 bytes and reads back only what it wrote.

::

    PUBLISH = Callback("pub", int)            # pub:<send id>
    PUBLISH.encode(42)                        # "pub:42"
    PUBLISH.decode("pub:42")                  # (42,)
    PUBLISH.decode("pub:42;drop")             # None: not made here
    CommandHandler / CallbackQueryHandler(..., pattern=PUBLISH.pattern)

A button's data comes back from the client as it was sent, but a modified client may send
anything: :meth:`Callback.decode` returns ``None`` for whatever does not have the exact shape
(prefix, number of fields, each field's type and bounds), so handlers answer it politely and do
nothing. The role of whoever presses is checked on every press, apart from this.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["MAX_BYTES", "Callback"]

MAX_BYTES: Final = 64
"""Telegram's limit on ``callback_data``."""

_WORD: Final = re.compile(r"[A-Za-z0-9_-]{1,32}")
_INT: Final = re.compile(r"-?[0-9]{1,19}")
_INT_RANGE: Final = (-(2**63), 2**63 - 1)
_PREFIX: Final = re.compile(r"[a-z][a-z0-9]{0,11}")

Field = type[int] | type[str]


class Callback:
    """One kind of button: a prefix and the types of its fields (``int`` or ``str`` words of
    ``[A-Za-z0-9_-]``, at most 32 characters)."""

    def __init__(self, prefix: str, *fields: Field) -> None:
        if _PREFIX.fullmatch(prefix) is None:
            raise ValueError(f"bad callback prefix {prefix!r}")
        self.prefix = prefix
        self.fields = fields
        #: a regular expression for PTB's ``CallbackQueryHandler(pattern=…)``: this prefix.
        self.pattern = f"^{re.escape(prefix)}(:|$)"

    def encode(self, *values: int | str) -> str:
        """The data of a button with these values; ``ValueError`` for values that would not
        come back (a wrong type or count, a word with other characters, over 64 bytes)."""
        if len(values) != len(self.fields):
            raise ValueError(f"{self.prefix}: {len(self.fields)} values, not {len(values)}")
        parts = [self.prefix]
        for kind, value in zip(self.fields, values, strict=True):
            if kind is int:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError(f"{self.prefix}: {value!r} is not an int")
                parts.append(str(value))
            else:
                if not isinstance(value, str) or _WORD.fullmatch(value) is None:
                    raise ValueError(f"{self.prefix}: {value!r} is not a word")
                parts.append(value)
        data = ":".join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"{self.prefix}: callback data over {MAX_BYTES} bytes")
        return data

    def decode(self, data: str | None) -> tuple[int | str, ...] | None:
        """The values of data this callback made, or ``None`` for anything else."""
        if not data or len(data.encode()) > MAX_BYTES:
            return None
        prefix, *parts = data.split(":")
        if prefix != self.prefix or len(parts) != len(self.fields):
            return None
        values: list[int | str] = []
        for kind, part in zip(self.fields, parts, strict=True):
            if kind is int:
                if _INT.fullmatch(part) is None:
                    return None
                number = int(part)
                if not _INT_RANGE[0] <= number <= _INT_RANGE[1]:
                    return None
                values.append(number)
            else:
                if _WORD.fullmatch(part) is None:
                    return None
                values.append(part)
        return tuple(values)

    def decode_ints(self, data: str | None) -> tuple[int, ...] | None:
        """:meth:`decode` for a callback whose fields are all ints, typed as such."""
        values = self.decode(data)
        if values is None or not all(isinstance(v, int) for v in values):
            return None
        return tuple(int(v) for v in values)
