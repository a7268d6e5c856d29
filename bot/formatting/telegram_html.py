"""Telegram's ``parse_mode=HTML``, judged the way the Bot API judges it.

Usage::

    from bot.formatting.telegram_html import parse_telegram_html, TelegramHTMLError

    parsed = parse_telegram_html('<b>Hi</b> &amp; <a href="https://t.me">bye</a>')
    parsed.text      # 'Hi & bye'
    parsed.entities  # [{'type': 'bold', 'offset': 0, 'length': 2},
                     #  {'type': 'text_link', 'offset': 5, 'length': 3, 'url': 'https://t.me/'}]

    try:
        parse_telegram_html("<p>para</p>")
    except TelegramHTMLError as exc:
        exc.description  # 'Bad Request: can\\'t parse entities: Unsupported start tag "p" at byte
                         #  offset 0'

The scanner is written by hand, byte by byte, after tdlib's ``parse_html`` (the code the Bot API
server runs): ``html.parser`` is far too lenient to judge validity (it happily accepts ``<p>``,
``<br>``, unclosed tags and a bare ``<``). As in Telegram, error positions are UTF-8 byte offsets
into the HTML and entity offsets/lengths are UTF-16 code units of the visible text.

Strict mode (the default) adds four checks Telegram itself does not make, because in each case
Telegram accepts the message but shows the reader something broken, or older Bot API versions
refused it; their descriptions are the sandbox's own, worded like Telegram's:

- an ``&`` in the text that is not ``&lt; &gt; &amp; &quot;`` or a numeric reference (``&nbsp;``,
  ``AT&T``): Telegram prints it literally;
- ``<a>`` without ``href``: Telegram makes no link (unless the text itself is a URL);
- ``<tg-time>`` without a numeric ``unix`` attribute;
- an attribute without a value (``<b x>``, but ``<blockquote expandable>`` is fine): tdlib now
  ignores it, older versions refused the message ("Expected equal sign ...").

``strict=False`` follows tdlib exactly (it passes every ``check_parse_html`` case of tdlib's
``test/message_entities.cpp``, see ``tests/formatting/test_telegram_html_tdlib.py``). In both modes,
as in tdlib, a repeated attribute counts with its last value; a link Telegram cannot use
(``http://localhost/``, a host with ``"`` or a space in it, port ``99999``, ``javascript:``) is
dropped while its text stays, and ``<a>`` without ``href`` takes its text, unstripped, as the link
(``<a>telegram.org </a>`` is no link); a ``<tg-time>`` ``format`` outside ``r``/``R`` or the letters
``tTdDwW`` is refused, and ``date_time_format`` is reported the way the Bot API reports tdlib's date
flags (``r``, else ``w``, ``d``/``D``, ``t``/``T`` in that order, so ``tTdw`` is ``wdt``); a
surrogate decoded from ``&#xD800;`` is refused only once the rest of the markup is known good.

What Telegram then shows of the parsed text is tdlib's ``fix_formatted_text`` and
``clean_input_string`` (:func:`telegram_shows`, :func:`clean_input_text`): ``\r`` and U+2028 to
U+202E deleted, control characters made spaces, the ends trimmed of spaces and line breaks, the
entities moved with the text; a message text that :func:`is_empty_string` finds empty is refused.
:func:`visible` says whether a text shows a reader anything at all, and :func:`shown_html` changes
markup so that its text is exactly what Telegram shows.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ParsedText",
    "TelegramHTMLError",
    "clean_input_text",
    "is_empty_string",
    "parse_telegram_html",
    "shown_html",
    "strip_empty_characters",
    "telegram_shows",
    "visible",
]

_PREFIX = "Bad Request: can't parse entities: "

_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "tg-time",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_KINDS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
# tdlib's MessageEntity::get_type_priority: orders entities that start and end together.
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre_code": 10,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "date_time": 50,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_NAMED_ENTITIES = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}
_SPACE = frozenset(b" \t\r\n\v\f\x00")  # tdlib's is_space() includes NUL, which ends the text
_LT, _GT, _AMP, _SLASH, _EQ = (ord(c) for c in "<>&/=")
_HASH, _SEMI, _QUOTES = ord("#"), ord(";"), frozenset(b"\"'")
_TG_SCHEMES = ("tg", "ton", "tonsite")
# Where tdlib's parse_url stops reading a protocol name.
_PROTOCOL_END = frozenset(":/?#@[]")
# tdlib's parse_url: the characters a host may have besides %XX and non-ASCII (RFC 3986).
_HOST_SYMBOLS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_!$,~*'();&+=")
_HEX = frozenset("0123456789abcdef")
# Where an attribute name ends (tdlib's parse_html).
_NAME_END = frozenset(b"=>/\"'")
# tdlib's FormattedDate::DateFlags, and the Bot API letter of each, in the Bot API's order.
_RELATIVE = 1
_DATE_FLAGS = {"t": 2, "T": 4, "d": 8, "D": 16, "w": 32, "W": 32}
_MAX_USER_ID = (1 << 40) - 1  # tdlib's UserId::is_valid


class TelegramHTMLError(ValueError):
    """Markup the Bot API refuses; ``description`` is the Bot API's answer, word for word."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.description = _PREFIX + message
        super().__init__(self.description)


