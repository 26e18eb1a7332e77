"""Build a report's plain context: every query of a report is here.

The renderer receives only dicts, lists, strings and Decimals, so that the same context can be
hashed (to serve an unchanged report from storage), attached to the PDF as data, and rendered
without touching the database.
"""

import datetime
import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch

from agencies.models import Agency
from assessments.models import AssessmentResult, FiscalYear, Indicator, IndicatorScore, QuestionScore, RatingBand
from assessments.selectors import ScoreHistory, score_history
from ita_portal import thai
from measures.models import Activity, Measure, Plan, Progress, Round, Status

from .layout import LABELS, column_widths_with_default, fill, mark_rows_to_keep, merged_labels, merged_layout
from .models import COLUMNS, DEFAULT_COLUMNS, Grouping, Kind, Report, State
from .narrative import generated_texts
from .sections import sequence as section_sequence


def report_title(*, kind: str, be_year: int) -> str:
    if kind == Kind.ANALYSIS:
        return (
            f"รายงานการวิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ ประจำปีงบประมาณ พ.ศ. {be_year}"
        )
    title = f"รายงานผลการดำเนินการเพื่อส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. {be_year}"
    if kind == Kind.SIX_MONTH:
        title += " รอบ 6 เดือน"
    return title


def period_text(*, kind: str, be_year: int) -> str:
    start, end = thai.fiscal_year_bounds(be_year)
    if kind == Kind.SIX_MONTH:
        end = thai.six_month_end(be_year)
    return f"{thai.thai_date(start)} – {thai.thai_date(end)}"


def _responsible(item) -> str:
    names = [d.name for d in item.divisions.all()]
    note = getattr(item, "responsible_note", "")
    return "\n".join([*names, note] if note else names)


def _status_text(p: Progress | None) -> str:
    if p is None:
        return Status.NOT_STARTED.label
    label = Status(p.status).label if p.status in Status.values else ""
    if p.completed_on:
        label = f"{label} เมื่อวันที่ {thai.thai_date(p.completed_on)}".strip()
    if p.status == Status.UNABLE and p.unable_reason:
        label += f" ({p.get_unable_reason_display()}{' ' + p.unable_note if p.unable_note else ''})"
    return label


def _row(measure: Measure, activity: Activity | None, progress: Progress | None, number: str) -> dict:
    source = activity or measure
    period = source.period or (measure.period if activity else "")
    responsible = _responsible(source) or (_responsible(measure) if activity else "")
    return {
        "is_activity": activity is not None,
        "cells": {
            "number": number,
            "focus": measure.focus if activity is None else "",
            "measure": source.title or (measure.focus if activity is None else ""),
            "steps": source.steps,
            "period": period,
            "responsible": responsible,
            "responsible_period": "\n".join(t for t in (responsible, period) if t),
            "output": progress.output if progress else "",
            "outcome": progress.outcome if progress else "",
            "status": _status_text(progress),
            "monitoring": measure.monitoring if activity is None else "",
        },
    }


def _photo(photo) -> dict:
    image = photo.print_image or photo.image
    return {"name": image.name if image else "", "caption": photo.caption}


def _measures(agency: Agency, year: FiscalYear, round: str):
    """The year's measures with what the report shows of them: seven queries whatever their number."""
    return list(
        Measure.objects.for_agency(agency)
        .for_year(year)
        .select_related("issue", "tool")
        .prefetch_related(
            "divisions",
            Prefetch("indicators", queryset=Indicator.objects.select_related("tool")),
            Prefetch("activities", queryset=Activity.objects.prefetch_related("divisions")),
            Prefetch(
                "progress",
                queryset=Progress.objects.filter(round=round).prefetch_related("photos"),
                to_attr="round_progress",
            ),
        )
        .order_by("order", "id")
    )


def _group_key(measure: Measure, grouping: str, other: str, templates: dict | None = None):
    templates = templates or LABELS
    if grouping == Grouping.ISSUE:
        if measure.issue:
            template = templates.get(f"issue_group_{measure.issue.number}") or templates["issue_group"]
            return (
                measure.issue.number,
                fill(template, number=measure.issue.number, title=measure.issue.title),
            )
        return (99, other)
    if grouping in (Grouping.TOOL, Grouping.TOOL_INDICATOR):
        tool = measure.tool or next((i.tool for i in measure.indicators.all()), None)
        if tool:
            heading = fill(templates["tool_group"], code=tool.code, name=tool.name, focus=measure.focus)
            return (tool.order, heading.strip() or f"แบบวัด {tool.code}: {tool.name}")
        return (99, other)
    return (0, "")


