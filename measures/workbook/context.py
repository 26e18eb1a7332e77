"""What the workbook's sheets refer to, loaded once per import (and again after the sheet that adds
to it): the year's issues, tools and indicators, the agency's divisions, measures and activities;
and the widgets that read those references from cells."""

from __future__ import annotations

import re

from django.db.models import Prefetch
from import_export import widgets

from agencies.models import Agency, Division
from assessments.models import FiscalYear, Indicator, Issue, Tool
from sheets.cells import clean_int, clean_text, is_blank, leading_int
from sheets.resources import ThaiWidget

from ..models import Activity, Measure
from .columns import SHEET_ACTIVITIES, SHEET_DIVISIONS, SHEET_MEASURES


class WorkbookContext:
    def __init__(self, *, agency: Agency, year: FiscalYear, allow_reference_data: bool = False):
        self.agency, self.year = agency, year
        self.allow_reference_data = allow_reference_data
        self.issues = {i.number: i for i in Issue.objects.filter(year=year)}
        self.tools = {t.code.upper(): t for t in Tool.objects.filter(year=year)}
        self.indicators = {i.number: i for i in Indicator.objects.filter(year=year).select_related("tool")}
        self.failed_measures: dict[int, int] = {}  # measure ลำดับ → row of the measures sheet with errors
        self.failed_activities: dict[tuple[int, int], int] = {}
        self.notes: list[str] = []
        # A preview's new divisions, measures and activities (unsaved, in the order made): the
        # loads below add them where a real import's writes would have put them.
        self.unsaved: list = []
        self.load_divisions()
        self.load_measures()

    def load_divisions(self) -> None:
        self.divisions = {d.name.casefold(): d for d in Division.objects.for_agency(self.agency)}
        for d in self.unsaved:
            if isinstance(d, Division):
                self.divisions.setdefault(d.name.casefold(), d)

    def load_measures(self) -> None:
        measures = (
            Measure.objects.for_agency(self.agency)
            .for_year(self.year)
            .select_related("issue", "tool")
            .prefetch_related(
                "divisions",
                "indicators",
                Prefetch("activities", queryset=Activity.objects.order_by("order", "id").prefetch_related("divisions")),
            )
            .order_by("order", "id")
        )
        self.measures: dict[int, Measure] = {}
        self.activities: dict[tuple[int, int], Activity] = {}
        counts: dict[int, int] = {}  # measure ลำดับ → its activities
        for m in measures:
            self.measures.setdefault(m.order, m)
            for pos, a in enumerate(m.activities.all(), start=1):
                self.activities[(m.order, pos)] = a
                counts[m.order] = pos
        for m in self.unsaved:
            if isinstance(m, Measure):
                self.measures.setdefault(m.order, m)
        # A new activity's order follows its measure's last (ActivityResource), so it comes last.
        for a in self.unsaved:
            if isinstance(a, Activity):
                counts[a.measure.order] = counts.get(a.measure.order, 0) + 1
                self.activities[(a.measure.order, counts[a.measure.order])] = a

    def measure(self, value) -> Measure:
        order = clean_int(value)
        if order is None:
            raise ValueError("กรุณาระบุลำดับมาตรการ")
        m = self.measures.get(order)
        if m is None:
            if order in self.failed_measures:
                raise ValueError(
                    f"มาตรการลำดับ {order} มีข้อผิดพลาดในแผ่นงาน “{SHEET_MEASURES}” แถว {self.failed_measures[order]} "
                    "กรุณาแก้แถวนั้นก่อน"
                )
            raise ValueError(f"ไม่พบมาตรการลำดับ {order} (ทั้งในแผ่นงาน “{SHEET_MEASURES}” และในระบบ)")
        return m

    def activity(self, measure: Measure, value) -> Activity | None:
        position = clean_int(value)
        if position is None:
            return None
        a = self.activities.get((measure.order, position))
        if a is None:
            failed = self.failed_activities.get((measure.order, position))
            if failed:
                raise ValueError(
                    f"กิจกรรมที่ {position} ของมาตรการลำดับ {measure.order} มีข้อผิดพลาดในแผ่นงาน "
                    f"“{SHEET_ACTIVITIES}” แถว {failed} กรุณาแก้แถวนั้นก่อน"
                )
            raise ValueError(f"ไม่พบกิจกรรมที่ {position} ของมาตรการลำดับ {measure.order}")
        return a


