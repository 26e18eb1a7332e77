"""Writes for fiscal years: a new year opened from the previous year's framework, and its edits.

Who may do this is decided by the view (`years_require_admin`); these functions write.
`framework_copy` takes the model classes as an argument so that the data migration that seeded
2569 and 2570 (assessments/migrations/0005) runs the very same copy with its historical models.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied
from django.db import transaction

from .models import FiscalYear, Indicator, Issue, Question, RatingBand, Tool
from .selectors_years import years_may_manage
from .signals import fiscal_year_opened


class ServiceError(Exception):
    """A refusal with a Thai message for the user; nothing was written."""


def _live_models() -> SimpleNamespace:
    return SimpleNamespace(
        FiscalYear=FiscalYear, Tool=Tool, Indicator=Indicator, Question=Question, RatingBand=RatingBand, Issue=Issue
    )


def _next_year_date(d: datetime.date | None) -> datetime.date | None:
    if d is None:
        return None
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 Feb
        return d.replace(year=d.year + 1, day=28)


def framework_copy(*, source, be_year: int, models=None):
    """Create FiscalYear `be_year` as a copy of `source`'s framework, unconfirmed.

    Tools, indicators, questions, rating bands and issues are copied; each copied tool,
    indicator and question names its source as `predecessor`. Due dates move one year on.
    `models`: the model classes (a migration's historical ones); the live ones by default.
    """
    m = models or _live_models()
    year = m.FiscalYear.objects.create(
        be_year=be_year,
        six_month_due=_next_year_date(source.six_month_due),
        annual_due=_next_year_date(source.annual_due),
        is_current=False,
        target_score=source.target_score,
        confirmed=False,
        copied_from_id=source.pk,
    )
    tools = {}
    for t in m.Tool.objects.filter(year_id=source.pk).order_by("order", "id"):
        tools[t.pk] = m.Tool.objects.create(
            year=year, code=t.code, name=t.name, weight=t.weight, order=t.order, predecessor_id=t.pk
        )
    indicators = {}
    for i in m.Indicator.objects.filter(year_id=source.pk).order_by("number"):
        indicators[i.pk] = m.Indicator.objects.create(
            year=year, tool=tools[i.tool_id], number=i.number, name=i.name, predecessor_id=i.pk
        )
    for q in m.Question.objects.filter(year_id=source.pk).order_by("id"):
        m.Question.objects.create(
            year=year,
            tool=tools[q.tool_id],
            indicator=indicators.get(q.indicator_id),
            code=q.code,
            text=q.text,
            predecessor_id=q.pk,
        )
    for b in m.RatingBand.objects.filter(year_id=source.pk).order_by("order"):
        m.RatingBand.objects.create(
            year=year,
            label=b.label,
            min_overall=b.min_overall,
            min_each_tool=b.min_each_tool,
            order=b.order,
            confirmed=b.confirmed,
        )
    for s in m.Issue.objects.filter(year_id=source.pk).order_by("number"):
        m.Issue.objects.create(year=year, number=s.number, title=s.title)
    return year


def years_require_admin(user) -> None:
    if not years_may_manage(user=user):
        raise PermissionDenied("เฉพาะผู้ดูแลระบบหรือผู้กำกับดูแลระดับประเทศเท่านั้นที่เปิดและแก้ไขปีงบประมาณได้")


@transaction.atomic
def fiscal_year_open(*, source: FiscalYear) -> FiscalYear:
    """Open the year after `source` from its framework (unconfirmed until someone confirms it);
    the apps above carry over their own per-year data through `signals.fiscal_year_opened`."""
    be_year = source.be_year + 1
    if FiscalYear.objects.filter(be_year=be_year).exists():
        raise ServiceError(f"ปีงบประมาณ {be_year} มีอยู่แล้ว")
    year = framework_copy(source=source, be_year=be_year)
    # The apps above carry their per-year lists over too (oit: the OIT items), in this transaction.
    fiscal_year_opened.send(sender=FiscalYear, year=year, source=source)
    return year


@dataclass
class QuestionRow:
    pk: int | None
    code: str
    text: str
    indicator: Indicator | None
    delete: bool = False


@transaction.atomic
def fiscal_year_framework_save(
    *,
    year: FiscalYear,
    target_score: Decimal,
    six_month_due: datetime.date | None,
    annual_due: datetime.date | None,
    confirmed: bool,
    tools: dict[int, tuple[str, Decimal | None]],
    indicators: dict[int, tuple[str, int]],
    questions: list[QuestionRow],
) -> FiscalYear:
    """Save a year's framework: dates, target, tools (name, weight), indicators (name, tool id),
    questions (code, text, indicator; added, changed or deleted); refused once confirmed."""
    year = FiscalYear.objects.select_for_update().get(pk=year.pk)
    if year.confirmed:
        raise ServiceError(f"กรอบการประเมินปี {year.be_year} ยืนยันแล้ว จึงแก้ไขไม่ได้")
    weights = [w for _, w in tools.values() if w is not None]
    if weights and len(weights) == len(tools) and sum(weights) != Decimal("100"):
        raise ServiceError(f"น้ำหนักของแบบวัดรวมกันต้องเท่ากับร้อยละ 100 (ตอนนี้ {sum(weights)})")
    year_tools = {t.pk: t for t in Tool.objects.filter(year=year)}
    for pk, (name, weight) in tools.items():
        tool = year_tools.get(pk)
        if tool is None:
            raise ServiceError("แบบวัดไม่ได้อยู่ในปีงบประมาณนี้")
        if (tool.name, tool.weight) != (name, weight):
            tool.name, tool.weight = name, weight
            tool.save(update_fields=["name", "weight"])
    year_indicators = {i.pk: i for i in Indicator.objects.filter(year=year)}
    for pk, (name, tool_id) in indicators.items():
        indicator = year_indicators.get(pk)
        if indicator is None or tool_id not in year_tools:
            raise ServiceError("ตัวชี้วัดหรือแบบวัดไม่ได้อยู่ในปีงบประมาณนี้")
        if (indicator.name, indicator.tool_id) != (name, tool_id):
            indicator.name, indicator.tool_id = name, tool_id
            indicator.save(update_fields=["name", "tool"])
    year_questions = {q.pk: q for q in Question.objects.filter(year=year)}
    codes = {q.code: q.pk for q in year_questions.values()}
    for row in questions:
        if row.indicator is not None and row.indicator.pk not in year_indicators:
            raise ServiceError("ตัวชี้วัดของข้อคำถามไม่ได้อยู่ในปีงบประมาณนี้")
        existing = year_questions.get(row.pk) if row.pk else None
        if row.pk and existing is None:
            raise ServiceError("ข้อคำถามไม่ได้อยู่ในปีงบประมาณนี้")
        if row.delete:
            if existing is not None:
                codes.pop(existing.code, None)
                existing.delete()
            continue
        if not row.code:
            continue
        if codes.get(row.code, row.pk) != row.pk:
            raise ServiceError(f"รหัสข้อคำถาม {row.code} ซ้ำกับข้ออื่นในปีนี้")
        indicator = year_indicators[row.indicator.pk] if row.indicator else None
        tool_id = indicator.tool_id if indicator else (existing.tool_id if existing else None)
        if tool_id is None:
            raise ServiceError(f"กรุณาเลือกตัวชี้วัดของข้อคำถาม {row.code}")
        if existing is None:
            created = Question.objects.create(
                year=year, tool_id=tool_id, indicator=indicator, code=row.code, text=row.text
            )
            codes[row.code] = created.pk
        elif (existing.code, existing.text, existing.indicator_id) != (
            row.code,
            row.text,
            row.indicator and row.indicator.pk,
        ):
            codes.pop(existing.code, None)
            existing.code, existing.text, existing.indicator, existing.tool_id = row.code, row.text, indicator, tool_id
            existing.save()
            codes[row.code] = existing.pk
    year.target_score = target_score
    year.six_month_due = six_month_due
    year.annual_due = annual_due
    year.confirmed = confirmed
    year.save()
    return year
