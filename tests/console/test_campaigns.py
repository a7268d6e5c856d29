"""The console's Campaigns pages: making a campaign (a bad, taken or forged form makes
nothing), the list with each campaign's figures, a campaign's page and weeks, its CSV, and its
QR code in each format, read back by real decoders to the campaign's deep link."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image
from selectolax.lexbor import LexborHTMLParser
from sqlalchemy import select

from bot.campaign_weeks import first_monday, monday_of
from bot.services.campaigns import list_campaigns, weekly_sign_ups
from bot.storage.models import (
    Campaign,
    ChannelJoin,
    ForgottenReaders,
    InviteLink,
    Subscriber,
    utcnow,
)
from tests.console.conftest import EDITOR, Console
from tests.test_qr import decode, open_png, rasterize_pdf, rasterize_svg

ZONE = ZoneInfo("Asia/Kolkata")
BOT = "console_test_bot"


def link(name: str) -> str:
    return f"https://t.me/{BOT}?start={name}"


def reader(
    chat_id: int,
    campaign: str | None,
    started_at: datetime | None = None,
    *,
    subscribed: bool = True,
    active: bool = True,
) -> Subscriber:
    """A reader who came through ``campaign`` at ``started_at`` (a day ago by default)."""
    started = started_at or utcnow() - timedelta(days=1)
    return Subscriber(
        chat_id=chat_id,
        campaign=campaign,
        started_at=started,
        subscribed=subscribed,
        active=active,
        subscribed_at=started if subscribed else None,
    )


async def add(console: Console, *rows: object) -> None:
    async with console.db.writing() as session:
        session.add_all(rows)


def table(html: str, selector: str) -> list[list[str]]:
    """The text of each cell of each body row of the table ``selector``."""
    found = LexborHTMLParser(html).css_first(selector)
    assert found is not None, f"no {selector} on the page"
    return [[cell.text(strip=True) for cell in row.css("th, td")] for row in found.css("tbody tr")]


async def create(console: Console, client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    return await client.post("/campaigns", data={"csrf": await console.csrf(client), **fields})


async def made(console: Console) -> list[Campaign]:
    async with console.db.session() as session:
        return list(await session.scalars(select(Campaign).order_by(Campaign.name)))


def local(day: datetime | None = None, *, hour: int = 12) -> datetime:
    """``hour`` o'clock in the publisher's zone on ``day``'s date, as UTC."""
    return datetime.combine((day or utcnow()).date(), time(hour), tzinfo=ZONE).astimezone(UTC)


class TestCreate:
    async def test_a_campaign_is_made_and_its_page_shown(self, console: Console) -> None:
        """A good name and label make a campaign, by the editor, and open its page."""
        client = await console.login()
        answer = await create(console, client, name=" metro-posters ", label="Scan for news")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/campaigns/metro-posters?done=created"
        [row] = await made(console)
        assert (row.name, row.label, row.created_by) == ("metro-posters", "Scan for news", EDITOR)
        page = await client.get(answer.headers["location"])
        assert page.status_code == 200
        assert "The campaign was created" in page.text
        assert f'href="{link("metro-posters")}"' in page.text
        assert "Scan for news" in page.text

    @pytest.mark.parametrize(
        ("name", "says"),
        [
            ("", "Give the campaign a name"),
            ("metro posters", "1 to 64 letters"),
            ("a" * 65, "1 to 64 letters"),
            ("über", "1 to 64 letters"),
            ("x.y", "1 to 64 letters"),
        ],
    )
    async def test_a_bad_name_is_refused(self, console: Console, name: str, says: str) -> None:
        """A name Telegram would not carry is refused, the form shown again, nothing made."""
        client = await console.login()
        answer = await create(console, client, name=name, label="Kept")
        assert answer.status_code == 400
        assert says in answer.text
        assert "The campaign was not created" in answer.text
        assert 'aria-invalid="true"' in answer.text
        assert 'value="Kept"' in answer.text
        assert await made(console) == []

    async def test_a_taken_name_is_refused(self, console: Console) -> None:
        """A second campaign of the same name is refused, with a link to the first, which is
        kept as it was."""
        client = await console.login()
        assert (await create(console, client, name="flyers", label="First")).status_code == 303
        again = await create(console, client, name="flyers", label="Second")
        assert again.status_code == 400
        assert "There is a campaign named flyers already" in again.text
        assert 'href="/campaigns/flyers"' in again.text
        [row] = await made(console)
        assert row.label == "First"

    @pytest.mark.parametrize(
        ("label", "says"),
        [
            ("two\nlines", "one line of text"),
            ("x" * 121, "at most 120 characters; this one has 121"),
        ],
    )
    async def test_a_bad_label_is_refused(self, console: Console, label: str, says: str) -> None:
        """A label that cannot be printed, or is too long to keep, makes nothing."""
        client = await console.login()
        answer = await create(console, client, name="posters", label=label)
        assert answer.status_code == 400
        assert says in answer.text
        assert await made(console) == []

    async def test_without_the_csrf_token_nothing_is_made(self, console: Console) -> None:
        """A forged form (no token, or a wrong one) is refused with 403 and makes nothing."""
        client = await console.login()
        assert (await client.post("/campaigns", data={"name": "forged"})).status_code == 403
        wrong = await client.post("/campaigns", data={"name": "forged", "csrf": "x"})
        assert wrong.status_code == 403
        assert await made(console) == []

    async def test_a_payload_readers_brought_can_be_made(self, console: Console) -> None:
        """Making a campaign readers already arrived with gives it a label; its readers still
        count for it, and it is listed once."""
        await add(console, reader(1, "bus-stop"), reader(2, "bus-stop"))
        client = await console.login()
        answer = await create(console, client, name="bus-stop", label="Bus stops")
        assert answer.status_code == 303
        rows = table((await client.get("/campaigns")).text, "table.campaigns")
        assert [row[:4] for row in rows] == [["bus-stop", "Bus stops", "2", "2"]]


