"""National score sheets, and the spreadsheet plumbing shared with the agency workbook.

A national score sheet (xlsx or csv) has one row per agency × year × (overall | tool | indicator
| question) score, as a province or an NACC region office keeps them for thousands of agencies.
Agencies are matched by code, years by their พ.ศ. number, tools by code, indicators by number
and questions by code: natural keys, never database ids.

Every import here (and in measures.workbook, which reuses this module) keeps three promises:

- a file is refused whole, before it is parsed, when it is too large or is not a workbook;
- every problem is a Thai message that names its place (sheet, row, column);
- nothing is written unless the whole file is valid. The django-import-export Resources of one
  file all run inside ONE ``transaction.atomic()`` that is rolled back on a dry run or on any
  problem of any row or sheet. This is the file-wide equivalent of import-export's
  ``rollback_on_validation_errors=True``, which would only roll back the Resource (sheet) that
  failed: later sheets would then report errors caused by the earlier one instead of their own.

Speed (national sheets of 100,000+ rows): natural keys are resolved through dicts loaded once per
import (``NaturalKeyLoader``, ``ScoreContext``), rows are written with bulk_create/bulk_update
(with their django-simple-history records, in bulk too), and the score Resources compare the
two or three values of a row themselves instead of import-export's deep-copy diff.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import os
import re
import time
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import ParseError, iterparse

import openpyxl
import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connections, router, transaction
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import RowResult
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet.datavalidation import DataValidation
from pythainlp.util import thai_digit_to_arabic_digit
from simple_history.utils import bulk_create_with_history, get_history_manager_for_model

from agencies.cache import agency_data_touch
from agencies.models import Agency
from ita_portal.thai import BE_OFFSET, MAX_BE_YEAR, MIN_BE_YEAR, BEDateError, format_be_date, parse_be_date

from .models import (
    AssessmentResult,
    FiscalYear,
    Indicator,
    IndicatorScore,
    Question,
    QuestionScore,
    RatingBand,
    Tool,
    ToolScore,
)

# ---------------------------------------------------------------------------------------------
# Limits


def max_upload_bytes() -> int:
    """Largest file accepted (setting IMPORT_MAX_UPLOAD_BYTES, default 20 MB)."""
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))


# An xlsx is a zip: refuse archives that would unpack to more than this (zip bombs).
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024
MAX_ZIP_RATIO = 200


def size_label(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


# ---------------------------------------------------------------------------------------------
# Problems and the preview


@dataclass(frozen=True)
class Problem:
    """Something that stops the import, in Thai, with where it is."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""  # the header
    letter: str = ""  # the column letter (A, B, …)

    @property
    def where(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"แผ่นงาน “{self.sheet}”")
        if self.row:
            parts.append(f"แถว {self.row}")
        if self.letter and self.column:
            parts.append(f"คอลัมน์ {self.letter} ({self.column})")
        elif self.letter or self.column:
            parts.append(f"คอลัมน์ {self.letter or self.column}")
        return " ".join(parts)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


NEW, CHANGED, UNCHANGED, ERROR = "new", "changed", "unchanged", "error"
STATUS_LABELS = {NEW: "ใหม่", CHANGED: "เปลี่ยนแปลง", UNCHANGED: "ไม่เปลี่ยนแปลง", ERROR: "ผิดพลาด"}
STATUS_BADGES = {
    NEW: "status-done",
    CHANGED: "status-in_progress",
    UNCHANGED: "status-not_started",
    ERROR: "status-unable",
}


@dataclass
class PreviewRow:
    sheet: str
    row: int
    key: str
    status: str
    changes: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def badge_class(self) -> str:
        """Colours of portal.css: green new, amber changed, grey unchanged, red error."""
        return STATUS_BADGES[self.status]


@dataclass
class Preview:
    """What an import would do (dry run) or did: every row's status and every problem."""

    title: str
    filename: str = ""
    sheets: list[str] = field(default_factory=list)  # in the order rows are shown
    rows: list[PreviewRow] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = True
    written: bool = False
    stale: bool = False  # the database changed since the preview the user confirmed
    seconds: float = 0.0
    context: dict = field(default_factory=dict)  # e.g. agency, year

    def add_problem(self, problem: Problem) -> None:
        self.file_problems.append(problem)

    def add_row(self, row: PreviewRow) -> None:
        self.rows.append(row)

    def sorted_rows(self) -> list[PreviewRow]:
        order = {name: i for i, name in enumerate(self.sheets)}
        return sorted(self.rows, key=lambda r: (order.get(r.sheet, 99), r.row))

    @property
    def problems(self) -> list[Problem]:
        order = {name: i for i, name in enumerate(self.sheets)}
        row_problems = [p for r in self.rows for p in r.problems]
        row_problems.sort(key=lambda p: (order.get(p.sheet, 99), p.row or 0, p.letter))
        return [*self.file_problems, *row_problems]

    @property
    def ok(self) -> bool:
        return not self.file_problems and not any(r.status == ERROR for r in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.rows)
        return {s: c.get(s, 0) for s in STATUS_LABELS}

    def count_items(self) -> list[tuple[str, str, int, str]]:
        """(status, label, count, badge class) for templates."""
        c = self.counts
        return [(s, STATUS_LABELS[s], c[s], STATUS_BADGES[s]) for s in STATUS_LABELS]

    def counts_by_sheet(self) -> list[tuple[str, dict[str, int]]]:
        per: dict[str, Counter] = defaultdict(Counter)
        for r in self.rows:
            per[r.sheet][r.status] += 1
        return [(s, {k: per[s].get(k, 0) for k in STATUS_LABELS}) for s in self.sheets if s in per]

    @property
    def has_changes(self) -> bool:
        return any(r.status in (NEW, CHANGED) for r in self.rows)

    @property
    def rows_per_second(self) -> float:
        return len(self.rows) / self.seconds if self.seconds else 0.0

    def digest(self) -> str:
        """A fingerprint of what the import does: the confirm step refuses to write something else."""
        h = hashlib.sha256()
        for r in self.sorted_rows():
            h.update(f"{r.sheet}\x1f{r.row}\x1f{r.key}\x1f{r.status}\x1f{'|'.join(r.changes)}\x1e".encode())
        for p in self.problems:
            h.update(str(p).encode())
        return h.hexdigest()

    def summary(self) -> str:
        c = self.counts
        return (
            f"ทั้งหมด {len(self.rows):,} แถว: ใหม่ {c[NEW]:,} · เปลี่ยนแปลง {c[CHANGED]:,} · "
            f"ไม่เปลี่ยนแปลง {c[UNCHANGED]:,} · ผิดพลาด {c[ERROR]:,}"
        )


def preview_lines(preview: Preview, *, rows: bool = True, changes: bool = True, limit: int | None = None) -> list[str]:
    """The preview as plain text lines (management commands print these)."""
    mode = "ตรวจสอบอย่างเดียว ไม่บันทึก" if preview.dry_run else "นำเข้า"
    lines = [f"{preview.title}: {preview.filename or '-'} ({mode})"]
    if rows:
        shown = preview.sorted_rows()
        if limit is not None:
            shown = [r for r in shown if r.status != UNCHANGED][:limit]
        for r in shown:
            lines.append(f"  {r.sheet} แถว {r.row:<6} {r.status_label:<16} {r.key}")
            if changes:
                lines.extend(f"      {c}" for c in r.changes)
    for note in preview.notes:
        lines.append(f"หมายเหตุ: {note}")
    problems = preview.problems
    if problems:
        lines.append(f"ข้อผิดพลาด {len(problems):,} รายการ:")
        lines.extend(f"  - {p}" for p in problems)
    for sheet, c in preview.counts_by_sheet():
        lines.append(
            f"  {sheet}: ใหม่ {c[NEW]:,} · เปลี่ยนแปลง {c[CHANGED]:,} · ไม่เปลี่ยนแปลง {c[UNCHANGED]:,} · ผิดพลาด {c[ERROR]:,}"
        )
    lines.append(f"สรุป: {preview.summary()}")
    if preview.written:
        lines.append("บันทึกข้อมูลแล้ว")
    elif preview.stale:
        lines.append("ไม่ได้บันทึก: ข้อมูลในระบบเปลี่ยนไปหลังจากที่ตรวจสอบ กรุณาตรวจสอบตัวอย่างใหม่อีกครั้ง")
    elif not preview.ok:
        lines.append("ไม่ได้บันทึกข้อมูลใดเลย เพราะมีข้อผิดพลาด กรุณาแก้ไขไฟล์แล้วนำเข้าใหม่")
    else:
        lines.append("ไม่ได้บันทึก (ตรวจสอบอย่างเดียว)")
    rate = f" ({preview.rows_per_second:,.0f} แถว/วินาที)" if preview.seconds else ""
    lines.append(f"เวลา {preview.seconds:.1f} วินาที{rate}")
    return lines


