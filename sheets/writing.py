"""Writing spreadsheets: csv for Excel, and the pieces every xlsx of the portal shares."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

REFERENCE_SHEET = "รายการอ้างอิง"  # the drop-down lists; never imported
INSTRUCTIONS_SHEET = "คำอธิบาย"  # how to fill the file in; never imported
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
KEY_FILL = PatternFill("solid", fgColor="FCE8C8")  # the columns that match rows to stored ones
WRAP = Alignment(wrap_text=True, vertical="top")


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


def write_reference_sheet(wb, lists: dict[str, list[str]], *, width: int | None = None) -> dict[str, str]:
    """The รายการอ้างอิง sheet: one titled column per list. Returns each non-empty list's cell
    range ("'รายการอ้างอิง'!$A$2:$A$5"), for drop-down validations."""
    ws = wb.create_sheet(REFERENCE_SHEET)
    ranges = {}
    for col, (title, items) in enumerate(lists.items(), start=1):
        letter = get_column_letter(col)
        ws.cell(row=1, column=col, value=title).font = HEADER_FONT
        if width:
            ws.column_dimensions[letter].width = width
        for r, item in enumerate(items, start=2):
            ws.cell(row=r, column=col, value=item)
        if items:
            ranges[title] = f"'{REFERENCE_SHEET}'!${letter}$2:${letter}${len(items) + 1}"
    return ranges
