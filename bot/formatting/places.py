"""Places as datelines name them: the gazetteer that tells ``Mumbai:`` (a dateline) from
``Modi:`` (a speaker).

A place followed by nothing but a colon (or, in Hindi, a danda) is only a dateline when it is
one of these: Indian state capitals and big cities, world capitals and the cities news is
filed from, in English, Hindi, Urdu, Bengali and Chinese or Japanese. Names are compared with
:func:`is_place`, ignoring case and spacing (``NEW DELHI`` is ``New Delhi``).
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["PLACES", "is_place"]

_ENGLISH: Final = (
    # India: the capitals of its states and territories, and its big cities.
    "New Delhi", "Delhi", "Mumbai", "Bombay", "Kolkata", "Calcutta", "Chennai", "Madras",
    "Bengaluru", "Bangalore", "Hyderabad", "Secunderabad", "Ahmedabad", "Gandhinagar", "Pune",
    "Surat", "Vadodara", "Jaipur", "Jodhpur", "Udaipur", "Lucknow", "Kanpur", "Varanasi",
    "Prayagraj", "Allahabad", "Agra", "Noida", "Ghaziabad", "Gurugram", "Gurgaon", "Faridabad",
    "Meerut", "Ayodhya", "Patna", "Gaya", "Ranchi", "Jamshedpur", "Bhopal", "Indore",
    "Gwalior", "Jabalpur", "Raipur", "Bhubaneswar", "Cuttack", "Puri", "Guwahati", "Dispur",
    "Shillong", "Imphal", "Aizawl", "Kohima", "Agartala", "Itanagar", "Gangtok", "Srinagar",
    "Jammu", "Leh", "Shimla", "Dehradun", "Chandigarh", "Amritsar", "Ludhiana", "Jalandhar",
    "Thiruvananthapuram", "Trivandrum", "Kochi", "Cochin", "Kozhikode", "Panaji", "Goa",
    "Puducherry", "Amaravati", "Visakhapatnam", "Vijayawada", "Coimbatore", "Madurai",
    "Mysuru", "Mysore", "Mangaluru", "Nagpur", "Nashik", "Aurangabad", "Kathmandu",
    "Port Blair", "Silvassa", "Daman", "Kavaratti",
    # South Asia.
    "Islamabad", "Lahore", "Karachi", "Peshawar", "Quetta", "Rawalpindi", "Dhaka",
    "Chittagong", "Colombo", "Kabul", "Thimphu", "Male",
    # The world's capitals and news cities.
    "Washington", "New York", "Los Angeles", "San Francisco", "Chicago", "Houston", "Miami",
    "Boston", "Ottawa", "Toronto", "Montreal", "Vancouver", "Mexico City", "Havana",
    "Brasilia", "Rio de Janeiro", "Sao Paulo", "Buenos Aires", "Santiago", "Lima", "Bogota",
    "Caracas", "London", "Paris", "Berlin", "Frankfurt", "Munich", "Brussels", "Amsterdam",
    "The Hague", "Geneva", "Zurich", "Vienna", "Rome", "Vatican City", "Milan", "Madrid",
    "Barcelona", "Lisbon", "Dublin", "Edinburgh", "Stockholm", "Oslo", "Copenhagen",
    "Helsinki", "Warsaw", "Prague", "Budapest", "Bucharest", "Athens", "Kyiv", "Kiev",
    "Moscow", "Minsk", "Ankara", "Istanbul", "Tehran", "Baghdad", "Damascus", "Beirut",
    "Amman", "Jerusalem", "Tel Aviv", "Gaza", "Ramallah", "Cairo", "Riyadh", "Jeddah",
    "Dubai", "Abu Dhabi", "Doha", "Kuwait City", "Muscat", "Manama", "Sanaa", "Tripoli",
    "Tunis", "Algiers", "Rabat", "Khartoum", "Addis Ababa", "Nairobi", "Kampala", "Lagos",
    "Abuja", "Accra", "Dakar", "Kinshasa", "Johannesburg", "Pretoria", "Cape Town",
    "Beijing", "Shanghai", "Hong Kong", "Taipei", "Tokyo", "Osaka", "Seoul", "Pyongyang",
    "Bangkok", "Hanoi", "Ho Chi Minh City", "Manila", "Jakarta", "Kuala Lumpur", "Singapore",
    "Yangon", "Naypyitaw", "Phnom Penh", "Canberra", "Sydney", "Melbourne", "Wellington",
    "Tashkent", "Almaty", "Astana", "Baku", "Tbilisi", "Yerevan", "Davos", "Strasbourg",
    "United Nations",
)  # fmt: skip

_HINDI: Final = (
    "नई दिल्ली", "नयी दिल्ली", "दिल्ली", "मुंबई", "कोलकाता", "चेन्नई", "बेंगलुरु", "बेंगलूरु",
    "बेंगलुरू", "हैदराबाद", "अहमदाबाद", "गांधीनगर", "पुणे", "सूरत", "जयपुर", "जोधपुर",
    "उदयपुर", "लखनऊ", "कानपुर", "वाराणसी", "प्रयागराज", "आगरा", "नोएडा", "गाजियाबाद",
    "ग़ाज़ियाबाद", "गुरुग्राम", "फरीदाबाद", "मेरठ", "अयोध्या", "पटना", "गया", "रांची",
    "जमशेदपुर", "भोपाल", "इंदौर", "ग्वालियर", "जबलपुर", "रायपुर", "भुवनेश्वर", "गुवाहाटी",
    "शिलांग", "इंफाल", "आइजोल", "कोहिमा", "अगरतला", "ईटानगर", "गंगटोक", "श्रीनगर", "जम्मू",
    "लेह", "शिमला", "देहरादून", "चंडीगढ़", "अमृतसर", "लुधियाना", "जालंधर", "तिरुवनंतपुरम",
    "कोच्चि", "पणजी", "पुडुचेरी", "अमरावती", "विशाखापत्तनम", "नागपुर", "नासिक", "काठमांडू",
    "इस्लामाबाद", "लाहौर", "कराची", "ढाका", "कोलंबो", "काबुल", "वाशिंगटन", "वॉशिंगटन",
    "न्यूयॉर्क", "लंदन", "पेरिस", "बर्लिन", "मॉस्को", "बीजिंग", "टोक्यो", "दुबई", "संयुक्त राष्ट्र",
)  # fmt: skip

_URDU: Final = (
    "اسلام آباد", "لاہور", "کراچی", "پشاور", "کوئٹہ", "راولپنڈی", "ملتان", "فیصل آباد",
    "مظفرآباد", "نئی دہلی", "دہلی", "ممبئی", "سری نگر", "کابل", "واشنگٹن", "لندن",
    "بیجنگ", "ماسکو", "ڈھاکہ", "تہران", "ریاض", "دبئی",
)  # fmt: skip

_BENGALI: Final = (
    "কলকাতা", "ঢাকা", "নয়াদিল্লি", "নয়াদিল্লি", "নতুন দিল্লি", "দিল্লি", "মুম্বই", "চট্টগ্রাম",
    "শিলিগুড়ি", "শিলিগুড়ি", "আগরতলা", "গুয়াহাটি", "গুয়াহাটি", "সিলেট", "খুলনা", "রাজশাহী",
)  # fmt: skip

_CJK: Final = (
    "北京", "上海", "广州", "深圳", "香港", "澳门", "台北", "東京", "东京", "大阪", "首尔",
    "ソウル", "华盛顿", "ワシントン", "纽约", "ニューヨーク", "伦敦", "ロンドン", "巴黎", "パリ",
    "莫斯科", "モスクワ", "新德里", "ニューデリー",
)  # fmt: skip


def _key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


#: Every place, as :func:`is_place` compares it (case-folded, spacing collapsed, NFC).
PLACES: Final = frozenset(_key(name) for name in (*_ENGLISH, *_HINDI, *_URDU, *_BENGALI, *_CJK))


def is_place(name: str) -> bool:
    """Whether ``name`` is a place a dateline names, or places joined by slashes
    (``Kolkata/New Delhi``)."""
    parts = name.split("/")
    return all(_key(part) in PLACES for part in parts) if name else False