def finish(preview: Preview, *, dry_run: bool, expected_digest: str | None = None) -> None:
    """Inside the import's transaction: keep the writes only for a real, valid, confirmed import."""
    preview.dry_run = dry_run
    if expected_digest and preview.ok and preview.digest() != expected_digest:
        preview.stale = True
    if dry_run or not preview.ok or preview.stale:
        transaction.set_rollback(True)
        preview.written = False
    else:
        preview.written = True


# ---------------------------------------------------------------------------------------------
# Reading files: refuse early, then read sheets into plain tables


class FileRefused(Exception):
    """The whole file is refused before its rows are read; the message is Thai."""


NOT_A_WORKBOOK = "ไฟล์นี้ไม่ใช่สมุดงาน Excel (.xlsx) หรือไฟล์ CSV ที่ระบบอ่านได้"


@dataclass
class Table:
    """One sheet (or a CSV file) as header texts and rows of values, with Excel row numbers."""

    sheet: str
    headers: list[str] = field(default_factory=list)
    rows: list[tuple[int, list]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # about the sheet, not one row
    row_problems: dict[int, list[Problem]] = field(default_factory=dict)
    blank_rows: int = 0  # blank rows between data rows, skipped

    def letter(self, header: str) -> str:
        try:
            return get_column_letter(self.headers.index(header) + 1)
        except ValueError:
            return ""

    def add_row_problem(self, row: int, message: str, *, column: str = "", letter: str = "") -> None:
        self.row_problems.setdefault(row, []).append(
            Problem(message, sheet=self.sheet, row=row, column=column, letter=letter)
        )


def _open_binary(file) -> tuple[object, int, str, bool]:
    """(seekable binary file, size, name, opened_here) for a path, bytes or a file object."""
    if isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        return open(path, "rb"), os.path.getsize(path), os.path.basename(path), True
    if isinstance(file, (bytes, bytearray)):
        return io.BytesIO(file), len(file), "", True
    name = os.path.basename(getattr(file, "name", "") or "")
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
    file.seek(0)
    return file, size, name, False


_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _looks_like_text(head: bytes) -> bool:
    if head.startswith(_TEXT_BOMS):
        return True
    if not head or b"\x00" in head:
        return False
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control <= len(head) // 100


def sniff(head: bytes, *, accept_csv: bool) -> str:
    """'xlsx' or 'csv' from the first bytes, whatever the file's name says; FileRefused otherwise."""
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise FileRefused(
            "ไฟล์นี้เป็น Excel รุ่นเก่า (.xls) หรือไฟล์ที่ตั้งรหัสผ่านไว้ กรุณาเปิดไฟล์แล้วบันทึกเป็น "
            "“สมุดงาน Excel (.xlsx)” โดยไม่ตั้งรหัสผ่าน แล้วอัปโหลดใหม่"
        )
    for magic, what in ((b"%PDF", "PDF"), (b"\x89PNG", "ภาพ PNG"), (b"\xff\xd8\xff", "ภาพ JPEG"), (b"GIF8", "ภาพ GIF")):
        if head.startswith(magic):
            raise FileRefused(f"ไฟล์นี้เป็น{what} ไม่ใช่สมุดงาน Excel กรุณาอัปโหลดไฟล์ .xlsx")
    if _looks_like_text(head):
        if accept_csv:
            return "csv"
        raise FileRefused(
            "ไฟล์นี้เป็นข้อความ (เช่น CSV) แต่สมุดงานของหน่วยงานมีหลายแผ่นงาน จึงต้องเป็นไฟล์ .xlsx "
            "กรุณาดาวน์โหลดแม่แบบแล้วกรอกข้อมูลในแม่แบบ"
        )
    raise FileRefused(NOT_A_WORKBOOK)


def _check_zip(f) -> None:
    try:
        with zipfile.ZipFile(f) as z:
            names = set(z.namelist())
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused("ไฟล์ .xlsx นี้เสียหาย เปิดไม่ได้ กรุณาบันทึกไฟล์ใหม่จาก Excel หรือ LibreOffice") from None
    finally:
        f.seek(0)
    if "xl/workbook.xml" not in names:
        if "content.xml" in names:
            raise FileRefused("ไฟล์นี้เป็น OpenDocument (.ods) กรุณาบันทึกเป็น “Excel 2007-365 (.xlsx)” แล้วอัปโหลดใหม่")
        if "word/document.xml" in names:
            raise FileRefused("ไฟล์นี้เป็นเอกสาร Word ไม่ใช่สมุดงาน Excel")
        raise FileRefused(NOT_A_WORKBOOK)
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise FileRefused("ไฟล์นี้ถูกบีบอัดผิดปกติ (ขยายแล้วใหญ่เกินไป) ระบบจึงไม่เปิด")
    if total > MAX_UNZIPPED_BYTES:
        raise FileRefused("ไฟล์นี้มีข้อมูลมากเกินไปเมื่อขยายออก ระบบจึงไม่เปิด กรุณาแบ่งเป็นหลายไฟล์")


def _cell_text(value):
    """A read cell value: strings stripped (blank → None), other types as they are."""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        return value or None
    return value


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _FORMULA, _INLINE, _TEXT = (_NS + t for t in ("row", "c", "v", "f", "is", "t"))
_MERGE, _COL = _NS + "mergeCell", _NS + "col"


def _column_number(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n


def _number(text: str):
    return float(text) if ("." in text or "E" in text or "e" in text) else int(text)


class Book:
    """An opened upload: an xlsx workbook or one CSV table. Use as a context manager.

    xlsx sheets are streamed with ElementTree (openpyxl reads the workbook parts: sheet list,
    shared strings, date styles). Streaming our own way is 3–4× faster than openpyxl's cell
    objects on 100,000-row sheets and sees what a person may not: formulas, hidden rows and
    columns, merged cells.
    """

    def __init__(self, file, *, accept_csv: bool, name: str = ""):
        self._f, size, own_name, self._opened_here = _open_binary(file)
        self.name = name or own_name
        self.notes: list[str] = []
        self._reader = None
        self._csv: Table | None = None
        limit = max_upload_bytes()
        try:
            if size > limit:
                raise FileRefused(
                    f"ไฟล์มีขนาด {size_label(size)} ใหญ่เกินกว่าที่รับได้ ({size_label(limit)}) "
                    "กรุณาแบ่งเป็นหลายไฟล์ หรือลบแผ่นงานและรูปภาพที่ไม่ใช้"
                )
            head = self._f.read(4096)
            self._f.seek(0)
            kind = sniff(head, accept_csv=accept_csv)
            if kind == "zip":
                _check_zip(self._f)
                self._open_xlsx()
                self.kind = "xlsx"
            else:
                self.kind = "csv"
                self._csv = self._read_csv()
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.archive.close()
            self._reader = None
        if self._opened_here and self._f is not None:
            self._f.close()
            self._f = None

    @property
    def sheet_names(self) -> list[str]:
        if self.kind == "csv":
            return [self._csv.sheet]
        return list(self._sheets)

    def sheet_state(self, name: str) -> str:
        return "visible" if self.kind == "csv" else self._sheets[name][0]

    def read(self, name: str) -> Table:
        if self.kind == "csv":
            return self._csv
        return self._read_sheet(name)

    # --- xlsx ---------------------------------------------------------------------------------

    def _open_xlsx(self) -> None:
        try:
            reader = ExcelReader(self._f, read_only=True, data_only=False)
            self._reader = reader
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            names = set(reader.archive.namelist())
            self._sheets = {
                sheet.name: (sheet.state or "visible", rel.target)
                for sheet, rel in reader.parser.find_sheets()
                if "worksheet" in rel.Type and rel.target in names
            }
        except FileRefused:
            raise
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise FileRefused("เปิดไฟล์ .xlsx นี้ไม่ได้ ไฟล์อาจเสียหาย กรุณาบันทึกไฟล์ใหม่จาก Excel หรือ LibreOffice") from None
        self._strings = reader.shared_strings
        self._date_styles = set(reader.wb._date_formats)
        self._epoch = reader.wb.epoch

    def _read_sheet(self, name: str) -> Table:
        table = Table(sheet=name)
        path = self._sheets[name][1]
        width = 0
        pending_blank = 0
        header_done = False
        last = 0
        hidden_columns: list[tuple[int, int]] = []
        merged: list[str] = []
        try:
            with self._reader.archive.open(path) as src:
                for _, el in iterparse(src, events=("end",)):
                    tag = el.tag
                    if tag == _ROW:
                        r = el.get("r")
                        idx = int(r) if r else last + 1
                        if header_done and idx > last + 1:
                            pending_blank += idx - last - 1  # rows absent from the file are blank too
                        last = idx
                        hidden = el.get("hidden") in ("1", "true")
                        values = self._row_values(el, idx, table)
                        el.clear()
                        if not header_done:
                            header_done = True
                            if idx != 1 or not values:
                                table.problems.append(
                                    Problem("ไม่พบหัวคอลัมน์ในแถวที่ 1 (แถวแรกต้องเป็นหัวคอลัมน์ตามแม่แบบ)", sheet=name, row=1)
                                )
                            width = max(values) if values else 0
                            table.headers = [
                                " ".join(str(values.get(i, "") or "").split()) for i in range(1, width + 1)
                            ]
                            continue
                        if not values and idx not in table.row_problems:
                            pending_blank += 1
                            continue
                        if hidden:
                            table.add_row_problem(idx, HIDDEN_ROW)
                        for col in values:
                            if col > width or not table.headers[col - 1]:
                                letter = get_column_letter(col)
                                table.add_row_problem(
                                    idx,
                                    f"มีข้อมูลในคอลัมน์ {letter} ซึ่งไม่มีหัวคอลัมน์ กรุณาลบข้อมูลนั้นหรือย้ายไปไว้ในคอลัมน์ที่ถูกต้อง",
                                    letter=letter,
                                )
                        table.blank_rows += pending_blank
                        pending_blank = 0
                        table.rows.append((idx, [values.get(i) for i in range(1, width + 1)]))
                    elif tag == _MERGE:
                        merged.append(el.get("ref") or "")
                    elif tag == _COL and el.get("hidden") in ("1", "true"):
                        hidden_columns.append((int(el.get("min") or 0), int(el.get("max") or 0)))
        except (ParseError, KeyError, ValueError, zipfile.BadZipFile, EOFError, zlib.error):
            raise FileRefused(f"อ่านแผ่นงาน “{name}” ไม่ได้ ไฟล์อาจเสียหาย กรุณาบันทึกไฟล์ใหม่") from None
        for lo, hi in hidden_columns:
            for col in range(max(lo, 1), min(hi, len(table.headers)) + 1):
                if table.headers[col - 1]:
                    table.problems.append(
                        Problem(
                            "คอลัมน์นี้ถูกซ่อนไว้ กรุณายกเลิกการซ่อนคอลัมน์เพื่อให้เห็นข้อมูลที่จะนำเข้า",
                            sheet=name,
                            column=table.headers[col - 1],
                            letter=get_column_letter(col),
                        )
                    )
        for ref in merged:
            m = re.match(r"([A-Z]+)(\d+)", ref)
            table.problems.append(
                Problem(
                    f"เซลล์ {ref} ถูกผสาน (Merge) ระบบอ่านเซลล์ที่ผสานไม่ได้ กรุณายกเลิกการผสานเซลล์ แล้วกรอกค่าให้ครบทุกแถว",
                    sheet=name,
                    row=int(m.group(2)) if m else None,
                    letter=m.group(1) if m else "",
                    column=self._header_at(table, _column_number(m.group(1))) if m else "",
                )
            )
        return table

    def _row_values(self, row_el, idx: int, table: Table) -> dict[int, object]:
        values: dict[int, object] = {}
        col = 0
        for c in row_el:
            if c.tag != _CELL:
                continue
            ref = c.get("r")
            col = _column_number(ref) if ref else col + 1
            t = c.get("t", "n")
            formula = c.find(_FORMULA)
            if formula is not None:
                letter = get_column_letter(col)
                text = f"={formula.text or ''}"[:40]
                table.add_row_problem(
                    idx,
                    f"เซลล์ {letter}{idx} เป็นสูตร ({text}) ระบบรับเฉพาะค่า กรุณาคัดลอกแล้ววางแบบพิเศษเป็น "
                    "“ค่า” (Paste Special → Values)",
                    column=self._header_at(table, col),
                    letter=letter,
                )
                continue
            if t == "inlineStr":
                value = "".join(x.text or "" for x in c.iter(_TEXT))
            else:
                value = c.findtext(_VALUE)
                if value is None:
                    continue
                if t == "n":
                    value = _number(value)
                    style = c.get("s")
                    if style and int(style) in self._date_styles:
                        try:
                            value = from_excel(value, self._epoch)
                        except (OverflowError, ValueError):
                            pass
                elif t == "s":
                    value = self._strings[int(value)]
                elif t == "b":
                    value = value.strip() in ("1", "true")
                elif t == "d":
                    value = from_ISO8601(value)
                elif t == "e":
                    letter = get_column_letter(col)
                    table.add_row_problem(
                        idx,
                        f"เซลล์ {letter}{idx} มีค่าผิดพลาด {value}",
                        column=self._header_at(table, col),
                        letter=letter,
                    )
                    continue
            value = _cell_text(value)
            if value is not None:
                values[col] = value
        return values

    @staticmethod
    def _header_at(table: Table, col: int) -> str:
        return table.headers[col - 1] if 0 < col <= len(table.headers) else ""

    # --- csv ----------------------------------------------------------------------------------

    def _read_csv(self) -> Table:
        raw = self._f.read()
        text, encoding = decode_text(raw)
        if encoding == "cp874":
            self.notes.append("อ่านไฟล์ CSV ด้วยรหัสอักขระ Windows ภาษาไทย (cp874/TIS-620) แบบที่ Excel ภาษาไทยบันทึก")
        first_line = text.split("\n", 1)[0]
        delimiter = max((",", ";", "\t"), key=first_line.count) if first_line else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        name = self.name or "CSV"
        table = Table(sheet=name)
        pending_blank = 0
        for number, record in enumerate(reader, start=1):
            values = [_cell_text(v) for v in record]
            if number == 1:
                table.headers = [" ".join((v or "").split()) for v in values]
                if not any(table.headers):
                    table.problems.append(Problem("ไม่พบหัวคอลัมน์ในแถวที่ 1", sheet=name, row=1))
                continue
            if not any(v is not None for v in values):
                pending_blank += 1
                continue
            width = len(table.headers)
            for col, v in enumerate(values, start=1):
                if v is not None and (col > width or not table.headers[col - 1]):
                    letter = get_column_letter(col)
                    table.add_row_problem(number, f"มีข้อมูลในคอลัมน์ {letter} ซึ่งไม่มีหัวคอลัมน์", letter=letter)
            table.blank_rows += pending_blank
            pending_blank = 0
            values = (values + [None] * width)[:width]
            table.rows.append((number, values))
        return table


HIDDEN_ROW = (
    "แถวนี้ถูกซ่อนไว้ ระบบไม่นำเข้าแถวที่มองไม่เห็นโดยไม่แจ้ง กรุณายกเลิกการซ่อนแถว (หรือล้างตัวกรอง) แล้วตรวจสอบ หรือลบแถวนี้ถ้าไม่ต้องการ"
)


def decode_text(raw: bytes) -> tuple[str, str]:
    """Text of a CSV: UTF-8 (with or without BOM), UTF-16 with BOM, else Thai Windows (cp874)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp874"), "cp874"
    except UnicodeDecodeError:
        raise FileRefused("อ่านรหัสอักขระของไฟล์ CSV ไม่ได้ กรุณาบันทึกเป็น “CSV UTF-8 (Comma delimited)” แล้วอัปโหลดใหม่") from None


# ---------------------------------------------------------------------------------------------
# Columns: Thai headers, a few accepted spellings, required or not


@dataclass(frozen=True)
class Column:
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    info: bool = False  # shown for people; never imported


def _norm(text) -> str:
    return " ".join(str(text or "").split()).casefold()


def match_columns(table: Table, columns: Iterable[Column]) -> list[Problem]:
    """Rename the table's headers to the canonical ones; problems for missing or unknown columns."""
    columns = list(columns)
    by_name = {}
    for c in columns:
        for name in (c.header, *c.aliases):
            by_name[_norm(name)] = c.header
    problems = []
    seen: dict[str, int] = {}
    for i, header in enumerate(table.headers):
        if not header:
            continue
        canonical = by_name.get(_norm(header))
        letter = get_column_letter(i + 1)
        if canonical is None:
            known = ", ".join(c.header for c in columns)
            problems.append(
                Problem(
                    f"ไม่รู้จักคอลัมน์ “{header}” (คอลัมน์ที่ใช้ได้: {known})",
                    sheet=table.sheet,
                    row=1,
                    column=header,
                    letter=letter,
                )
            )
            continue
        if canonical in seen:
            problems.append(
                Problem(
                    f"คอลัมน์ “{canonical}” ซ้ำกับคอลัมน์ {get_column_letter(seen[canonical] + 1)}",
                    sheet=table.sheet,
                    row=1,
                    column=header,
                    letter=letter,
                )
            )
            continue
        seen[canonical] = i
        table.headers[i] = canonical
    for c in columns:
        if c.required and c.header not in seen:
            problems.append(Problem(f"ไม่พบคอลัมน์ “{c.header}” ในแถวหัวคอลัมน์ (แถว 1)", sheet=table.sheet, row=1))
    return problems


# ---------------------------------------------------------------------------------------------
# Cell values → Python, with Thai messages (ValueError, as import-export widgets expect)


def clean_text(value, *, max_length: int | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, datetime.datetime | datetime.date):
        text = format_be_date(_date_of_cell(value))
    else:
        text = str(value).replace("\r\n", "\n").strip()
    if max_length and len(text) > max_length:
        raise ValueError(f"ข้อความยาว {len(text):,} ตัวอักษร เกินกว่าที่รับได้ ({max_length:,} ตัวอักษร)")
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


def _date_of_cell(value) -> datetime.date:
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
        return _date_of_cell(value)
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


# ---------------------------------------------------------------------------------------------
# import-export building blocks


class ThaiWidget(widgets.Widget):
    """Cleans a cell or raises ValueError in Thai; renders native values for the xlsx writer."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def render(self, value, obj=None, **kwargs):
        return None if value in (None, "") else value


class TextWidget(ThaiWidget):
    def __init__(self, max_length: int | None = None):
        super().__init__()
        self.max_length = max_length

    def clean(self, value, row=None, **kwargs):
        return clean_text(value, max_length=self.max_length)


class DecimalWidget(ThaiWidget):
    def __init__(self, *, places=2, minimum=Decimal("0"), maximum=None):
        super().__init__()
        self.places, self.minimum, self.maximum = places, minimum, maximum

    def clean(self, value, row=None, **kwargs):
        return clean_decimal(value, places=self.places, minimum=self.minimum, maximum=self.maximum)


SCORE_MAX = Decimal("100")


class ScoreWidget(DecimalWidget):
    def __init__(self):
        super().__init__(places=2, minimum=Decimal("0"), maximum=SCORE_MAX)


class IntWidget(ThaiWidget):
    def clean(self, value, row=None, **kwargs):
        return clean_int(value)


class BEDateWidget(ThaiWidget):
    def clean(self, value, row=None, **kwargs):
        return clean_be_date(value)

    def render(self, value, obj=None, **kwargs):
        return format_be_date(value) or None


class ChoiceWidget(ThaiWidget):
    """A Thai label in the sheet ↔ a stored value; a few other spellings accepted."""

    def __init__(self, choices, *, aliases: dict[str, str] | None = None, blank: str | None = ""):
        super().__init__()
        self.labels = {value: label for value, label in choices}
        self.lookup = {_norm(label): value for value, label in choices}
        self.lookup |= {_norm(value): value for value, _ in choices}
        self.lookup |= {_norm(k): v for k, v in (aliases or {}).items()}
        self.blank = blank

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            if self.blank is None:
                raise ValueError("กรุณาเลือกค่าจากรายการ")
            return self.blank
        found = self.lookup.get(_norm(clean_text(value)))
        if found is None:
            raise ValueError(f"ไม่รู้จัก “{clean_text(value)}” (ใช้ได้: {' / '.join(self.labels.values())})")
        return found

    def render(self, value, obj=None, **kwargs):
        return self.labels.get(value) or None


ROW_NUMBER = "__row"  # a hidden dataset column: the row's number in the sheet


class NaturalKeyLoader(BaseInstanceLoader):
    """Finds the existing row by its natural key in a dict loaded once per import (no query per row),
    and refuses a key that an earlier row of the same sheet already used."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        self.existing = resource.existing_by_key()
        self.seen: dict = {}

    def get_instance(self, row):
        key = self.resource.natural_key(row)
        first = self.seen.setdefault(key, row.get(ROW_NUMBER))
        if first != row.get(ROW_NUMBER):
            column = self.resource.fields[self.resource.get_import_id_fields()[0]].column_name
            raise ValidationError({column: f"ข้อมูลซ้ำกับแถว {first} (คอลัมน์หลักมีค่าเดียวกัน) กรุณาลบหรือแก้แถวใดแถวหนึ่ง"})
        return self.existing.get(key)


class LeanRowResult(RowResult):
    """A row result without the instance's repr (str() of some models would query per row)."""

    def __init__(self):
        super().__init__()
        self.changes: tuple[str, ...] = ()
        self.key_label = ""

    def add_instance_info(self, instance):
        if instance is not None:
            self.object_id = getattr(instance, "pk", None)


class SheetResource(resources.ModelResource):
    """Base of the portal's import Resources: natural keys, Thai messages, history with bulk writes."""

    #: fields compared and written (bulk_update); set by subclasses
    value_fields: tuple[str, ...] = ()

    class Meta:
        instance_loader_class = NaturalKeyLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False

    def __init__(self, *, user=None, reason: str = "", **kwargs):
        super().__init__(**kwargs)
        self.user = user if getattr(user, "pk", None) else None
        self.reason = reason
        self.failed_keys: dict[object, int] = {}  # natural key → row number, rows with errors

    @classmethod
    def get_row_result_class(cls):
        return LeanRowResult

    # Natural keys --------------------------------------------------------------------------

    def existing_by_key(self) -> dict:
        raise NotImplementedError

    def natural_key(self, row):
        raise NotImplementedError

    def row_label(self, row) -> str:
        return ""

    def _check_import_id_fields(self, headers):
        """Headers are checked before the import, with Thai messages (match_columns)."""

    def get_bulk_update_fields(self):
        return list(self.value_fields)

    def column_of(self, key: str) -> str:
        if key in self.fields:
            return self.fields[key].column_name
        return "" if key == NON_FIELD_ERRORS else key

    # History -------------------------------------------------------------------------------

    def before_save_instance(self, instance, row, **kwargs):
        instance._history_user = self.user
        instance._change_reason = self.reason

    def delete_instance(self, instance, row, **kwargs):
        instance._history_user = self.user
        instance._change_reason = self.reason
        super().delete_instance(instance, row, **kwargs)

    # Bulk writes. With dry_run (national sheets, whose rows do not depend on each other) nothing
    # is written at all: the preview is computed from the rows and the dicts alone.

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if not self.create_instances:
            return
        try:
            if not dry_run:
                created = bulk_create_with_history(
                    self.create_instances,
                    self._meta.model,
                    batch_size=self._meta.batch_size,
                    default_user=self.user,
                    default_change_reason=self.reason,
                )
                self.after_bulk_create(created)
        except Exception as e:
            self.handle_import_error(result, e, raise_errors)
        finally:
            self.create_instances.clear()

    def after_bulk_create(self, created: list) -> None:
        pass

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if not self.update_instances:
            return
        try:
            if not dry_run:
                update_values_with_history(
                    self.update_instances,
                    self._meta.model,
                    fields=self.get_bulk_update_fields(),
                    batch_size=self._meta.batch_size,
                    user=self.user,
                    reason=self.reason,
                )
        except Exception as e:
            self.handle_import_error(result, e, raise_errors)
        finally:
            self.update_instances.clear()

    def bulk_delete(self, using_transactions, dry_run, raise_errors, result=None):
        if dry_run:
            self.delete_instances.clear()
            return
        super().bulk_delete(using_transactions, False, raise_errors, result=result)


def update_values_with_history(objs, model, *, fields, batch_size=None, user=None, reason="") -> None:
    """Like simple_history's bulk_update_with_history, as one set-based UPDATE per 500 rows.

    Django's bulk_update builds a CASE expression per row and field, which took ~40 s (SQLite)
    to ~70 s (PostgreSQL) for 112,000 changed scores. Here each chunk is
    ``WITH v(id, …) AS (VALUES …) UPDATE t SET … FROM v WHERE t.id = v.id`` (PostgreSQL, and
    SQLite ≥ 3.33); values are prepared by the model fields and cast to the column types. The
    history rows are written in bulk as bulk_update_with_history does.
    """
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    opts = model._meta
    model_fields = [opts.get_field(f) for f in fields]
    table, pk = qn(opts.db_table), qn(opts.pk.column)
    names = [pk, *(qn(f.column) for f in model_fields)]
    casts = [f"CAST(%s AS {opts.pk.db_type(connection)})"] + [
        f"CAST(%s AS {f.db_type(connection)})" for f in model_fields
    ]
    row_sql = "(" + ", ".join(casts) + ")"
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    chunk = 500  # 500 × (1 + fields) bound parameters: under every backend's limit
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(objs), chunk):
            part = objs[start : start + chunk]
            params = []
            for obj in part:
                params.append(obj.pk)
                params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in model_fields)
            cursor.execute(
                f"WITH v({', '.join(names)}) AS (VALUES {', '.join([row_sql] * len(part))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.{pk}",
                params,
            )
        get_history_manager_for_model(model).bulk_history_create(
            objs, batch_size=batch_size, update=True, default_user=user, default_change_reason=reason
        )