class TestList:
    async def test_each_campaign_with_what_it_brought(self, console: Console) -> None:
        """Sign-ups are the readers who started through it (forgotten ones too), still
        subscribed those subscribed and reachable, joins those through its invite links;
        campaigns made here and payloads alike, the newest first."""
        now = utcnow()
        client = await console.login()
        assert (await create(console, client, name="metro", label="Metro")).status_code == 303
        async with console.db.writing() as session:
            session.add(Campaign(name="flyers", created_at=now - timedelta(days=5)))
            session.add_all(
                [
                    reader(1, "metro"),
                    reader(2, "metro"),
                    reader(3, "metro", active=False),  # blocked the bot
                    reader(4, "metro", subscribed=False),
                    reader(5, "bus-stop", now - timedelta(days=10)),
                    reader(6, "bus-stop", now - timedelta(days=9), subscribed=False),
                    reader(7, None),  # no campaign: not listed
                    ForgottenReaders(campaign="metro", started=2, signed_up=1),
                    ForgottenReaders(campaign="", started=5, signed_up=5),
                    ForgottenReaders(campaign="gone", started=1, signed_up=1),
                    InviteLink(id=1, campaign="metro", channel="@c", invite_link="https://t.me/+a"),
                    InviteLink(
                        id=2, campaign="flyers", channel="@c", invite_link="https://t.me/+b"
                    ),
                ]
            )
            await session.flush()
            session.add_all(
                [
                    ChannelJoin(invite_link_id=1, user_id=11),
                    ChannelJoin(invite_link_id=1, user_id=12),
                ]
            )
        page = await client.get("/campaigns")
        assert page.status_code == 200
        rows = table(page.text, "table.campaigns")
        dates = [row.pop() for row in rows]
        assert rows == [
            ["metro", "Metro", "6", "2", "2"],
            ["flyers", "", "0", "0", "0"],
            ["bus-stopfrom links", "", "2", "1", "–no invite links"],
            [
                "gonefrom links",
                "",
                "1",
                "0",
                "–no invite links",
            ],  # every reader forgotten: no date, last
        ]
        assert dates[0] == now.astimezone(ZONE).strftime("%d %b %Y")
        assert dates[-1] == ""
        assert "(4)" in page.text

    async def test_the_list_is_limited_and_says_so(self, console: Console) -> None:
        """A list holds the newest campaigns up to its limit, and knows how many there are."""
        now = utcnow()
        await add(console, *(reader(n, f"c{n}", now - timedelta(hours=n)) for n in range(1, 6)))
        async with console.db.session() as session:
            listed = await list_campaigns(session, limit=3)
        assert [c.name for c in listed.campaigns] == ["c1", "c2", "c3"]
        assert listed.total == 5

    async def test_no_campaigns_yet(self, console: Console) -> None:
        """An empty list says how to begin."""
        page = await (await console.login()).get("/campaigns")
        assert "There are no campaigns yet" in page.text
        assert 'name="csrf"' in page.text
        assert '<label for="campaign-name">' in page.text


