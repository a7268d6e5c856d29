"""The Dashboard (/): its figures are what the rows say (readers per edition, sign-ups,
deliveries sent and failed in the period, the feeds' health), the period is chosen by plain
links, hostile names stay text in well-formed SVG, and an empty database renders."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import httpx
import pytest

from bot.storage.models import (
    Delivery,
    DeliveryStatus,
    Edition,
    Feed,
    Subscriber,
    Subscription,
    utcnow,
)
from tests.console.conftest import Console

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE_CAMPAIGN = "<script>x</script>&\"'"
HOSTILE_CODE = "<b>&\"'x"
HOSTILE_CHANNEL = '"><svg onload=alert(1)>'


def figure(page: httpx.Response, name: str) -> str:
    match = re.search(rf'id="figure-{name}">([^<]*)<', page.text)
    assert match, name
    return match.group(1).strip()


def svgs(page: httpx.Response) -> list[ET.Element]:
    """Every chart of the page, parsed as XML: fails on any chart that is not well-formed."""
    found = re.findall(r"<svg\b.*?</svg>", page.text, re.DOTALL)
    assert len(found) == 4
    return [ET.fromstring(svg) for svg in found]  # noqa: S314 - our own output, not untrusted XML


def svg_texts(page: httpx.Response) -> list[str]:
    """The texts the charts show (not their tooltips)."""
    return [t.text or "" for svg in svgs(page) for t in svg.iter(f"{SVG}text")]


def edition_row(page: httpx.Response, code: str) -> list[str]:
    match = re.search(rf'<th scope="row">{re.escape(code)}</th>(.*?)</tr>', page.text, re.DOTALL)
    assert match, code
    return [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.DOTALL)]


async def seed(console: Console) -> None:
    """Seven readers, five deliveries, four feeds, at known times before now."""
    now = utcnow()
    en, hi = (console.core.editions.by_code[code].id for code in ("en", "hi"))
    days = lambda n: now - timedelta(days=n)  # noqa: E731

    def reader(chat_id: int, **values: object) -> Subscriber:
        return Subscriber(chat_id=chat_id, started_at=days(95), **values)

    async with console.db.session() as session, session.begin():
        session.add_all(
            [
                reader(1, subscribed=True, subscribed_at=days(40)),
                reader(2, subscribed=True, subscribed_at=days(2), campaign="poster-metro"),
                reader(3, subscribed=True, subscribed_at=days(0.05), campaign=HOSTILE_CAMPAIGN),
                # Blocked the bot three days ago: a sign-up, not a reader now.
                reader(
                    4,
                    subscribed=True,
                    active=False,
                    subscribed_at=days(10),
                    inactive_since=days(3),
                ),
                # Left five days ago.
                reader(5, subscribed=False, subscribed_at=days(20), unsubscribed_at=days(5)),
                reader(6, campaign="poster-metro"),  # never subscribed
                reader(7, subscribed=True, subscribed_at=days(60)),  # in 90 days only
            ]
        )
        await session.flush()
        session.add_all(
            [
                Subscription(chat_id=1, edition_id=en, created_at=days(40)),
                Subscription(chat_id=2, edition_id=en, created_at=days(2)),
                Subscription(chat_id=2, edition_id=hi, created_at=days(2)),
                Subscription(chat_id=3, edition_id=hi, created_at=days(0.05)),
                Subscription(chat_id=4, edition_id=en, created_at=days(10)),
                Subscription(chat_id=7, edition_id=en, created_at=days(60)),
            ]
        )

        def delivery(chat: str, status: str, **values: object) -> Delivery:
            return Delivery(chat=chat, kind="digest", html="x", status=status, **values)

        session.add_all(
            [
                delivery("1", DeliveryStatus.SENT, sent_at=days(1)),
                delivery("2", DeliveryStatus.SENT, sent_at=days(1)),
                delivery("7", DeliveryStatus.SENT, sent_at=days(6)),
                delivery("7", DeliveryStatus.SENT, sent_at=days(50)),
                delivery("4", DeliveryStatus.FAILED, claimed_at=days(3)),
                delivery("5", DeliveryStatus.FAILED, claimed_at=days(12)),
                delivery("3", DeliveryStatus.PENDING),
            ]
        )
        session.add_all(
            [
                Feed(url="https://a.example/feed", edition_id=en),
                Feed(url="https://b.example/feed", edition_id=en),
                Feed(url="https://c.example/feed", edition_id=hi, error_count=3, last_error="503"),
                Feed(url="https://d.example/feed", edition_id=hi, active=False, error_count=9),
            ]
        )


class TestFigures:
    async def test_the_figures_are_what_the_rows_say(self, console: Console) -> None:
        await seed(console)
        client = await console.login()
        page = await client.get("/")
        assert page.status_code == 200
        assert figure(page, "readers") == "4"  # 1, 2, 3 and 7
        assert figure(page, "sign-ups") == "4"  # 2, 3, 4 and 5 in the last 30 days
        assert figure(page, "sent") == "3"
        assert figure(page, "failed") == "2"
        assert figure(page, "feeds") == "2"
        assert "1 failing" in page.text
        assert "1 paused" in page.text
        # Readers per edition: en has 1, 2 and 7 (4 is unreachable), hi has 2 and 3.
        assert edition_row(page, "en") == ["@console_en", "3", "+1", "2"]
        assert edition_row(page, "hi") == ["@console_hi", "2", "+2", "2"]

    async def test_the_charts_carry_the_same_numbers(self, console: Console) -> None:
        await seed(console)
        page = await (await console.login()).get("/?period=7d")
        charts = svgs(page)
        assert [svg.get("role") for svg in charts] == ["img"] * 4
        assert all(svg.findtext(f"{SVG}title") for svg in charts)
        labels = svg_texts(page)
        assert "All readers" in labels
        assert "en (@console_en)" in labels  # a line per edition
        assert "hi (@console_hi)" in labels
        tables = page.text.split("<details")[1:]
        assert len(tables) == 4
        readers_rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", tables[0])
        assert len(readers_rows) == 7
        assert readers_rows[-1].count('<td class="num">') == 3
        assert (
            '<td class="num">4</td><td class="num">3</td><td class="num">2</td>'
            in (readers_rows[-1])
        )


class TestPeriod:
    async def test_the_period_is_chosen_by_links(self, console: Console) -> None:
        await seed(console)
        client = await console.login()
        page = await client.get("/")
        for name in ("7d", "30d", "90d"):
            assert f'href="/?period={name}"' in page.text
        assert re.search(r'href="/\?period=30d" aria-current="page"', page.text)
        week = await client.get("/?period=7d")
        assert re.search(r'href="/\?period=7d" aria-current="page"', week.text)
        assert figure(week, "sign-ups") == "2"
        assert figure(week, "sent") == "3"
        assert figure(week, "failed") == "1"
        quarter = await client.get("/?period=90d")
        assert figure(quarter, "sign-ups") == "6"  # and 1 and 7
        assert figure(quarter, "sent") == "4"
        assert figure(quarter, "readers") == "4"

    @pytest.mark.parametrize("asked", ["365d", "bogus", "<script>", "7d%00", "30d&period=1"])
    async def test_any_other_period_shows_the_default_and_says_so(
        self, console: Console, asked: str
    ) -> None:
        await seed(console)
        page = await (await console.login()).get(f"/?period={asked}")
        assert page.status_code == 200
        assert "here are the last 30" in page.text
        assert re.search(r'href="/\?period=30d" aria-current="page"', page.text)
        assert figure(page, "sign-ups") == "4"
        assert "<script>" not in page.text


class TestHostileNames:
    async def test_names_stay_text_in_well_formed_svg(self, console: Console) -> None:
        await seed(console)
        async with console.db.session() as session, session.begin():
            session.add(Edition(code=HOSTILE_CODE, language="xx", channel=HOSTILE_CHANNEL))
        await console.core.open()  # the editions as the next start sees them
        page = await (await console.login()).get("/")
        assert page.status_code == 200
        labels = svg_texts(page)  # parses each chart as XML
        assert f"{HOSTILE_CODE} ({HOSTILE_CHANNEL})"[:27] + "…" in labels  # the legend
        assert HOSTILE_CAMPAIGN in labels
        titles = ["".join(t.itertext()) for svg in svgs(page) for t in svg.iter(f"{SVG}title")]
        assert HOSTILE_CAMPAIGN in titles
        assert "<script>" not in page.text
        assert "<svg onload" not in page.text
        assert edition_row(page, "&lt;b&gt;&amp;&#34;&#39;x")[0] == (
            "&#34;&gt;&lt;svg onload=alert(1)&gt;"
        )


class TestEmpty:
    @pytest.mark.parametrize("period", ["7d", "30d", "90d"])
    async def test_an_empty_database_renders(self, console: Console, period: str) -> None:
        page = await (await console.login()).get(f"/?period={period}")
        assert page.status_code == 200
        for name in ("readers", "sign-ups", "sent", "failed", "feeds"):
            assert figure(page, name) == "0"
        assert "No sign-ups in this period" in svg_texts(page)
        assert edition_row(page, "en") == ["@console_en", "0", "+0", "0"]