def _subheading(measure: Measure, grouping: str) -> str:
    if grouping != Grouping.TOOL_INDICATOR:
        return ""
    names = [f"ตัวชี้วัดที่ {i.number} {i.name}" for i in measure.indicators.all()]
    return ", ".join(names) or measure.focus


def measure_groups(
    *,
    measures: list[Measure],
    grouping: str,
    regroup: bool = True,
    other: str = "มาตรการอื่น ๆ",
    number_rows: bool = True,
    templates: dict | None = None,
    number_in_measure: bool = False,
) -> tuple[list[dict], list[dict]]:
    """Rows grouped as the layout asks, and the photo pages (per measure, in the same order).

    regroup=False keeps the agency's own sequence: a group starts wherever the group changes, and a
    measure without a group gets no invented heading. number_rows=False leaves an unnumbered
    measure's number cell empty, as the agency left it, instead of counting 1, 2, …
    """
    groups: dict[tuple, dict] = {}
    sequence: list[dict] = []
    photo_pages = []
    for seq, m in enumerate(measures, start=1):
        if regroup:
            key = _group_key(m, grouping, other, templates)
            group = groups.setdefault(key, {"heading": key[1], "rows": []})
        else:
            key = _group_key(m, grouping, "", templates)
            if not sequence or sequence[-1]["heading"] != key[1]:
                sequence.append({"heading": key[1], "rows": []})
            group = sequence[-1]
        progress = {p.activity_id: p for p in m.round_progress}
        own = m.number or (str(seq) if number_rows else "")
        row = _row(m, None, progress.get(None), own)
        if number_in_measure and m.number:
            # The agency numbers the row's first text: its title, or its heading when it has no title.
            for key in ("measure",) if m.title else ("measure", "focus"):
                if row["cells"][key]:
                    row["cells"][key] = f"{m.number.rstrip('.')}. {row['cells'][key]}"
        row["subheading"] = _subheading(m, grouping)
        group["rows"].append(row)
        photos = [_photo(ph) for ph in progress[None].photos.all()] if None in progress else []
        for a_seq, a in enumerate(m.activities.all(), start=1):
            p = progress.get(a.id)
            group["rows"].append(_row(m, a, p, f"{own}.{a_seq}" if own else ""))
            if p:
                photos += [_photo(ph) for ph in p.photos.all()]
        photos = [ph for ph in photos if ph["name"] or ph["caption"]]  # no empty frame for a missing image
        if photos:
            group["rows"][-1]["photos"] = photos
            photo_pages.append({"title": m.title or m.focus, "heading": key[1], "photos": photos})
    ordered = [groups[k] for k in sorted(groups, key=lambda k: k[0])] if regroup else sequence
    # Subheadings repeat on every row of seed 004's layout; show each only where it changes.
    for g in ordered:
        last = None
        for row in g["rows"]:
            if row.get("subheading") == last:
                row["subheading"] = ""
            else:
                last = row.get("subheading")
    return ordered, photo_pages


def _scores(history: ScoreHistory) -> dict:
    return {
        "years": [
            {
                "be_year": y.be_year,
                "overall": y.overall,
                "level_awarded": y.level_awarded,
                "level_computed": y.level_computed,
                "change": y.change,
                "target": y.target,
                "tools": y.tools,
            }
            for y in history.years
        ],
        "indicator_rows": [{"number": r.number, "name": r.name, "cells": r.cells} for r in history.indicator_rows],
    }


def _num(d: Decimal) -> str:
    return f"{d:.2f}".rstrip("0").rstrip(".")


def _bands_table(bands: list[RatingBand]) -> list[dict]:
    rows, upper = [], Decimal("100")
    for b in sorted(bands, key=lambda b: b.order):
        cond = f"{_num(b.min_overall)} – {_num(upper)}"
        if b.min_each_tool is not None:
            cond += f" และทุกแบบวัดไม่ต่ำกว่า {_num(b.min_each_tool)}"
        rows.append({"label": b.label, "range": cond})
        if b.min_each_tool is None:
            upper = b.min_overall - Decimal("0.01")
    return rows