def expected_weeks(counts: dict[int, tuple[int, int]]) -> list[tuple[str, str, int, int]]:
    """The 26 weeks up to this one (oldest first) as (ISO week, Monday, sign-ups, still
    subscribed), ``counts`` given by how many weeks back."""
    today = utcnow().astimezone(ZONE).date()
    first = first_monday(today, 26)
    rows = []
    for n in range(26):
        monday = first + timedelta(weeks=n)
        year, week, _ = monday.isocalendar()
        sign_ups, subscribed = counts.get(25 - n, (0, 0))
        rows.append((f"{year}-W{week:02d}", monday.isoformat(), sign_ups, subscribed))
    return rows


async def add_weekly_readers(console: Console) -> None:
    """Readers of ``metro`` this week, two weeks back, in the span's first week, and before
    the span; one of another campaign."""
    now = utcnow()
    this_monday = monday_of(now.astimezone(ZONE).date())
    first = first_monday(now.astimezone(ZONE).date(), 26)
    monday = datetime.combine(this_monday, time(), tzinfo=ZONE)
    await add(
        console,
        Campaign(name="metro", label="Metro", created_at=now - timedelta(days=400)),
        reader(1, "metro", now - timedelta(minutes=1)),
        reader(2, "metro", max(monday.astimezone(UTC), now - timedelta(minutes=2)), active=False),
        reader(3, "metro", (monday - timedelta(weeks=2) + timedelta(hours=12)).astimezone(UTC)),
        reader(4, "metro", (monday - timedelta(days=8)).astimezone(UTC), subscribed=False),
        reader(5, "metro", datetime.combine(first, time(0, 10), tzinfo=ZONE).astimezone(UTC)),
        reader(
            6,
            "metro",
            datetime.combine(first, time(), tzinfo=ZONE).astimezone(UTC) - timedelta(minutes=10),
        ),
        reader(7, "other", now - timedelta(minutes=1)),
    )


WEEKLY = {0: (2, 1), 2: (2, 1), 25: (1, 1)}  # weeks back: (sign-ups, still subscribed)


