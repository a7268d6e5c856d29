"""Editors' post templates: Jinja2 in a sandbox, checked against Telegram's HTML rules.

::

    template = PostTemplate.compile(
        '<b>{{ title }}</b>\\n\\n{{ summary }}\\n\\n'
        '{% if link %}<a href="{{ link }}">{{ read_more }}</a>{% endif %}'
    )                               # raises TemplateError("line 3: unexpected '}'") and the like
    html = template.render(TemplateFields(title="Rain", summary="Storms.", link=None, image=None))

A template sees only the fields of :data:`FIELDS` (plain text, escaped by autoescape; ``link``
and ``image`` are ``""`` when the article has none, ``hashtags`` a list of ``#Tag`` strings,
``published`` an aware datetime or ``None``, formatted with ``|date("%d %b %Y")``).

:meth:`PostTemplate.compile` refuses, with the line and the reason:

- Jinja syntax errors, unknown fields, filters outside :data:`FILTERS`;
- any name that is not a field, a ``{% for %}`` variable or ``range(…)`` (``self``, ``loop``
  outside a loop, ``range`` uncalled, ``varargs``…), and any attribute or item access
  (``title.format``, ``title[0]``) but ``loop.index``, ``loop.index0``, ``loop.first``,
  ``loop.last`` and ``loop.length`` inside a loop and ``hashtags`` at an integer
  (``hashtags[0]``, ``hashtags[-1]``): what else a template could reach renders as Python's
  ``<…>`` of an object, memory address included, and a ``{% for %}`` variable may not hide a
  field or ``loop``;
- what a post template has no use for and that could escape the sandbox's spirit or its
  bounds: ``{% set %}``, macros, blocks, includes and imports, ``{% autoescape %}``,
  ``{% filter %}``, ``{% with %}``, calling functions or methods (``range`` aside);
- a template whose post, for any of a set of sample articles (short and long, with and without
  picture and link), is not valid Telegram HTML (``parse_telegram_html(strict=True)``), has no
  visible text (nothing but spaces and characters Telegram deletes or draws as nothing, such as
  ``\u3164`` HANGUL FILLER: :func:`~bot.formatting.telegram_html.visible`), or, for a short
  article, does not fit Telegram's limit. An ``<a href="{{ link }}">`` that fails on the article
  without a link (where ``link`` is ``""``) is refused saying so and suggesting
  ``{% if link %}…{% endif %}`` (and the same for ``image``).

A post's HTML is what the template renders, stripped, and then changed as Telegram changes its
text (:func:`~bot.formatting.telegram_html.shown_html`: what tdlib deletes is deleted, leading and
trailing whitespace goes even inside tags), so that its text is what Telegram shows.

Rendering is bounded: loops and filters share a budget of :data:`MAX_STEPS` steps and
:data:`MAX_SECONDS`; ``range`` gives at most :data:`MAX_RANGE` numbers; ``*``, ``+`` and ``**``
refuse results longer than :data:`MAX_VALUE` (``{{ 'x' * 10**9 }}``), ``%`` on strings is
refused; the output stops at :data:`MAX_HTML` characters. Going past a bound is a
:class:`TemplateError`, at validation as at render time.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from bot.errors import TemplateError
from bot.formatting.telegram_html import (
    TelegramHTMLError,
    parse_telegram_html,
    shown_html,
    visible,
)

__all__ = [
    "FIELDS",
    "FILTERS",
    "MAX_HTML",
    "MAX_RANGE",
    "MAX_SECONDS",
    "MAX_STEPS",
    "MAX_VALUE",
    "PostTemplate",
    "TemplateFields",
]

#: The names a template may use.
FIELDS: Final = (
    "title",
    "summary",
    "link",
    "image",
    "feed",
    "section",
    "hashtags",
    "published",
    "read_more",
)
#: Jinja's filters a template may use (each bounded), and newsbot's ``date``.
FILTERS: Final = frozenset(
    {
        "capitalize",
        "count",
        "d",
        "date",
        "default",
        "e",
        "escape",
        "first",
        "join",
        "last",
        "length",
        "lower",
        "replace",
        "reverse",
        "striptags",
        "title",
        "trim",
        "truncate",
        "upper",
        "urlencode",
        "wordcount",
    }
)
#: Bounds of one rendering.
MAX_SOURCE: Final = 16_384
MAX_HTML: Final = 32_768
MAX_VALUE: Final = 32_768
MAX_STEPS: Final = 10_000
MAX_RANGE: Final = 1_000
MAX_SECONDS: Final = 0.5
#: Telegram's limits (as in :mod:`bot.formatting.post`), for the short samples.
_CAPTION_LIMIT: Final = 1024
_MESSAGE_LIMIT: Final = 4096

_REFUSED: Final[dict[type[nodes.Node], str]] = {
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.Block: "{% block %}",
    nodes.Extends: "{% extends %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from … import %}",
    nodes.With: "{% with %}",
    nodes.FilterBlock: "{% filter %}",
    nodes.ScopedEvalContextModifier: "{% autoescape %}",
    nodes.EvalContextModifier: "{% autoescape %}",
    nodes.NSRef: "namespace()",
    nodes.ExprStmt: "{% do %}",
    nodes.Scope: "{% autoescape %}",
}
_ALLOWED: Final[tuple[type[nodes.Node], ...]] = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.For,
    nodes.If,
    nodes.Name,
    nodes.Const,
    nodes.Tuple,
    nodes.List,
    nodes.Dict,
    nodes.Pair,
    nodes.Keyword,
    nodes.CondExpr,
    nodes.Filter,
    nodes.Test,
    nodes.Call,
    nodes.Getitem,
    nodes.Getattr,
    nodes.Slice,
    nodes.Concat,
    nodes.Compare,
    nodes.Operand,
    nodes.BinExpr,
    nodes.UnaryExpr,
    nodes.And,
    nodes.Or,
)
#: What a template may read of ``loop`` inside ``{% for %}``.
_LOOP_ATTRS: Final = ("index", "index0", "first", "last", "length")
#: Names a ``{% for %}`` variable may not take.
_RESERVED: Final = frozenset({"loop", "range", "self", "varargs", "kwargs", "caller"})
_OFFSET: Final = re.compile(r"at byte offset (\d+)")
_UNKNOWN_FILTER: Final = re.compile(r"No filter named '([^']*)'")
_FILENAME: Final = "<post template>"


@dataclass(frozen=True, slots=True)
class TemplateFields:
    """What a template is given for one article (all plain text; escaping is autoescape's)."""

    title: str
    summary: str
    link: str | None
    image: str | None
    feed: str = ""
    section: str = ""
    hashtags: tuple[str, ...] = ()
    published: datetime | None = None
    read_more: str = "Read more"

    def as_context(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "summary": self.summary,
            "link": self.link or "",
            "image": self.image or "",
            "feed": self.feed,
            "section": self.section,
            "hashtags": list(self.hashtags),
            "published": self.published,
            "read_more": self.read_more,
        }


class _OverBudget(Exception):
    """A rendering went past one of the bounds."""


@dataclass(slots=True)
class _Budget:
    steps: int = MAX_STEPS
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_SECONDS)

    def spend(self, steps: int = 1) -> None:
        self.steps -= steps
        if self.steps < 0:
            raise _OverBudget(f"the template does too much work (more than {MAX_STEPS} steps)")
        if time.monotonic() > self.deadline:
            raise _OverBudget(f"the template took longer than {MAX_SECONDS} s to render")