def _split(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,;\n]|\s{2,}", text) if p.strip()]


class IssueWidget(ThaiWidget):
    def __init__(self, wctx: WorkbookContext):
        super().__init__()
        self.wctx = wctx

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        issue = self.wctx.issues.get(leading_int(value))
        if issue is None:
            numbers = sorted(self.wctx.issues)
            span = f"{numbers[0]}–{numbers[-1]}" if numbers else "ไม่มี"
            raise ValueError(f"ไม่พบประเด็น “{clean_text(value)}” ในปีงบประมาณ {self.wctx.year.be_year} (มีประเด็นที่ {span})")
        return issue

    def render(self, value, obj=None, **kwargs):
        return str(value) if value else None


class ToolWidget(ThaiWidget):
    def __init__(self, wctx: WorkbookContext, *, required: bool = False):
        super().__init__()
        self.wctx, self.required = wctx, required

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            if self.required:
                raise ValueError("กรุณาระบุแบบวัด (เช่น IIT, EIT, OIT)")
            return None
        tool = self.wctx.tools.get(clean_text(value).upper())
        if tool is None:
            raise ValueError(
                f"ไม่พบแบบวัด “{clean_text(value)}” ในปีงบประมาณ {self.wctx.year.be_year} "
                f"(มี: {', '.join(self.wctx.tools)})"
            )
        return tool

    def render(self, value, obj=None, **kwargs):
        return value.code if value else None


class IndicatorWidget(ThaiWidget):
    def __init__(self, wctx: WorkbookContext):
        super().__init__()
        self.wctx = wctx

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        return _indicator(self.wctx, value)

    def render(self, value, obj=None, **kwargs):
        return value.number if value else None


def _indicator(wctx: WorkbookContext, value) -> Indicator:
    indicator = wctx.indicators.get(leading_int(value))
    if indicator is None:
        numbers = sorted(wctx.indicators)
        span = f"{numbers[0]}–{numbers[-1]}" if numbers else "ไม่มี"
        raise ValueError(f"ไม่พบตัวชี้วัด “{clean_text(value)}” ในปีงบประมาณ {wctx.year.be_year} (มีตัวชี้วัดที่ {span})")
    return indicator


class IndicatorsWidget(widgets.ManyToManyWidget):
    """ตัวชี้วัด: numbers separated by commas ("1, 4"), or one drop-down choice ("4 การใช้…")."""

    def __init__(self, wctx: WorkbookContext):
        super().__init__(model=Indicator)
        self.wctx = wctx

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return []
        parts = [value] if isinstance(value, int | float) else _split(clean_text(value))
        found = []
        for part in parts:
            indicator = _indicator(self.wctx, part)
            if indicator not in found:
                found.append(indicator)
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return None
        numbers = sorted(i.number for i in value.all())
        return ", ".join(str(n) for n in numbers) or None


class DivisionsWidget(widgets.ManyToManyWidget):
    """ผู้รับผิดชอบ: division names separated by commas or new lines, as in the กอง-สำนัก sheet."""

    def __init__(self, wctx: WorkbookContext):
        super().__init__(model=Division)
        self.wctx = wctx

    def clean(self, value, row=None, **kwargs):
        text = clean_text(value)
        if not text:
            return []
        whole = self.wctx.divisions.get(" ".join(text.split()).casefold())
        if whole is not None:
            return [whole]
        found, unknown = [], []
        for part in _split(text):
            d = self.wctx.divisions.get(" ".join(part.split()).casefold())
            if d is None:
                unknown.append(part)
            elif d not in found:
                found.append(d)
        if unknown:
            known = ", ".join(d.name for d in self.wctx.divisions.values()) or "ยังไม่มี"
            raise ValueError(
                f"ไม่พบกอง/สำนัก “{'”, “'.join(unknown)}” กรุณาเพิ่มในแผ่นงาน “{SHEET_DIVISIONS}” หรือแก้ชื่อให้ตรง (มี: {known})"
            )
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return None
        return ", ".join(d.name for d in value.all()) or None
