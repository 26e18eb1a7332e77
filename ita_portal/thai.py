"""Thai conventions in one place: พ.ศ. dates, Thai digits, fiscal years.

Dates are stored Gregorian and shown/accepted in พ.ศ. (BE = CE + 543).
"""

import datetime
import re
from decimal import Decimal

from pythainlp.util import arabic_digit_to_thai_digit, thai_digit_to_arabic_digit, thai_strftime

BE_OFFSET = 543
# A BE year typed into a form: anything below this is taken to be a Gregorian year by mistake.
MIN_BE_YEAR = 2400
MAX_BE_YEAR = 2700


def be_year(d: datetime.date) -> int:
    return d.year + BE_OFFSET


def fiscal_year_of(d: datetime.date) -> int:
    """FY is named by the BE year it ends in: 1 Oct 2023 → FY 2567."""
    return be_year(d) + (1 if d.month >= 10 else 0)


def fiscal_year_bounds(fy: int) -> tuple[datetime.date, datetime.date]:
    ce = fy - BE_OFFSET
    return datetime.date(ce - 1, 10, 1), datetime.date(ce, 9, 30)


def six_month_end(fy: int) -> datetime.date:
    return datetime.date(fy - BE_OFFSET, 3, 31)


def thai_date(d: datetime.date | None, *, short: bool = False) -> str:
    if d is None:
        return ""
    return thai_strftime(d, "%-d %b %y" if short else "%-d %B %Y")


def thai_digits(text) -> str:
    return arabic_digit_to_thai_digit(str(text))


class BEDateError(ValueError):
    """A date that is not a valid พ.ศ. date; the message is Thai and meant for users."""


THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
THAI_MONTHS_SHORT = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
# A month written out: the full name, or the short one with or without its dots ("มี.ค.", "มีค").
_MONTH_BY_NAME = {
    **{name: i for i, name in enumerate(THAI_MONTHS, 1)},
    **{short.replace(".", ""): i for i, short in enumerate(THAI_MONTHS_SHORT, 1)},
}
_SEP = r"(?:\s*[/.\-]\s*|\s+)"
_DATE_RE = re.compile(rf"^(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d+)$")
_COMPACT_RE = re.compile(r"^(\d{2})(\d{2})(\d{4}|\d{2})$")
_NAMED_RE = re.compile(r"^(\d{1,2})\s*([ก-๎.]+?)\s*(\d+)$")
DATE_FORMAT_HELP = "กรอกเป็น วัน/เดือน/ปี พ.ศ. เช่น 15/3/2568, 15032568 หรือ 15 มี.ค. 2568"


def _be_year(text: str) -> int:
    """A year as typed: four digits are a พ.ศ. year; two digits are พ.ศ. 25xx ("68" → 2568).

    A Gregorian year (below MIN_BE_YEAR) is refused with one message naming the พ.ศ. year meant.
    """
    if len(text) == 2:
        return 2500 + int(text)
    if len(text) != 4:
        raise BEDateError(f"รูปแบบวันที่ไม่ถูกต้อง ปีต้องมี 4 หลัก (พ.ศ.) — {DATE_FORMAT_HELP}")
    year = int(text)
    if year < MIN_BE_YEAR:
        raise BEDateError(f"ปี {year} ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น {year + BE_OFFSET})")
    if year > MAX_BE_YEAR:
        raise BEDateError(f"ปี พ.ศ. {year} ไม่อยู่ในช่วงที่รับได้ ({MIN_BE_YEAR}–{MAX_BE_YEAR})")
    return year