_BUDGET: ContextVar[_Budget | None] = ContextVar("post_template_budget", default=None)


def _spend(steps: int = 1) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.spend(steps)


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


def _check_size(value: Any) -> Any:
    if _size(value) > MAX_VALUE:
        raise _OverBudget(f"a value in the template grew longer than {MAX_VALUE} characters")
    return value


def _bounded_loop(value: Iterable[Any]) -> Iterator[Any]:
    for item in value:
        _spend()
        yield item


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise _OverBudget(f"range() may give at most {MAX_RANGE} numbers")
    return numbers


def _format_date(value: datetime | None, format: str = "%d %b %Y") -> str:
    """``published|date("%d %b %Y %H:%M")``; ``""`` for an article without a date."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        raise TypeError("date() formats only the published field")
    if len(format) > 64:
        raise _OverBudget("a date format may be at most 64 characters")
    return value.strftime(format)


def _bounded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (a Jinja filter) counted against the budget, its result's size checked."""

    @functools.wraps(function)  # keeps jinja_pass_arg: the wrapper gets what the filter gets
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _spend()
        return _check_size(function(*args, **kwargs))

    return bounded


def _bounded_replace(function: Callable[..., Any]) -> Callable[..., Any]:
    """Jinja's ``replace``, refused before it runs when its result would be too long."""

    @functools.wraps(function)
    def replace(eval_ctx: Any, value: Any, old: Any, new: Any, count: int | None = None) -> Any:
        text, old_text, new_text = str(value), str(old), str(new)
        hits = text.count(old_text) if old_text else len(text) + 1
        if count is not None:
            hits = min(hits, max(count, 0))
        if len(text) + hits * max(len(new_text) - len(old_text), 0) > MAX_VALUE:
            raise _OverBudget(f"replace() would make more than {MAX_VALUE} characters")
        _spend()
        return function(eval_ctx, value, old, new, count)

    return replace


