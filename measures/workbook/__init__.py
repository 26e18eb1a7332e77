"""The agency workbook: one xlsx per agency and fiscal year, out (template, export) and in (import).

Sheets, each with Thai headers in row 1 and one record per row:

| sheet | one row per | natural key |
|---|---|---|
| หน่วยงาน | the agency (one row) | รหัสหน่วยงาน + ปีงบประมาณ (พ.ศ.) |
| กอง-สำนัก | division | ชื่อกอง/สำนัก |
| มาตรการ | measure of the year | ลำดับ |
| กิจกรรม | activity of a measure | ลำดับมาตรการ + ลำดับกิจกรรม (its place in the measure, 1, 2, …) |
| ผลการดำเนินการ | progress of a measure or activity in a round | ลำดับมาตรการ + ลำดับกิจกรรม (blank: the measure) + รอบ |
| ข้อคำถาม | question of the year's catalogue | รหัสข้อ |
| คะแนน | overall, tool, indicator or question score | ประเภทคะแนน + รหัส |

plus คำอธิบาย (how to fill it in) and รายการอ้างอิง (the drop-down lists), never imported.

An import adds and updates; rows that are not in the file are left as they are (nothing is
deleted, except a score whose cell is emptied). The model-shaped sheets are imported by
django-import-export Resources (``resources``) and the คะแนน sheet by the score functions of
``assessments.score_sheet``, all in ONE transaction, in the order above, so that a sheet can refer
to rows an earlier sheet of the same file creates; the transaction is rolled back when any row of
any sheet has a problem. A preview (dry run) goes through the same steps and writes nothing, holding
no transaction (the rows it would create stay in memory for the sheets after them). The
spreadsheet engine is the ``sheets`` package.

- ``columns``: sheet names, headers, accepted spellings;
- ``context``: ``WorkbookContext`` (what the sheets refer to) and the widgets that read references;
- ``resources``: one Resource per model-shaped sheet, and the headers each sheet accepts;
- ``importing``: ``workbook_import``;
- ``template``: layout, drop-down lists and instructions; ``export``: ``workbook_export``.
"""

from .columns import (
    DATA_SHEETS,
    H_ACTIVITY,
    H_ACTIVITY_TITLE,
    H_AGENCY_NAME,
    H_BUDGET,
    H_COMPLETED,
    H_DISTRICT,
    H_DIVISION,
    H_DIVISIONS,
    H_FOCUS,
    H_INDICATORS,
    H_ISSUE,
    H_ITEM,
    H_KIND,
    H_MEASURE,
    H_MONITORING,
    H_NUMBER,
    H_ORDER,
    H_OUTCOME,
    H_OUTPUT,
    H_PERIOD,
    H_PROVINCE,
    H_QUESTION_CODE,
    H_QUESTION_TEXT,
    H_RESPONSIBLE_NOTE,
    H_ROUND,
    H_SPENT,
    H_STATUS,
    H_STEPS,
    H_TITLE,
    H_TOOL,
    H_UNABLE_NOTE,
    H_UNABLE_REASON,
    SHEET_ACTIVITIES,
    SHEET_DIVISIONS,
    SHEET_INFO,
    SHEET_MEASURES,
    SHEET_PROGRESS,
    SHEET_QUESTIONS,
    SHEET_SCORES,
)
from .export import workbook_export, workbook_filename
from .importing import workbook_import

__all__ = [
    "DATA_SHEETS",
    "H_ACTIVITY",
    "H_ACTIVITY_TITLE",
    "H_AGENCY_NAME",
    "H_BUDGET",
    "H_COMPLETED",
    "H_DISTRICT",
    "H_DIVISION",
    "H_DIVISIONS",
    "H_FOCUS",
    "H_INDICATORS",
    "H_ISSUE",
    "H_ITEM",
    "H_KIND",
    "H_MEASURE",
    "H_MONITORING",
    "H_NUMBER",
    "H_ORDER",
    "H_OUTCOME",
    "H_OUTPUT",
    "H_PERIOD",
    "H_PROVINCE",
    "H_QUESTION_CODE",
    "H_QUESTION_TEXT",
    "H_RESPONSIBLE_NOTE",
    "H_ROUND",
    "H_SPENT",
    "H_STATUS",
    "H_STEPS",
    "H_TITLE",
    "H_TOOL",
    "H_UNABLE_NOTE",
    "H_UNABLE_REASON",
    "SHEET_ACTIVITIES",
    "SHEET_DIVISIONS",
    "SHEET_INFO",
    "SHEET_MEASURES",
    "SHEET_PROGRESS",
    "SHEET_QUESTIONS",
    "SHEET_SCORES",
    "workbook_export",
    "workbook_filename",
    "workbook_import",
]
