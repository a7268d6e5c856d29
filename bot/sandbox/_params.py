"""Decoding a Bot API call's parameters the way Telegram does, whatever body PTB sends.

PTB 22 (telegram/request/_httpxrequest.py and _requestparameter.py) POSTs every call with an
``application/x-www-form-urlencoded`` body, or ``multipart/form-data`` when a file is uploaded
(the file part is named after the parameter, e.g. ``photo``, or ``attached<hex>`` behind an
``attach://`` value). Every value is a string: plain strings as they are, everything else
JSON-encoded (``chat_id=123``, ``disable_notification=true``, ``reply_markup={...}``). Telegram
also takes JSON bodies and GET query strings; ``read_params`` accepts all four into ``Params``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.state import ApiError

__all__ = ["Params", "Upload", "read_params"]

_INT_RE = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Upload:
    """A file sent as a multipart part."""

    filename: str
    content: bytes


class Params:
    """A Bot API call's parameters, decoded the way Telegram decodes them.

    Values arrive as JSON values (JSON body) or as strings (query, form, multipart), where
    anything that is not a string was JSON-encoded by the client.
    """

    def __init__(self, values: Mapping[str, Any], files: Mapping[str, Upload]) -> None:
        self.values = dict(values)
        self.files = dict(files)

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, *, required: str | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise ApiError(400, required)
            return None
        if isinstance(value, bool):
            raise ApiError(400, f"Bad Request: invalid {name} specified")
        if isinstance(value, int):
            return value
        try:
            return int(float(value)) if isinstance(value, float) else int(str(value).strip())
        except ValueError:
            raise ApiError(400, f"Bad Request: invalid {name} specified") from None

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"Bad Request: invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json_value(self, name: str, error: str) -> Any:
        """A parameter that is an object or array, JSON-encoded when it came as a string."""
        value = self.values.get(name)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError(400, error) from None
        return value

    def chat_ref(self) -> int | str | None:
        """``chat_id`` as an int, or the ``@username`` (or junk) string as given."""
        value = self.values.get("chat_id")
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        text = str(value).strip()
        return int(text) if _INT_RE.fullmatch(text) else text


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON object") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            values.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    with value.file as handle:
                        files[key] = Upload(value.filename, handle.read())
                elif isinstance(value, bytes | bytearray):
                    values[key] = bytes(value).decode("utf-8", "replace")
                else:
                    values[key] = value
    return Params(values, files)