def analysis_context(
    *, agency: Agency, year: FiscalYear, strength: Decimal, improve: Decimal, history: ScoreHistory | None = None
) -> dict:
    """Seed 002's analysis, with the narrative computed from the same numbers as the tables.

    history: a score history already read that holds the year (the report's score table), if any.
    """
    result = (
        AssessmentResult.objects.filter(agency=agency, year=year)
        .prefetch_related(
            Prefetch("indicator_scores", queryset=IndicatorScore.objects.select_related("indicator__tool")),
            Prefetch(
                "question_scores",
                queryset=QuestionScore.objects.select_related("question__tool", "question__indicator"),
            ),
        )
        .first()
    )
    bands = list(year.rating_bands.all())
    if result is None:
        return {"has_result": False, "bands": _bands_table(bands)}
    indicators = sorted(
        (
            {
                "number": s.indicator.number,
                "name": s.indicator.name,
                "tool": s.indicator.tool.code,
                "score": s.score,
                "remedy": s.remedy,
            }
            for s in result.indicator_scores.all()
        ),
        key=lambda r: (-r["score"], r["number"]),
    )
    for rank, row in enumerate(indicators, start=1):
        row["rank"] = rank
    questions = [
        {
            "code": q.question.code,
            "tool": q.question.tool.code,
            "indicator": q.question.indicator_id and q.question.indicator.number,
            "text": q.question.text,
            "score": q.score,
            "remedy": q.remedy,
        }
        for q in sorted(result.question_scores.all(), key=lambda q: (q.question.tool.order, q.question_id))
    ]
    lowest = indicators[-1] if indicators else None
    to_improve = [r for r in indicators if r["score"] < improve]
    by_tool = []
    for tool in year.tools.all():
        rows = [r for r in to_improve if r["tool"] == tool.code]
        qs = [q for q in questions if q["tool"] == tool.code and q["score"] < improve]
        if rows or qs:
            by_tool.append({"code": tool.code, "name": tool.name, "indicators": rows, "questions": qs})
    scores = history.year(year.be_year) if history else None
    if scores is None:
        scores = score_history(agency=agency, years=[year.be_year]).year(year.be_year)
    return {
        "has_result": True,
        "overall": result.overall,
        "level_awarded": result.level_awarded,
        "level_computed": scores.level_computed if scores else None,
        "bands": _bands_table(bands),
        "indicators": indicators,
        "highest": indicators[0] if indicators else None,
        "lowest": lowest,
        "strengths": [r for r in indicators if r["score"] > strength],
        "weaknesses": [r for r in indicators if r["score"] < strength],
        "to_improve": to_improve,
        "by_tool": by_tool,
        "strength_threshold": strength,
        "improve_threshold": improve,
    }