class _PostEnvironment(SandboxedEnvironment):
    """The sandbox with its arithmetic bounded."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _spend()
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(times, int) and _size(sequence) * times > MAX_VALUE:
                    raise _OverBudget(f"'*' would make more than {MAX_VALUE} characters")
        elif operator == "+":
            _check_size(left)
            _check_size(right)
            if _size(left) + _size(right) > MAX_VALUE:
                raise _OverBudget(f"'+' would make more than {MAX_VALUE} characters")
        elif (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and right * abs(left).bit_length() > 4096
        ):
            raise _OverBudget("'**' would make a number of more than 4096 bits")
        elif operator == "%" and isinstance(left, str):
            raise _OverBudget("formatting strings with '%' is not allowed")
        return super().call_binop(context, operator, left, right)


def _environment() -> _PostEnvironment:
    env = _PostEnvironment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        finalize=lambda value: "" if value is None else value,
    )
    builtin = env.filters
    filters: dict[str, Callable[..., Any]] = {
        name: _bounded_filter(builtin[name]) for name in FILTERS if name in builtin
    }
    filters["replace"] = _bounded_replace(builtin["replace"])
    filters["date"] = _bounded_filter(_format_date)
    filters["_bounded_loop"] = _bounded_loop
    env.filters = filters
    env.globals = {"range": _bounded_range}
    env.tests = {
        name: test
        for name, test in env.tests.items()
        if name not in {"callable", "sameas", "escaped", "filter", "test"}
    }
    return env


_ENV: Final = _environment()


def _error_line(tb: TracebackType | None) -> int | None:
    """The template line an exception came from (Jinja puts template frames in tracebacks)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _check_nodes(tree: nodes.Template) -> None:
    for node in tree.find_all(nodes.Node):
        refused = next((what for kind, what in _REFUSED.items() if isinstance(node, kind)), None)
        if refused is None and not isinstance(node, _ALLOWED):
            refused = type(node).__name__
        if refused is not None:
            line = node.lineno or next((n.lineno for n in node.find_all(nodes.Node)), 1)
            raise TemplateError(f"line {line}: {refused} is not allowed in a post template")
        if isinstance(node, nodes.Call) and not (
            isinstance(node.node, nodes.Name) and node.node.name == "range"
        ):
            raise TemplateError(
                f"line {node.lineno}: calling functions or methods is not allowed in a post "
                "template (only range())"
            )


def _check_expressions(tree: nodes.Template) -> None:
    """Refuse names that are not fields and any attribute or item access (see the module).

    What a template can reach is only plain values: a field, a ``{% for %}`` variable, a
    constant, ``range(…)``, ``loop.index`` and the like inside a loop, ``hashtags[0]``. Anything
    else (``self``, ``title.format``, ``loop`` alone, ``range`` uncalled) renders, if at all,
    as Python's ``<…>`` of an object, memory address included.
    """
    _check_expression(tree, frozenset(), in_loop=False)


def _check_expression(node: nodes.Node, scope: frozenset[str], *, in_loop: bool) -> None:
    if isinstance(node, nodes.For):
        _check_expression(node.iter, scope, in_loop=in_loop)
        targets = frozenset(_loop_targets(node.target))
        if node.test is not None:  # ``loop`` is not defined in a for's ``if``
            _check_expression(node.test, scope | targets, in_loop=False)
        for child in node.body:
            _check_expression(child, scope | targets, in_loop=True)
        for child in node.else_:
            _check_expression(child, scope, in_loop=in_loop)
        return
    if isinstance(node, nodes.Name):
        _check_name(node, scope, in_loop=in_loop)
        return
    if isinstance(node, nodes.Getattr):
        if isinstance(node.node, nodes.Name) and _is_name(node.node, "loop", scope):
            if in_loop and node.attr in _LOOP_ATTRS:
                return
            _check_name(node.node, scope, in_loop=in_loop)
        else:
            loop_attrs = ", ".join(f"loop.{attr}" for attr in _LOOP_ATTRS)
            raise TemplateError(
                f"line {node.lineno}: attribute access ('.{node.attr}') is not allowed in a post "
                f"template (fields are plain values: use filters such as |upper or |date; "
                f"inside {{% for %}}, {loop_attrs})"
            )
        return
    if isinstance(node, nodes.Getitem):
        if not (_is_name(node.node, "hashtags", scope) and _is_int(node.arg)):
            raise TemplateError(
                f"line {node.lineno}: item access ('[…]') is not allowed in a post template "
                "(only hashtags[0] and the like; for text use |truncate, |first, |last)"
            )
        return
    if isinstance(node, nodes.Call) and _is_name(node.node, "range", scope):
        for child in node.iter_child_nodes(exclude=("node",)):
            _check_expression(child, scope, in_loop=in_loop)
        return
    for child in node.iter_child_nodes():
        _check_expression(child, scope, in_loop=in_loop)


def _loop_targets(target: nodes.Node) -> Iterator[str]:
    for name in target.find_all(nodes.Name) if not isinstance(target, nodes.Name) else [target]:
        if name.name in _RESERVED or name.name in FIELDS:
            raise TemplateError(
                f"line {name.lineno}: a {{% for %}} variable may not be called {name.name!r} "
                "(it would hide a field or Jinja's own)"
            )
        yield name.name


def _check_name(node: nodes.Name, scope: frozenset[str], *, in_loop: bool) -> None:
    if node.name in FIELDS or node.name in scope:
        return
    line = node.lineno
    if node.name == "loop":
        usable = ", ".join(f"loop.{attr}" for attr in _LOOP_ATTRS)
        raise TemplateError(
            f"line {line}: of 'loop' a template may use only {usable}"
            if in_loop
            else f"line {line}: 'loop' is only usable inside {{% for %}} ({usable})"
        )
    if node.name == "range":
        raise TemplateError(f"line {line}: range is only usable called, as range(…)")
    raise TemplateError(
        f"line {line}: unknown field {node.name!r} (a template may use {', '.join(FIELDS)})"
    )


def _is_name(node: nodes.Node, name: str, scope: frozenset[str]) -> bool:
    """Whether ``node`` is Jinja's or the template's own ``name``, not a loop variable."""
    return isinstance(node, nodes.Name) and node.name == name and name not in scope


def _is_int(node: nodes.Node) -> bool:
    """Whether ``node`` is an integer constant, such as ``0`` or ``-1``."""
    if isinstance(node, nodes.Neg | nodes.Pos):
        node = node.node
    return (
        isinstance(node, nodes.Const)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    )