@dataclass(frozen=True)
class ParsedText:
    """The visible text of a message and its Bot API ``MessageEntity`` dicts."""

    text: str
    entities: list[dict[str, Any]]


@dataclass
class _Open:
    tag: str
    argument: str
    utf16_offset: int
    out_pos: int
    begin_pos: int


@dataclass
class _Entity:
    kind: str
    offset: int
    length: int
    argument: str = ""

    def to_api(self) -> dict[str, Any]:
        kind = "pre" if self.kind == "pre_code" else self.kind
        out: dict[str, Any] = {"type": kind, "offset": self.offset, "length": self.length}
        if self.kind == "pre_code":
            out["language"] = self.argument
        elif self.kind == "text_link":
            out["url"] = self.argument
        elif self.kind == "text_mention":
            out["user"] = {"id": int(self.argument), "is_bot": False, "first_name": ""}
        elif self.kind == "custom_emoji":
            out["custom_emoji_id"] = self.argument
        elif self.kind == "date_time":
            unix, _, flags = self.argument.partition(" ")
            out["unix_time"] = int(unix)
            if fmt := _date_time_format(int(flags)):
                out["date_time_format"] = fmt
        return out


def parse_telegram_html(html: str, *, strict: bool = True) -> ParsedText:
    """Parse ``html`` as the Bot API does for ``parse_mode=HTML``; raise TelegramHTMLError."""
    return _Scanner(html.encode("utf-8"), strict=strict).run()


def _decode_entity(src: bytes, pos: int) -> tuple[int, int]:
    """Decode the character reference at ``src[pos] == '&'`` like tdlib: (code or 0, end)."""
    n = len(src)
    end = pos + 1
    code = 0
    if end < n and src[end] == _HASH:
        end += 1
        if end < n and src[end] == ord("x"):
            end += 1
            while end < n and chr(src[end]) in "0123456789abcdefABCDEF":
                code = code * 16 + int(chr(src[end]), 16)
                end += 1
        else:
            while end < n and 0x30 <= src[end] <= 0x39:
                code = code * 10 + src[end] - 0x30
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while end < n and chr(src[end]).isascii() and chr(src[end]).isalpha():
            end += 1
        code = _NAMED_ENTITIES.get(src[pos + 1 : end], 0)
        if code == 0:
            return 0, pos
    if end < n and src[end] == _SEMI:
        end += 1
    return code, end


def _checked_link(link: str) -> str | None:
    """tdlib's ``LinkManager::check_link_impl``: the link Telegram keeps, normalised, or None.

    ``example.com`` becomes ``http://example.com/``; ``tg:``, ``ton:`` and ``tonsite:`` links
    become ``scheme://host[?query]`` and may have no login, port or IPv6 host, and a host of
    letters, digits, ``-`` and ``_`` only; any other link must be http(s) with a dotted host.
    Nothing is stripped: ``"telegram.org "`` has a space in its host and is no link.
    """
    lowered = link.lower()
    scheme = next((s for s in _TG_SCHEMES if lowered.startswith(s + ":")), None)
    if scheme is not None:
        link = link[len(scheme) + 1 :]
        if link.startswith("//"):
            link = link[2:]
    url = _parse_url(link)
    if url is None:
        return None
    if scheme is None:
        if "." not in url.host and not url.is_ipv6:
            return None
        login = f"{url.userinfo}@" if url.userinfo else ""
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{login}{url.host}{port}{url.path}"
    if (
        link.lower().startswith("http://")
        or url.scheme == "https"
        or url.userinfo
        or url.port
        or url.is_ipv6
    ):
        return None
    if any(
        not (c.isascii() and (c.isalnum() or c in "-_" or (c == "." and scheme == "tonsite")))
        for c in url.host
    ):
        return None
    path = url.path[1:] if url.path[1:2] == "?" else url.path
    return f"{scheme}://{url.host}{path}"


