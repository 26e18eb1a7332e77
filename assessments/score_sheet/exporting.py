"""Writing national score sheets: the stored scores of a year (xlsx or csv) and the empty template."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Iterator

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from sheets.cells import leading_int
from sheets.writing import HEADER_FILL, HEADER_FONT, write_reference_sheet, xlsx_row

from ..models import AssessmentResult, FiscalYear, Indicator, IndicatorScore, QuestionScore, RatingBand, Tool, ToolScore
from .columns import (
    COL_AGENCY,
    COL_AGENCY_NAME,
    COL_CODE,
    COL_KIND,
    COL_LEVEL,
    COL_REMEDY,
    COL_SCORE,
    COL_YEAR,
    INDICATOR,
    KIND_LABELS,
    NATIONAL_HEADERS,
    NATIONAL_SHEET,
    OVERALL,
    QUESTION,
    TOOL,
)

TEMPLATE_ROWS = 2000  # rows of the template that offer the drop-down of kinds


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
        ranges = write_reference_sheet(wb, refs)
        kinds = DataValidation(
            type="list",
            formula1=ranges["ประเภทคะแนน"],
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
            ws.append(xlsx_row(ws, [r.get(h) for h in NATIONAL_HEADERS]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
