"""The lead of an article as a wire editor would keep it: the story's own text, nothing around it.

>>> clean_lead("NEW DELHI, Dec 1 (Reuters) - Storm hits the coast.\\n\\nPhoto: Reuters\\n\\n"
...            "Share this:\\n\\n• Twitter")
'Storm hits the coast.'

:func:`clean_lead` takes plain text (paragraphs separated by blank lines, lines by line breaks:
what :func:`~bot.formatting.html_text.html_to_text` and the page extractor give) and returns it
with its paragraphs and lines kept, without what a reader of a post should not see:

* **Datelines** at the start: ``New Delhi:``, ``NEW DELHI, Dec 1 (Reuters) -``, ``MUMBAI
  (PTI):``, ``(AP) —``, ``WASHINGTON —``, ``LONDON, Dec 1 (Reuters) –``, ``नई दिल्ली:``,
  ``मुंबई, 1 दिसंबर (भाषा)``, ``اسلام آباد:``. A post says where its story is from in its own
  words, and a dateline before the first sentence makes that sentence read wrong. A place in
  capitals may end in a colon or a dash; a place in title case or in another script only in a
  colon or with a news agency in brackets (``Nadal – who won…`` is no dateline); words that
  label rather than place (``Breaking:``, ``Watch:``, ``अपडेट:``) are not datelines. A name
  followed by a colon only is a dateline only when :mod:`bot.formatting.places` knows it as a
  place (``Modi: …`` and ``NASA: …`` quote a speaker); so is a Hindi ``नई दिल्ली।``, ``नई
  दिल्ली, एजेंसी।``, ``नई दिल्ली |``, a CJK ``【北京】``; a date, an agency in brackets or a dash
  after capitals proves one anyway (``北京12月1日电``, ``【東京＝共同】``, ``কলকাতা, ১ ডিসেম্বর:``).
  The story's first letter is capitalised once its dateline is gone.
* **Bylines and time stamps**: a line ``By Jane Doe``, ``By Jane Doe | Updated: …``, ``Written
  by …``, ``Reported by …``, ``Updated: Dec 1, 2023``, ``लेखक: …``, ``… द्वारा``, ``تحریر: …``.
* **Captions and photo credits**: a line ``Photo: Reuters``, ``File photo``, ``Representational
  image``, ``फाइल फोटो``, ``सौजन्य: एएनआई``, ``इनपुट: भाषा``, ``एजेंसी``; ``(Image credit: …)``,
  ``(Photo: PTI)``, ``(File photo)``, ``(इनपुट: एजेंसी)`` anywhere.
  The post does not show the page's pictures, so their captions describe nothing.
* **Calls to action**: share and like buttons (``Share this:``, ``Click to share on Twitter
  (Opens in new window)``, ``Like this:``, ``Like Loading...``: a ``Share this:`` or ``Like
  this:`` line ends the article), newsletter and channel invitations (``Sign up for our
  newsletter``, ``Follow us on …``, ``Join our WhatsApp channel``, ``यह भी पढ़ें``, ``ہمیں فالو
  کریں``), links to other stories (``Also read: …``, ``ALSO READ | …``), ``Advertisement``.
* **Blog engines' endings**: ``Continue reading →``, ``Continue reading…``, ``Read more »``,
  ``[Read more]``, ``Read the full story``, ``Click here to read more.``, ``The post … appeared
  first on …`` at the end of a line; a closing ``[…]`` becomes ``…`` (the text is still marked
  as cut, so :func:`~bot.formatting.condense.condense` can leave that sentence out).
* **Cookie notices and script text** leaked into the page's text (``We use cookies…``,
  ``(adsbygoogle = window.adsbygoogle || []).push({});``).
* **A first line or sentence that repeats the headline** (``title``): equal to it ignoring
  case and punctuation, or the headline followed by a mark (``Title: rest``, ``Title — rest``).
* **Repetition**: a line or a sentence (of at least :data:`MIN_REPEAT_CHARS`) that came before,
  and a teaser line whose text (without its ``…``) starts the text after it — a feed's summary
  glued to its content, a standfirst repeated as the first paragraph.

Patterns are matched line by line, each phrase list per language as data (:data:`PHRASES`:
English, Hindi, Urdu), all of them applied whatever the text's language. Nothing is removed from
the middle of a sentence except bracketed captions and share buttons.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import regex

from bot.formatting.condense import (
    ELLIPSIS,
    join_sentences,
    split_first_sentence,
    split_sentences,
)
from bot.formatting.html_text import clean_line
from bot.formatting.places import is_place

__all__ = ["MIN_REPEAT_CHARS", "PHRASES", "Phrases", "clean_lead", "drop_repeated_title"]

#: The shortest sentence (in code points) whose repetition is dropped: "Yes. Yes." may be meant.
MIN_REPEAT_CHARS: Final = 20


@dataclass(frozen=True, slots=True)
class Phrases:
    """One language's boilerplate, as regular expressions (``regex`` syntax, case-insensitive
    unless they say otherwise).

    ``lines`` match a whole line that is dropped; ``ends`` match from a line's start to the end
    of the article (the line and everything after it go); ``inline`` match anywhere and are
    removed; ``labels`` are words that end in a colon at a lead's start without being a place.
    """

    lines: tuple[str, ...] = ()
    ends: tuple[str, ...] = ()
    inline: tuple[str, ...] = ()
    labels: frozenset[str] = frozenset()


# A person's name in a byline: capitalised words (or all capitals), with the particles of names.
_NAME: Final = (
    r"(?-i:\p{Lu}[\p{L}'’.\-]*)(?:\s+(?:(?-i:\p{Lu}[\p{L}'’.\-]*)|de|da|del|van|von|bin|al|el"
    r"|la|le|du|di|dos)){0,5}"
)
_NAMES: Final = rf"{_NAME}(?:\s*(?:,|and|&)\s*{_NAME}){{0,3}}"
_MONTHS: Final = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
#: The rest of a byline or a caption after its separator: "| Updated: …", ", Reuters".
_REST: Final = r"(?:\s*[,|•·–—-]\s*[^\n]{0,160})?"

_ENGLISH_LABELS: Final = frozenset(
    {
        "breaking",
        "breaking news",
        "update",
        "updated",
        "updates",
        "watch",
        "video",
        "videos",
        "photo",
        "photos",
        "note",
        "editor's note",
        "exclusive",
        "analysis",
        "opinion",
        "explained",
        "explainer",
        "live",
        "live updates",
        "review",
        "interview",
        "warning",
        "alert",
        "fact check",
        "read",
        "also read",
        "q&a",
        "faq",
        "recap",
        "quiz",
        "poll",
        "podcast",
        "listen",
        "comment",
        "editorial",
        "letters",
        "obituary",
        "correction",
        "clarification",
        "summary",
        "highlights",
        "key points",
        "tl;dr",
        "wrap",
        "new",
        "just in",
        "developing",
        "official",
        "report",
        "sources",
        "source",
    }
)  # fmt: skip

ENGLISH: Final = Phrases(
    lines=(
        # Bylines and time stamps.
        rf"(?:by|written by|reported by|edited by|posted by|compiled by|story by|text by"
        rf"|words by|report by)\s*:?\s+{_NAMES}{_REST}",
        rf"(?:last |first )?(?:updated|published|posted|modified)(?: on| at)?\s*"
        rf"(?::|(?=\s+(?:\d|{_MONTHS}\s)))[^\n]{{1,100}}",
        # Captions and credits.
        r"\(?(?:file |representational |representative |stock )?(?:photo|photograph|picture"
        r"|pic|image|img|video)s?(?: credits?| courtesy| source| by)?\s*[:|]\s*[^\n]{1,300}\)?",
        r"\(?(?:image|photo|picture) (?:credit|courtesy)s?\s*[:-]?\s*[^\n]{0,120}\)?",
        r"\(?(?:file photo|file image|file picture|file|representational (?:image|photo|picture"
        r"|pic)|representative (?:image|photo|picture)|image for representation|for"
        r" representation(?:al)? purposes?(?: only)?|stock (?:image|photo)|getty images"
        r"|ap photo|reuters photo)\)?\.?",
        r"(?:credit|courtesy|source)\s*:\s*[^\n]{1,80}",
        # Share buttons, newsletters, channels, other stories.
        r"share(?: this| this (?:article|story|post|page))?(?: (?:on|via) [\w ]{1,30})?\s*:?",
        r"click to (?:share|print|email)[^\n]{0,120}",
        r"like loading\s*(?:\.\.\.|…)?",
        r"(?:sign up|subscribe|register)(?: now| today| here)?[^\n]{0,60}newsletters?[^\n]{0,200}",
        r"(?:get|receive) (?:our|the)[^\n]{0,40}newsletters?[^\n]{0,200}",
        r"follow (?:us|[^\n]{1,40}) on [^\n]{1,120}",
        r"(?:join|subscribe to|follow) (?:us on |our |the )?[^\n]{0,40}(?:whatsapp|telegram"
        r"|youtube|instagram|facebook)[^\n]{0,40}(?:channel|community|group|page)[^\n]{0,120}",
        r"(?:also read|read also|also see|see also|related|related (?:stories|articles|posts"
        r"|news|coverage)|must read|don't miss|recommended(?: for you)?|read more|continue"
        r" reading|read (?:the )?full (?:story|article)|top stories|trending)"
        r"(?:\s*[:|>»→›–—-]\s*[^\n]{0,300})?",
        r"(?:click here|tap here|download (?:the|our))[^\n]{0,200}",
        r"advertisement|ad|sponsored|story continues (?:below|after)[^\n]{0,40}"
        r"|scroll (?:down )?to continue[^\n]{0,40}|listen to (?:this|the) (?:article|story)"
        r"[^\n]{0,40}",
        r"(?:this (?:article|story) )?(?:was )?(?:originally|first) (?:published|appeared)"
        r" (?:on|in|at) [^\n]{1,120}",
    ),
    ends=(r"share this\s*:", r"like this\s*:", r"share this (?:article|story|post)\s*:?"),
    inline=(
        r"\s*\((?:image|photo|picture|video|pic)s?(?: credits?| courtesy| source)?\s*:"
        r"\s*[^()\n]{1,80}\)",
        r"\s*\((?:file photo|file image|file picture|file|representational (?:image|photo"
        r"|picture|pic)|representative (?:image|photo|picture)|image for representation"
        r"|photo for representation|getty images)\)",
        r"(?-i:Click to (?:share on [\w.+ ]{1,30}|print|email a link to a friend|email))"
        r"(?: \(Opens in new window\))?",
        r"\s*\(Opens in new window\)",
        r"(?-i:Like Loading)\s*(?:\.\.\.|…)",
    ),
    labels=_ENGLISH_LABELS,
)

_HINDI_LABELS: Final = frozenset(
    {
        "नोट",
        "अपडेट",
        "ब्रेकिंग",
        "ब्रेकिंग न्यूज़",
        "वीडियो",
        "लाइव",
        "खास",
        "विशेष",
        "फोटो",
        "यह भी पढ़ें",
        "सारांश",
        "विस्तार",
        "खबर",
        "राय",
        "विश्लेषण",
    }
)  # fmt: skip

HINDI: Final = Phrases(
    lines=(
        r"(?:लेखक|रिपोर्ट|रिपोर्टर|संवाददाता|द्वारा|एडिटेड बाय|संपादक|संपादित|लेखन|रिपोर्टिंग"
        r"|written by|edited by)\s*[:|ः-]\s*[^\n]{1,100}",
        r"[^\n:|]{1,60}\s+द्वारा(?:\s+(?:लिखित|प्रकाशित|संपादित|अपडेट))?[^\n]{0,60}",
        r"(?:अपडेटेड|अपडेट|प्रकाशित|पब्लिश्ड|अंतिम अपडेट|लास्ट अपडेटेड|प्रकाशित तिथि)"
        r"\s*(?::|ः|-)\s*[^\n]{1,100}",
        r"\(?(?:फाइल फोटो|फ़ाइल फ़ोटो|फाइल फ़ोटो|फ़ाइल फोटो|सांकेतिक तस्वीर|प्रतीकात्मक तस्वीर"
        r"|सांकेतिक फोटो|प्रतीकात्मक फोटो|सांकेतिक चित्र|प्रतीकात्मक चित्र)\)?\.?",
        r"\(?(?:फोटो|फ़ोटो|तस्वीर|चित्र|फोटो साभार|तस्वीर साभार|साभार)\s*[:|ः-]\s*[^\n]{1,200}\)?",
        r"(?:यह|ये|इसे|इन्हें) भी (?:पढ़ें|पढ़े|देखें)\s*(?:[:|>»→ः-]\s*[^\n]{0,300})?",
        r"(?:और|पूरी ख\u093c?बर|पूरा) पढ़ें[^\n]{0,60}",
        r"[^\n]{0,80}(?:फॉलो करें|फ़ॉलो करें|से जुड़ें|ज्वाइन करें|जॉइन करें|सब्सक्राइब करें"
        r"|लाइक करें)[^\n]{0,120}",
        r"[^\n]{0,80}(?:व्हाट्सऐप|व्हाट्सएप|वॉट्सऐप|वाट्सएप|टेलीग्राम|whatsapp|telegram)"
        r"\s*चैनल[^\n]{0,120}",
        r"शेयर करें\s*:?|विज्ञापन|स्पॉन्सर्ड|एजेंसी|एजेंसिया[ंँ]",
        # Credits and links to other stories: "सौजन्य: एएनआई", "(इनपुट: भाषा)", "पढ़ें: …"
        r"\(?(?:सौजन्य|इनपुट|इनपुट्स)\s*[:ः-]\s*[^\n]{1,80}\)?",
        r"पढ़ें\s*[:ः|]\s*[^\n]{1,300}",
        r"(?:देश-दुनिया|ताज़ा|ताजा|लेटेस्ट)[^\n]{0,40}(?:खबरें|ख़बरें|खबरों|ख़बरों|न्यूज़|अपडेट्स)"
        r"[^\n]{0,40}(?:के लिए|पढ़ें|देखें)[^\n]{0,200}",
    ),
    ends=(r"शेयर करें\s*:",),
    inline=(
        r"\s*\((?:फाइल फोटो|फ़ाइल फ़ोटो|फाइल फ़ोटो|फ़ाइल फोटो|सांकेतिक तस्वीर|प्रतीकात्मक तस्वीर"
        r"|सांकेतिक फोटो|प्रतीकात्मक फोटो|फोटो|फ़ोटो|तस्वीर)(?:\s*[:ः-]\s*[^()\n]{1,60})?\)",
        r"\s*\((?:इनपुट|इनपुट्स|सौजन्य)\s*[:ः-]\s*[^()\n]{1,60}\)",
    ),
    labels=_HINDI_LABELS,
)

URDU: Final = Phrases(
    lines=(
        r"(?:تحریر|رپورٹ|نامہ نگار|رپورٹر)\s*[:|-]\s*[^\n]{1,100}",
        r"ویب ڈیسک|اشتہار|شیئر کریں\s*:?|مزید پڑھیں[^\n]{0,60}",
        r"(?:یہ بھی پڑھیں|یہ بھی دیکھیں)\s*(?:[:|-]\s*[^\n]{0,300})?",
        r"\(?(?:فائل فوٹو|علامتی تصویر)\)?",
        r"\(?(?:فوٹو|تصویر)\s*[:|-]\s*[^\n]{1,200}\)?",
        r"[^\n]{0,60}(?:واٹس ایپ|ٹیلی گرام|whatsapp|telegram)[^\n]{0,80}(?:چینل|گروپ)[^\n]{0,120}",
        r"[^\n]{0,60}(?:فالو کریں|جوائن کریں|سبسکرائب کریں)[^\n]{0,120}",
    ),
    inline=(r"\s*\((?:فائل فوٹو|علامتی تصویر|فوٹو|تصویر)(?:\s*[:-]\s*[^()\n]{1,60})?\)",),
    labels=frozenset({"اپ ڈیٹ", "بریکنگ", "ویڈیو", "نوٹ"}),
)

#: Every language's phrases, all applied to every text.
PHRASES: Final = {"en": ENGLISH, "hi": HINDI, "ur": URDU}


def _union(patterns: Sequence[str]) -> regex.Pattern[str]:
    return regex.compile(
        "|".join(f"(?:{pattern})" for pattern in patterns), regex.IGNORECASE | regex.VERSION0
    )


_LINES: Final = _union([p for phrases in PHRASES.values() for p in phrases.lines])
_ENDS: Final = _union([p for phrases in PHRASES.values() for p in phrases.ends])
_INLINE: Final = _union([p for phrases in PHRASES.values() for p in phrases.inline])
#: What every inline phrase holds ("(…)", "Click to share…", "Like Loading…"): a line with none
#: of these is not searched for them, the usual case, which saves a third of a lead's cleaning.
INLINE_HINTS: Final = ("(", "Click to", "Like Loading")
_LABELS: Final = frozenset(label for phrases in PHRASES.values() for label in phrases.labels)

#: Where a phrase a blog engine appends may start: the line's start, or a space after the end
#: of a sentence or a cut mark ("… text. Continue reading", "text […] Read more").
_PHRASE_START: Final = r"(?:\A|(?<=[.!?…\]»)।۔] ))"
#: Words on one line that end no sentence on the way (a post's title, a site's name).
_CLAUSE: Final = r"(?:(?![.!?…] )[^\n])"
#: Phrases blog engines and share buttons leave at the end of a line (after the inline ones
#: are gone: "Storm hits. Share this: Like this:").
_LINE_ENDS: Final = tuple(
    regex.compile(pattern)
    for pattern in (
        # Yoast and many themes: "The post Title appeared first on Site."
        _PHRASE_START + f"The post {_CLAUSE}{{1,300}}? appeared first on {_CLAUSE}{{1,200}}\\Z",
        # "Continue reading →", "Continue reading Title", "Continue reading “Title” →"
        _PHRASE_START + f"(?i:continue reading)(?: {_CLAUSE}{{1,200}})?\\Z",
        f"(?:\\A|(?<=\\s))(?i:continue reading){_CLAUSE}{{0,200}}[→»›]\\Z",
        # "Read more", "Read more »", "Read More →", "Read more…"
        _PHRASE_START + r"(?i:read more)(?: ?(?:[→»›]|\.\.\.|…))?\Z",
        r"(?:\A|(?<=\s))(?i:read more) ?(?:[→»›]|\.\.\.|…)\Z",
        # Jetpack's headings, once its buttons are gone.
        _PHRASE_START + r"(?:(?i:share this|like this):\s*)+\Z",
        # "Continue reading…", "[Read more]", "Read the full story", "Click here to read more."
        _PHRASE_START + r"\[?(?i:continue reading|read more|read (?:the )?full (?:story|article)"
        r"|click here to read more)\]?(?: ?(?:[→»›]|\.\.\.|…))?\.?\Z",
        # Hindi and Urdu "read more".
        _PHRASE_START + r"(?:और पढ़ें|पूरा पढ़ें|पूरी ख\u093c?बर पढ़ें|مزید پڑھیں)\s*[→»›]?\Z",
    )
)
#: A closing bracketed ellipsis, WordPress's mark of an excerpt: it reads as "…".
_BRACKETED_CUT: Final = regex.compile(r"\s*[\[(](?:…|\.\.\.)[\])]\Z")
#: A caption phrase at a lead's start, before its first sentence ("File photo. Police said…").
_LEADING_CAPTION: Final = regex.compile(
    r"\A\(?(?:file photo|file image|representational (?:image|photo|picture|pic)"
    r"|representative (?:image|photo)|image for representation|फाइल फोटो|सांकेतिक तस्वीर"
    r"|प्रतीकात्मक तस्वीर|فائل فوٹو)\)?\s*[.|:।-]\s+",
    regex.IGNORECASE,
)

# Datelines ---------------------------------------------------------------------------------
_CAPS_WORD: Final = r"\p{Lu}[\p{Lu}.'’&]*(?:-\p{Lu}[\p{Lu}.'’]*)*"
_CAPS_PLACE: Final = rf"{_CAPS_WORD}(?:[ /]{_CAPS_WORD}){{0,3}}"
_TITLE_WORD: Final = r"\p{Lu}[\p{Ll}'’.]+(?:-\p{Lu}?[\p{Ll}'’.]+)*"
_TITLE_NAME: Final = rf"{_TITLE_WORD}(?: {_TITLE_WORD}){{0,2}}"
#: A place in title case, or places joined by slashes ("Kolkata/New Delhi").
_TITLE_PLACE: Final = rf"{_TITLE_NAME}(?:/{_TITLE_NAME}){{0,2}}"
_INDIC: Final = (
    r"[\p{Devanagari}\p{Bengali}\p{Gurmukhi}\p{Gujarati}\p{Oriya}\p{Tamil}\p{Telugu}"
    r"\p{Kannada}\p{Malayalam}]"
)
_INDIC_PLACE: Final = rf"{_INDIC}+(?: {_INDIC}+){{0,2}}"
_ARABIC_PLACE: Final = r"\p{Arabic}+(?: \p{Arabic}+){0,2}"
_BENGALI_MONTHS: Final = (
    r"(?:জানুয়ারি|জানুয়ারি|ফেব্রুয়ারি|ফেব্রুয়ারি|মার্চ|এপ্রিল|মে|জুন|জুলাই|আগস্ট|অগস্ট"
    r"|সেপ্টেম্বর|অক্টোবর|নভেম্বর|ডিসেম্বর)"
)
_DATE: Final = (
    rf"(?i:{_MONTHS}) \d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)? (?i:{_MONTHS})"
    rf"|\d{{1,2}} \p{{Devanagari}}+|\d{{1,2}} {_BENGALI_MONTHS}|\d{{1,2}} \p{{Arabic}}+"
)
_YEAR: Final = r"(?:,? \d{4})?"
_AGENCY: Final = r"\([^()\n]{1,30}\)"
_COLON: Final = r"\s*[:：]"
_DASH: Final = r"\s+(?:--|[-–—])"
#: What ends a Hindi dateline without a date: a danda or a bar ("नई दिल्ली। …", "नई दिल्ली | …").
_DANDA: Final = r"\s*[।|]"
#: A dateline. A place followed by a colon only (or, in Hindi, a danda) may be a speaker
#: ("Modi: …"), so it counts only when :func:`~bot.formatting.places.is_place` knows it; a
#: date (``proof``), an agency in brackets or a dash after capitals shows a dateline anyway.
_DATELINE: Final = regex.compile(
    r"\A(?:"
    # NEW DELHI: / NEW DELHI, Dec 1 (Reuters) - / MUMBAI (PTI): / WASHINGTON — / LONDON (AP) The
    rf"(?P<caps>{_CAPS_PLACE})(?P<cproof>, (?:{_DATE}){_YEAR})?"
    rf"(?:(?P<cagency> {_AGENCY})(?:{_COLON}|{_DASH})?|{_COLON}|(?P<cdash>{_DASH}))"
    # New Delhi: / New Delhi, Dec 1 (PTI) / Mumbai (PTI) - / Kolkata/New Delhi:
    rf"|(?P<title>{_TITLE_PLACE})(?P<tproof>, (?:{_DATE}){_YEAR})?"
    rf"(?:(?P<tagency> {_AGENCY})(?:{_COLON}|{_DASH})?|{_COLON})"
    # नई दिल्ली: / मुंबई, 1 दिसंबर (भाषा) / اسلام آباد: / কলকাতা, ১ ডিসেম্বর:
    # (after an agency, a danda or an Urdu full stop may close it: "श्रीनगर, 25 नवंबर (भाषा)।";
    # a known place may end in one alone, or after a bureau: "नई दिल्ली, जागरण ब्यूरो।")
    rf"|(?P<other>{_INDIC_PLACE}|{_ARABIC_PLACE})(?P<oproof>, (?:{_DATE}){_YEAR})?"
    rf"(?:(?P<oagency> {_AGENCY})(?:{_COLON}|{_DASH}|\s*[।۔])?|{_COLON}"
    rf"|(?:, (?:{_INDIC_PLACE}|{_AGENCY}))?{_DANDA})"
    # (AP) — / (Reuters) -
    rf"|{_AGENCY}(?:{_COLON}|{_DASH})"
    r")\s+(?=\S)"
    # Xinhua's 北京12月1日电 (a date proves it), 【北京】 and Kyodo's 【東京＝共同】
    r"|\A(?:新华社|中新社|中新网)?(?P<cjk>[\p{Han}\p{Katakana}ー]{1,8}?)\d{1,2}月\d{1,2}日电\s*"
    r"|\A【(?P<bracket>[\p{Han}\p{Katakana}ー]{1,8})(?P<kyodo>＝[^【】\n]{1,10})?】\s*"
)


def _strip_dateline(line: str) -> str:
    """``line`` (a lead's first) without its dateline, if it starts with one."""
    match = _DATELINE.match(line)
    if match is None:
        return line
    place = match.group("caps") or match.group("title") or match.group("other") or ""
    if place and " ".join(place.casefold().split()) in _LABELS:
        return line
    if match.group("caps") and not any(char.isalpha() for char in match.group("caps")[1:]):
        return line  # "A -" or "I:" is not a place
    bracket = match.group("bracket")
    proven = match.group("cjk") is not None or any(
        match.group(name)
        for name in ("cproof", "cagency", "cdash", "tproof", "tagency", "oproof", "oagency")
    )
    if bracket is not None:
        proven = match.group("kyodo") is not None
        place = bracket
    if place and not proven and not is_place(place):
        return line  # "Modi: …" quotes a speaker
    rest = line[match.end() :]
    if not any(char.isalnum() for char in rest):
        return line
    # "CHENNAI — heavy rain." reads as "Heavy rain." (but "eBay" stays as it is written).
    if "a" <= rest[0] <= "z" and not rest[1:2].isupper():
        rest = rest[0].upper() + rest[1:]
    return rest


# Lines -------------------------------------------------------------------------------------
#: What shows that a line is script text that leaked into a page's text.
_SCRIPT: Final = re.compile(
    r"(?:window|document)\.\w|googletag|adsbygoogle|dataLayer|\bgtag\(|\bfbq\(|\bfunction\s*\("
    r"|=>|\bvar\s+\w+\s*=|\b(?:let|const)\s+\w+\s*=|\}\)\(|\);\s*$"
)
_COOKIE_MARKS: Final = (
    "we use", "uses cookies", "use of cookies", "accept", "consent", "by continuing",
    "by using", "cookie policy", "cookie settings", "privacy policy", "your experience",
)  # fmt: skip


def _is_noise(line: str) -> bool:
    """Whether ``line`` is a cookie notice or script text."""
    lowered = line.casefold()
    if "cookie" in lowered and any(mark in lowered for mark in _COOKIE_MARKS):
        return True
    return any(char in line for char in "{};=") and _SCRIPT.search(line) is not None


def _strip_line_end(line: str) -> str:
    """``line`` without the phrases blog engines append (repeatedly: "… Read more. The post…")."""
    changed = True
    while changed:
        changed = False
        for pattern in _LINE_ENDS:
            match = pattern.search(line)
            if match is not None:
                line = line[: match.start()].rstrip()
                changed = True
    cut = _BRACKETED_CUT.search(line)
    if cut is not None and cut.start() > 0:
        line = line[: cut.start()].rstrip() + ELLIPSIS
    return line


def _clean_lines(paragraphs: list[list[str]], budget: int | None = None) -> list[list[str]]:
    """The paragraphs (lists of lines) without boilerplate lines, up to an article's end, or
    until the lines kept hold ``budget`` characters."""
    kept: list[list[str]] = []
    size = 0
    for paragraph in paragraphs:
        if budget is not None and size >= budget:
            return kept
        lines: list[str] = []
        for raw in paragraph:
            if any(hint in raw for hint in INLINE_HINTS):
                raw = _INLINE.sub("", raw)
            line = clean_line(raw)
            if _ENDS.fullmatch(line) is not None:
                if lines:
                    kept.append(lines)
                return kept
            if not line or _LINES.fullmatch(line) is not None or _is_noise(line):
                continue
            line = _strip_line_end(line)
            if line:
                lines.append(line)
                size += len(line) + 1
        if lines:
            kept.append(lines)
    return kept


# The headline ------------------------------------------------------------------------------
#: Sentence and clause marks that end a title repeated at the start of a text.
_REPEAT_MARKS: Final = "-–—:|.!?…।॥۔؟。？！"
#: What follows a repeated title on its line: a mark, then a space or the end ("Title: rest",
#: "Title — rest"). A comma or a space does not: "Apple, the iPhone maker" goes on with it.
_REPEAT_SEPARATOR: Final = re.compile(f"\\s*[{re.escape(_REPEAT_MARKS)}]+(?:\\s+|$)")
_PUNCTUATION: Final = regex.compile(r"[\p{P}\p{S}]+")


def _key(text: str) -> str:
    """``text`` compared ignoring case, punctuation and spacing."""
    return " ".join(_PUNCTUATION.sub(" ", text.casefold()).split())


def drop_repeated_title(text: str, title: str) -> str:
    """``text`` without a first line or sentence that repeats ``title``; lines are kept.

    The title is repeated when the text's first line or first sentence equals it (ignoring
    case, punctuation and spacing), or the first line starts with it followed by a sentence or
    clause mark (``Title: rest``, ``Title — rest``); after a title that ends in such a mark
    itself (``What now?``), a space is enough. A text that merely starts with the title's words
    (``Apple, the iPhone maker, …``, ``Storm Ciarán hit…``) is kept whole, and so is any text
    when the title was cut (ends in ``…``).
    """
    text = text.strip()
    key = _key(title)
    if not key or title.endswith(ELLIPSIS) or not text:
        return text
    line, newline, after = text.partition("\n")
    if _key(line) == key:
        return after.strip()
    first, rest = split_first_sentence(text)
    if _key(first) == key:
        return rest
    if line[: len(title)].casefold() != title.casefold():
        return text
    remaining = line[len(title) :]
    separator = _REPEAT_SEPARATOR.match(remaining)
    if separator is not None:
        return (remaining[separator.end() :] + newline + after).strip()
    if title[-1] in _REPEAT_MARKS and remaining[:1].isspace():
        return (remaining + newline + after).strip()
    return text  # "Rain" is not repeated in "Rainbows" nor "Storm" in "Storm-5"


# Repetition --------------------------------------------------------------------------------
def _without_teasers(paragraphs: list[list[str]]) -> list[list[str]]:
    """The paragraphs without lines said before, nor a teaser line the text after it starts
    with (a summary cut with ``…``, or whole, glued before the content it summarises)."""
    flat = [(p, line) for p, lines in enumerate(paragraphs) for line in lines]
    keys = [_key(line) for _, line in flat]
    seen: set[str] = set()
    keep = [True] * len(flat)
    for index, key in enumerate(keys):
        if len(key) < MIN_REPEAT_CHARS:
            continue
        if key in seen:
            keep[index] = False
            continue
        # Only near the start (where summaries are glued to contents), to keep this linear.
        if index < 20 and " ".join(keys[index + 1 : index + 40]).startswith(key):
            keep[index] = False  # the text after says it whole
            continue
        seen.add(key)
    result: list[list[str]] = [[] for _ in paragraphs]
    for (paragraph, line), wanted in zip(flat, keep, strict=True):
        if wanted:
            result[paragraph].append(line)
    return [lines for lines in result if lines]


def _without_repeated_sentences(paragraphs: list[list[str]]) -> list[list[str]]:
    """The paragraphs without sentences said before (long enough to count), nor a cut
    sentence (``…``) that a later sentence completes."""
    seen: set[str] = set()
    result: list[list[str]] = []
    sentences_by_line = [[split_sentences(line) for line in lines] for lines in paragraphs]
    later = [
        _key(sentence)
        for lines in sentences_by_line
        for sentences in lines
        for sentence in sentences
    ]
    # A sentence said before goes when it is long enough to count, or when a sentence next to
    # it is said again too (a run of short sentences glued twice: "Storm hits. Ferries stay.").
    repeated: list[bool] = []
    for key in later:
        repeated.append(key in seen)
        seen.add(key)
    position = 0
    for lines, line_sentences in zip(paragraphs, sentences_by_line, strict=True):
        kept_lines: list[str] = []
        for line, sentences in zip(lines, line_sentences, strict=True):
            kept: list[str] = []
            for sentence in sentences:
                index, key = position, later[position]
                position += 1
                neighbours = repeated[max(index - 1, 0) : index + 2]
                if repeated[index] and (len(key) >= MIN_REPEAT_CHARS or neighbours.count(True) > 1):
                    continue
                if sentence.endswith(("…", "...")) and len(key) >= MIN_REPEAT_CHARS:
                    following = later[position : position + 20]
                    if any(other != key and other.startswith(key) for other in following):
                        continue
                kept.append(sentence)
            if len(kept) == len(sentences):
                kept_lines.append(line)
            elif kept:
                kept_lines.append(join_sentences(kept))
        if kept_lines:
            result.append(kept_lines)
    return result


def _paragraphs(text: str) -> list[list[str]]:
    """``text`` as paragraphs (split at blank lines) of lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = re.split(r"\n[^\S\n]*\n\s*", text)
    return [[line for line in block.split("\n") if line.strip()] for block in blocks]


def _text(paragraphs: list[list[str]]) -> str:
    return "\n\n".join("\n".join(lines) for lines in paragraphs if lines)


def _clean_start(text: str, title: str) -> str:
    """``text`` without a caption, a dateline or a repeated headline at its start."""
    for _ in range(3):
        before = text
        text = drop_repeated_title(text, title) if title else text
        line, newline, after = text.partition("\n")
        line = _LEADING_CAPTION.sub("", line, count=1)
        text = (_strip_dateline(line) + newline + after).strip()
        if text == before:
            break
    return text


def clean_lead(text: str, *, title: str = "", budget: int | None = None) -> str:
    """``text`` (plain) without the boilerplate the module docstring lists; paragraphs kept.

    ``title`` is the article's headline, so that a first line or sentence repeating it goes.
    Paragraphs come back separated by a blank line, lines by a line break, each line with its
    whitespace collapsed. Empty when nothing of the article is left. With a ``budget``, only the
    paragraphs up to the one that brings the kept text to ``budget`` characters are read: a
    lead is the start of an article, and the rest of a long read need not be cleaned.
    """
    # NFC, as the phrase lists are written: a decomposed "Å" keeps its ring (Telegram deletes
    # U+030A), and Devanagari's precomposed nukta letters (U+0958–U+095F, which NFC decomposes)
    # match the phrases written with a nukta sign ("पढ़ें").
    text = unicodedata.normalize("NFC", text)
    paragraphs = _clean_lines(_paragraphs(text), budget)
    cleaned = _clean_start(_text(paragraphs), clean_line(title))
    paragraphs = _without_repeated_sentences(_without_teasers(_paragraphs(cleaned)))
    # Lines of marks only ("* * *", "—") go, unless they are all there is ("…").
    wordy = [[line for line in lines if _has_word(line)] for lines in paragraphs]
    return _text(wordy) if any(wordy) else _text(paragraphs)


def _has_word(line: str) -> bool:
    return any(char.isalnum() for char in line)