@dataclass(frozen=True)
class _Url:
    scheme: str
    userinfo: str
    host: str
    is_ipv6: bool
    port: int  # as written, 0 if none
    path: str


def _parse_url(url: str) -> _Url | None:
    """tdlib's ``parse_url`` for ``[http(s)://][userinfo@]host[:port][/path][?query][#fragment]``.

    None when the protocol is not http(s), the port is not 1 to 65535, the host is empty, holds a
    character outside RFC 3986's (besides ``%XX`` and non-ASCII) or is not a valid bracketed IPv6
    address, or the login holds one (``:`` allowed). The host comes back lower-cased, the path
    starts with ``/``, trailing spaces are dropped and other control characters escaped.
    """
    protocol_end = next((i for i, c in enumerate(url) if c in _PROTOCOL_END), len(url))
    scheme = "http"
    rest = url
    if url[protocol_end : protocol_end + 3] == "://":
        scheme = url[:protocol_end].lower()
        if scheme not in ("http", "https"):
            return None
        rest = url[protocol_end + 3 :]
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, query = rest[:end], rest[end:]
    colon = len(authority) - 1
    while colon > 0 and authority[colon] not in ":]@":
        colon -= 1
    port = 0
    if colon > 0 and authority[colon] == ":":
        digits = authority[colon + 1 :]
        while len(digits) > 1 and digits[0] == "0":
            digits = digits[1:]
        if not (digits.isascii() and digits.isdigit()) or not 0 < int(digits) <= 65535:
            return None
        port = int(digits)
        authority = authority[:colon]
    userinfo, _, host = authority.rpartition("@")
    host = "".join(c.lower() if c.isascii() else c for c in host)
    is_ipv6 = len(host) >= 2 and host[0] == "[" and host[-1] == "]"
    if is_ipv6 and not _is_ipv6(host[1:-1]):
        return None
    if not host or host == "." or (not is_ipv6 and not _is_url_part(host, colon=False)):
        return None
    if not _is_url_part(userinfo, colon=True):
        return None
    query = query.rstrip(" \t\r\n\v\f\x00") or "/"
    path = "".join(f"%{ord(c):02X}" if ord(c) <= 0x20 else c for c in query)
    if not path.startswith("/"):
        path = "/" + path
    return _Url(scheme, userinfo, host, is_ipv6, port, path)


def _is_ipv6(address: str) -> bool:
    """Whether ``address`` (without brackets) is an IPv6 address as tdlib accepts it."""
    if not address or any(c not in _HEX and c not in ":." for c in address):
        return False
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return False
    return True


def _is_url_part(part: str, *, colon: bool) -> bool:
    """Whether a host (or, with ``colon``, a login) has only RFC 3986 symbols, %XX, non-ASCII."""
    i = 0
    while i < len(part):
        c = part[i]
        if c == "%":
            if part[i + 1 : i + 2].lower() not in _HEX or part[i + 2 : i + 3].lower() not in _HEX:
                return False
            i += 3
            continue
        if c.isascii() and c.lower() not in _HOST_SYMBOLS and not (colon and c == ":"):
            return False
        i += 1
    return True


def _mention_user_id(url: str) -> int | None:
    """tdlib's ``LinkManager::get_link_user_id``: N for ``tg://user?id=N`` (any case), else None."""
    url = url.lower()
    if not url.startswith("tg:"):
        return None
    url = url[3:].removeprefix("//")
    if not url.startswith("user") or url[4:5] not in ("", "/", "?", "#"):
        return None
    url = url[4:].removeprefix("/")
    if not url.startswith("?"):
        return None
    for parameter in url[1:].split("#", 1)[0].split("&"):
        key, _, value = parameter.partition("=")
        if key == "id":
            user_id = _safe_int64(value)
            return user_id if user_id is not None and 0 < user_id <= _MAX_USER_ID else None
    return None


