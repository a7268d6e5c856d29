"""The two ways the sandbox says no: a Bot API error answer and a bad control request.

``ApiError`` becomes ``{"ok": false, "error_code": ..., "description": ...}`` on the Bot API side;
``ControlError`` becomes ``{"error": ...}`` with HTTP 400 or 404 on the control side.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "ControlError", "flood_error"]

JSON = dict[str, Any]


class ApiError(Exception):
    """A Bot API error answer: HTTP status, Telegram's description, optional parameters."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def to_api(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class ControlError(Exception):
    """A control-API request the sandbox cannot carry out (HTTP 400 or 404)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def flood_error(retry_after: int) -> ApiError:
    """The 429 answer Telegram gives when a rate is exceeded."""
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )
