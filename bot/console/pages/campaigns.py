"""The console's Campaigns pages: every campaign with what it brought, and a form to make one
(``/campaigns``); one campaign's deep link, QR code and weeks (``/campaigns/{name}``); its code
to download (``/campaigns/{name}/qr.png|svg|pdf?size_mm=50&label=…``) and its weeks as CSV
(``/campaigns/{name}.csv``). These addresses are bookmarked: keep them.

The download form is a plain GET form (no JavaScript): it goes to ``/campaigns/{name}/qr``,
which checks it and sends the browser on to the file's own address. Codes are laid out and
drawn by :mod:`bot.qr` as ``newsbot qr`` does, at 300 dpi, in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.campaign_weeks import WEEKS, weeks_csv
from bot.console.web import editor_form, editor_page, problem, render, state, translator_of
from bot.errors import InvalidCampaignError
from bot.i18n import Translator
from bot.qr import (
    CAMPAIGN_PATTERN,
    DEFAULT_SIZE_MM,
    PRINT_DPI,
    PrintSizeError,
    QRFormat,
    check_label,
    join_link,
    make_sheet,
    render_sheet,
)
from bot.services.campaigns import (
    LABEL_LIMIT,
    LIST_LIMIT,
    CampaignSummary,
    create_campaign,
    find_campaign,
    list_campaigns,
    weekly_sign_ups,
)
from bot.services.console_auth import ConsoleUser

log = logging.getLogger(__name__)

#: The sizes the console draws, in mm: :mod:`bot.qr` refuses under 20 mm, saying why.
SIZE_RANGE: Final = (10.0, 500.0)
#: The preview's size on the campaign's page (larger when its label needs more room).
PREVIEW_MM: Final = 40
CONTENT_TYPES: Final[dict[str, str]] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
}
FORMATS: Final[tuple[QRFormat, ...]] = ("png", "svg", "pdf")
#: How much of a refused field the form shows again (a hostile one may be megabytes).
ECHO_LIMIT: Final = 200


@dataclass(frozen=True, slots=True)
class QrChoice:
    """A code to download, as the form asked for it and checked."""

    size_mm: float
    label: str | None
    fmt: QRFormat

    @property
    def size_text(self) -> str:
        """The size as a person writes it: 50, 37.5."""
        return f"{self.size_mm:.3f}".rstrip("0").rstrip(".")

    @property
    def filename(self) -> str:
        return f"{self.size_text}mm.{self.fmt}"


class QrRefused(ValueError):
    """The download form asks for what cannot be drawn; the message says why, to the editor."""


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _name_problem(t: Translator, name: str) -> str | None:
    """Why ``name`` cannot be a campaign's name, or None."""
    if not name:
        return t.gettext("Give the campaign a name.")
    if CAMPAIGN_PATTERN.fullmatch(name) is None:
        return t.gettext(
            "A name is 1 to 64 letters (A–Z, a–z), digits, hyphens and underscores, with no"
            " spaces: it becomes part of the link."
        )
    return None


def _label_problem(t: Translator, label: str) -> str | None:
    """Why ``label`` cannot be printed under a code, or None."""
    if len(label) > LABEL_LIMIT:
        return t.gettext(
            "A label is at most {limit} characters; this one has {count}.",
            limit=LABEL_LIMIT,
            count=len(label),
        )
    try:
        check_label(label)
    except ValueError as exc:
        # TRANSLATORS: {reason} is in English, from the QR code maker (e.g. "it is too long").
        return t.gettext("This label cannot be printed: {reason}.", reason=str(exc))
    return None


def qr_choice(
    t: Translator, params: QueryParams, campaign: CampaignSummary, fmt: str | None
) -> QrChoice:
    """The code the query asks for (``fmt``: the file's, else the form's ``format``); a
    missing size is 50 mm, a missing label the campaign's. Raises :class:`QrRefused`."""
    chosen = _format(fmt if fmt is not None else params.get("format", ""))
    if chosen is None:
        raise QrRefused(t.gettext("Choose PNG, SVG or PDF."))
    least, most = SIZE_RANGE
    raw_size = params.get("size_mm", "").strip()
    size = _number(raw_size) if raw_size else DEFAULT_SIZE_MM
    if not least <= size <= most:  # NaN fails it too
        raise QrRefused(
            t.gettext(
                "The size is a number of millimetres from {least} to {most}, such as 50.",
                least=f"{least:g}",
                most=f"{most:g}",
            )
        )
    label = params.get("label")
    if label is None:
        label = campaign.label or ""
    problem_text = _label_problem(t, label.strip())
    if problem_text is not None:
        raise QrRefused(problem_text)
    return QrChoice(size, label.strip() or None, chosen)


def _format(value: str) -> QRFormat | None:
    for fmt in FORMATS:
        if value == fmt:
            return fmt
    return None


def _number(text: str) -> float:
    """``text`` as a number (NaN for none: a size out of every range)."""
    if len(text) > 16:
        return float("nan")
    try:
        return float(text)
    except ValueError:
        return float("nan")


def draw(link: str, choice: QrChoice) -> bytes:
    """The code of ``link`` as ``choice`` asks, laid out and drawn as ``newsbot qr`` does."""
    sheet = make_sheet(link, size_mm=choice.size_mm, dpi=PRINT_DPI, label=choice.label)
    return render_sheet(sheet, choice.fmt)


def preview_size(link: str, label: str | None) -> tuple[int, str | None]:
    """The preview's size in mm, and its label: :data:`PREVIEW_MM`, or the least that has
    room for ``label``; without the label when no size has."""
    if label is None:
        return PREVIEW_MM, None
    try:
        make_sheet(link, size_mm=PREVIEW_MM, dpi=PRINT_DPI, label=label)
    except PrintSizeError as exc:
        return (exc.smallest_mm, label) if exc.smallest_mm is not None else (PREVIEW_MM, "")
    except ValueError:
        return PREVIEW_MM, ""
    return PREVIEW_MM, label


async def _campaign(request: Request) -> CampaignSummary | None:
    async with state(request).core.db.session() as session:
        return await find_campaign(session, request.path_params["name"])


def _link(request: Request, name: str) -> str | None:
    username = state(request).bot_username
    return join_link(username, name) if username else None