def _safe_int64(text: str) -> int | None:
    """tdlib's ``to_integer_safe<int64>``: the number ``text`` writes exactly (not ``007``)."""
    body = text[1:] if text.startswith("-") else text
    if not (body.isascii() and body.isdigit()):
        return None
    value = int(text)
    if str(value) != text or not -(1 << 63) <= value < 1 << 63:
        return None
    return value


def _lenient_int32(text: str) -> int:
    """tdlib's ``to_integer<int32>``: an optional ``-`` and the digits after it, 32-bit wrapped."""
    negative = text.startswith("-")
    value = 0
    for c in text[1:] if negative else text:
        if not "0" <= c <= "9":
            break
        value = (value * 10 + ord(c) - 0x30) & 0xFFFFFFFF
    if negative:
        value = -value & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _date_flags(fmt: str) -> int | None:
    """tdlib's ``FormattedDate::get_date_flags``: ``r``/``R``, or any of ``tTdDwW``; else None."""
    if fmt in ("r", "R"):
        return _RELATIVE
    flags = 0
    for c in fmt:
        if c not in _DATE_FLAGS:
            return None
        flags |= _DATE_FLAGS[c]
    return flags


def _date_time_format(flags: int) -> str:
    """The Bot API's ``date_time_format`` for tdlib's date flags (short forms win, as in tdlib)."""
    if flags & _RELATIVE:
        return "r"
    fmt = "w" if flags & _DATE_FLAGS["w"] else ""
    fmt += "d" if flags & _DATE_FLAGS["d"] else "D" if flags & _DATE_FLAGS["D"] else ""
    fmt += "t" if flags & _DATE_FLAGS["t"] else "T" if flags & _DATE_FLAGS["T"] else ""
    return fmt


class _Scanner:
    """One pass over the UTF-8 bytes of the HTML, mirroring tdlib's parse_html."""

    def __init__(self, src: bytes, *, strict: bool, spans: bool = False) -> None:
        self.src = src
        self.strict = strict
        #: With ``spans``, where each character of the text is written in ``src``: [start, end).
        self.spans: list[list[int]] | None = [] if spans else None
        self.out = bytearray()
        self.utf16 = 0
        self.stack: list[_Open] = []
        self.entities: list[_Entity] = []
        self.surrogate = False  # like tdlib, refused only after the rest of the markup is read

    def at(self, i: int) -> int:
        """The byte at ``i``, or 0 past the end (tdlib reads the C string's terminating NUL)."""
        return self.src[i] if i < len(self.src) else 0

    def run(self) -> ParsedText:
        i = 0
        n = len(self.src)
        while i < n:
            c = self.src[i]
            if c == _AMP:
                code, end = _decode_entity(self.src, i)
                if code:
                    self.surrogate = self.surrogate or 0xD800 <= code <= 0xDFFF
                    self.out += chr(code).encode("utf-8", "surrogatepass")
                    self.utf16 += 2 if code > 0xFFFF else 1
                    if self.spans is not None:
                        self.spans.append([i, end])
                    i = end
                    continue
                if self.strict:
                    raise self._entity_error(i)
            if c != _LT:
                self.out.append(c)
                if c & 0xC0 != 0x80:  # first byte of a UTF-8 sequence
                    self.utf16 += 2 if c >= 0xF0 else 1
                    if self.spans is not None:
                        self.spans.append([i, i + 1])
                elif self.spans is not None and self.spans:
                    self.spans[-1][1] = i + 1
                i += 1
                continue
            i = self._start_tag(i) if self.at(i + 1) != _SLASH else self._end_tag(i)
        if self.stack:
            raise TelegramHTMLError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        self.entities.sort(key=lambda e: (e.offset, -e.length, _PRIORITY[e.kind]))
        if self.surrogate:
            raise TelegramHTMLError(
                "Text contains invalid Unicode characters after decoding HTML entities, check for "
                "unmatched surrogate code units"
            )
        return ParsedText(
            text=self.out.decode("utf-8"), entities=[e.to_api() for e in self.entities]
        )

    def _entity_error(self, pos: int) -> TelegramHTMLError:
        end = pos + 1
        while end < len(self.src) and (chr(self.src[end]).isalnum() or self.src[end] == _HASH):
            end += 1
        if end == pos + 1:
            return TelegramHTMLError(f"Character entity expected at byte offset {pos}")
        if self.at(end) == _SEMI:
            end += 1
        name = self.src[pos:end].decode("utf-8", "replace")
        return TelegramHTMLError(f'Unsupported character entity "{name}" at byte offset {pos}')

    def _start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.at(i) not in _SPACE and self.at(i) != _GT:
            i += 1
        if self.at(i) == 0:
            raise TelegramHTMLError(f"Unclosed start tag at byte offset {begin}")
        tag = self.src[begin + 1 : i].lower().decode("utf-8", "replace")
        if tag not in _TAGS:
            raise TelegramHTMLError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        attrs: list[tuple[str, str | None]] = []
        while self.at(i) != _GT:
            i, name, value = self._attribute(i, tag, begin)
            if name is not None:
                attrs.append((name, value))
        argument = self._argument(tag, attrs, begin)
        self.stack.append(_Open(tag, argument, self.utf16, len(self.out), begin))
        return i + 1

    def _attribute(self, i: int, tag: str, begin: int) -> tuple[int, str | None, str | None]:
        """Read one attribute at ``i``; return the position after it, its name and value.

        An attribute without a value (``<b x>``) has the value None: tdlib ignores it (only
        ``<blockquote expandable>`` means something); strict mode refuses it, as tdlib once did.
        """
        while self.at(i) != 0 and self.at(i) in _SPACE:
            i += 1
        if self.at(i) == _GT:
            return i, None, ""
        name_begin = i
        while self.at(i) not in _SPACE and self.at(i) not in _NAME_END:
            i += 1
        name = self.src[name_begin:i].decode("utf-8", "replace")
        if not name:
            raise TelegramHTMLError(
                f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
            )
        while self.at(i) != 0 and self.at(i) in _SPACE:
            i += 1
        if self.at(i) == 0:
            raise TelegramHTMLError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        if self.at(i) != _EQ:
            if self.strict and not (tag == "blockquote" and name == "expandable"):
                raise TelegramHTMLError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {begin}'
                )
            return i, name, None
        i += 1
        while self.at(i) != 0 and self.at(i) in _SPACE:
            i += 1
        if self.at(i) == 0:
            raise TelegramHTMLError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        if self.at(i) not in _QUOTES:
            token_begin = i
            while chr(self.at(i)).isascii() and (chr(self.at(i)).isalnum() or self.at(i) in b".-"):
                i += 1
            if self.at(i) not in _SPACE and self.at(i) != _GT:
                raise TelegramHTMLError(
                    f"Unexpected end of name token at byte offset {token_begin}"
                )
            value = self.src[token_begin:i].lower().decode("utf-8", "replace")
        else:
            quote = self.at(i)
            i += 1
            buf = bytearray()
            while self.at(i) != quote and self.at(i) != 0:
                if self.at(i) == _AMP:
                    code, end = _decode_entity(self.src, i)
                    if code:
                        buf += chr(code).encode("utf-8", "surrogatepass")
                        i = end
                        continue
                buf.append(self.at(i))
                i += 1
            if self.at(i) == quote:
                i += 1
            value = buf.decode("utf-8", "replace")
        if self.at(i) == 0:
            raise TelegramHTMLError(f"Unclosed start tag at byte offset {begin}")
        return i, name, value

    def _argument(self, tag: str, attrs: list[tuple[str, str | None]], begin: int) -> str:
        """The one attribute value tdlib keeps for ``tag`` (href, language, emoji id...).

        Attributes are read in order and a later one overrides an earlier one, as in tdlib
        (``<a href="x" href="y">`` links to ``y``); attributes without a value are ignored.
        """
        argument = ""
        unix = fmt = ""
        for name, value in attrs:
            if name == "expandable" and tag == "blockquote":
                argument = "expandable"
            elif value is None:
                continue
            elif (tag, name) in (("a", "href"), ("tg-emoji", "emoji-id")):
                argument = value
            elif (tag, name) == ("code", "class") and value.startswith("language-"):
                argument = value[len("language-") :]
            elif (tag, name) == ("span", "class") and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif (tag, name) == ("tg-time", "unix"):
                unix = value
            elif (tag, name) == ("tg-time", "format"):
                fmt = value
        if tag == "a" and self.strict and not argument.strip():
            raise TelegramHTMLError(f'Tag "a" must have attribute "href" at byte offset {begin}')
        if tag == "span":
            if argument != "spoiler":
                raise TelegramHTMLError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
        elif tag == "tg-time":
            if self.strict and not unix.isdigit():
                raise TelegramHTMLError(
                    f'Tag "tg-time" must have attribute "unix" at byte offset {begin}'
                )
            return f"{_lenient_int32(unix)} {fmt}"
        return argument

    def _end_tag(self, begin: int) -> int:
        if not self.stack:
            raise TelegramHTMLError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while self.at(i) not in _SPACE and self.at(i) != _GT:
            i += 1
        end_tag = self.src[begin + 2 : i].lower().decode("utf-8", "replace")
        while self.at(i) != 0 and self.at(i) in _SPACE:
            i += 1
        if self.at(i) != _GT:
            raise TelegramHTMLError(f"Unclosed end tag at byte offset {begin}")
        opened = self.stack[-1]
        if end_tag and end_tag != opened.tag:
            raise TelegramHTMLError(
                f'Unmatched end tag at byte offset {begin}, expected "</{opened.tag}>", '
                f'found "</{end_tag}>"'
            )
        if self.utf16 > opened.utf16_offset:
            self._close(opened)
        self.stack.pop()
        return i + 1

    def _close(self, opened: _Open) -> None:
        offset = opened.utf16_offset
        length = self.utf16 - offset
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and last.offset == offset and last.length == length
        tag = opened.tag
        if tag in _SIMPLE_KINDS:
            self.entities.append(_Entity(_SIMPLE_KINDS[tag], offset, length))
        elif tag == "blockquote":
            kind = "expandable_blockquote" if opened.argument else "blockquote"
            self.entities.append(_Entity(kind, offset, length))
        elif tag == "tg-emoji":
            emoji_id = _safe_int64(opened.argument)
            if not emoji_id:
                raise TelegramHTMLError("Invalid custom emoji identifier specified")
            self.entities.append(_Entity("custom_emoji", offset, length, str(emoji_id)))
        elif tag == "tg-time":
            unix, _, fmt = opened.argument.partition(" ")
            flags = _date_flags(fmt)
            if flags is None:
                raise TelegramHTMLError("Invalid date format used")
            if int(unix) > 0:  # tdlib makes no entity of a date that is not positive
                self.entities.append(_Entity("date_time", offset, length, f"{unix} {flags}"))
        elif tag == "a":
            url = opened.argument or self.out[opened.out_pos :].decode("utf-8", "replace")
            user_id = _mention_user_id(url)
            if user_id is not None:
                self.entities.append(_Entity("text_mention", offset, length, str(user_id)))
            elif (link := _checked_link(url)) is not None:
                self.entities.append(_Entity("text_link", offset, length, link))
        elif tag == "pre":
            if same_span and last is not None and last.kind == "code" and last.argument:
                last.kind = "pre_code"
            else:
                self.entities.append(_Entity("pre", offset, length))
        elif tag == "code":
            if same_span and last is not None and last.kind == "pre" and opened.argument:
                last.kind = "pre_code"
                last.argument = opened.argument
            else:
                # A language only counts with <pre>; to_api() never shows it on plain code.
                self.entities.append(_Entity("code", offset, length, opened.argument))


# --------------------------------------------------------------------------------------------
# What Telegram shows: tdlib's cleaning, trimming and "is it empty" of a message's text.
# --------------------------------------------------------------------------------------------

#: tdlib's ``clean_input_string`` (``td/telegram/misc.cpp``) deletes these: U+2028 to U+202E
#: (line and paragraph separators, the bidi embeddings and overrides) and three combining marks
#: it calls "vertical lines" (U+0333, U+033F, U+030A).
_CLEAN_DELETED = frozenset([*map(chr, range(0x2028, 0x202F)), "\u0333", "\u033f", "\u030a"])
#: LEFT-TO-RIGHT and RIGHT-TO-LEFT MARK: in a run of them, ``replace_offending_characters`` makes
#: every one but the last a ZERO WIDTH NON-JOINER.
_BIDI_MARKS = frozenset("\u200e\u200f")
_ZWNJ = "\u200c"
#: Any character ``clean_input_string`` changes (a control character but ``\n``, a deleted
#: one, an LRM/RLM): a text with none is left as it is, without a look at each character.
_TO_CLEAN = re.compile("[\x00-\x09\x0b-\x1f\u2028-\u202e\u0333\u033f\u030a\u200e\u200f]")
#: ``strip_empty_characters`` reads these as spaces (and the tag characters U+E0000-U+E007F).
_EMPTY_SPACES = frozenset(
    "\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f"
    "\u205f\u2800\u3000\ufffc"
)
#: td's ``trim`` (its ``is_space``).
_TRIM = " \t\r\n\v\f\x00"
#: ``strip_empty_characters``: a text of only these, once trimmed, is empty.
_EMPTY_CHARS = frozenset(" \n\u200b\u200c\u200d\u200e\u200f\u202e\ufeff\u00a0")
#: What ``fix_formatted_text`` trims from both ends of a cleaned text, and what an entity may
#: not start with or be made of alone (``remove_invalid_entities``).
_TRIMMED = (0x20, 0x0A)
#: Entities that carry data of their own, kept even on whitespace (tdlib's
#: ``is_hidden_data_entity``; the Bot API names of its TextUrl, MentionName, CustomEmoji and pre
#: entities).
_HIDDEN_DATA = frozenset({"text_link", "text_mention", "custom_emoji", "pre", "code"})
#: Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): drawn as nothing at all.
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
_IGNORABLE_STARTS = [low for low, _ in _IGNORABLE]


