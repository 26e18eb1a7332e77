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
deleted, except a score whose cell is emptied). All sheets are imported by django-import-export
Resources in ONE transaction, in the order above, so that a sheet can refer to rows that an
earlier sheet of the same file creates; the transaction is rolled back on a dry run or when any
row of any sheet has a problem (see assessments.score_sheet for the shared machinery).
"""

from __future__ import annotations

import io
import re
import time

import openpyxl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from import_export import fields, widgets
from import_export.resources import Diff
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from agencies.models import Agency, AgencyKind, Division
from assessments.models import AssessmentResult, FiscalYear, Indicator, Issue, Question, RatingBand, Tool
from assessments.score_sheet import (
    COL_AGENCY,
    COL_CODE,
    COL_KIND,
    COL_LEVEL,
    COL_NAME,
    COL_REMEDY,
    COL_SCORE,
    COL_YEAR,
    ERROR,
    INDICATOR,
    INSTRUCTIONS_SHEET,
    KIND_LABELS,
    NEW,
    OVERALL,
    QUESTION,
    REFERENCE_SHEET,
    TOOL,
    UNCHANGED,
    BEDateWidget,
    Book,
    ChoiceWidget,
    Column,
    DecimalWidget,
    FileRefused,
    IntWidget,
    Preview,
    PreviewRow,
    Problem,
    ScoreContext,
    SheetResource,
    Table,
    TextWidget,
    ThaiWidget,
    add_table_problems,
    clean_be_year,
    clean_int,
    clean_text,
    finish,
    import_score_rows,
    is_blank,
    leading_int,
    match_columns,
    run_resource,
)

from .models import Activity, Measure, Progress, Round, Status, UnableReason

SHEET_INFO = "หน่วยงาน"
SHEET_DIVISIONS = "กอง-สำนัก"
SHEET_MEASURES = "มาตรการ"
SHEET_ACTIVITIES = "กิจกรรม"
SHEET_PROGRESS = "ผลการดำเนินการ"
SHEET_QUESTIONS = "ข้อคำถาม"
SHEET_SCORES = "คะแนน"
DATA_SHEETS = [
    SHEET_INFO,
    SHEET_DIVISIONS,
    SHEET_MEASURES,
    SHEET_ACTIVITIES,
    SHEET_PROGRESS,
    SHEET_QUESTIONS,
    SHEET_SCORES,
]

# Headers (Thai, as people read them)
H_KIND = "ประเภทหน่วยงาน"
H_AGENCY_NAME = "ชื่อหน่วยงาน"
H_DISTRICT = "อำเภอ"
H_PROVINCE = "จังหวัด"
H_ORDER = "ลำดับ"
H_DIVISION = "ชื่อกอง/สำนัก"
H_NUMBER = "เลขที่"
H_ISSUE = "ประเด็น"
H_TOOL = "แบบวัด"
H_INDICATORS = "ตัวชี้วัด"
H_FOCUS = "ประเด็นที่ต้องพัฒนา"
H_TITLE = "มาตรการ/กิจกรรม"
H_STEPS = "ขั้นตอนหรือวิธีการปฏิบัติ"
H_PERIOD = "ช่วงระยะเวลา"
H_DIVISIONS = "ผู้รับผิดชอบ (กอง/สำนัก)"
H_RESPONSIBLE_NOTE = "ผู้รับผิดชอบ (อื่นๆ)"
H_MONITORING = "แนวทางกำกับติดตาม/การรายงานผล"
H_BUDGET = "งบประมาณ (บาท)"
H_MEASURE = "ลำดับมาตรการ"
H_ACTIVITY = "ลำดับกิจกรรม"
H_ACTIVITY_TITLE = "กิจกรรม"
H_ITEM = "รายการ (แสดงเพื่ออ้างอิง)"
H_ROUND = "รอบการรายงาน"
H_STATUS = "สถานะ"
H_UNABLE_REASON = "เหตุที่ดำเนินการไม่ได้"
H_UNABLE_NOTE = "รายละเอียดเหตุผล"
H_OUTPUT = "ผลการดำเนินการ (output)"
H_OUTCOME = "ผลลัพธ์ (outcome)"
H_COMPLETED = "วันที่แล้วเสร็จ (วว/ดด/ปปปป พ.ศ.)"
H_SPENT = "งบประมาณที่ใช้ (บาท)"
H_QUESTION_CODE = "รหัสข้อ"
H_QUESTION_TEXT = "ข้อคำถาม"

MAX_BUDGET = 10**12 - 1

STATUS_ALIASES = {
    "ดำเนินการแล้ว": Status.DONE,
    "เสร็จ": Status.DONE,
    "แล้วเสร็จ": Status.DONE,
    "กำลังดำเนินการ": Status.IN_PROGRESS,
    "ไม่สามารถดำเนินการ": Status.UNABLE,
}
ROUND_ALIASES = {"6 เดือน": Round.SIX_MONTH, "12 เดือน": Round.ANNUAL, "ประจำปี": Round.ANNUAL, "รอบประจำปี": Round.ANNUAL}
KIND_ALIASES = {
    short: kind for kind, short in (("SAO", "อบต."), ("TM", "ทต."), ("MM", "ทม."), ("NM", "ทน."), ("PAO", "อบจ."))
}


class WorkbookError(Exception):
    """A workbook cannot be made (unknown agency or year); the message is Thai."""


# ---------------------------------------------------------------------------------------------
# What the sheets refer to, loaded once per import (and again after the sheet that adds to it)


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
        self.load_divisions()
        self.load_measures()

    def load_divisions(self) -> None:
        self.divisions = {d.name.casefold(): d for d in Division.objects.for_agency(self.agency)}

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
        for m in measures:
            self.measures.setdefault(m.order, m)
            for pos, a in enumerate(m.activities.all(), start=1):
                self.activities[(m.order, pos)] = a

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


class ChangeDiff(Diff):
    """The columns a row changes, as "column: before → after" (import-export's Diff, not as HTML)."""

    def as_html(self):
        if self.new:
            return []
        out = []
        for f, before, after in zip(self.resource_fields, self.left, self.right):
            if f.attribute and before != after:
                out.append(f"{f.column_name}: {_short(before)} → {_short(after)}")
        return out

    def __init__(self, resource, instance, new):
        super().__init__(resource, instance, new)
        self.resource_fields = resource.get_import_fields()


def _short(value) -> str:
    if value is None or value == "":
        return "(ว่าง)"
    text = " ".join(str(value).split())
    return text if len(text) <= 40 else text[:39] + "…"


# ---------------------------------------------------------------------------------------------
# Resources, one per sheet


class _WorkbookResource(SheetResource):
    sheet = ""

    class Meta(SheetResource.Meta):
        skip_diff = False

    def __init__(self, *, wctx: WorkbookContext, **kwargs):
        self.wctx = wctx
        super().__init__(**kwargs)

    @classmethod
    def get_diff_class(cls):
        return ChangeDiff

    def after_import_row(self, row, row_result, **kwargs):
        try:
            row_result.key_label = self.row_label(row)
        except (ValueError, KeyError, AttributeError):
            row_result.key_label = ""
        if isinstance(row_result.diff, list):
            row_result.changes = tuple(row_result.diff)
            row_result.diff = None

    def before_import_row(self, row, **kwargs):
        """A row whose key cannot be resolved is refused before its cells are read: read them here
        anyway, so that the person fixing the file sees every problem of the row at once."""
        try:
            self.natural_key(row)
        except ValidationError as e:
            errors = e.update_error_dict({})
            for name, field in self.fields.items():
                if not field.attribute or field.column_name not in row or field.column_name in errors:
                    continue
                try:
                    field.clean(row)
                except ValueError as value_error:
                    errors[name] = [ValidationError(str(value_error))]
            raise ValidationError(errors) from None

    def import_instance(self, instance, row, **kwargs):
        """import-export cleans many-to-many cells only when saving them; clean them here too so
        that an unknown name is a validation error of its column, like any other cell."""
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as e:
                    errors[field.attribute] = [ValidationError(str(e))]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        self.check(instance, errors)
        if errors:
            raise ValidationError(errors)

    def check(self, instance, errors: dict) -> None:
        """Rules across fields; add {field: message} to errors."""

    def key_error(self, errors: dict):
        return ValidationError(errors)


class DivisionResource(_WorkbookResource):
    sheet = SHEET_DIVISIONS
    order = fields.Field(attribute="order", column_name=H_ORDER, widget=IntWidget(), saves_null_values=False)
    name = fields.Field(attribute="name", column_name=H_DIVISION, widget=TextWidget(200))

    class Meta(_WorkbookResource.Meta):
        model = Division
        fields = ("order", "name")
        export_order = fields
        import_id_fields = ("name",)

    def existing_by_key(self):
        return dict(self.wctx.divisions)

    def natural_key(self, row):
        name = " ".join(clean_text(row.get(H_DIVISION)).split())
        if not name:
            raise self.key_error({H_DIVISION: "กรุณากรอกชื่อกอง/สำนัก"})
        return name.casefold()

    def row_label(self, row):
        return clean_text(row.get(H_DIVISION))

    def init_instance(self, row=None):
        return Division(agency=self.wctx.agency)

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        instance.name = " ".join(instance.name.split())
        if instance.pk is None and not instance.order:
            if not hasattr(self, "_next_order"):
                self._next_order = max((d.order for d in self.wctx.divisions.values()), default=0) + 1
            instance.order = self._next_order
            self._next_order += 1


class MeasureResource(_WorkbookResource):
    sheet = SHEET_MEASURES
    order = fields.Field(attribute="order", column_name=H_ORDER, widget=IntWidget())
    number = fields.Field(attribute="number", column_name=H_NUMBER, widget=TextWidget(20))
    issue = fields.Field(attribute="issue", column_name=H_ISSUE)
    tool = fields.Field(attribute="tool", column_name=H_TOOL)
    indicators = fields.Field(attribute="indicators", column_name=H_INDICATORS)
    focus = fields.Field(attribute="focus", column_name=H_FOCUS, widget=TextWidget())
    title = fields.Field(attribute="title", column_name=H_TITLE, widget=TextWidget())
    steps = fields.Field(attribute="steps", column_name=H_STEPS, widget=TextWidget())
    period = fields.Field(attribute="period", column_name=H_PERIOD, widget=TextWidget(200))
    divisions = fields.Field(attribute="divisions", column_name=H_DIVISIONS)
    responsible_note = fields.Field(
        attribute="responsible_note", column_name=H_RESPONSIBLE_NOTE, widget=TextWidget(300)
    )
    monitoring = fields.Field(attribute="monitoring", column_name=H_MONITORING, widget=TextWidget())
    budget = fields.Field(attribute="budget", column_name=H_BUDGET, widget=DecimalWidget(maximum=MAX_BUDGET))

    class Meta(_WorkbookResource.Meta):
        model = Measure
        fields = (
            "order",
            "number",
            "issue",
            "tool",
            "indicators",
            "focus",
            "title",
            "steps",
            "period",
            "divisions",
            "responsible_note",
            "monitoring",
            "budget",
        )
        export_order = fields
        import_id_fields = ("order",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["issue"].widget = IssueWidget(self.wctx)
        self.fields["tool"].widget = ToolWidget(self.wctx)
        self.fields["indicators"].widget = IndicatorsWidget(self.wctx)
        self.fields["divisions"].widget = DivisionsWidget(self.wctx)

    def existing_by_key(self):
        return dict(self.wctx.measures)

    def natural_key(self, row):
        try:
            order = clean_int(row.get(H_ORDER))
        except ValueError as e:
            raise self.key_error({H_ORDER: str(e)}) from None
        if order is None:
            raise self.key_error({H_ORDER: "กรุณาระบุลำดับของมาตรการ (1, 2, 3, …)"})
        return order

    def row_label(self, row):
        return f"มาตรการลำดับ {clean_int(row.get(H_ORDER))}: {_short(clean_text(row.get(H_TITLE)))}"

    def init_instance(self, row=None):
        return Measure(agency=self.wctx.agency, year=self.wctx.year)

    def check(self, instance, errors):
        if not instance.title and not instance.focus:
            errors.setdefault("title", "กรุณากรอกชื่อมาตรการ/กิจกรรม (หรืออย่างน้อยประเด็นที่ต้องพัฒนา)")


class ActivityResource(_WorkbookResource):
    sheet = SHEET_ACTIVITIES
    measure_order = fields.Field(column_name=H_MEASURE)
    order = fields.Field(attribute="order", column_name=H_ACTIVITY, widget=IntWidget())
    title = fields.Field(attribute="title", column_name=H_ACTIVITY_TITLE, widget=TextWidget())
    steps = fields.Field(attribute="steps", column_name=H_STEPS, widget=TextWidget())
    period = fields.Field(attribute="period", column_name=H_PERIOD, widget=TextWidget(200))
    divisions = fields.Field(attribute="divisions", column_name=H_DIVISIONS)

    class Meta(_WorkbookResource.Meta):
        model = Activity
        fields = ("measure_order", "order", "title", "steps", "period", "divisions")
        export_order = fields
        import_id_fields = ("measure_order", "order")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["divisions"].widget = DivisionsWidget(self.wctx)

    def existing_by_key(self):
        return dict(self.wctx.activities)

    def natural_key(self, row):
        errors = {}
        measure = position = None
        try:
            measure = self.wctx.measure(row.get(H_MEASURE))
        except ValueError as e:
            errors[H_MEASURE] = str(e)
        try:
            position = clean_int(row.get(H_ACTIVITY))
            if position is None:
                errors[H_ACTIVITY] = "กรุณาระบุลำดับกิจกรรมในมาตรการ (1, 2, 3, …)"
        except ValueError as e:
            errors[H_ACTIVITY] = str(e)
        if errors:
            raise self.key_error(errors)
        row["__measure"] = measure
        return (measure.order, position)

    def row_label(self, row):
        return f"มาตรการ {clean_int(row.get(H_MEASURE))} กิจกรรม {clean_int(row.get(H_ACTIVITY))}"

    def init_instance(self, row=None):
        return Activity(measure=row["__measure"])

    def dehydrate_measure_order(self, activity):
        return activity.measure.order

    def dehydrate_order(self, activity):
        return getattr(activity, "position", activity.order)

    def check(self, instance, errors):
        if not instance.title:
            errors.setdefault("title", "กรุณากรอกชื่อกิจกรรม")


STATUS_WIDGET_ARGS = {"aliases": STATUS_ALIASES, "blank": ""}


class ProgressResource(_WorkbookResource):
    sheet = SHEET_PROGRESS
    measure_order = fields.Field(column_name=H_MEASURE)
    activity_order = fields.Field(column_name=H_ACTIVITY)
    item = fields.Field(column_name=H_ITEM)
    round = fields.Field(
        attribute="round", column_name=H_ROUND, widget=ChoiceWidget(Round.choices, aliases=ROUND_ALIASES, blank=None)
    )
    status = fields.Field(
        attribute="status", column_name=H_STATUS, widget=ChoiceWidget(Status.choices, **STATUS_WIDGET_ARGS)
    )
    unable_reason = fields.Field(
        attribute="unable_reason", column_name=H_UNABLE_REASON, widget=ChoiceWidget(UnableReason.choices)
    )
    unable_note = fields.Field(attribute="unable_note", column_name=H_UNABLE_NOTE, widget=TextWidget(500))
    output = fields.Field(attribute="output", column_name=H_OUTPUT, widget=TextWidget())
    outcome = fields.Field(attribute="outcome", column_name=H_OUTCOME, widget=TextWidget())
    completed_on = fields.Field(attribute="completed_on", column_name=H_COMPLETED, widget=BEDateWidget())
    budget_spent = fields.Field(attribute="budget_spent", column_name=H_SPENT, widget=DecimalWidget(maximum=MAX_BUDGET))

    VALUE_FIELDS = ("status", "unable_reason", "unable_note", "output", "outcome", "completed_on", "budget_spent")

    class Meta(_WorkbookResource.Meta):
        model = Progress
        fields = (
            "measure_order",
            "activity_order",
            "item",
            "round",
            "status",
            "unable_reason",
            "unable_note",
            "output",
            "outcome",
            "completed_on",
            "budget_spent",
        )
        export_order = fields
        import_id_fields = ("measure_order", "activity_order", "round")

    def existing_by_key(self):
        positions = {a.id: key[1] for key, a in self.wctx.activities.items()}
        out = {}
        progress = Progress.objects.filter(measure__in=list(self.wctx.measures.values()))
        orders = {m.id: m.order for m in self.wctx.measures.values()}
        for p in progress:
            out[(orders[p.measure_id], positions.get(p.activity_id) if p.activity_id else None, p.round)] = p
        return out

    def natural_key(self, row):
        errors = {}
        measure = activity = rnd = None
        try:
            measure = self.wctx.measure(row.get(H_MEASURE))
        except ValueError as e:
            errors[H_MEASURE] = str(e)
        if measure is not None:
            try:
                activity = self.wctx.activity(measure, row.get(H_ACTIVITY))
            except ValueError as e:
                errors[H_ACTIVITY] = str(e)
        try:
            rnd = self.fields["round"].clean(row)
        except ValueError as e:
            errors[H_ROUND] = str(e)
        if errors:
            raise self.key_error(errors)
        row["__item"] = (measure, activity)
        return (measure.order, clean_int(row.get(H_ACTIVITY)) if activity else None, rnd)

    def row_label(self, row):
        activity = clean_int(row.get(H_ACTIVITY))
        rnd = clean_text(row.get(H_ROUND))
        return f"มาตรการ {clean_int(row.get(H_MEASURE))}{f' กิจกรรม {activity}' if activity else ''} · {rnd}"

    def init_instance(self, row=None):
        measure, activity = row["__item"]
        return Progress(measure=measure, activity=activity)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if not import_validation_errors and instance.pk is None:
            if all(getattr(instance, f) in (None, "") for f in self.VALUE_FIELDS):
                return True  # an empty line left for a round not reported yet
        return super().skip_row(instance, original, row, import_validation_errors)

    def check(self, instance, errors):
        if instance.status == Status.UNABLE and not instance.unable_reason:
            errors.setdefault("unable_reason", "สถานะ “ไม่สามารถดำเนินการได้” ต้องระบุเหตุที่ดำเนินการไม่ได้")
        if instance.status != Status.UNABLE and (instance.unable_reason or instance.unable_note):
            column = "unable_reason" if instance.unable_reason else "unable_note"
            errors.setdefault(column, "ระบุเหตุที่ดำเนินการไม่ได้เฉพาะเมื่อสถานะเป็น “ไม่สามารถดำเนินการได้”")

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        if instance.pk:
            instance.version += 1  # forms opened before the import see a conflict, not a silent overwrite
        instance.updated_by = self.user

    def dehydrate_measure_order(self, p):
        return p.measure.order

    def dehydrate_activity_order(self, p):
        return getattr(p, "activity_position", None)

    def dehydrate_item(self, p):
        return (p.activity.title if p.activity_id or p.activity else p.measure.title or p.measure.focus) or None


class QuestionResource(_WorkbookResource):
    """The year's question catalogue. Existing questions are never changed from an agency's file;
    missing ones are created only where allowed (the command line, run by an administrator)."""

    sheet = SHEET_QUESTIONS
    code = fields.Field(attribute="code", column_name=H_QUESTION_CODE, widget=TextWidget(10))
    tool = fields.Field(attribute="tool", column_name=H_TOOL)
    indicator = fields.Field(attribute="indicator", column_name=H_INDICATORS)
    text = fields.Field(attribute="text", column_name=H_QUESTION_TEXT, widget=TextWidget())

    class Meta(_WorkbookResource.Meta):
        model = Question
        fields = ("code", "tool", "indicator", "text")
        export_order = fields
        import_id_fields = ("code",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["tool"].widget = ToolWidget(self.wctx, required=True)
        self.fields["indicator"].widget = IndicatorWidget(self.wctx)

    def existing_by_key(self):
        return {q.code.upper(): q for q in Question.objects.filter(year=self.wctx.year).select_related("tool")}

    def natural_key(self, row):
        code = clean_text(row.get(H_QUESTION_CODE)).upper().replace(" ", "")
        if not code:
            raise self.key_error({H_QUESTION_CODE: "กรุณาระบุรหัสข้อ (เช่น I1, E7, O10)"})
        return code

    def row_label(self, row):
        return f"ข้อ {clean_text(row.get(H_QUESTION_CODE)).upper()}"

    def init_instance(self, row=None):
        if not self.wctx.allow_reference_data:
            raise ValidationError(
                {
                    H_QUESTION_CODE: f"ไม่มีข้อคำถาม “{self.natural_key(row)}” ในปีงบประมาณ {self.wctx.year.be_year} "
                    "ข้อคำถามเป็นข้อมูลกลางที่ผู้ดูแลระบบเพิ่ม กรุณาลบแถวนี้ หรือแจ้งผู้ดูแลระบบ"
                }
            )
        return Question(year=self.wctx.year)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if instance.pk is not None and not import_validation_errors:
            if (instance.tool_id, instance.indicator_id, instance.text) != (
                original.tool_id,
                original.indicator_id,
                original.text,
            ):
                self.wctx.notes.append(
                    f"ข้อคำถาม {original.code}: ข้อมูลในไฟล์ต่างจากในระบบ ระบบคงข้อมูลเดิมไว้ "
                    "(ข้อคำถามเป็นข้อมูลกลาง แก้ได้ที่หน้าผู้ดูแลระบบ)"
                )
            return True
        return super().skip_row(instance, original, row, import_validation_errors)

    def check(self, instance, errors):
        if not instance.text:
            errors.setdefault("text", "กรุณากรอกข้อคำถาม")
        if (
            instance.indicator is not None
            and instance.tool is not None
            and instance.indicator.tool_id != instance.tool.id
        ):
            errors.setdefault("indicator", f"ตัวชี้วัดที่ {instance.indicator.number} ไม่ได้อยู่ในแบบวัด {instance.tool.code}")


# ---------------------------------------------------------------------------------------------
# Column specs (headers the import accepts) and how each column is written

INFO_COLUMNS = [
    Column(COL_AGENCY, required=True),
    Column(H_KIND, aliases=("ประเภท",)),
    Column(H_AGENCY_NAME),
    Column(H_DISTRICT),
    Column(H_PROVINCE),
    Column(COL_YEAR, required=True, aliases=("ปีงบประมาณ",)),
]


def _columns(resource_class, *, required: tuple[str, ...], info: tuple[str, ...] = ()) -> list[Column]:
    headers = [f.column_name for name, f in resource_class.fields.items() if name in resource_class._meta.fields]
    return [Column(h, required=h in required, info=h in info) for h in headers]


SHEET_COLUMNS = {
    SHEET_INFO: INFO_COLUMNS,
    SHEET_DIVISIONS: _columns(DivisionResource, required=(H_DIVISION,)),
    SHEET_MEASURES: _columns(MeasureResource, required=(H_ORDER, H_TITLE)),
    SHEET_ACTIVITIES: _columns(ActivityResource, required=(H_MEASURE, H_ACTIVITY, H_ACTIVITY_TITLE)),
    SHEET_PROGRESS: _columns(ProgressResource, required=(H_MEASURE, H_ACTIVITY, H_ROUND), info=(H_ITEM,)),
    SHEET_QUESTIONS: _columns(QuestionResource, required=(H_QUESTION_CODE,)),
    SHEET_SCORES: [
        Column(COL_KIND, required=True, aliases=("ประเภท",)),
        Column(COL_CODE),
        Column(COL_NAME, info=True),
        Column(COL_SCORE, required=True),
        Column(COL_LEVEL, aliases=("ระดับ",)),
        Column(COL_REMEDY),
    ],
}
SCORE_HEADERS = [c.header for c in SHEET_COLUMNS[SHEET_SCORES]]

TEXT, NUMBER, SCORE, MONEY, DATE = "@", "0", "0.00", "#,##0.00", "@"
# header → (width, number format, wrap)
LAYOUT = {
    COL_AGENCY: (22, TEXT, False),
    H_KIND: (26, TEXT, False),
    H_AGENCY_NAME: (40, TEXT, False),
    H_DISTRICT: (18, TEXT, False),
    H_PROVINCE: (18, TEXT, False),
    COL_YEAR: (12, NUMBER, False),
    H_ORDER: (8, NUMBER, False),
    H_DIVISION: (40, TEXT, False),
    H_NUMBER: (8, TEXT, False),
    H_ISSUE: (30, TEXT, True),
    H_TOOL: (9, TEXT, False),
    H_INDICATORS: (12, TEXT, False),
    H_FOCUS: (30, TEXT, True),
    H_TITLE: (45, TEXT, True),
    H_STEPS: (45, TEXT, True),
    H_PERIOD: (18, TEXT, True),
    H_DIVISIONS: (28, TEXT, True),
    H_RESPONSIBLE_NOTE: (20, TEXT, True),
    H_MONITORING: (30, TEXT, True),
    H_BUDGET: (14, MONEY, False),
    H_MEASURE: (10, NUMBER, False),
    H_ACTIVITY: (10, NUMBER, False),
    H_ACTIVITY_TITLE: (45, TEXT, True),
    H_ITEM: (40, TEXT, True),
    H_ROUND: (14, TEXT, False),
    H_STATUS: (22, TEXT, False),
    H_UNABLE_REASON: (24, TEXT, False),
    H_UNABLE_NOTE: (24, TEXT, True),
    H_OUTPUT: (45, TEXT, True),
    H_OUTCOME: (40, TEXT, True),
    H_COMPLETED: (16, DATE, False),
    H_SPENT: (14, MONEY, False),
    H_QUESTION_CODE: (9, TEXT, False),
    H_QUESTION_TEXT: (60, TEXT, True),
    COL_KIND: (12, TEXT, False),
    COL_CODE: (8, TEXT, False),
    COL_NAME: (50, TEXT, True),
    COL_SCORE: (9, SCORE, False),
    COL_LEVEL: (16, TEXT, False),
    COL_REMEDY: (45, TEXT, True),
}

# drop-down list (name in the reference sheet) per sheet and header; multi-valued columns warn only
DROPDOWNS = {
    (SHEET_INFO, H_KIND): ("ประเภทหน่วยงาน", True),
    (SHEET_MEASURES, H_ISSUE): ("ประเด็น", True),
    (SHEET_MEASURES, H_TOOL): ("แบบวัด", True),
    (SHEET_MEASURES, H_INDICATORS): ("ตัวชี้วัด", False),
    (SHEET_MEASURES, H_DIVISIONS): ("กอง/สำนัก", False),
    (SHEET_ACTIVITIES, H_DIVISIONS): ("กอง/สำนัก", False),
    (SHEET_PROGRESS, H_ROUND): ("รอบการรายงาน", True),
    (SHEET_PROGRESS, H_STATUS): ("สถานะ", True),
    (SHEET_PROGRESS, H_UNABLE_REASON): ("เหตุที่ดำเนินการไม่ได้", True),
    (SHEET_QUESTIONS, H_TOOL): ("แบบวัด", True),
    (SHEET_QUESTIONS, H_INDICATORS): ("ตัวชี้วัด", True),
    (SHEET_SCORES, COL_KIND): ("ประเภทคะแนน", True),
    (SHEET_SCORES, COL_LEVEL): ("ระดับ", True),
}
TEMPLATE_EMPTY_ROWS = 200


# ---------------------------------------------------------------------------------------------
# Import


def workbook_import(
    *,
    agency: Agency | None,
    year: FiscalYear | int | None,
    file,
    dry_run: bool,
    user=None,
    filename: str = "",
    expected_digest: str | None = None,
    allow_reference_data: bool = False,
) -> Preview:
    """Import an agency workbook; the preview says what each row does (or did).

    agency / year: the agency and fiscal year the file must be for (None: as the file says).
    allow_reference_data: create the agency and questions the file has and the database lacks
    (the command line, for an administrator; never from the web).
    Everything happens in ONE transaction, kept only when dry_run is False and no row of any
    sheet has a problem (and, with expected_digest, when the result is the one previewed).
    """
    started = time.monotonic()
    preview = Preview(title="นำเข้าสมุดงานของหน่วยงาน", filename=filename, sheets=list(DATA_SHEETS), dry_run=dry_run)
    tables: dict[str, Table] = {}
    try:
        with Book(file, accept_csv=False, name=filename) as book:
            preview.filename = preview.filename or book.name
            names = book.sheet_names
            for sheet in DATA_SHEETS:
                if sheet in names:
                    tables[sheet] = book.read(sheet)
                else:
                    preview.add_problem(
                        Problem(
                            f"ไม่พบแผ่นงาน “{sheet}” (ไฟล์มีแผ่นงาน: {', '.join(names)}) กรุณาใช้แม่แบบจากระบบ "
                            "และอย่าเปลี่ยนชื่อหรือลบแผ่นงาน",
                            sheet=sheet,
                        )
                    )
            for name in names:
                if name not in DATA_SHEETS and name not in (INSTRUCTIONS_SHEET, REFERENCE_SHEET):
                    preview.notes.append(f"แผ่นงาน “{name}” ไม่ได้อยู่ในแม่แบบ ระบบไม่ได้อ่าน")
    except FileRefused as exc:
        preview.add_problem(Problem(str(exc)))
        preview.seconds = time.monotonic() - started
        return preview

    structural = False
    for sheet, table in tables.items():
        for p in match_columns(table, SHEET_COLUMNS[sheet]):
            preview.add_problem(p)
            structural = structural or p.message.startswith("ไม่พบคอลัมน์")
        structural = structural or not table.headers
    if preview.file_problems and (structural or len(tables) < len(DATA_SHEETS)):
        for table in tables.values():
            add_table_problems(table, preview)
        preview.seconds = time.monotonic() - started
        return preview

    reason = f"นำเข้าสมุดงาน {preview.filename}"[:100]
    with transaction.atomic():
        target = _import_info(tables[SHEET_INFO], preview, agency=agency, year=year, allow_create=allow_reference_data)
        if target is None:
            for sheet in DATA_SHEETS[1:]:
                add_table_problems(tables[sheet], preview)
            transaction.set_rollback(True)
            preview.seconds = time.monotonic() - started
            return preview
        agency, fiscal_year = target
        preview.context = {"agency": agency, "year": fiscal_year}
        wctx = WorkbookContext(agency=agency, year=fiscal_year, allow_reference_data=allow_reference_data)
        kwargs = {"wctx": wctx, "user": user, "reason": reason}

        def run(sheet, resource_class):
            table = tables[sheet]
            skip = add_table_problems(table, preview, label=None)
            letters = {h: get_column_letter(i + 1) for i, h in enumerate(table.headers) if h}
            rows = [(n, v) for n, v in table.rows if n not in skip]
            run_resource(
                resource_class(**kwargs),
                sheet=sheet,
                headers=table.headers,
                rows=rows,
                preview=preview,
                letters=letters,
            )
            return table

        run(SHEET_DIVISIONS, DivisionResource)
        wctx.load_divisions()
        measures = run(SHEET_MEASURES, MeasureResource)
        wctx.failed_measures = _failed(preview, measures, (H_ORDER,))
        wctx.load_measures()
        activities = run(SHEET_ACTIVITIES, ActivityResource)
        wctx.failed_activities = _failed(preview, activities, (H_MEASURE, H_ACTIVITY))
        wctx.load_measures()
        run(SHEET_PROGRESS, ProgressResource)
        run(SHEET_QUESTIONS, QuestionResource)

        scores = tables[SHEET_SCORES]
        skip = add_table_problems(scores, preview)
        letters = {h: get_column_letter(i + 1) for i, h in enumerate(scores.headers) if h}
        scores = Table(
            sheet=scores.sheet,
            headers=[*scores.headers, COL_AGENCY, COL_YEAR],
            rows=[(n, [*v, agency.code, fiscal_year.be_year]) for n, v in scores.rows],
        )
        import_score_rows(
            table=scores,
            ctx=ScoreContext(agency=agency),
            preview=preview,
            user=user,
            reason=reason,
            skip=skip,
            letters=letters,
            dry_run=dry_run,
        )
        preview.notes.extend(dict.fromkeys(wctx.notes))
        finish(preview, dry_run=dry_run, expected_digest=expected_digest)
    preview.seconds = time.monotonic() - started
    return preview


def _failed(preview: Preview, table: Table, key_headers: tuple[str, ...]) -> dict:
    """Keys of the rows of a sheet that have errors → their row number (to explain later errors)."""
    error_rows = {r.row for r in preview.rows if r.sheet == table.sheet and r.status == ERROR}
    idx = [table.headers.index(h) if h in table.headers else None for h in key_headers]
    out = {}
    for number, values in table.rows:
        if number not in error_rows:
            continue
        try:
            key = tuple(clean_int(values[i]) if i is not None else None for i in idx)
        except ValueError:
            continue
        out[key[0] if len(key) == 1 else key] = number
    return out


def _import_info(
    table: Table, preview: Preview, *, agency: Agency | None, year, allow_create: bool
) -> tuple[Agency, FiscalYear] | None:
    """The หน่วยงาน sheet: which agency and year the file is for. Never changes an existing agency."""
    sheet = table.sheet
    for p in table.problems:
        preview.add_problem(p)
    rows = table.rows
    if not rows:
        preview.add_problem(Problem("ไม่พบข้อมูลหน่วยงานในแถวที่ 2", sheet=sheet, row=2))
        return None
    number, values = rows[0]
    for extra, _ in rows[1:]:
        preview.add_row(
            PreviewRow(
                sheet=sheet,
                row=extra,
                key="",
                status=ERROR,
                problems=[Problem("แผ่นงานหน่วยงานต้องมีข้อมูลแถวเดียว (แถว 2)", sheet=sheet, row=extra)],
            )
        )
    if number in table.row_problems:
        preview.add_row(PreviewRow(sheet=sheet, row=number, key="", status=ERROR, problems=table.row_problems[number]))
        return None
    row = dict(zip(table.headers, values))
    letters = {h: get_column_letter(i + 1) for i, h in enumerate(table.headers) if h}
    problems = []

    def problem(column, message):
        problems.append(Problem(message, sheet=sheet, row=number, column=column, letter=letters.get(column, "")))

    code = clean_text(row.get(COL_AGENCY))
    be_year = None
    try:
        be_year = clean_be_year(row.get(COL_YEAR))
    except ValueError as e:
        problem(COL_YEAR, str(e))
    fiscal_year = None
    if be_year is not None:
        fiscal_year = FiscalYear.objects.filter(be_year=be_year).first()
        if fiscal_year is None:
            known = ", ".join(str(y) for y in FiscalYear.objects.values_list("be_year", flat=True))
            problem(COL_YEAR, f"ไม่มีปีงบประมาณ {be_year} ในระบบ (มี: {known})")
    if year is not None and fiscal_year is not None:
        expected = year.be_year if isinstance(year, FiscalYear) else int(year)
        if expected != fiscal_year.be_year:
            problem(
                COL_YEAR,
                f"ไฟล์นี้เป็นของปีงบประมาณ {fiscal_year.be_year} แต่กำลังนำเข้าปี {expected} "
                "กรุณาเลือกปีให้ตรงกับไฟล์ หรือใช้ไฟล์ของปีที่ถูกต้อง",
            )
    status, key = UNCHANGED, code
    if not code:
        if agency is None:
            problem(COL_AGENCY, "กรุณาระบุรหัสหน่วยงาน")
        code = agency.code if agency is not None else ""
    if agency is not None:
        if code.casefold() != agency.code.casefold():
            problem(COL_AGENCY, f"ไฟล์นี้เป็นของหน่วยงานรหัส “{code}” ไม่ใช่ “{agency.code}” ({agency.name})")
    elif code:
        agency = Agency.objects.filter(code=code).first() or Agency.objects.filter(code__iexact=code).first()
        if agency is None and not allow_create:
            problem(COL_AGENCY, f"ไม่พบหน่วยงานรหัส “{code}” ในระบบ")
        elif agency is None:
            kind_widget = ChoiceWidget(AgencyKind.choices, aliases=KIND_ALIASES, blank=None)
            try:
                kind = kind_widget.clean(row.get(H_KIND))
            except ValueError as e:
                problem(H_KIND, str(e))
                kind = None
            name = clean_text(row.get(H_AGENCY_NAME))
            if not name:
                problem(H_AGENCY_NAME, "กรุณากรอกชื่อหน่วยงาน (สร้างหน่วยงานใหม่จากไฟล์)")
            if not re.fullmatch(r"[-a-zA-Z0-9_]+", code):
                problem(COL_AGENCY, "รหัสหน่วยงานใช้ได้เฉพาะตัวอักษรอังกฤษ ตัวเลข - และ _")
            if not problems:
                agency = Agency.objects.create(
                    code=code,
                    kind=kind,
                    name=name,
                    district=clean_text(row.get(H_DISTRICT)),
                    province=clean_text(row.get(H_PROVINCE)),
                )
                status = NEW
    if agency is not None and status == UNCHANGED:
        differs = [
            h
            for h, value in ((H_AGENCY_NAME, agency.name), (H_DISTRICT, agency.district), (H_PROVINCE, agency.province))
            if h in row and not is_blank(row.get(h)) and clean_text(row.get(h)) != value
        ]
        if differs:
            preview.notes.append(
                f"แผ่นงาน “{sheet}”: {', '.join(differs)} ในไฟล์ต่างจากในระบบ ระบบไม่เปลี่ยนข้อมูลหน่วยงานจากไฟล์"
            )
    preview.add_row(
        PreviewRow(
            sheet=sheet,
            row=number,
            key=f"{key} · ปีงบประมาณ {be_year or ''}".strip(),
            status=ERROR if problems else status,
            problems=problems,
        )
    )
    if problems or agency is None or fiscal_year is None:
        return None
    return agency, fiscal_year


# ---------------------------------------------------------------------------------------------
# Export and template


def workbook_export(*, agency: Agency, year: FiscalYear, template: bool = False) -> bytes:
    """The agency's workbook for a year: its data (template=False) or an empty template.

    Deterministic: the same data gives the same cells (the round-trip test relies on it).
    """
    wctx = WorkbookContext(agency=agency, year=year)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    refs = _reference_lists(wctx)
    ref_ranges = {}

    _instructions(wb.create_sheet(INSTRUCTIONS_SHEET), agency=agency, year=year)
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
        _write_sheet(wb.create_sheet(name), name, headers, rows, template=template)
    ref_ws = wb.create_sheet(REFERENCE_SHEET)
    for col, (title, items) in enumerate(refs.items(), start=1):
        letter = get_column_letter(col)
        ref_ws.cell(row=1, column=col, value=title).font = Font(bold=True)
        ref_ws.column_dimensions[letter].width = 40
        for r, item in enumerate(items, start=2):
            ref_ws.cell(row=r, column=col, value=item)
        if items:
            ref_ranges[title] = f"'{REFERENCE_SHEET}'!${letter}$2:${letter}${len(items) + 1}"
    for name in DATA_SHEETS:
        ws = wb[name]
        headers, rows = sheets[name]
        last = 2 if name == SHEET_INFO else len(rows) + 1 + TEMPLATE_EMPTY_ROWS
        for (sheet, header), (list_name, strict) in DROPDOWNS.items():
            if sheet != name or header not in headers or list_name not in ref_ranges:
                continue
            letter = get_column_letter(headers.index(header) + 1)
            dv = DataValidation(
                type="list",
                formula1=ref_ranges[list_name],
                allow_blank=True,
                showErrorMessage=strict,
                errorTitle=header,
                error=f"กรุณาเลือก{header}จากรายการ (ดูแผ่นงาน “{REFERENCE_SHEET}”)",
                showInputMessage=not strict,
                promptTitle=header,
                prompt="เลือกจากรายการ หรือพิมพ์หลายค่าคั่นด้วยจุลภาค (,)" if not strict else None,
            )
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{last}")
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


def _reference_lists(wctx: WorkbookContext) -> dict[str, list[str]]:
    year = wctx.year
    return {
        "ประเด็น": [str(i) for i in sorted(wctx.issues.values(), key=lambda i: i.number)],
        "แบบวัด": [t.code for t in sorted(wctx.tools.values(), key=lambda t: t.order)],
        "ตัวชี้วัด": [f"{i.number} {i.name}" for i in sorted(wctx.indicators.values(), key=lambda i: i.number)],
        "สถานะ": list(Status.labels),
        "รอบการรายงาน": list(Round.labels),
        "เหตุที่ดำเนินการไม่ได้": list(UnableReason.labels),
        "กอง/สำนัก": [d.name for d in wctx.divisions.values()],
        "ประเภทคะแนน": list(KIND_LABELS.values()),
        "ระดับ": list(RatingBand.objects.filter(year=year).order_by("order").values_list("label", flat=True)),
        "ประเภทหน่วยงาน": list(AgencyKind.labels),
    }


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
KEY_FILL = PatternFill("solid", fgColor="FCE8C8")
KEY_HEADERS = {COL_AGENCY, COL_YEAR, H_ORDER, H_MEASURE, H_ACTIVITY, H_ROUND, H_QUESTION_CODE, COL_KIND, COL_CODE}


def _write_sheet(ws, name: str, headers: list[str], rows: list, *, template: bool) -> None:
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = KEY_FILL if (cell.value in KEY_HEADERS and name != SHEET_DIVISIONS) else HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for values in rows:
        ws.append([None if v == "" else v for v in values])
    ws.freeze_panes = "A2"
    empty = TEMPLATE_EMPTY_ROWS if name != SHEET_INFO else 0
    last = len(rows) + 1 + empty
    for col, header in enumerate(headers, start=1):
        width, fmt, wrap = LAYOUT.get(header, (20, TEXT, False))
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = width
        for r in range(2, last + 1):
            cell = ws.cell(row=r, column=col)
            cell.number_format = fmt
            if wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


INSTRUCTIONS = [
    "สมุดงานมาตรการส่งเสริมคุณธรรมและความโปร่งใส (ITA) ของหน่วยงาน",
    "",
    "วิธีใช้",
    "1. กรอกข้อมูลในแผ่นงาน กอง-สำนัก, มาตรการ, กิจกรรม, ผลการดำเนินการ และคะแนน (แถวแรกของทุกแผ่นงานคือหัวคอลัมน์ ห้ามแก้ไข)",
    "2. อย่าเปลี่ยนชื่อแผ่นงาน อย่าผสานเซลล์ (Merge) อย่าซ่อนแถว และอย่าใช้สูตร ให้กรอกเป็นค่า",
    "3. บันทึกเป็นไฟล์ .xlsx แล้วอัปโหลดที่หน้า “นำเข้า/ส่งออกสมุดงาน” ระบบจะแสดงตัวอย่างทุกแถวก่อนบันทึก",
    "   ถ้ามีข้อผิดพลาดแม้แถวเดียว ระบบจะไม่บันทึกข้อมูลใดเลย ให้แก้ตามข้อความที่ระบุแผ่นงาน แถว และคอลัมน์ แล้วอัปโหลดใหม่",
    "",
    "คอลัมน์สีส้มคือคอลัมน์หลักที่ระบบใช้จับคู่ข้อมูลเดิม",
    "- มาตรการ: “ลำดับ” 1, 2, 3, … ลำดับเดิมคือมาตรการเดิม (แก้ไข) ลำดับใหม่คือมาตรการใหม่",
    "- กิจกรรม: “ลำดับมาตรการ” + “ลำดับกิจกรรม” (กิจกรรมที่ 1, 2, … ของมาตรการนั้น)",
    "- ผลการดำเนินการ: “ลำดับมาตรการ” + “ลำดับกิจกรรม” (เว้นว่าง = ผลของมาตรการเอง) + “รอบการรายงาน”",
    "- คะแนน: “ประเภทคะแนน” + “รหัส” (แบบวัด IIT/EIT/OIT, เลขตัวชี้วัด, รหัสข้อคำถาม)",
    "ข้อมูลที่ไม่มีในไฟล์จะคงไว้ตามเดิม (การนำเข้าไม่ลบมาตรการ) ยกเว้นคะแนนที่ลบค่าออกจากช่องคะแนน",
    "",
    "รูปแบบข้อมูล",
    "- ปีและวันที่เป็น พ.ศ. เสมอ วันที่กรอกเป็น วว/ดด/ปปปป เช่น 30/09/2567 (ระบบไม่รับปี ค.ศ. เช่น 2024)",
    "- สถานะ: ยังไม่ดำเนินการ / อยู่ระหว่างดำเนินการ / ดำเนินการแล้วเสร็จ / ไม่สามารถดำเนินการได้ (ต้องระบุเหตุ)",
    "- ตัวชี้วัดและผู้รับผิดชอบใส่ได้หลายค่า คั่นด้วยจุลภาค เช่น 1, 4 หรือ สำนักปลัด, กองคลัง",
    "- ชื่อกอง/สำนักต้องตรงกับแผ่นงาน กอง-สำนัก (เพิ่มกอง/สำนักใหม่ได้ในแผ่นงานนั้น)",
    "- คะแนน 0–100 ทศนิยมไม่เกิน 2 ตำแหน่ง; ข้อคำถามเป็นข้อมูลกลาง เพิ่มได้โดยผู้ดูแลระบบเท่านั้น",
    "- รายการให้เลือกอยู่ในแผ่นงาน “รายการอ้างอิง”",
]


def _instructions(ws, *, agency: Agency, year: FiscalYear) -> None:
    ws.column_dimensions["A"].width = 120
    ws.append([f"{agency.name} · ปีงบประมาณ {year.be_year}"])
    ws["A1"].font = Font(bold=True, size=14)
    for line in INSTRUCTIONS:
        ws.append([line or None])
    ws["A2"].font = Font(bold=True)


def workbook_filename(*, agency: Agency, year: FiscalYear, template: bool) -> str:
    kind = "template" if template else "data"
    return f"ita-{agency.code}-{year.be_year}-{kind}.xlsx"