async def _list_page(
    request: Request,
    user: ConsoleUser,
    *,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    async with state(request).core.db.session() as session:
        listed = await list_campaigns(session)
    return await render(
        request,
        user,
        "campaigns.html",
        status_code=status_code,
        campaigns=listed.campaigns,
        total=listed.total,
        limit=LIST_LIMIT,
        label_limit=LABEL_LIMIT,
        form=form or {"name": "", "label": ""},
        errors=errors or {},
        **context,
    )


@editor_page
async def campaigns_page(request: Request, user: ConsoleUser) -> Response:
    """Every campaign, the newest first, with the form that makes one."""
    return await _list_page(request, user)


@editor_form
async def create(request: Request, user: ConsoleUser, form: FormData) -> Response:
    """Make a campaign, then show its page; a bad or taken name says so and makes nothing."""
    t = await translator_of(request, user)
    name, label = _text(form, "name"), _text(form, "label")
    errors = {
        field: text
        for field, text in (("name", _name_problem(t, name)), ("label", _label_problem(t, label)))
        if text is not None
    }
    if not errors:
        try:
            async with state(request).core.db.writing() as session:
                made = await create_campaign(session, name, label or None, user.user_id)
        except (InvalidCampaignError, ValueError) as exc:  # checked above; kept as a refusal
            errors["name"] = str(exc)
        else:
            if made:
                return RedirectResponse(f"/campaigns/{name}?done=created", status_code=303)
            errors["name"] = t.gettext("There is a campaign named {name} already.", name=name)
    return await _list_page(
        request,
        user,
        status_code=400,
        form={"name": name[:ECHO_LIMIT], "label": label[:ECHO_LIMIT]},
        errors=errors,
        error=t.gettext("The campaign was not created: see what is wrong below."),
        taken=name if "name" in errors and CAMPAIGN_PATTERN.fullmatch(name) else None,
    )


async def _campaign_page(
    request: Request,
    user: ConsoleUser,
    campaign: CampaignSummary,
    *,
    status_code: int = 200,
    sent: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """The campaign's page; ``sent``: the download form's fields as a refused one had them."""
    console = state(request)
    t = await translator_of(request, user)
    async with console.core.db.session() as session:
        weeks = await weekly_sign_ups(session, campaign.name, console.zone)
    link = _link(request, campaign.name)
    preview_mm, preview_label = PREVIEW_MM, campaign.label
    if link is not None:
        preview_mm, preview_label = await asyncio.to_thread(preview_size, link, campaign.label)
    query = {"size_mm": str(preview_mm)}
    if preview_label != campaign.label:
        query["label"] = preview_label or ""
    form = {
        "size_mm": f"{max(DEFAULT_SIZE_MM, preview_mm):g}",
        "label": campaign.label or "",
        "format": "png",
    } | (sent or {})
    notice = (
        t.gettext("The campaign was created. Its link and QR code are below.")
        if request.query_params.get("done") == "created"
        else None
    )
    return await render(
        request,
        user,
        "campaign.html",
        status_code=status_code,
        campaign=campaign,
        link=link,
        weeks=weeks[::-1],
        week_count=WEEKS,
        week_sign_ups=sum(w.sign_ups for w in weeks),
        week_subscribed=sum(w.subscribed for w in weeks),
        preview=f"/campaigns/{campaign.name}/qr.svg?{urlencode(query)}",
        label_needs=preview_mm if preview_label and preview_mm > PREVIEW_MM else None,
        size_range=SIZE_RANGE,
        label_limit=LABEL_LIMIT,
        formats=FORMATS,
        notice=notice,
        form=form,
        **context,
    )


async def _refused(
    request: Request, user: ConsoleUser, campaign: CampaignSummary, status: int, message: str
) -> Response:
    """The campaign's page again, saying why the code was not drawn, the form as it was sent."""
    params = request.query_params
    sent = {
        "size_mm": (params.get("size_mm") or "")[:ECHO_LIMIT] or None,
        "label": params["label"][:ECHO_LIMIT] if "label" in params else None,
        "format": request.path_params.get("fmt") or params.get("format"),
    }
    return await _campaign_page(
        request,
        user,
        campaign,
        status_code=status,
        sent={key: value for key, value in sent.items() if value is not None},
        error=message,
    )


@editor_page
async def campaign_page(request: Request, user: ConsoleUser) -> Response:
    """One campaign: its link, its code, its weeks."""
    campaign = await _campaign(request)
    if campaign is None:
        return await problem(request, user, 404, "not_found")
    return await _campaign_page(request, user, campaign)


async def _checked(
    request: Request, user: ConsoleUser, fmt: str | None
) -> tuple[CampaignSummary, str, QrChoice] | Response:
    """The campaign, its link and the code the query asks for; else the page that says no."""
    campaign = await _campaign(request)
    if campaign is None:
        return await problem(request, user, 404, "not_found")
    t = await translator_of(request, user)
    link = _link(request, campaign.name)
    if link is None:
        message = t.gettext(
            "The bot has not started yet, so its link is not known: try again soon."
        )
        return await _refused(request, user, campaign, 503, message)
    try:
        choice = qr_choice(t, request.query_params, campaign, fmt)
    except QrRefused as exc:
        return await _refused(request, user, campaign, 400, str(exc))
    return campaign, link, choice


@editor_page
async def download(request: Request, user: ConsoleUser) -> Response:
    """The download form's answer: on to the code's own address, once the form is right."""
    checked = await _checked(request, user, None)
    if isinstance(checked, Response):
        return checked
    campaign, _, choice = checked
    query = urlencode({"size_mm": choice.size_text, "label": choice.label or ""})
    return RedirectResponse(f"/campaigns/{campaign.name}/qr.{choice.fmt}?{query}", status_code=303)


@editor_page
async def qr_file(request: Request, user: ConsoleUser) -> Response:
    """The campaign's code as a PNG, SVG or PDF file to print."""
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        return await problem(request, user, 404, "not_found")
    checked = await _checked(request, user, fmt)
    if isinstance(checked, Response):
        return checked
    campaign, link, choice = checked
    try:
        content = await asyncio.to_thread(draw, link, choice)
    except ValueError as exc:  # PrintSizeError among them: too small for the code or its label
        return await _refused(request, user, campaign, 400, str(exc))
    filename = f"qr-{campaign.name}-{choice.filename}"
    log.info("console qr campaign=%s format=%s user_id=%s", campaign.name, fmt, user.user_id)
    return Response(
        content,
        media_type=CONTENT_TYPES[fmt],
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@editor_page
async def campaign_csv(request: Request, user: ConsoleUser) -> Response:
    """The campaign's weeks as CSV: week, its Monday, sign-ups, still subscribed."""
    campaign = await _campaign(request)
    if campaign is None:
        return await problem(request, user, 404, "not_found")
    console = state(request)
    async with console.core.db.session() as session:
        weeks = await weekly_sign_ups(session, campaign.name, console.zone)
    return Response(
        weeks_csv(weeks),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="campaign-{campaign.name}.csv"'},
    )


ROUTES = [
    Route("/campaigns", campaigns_page, methods=["GET"]),
    Route("/campaigns", create, methods=["POST"]),
    Route("/campaigns/{name}.csv", campaign_csv, methods=["GET"]),
    Route("/campaigns/{name}/qr", download, methods=["GET"]),
    Route("/campaigns/{name}/qr.{fmt}", qr_file, methods=["GET"]),
    Route("/campaigns/{name}", campaign_page, methods=["GET"]),
]
