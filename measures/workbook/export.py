"""The agency workbook out: its data for a year, or an empty template to fill in."""

from __future__ import annotations

import io

import openpyxl

from agencies.models import Agency
from assessments.models import AssessmentResult, FiscalYear, Indicator, Question, Tool
from assessments.score_sheet.columns import COL_AGENCY, COL_YEAR, INDICATOR, KIND_LABELS, OVERALL, QUESTION, TOOL
from sheets.writing import INSTRUCTIONS_SHEET, write_reference_sheet

from ..models import Progress, Round
from .columns import (
    DATA_SHEETS,
    H_AGENCY_NAME,
    H_DISTRICT,
    H_KIND,
    H_PROVINCE,
    INFO_COLUMNS,
    SCORE_HEADERS,
    SHEET_ACTIVITIES,
    SHEET_DIVISIONS,
    SHEET_INFO,
    SHEET_MEASURES,
    SHEET_PROGRESS,
    SHEET_QUESTIONS,
    SHEET_SCORES,
)
from .context import WorkbookContext
from .resources import ActivityResource, DivisionResource, MeasureResource, ProgressResource, QuestionResource
from .template import TEMPLATE_EMPTY_ROWS, add_dropdowns, reference_lists, write_data_sheet, write_instructions


def workbook_export(*, agency: Agency, year: FiscalYear, template: bool = False) -> bytes:
    """The agency's workbook for a year: its data (template=False) or an empty template.

    Deterministic: the same data gives the same cells (the round-trip test relies on it).
    """
    wctx = WorkbookContext(agency=agency, year=year)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    refs = reference_lists(wctx)

    write_instructions(wb.create_sheet(INSTRUCTIONS_SHEET), agency=agency, year=year)
    sheets = {}
    info_row = {
        COL_AGENCY: agency.code,
        H_KIND: agency.get_kind_display(),
        H_AGENCY_NAME: agency.name,
        H_DISTRICT: agency.district or None,
        H_PROVINCE: agency.province or None,
        COL_YEAR: year.be_year,
    }
    sheets[SHEET_INFO] = ([c.header for c in INFO_COLUMNS], [[info_row[c.header] for c in INFO_COLUMNS]])

    kwargs = {"wctx": wctx}
    divisions = DivisionResource(**kwargs).export(list(wctx.divisions.values()))
    sheets[SHEET_DIVISIONS] = (divisions.headers, list(divisions))
    measures = sorted(wctx.measures.values(), key=lambda m: m.order)
    activities = []
    progress_rows = []
    if not template:
        by_item = {
            (p.measure_id, p.activity_id, p.round): p
            for p in Progress.objects.filter(measure__in=measures).select_related("measure", "activity")
        }
        for m in measures:
            acts = list(m.activities.all())
            for pos, a in enumerate(acts, start=1):
                a.position = pos
                activities.append(a)
            items = [(None, None)] + [(a, a.position) for a in acts]
            for a, pos in items:
                for rnd, _ in Round.choices:
                    p = by_item.get((m.id, a.id if a else None, rnd))
                    if p is None and a is None and acts:
                        continue  # a measure with activities is reported activity by activity
                    if p is None:
                        p = Progress(measure=m, activity=a, round=rnd, status="")
                    p.activity_position = pos
                    progress_rows.append(p)
    measure_set = MeasureResource(**kwargs).export(measures if not template else [])
    sheets[SHEET_MEASURES] = (measure_set.headers, list(measure_set))
    activity_set = ActivityResource(**kwargs).export(activities)
    sheets[SHEET_ACTIVITIES] = (activity_set.headers, list(activity_set))
    progress_set = ProgressResource(**kwargs).export(progress_rows)
    sheets[SHEET_PROGRESS] = (progress_set.headers, list(progress_set))
    questions = list(
        Question.objects.filter(year=year).select_related("tool", "indicator").order_by("tool__order", "id")
    )
    question_set = QuestionResource(**kwargs).export(questions)
    sheets[SHEET_QUESTIONS] = (question_set.headers, list(question_set))
    sheets[SHEET_SCORES] = (SCORE_HEADERS, _score_rows(agency=agency, year=year, questions=questions, blank=template))

    for name in DATA_SHEETS:
        headers, rows = sheets[name]
        write_data_sheet(wb.create_sheet(name), name, headers, rows)
    ranges = write_reference_sheet(wb, refs, width=40)
    for name in DATA_SHEETS:
        headers, rows = sheets[name]
        last = 2 if name == SHEET_INFO else len(rows) + 1 + TEMPLATE_EMPTY_ROWS
        add_dropdowns(wb[name], name, headers, last=last, ranges=ranges)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _score_rows(*, agency: Agency, year: FiscalYear, questions: list[Question], blank: bool) -> list[list]:
    result = (
        None
        if blank
        else AssessmentResult.objects.filter(agency=agency, year=year)
        .prefetch_related("tool_scores", "indicator_scores", "question_scores")
        .first()
    )
    tools = {s.tool_id: s for s in result.tool_scores.all()} if result else {}
    indicators = {s.indicator_id: s for s in result.indicator_scores.all()} if result else {}
    qs = {s.question_id: s for s in result.question_scores.all()} if result else {}

    def line(kind, code, name, score=None, level=None, remedy=None):
        return [KIND_LABELS[kind], code, name, score, level or None, remedy or None]

    rows = [
        line(OVERALL, None, "คะแนนรวม", result.overall if result else None, result.level_awarded if result else None)
    ]
    for t in Tool.objects.filter(year=year).order_by("order"):
        s = tools.get(t.id)
        rows.append(line(TOOL, t.code, t.name, s.score if s else None))
    for i in Indicator.objects.filter(year=year).order_by("number"):
        s = indicators.get(i.id)
        rows.append(line(INDICATOR, i.number, i.name, s.score if s else None, remedy=s.remedy if s else None))
    for q in questions:
        s = qs.get(q.id)
        rows.append(line(QUESTION, q.code, q.text, s.score if s else None, remedy=s.remedy if s else None))
    return rows


def workbook_filename(*, agency: Agency, year: FiscalYear, template: bool) -> str:
    kind = "template" if template else "data"
    return f"ita-{agency.code}-{year.be_year}-{kind}.xlsx"