def run_resource(
    resource: SheetResource,
    *,
    sheet: str,
    headers: list[str],
    rows: list[tuple[int, list]],
    preview: Preview,
    letters: dict[str, str] | None = None,
    dry_run: bool = False,
) -> None:
    """Import rows through a Resource (inside the caller's transaction) and add them to the preview.

    dry_run=True only for Resources whose rows nothing later depends on (bulk score rows); an
    agency workbook passes False so that each sheet sees the rows of the sheets before it. Either
    way the caller's single transaction is what rolls everything back (see the module docstring).
    """
    if not rows:
        return
    dataset = tablib.Dataset(headers=[*headers, ROW_NUMBER])
    for number, values in rows:
        dataset.append([*values, number])
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        use_transactions=True,
        rollback_on_validation_errors=False,
        raise_errors=False,
        collect_failed_rows=False,
    )
    letters = letters or {}
    for error in result.base_errors:
        preview.add_problem(Problem(f"บันทึกข้อมูลไม่สำเร็จ: {error.error}", sheet=sheet))
    for (number, values), rr in zip(rows, result.rows):
        problems = []
        if rr.validation_error is not None:
            ve = rr.validation_error
            items = ve.error_dict.items() if hasattr(ve, "error_dict") else [(NON_FIELD_ERRORS, ve.error_list)]
            for key, errors in items:
                column = resource.column_of(key)
                for err in errors:
                    for message in err.messages if hasattr(err, "messages") else [str(err)]:
                        problems.append(
                            Problem(message, sheet=sheet, row=number, column=column, letter=letters.get(column, ""))
                        )
        for err in rr.errors:
            problems.append(Problem(f"บันทึกแถวนี้ไม่สำเร็จ: {err.error}", sheet=sheet, row=number))
        if problems:
            status = ERROR
        elif rr.import_type == RowResult.IMPORT_TYPE_NEW:
            status = NEW
        elif rr.import_type in (RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_DELETE):
            status = CHANGED
        else:
            status = UNCHANGED
        key = getattr(rr, "key_label", "")
        if not key:  # rows refused before after_import_row: label them from their cells
            try:
                key = resource.row_label(dict(zip(headers, values)))
            except (ValueError, KeyError, AttributeError, TypeError):
                key = ""
        preview.add_row(
            PreviewRow(
                sheet=sheet,
                row=number,
                key=key,
                status=status,
                changes=tuple(getattr(rr, "changes", ()) or ()),
                problems=problems,
            )
        )