def parse_be_date(value: str) -> datetime.date:
    """Parse a day, month and พ.ศ. year into a Gregorian date.

    Accepted: "15/3/2568", "15-3-2568", "15.3.2568", "15 3 2568", "15032568" (วันเดือนปี, 8 digits),
    "15 มี.ค. 2568" or "15 มีนาคม 2568", Thai or Arabic digits, and two-digit years read as
    พ.ศ. 25xx ("1/3/68" = 1 มีนาคม 2568, the way Thai forms abbreviate the year).
    A Gregorian year ("15/3/2025") is refused, with one message, instead of becoming 1482.
    """
    text = thai_digit_to_arabic_digit(value or "").strip()
    text = re.sub(r"^วันที่\s*", "", text)
    text = re.sub(r"\s*พ\.?\s*ศ\.?\s*", " ", text).strip()
    m = _DATE_RE.match(text) or _COMPACT_RE.match(text)
    if m:
        day, month = int(m.group(1)), int(m.group(2))
    else:
        m = _NAMED_RE.match(text)
        month = _MONTH_BY_NAME.get(m.group(2).replace(".", "")) if m else None
        if not month:
            raise BEDateError(f"รูปแบบวันที่ไม่ถูกต้อง {DATE_FORMAT_HELP}")
        day = int(m.group(1))
    year = _be_year(m.group(3))
    try:
        return datetime.date(year - BE_OFFSET, month, day)
    except ValueError:
        raise BEDateError(f"ไม่มีวันที่ {day}/{month}/{year} ในปฏิทิน") from None


def today() -> datetime.date:
    """Today in Thailand (the portal's TIME_ZONE), whatever the server's clock zone."""
    from django.utils import timezone

    return timezone.localdate()


def round_period(fiscal_year: int, *, six_month: bool) -> tuple[datetime.date, datetime.date]:
    """The days a reporting round covers: the six-month round is 1 ต.ค. – 31 มี.ค., the annual
    round the whole fiscal year (1 ต.ค. – 30 ก.ย.)."""
    start, end = fiscal_year_bounds(fiscal_year)
    return start, six_month_end(fiscal_year) if six_month else end


def format_be_date(d: datetime.date | None) -> str:
    if d is None:
        return ""
    return f"{d.day:02d}/{d.month:02d}/{be_year(d)}"


def score(value, *, digits: str = "arabic") -> str:
    if value is None:
        return "–"
    text = f"{Decimal(value):.2f}"
    return thai_digits(text) if digits == "thai" else text


def signed(value, *, digits: str = "arabic") -> str:
    if value is None:
        return "–"
    v = Decimal(value)
    text = f"{'+' if v > 0 else '−' if v < 0 else '±'}{abs(v):.2f}"
    return thai_digits(text) if digits == "thai" else text


# Search (#13). Thai is written without spaces between words, and one "word" a person types is
# often part of a longer compound in the text ("หน้าที่" inside "เจ้าหน้าที่"). A query is cut into
# words with PyThaiNLP's dictionary segmenter ("ประชุมเจ้าหน้าที่" → ประชุม, เจ้าหน้าที่) and a text
# matches when every word occurs in it, anywhere, even inside a compound.
_SEARCH_DROP = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")
_PUNCT_ONLY = re.compile(r"^[\W_]+$")


def search_normalize(text: str) -> str:
    """Lower case, Arabic digits, no zero-width characters, single spaces."""
    return _SEARCH_DROP.sub(" ", thai_digit_to_arabic_digit(str(text or "")).lower()).strip()


def search_terms(query: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each space-separated part of a query with its words: ("ประชุมเจ้าหน้าที่", ("ประชุม", "เจ้าหน้าที่"))."""
    from pythainlp.tokenize import word_tokenize

    terms = []
    for chunk in search_normalize(query).split(" "):
        words = tuple(w.strip() for w in word_tokenize(chunk, keep_whitespace=False) if chunk)
        words = tuple(dict.fromkeys(w for w in words if w and not _PUNCT_ONLY.match(w)))
        if words:
            terms.append((chunk, words))
    return terms


def search_matches(text: str, terms: list[tuple[str, tuple[str, ...]]]) -> bool:
    """Whether the text (as search_normalize() gives it) holds every part of the query: the part as
    typed, or else each of its words somewhere (the segmenter may cut a part otherwise than the
    text is written)."""
    return all(chunk in text or all(word in text for word in words) for chunk, words in terms)
