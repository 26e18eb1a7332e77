"""Writing spreadsheets: csv for Excel, and the pieces every xlsx of the portal shares.

Nothing executable leaves: a text a spreadsheet would read as a formula (starting with = + - @, a
tab or a carriage return) is written as a text cell in .xlsx (type "s" with the quote-prefix style,
so Excel keeps it text even when the cell is edited) and with a leading apostrophe in .csv, which
``sheets.reading`` removes again: the portal re-imports its own exports unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

REFERENCE_SHEET = "รายการอ้างอิง"  # the drop-down lists; never imported
INSTRUCTIONS_SHEET = "คำอธิบาย"  # how to fill the file in; never imported
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
KEY_FILL = PatternFill("solid", fgColor="FCE8C8")  # the columns that match rows to stored ones
WRAP = Alignment(wrap_text=True, vertical="top")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_safe(value):
    """A text a spreadsheet would run as a formula, made plain text by a leading apostrophe."""
    return "'" + value if formula_like(value) else value


def text_cell(cell):
    """The cell (of a normal worksheet) stored as text when its value looks like a formula."""
    if formula_like(cell.value):
        cell.data_type = "s"  # openpyxl takes a text starting with "=" for a formula
        cell.quotePrefix = True
    return cell


def xlsx_row(ws, values: Iterable) -> list:
    """Values for ``ws.append`` (normal or write-only sheets), formula-like texts as text cells."""
    return [text_cell(Cell(ws, row=1, column=1, value=v)) if formula_like(v) else v for v in values]


def write_csv(headers: list[str], rows: Iterable[dict]) -> bytes:
    """CSV in UTF-8 with a BOM, so that Excel opens Thai text correctly; formulas neutralised."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([csv_safe(h) for h in headers])
    for r in rows:
        w.writerow(
            [
                "" if r.get(h) is None else (f"{r[h]:.2f}" if isinstance(r[h], Decimal) else csv_safe(r[h]))
                for h in headers
            ]
        )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_reference_sheet(wb, lists: dict[str, list[str]], *, width: int | None = None) -> dict[str, str]:
    """The รายการอ้างอิง sheet: one titled column per list. Returns each non-empty list's cell
    range ("'รายการอ้างอิง'!$A$2:$A$5"), for drop-down validations."""
    ws = wb.create_sheet(REFERENCE_SHEET)
    ranges = {}
    for col, (title, items) in enumerate(lists.items(), start=1):
        letter = get_column_letter(col)
        text_cell(ws.cell(row=1, column=col, value=title)).font = HEADER_FONT
        if width:
            ws.column_dimensions[letter].width = width
        for r, item in enumerate(items, start=2):
            text_cell(ws.cell(row=r, column=col, value=item))
        if items:
            ranges[title] = f"'{REFERENCE_SHEET}'!${letter}$2:${letter}${len(items) + 1}"
    return ranges
