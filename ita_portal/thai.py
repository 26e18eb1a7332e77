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


_DATE_RE = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$")


def parse_be_date(value: str) -> datetime.date:
    """Parse "30/09/2567" (day/month/พ.ศ., Thai or Arabic digits) into a Gregorian date.

    A Gregorian year ("30/09/2024") is refused instead of silently becoming 1481.
    """
    text = thai_digit_to_arabic_digit(value or "")
    m = _DATE_RE.match(text)
    if not m:
        raise BEDateError("รูปแบบวันที่ไม่ถูกต้อง กรุณากรอกเป็น วัน/เดือน/ปี พ.ศ. เช่น 30/09/2567")
    day, month, year = (int(g) for g in m.groups())
    if year < MIN_BE_YEAR:
        raise BEDateError(f"ปี {year} ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น {year + BE_OFFSET})")
    if year > MAX_BE_YEAR:
        raise BEDateError(f"ปี พ.ศ. {year} ไม่อยู่ในช่วงที่รับได้")
    try:
        return datetime.date(year - BE_OFFSET, month, day)
    except ValueError:
        raise BEDateError(f"ไม่มีวันที่ {day}/{month}/{year} ในปฏิทิน") from None


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