def add_table_problems(table: Table, preview: Preview, label: Callable[[list], str] | None = None) -> set[int]:
    """Sheet-level problems to the preview, and an error row for each row the reader refused."""
    for p in table.problems:
        preview.add_problem(p)
    for number, problems in table.row_problems.items():
        values = next((v for n, v in table.rows if n == number), None)
        key = label(values) if (label and values is not None) else ""
        preview.add_row(PreviewRow(sheet=table.sheet, row=number, key=key, status=ERROR, problems=problems))
    if table.blank_rows:
        preview.notes.append(f"แผ่นงาน “{table.sheet}”: ข้ามแถวว่าง {table.blank_rows} แถว")
    return set(table.row_problems)


# ---------------------------------------------------------------------------------------------
# Scores: overall, tool, indicator and question rows

COL_AGENCY = "รหัสหน่วยงาน"
COL_AGENCY_NAME = "ชื่อหน่วยงาน"
COL_YEAR = "ปีงบประมาณ (พ.ศ.)"
COL_KIND = "ประเภทคะแนน"
COL_CODE = "รหัส"
COL_NAME = "ชื่อ"
COL_SCORE = "คะแนน"
COL_LEVEL = "ระดับที่ได้รับ"
COL_REMEDY = "แนวทางการแก้ไข"