def _cleaned_chars(text: str) -> list[str]:
    """What tdlib's ``clean_input_string`` makes of each character of ``text``, in order.

    Control characters but ``\\n`` become a space (``\\t`` too), ``\\r`` and :data:`_CLEAN_DELETED`
    are deleted (``""``), and then, in what is left, a run of LRM/RLM marks keeps only its last
    one, the others becoming ZERO WIDTH NON-JOINERs.
    """
    if _TO_CLEAN.search(text) is None:  # the usual case, at C speed
        return list(text)
    out = []
    for char in text:
        if char == "\r" or char in _CLEAN_DELETED:
            out.append("")
        elif char < " " and char != "\n":
            out.append(" ")
        else:
            out.append(char)
    previous = -1  # the index of the last character kept, if it is a mark
    for index, char in enumerate(out):
        if not char:
            continue
        if char in _BIDI_MARKS and previous >= 0:
            out[previous] = _ZWNJ
        previous = index if char in _BIDI_MARKS else -1
    return out


def clean_input_text(text: str) -> str:
    """``text`` as tdlib's ``clean_input_string`` leaves it (``td/telegram/misc.cpp``).

    >>> clean_input_text("a\\tb\\r\\n\\u202ec\\u200e\\u200ed")
    'a b\\nc\\u200c\\u200ed'
    """
    if _TO_CLEAN.search(text) is None:
        return text
    return "".join(_cleaned_chars(text))


def strip_empty_characters(text: str) -> str:
    """tdlib's ``strip_empty_characters``: ``text`` with Unicode spaces, U+2800 and U+FFFC as
    spaces, trimmed; ``""`` when what is left is only spaces, line breaks, NO-BREAK SPACE,
    U+200B to U+200F, U+202E and U+FEFF."""
    spaced = "".join(
        " " if char in _EMPTY_SPACES or 0xE0000 <= ord(char) <= 0xE007F else char for char in text
    ).strip(_TRIM)
    return "" if all(char in _EMPTY_CHARS for char in spaced) else spaced


def is_empty_string(text: str) -> bool:
    """tdlib's ``is_empty_string``: whether Telegram refuses ``text`` as a message's text."""
    return not strip_empty_characters(text)


def _utf16(text: str) -> memoryview:
    return memoryview(text.encode("utf-16-le", "surrogatepass")).cast("H")