class TestCampaignPage:
    async def test_a_payload_has_a_page(self, console: Console) -> None:
        """A campaign only readers brought has its page, its link and its figures."""
        await add(console, reader(1, "bus-stop"), reader(2, "bus-stop", subscribed=False))
        page = await (await console.login()).get("/campaigns/bus-stop")
        assert page.status_code == 200
        assert "Nobody created this campaign here" in page.text
        assert link("bus-stop") in page.text
        assert '<img class="qr-preview" src="/campaigns/bus-stop/qr.svg?size_mm=40"' in page.text

    @pytest.mark.parametrize(
        "path", ["/campaigns/nobody", "/campaigns/bad%20name", "/campaigns/" + "a" * 65]
    )
    async def test_an_unknown_campaign_is_not_found(self, console: Console, path: str) -> None:
        """A name neither made nor brought by a reader, or no name at all, is not found, and
        neither are its code and CSV."""
        client = await console.login()
        for address in (path, path + "/qr.png", path + "/qr?format=png", path + ".csv"):
            answer = await client.get(address)
            assert answer.status_code == 404, address
            assert "Page not found" in answer.text

    async def test_the_weeks_table_shows_every_week(self, console: Console) -> None:
        """26 weeks, this one first, each with its sign-ups and those still subscribed; empty
        weeks as zeros; readers before the span, or of other campaigns, left out."""
        await add_weekly_readers(console)
        page = await (await console.login()).get("/campaigns/metro")
        assert page.status_code == 200
        rows = table(page.text, "table.weeks")
        want = expected_weeks(WEEKLY)[::-1]
        assert len(rows) == 26
        assert [(row[0], int(row[2]), int(row[3])) for row in rows] == [
            (iso + ("(this week)" if n == 0 else ""), sign_ups, subscribed)
            for n, (iso, _, sign_ups, subscribed) in enumerate(want)
        ]
        found = LexborHTMLParser(page.text).css_first("table.weeks tfoot")
        assert found is not None
        assert [cell.text(strip=True) for cell in found.css("th, td")] == [
            "In these weeks",
            "5",
            "3",
        ]
        assert "Created on" in page.text

    async def test_the_csv_has_the_weeks(self, console: Console) -> None:
        """The CSV has the same weeks, oldest first: week, Monday, sign-ups, still subscribed."""
        await add_weekly_readers(console)
        answer = await (await console.login()).get("/campaigns/metro.csv")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert answer.headers["content-disposition"] == 'attachment; filename="campaign-metro.csv"'
        lines = ["week,week_start,sign_ups,still_subscribed"] + [
            f"{iso},{monday},{sign_ups},{subscribed}"
            for iso, monday, sign_ups, subscribed in expected_weeks(WEEKLY)
        ]
        assert answer.text == "\n".join(lines) + "\n"

    async def test_weeks_are_the_publishers(self, console: Console) -> None:
        """A reader who started on Sunday at 23:00 in Kolkata (17:30 UTC) counts in that
        week, not the next: the weeks are the publisher's TIMEZONE's."""
        now = datetime(2025, 4, 16, 6, 0, tzinfo=UTC)  # a Wednesday
        await add(
            console,
            reader(1, "metro", datetime(2025, 4, 13, 17, 30, tzinfo=UTC)),  # Sun 23:00 IST
            reader(2, "metro", datetime(2025, 4, 13, 18, 45, tzinfo=UTC)),  # Mon 00:15 IST
        )
        async with console.db.session() as session:
            weeks = await weekly_sign_ups(session, "metro", ZONE, weeks=2, now=now)
        assert [(w.iso, w.sign_ups) for w in weeks] == [("2025-W15", 1), ("2025-W16", 1)]

    async def test_forgotten_readers_count_but_in_no_week(self, console: Console) -> None:
        """Readers who asked /forget count among the sign-ups, and the page says they are in
        no week."""
        await add(console, reader(1, "metro"), ForgottenReaders(campaign="metro", started=3))
        page = await (await console.login()).get("/campaigns/metro")
        assert "3 readers who asked the bot to forget them" in page.text
        figures = LexborHTMLParser(page.text).css("dl.figures dd")
        assert [dd.text(strip=True) for dd in figures[:2]] == ["4", "1"]

    async def test_before_the_bot_starts_there_is_no_link(self, console: Console) -> None:
        """Until the bot's username is known, the page says the link comes later, and the
        code cannot be drawn."""
        console.state.bot_username = None
        await add(console, Campaign(name="metro"))
        client = await console.login()
        page = await client.get("/campaigns/metro")
        assert page.status_code == 200
        assert "The link appears once the bot has started" in page.text
        assert "qr-preview" not in page.text
        answer = await client.get("/campaigns/metro/qr.png")
        assert answer.status_code == 503
        assert "The bot has not started yet" in answer.text


def read_code(fmt: str, data: bytes) -> list[str]:
    """The text of the codes in ``data``, drawn by real software where it is a vector."""
    if fmt == "png":
        return decode(open_png(data))
    if fmt == "svg":
        return decode(rasterize_svg(data, dpi=300))
    return decode(rasterize_pdf(data, dpi=300))


