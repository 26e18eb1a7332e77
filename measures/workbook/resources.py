"""The workbook's model-shaped sheets, one django-import-export Resource each (on ``sheets.resources``).

Each finds its existing rows by a natural key (see the table in ``measures.workbook``), reads the
references through the ``WorkbookContext`` and has its rules across fields in ``check()``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from import_export import fields

from agencies.models import Division
from assessments.models import Question
from ita_portal import thai
from sheets.cells import clean_int, clean_text, short_text
from sheets.columns import Column
from sheets.resources import BEDateWidget, ChoiceWidget, DecimalWidget, IntWidget, SheetResource, TextWidget

from ..models import Activity, Measure, Progress, Round, Status, UnableReason
from ..rules import completion_window, measure_name_problem, progress_problems
from .columns import (
    H_ACTIVITY,
    H_ACTIVITY_TITLE,
    H_BUDGET,
    H_COMPLETED,
    H_DIVISION,
    H_DIVISIONS,
    H_FOCUS,
    H_INDICATORS,
    H_ISSUE,
    H_ITEM,
    H_MEASURE,
    H_MONITORING,
    H_NUMBER,
    H_ORDER,
    H_OUTCOME,
    H_OUTPUT,
    H_PERIOD,
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
    INFO_COLUMNS,
    MAX_BUDGET,
    ROUND_ALIASES,
    SCORE_COLUMNS,
    SHEET_ACTIVITIES,
    SHEET_DIVISIONS,
    SHEET_INFO,
    SHEET_MEASURES,
    SHEET_PROGRESS,
    SHEET_QUESTIONS,
    SHEET_SCORES,
    STATUS_ALIASES,
)
from .context import DivisionsWidget, IndicatorsWidget, IndicatorWidget, IssueWidget, ToolWidget, WorkbookContext


def _limited(model, name: str) -> TextWidget:
    """A text cell no longer than the model field allows (the same limit as the web form's)."""
    return TextWidget(model._meta.get_field(name).max_length)


class _WorkbookResource(SheetResource):
    sheet = ""

    class Meta(SheetResource.Meta):
        skip_diff = False

    def __init__(self, *, wctx: WorkbookContext, **kwargs):
        self.wctx = wctx
        super().__init__(**kwargs)

    def unsaved_add(self, instance) -> None:
        self.wctx.unsaved.append(instance)


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
    focus = fields.Field(attribute="focus", column_name=H_FOCUS, widget=_limited(Measure, "focus"))
    title = fields.Field(attribute="title", column_name=H_TITLE, widget=_limited(Measure, "title"))
    steps = fields.Field(attribute="steps", column_name=H_STEPS, widget=_limited(Measure, "steps"))
    period = fields.Field(attribute="period", column_name=H_PERIOD, widget=TextWidget(200))
    divisions = fields.Field(attribute="divisions", column_name=H_DIVISIONS)
    responsible_note = fields.Field(
        attribute="responsible_note", column_name=H_RESPONSIBLE_NOTE, widget=TextWidget(300)
    )
    monitoring = fields.Field(attribute="monitoring", column_name=H_MONITORING, widget=_limited(Measure, "monitoring"))
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
        return f"มาตรการลำดับ {clean_int(row.get(H_ORDER))}: {short_text(clean_text(row.get(H_TITLE)))}"

    def init_instance(self, row=None):
        return Measure(agency=self.wctx.agency, year=self.wctx.year)

    @staticmethod
    def _window(instance):
        """The completion dates the row's round takes (measures.rules.completion_window)."""
        if instance.round not in Round.values:
            return None
        return completion_window(fiscal_year=instance.measure.year.be_year, round=instance.round, today=thai.today())

    def check(self, instance, errors):
        problem = measure_name_problem(title=instance.title, focus=instance.focus)
        if problem:
            errors.setdefault("title", problem)


class ActivityResource(_WorkbookResource):
    sheet = SHEET_ACTIVITIES
    measure_order = fields.Field(column_name=H_MEASURE)
    order = fields.Field(attribute="order", column_name=H_ACTIVITY, widget=IntWidget())
    title = fields.Field(attribute="title", column_name=H_ACTIVITY_TITLE, widget=_limited(Activity, "title"))
    steps = fields.Field(attribute="steps", column_name=H_STEPS, widget=_limited(Activity, "steps"))
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
        # The stored orders, read before any row sets them (before_save_instance).
        self._orders = {a.pk: (a.measure_id, a.order) for a in self.wctx.activities.values()}
        self._last: dict[int, int] = {}
        for measure_id, order in self._orders.values():
            self._last[measure_id] = max(self._last.get(measure_id, 0), order)

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

    def before_save_instance(self, instance, row, **kwargs):
        """The sheet's number is the activity's position in its measure; the stored order only sorts.
        An existing activity keeps its order, a new one goes after its measure's last: rows in any
        order never make two activities of a measure share a number (uniq_activity_order)."""
        super().before_save_instance(instance, row, **kwargs)
        if instance.pk in self._orders:
            instance.order = self._orders[instance.pk][1]
        else:
            instance.order = self._last.get(instance.measure_id, 0) + 1
            self._last[instance.measure_id] = instance.order

    def dehydrate_measure_order(self, activity):
        return activity.measure.order

    def dehydrate_order(self, activity):
        return getattr(activity, "position", activity.order)

    @staticmethod
    def _window(instance):
        """The completion dates the row's round takes (measures.rules.completion_window)."""
        if instance.round not in Round.values:
            return None
        return completion_window(fiscal_year=instance.measure.year.be_year, round=instance.round, today=thai.today())

    def check(self, instance, errors):
        if not instance.title:
            errors.setdefault("title", "กรุณากรอกชื่อกิจกรรม")


class ProgressResource(_WorkbookResource):
    sheet = SHEET_PROGRESS
    measure_order = fields.Field(column_name=H_MEASURE)
    activity_order = fields.Field(column_name=H_ACTIVITY)
    item = fields.Field(column_name=H_ITEM)
    round = fields.Field(
        attribute="round", column_name=H_ROUND, widget=ChoiceWidget(Round.choices, aliases=ROUND_ALIASES, blank=None)
    )
    status = fields.Field(
        attribute="status", column_name=H_STATUS, widget=ChoiceWidget(Status.choices, aliases=STATUS_ALIASES, blank="")
    )
    unable_reason = fields.Field(
        attribute="unable_reason", column_name=H_UNABLE_REASON, widget=ChoiceWidget(UnableReason.choices)
    )
    unable_note = fields.Field(attribute="unable_note", column_name=H_UNABLE_NOTE, widget=TextWidget(500))
    output = fields.Field(attribute="output", column_name=H_OUTPUT, widget=_limited(Progress, "output"))
    outcome = fields.Field(attribute="outcome", column_name=H_OUTCOME, widget=_limited(Progress, "outcome"))
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
        stored = [m for m in self.wctx.measures.values() if m.pk]  # (a preview's new ones are unsaved)
        progress = Progress.objects.filter(measure__in=stored)
        orders = {m.id: m.order for m in self.wctx.measures.values()}
        for p in progress:
            out[(orders[p.measure_id], positions.get(p.activity_id) if p.activity_id else None, p.round)] = p
        self._stored = {p.pk: (p.status, p.completed_on) for p in out.values()}
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

    @staticmethod
    def _window(instance):
        """The completion dates the row's round takes (measures.rules.completion_window)."""
        if instance.round not in Round.values:
            return None
        return completion_window(fiscal_year=instance.measure.year.be_year, round=instance.round, today=thai.today())

    def check(self, instance, errors):
        """The progress rules (measures.rules), the same as the web form's and progress_save's."""
        problems = progress_problems(
            status=instance.status,
            unable_reason=instance.unable_reason,
            unable_note=instance.unable_note,
            completed_on=instance.completed_on,
            budget_spent=instance.budget_spent,
            window=self._window(instance),
        )
        # A transcribed "done" without a date that the file leaves as it was is kept; a row that
        # says "done" anew, or changes the date, must give one.
        if instance.pk and self._stored.get(instance.pk) == (instance.status, instance.completed_on):
            problems.pop("completed_on", None)
        for field, message in problems.items():
            errors.setdefault(field, message)

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
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
    text = fields.Field(attribute="text", column_name=H_QUESTION_TEXT, widget=_limited(Question, "text"))

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

    @staticmethod
    def _window(instance):
        """The completion dates the row's round takes (measures.rules.completion_window)."""
        if instance.round not in Round.values:
            return None
        return completion_window(fiscal_year=instance.measure.year.be_year, round=instance.round, today=thai.today())

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
# The headers each sheet's import accepts


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
    SHEET_SCORES: SCORE_COLUMNS,
}
