"""Columns: Thai headers, a few accepted spellings, required or not."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from .preview import Problem
from .reading import Table


@dataclass(frozen=True)
class Column:
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    info: bool = False  # shown for people; never imported


def fold(text) -> str:
    """A header or a label as compared: spaces collapsed, case folded."""
    return " ".join(str(text or "").split()).casefold()


def column_letters(headers: list[str]) -> dict[str, str]:
    """Header → its column letter (A, B, …), for the places problems name."""
    return {h: get_column_letter(i + 1) for i, h in enumerate(headers) if h}


def match_columns(table: Table, columns: Iterable[Column]) -> list[Problem]:
    """Rename the table's headers to the canonical ones; problems for missing or unknown columns."""
    columns = list(columns)
    by_name = {}
    for c in columns:
        for name in (c.header, *c.aliases):
            by_name[fold(name)] = c.header
    problems = []
    seen: dict[str, int] = {}
    for i, header in enumerate(table.headers):
        if not header:
            continue
        canonical = by_name.get(fold(header))
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


def missing_required(problems: Iterable[Problem]) -> bool:
    """Whether match_columns found a required column missing (then no row can be read)."""
    return any(p.message.startswith("ไม่พบคอลัมน์") for p in problems)