class TestQrCode:
    @pytest.mark.parametrize(
        ("fmt", "content_type"),
        [("png", "image/png"), ("svg", "image/svg+xml"), ("pdf", "application/pdf")],
    )
    async def test_each_format_decodes_to_the_link(
        self, console: Console, fmt: str, content_type: str
    ) -> None:
        """The download is the code of the campaign's deep link, named by campaign and size."""
        await add(console, Campaign(name="metro", label="Scan for news"))
        answer = await (await console.login()).get(
            f"/campaigns/metro/qr.{fmt}", params={"size_mm": "60", "label": "Scan me"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == content_type
        assert answer.headers["content-disposition"] == (
            f'attachment; filename="qr-metro-60mm.{fmt}"'
        )
        assert read_code(fmt, answer.content) == [link("metro")]

    async def test_the_defaults_are_50_mm_and_the_campaigns_label(self, console: Console) -> None:
        """Without a size the code is 50 mm (591 dots at 300 dpi); without a label, the
        campaign's is printed (the sheet grows by its band); an empty label prints none."""
        await add(console, Campaign(name="metro", label="Scan for news"))
        client = await console.login()
        labelled = await client.get("/campaigns/metro/qr.png")
        assert labelled.headers["content-disposition"] == 'attachment; filename="qr-metro-50mm.png"'
        image = Image.open(io.BytesIO(labelled.content))
        assert image.size[0] == 591
        assert image.size[1] > 591
        bare = Image.open(io.BytesIO((await client.get("/campaigns/metro/qr.png?label=")).content))
        assert bare.size == (591, 591)
        half = await client.get("/campaigns/metro/qr.svg?size_mm=37.5&label=")
        assert half.headers["content-disposition"] == 'attachment; filename="qr-metro-37.5mm.svg"'

    async def test_the_form_goes_on_to_the_files_address(self, console: Console) -> None:
        """The download form's answer sends the browser on to the code's own address."""
        await add(console, Campaign(name="metro", label="Metro"))
        client = await console.login()
        answer = await client.get(
            "/campaigns/metro/qr", params={"size_mm": "60", "label": "Hi there", "format": "pdf"}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/campaigns/metro/qr.pdf?size_mm=60&label=Hi+there"
        pdf = await client.get(answer.headers["location"])
        assert read_code("pdf", pdf.content) == [link("metro")]

    async def test_the_preview_is_the_code(self, console: Console) -> None:
        """The page's preview is the code as SVG, 40 mm, readable."""
        await add(console, Campaign(name="metro", label="Metro"))
        client = await console.login()
        page = await client.get("/campaigns/metro")
        assert 'src="/campaigns/metro/qr.svg?size_mm=40"' in page.text
        preview = await client.get("/campaigns/metro/qr.svg?size_mm=40")
        assert read_code("svg", preview.content) == [link("metro")]

    async def test_a_long_label_makes_the_preview_larger(self, console: Console) -> None:
        """A label that needs more than 40 mm gets a preview, and a default size, that fit it;
        the page says how large the code must be."""
        await add(
            console,
            Campaign(name="metro", label="Scan this code for the morning news"),
            Campaign(name="bus", label="Scan this code for the morning news, every day"),
        )
        client = await console.login()
        for name, default in (("metro", 50), ("bus", None)):
            page = await client.get(f"/campaigns/{name}")
            tree = LexborHTMLParser(page.text)
            preview = tree.css_first("img.qr-preview")
            size = tree.css_first("#qr-size")
            assert preview is not None
            assert size is not None
            src = str(preview.attributes["src"])
            needs = int(src.removeprefix(f"/campaigns/{name}/qr.svg?size_mm="))
            assert needs > 40
            assert f"at least {needs} mm wide" in page.text
            assert size.attributes["value"] == str(default or needs)
            drawn = await client.get(src)
            assert read_code("svg", drawn.content) == [link(name)]

    @pytest.mark.parametrize(
        ("query", "says"),
        [
            ("size_mm=abc", "a number of millimetres from 10 to 500"),
            ("size_mm=0", "from 10 to 500"),
            ("size_mm=-5", "from 10 to 500"),
            ("size_mm=501", "from 10 to 500"),
            ("size_mm=nan", "from 10 to 500"),
            ("size_mm=inf", "from 10 to 500"),
            ("size_mm=1e9", "from 10 to 500"),
            ("size_mm=" + "5" * 40, "from 10 to 500"),
            ("size_mm=15", "a 15 mm code is too small to scan"),
            ("size_mm=20&label=Scan+this+code+for+the+morning+news", "too small for its label"),
            ("label=" + "x" * 121, "at most 120 characters"),
            ("label=a%0Ab", "one line of text"),
        ],
    )
    async def test_what_cannot_be_drawn_is_refused(
        self, console: Console, query: str, says: str
    ) -> None:
        """A size that is no number, out of range or too small for the code or its label, and
        a label that cannot be printed, answer 400 with the page saying why, the form as sent."""
        await add(console, Campaign(name="metro"))
        client = await console.login()
        for address in (
            f"/campaigns/metro/qr.png?{query}",
            f"/campaigns/metro/qr?format=png&{query}",
        ):
            answer = await client.get(address)
            if answer.status_code == 303:  # the form's answer checks all but the layout
                answer = await client.get(answer.headers["location"])
            assert answer.status_code == 400, address
            assert answer.headers["content-type"].startswith("text/html")
            assert says in answer.text
            assert 'id="qr-size"' in answer.text

    async def test_an_unknown_format_is_refused(self, console: Console) -> None:
        """The form's format must be PNG, SVG or PDF; a file of another is not found."""
        await add(console, Campaign(name="metro"))
        client = await console.login()
        answer = await client.get("/campaigns/metro/qr?format=gif")
        assert answer.status_code == 400
        assert "Choose PNG, SVG or PDF" in answer.text
        assert (await client.get("/campaigns/metro/qr.gif")).status_code == 404
