"""`newsbot demo` runs the whole system by itself and shows posts as readers read them."""

from __future__ import annotations

import pytest

from bot.demo import as_reader_sees, run_demo
from bot.sandbox import parse_telegram_html


class TestDemo:
    @pytest.mark.slow
    async def test_demo_succeeds(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The demo exits 0 and prints each edition's channel and each reader's chat: English
        articles in the English channel and to Asha, the Hindi one in the Hindi channel and to
        Meera, who is welcomed in Hindi."""
        assert await run_demo(quiet=True) == 0
        out = capsys.readouterr().out
        assert (
            "OK: 3 articles published; 3 posts in the English channel, 1 in the Hindi one; "
            "5 messages to Asha, 3 to Meera." in out
        )
        english, hindi = out.split("━━ Hindi channel")[0], out.split("━━ Hindi channel")[1]
        hindi_channel = hindi.split("━━ Asha's")[0]
        assert "घाटी में पहली बर्फ़ गिरी" in hindi_channel
        assert "घाटी" not in english
        assert "Rail link" not in hindi_channel
        meera = out.split("━━ Meera's private chat")[1].split("━━ the editor's")[0]
        assert "नमस्ते, Meera!" in meera
        assert "The Valley Courier" in meera  # PUBLISHER_NAME, not "our newsroom"
        assert "पूरी खबर पढ़ें" in meera
        assert "Read more → https://courier.example/2026/11/storm-warning" in out
        # The posts read as an editor's: no dateline, site name, share buttons or blog footer;
        # the doubly escaped headline decoded once; the categories as hashtags.
        assert "Rail link to the coast & the hills reopens after repairs\n" in out
        assert "\n  │ Trains run again between the valley" in out
        assert "\n  │ घाटी में इस मौसम की पहली बर्फ़" in out
        for leftover in (
            "MILLBROOK",
            "श्रीनगर",
            "(भाषा)",
            "Courier\n",
            "Share this",
            "appeared first",
        ):
            assert leftover not in out
        assert "#Transport #MillbrookTunnel" in out


class TestReaderView:
    def test_entities_are_placed_by_utf16_offsets(self) -> None:
        """Bold and links land in the right place after emoji and Devanagari (UTF-16 offsets)."""
        html = '<b>😀 घाटी</b>\n\ntext <a href="https://x.example/">पूरा पढ़ें</a> end'
        parsed = parse_telegram_html(html)
        message = {"from_bot": True, "text": parsed.text, "entities": parsed.entities}
        assert as_reader_sees(message, bold=True).splitlines() == [
            "  │ \033[1m😀 घाटी\033[0m",
            "  │ ",
            "  │ text पूरा पढ़ें → https://x.example/ end",
        ]

    def test_reader_messages_are_quoted(self) -> None:
        """What the reader sent is shown as theirs."""
        assert as_reader_sees({"from_bot": False, "text": "/start"}, bold=False) == "  you: /start"
