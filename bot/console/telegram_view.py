"""A post as Telegram shows it, for a browser: Telegram HTML → its text and entities (as the
Bot API parses it, :func:`~bot.formatting.telegram_html.parse_telegram_html`) → web HTML.

::

    post_view('<b>Rain</b> in <a href="https://x.in/a">Pune</a>')
    # Markup('<b>Rain</b> in <a href="https://x.in/a" rel="noopener …">Pune</a>')

Going through the entities, not the HTML, shows exactly what a reader sees: what Telegram
would drop (a link it cannot use, an unknown attribute) is dropped here too, and nothing of
the post's markup reaches the page unescaped. A post Telegram would refuse is shown as its
plain text with the Bot API's complaint (:attr:`PostView.problem`).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any, Final

from markupsafe import Markup

from bot.formatting.telegram_html import TelegramHTMLError, parse_telegram_html

#: entity type → the web element that shows it (and its class).
_ELEMENTS: Final[dict[str, tuple[str, str]]] = {
    "bold": ("b", ""),
    "italic": ("i", ""),
    "underline": ("u", ""),
    "strikethrough": ("s", ""),
    "spoiler": ("span", "tg-spoiler"),
    "code": ("code", ""),
    "pre": ("pre", ""),
    "blockquote": ("blockquote", ""),
    "expandable_blockquote": ("blockquote", "tg-expandable"),
    "text_link": ("a", ""),
}


@dataclass(frozen=True, slots=True)
class PostView:
    """A post ready for a page: ``html`` (safe), its visible ``text``, and ``problem`` when
    Telegram would refuse the markup (the page then shows the text alone)."""

    html: Markup
    text: str
    problem: str | None = None


def _utf16_index(text: str) -> list[int]:
    """For each UTF-16 code unit offset (and the end), the index into ``text`` it falls on."""
    index: list[int] = []
    for position, char in enumerate(text):
        index.extend([position] * (2 if ord(char) > 0xFFFF else 1))
    index.append(len(text))
    return index


def _open_tag(entity: dict[str, Any]) -> str:
    element, css = _ELEMENTS[entity["type"]]
    if element == "a":
        url = str(entity.get("url", ""))
        if not url.lower().startswith(("http://", "https://", "tg://")):
            return "<span>"
        return f'<a href="{escape(url)}" rel="noopener noreferrer nofollow" target="_blank">'
    return f'<{element} class="{css}">' if css else f"<{element}>"


def _close_tag(entity: dict[str, Any]) -> str:
    element = _ELEMENTS[entity["type"]][0]
    if element == "a" and not str(entity.get("url", "")).lower().startswith(
        ("http://", "https://", "tg://")
    ):
        return "</span>"
    return f"</{element}>"


def entities_html(text: str, entities: list[dict[str, Any]]) -> Markup:
    """``text`` with its Bot API ``entities`` as web HTML; entity types without a look of their
    own here (custom emoji, times, mentions) show as their text."""
    shown = sorted(
        (e for e in entities if e.get("type") in _ELEMENTS and e.get("length", 0) > 0),
        key=lambda e: (e["offset"], -e["length"]),
    )
    index = _utf16_index(text)
    last = len(index) - 1
    events: dict[int, tuple[list[str], list[str]]] = {}
    for entity in shown:
        start = index[min(entity["offset"], last)]
        end = index[min(entity["offset"] + entity["length"], last)]
        events.setdefault(start, ([], []))[1].append(_open_tag(entity))
        events.setdefault(end, ([], []))[0].insert(0, _close_tag(entity))
    out: list[str] = []
    position = 0
    for at in sorted(events):
        out.append(escape(text[position:at], quote=False))
        closes, opens = events[at]
        out.extend(closes)
        out.extend(opens)
        position = at
    out.append(escape(text[position:], quote=False))
    return Markup("".join(out))  # noqa: S704 - every piece above is escaped or a fixed tag


def post_view(html: str | None) -> PostView:
    """The post ``html`` (Telegram HTML) as a page shows it."""
    try:
        parsed = parse_telegram_html(html or "")
    except TelegramHTMLError as exc:
        text = html or ""
        return PostView(Markup(escape(text, quote=False)), text, exc.description)  # noqa: S704
    return PostView(entities_html(parsed.text, parsed.entities), parsed.text)