OVERALL, TOOL, INDICATOR, QUESTION = "overall", "tool", "indicator", "question"
KINDS = (OVERALL, TOOL, INDICATOR, QUESTION)
KIND_LABELS = {OVERALL: "คะแนนรวม", TOOL: "แบบวัด", INDICATOR: "ตัวชี้วัด", QUESTION: "ข้อคำถาม"}
_KIND_LOOKUP = {
    **{_norm(label): kind for kind, label in KIND_LABELS.items()},
    **{_norm(kind): kind for kind in KINDS},
    _norm("รวม"): OVERALL,
    _norm("ภาพรวม"): OVERALL,
    _norm("คะแนนภาพรวม"): OVERALL,
    _norm("ข้อ"): QUESTION,
    _norm("คำถาม"): QUESTION,
}

NATIONAL_COLUMNS = [
    Column(COL_AGENCY, required=True, aliases=("รหัส อปท.", "agency_code", "agency")),
    Column(COL_AGENCY_NAME, info=True, aliases=("ชื่อ อปท.",)),
    Column(COL_YEAR, required=True, aliases=("ปีงบประมาณ", "ปี พ.ศ.", "ปี", "year")),
    Column(COL_KIND, required=True, aliases=("ประเภท", "kind")),
    Column(COL_CODE, aliases=("code", "รหัสแบบวัด/ตัวชี้วัด/ข้อ")),
    Column(COL_SCORE, required=True, aliases=("score",)),
    Column(COL_LEVEL, aliases=("ระดับ", "level")),
    Column(COL_REMEDY, aliases=("remedy",)),
]
NATIONAL_HEADERS = [c.header for c in NATIONAL_COLUMNS]
NATIONAL_SHEET = "คะแนน"


def kind_of(value) -> str | None:
    return _KIND_LOOKUP.get(_norm(value))