def report_context(*, report: Report) -> dict:
    agency, year = report.agency, report.year
    kind = report.kind
    measures_year = year
    if kind == Kind.ANALYSIS:
        measures_year = FiscalYear.objects.filter(be_year=year.be_year + 1).first() or year
    rnd = Round.SIX_MONTH if kind == Kind.SIX_MONTH else Round.ANNUAL
    measures = _measures(agency, measures_year, rnd)
    layout = merged_layout(report.layout)
    labels = merged_labels(
        report.labels,
        round_label=Round(rnd).label,
        measures_year=measures_year.be_year,
        agency_name=agency.name,
        agency_place=agency.place,
    )
    groups, photo_pages = measure_groups(
        measures=measures,
        grouping=report.grouping,
        regroup=layout["regroup"],
        other=labels["other_group"],
        number_rows=layout["number_rows"],
        templates=labels,
        number_in_measure=layout["number_in_measure"],
    )
    plan = Plan.objects.filter(agency=agency, year=measures_year).first()
    columns = [c for c in (report.columns or DEFAULT_COLUMNS) if c in COLUMNS]
    headers = {c: labels[f"col_{c}"] for c in columns}
    rows = [r for g in groups for r in g["rows"]]
    if layout["responsible_dashes"]:
        for r in rows:
            names = r["cells"]["responsible"].split("\n")
            if len(names) > 1:
                r["cells"]["responsible"] = "\n".join(f"- {n}" for n in names)
    widths, computed = column_widths_with_default(columns, rows, headers, layout["column_widths"])
    mark_rows_to_keep(rows, widths, font_pt=14 if layout["dense_tables"] else 16)
    ctx = {
        "report": {
            "kind": kind,
            "kind_label": Kind(kind).label,
            "title": report.title or report_title(kind=kind, be_year=year.be_year),
            "be_year": year.be_year,
            "measures_year": measures_year.be_year,
            "period": period_text(kind=kind, be_year=measures_year.be_year),
            "round_label": Round(rnd).label,
            "grouping": report.grouping,
            "columns": [{"key": c, "header": headers[c], "width": widths[c], "computed": computed[c]} for c in columns],
            "layout": layout,
            "thai_digits": report.thai_digits,
            "show_cover": report.show_cover,
            "show_photos": report.show_photos and bool(photo_pages),
            "show_score_table": report.show_score_table,
            "show_score_chart": report.show_score_chart,
            "signatory_name": report.signatory_name or (plan.signatory_name if plan else ""),
            "signatory_position": report.signatory_position or (plan.signatory_position if plan else ""),
            "signed_on": thai.thai_date(report.signed_on) if report.signed_on else "",
        },
        "agency": {
            "code": agency.code,
            "name": agency.name,
            "short_kind": agency.short_kind,
            "district": agency.district,
            "province": agency.province,
            "place": agency.place,
        },
        "intro": (plan.intro if plan else "").split("\n\n") if plan and plan.intro else [],
        "recommendations": plan.recommendations if plan else "",
        "labels": labels,
        "groups": groups,
        "photo_pages": photo_pages if report.show_photos and layout["photos"] == "appendix" else [],
        "photos_beside": report.show_photos and layout["photos"] == "beside",
        "measure_count": len(measures),
    }
    saved = (
        [{"kind": x.kind, "title": x.title, "html": x.body, "anchor": x.anchor} for x in report.sections.all()]
        if report.pk
        else []
    )
    ctx["sections"], ctx["texts"] = section_sequence(kind, saved)
    table = None
    if report.show_score_table or report.show_score_chart:
        table = score_history(agency=agency, years=[measures_year.be_year - 1, measures_year.be_year])
        ctx["scores"] = _scores(table)
        for y in ctx["scores"]["years"]:
            y["header"] = fill(labels["score_col_year"], be_year=y["be_year"])
        if report.show_score_chart:
            ctx["chart"] = _scores(score_history(agency=agency))  # every year on record
    if kind == Kind.ANALYSIS:
        ctx["analysis"] = analysis_context(
            agency=agency,
            year=year,
            strength=report.strength_threshold,
            improve=report.improve_threshold,
            history=table,
        )
        _analysis_texts(ctx["analysis"], ctx["texts"])
    return ctx


def _analysis_texts(analysis: dict, texts: dict) -> None:
    """Each paragraph of the analysis: the agency's saved text, else (where one is printed) the generated one."""
    generated = generated_texts(analysis)
    for row in analysis.get("indicators", []):
        anchor = f"indicator:{row['number']}"
        row["text"] = texts.get(anchor, {}).get("html", "") or generated.get(anchor, "")
    if "urgent" not in texts and "urgent" in generated:
        texts["urgent"] = {"kind": "text", "title": "", "html": generated["urgent"], "anchor": "urgent"}
    for group in analysis.get("by_tool", []):
        group["text"] = texts.get(f"tool:{group['code']}", {}).get("html", "")


def _jsonable(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(type(value))


def context_json(context: dict) -> str:
    return json.dumps(context, ensure_ascii=False, sort_keys=True, default=_jsonable, indent=1)


def context_hash(context: dict) -> str:
    """What a rendered PDF depends on: the data, and the renderer's own version."""
    digest = hashlib.sha256(context_json(context).encode())
    digest.update(settings.REPORT_RENDERER_VERSION.encode())
    return digest.hexdigest()


def approval_hash(context: dict) -> str:
    """What an executive approves: the report's data, words, sections and layout as rendered
    (not the renderer's version, so that an upgrade does not void an approval)."""
    return hashlib.sha256(context_json(context).encode()).hexdigest()


def approval_outdated(*, report: Report) -> bool:
    """The report is approved, but its content is no longer what the executive approved: it
    cannot be published on that approval (the report page says so before anyone presses publish).
    Builds the report's context: only for an approved report."""
    if report.state != State.APPROVED or not report.pk:
        return False
    return approval_hash(report_context(report=report)) != report.approved_hash


def report_get_or_default(*, agency: Agency, year: FiscalYear, kind: str) -> Report:
    """The agency's saved layout for this report, or an unsaved default."""
    report = Report.objects.filter(agency=agency, year=year, kind=kind).select_related("agency", "year").first()
    if report:
        return report
    grouping = Grouping.TOOL_INDICATOR if kind == Kind.ANALYSIS else Grouping.ISSUE
    columns = ["focus", "steps", "responsible", "period", "monitoring"] if kind == Kind.ANALYSIS else DEFAULT_COLUMNS
    return Report(agency=agency, year=year, kind=kind, grouping=grouping, columns=columns)
