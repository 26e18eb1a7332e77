"""National score sheets: one row per agency × year × (overall | tool | indicator | question) score.

A province or an NACC region office keeps them for thousands of agencies, in xlsx or csv.
Agencies are matched by code, years by their พ.ศ. number, tools by code, indicators by number
and questions by code: natural keys, never database ids. The agency workbook's คะแนน sheet is
imported by the same functions (``import_score_rows``), for one agency and year.

- ``columns``: headers, kinds of score;
- ``context``: ``ScoreContext``, every lookup of an import loaded once into dicts;
- ``importing``: ``score_sheet_import`` (a file) and ``import_score_rows`` (a table of rows);
- ``exporting``: the stored scores as rows, the xlsx (data or template).

The spreadsheet engine itself (reading, cells, previews, uploads) is the ``sheets`` package.
"""

from .columns import (
    COL_AGENCY,
    COL_AGENCY_NAME,
    COL_CODE,
    COL_KIND,
    COL_LEVEL,
    COL_NAME,
    COL_REMEDY,
    COL_SCORE,
    COL_YEAR,
    INDICATOR,
    KIND_LABELS,
    KINDS,
    NATIONAL_COLUMNS,
    NATIONAL_HEADERS,
    NATIONAL_SHEET,
    OVERALL,
    QUESTION,
    TOOL,
    kind_of,
)
from .context import ScoreContext
from .exporting import score_rows_for, write_national_xlsx
from .importing import import_score_rows, score_sheet_import

__all__ = [
    "COL_AGENCY",
    "COL_AGENCY_NAME",
    "COL_CODE",
    "COL_KIND",
    "COL_LEVEL",
    "COL_NAME",
    "COL_REMEDY",
    "COL_SCORE",
    "COL_YEAR",
    "INDICATOR",
    "KINDS",
    "KIND_LABELS",
    "NATIONAL_COLUMNS",
    "NATIONAL_HEADERS",
    "NATIONAL_SHEET",
    "OVERALL",
    "QUESTION",
    "TOOL",
    "ScoreContext",
    "import_score_rows",
    "kind_of",
    "score_rows_for",
    "score_sheet_import",
    "write_national_xlsx",
]