class ScoreContext:
    """Every lookup a score import needs, loaded once into dicts (no query per row).

    ``agency`` limits the import to one agency (the agency workbook); otherwise every agency
    is matched by its code (national sheets).
    """

    def __init__(self, *, agency: Agency | None = None):
        # A national sheet's blank level or remedy cell keeps what is stored (those columns are
        # mostly left empty there); in an agency workbook, which shows them, blank clears them.
        self.keep_blank_text = agency is None
        if agency is not None:
            rows = [(agency.code, agency.id)]
        else:
            rows = list(Agency.objects.values_list("code", "id"))
        self.agency_ids = {code: pk for code, pk in rows}
        self.agency_ids_folded = {code.casefold(): pk for code, pk in rows}
        self.years = dict(FiscalYear.objects.values_list("be_year", "id"))
        self.be_years = {pk: be for be, pk in self.years.items()}
        self.tools = {(y, c.upper()): pk for pk, y, c in Tool.objects.values_list("id", "year_id", "code")}
        self.indicators = {(y, n): pk for pk, y, n in Indicator.objects.values_list("id", "year_id", "number")}
        self.questions = {(y, c.upper()): pk for pk, y, c in Question.objects.values_list("id", "year_id", "code")}
        self.bands: dict[int, list[str]] = defaultdict(list)
        for y, label in RatingBand.objects.order_by("order").values_list("year_id", "label"):
            self.bands[y].append(label)
        self.agency = agency
        # Loaded by load_existing(): (agency_id, year_id) → [id, overall, level]
        self.results: dict[tuple[int, int], list] = {}
        # model → {(result_id, target_id): (id, score, remedy)}
        self.scores: dict[type, dict[tuple[int, int], tuple]] = {}

    # key lookups (ValueError with a Thai message) -------------------------------------------

    def agency_id(self, value) -> int:
        code = clean_text(value)
        if not code:
            raise ValueError("กรุณาระบุรหัสหน่วยงาน")
        pk = self.agency_ids.get(code) or self.agency_ids_folded.get(code.casefold())
        if pk is None:
            if self.agency is not None:
                raise ValueError(f"รหัสหน่วยงาน “{code}” ไม่ใช่หน่วยงานนี้ ({self.agency.code})")
            raise ValueError(f"ไม่พบหน่วยงานรหัส “{code}” ในระบบ")
        return pk

    def year_id(self, value) -> int:
        be = clean_be_year(value)
        pk = self.years.get(be)
        if pk is None:
            known = ", ".join(str(y) for y in sorted(self.years))
            raise ValueError(f"ไม่มีปีงบประมาณ {be} ในระบบ (มี: {known})")
        return pk

    def target_id(self, kind: str, year_id: int, value) -> int | None:
        be = self.be_years[year_id]
        if kind == OVERALL:
            return None
        if kind == TOOL:
            code = clean_text(value).upper()
            if not code:
                raise ValueError("กรุณาระบุรหัสแบบวัด (เช่น IIT, EIT, OIT)")
            pk = self.tools.get((year_id, code))
            if pk is None:
                known = ", ".join(c for (y, c) in self.tools if y == year_id)
                raise ValueError(f"ไม่พบแบบวัด “{code}” ในปีงบประมาณ {be} (มี: {known})")
            return pk
        if kind == INDICATOR:
            if is_blank(value):
                raise ValueError("กรุณาระบุเลขตัวชี้วัด (เช่น 1–10)")
            number = leading_int(value)
            pk = self.indicators.get((year_id, number)) if number is not None else None
            if pk is None:
                numbers = sorted(n for (y, n) in self.indicators if y == year_id)
                span = f"{numbers[0]}–{numbers[-1]}" if numbers else "ไม่มี"
                raise ValueError(f"ไม่พบตัวชี้วัด “{clean_text(value)}” ในปีงบประมาณ {be} (มีตัวชี้วัดที่ {span})")
            return pk
        code = clean_text(value).upper().replace(" ", "")
        if not code:
            raise ValueError("กรุณาระบุรหัสข้อคำถาม (เช่น I1, E7, O10)")
        pk = self.questions.get((year_id, code))
        if pk is None:
            raise ValueError(f"ไม่พบข้อคำถาม “{code}” ในปีงบประมาณ {be}")
        return pk

    # existing rows ----------------------------------------------------------------------------

    def load_existing(self, year_ids: Iterable[int]) -> None:
        year_ids = sorted(set(year_ids))
        results = AssessmentResult.objects.filter(year_id__in=year_ids)
        if self.agency is not None:
            results = results.filter(agency=self.agency)
        self.results = {
            (a, y): [pk, overall, level]
            for pk, a, y, overall, level in results.values_list(
                "id", "agency_id", "year_id", "overall", "level_awarded"
            )
        }
        for model, target in ((ToolScore, "tool_id"), (IndicatorScore, "indicator_id"), (QuestionScore, "question_id")):
            qs = model.objects.filter(result__year_id__in=year_ids)
            if self.agency is not None:
                qs = qs.filter(result__agency=self.agency)
            if model is ToolScore:
                rows = ((pk, r, t, score, "") for pk, r, t, score in qs.values_list("id", "result_id", target, "score"))
            else:
                rows = qs.values_list("id", "result_id", target, "score", "remedy")
            self.scores[model] = {(r, t): (pk, score, remedy) for pk, r, t, score, remedy in rows}

    def create_results(self, pairs: Iterable[tuple[int, int]], *, dry_run: bool, user=None, reason: str = "") -> None:
        """Create in bulk the results that score rows need and that do not exist yet (on a dry run,
        stand-in ids that are never written)."""
        missing = [
            AssessmentResult(agency_id=a, year_id=y) for a, y in sorted(set(pairs)) if (a, y) not in self.results
        ]
        if not missing:
            return
        if dry_run:
            for i, r in enumerate(missing, start=1):
                self.results[(r.agency_id, r.year_id)] = [-i, None, ""]
            return
        created = bulk_create_with_history(
            missing, AssessmentResult, batch_size=1000, default_user=user, default_change_reason=reason
        )
        for r in created:
            self.results[(r.agency_id, r.year_id)] = [r.pk, None, ""]


class KeepBlankWidget(ThaiWidget):
    """A blank cell cleans to None, which a Field with saves_null_values=False does not write."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def clean(self, value, row=None, **kwargs):
        return None if is_blank(value) else self.inner.clean(value, row=row, **kwargs)

    def render(self, value, obj=None, **kwargs):
        return self.inner.render(value, obj, **kwargs)


class LevelWidget(ThaiWidget):
    """ระดับที่ได้รับ: one of that year's rating bands (as the score form accepts)."""

    def __init__(self, ctx_getter):
        super().__init__()
        self._ctx = ctx_getter

    def clean(self, value, row=None, **kwargs):
        label = clean_text(value)
        if not label:
            return ""
        ctx = self._ctx()
        key = row.get("__key") if row else None
        if key:
            labels = ctx.bands.get(key[1], [])
            if labels and label not in labels:
                folded = {_norm(x): x for x in labels}
                if _norm(label) in folded:
                    return folded[_norm(label)]
                be = ctx.be_years[key[1]]
                raise ValueError(f"ระดับ “{label}” ไม่มีในเกณฑ์ปี {be} (ใช้ได้: {', '.join(labels)})")
        return label


def _fmt(value) -> str:
    if value is None or value == "":
        return "(ว่าง)"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


class _ScoreResource(SheetResource):
    """Rows of one kind of score; keys (agency code, year, code) are fields without attributes."""

    kind = ""
    agency = fields.Field(column_name=COL_AGENCY)
    year = fields.Field(column_name=COL_YEAR)
    code = fields.Field(column_name=COL_CODE)

    class Meta(SheetResource.Meta):
        use_bulk = True
        batch_size = 1000
        skip_diff = True
        import_id_fields = ("agency", "year", "code")

    #: text columns that a blank cell leaves as they are on a national sheet (see keep_blank_text)
    text_fields: tuple[str, ...] = ()

    def __init__(self, *, ctx: ScoreContext, **kwargs):
        super().__init__(**kwargs)
        self.ctx = ctx
        self._before: tuple = ()
        self.setup_fields()
        if ctx.keep_blank_text:
            for name in self.text_fields:
                f = self.fields[name]
                f.saves_null_values = False
                f.widget = KeepBlankWidget(f.widget)

    # keys ---------------------------------------------------------------------------------

    def setup_fields(self) -> None:
        """Widgets that need the context."""

    def before_import_row(self, row, **kwargs):
        errors: dict[str, str] = {}
        agency_id = year_id = target_id = None
        try:
            agency_id = self.ctx.agency_id(row.get(COL_AGENCY))
        except ValueError as e:
            errors[COL_AGENCY] = str(e)
        try:
            year_id = self.ctx.year_id(row.get(COL_YEAR))
        except ValueError as e:
            errors[COL_YEAR] = str(e)
        if year_id is not None:
            try:
                target_id = self.ctx.target_id(self.kind, year_id, row.get(COL_CODE))
            except ValueError as e:
                errors[COL_CODE] = str(e)
        if self.kind != OVERALL and not is_blank(row.get(COL_LEVEL)):
            errors[COL_LEVEL] = "ระบุระดับได้เฉพาะแถว “คะแนนรวม”"
        if self.kind in (OVERALL, TOOL) and not is_blank(row.get(COL_REMEDY)):
            errors[COL_REMEDY] = f"แถว “{KIND_LABELS[self.kind]}” ไม่มีแนวทางการแก้ไข (ใส่ได้ที่ตัวชี้วัดและข้อคำถาม)"
        if self.kind in (INDICATOR, QUESTION) and is_blank(row.get(COL_SCORE)) and not is_blank(row.get(COL_REMEDY)):
            errors[COL_SCORE] = "มีแนวทางการแก้ไขแต่ไม่มีคะแนน กรุณากรอกคะแนน"
        if errors:
            # report the values' own problems too, so a row is fixed in one go
            for name in self.value_fields:
                f = self.fields.get(name)
                if f is not None and f.column_name in row and f.column_name not in errors:
                    try:
                        f.clean(row)
                    except ValueError as e:
                        errors[f.column_name] = str(e)
            raise ValidationError(errors)
        row["__key"] = (agency_id, year_id, target_id)

    def natural_key(self, row):
        return row["__key"]

    def row_label(self, row) -> str:
        parts = [clean_text(row.get(COL_AGENCY)) if self.ctx.agency is None else "", clean_text(row.get(COL_YEAR))]
        code = clean_text(row.get(COL_CODE)) if self.kind != OVERALL else ""
        parts.append(f"{KIND_LABELS[self.kind]} {code}".strip())
        return " · ".join(p for p in parts if p)

    def values_of(self, instance) -> tuple:
        return tuple(getattr(instance, name) for name in self.value_fields)

    def after_init_instance(self, instance, new, row, **kwargs):
        self._before = (None,) * len(self.value_fields) if new else self.values_of(instance)
        self._after = self._before

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        after = self._after = self.values_of(instance)
        if instance.pk is None and all(v in (None, "") for v in after):
            return True  # a blank row for a score that does not exist: nothing to do
        return after == self._before

    def after_import_row(self, row, row_result, **kwargs):
        row_result.key_label = self.row_label(row)
        if row_result.import_type == RowResult.IMPORT_TYPE_DELETE:
            row_result.changes = (f"{COL_SCORE}: {_fmt(self._before[0])} → (ลบ)",)
        elif row_result.import_type == RowResult.IMPORT_TYPE_UPDATE:
            labels = [self.fields[n].column_name for n in self.value_fields]
            row_result.changes = tuple(
                f"{label}: {_fmt(b)} → {_fmt(a)}" for label, b, a in zip(labels, self._before, self._after) if a != b
            )


