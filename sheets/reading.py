"""Reading uploads: refuse a file early (size, kind, zip bomb), then read its sheets into plain tables.

xlsx sheets are streamed with ElementTree (openpyxl reads only the workbook parts: sheet list,
shared strings, date styles). Streaming our own way is 3–4× faster than openpyxl's cell objects
on 100,000-row sheets and sees what a person may not: formulas, hidden rows and columns, merged
cells. A CSV is decoded as Thai Excel saves it (UTF-8 with or without BOM, UTF-16, cp874).
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError, iterparse

from django.conf import settings
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel, from_ISO8601

from .preview import ERROR, Preview, PreviewRow, Problem
from .uploads import too_large

# An xlsx is a zip: refuse archives that would unpack to more than this (zip bombs).
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024
MAX_ZIP_RATIO = 200


def limits() -> dict[str, int]:
    """What a workbook may hold, read from the zip directory and while streaming, before a sheet is
    kept in memory (settings IMPORT_MAX_*; defaults fit the national score sheet, 112,000 rows)."""
    return {
        "shared_strings": int(getattr(settings, "IMPORT_MAX_SHARED_STRINGS_BYTES", 32 * 1024 * 1024)),
        "sheet_xml": int(getattr(settings, "IMPORT_MAX_SHEET_XML_BYTES", 200 * 1024 * 1024)),
        "columns": int(getattr(settings, "IMPORT_MAX_COLUMNS", 200)),
        "rows": int(getattr(settings, "IMPORT_MAX_ROWS", 500_000)),
        "cells": int(getattr(settings, "IMPORT_MAX_CELLS", 3_000_000)),
    }


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"


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
    limit = limits()
    for info in infos:
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise FileRefused("ไฟล์นี้ถูกบีบอัดผิดปกติ (ขยายแล้วใหญ่เกินไป) ระบบจึงไม่เปิด")
        # The uncompressed sizes of the zip directory bound what is read (zipfile stops there).
        name = info.filename.lower()
        if name.endswith("sharedstrings.xml") and info.file_size > limit["shared_strings"]:
            raise FileRefused(
                f"ข้อความในไฟล์นี้ขยายออกได้ {_mb(info.file_size)} เกินกว่าที่รับได้ ({_mb(limit['shared_strings'])}) "
                "ระบบจึงไม่เปิด กรุณาแบ่งเป็นหลายไฟล์"
            )
        if name.startswith("xl/worksheets/") and info.file_size > limit["sheet_xml"]:
            raise FileRefused(
                f"แผ่นงานในไฟล์นี้ขยายออกได้ {_mb(info.file_size)} เกินกว่าที่รับได้ ({_mb(limit['sheet_xml'])}) "
                "ระบบจึงไม่เปิด กรุณาแบ่งเป็นหลายไฟล์"
            )
    if total > MAX_UNZIPPED_BYTES:
        raise FileRefused("ไฟล์นี้มีข้อมูลมากเกินไปเมื่อขยายออก ระบบจึงไม่เปิด กรุณาแบ่งเป็นหลายไฟล์")


def _csv_unquote(value: str) -> str:
    """The apostrophe ``sheets.writing.csv_safe`` puts before a formula-like text, removed."""
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r") else value


def _cell_text(value):
    """A read cell value: strings stripped (blank → None), other types as they are."""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        return value or None
    return value


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _FORMULA, _INLINE, _TEXT = (_NS + t for t in ("row", "c", "v", "f", "is", "t"))
_MERGE, _COL, _DIMENSION = _NS + "mergeCell", _NS + "col", _NS + "dimension"
_REF = re.compile(r"\$?([A-Za-z]{1,10})\$?(\d{1,12})$")


def too_wide(name: str, columns: int, limit: int) -> FileRefused:
    return FileRefused(
        f"แผ่นงาน “{name}” มีข้อมูลถึงคอลัมน์ที่ {columns:,} เกินกว่าที่รับได้ ({limit:,} คอลัมน์) "
        "กรุณาลบคอลัมน์ที่ไม่ใช้ (รวมถึงคอลัมน์ว่างที่จัดรูปแบบไว้) แล้วอัปโหลดใหม่"
    )


def too_long(name: str, rows: int, limit: int) -> FileRefused:
    return FileRefused(f"แผ่นงาน “{name}” มีถึงแถวที่ {rows:,} เกินกว่าที่รับได้ ({limit:,} แถว) กรุณาลบแถวที่ไม่ใช้ หรือแบ่งเป็นหลายไฟล์")


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
    """An opened upload: an xlsx workbook or one CSV table. Use as a context manager."""

    def __init__(self, file, *, accept_csv: bool, name: str = ""):
        self._f, size, own_name, self._opened_here = _open_binary(file)
        self.name = name or own_name
        self.notes: list[str] = []
        self._reader = None
        self._csv: Table | None = None
        self._limits = limits()
        self._cells = 0  # cells read so far, all sheets together
        try:
            refusal = too_large(size)
            if refusal:
                raise FileRefused(refusal)
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
        row_cells = 0
        hidden_columns: list[tuple[int, int]] = []
        merged: list[str] = []
        try:
            with self._reader.archive.open(path) as src:
                for _, el in iterparse(src, events=("end",)):
                    tag = el.tag
                    if tag == _CELL:  # counted as they stream, before their row is complete
                        row_cells += 1
                        if row_cells > self._limits["columns"]:
                            raise too_wide(name, row_cells, self._limits["columns"])
                        self._count_cells(1)
                    elif tag == _DIMENSION:
                        self._check_dimension(name, el.get("ref") or "")
                    elif tag == _ROW:
                        r = el.get("r")
                        idx = int(r) if r and r.isdigit() and len(r) < 13 else last + 1
                        if idx > self._limits["rows"]:
                            raise too_long(name, idx, self._limits["rows"])
                        if header_done and idx > last + 1:
                            pending_blank += idx - last - 1  # rows absent from the file are blank too
                        last = idx
                        hidden = el.get("hidden") in ("1", "true")
                        row_cells = 0
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
            col = _column_number(ref[:12].upper()) if ref else col + 1
            if col > self._limits["columns"]:
                raise too_wide(table.sheet, col, self._limits["columns"])
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

    def _check_dimension(self, name: str, ref: str) -> None:
        """The sheet's declared extent (``<dimension ref="A1:XFD12000">``), before its rows."""
        end = _REF.match(ref.split(":")[-1].strip())
        if not end:
            return
        columns, rows = _column_number(end.group(1).upper()), int(end.group(2))
        if columns > self._limits["columns"]:
            raise too_wide(name, columns, self._limits["columns"])
        if rows > self._limits["rows"]:
            raise too_long(name, rows, self._limits["rows"])

    def _count_cells(self, n: int) -> None:
        self._cells += n
        if self._cells > self._limits["cells"]:
            raise FileRefused(f"ไฟล์นี้มีข้อมูลเกิน {self._limits['cells']:,} เซลล์ เกินกว่าที่รับได้ กรุณาแบ่งเป็นหลายไฟล์")

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
        limit = self._limits
        try:
            for number, record in enumerate(reader, start=1):
                if number > limit["rows"]:
                    raise too_long(name, number, limit["rows"])
                if len(record) > limit["columns"]:
                    raise too_wide(name, len(record), limit["columns"])
                self._count_cells(len(record))
                values = [_cell_text(_csv_unquote(v)) for v in record]
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
        except csv.Error:  # a NUL byte, a field over csv's limit, …
            raise FileRefused(
                "อ่านไฟล์ CSV นี้ไม่ได้ (รูปแบบไม่ถูกต้อง) กรุณาบันทึกเป็น “CSV UTF-8 (Comma delimited)” แล้วอัปโหลดใหม่"
            ) from None
        return table


HIDDEN_ROW = (
    "แถวนี้ถูกซ่อนไว้ ระบบไม่นำเข้าแถวที่มองไม่เห็นโดยไม่แจ้ง กรุณายกเลิกการซ่อนแถว (หรือล้างตัวกรอง) แล้วตรวจสอบ หรือลบแถวนี้ถ้าไม่ต้องการ"
)


CSV_ENCODING = "อ่านรหัสอักขระของไฟล์ CSV ไม่ได้ กรุณาบันทึกเป็น “CSV UTF-8 (Comma delimited)” แล้วอัปโหลดใหม่"


def decode_text(raw: bytes) -> tuple[str, str]:
    """Text of a CSV: UTF-8 (with or without BOM), UTF-16 with BOM, else Thai Windows (cp874).
    Bytes none of these can read (a broken UTF-8 BOM file, an odd-length UTF-16 file) are refused."""
    try:
        if raw.startswith(b"\xef\xbb\xbf"):
            return raw[3:].decode("utf-8", errors="strict"), "utf-8"
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16"), "utf-16"
    except UnicodeDecodeError:
        raise FileRefused(CSV_ENCODING) from None
    for encoding in ("utf-8", "cp874"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    raise FileRefused(CSV_ENCODING)


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