def _bound_loops(tree: nodes.Template) -> None:
    """Make every ``{% for %}`` spend the budget, one step per item."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, "_bounded_loop", [], [], None, None, lineno=loop.lineno)


def _html_error(html: str, error: TelegramHTMLError) -> str:
    found = _OFFSET.search(error.message)
    end = int(found.group(1)) if found else len(html.encode())
    line = html.encode()[:end].count(b"\n") + 1
    return f"line {line}: the post is not valid Telegram HTML: {error.message}"


class PostTemplate:
    """A compiled, validated post template; build it with :meth:`compile`."""

    __slots__ = ("_template", "source")

    def __init__(self, source: str, template: jinja2.Template) -> None:
        self.source = source
        self._template = template

    def __repr__(self) -> str:
        return f"PostTemplate({self.source[:40]!r}…)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PostTemplate) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    @classmethod
    def compile(cls, source: str) -> PostTemplate:
        """Parse, check and try ``source`` on sample articles; raise :class:`TemplateError`."""
        return _compile(source)

    def render(self, fields: TemplateFields, *, timed: bool = True) -> str:
        """The post's HTML for ``fields``, bounded; raise :class:`TemplateError` with the line.

        The HTML is not checked here (:func:`bot.formatting.post.render_post` does, and fits it).
        ``timed=False`` leaves out the bound in seconds, keeping those in steps and characters:
        whether a template is accepted must not depend on how busy the machine is.
        """
        token = _BUDGET.set(_Budget() if timed else _Budget(deadline=math.inf))
        parts: list[str] = []
        size = 0
        try:
            for part in self._template.generate(**fields.as_context()):
                size += len(part)
                if size > MAX_HTML:
                    raise _OverBudget(f"the post grew longer than {MAX_HTML} characters")
                parts.append(part)
        except TemplateError:
            raise
        except Exception as exc:  # any failure of the editor's template is reported, never raised
            line = _error_line(exc.__traceback__) or 1
            reason = (
                str(exc)
                if isinstance(exc, _OverBudget | jinja2.TemplateError)
                else (f"{type(exc).__name__}: {exc}")
            )
            raise TemplateError(f"line {line}: {reason}") from None
        finally:
            _BUDGET.reset(token)
        return "".join(parts)


def _samples() -> list[tuple[str, TemplateFields]]:
    published = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    short = TemplateFields(
        title="Storm closes the harbour",
        summary="Ferries are cancelled until Friday.",
        link="https://news.example/storm?id=1&utm_source=newsbot",
        image="https://news.example/storm.jpg",
        feed="News",
        section="World",
        hashtags=("#Weather", "#Coast"),
        published=published,
    )
    long = TemplateFields(
        title="Rain & wind <i>again</i>: " + "a very long headline " * 12,
        summary='Officials said "no" & <b>more</b>. ' * 120,
        link=short.link,
        image=short.image,
        feed="News & views",
        section="भारत",
        hashtags=("#Weather", "#Coast", "#मौसम"),
        published=None,
        read_more="पूरा पढ़ें",
    )
    samples = []
    for name, sample in (("", short), ("a long article", long)):
        for image in (sample.image, None):
            for link in (sample.link, None):
                what = ", ".join(
                    part
                    for part in (
                        name,
                        "" if image else "without a picture",
                        "" if link else "without a link",
                    )
                    if part
                )
                fields = TemplateFields(
                    title=sample.title,
                    summary=sample.summary,
                    link=link,
                    image=image,
                    feed=sample.feed,
                    section=sample.section,
                    hashtags=sample.hashtags,
                    published=sample.published,
                    read_more=sample.read_more,
                )
                samples.append((what, fields))
    return samples


_SAMPLES: Final = _samples()


@functools.lru_cache(maxsize=128)
def _compile(source: str) -> PostTemplate:
    if len(source) > MAX_SOURCE:
        raise TemplateError(f"line 1: a post template may be at most {MAX_SOURCE} characters")
    try:
        tree = _ENV.parse(source, filename=_FILENAME)
        _check_nodes(tree)
        _check_expressions(tree)
        _bound_loops(tree)
        code = _ENV.compile(tree, filename=_FILENAME)
        compiled = _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None), None)
    except jinja2.TemplateSyntaxError as exc:  # syntax errors, unknown filters and tests
        reason = exc.message or "syntax error"
        if (unknown := _UNKNOWN_FILTER.match(reason)) is not None:
            usable = ", ".join(sorted(FILTERS))
            reason = f"unknown filter {unknown.group(1)!r} (a template may use {usable})"
        raise TemplateError(f"line {exc.lineno}: {reason}") from None
    template = PostTemplate(source, compiled)
    for what, sample in _SAMPLES:
        try:
            html = template.render(sample, timed=False).strip()
        except TemplateError as exc:
            raise TemplateError(_for(str(exc), what)) from None
        try:
            text = parse_telegram_html(shown_html(html), strict=True).text
        except TelegramHTMLError as exc:
            raise TemplateError(_for(_html_error(html, exc), what, _hint(exc, sample))) from None
        if not visible(text):
            raise TemplateError(_for(_invisible_error(text), what))
        limit = _CAPTION_LIMIT if sample.image else _MESSAGE_LIMIT
        if len(sample.summary) < 100 and len(text) > limit:
            raise TemplateError(
                _for(
                    f"line 1: the post of a short article has {len(text)} characters, more than "
                    f"Telegram's {limit}",
                    what,
                )
            )
    return template


def _invisible_error(text: str) -> str:
    """Why a post whose ``text`` shows nothing is refused, naming what it is made of."""
    if not text.strip():
        return "line 1: the post has no visible text"
    shown = " ".join(dict.fromkeys(f"U+{ord(char):04X}" for char in text if not char.isspace()))
    if len(shown) > 60:
        shown = shown[:60].rsplit(" ", 1)[0] + " …"
    return (
        f"line 1: the post has no visible text (only {shown}, which Telegram deletes or draws "
        "as nothing)"
    )


def _hint(error: TelegramHTMLError, sample: TemplateFields) -> str:
    """Why an ``<a href>`` is empty, when it fails on an article without a link or picture.

    The samples come in pairs, with the link then without it (and with the picture then
    without it), so a failure on the one without has passed on the one with.
    """
    if 'Tag "a" must have attribute "href"' not in error.message:
        return ""
    for name, value in (("link", sample.link), ("image", sample.image)):
        if not value:
            return (
                f"{name} is empty for an article without "
                f"{'a link' if name == 'link' else 'a picture'}; wrap the tag in "
                f"{{% if {name} %}}…{{% endif %}}"
            )
    return ""


def _for(message: str, what: str, hint: str = "") -> str:
    """``message`` with the sample it failed on, unless it is the first, the usual article,
    and ``hint``, what to do about it."""
    if what:
        return f"{message} (for {what}: {hint})" if hint else f"{message} (for {what})"
    return f"{message} ({hint})" if hint else message