class OverallResource(_ScoreResource):
    kind = OVERALL
    overall = fields.Field(attribute="overall", column_name=COL_SCORE, widget=ScoreWidget())
    level_awarded = fields.Field(attribute="level_awarded", column_name=COL_LEVEL)
    value_fields = ("overall", "level_awarded")
    text_fields = ("level_awarded",)

    class Meta(_ScoreResource.Meta):
        model = AssessmentResult
        fields = ("agency", "year", "code", "overall", "level_awarded")

    def setup_fields(self):
        self.fields["level_awarded"].widget = LevelWidget(lambda: self.ctx)

    def existing_by_key(self):
        return _LazyInstances(
            {(a, y, None): v for (a, y), v in self.ctx.results.items()},
            lambda key, v: AssessmentResult(
                id=v[0], agency_id=key[0], year_id=key[1], overall=v[1], level_awarded=v[2]
            ),
        )

    def init_instance(self, row=None):
        a, y, _ = row["__key"]
        return AssessmentResult(agency_id=a, year_id=y)

    def after_bulk_create(self, created):
        for r in created:
            self.ctx.results[(r.agency_id, r.year_id)] = [r.pk, r.overall, r.level_awarded]


class _LazyInstances:
    """A dict of value tuples that builds a model instance only for the keys asked for."""

    def __init__(self, values: dict, build: Callable):
        self.values, self.build = values, build

    def get(self, key):
        v = self.values.get(key)
        return None if v is None else self.build(key, v)


class _TargetScoreResource(_ScoreResource):
    target_attr = ""

    def existing_by_key(self):
        model = self._meta.model
        by_result = {v[0]: (a, y) for (a, y), v in self.ctx.results.items()}
        values = {}
        for (result_id, target_id), v in self.ctx.scores.get(model, {}).items():
            pair = by_result.get(result_id)
            if pair is not None:
                values[(*pair, target_id)] = (result_id, *v)
        attr = self.target_attr

        def build(key, v):
            result_id, pk, score, remedy = v
            inst = model(id=pk, result_id=result_id, score=score, **{attr: key[2]})
            if hasattr(inst, "remedy"):
                inst.remedy = remedy
            return inst

        return _LazyInstances(values, build)

    def init_instance(self, row=None):
        a, y, target = row["__key"]
        result = self.ctx.results.get((a, y))
        return self._meta.model(result_id=result[0] if result else None, **{self.target_attr: target})

    def for_delete(self, row, instance):
        # A blank score on a row whose score exists removes it (as the score form does).
        return instance.pk is not None and is_blank(row.get(COL_SCORE)) and COL_SCORE in row


class ToolScoreResource(_TargetScoreResource):
    kind = TOOL
    target_attr = "tool_id"
    score = fields.Field(attribute="score", column_name=COL_SCORE, widget=ScoreWidget())
    value_fields = ("score",)

    class Meta(_TargetScoreResource.Meta):
        model = ToolScore
        fields = ("agency", "year", "code", "score")


class IndicatorScoreResource(_TargetScoreResource):
    kind = INDICATOR
    target_attr = "indicator_id"
    score = fields.Field(attribute="score", column_name=COL_SCORE, widget=ScoreWidget())
    remedy = fields.Field(attribute="remedy", column_name=COL_REMEDY, widget=TextWidget())
    value_fields = ("score", "remedy")
    text_fields = ("remedy",)

    class Meta(_TargetScoreResource.Meta):
        model = IndicatorScore
        fields = ("agency", "year", "code", "score", "remedy")


class QuestionScoreResource(IndicatorScoreResource):
    kind = QUESTION
    target_attr = "question_id"

    class Meta(_TargetScoreResource.Meta):
        model = QuestionScore
        fields = ("agency", "year", "code", "score", "remedy")


SCORE_RESOURCES = {
    OVERALL: OverallResource,
    TOOL: ToolScoreResource,
    INDICATOR: IndicatorScoreResource,
    QUESTION: QuestionScoreResource,
}


def import_score_rows(
    *,
    table: Table,
    ctx: ScoreContext,
    preview: Preview,
    user=None,
    reason: str = "",
    skip: set[int] = frozenset(),
    letters: dict[str, str] | None = None,
    dry_run: bool = False,
) -> None:
    """Import a table of score rows (headers already canonical) inside the caller's transaction.

    Rows are dispatched by kind, duplicates refused, the missing AssessmentResults created in
    bulk, then each kind goes through its Resource.
    """
    idx = {h: i for i, h in enumerate(table.headers) if h}
    letters = letters if letters is not None else {h: get_column_letter(i + 1) for h, i in idx.items()}
    sheet = table.sheet

    def cell(values, col):
        i = idx.get(col)
        return values[i] if i is not None else None

    by_kind: dict[str, list] = {k: [] for k in KINDS}
    seen: dict[tuple, int] = {}
    pairs: set[tuple[int, int]] = set()
    year_ids: set[int] = set()
    touched: set[int] = set()
    for number, values in table.rows:
        if number in skip:
            continue
        raw_kind = cell(values, COL_KIND)
        kind = kind_of(raw_kind)
        agency_raw, year_raw, code_raw = cell(values, COL_AGENCY), cell(values, COL_YEAR), cell(values, COL_CODE)
        if kind is None:
            message = (
                "กรุณาระบุประเภทคะแนน"
                if is_blank(raw_kind)
                else f"ไม่รู้จักประเภทคะแนน “{clean_text(raw_kind)}” (ใช้ได้: {' / '.join(KIND_LABELS.values())})"
            )
            preview.add_row(
                PreviewRow(
                    sheet=sheet,
                    row=number,
                    key=" · ".join(p for p in (clean_text(agency_raw), clean_text(year_raw)) if p),
                    status=ERROR,
                    problems=[
                        Problem(message, sheet=sheet, row=number, column=COL_KIND, letter=letters.get(COL_KIND, ""))
                    ],
                )
            )
            continue
        try:
            year_key = clean_be_year(year_raw)
        except ValueError:
            year_key = clean_text(year_raw)
        if kind == OVERALL:
            code_key = ""
        elif kind == INDICATOR:
            code_key = leading_int(code_raw) if leading_int(code_raw) is not None else clean_text(code_raw)
        else:
            code_key = clean_text(code_raw).upper().replace(" ", "")
        dup_key = (clean_text(agency_raw).casefold(), year_key, kind, code_key)
        first = seen.get(dup_key)
        if first is not None:
            preview.add_row(
                PreviewRow(
                    sheet=sheet,
                    row=number,
                    key=" · ".join(p for p in (clean_text(agency_raw), str(year_key), KIND_LABELS[kind]) if p),
                    status=ERROR,
                    problems=[
                        Problem(
                            f"ข้อมูลซ้ำกับแถว {first} (หน่วยงาน ปี ประเภทคะแนน และรหัสเดียวกัน) กรุณาลบแถวใดแถวหนึ่ง",
                            sheet=sheet,
                            row=number,
                        )
                    ],
                )
            )
            continue
        seen[dup_key] = number
        by_kind[kind].append((number, values))
        try:
            touched.add(ctx.agency_id(agency_raw))
        except ValueError:
            pass  # reported by the Resource with its column
        try:
            y = ctx.year_id(year_raw)
            year_ids.add(y)
            if not all(is_blank(cell(values, c)) for c in (COL_SCORE, COL_LEVEL, COL_REMEDY)):
                pairs.add((ctx.agency_id(agency_raw), y))
        except ValueError:
            pass  # reported by the Resource with its column

    ctx.load_existing(year_ids)
    for kind in KINDS:
        if kind == TOOL:
            # Overall rows created their results; the other rows' results are created here.
            ctx.create_results(pairs, dry_run=dry_run, user=user, reason=reason)
        resource = SCORE_RESOURCES[kind](ctx=ctx, user=user, reason=reason)
        run_resource(
            resource,
            sheet=sheet,
            headers=table.headers,
            rows=by_kind[kind],
            preview=preview,
            letters=letters,
            dry_run=dry_run,
        )
    if not dry_run and preview.has_changes:
        # The rows were written in bulk, without the signals that keep the page caches fresh.
        agency_data_touch(agency_ids=touched)