def telegram_shows(parsed: ParsedText) -> ParsedText:
    """The text and entities Telegram keeps of a parsed message (tdlib's ``fix_formatted_text``).

    The text is cleaned (:func:`clean_input_text`, entities moved and shortened with it);
    entities made only of spaces and line breaks are dropped and others start after them (but
    links, mentions, custom emoji and code); the text's trailing spaces and line breaks go, and
    its leading ones up to its first entity. A text of only spaces and line breaks is ``""``.
    Whether Telegram then refuses the text as empty is :func:`is_empty_string`'s to say.
    """
    source = _utf16(parsed.text)
    chars = _cleaned_chars(parsed.text)
    moved = [0] * (len(source) + 1)  # the UTF-16 offset in the cleaned text of each old offset
    old = new = 0
    for char, kept in zip(parsed.text, chars, strict=True):
        width = 2 if ord(char) > 0xFFFF else 1
        moved[old] = new
        if width == 2:
            moved[old + 1] = new + (1 if kept else 0)
        old += width
        new += width if kept else 0
    moved[old] = new
    text = "".join(chars)
    units = _utf16(text)
    entities = []
    for entity in parsed.entities:
        offset = moved[entity["offset"]]
        length = moved[entity["offset"] + entity["length"]] - offset
        if entity["type"] not in _HIDDEN_DATA:
            while length and units[offset] in _TRIMMED:
                offset, length = offset + 1, length - 1
        if length > 0:
            entities.append({**entity, "offset": offset, "length": length})
    end = len(units)
    while end and units[end - 1] in _TRIMMED:
        end -= 1
    if not end:
        return ParsedText(text="", entities=[])
    entities = [
        {**e, "length": min(e["offset"] + e["length"], end) - e["offset"]}
        for e in entities
        if e["offset"] < end
    ]
    first = min((e["offset"] for e in entities), default=end)
    start = 0
    while start < first and units[start] in _TRIMMED:
        start += 1
    for entity in entities:
        entity["offset"] -= start
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    shown = units[start:end].tobytes().decode("utf-16-le", "surrogatepass")
    return ParsedText(text=shown, entities=entities)


def _visible_char(char: str) -> bool:
    code = ord(char)
    if (code & 0xFFFE) == 0xFFFE or 0xFDD0 <= code <= 0xFDEF:  # noncharacters
        return False
    at = bisect.bisect_right(_IGNORABLE_STARTS, code) - 1
    if at >= 0 and code <= _IGNORABLE[at][1]:
        return False
    category = unicodedata.category(char)
    return category[0] in "LNPSM" or category in ("Co", "Cn")


def visible(text: str) -> bool:
    """Whether Telegram shows the reader something of ``text``: a character that survives its
    cleaning and its test for empty text (:func:`clean_input_text`,
    :func:`strip_empty_characters`) and is a letter, mark, number, punctuation, symbol, private-use
    or unassigned character, not default-ignorable (HANGUL FILLER, variation selectors, bidi
    controls, ZWJ and ZWNJ alone) and not a noncharacter.

    >>> visible("\\u3164"), visible("\\u202e"), visible("\\u2066 \\u200d"), visible("क्ष")
    (False, False, False, True)
    """
    return any(map(_visible_char, strip_empty_characters(clean_input_text(text))))


def shown_html(html: str, *, strict: bool = True) -> str:
    """``html`` changed so that its text is exactly what Telegram shows of it.

    What tdlib's cleaning deletes or replaces (:func:`clean_input_text`) is deleted or replaced
    in the markup, and the whitespace the text starts or ends with is deleted, inside tags too
    (``Rain\\n<blockquote expandable></blockquote>`` becomes
    ``Rain<blockquote expandable></blockquote>``). Telegram trims only spaces and line breaks;
    other whitespace (NO-BREAK SPACE, U+3000...) at the ends shows nothing, so it goes as well.
    Either way ``parse_telegram_html(result).text`` is exactly what Telegram shows of ``result``
    (:func:`telegram_shows` leaves it unchanged). Tags and attributes are left alone. Raises
    :class:`TelegramHTMLError` as :func:`parse_telegram_html` does.
    """
    src = html.encode("utf-8")
    scanner = _Scanner(src, strict=strict, spans=True)
    text = scanner.run().text
    spans = scanner.spans or []
    chars = _cleaned_chars(text)
    for order in (range(len(chars)), range(len(chars) - 1, -1, -1)):
        for index in order:
            if chars[index].isspace():
                chars[index] = ""
            elif chars[index]:
                break
    out = bytearray()
    position = 0
    for (start, end), char, kept in zip(spans, text, chars, strict=True):
        if kept != char:
            out += src[position:start] + kept.encode("utf-8")
            position = end
    if not position:
        return html
    out += src[position:]
    return out.decode("utf-8", "surrogatepass")
