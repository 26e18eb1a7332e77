"""Downloads of the oversight tables as .xlsx and .csv, built with pandas from the selectors' data.

Each table is what a page shows (the ranking in full, not a page of it), for the same scope and
filters. Text is data, never a formula: in .xlsx every text cell is stored as text; in .csv a
value that a spreadsheet would read as a formula (= + - @ tab CR first) gets a leading apostrophe.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from assessments.models import FiscalYear
from sheets.writing import csv_safe, text_cell

from . import selectors
from .selectors import Filters, Scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
PUBLISHED = {True: "เผยแพร่แล้ว", False: "ยังไม่เผยแพร่"}
YES_NO = {True: "ใช่", False: "ไม่ใช่"}


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _ranking(scope: Scope, filters: Filters, year: FiscalYear) -> pd.DataFrame:
    rows = selectors.ranking_rows(scope=scope, filters=filters, year=year)
    return pd.DataFrame(
        [
            {
                "อันดับ": r.rank,
                "รหัสหน่วยงาน": r.agency.code,
                "หน่วยงาน": r.agency.name,
                "ประเภท": r.agency.get_kind_display(),
                "อำเภอ": r.agency.district,
                "จังหวัด": r.agency.province,
                "คะแนนรวม": _dec(r.overall),
                "ระดับ": r.level_awarded,
                "ต่ำกว่าคะแนนเป้าหมาย": YES_NO[r.below],
                "รายงานรอบ 6 เดือน": PUBLISHED[r.six],
                "รายงานประจำปี": PUBLISHED[r.annual],
            }
            for r in rows
        ],
        columns=[
            "อันดับ",
            "รหัสหน่วยงาน",
            "หน่วยงาน",
            "ประเภท",
            "อำเภอ",
            "จังหวัด",
            "คะแนนรวม",
            "ระดับ",
            "ต่ำกว่าคะแนนเป้าหมาย",
            "รายงานรอบ 6 เดือน",
            "รายงานประจำปี",
        ],
    )


def _publications(scope: Scope, filters: Filters, year: FiscalYear) -> pd.DataFrame:
    rows = selectors.publications(scope=scope, filters=filters, year=year)
    return pd.DataFrame(
        [
            {
                "รหัสหน่วยงาน": p.agency.code,
                "หน่วยงาน": p.agency.name,
                "ประเภท": p.agency.get_kind_display(),
                "อำเภอ": p.agency.district,
                "จังหวัด": p.agency.province,
                "รายงานรอบ 6 เดือน": PUBLISHED[p.six],
                "รายงานประจำปี": PUBLISHED[p.annual],
            }
            for p in rows
        ],
        columns=["รหัสหน่วยงาน", "หน่วยงาน", "ประเภท", "อำเภอ", "จังหวัด", "รายงานรอบ 6 เดือน", "รายงานประจำปี"],
    )


def _summary(scope: Scope, filters: Filters, year: FiscalYear) -> selectors.Summary:
    return selectors.summary_cached(scope=scope, filters=filters, year=year)


def _distribution(scope: Scope, filters: Filters, year: FiscalYear) -> pd.DataFrame:
    s = _summary(scope, filters, year)
    return pd.DataFrame(
        [
            {
                "ช่วงคะแนน": b["label"],
                "จำนวน (แห่ง)": b["count"],
                "ร้อยละ": _dec(b["share"]),
                "ต่ำกว่าคะแนนเป้าหมาย": YES_NO[b["below"]],
            }
            for b in s.distribution
        ]
    )


def _levels(scope: Scope, filters: Filters, year: FiscalYear) -> pd.DataFrame:
    s = _summary(scope, filters, year)
    return pd.DataFrame(
        [{"ระดับ": lv["label"], "จำนวน (แห่ง)": lv["count"], "ร้อยละ": _dec(lv["share"])} for lv in s.levels],
        columns=["ระดับ", "จำนวน (แห่ง)", "ร้อยละ"],
    )


def _indicators(scope: Scope, filters: Filters, year: FiscalYear) -> pd.DataFrame:
    s = _summary(scope, filters, year)
    return pd.DataFrame(
        [
            {
                "ตัวชี้วัดที่": i["number"],
                "ตัวชี้วัด": i["name"],
                "แบบวัด": i["tool"],
                "คะแนนเฉลี่ย": _dec(i["mean"]),
                "เฉลี่ยต่ำกว่าคะแนนเป้าหมาย": YES_NO[i["mean_below"]],
                "หน่วยงานที่ต่ำกว่าคะแนนเป้าหมาย": i["below"],
                "หน่วยงานที่มีคะแนน": i["count"],
                "ร้อยละที่ต่ำกว่าคะแนนเป้าหมาย": _dec(i["below_share"]),
            }
            for i in s.indicators
        ],
        columns=[
            "ตัวชี้วัดที่",
            "ตัวชี้วัด",
            "แบบวัด",
            "คะแนนเฉลี่ย",
            "เฉลี่ยต่ำกว่าคะแนนเป้าหมาย",
            "หน่วยงานที่ต่ำกว่าคะแนนเป้าหมาย",
            "หน่วยงานที่มีคะแนน",
            "ร้อยละที่ต่ำกว่าคะแนนเป้าหมาย",
        ],
    )


def _areas(scope: Scope, filters: Filters, year: FiscalYear) -> pd.DataFrame:
    s = _summary(scope, filters, year)
    return pd.DataFrame(
        [
            {
                s.area_label: a["name"] or "ไม่ระบุ",
                "หน่วยงาน": a["agencies"],
                "มีผลคะแนน": a["scored"],
                "คะแนนเฉลี่ย": _dec(a["mean"]),
                "ร้อยละที่ผ่านคะแนนเป้าหมาย": _dec(a["passing_share"]),
                "เผยแพร่รอบ 6 เดือน (แห่ง)": a["six"],
                "เผยแพร่ประจำปี (แห่ง)": a["annual"],
            }
            for a in s.areas
        ],
        columns=[
            s.area_label,
            "หน่วยงาน",
            "มีผลคะแนน",
            "คะแนนเฉลี่ย",
            "ร้อยละที่ผ่านคะแนนเป้าหมาย",
            "เผยแพร่รอบ 6 เดือน (แห่ง)",
            "เผยแพร่ประจำปี (แห่ง)",
        ],
    )


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name (at most 31 characters)
    build: Callable[[Scope, Filters, FiscalYear], pd.DataFrame]


TABLES = {
    "ranking": Table("จัดอันดับหน่วยงาน", _ranking),
    "publications": Table("การเผยแพร่รายงาน", _publications),
    "distribution": Table("การกระจายของคะแนนรวม", _distribution),
    "levels": Table("ระดับผลการประเมิน", _levels),
    "indicators": Table("ตัวชี้วัดที่ยังอ่อน", _indicators),
    "areas": Table("แยกรายพื้นที่", _areas),
}
FORMATS = ("xlsx", "csv")


def frame_csv(frame: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a BOM (Excel then opens Thai text correctly), formulas neutralised."""
    text = frame.map(csv_safe).to_csv(index=False, lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def _xlsx_text(value):
    # Characters an .xlsx cannot hold (control characters other than tab, LF and CR) are dropped.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def frame_xlsx(frame: pd.DataFrame, *, sheet: str) -> bytes:
    """One sheet with a frozen header row; every text cell stored as text, never as a formula."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        frame.map(_xlsx_text).to_excel(writer, sheet_name=sheet, index=False)
        ws = writer.sheets[sheet]
        ws.freeze_panes = "A2"
        for column in ws.iter_cols():
            width = 8
            for cell in column:
                text_cell(cell)
                if isinstance(cell.value, Decimal | float):
                    cell.number_format = "0.00"
                width = max(width, min(60, len(str(cell.value or "")) + 2))
            ws.column_dimensions[get_column_letter(column[0].column)].width = width
    return buf.getvalue()


def table_export(*, table: str, fmt: str, scope: Scope, filters: Filters, year: FiscalYear) -> tuple[bytes, str, str]:
    """(content, filename, content type) of a table as the user sees it; KeyError if unknown."""
    spec = TABLES[table]
    if fmt not in FORMATS:
        raise KeyError(fmt)
    frame = spec.build(scope, filters, year)
    filename = f"ita-oversight-{table}-{year.be_year}.{fmt}"
    if fmt == "csv":
        return frame_csv(frame), filename, CSV
    return frame_xlsx(frame, sheet=spec.title), filename, XLSX