def score_sheet_import(
    *,
    file,
    dry_run: bool,
    user=None,
    filename: str = "",
    expected_digest: str | None = None,
) -> Preview:
    """Import a national score sheet (xlsx or csv). One transaction; written only when all is valid."""
    started = time.monotonic()
    preview = Preview(title="นำเข้าคะแนนระดับประเทศ", filename=filename, dry_run=dry_run)
    try:
        with Book(file, accept_csv=True, name=filename) as book:
            preview.filename = preview.filename or book.name
            preview.notes.extend(book.notes)
            names = book.sheet_names
            if NATIONAL_SHEET in names:
                name = NATIONAL_SHEET
            else:
                data_sheets = [n for n in names if n not in (REFERENCE_SHEET, INSTRUCTIONS_SHEET)]
                if len(data_sheets) != 1:
                    raise FileRefused(
                        f"ไม่พบแผ่นงาน “{NATIONAL_SHEET}” ในไฟล์ (มีแผ่นงาน: {', '.join(names)}) "
                        "กรุณาตั้งชื่อแผ่นงานคะแนนว่า “คะแนน” หรือให้ไฟล์มีแผ่นงานเดียว"
                    )
                name = data_sheets[0]
            table = book.read(name)
    except FileRefused as exc:
        preview.add_problem(Problem(str(exc)))
        preview.seconds = time.monotonic() - started
        return preview
    preview.sheets = [table.sheet]
    structure = match_columns(table, NATIONAL_COLUMNS)
    for p in structure:
        preview.add_problem(p)
    skip = add_table_problems(
        table, preview, label=lambda v: " · ".join(clean_text(x) for x in v[:3] if not is_blank(x))
    )
    if not table.headers or any(p.message.startswith("ไม่พบคอลัมน์") for p in structure):
        preview.seconds = time.monotonic() - started
        return preview
    reason = f"นำเข้าคะแนนจากไฟล์ {preview.filename}"[:100]
    with transaction.atomic():
        ctx = ScoreContext()
        import_score_rows(table=table, ctx=ctx, preview=preview, user=user, reason=reason, skip=skip, dry_run=dry_run)
        finish(preview, dry_run=dry_run, expected_digest=expected_digest)
    preview.seconds = time.monotonic() - started
    return preview


# ---------------------------------------------------------------------------------------------
# Writing: the national sheet (export and template)

REFERENCE_SHEET = "รายการอ้างอิง"
INSTRUCTIONS_SHEET = "คำอธิบาย"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
WRAP = Alignment(wrap_text=True, vertical="top")


def score_rows_for(*, agency_ids: Iterable[int] | None = None, year_ids: Iterable[int] | None = None) -> Iterator[dict]:
    """Stored scores as sheet rows (dicts by header): per result, overall, tools, indicators, questions."""
    results = AssessmentResult.objects.all()
    if agency_ids is not None:
        results = results.filter(agency_id__in=list(agency_ids))
    if year_ids is not None:
        results = results.filter(year_id__in=list(year_ids))
    results = list(
        results.order_by("agency__code", "year__be_year").values_list(
            "id", "agency__code", "agency__name", "year__be_year", "overall", "level_awarded"
        )
    )
    ids = [r[0] for r in results]
    per: dict[int, list] = defaultdict(list)
    chunks = [ids[i : i + 5000] for i in range(0, len(ids), 5000)]
    for chunk in chunks:
        for r, order, code, score in ToolScore.objects.filter(result_id__in=chunk).values_list(
            "result_id", "tool__order", "tool__code", "score"
        ):
            per[r].append(((1, order, 0), TOOL, code, score, ""))
        for r, number, score, remedy in IndicatorScore.objects.filter(result_id__in=chunk).values_list(
            "result_id", "indicator__number", "score", "remedy"
        ):
            per[r].append(((2, number, 0), INDICATOR, number, score, remedy))
        for r, order, qid, code, score, remedy in QuestionScore.objects.filter(result_id__in=chunk).values_list(
            "result_id", "question__tool__order", "question_id", "question__code", "score", "remedy"
        ):
            per[r].append(((3, order, qid), QUESTION, code, score, remedy))
    for rid, code, name, be, overall, level in results:
        base = {COL_AGENCY: code, COL_AGENCY_NAME: name, COL_YEAR: be}
        if overall is not None or level:
            yield {**base, COL_KIND: KIND_LABELS[OVERALL], COL_CODE: None, COL_SCORE: overall, COL_LEVEL: level or None}
        for _, kind, target, score, remedy in sorted(per[rid], key=lambda t: t[0]):
            yield {
                **base,
                COL_KIND: KIND_LABELS[kind],
                COL_CODE: target,
                COL_SCORE: score,
                COL_LEVEL: None,
                COL_REMEDY: remedy or None,
            }


def write_csv(headers: list[str], rows: Iterable[dict]) -> bytes:
    """CSV in UTF-8 with a BOM, so that Excel opens Thai text correctly."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    for r in rows:
        w.writerow(
            ["" if r.get(h) is None else (f"{r[h]:.2f}" if isinstance(r[h], Decimal) else r[h]) for h in headers]
        )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def reference_lists(*, years: Iterable[FiscalYear]) -> dict[str, list[str]]:
    years = list(years)
    ids = [y.id for y in years]
    out = {"ประเภทคะแนน": list(KIND_LABELS.values())}
    out["แบบวัด"] = list(
        dict.fromkeys(Tool.objects.filter(year_id__in=ids).order_by("order").values_list("code", flat=True))
    )
    out["ตัวชี้วัด"] = [
        f"{n} {name}"
        for n, name in dict(
            Indicator.objects.filter(year_id__in=ids).order_by("-year__be_year", "number").values_list("number", "name")
        ).items()
    ]
    out["ตัวชี้วัด"].sort(key=leading_int)
    out["ระดับ"] = list(
        dict.fromkeys(
            RatingBand.objects.filter(year_id__in=ids)
            .order_by("year__be_year", "order")
            .values_list("label", flat=True)
        )
    )
    return out


def write_national_xlsx(rows: Iterable[dict], *, years: Iterable[FiscalYear], template: bool = False) -> bytes:
    """The national sheet as xlsx (write-only: thousands of agencies fit in memory easily)."""
    years = list(years)
    wb = openpyxl.Workbook(write_only=not template)
    if template:
        ws = wb.active
        ws.title = NATIONAL_SHEET
    else:
        ws = wb.create_sheet(NATIONAL_SHEET)
    widths = {COL_AGENCY: 22, COL_AGENCY_NAME: 36, COL_YEAR: 12, COL_KIND: 12, COL_CODE: 8, COL_SCORE: 9, COL_LEVEL: 16}
    for i, h in enumerate(NATIONAL_HEADERS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = widths.get(h, 40)
    if template:
        ws.append(NATIONAL_HEADERS)
        for c in ws[1]:
            c.font, c.fill = HEADER_FONT, HEADER_FILL
        ws.freeze_panes = "A2"
        refs = reference_lists(years=years)
        ref = wb.create_sheet(REFERENCE_SHEET)
        for col, (title, items) in enumerate(refs.items(), start=1):
            ref.cell(row=1, column=col, value=title).font = HEADER_FONT
            for r, item in enumerate(items, start=2):
                ref.cell(row=r, column=col, value=item)
        kinds = DataValidation(
            type="list",
            formula1=f"'{REFERENCE_SHEET}'!$A$2:$A${1 + len(refs['ประเภทคะแนน'])}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="ประเภทคะแนน",
            error="กรุณาเลือก: " + " / ".join(KIND_LABELS.values()),
        )
        ws.add_data_validation(kinds)
        kinds.add(f"D2:D{TEMPLATE_ROWS + 1}")
    else:
        ws.append(NATIONAL_HEADERS)
        for r in rows:
            ws.append([r.get(h) for h in NATIONAL_HEADERS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


TEMPLATE_ROWS = 2000
