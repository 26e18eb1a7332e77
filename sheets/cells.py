"""Cell values → Python, with Thai messages (ValueError, as import-export widgets expect)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from pythainlp.util import thai_digit_to_arabic_digit

from ita_portal.thai import BE_OFFSET, MAX_BE_YEAR, MIN_BE_YEAR, BEDateError, format_be_date, parse_be_date


def clean_text(value, *, max_length: int | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, datetime.datetime | datetime.date):
        text = format_be_date(date_of_cell(value))
    else:
        text = str(value).replace("\r\n", "\n").strip()
    if max_length and len(text) > max_length:
        raise ValueError(f"ข้อความยาวเกิน {max_length:,} ตัวอักษร (ยาว {len(text):,} ตัวอักษร) กรุณาตัดให้สั้นลง")
    return text


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_decimal(value, *, places: int = 2, minimum=Decimal("0"), maximum=None) -> Decimal | None:
    if is_blank(value):
        return None
    if isinstance(value, bool) or isinstance(value, datetime.date):
        raise ValueError(f"ต้องเป็นตัวเลข (ได้ “{clean_text(value)}”)")
    try:
        if isinstance(value, float):
            d = Decimal(repr(value))
        elif isinstance(value, int | Decimal):
            d = Decimal(value)
        else:
            s = thai_digit_to_arabic_digit(str(value)).strip().replace(",", "").replace(" ", "")
            d = Decimal(s)
        if not d.is_finite():
            raise InvalidOperation
        q = d.quantize(Decimal(1).scaleb(-places))
    except (InvalidOperation, ValueError):
        raise ValueError(f"“{value}” ไม่ใช่ตัวเลข") from None
    if abs(d - q) > Decimal("1e-9"):
        raise ValueError(f"{value} มีทศนิยมเกิน {places} ตำแหน่ง")
    if minimum is not None and q < minimum:
        raise ValueError(f"{q} น้อยกว่าที่รับได้ (ต่ำสุด {minimum})")
    if maximum is not None and q > maximum:
        raise ValueError(f"{q} มากกว่าที่รับได้ (สูงสุด {maximum})")
    return q


def clean_int(value, *, minimum: int = 1) -> int | None:
    if is_blank(value):
        return None
    if isinstance(value, bool) or isinstance(value, datetime.date):
        raise ValueError(f"ต้องเป็นเลขจำนวนเต็ม (ได้ “{clean_text(value)}”)")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"ต้องเป็นเลขจำนวนเต็ม (ได้ {value})")
        n = int(value)
    elif isinstance(value, int):
        n = value
    else:
        s = thai_digit_to_arabic_digit(str(value)).strip()
        if re.fullmatch(r"\d+(\.0+)?", s):
            n = int(float(s))
        else:
            raise ValueError(f"ต้องเป็นเลขจำนวนเต็ม (ได้ “{value}”)")
    if n < minimum:
        raise ValueError(f"ต้องไม่น้อยกว่า {minimum} (ได้ {n})")
    return n


_YEAR_RE = re.compile(r"^(?:ปีงบประมาณ|ปีงบ|ปี|พ\.ศ\.|พ\.ศ|\s)*(\d{4})\s*$")


def clean_be_year(value) -> int:
    """A fiscal year in พ.ศ.; a Gregorian year (2024) is refused with the BE year to type instead."""
    if is_blank(value):
        raise ValueError("กรุณาระบุปีงบประมาณ (พ.ศ.)")
    if isinstance(value, bool) or isinstance(value, datetime.date):
        raise ValueError("ปีงบประมาณต้องเป็นปี พ.ศ. 4 หลัก เช่น 2567 ไม่ใช่วันที่")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        year = value
    else:
        m = _YEAR_RE.match(thai_digit_to_arabic_digit(str(value)).strip())
        if not m:
            raise ValueError(f"“{value}” ไม่ใช่ปี พ.ศ. (ตัวอย่าง: 2567)")
        year = int(m.group(1))
    if year < MIN_BE_YEAR:
        if 1900 <= year <= 2200:
            raise ValueError(f"ปี {year} ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น {year + BE_OFFSET})")
        raise ValueError(f"ปี {year} ไม่ใช่ปี พ.ศ. ที่ถูกต้อง")
    if year > MAX_BE_YEAR:
        raise ValueError(f"ปี พ.ศ. {year} ไม่อยู่ในช่วงที่รับได้")
    return year


def date_of_cell(value) -> datetime.date:
    """A date typed into a spreadsheet date cell. A year ≥ 2400 is a พ.ศ. year typed where the
    spreadsheet expected ค.ศ. (30/09/2567 stored as the year 2567 AD): take 543 off."""
    d = value.date() if isinstance(value, datetime.datetime) else value
    if d.year >= MIN_BE_YEAR:
        try:
            return d.replace(year=d.year - BE_OFFSET)
        except ValueError:  # 29 Feb of a BE leap year stored in a non-leap CE year, or the reverse
            raise ValueError(f"ไม่มีวันที่ {d.day}/{d.month}/{d.year} ในปฏิทิน") from None
    return d


def clean_be_date(value) -> datetime.date | None:
    """A date typed วว/ดด/ปปปป in พ.ศ. ("30/09/2567"), or a real date cell."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime | datetime.date):
        return date_of_cell(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise ValueError(f"“{value}” ไม่ใช่วันที่ กรุณากรอกเป็น วว/ดด/ปปปป (พ.ศ.) เช่น 30/09/2567")
    try:
        return parse_be_date(str(value))
    except BEDateError as exc:
        raise ValueError(str(exc)) from None


def leading_int(value) -> int | None:
    """The number an item starts with: 4, "4", "ตัวชี้วัดที่ 4", "4 การใช้ทรัพย์สินของราชการ", "1) กระบวน…"."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    m = re.match(r"^\s*(?:ตัวชี้วัดที่|ประเด็นที่|ข้อ)?\s*(\d+)", thai_digit_to_arabic_digit(str(value or "")))
    return int(m.group(1)) if m else None


def short_text(value) -> str:
    """A value as a change list shows it: "(ว่าง)" for blank, one line, at most 40 characters."""
    if value is None or value == "":
        return "(ว่าง)"
    text = " ".join(str(value).split())
    return text if len(text) <= 40 else text[:39] + "…"
