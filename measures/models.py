"""Measures (มาตรการ) an agency sets for a fiscal year, their activities, and progress per round."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from agencies.models import Agency, Division
from assessments.models import FiscalYear, Indicator, Issue, Tool
from ita_portal.fields import TEXT_LONG, TEXT_SHORT, BoundedTextField, text_length_checks


class Round(models.TextChoices):
    SIX_MONTH = "six_month", "รอบ 6 เดือน"
    ANNUAL = "annual", "รอบ 12 เดือน"


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "ยังไม่ดำเนินการ"
    IN_PROGRESS = "in_progress", "อยู่ระหว่างดำเนินการ"
    DONE = "done", "ดำเนินการแล้วเสร็จ"
    UNABLE = "unable", "ไม่สามารถดำเนินการได้"


class UnableReason(models.TextChoices):
    NO_BUDGET = "no_budget", "ไม่ได้รับงบประมาณ"
    POLICY = "policy", "นโยบายผู้บริหารเปลี่ยนแปลง"
    STAFF = "staff", "บุคลากรไม่เพียงพอ"
    OTHER = "other", "อื่นๆ"


class Plan(models.Model):
    """The agency's plan for a year: the narrative around the measures table."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="plans")
    year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="plans")
    intro = BoundedTextField("บทนำ", max_length=TEXT_LONG, blank=True)
    recommendations = BoundedTextField("ข้อเสนอแนะ", max_length=TEXT_LONG, blank=True)
    signatory_name = models.CharField("ผู้ลงนาม", max_length=200, blank=True)
    signatory_position = models.CharField("ตำแหน่งผู้ลงนาม", max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)  # ita_portal/edits.py

    history = HistoricalRecords()

    class Meta:
        verbose_name = "แผนประจำปี"
        verbose_name_plural = "แผนประจำปี"
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="uniq_plan_per_agency_year"),
            *text_length_checks("plan", {"intro": TEXT_LONG, "recommendations": TEXT_LONG}),
        ]


class MeasureQuerySet(models.QuerySet):
    def for_agency(self, agency):
        return self.filter(agency=agency)

    def for_year(self, year):
        return self.filter(year=year)

    def for_divisions(self, division_ids):
        """Measures a division is responsible for, itself or through one of its activities."""
        return self.filter(
            models.Q(divisions__in=division_ids) | models.Q(activities__divisions__in=division_ids)
        ).distinct()


class Measure(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="measures")
    year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="measures")
    order = models.PositiveIntegerField("ลำดับ", default=0)
    number = models.CharField("เลขที่", max_length=20, blank=True)
    issue = models.ForeignKey(
        Issue, on_delete=models.PROTECT, null=True, blank=True, related_name="measures", verbose_name="ประเด็น"
    )
    tool = models.ForeignKey(
        Tool, on_delete=models.PROTECT, null=True, blank=True, related_name="measures", verbose_name="แบบวัด"
    )
    indicators = models.ManyToManyField(Indicator, blank=True, related_name="measures", verbose_name="ตัวชี้วัด")
    focus = BoundedTextField("ประเด็นที่ต้องพัฒนา", max_length=TEXT_LONG, blank=True)
    title = BoundedTextField("มาตรการ/กิจกรรม", max_length=TEXT_SHORT)
    steps = BoundedTextField("ขั้นตอนหรือวิธีการปฏิบัติ", max_length=TEXT_LONG, blank=True)
    period = models.CharField("ช่วงระยะเวลา", max_length=200, blank=True)
    divisions = models.ManyToManyField(Division, blank=True, related_name="measures", verbose_name="ผู้รับผิดชอบ")
    responsible_note = models.CharField("ผู้รับผิดชอบ (อื่นๆ)", max_length=300, blank=True)
    monitoring = BoundedTextField("แนวทางกำกับติดตาม/การรายงานผล", max_length=TEXT_LONG, blank=True)
    budget = models.DecimalField("งบประมาณ (บาท)", max_digits=14, decimal_places=2, null=True, blank=True)
    copied_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)  # ita_portal/edits.py

    objects = MeasureQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[divisions, indicators])

    class Meta:
        verbose_name = "มาตรการ"
        verbose_name_plural = "มาตรการ"
        ordering = ["agency_id", "year__be_year", "order", "id"]
        indexes = [models.Index(fields=["agency", "year", "order"])]
        constraints = [
            # The order is the measure's key in the agency workbook (ลำดับ): one measure per number.
            models.UniqueConstraint(fields=["agency", "year", "order"], name="uniq_measure_order"),
            *text_length_checks(
                "measure", {"focus": TEXT_LONG, "title": TEXT_SHORT, "steps": TEXT_LONG, "monitoring": TEXT_LONG}
            ),
        ]

    def __str__(self) -> str:
        return self.title[:80]


class Activity(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="activities")
    order = models.PositiveIntegerField("ลำดับ", default=0)
    title = BoundedTextField("กิจกรรม", max_length=TEXT_SHORT)
    steps = BoundedTextField("ขั้นตอนหรือวิธีการปฏิบัติ", max_length=TEXT_LONG, blank=True)
    period = models.CharField("ช่วงระยะเวลา", max_length=200, blank=True)
    divisions = models.ManyToManyField(Division, blank=True, related_name="activities", verbose_name="ผู้รับผิดชอบ")
    version = models.PositiveIntegerField(default=1, editable=False)  # ita_portal/edits.py

    history = HistoricalRecords(m2m_fields=[divisions])

    class Meta:
        verbose_name = "กิจกรรม"
        verbose_name_plural = "กิจกรรม"
        ordering = ["measure", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "order"], name="uniq_activity_order"),
            *text_length_checks("activity", {"title": TEXT_SHORT, "steps": TEXT_LONG}),
        ]

    def __str__(self) -> str:
        return self.title[:80]


class Progress(models.Model):
    """What was done for a measure (or one of its activities) in one reporting round."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="progress")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, null=True, blank=True, related_name="progress")
    round = models.CharField("รอบการรายงาน", max_length=20, choices=Round.choices)
    # Blank = not stated (a transcribed report that gives results without a status).
    status = models.CharField("สถานะ", max_length=20, choices=Status.choices, default=Status.NOT_STARTED, blank=True)
    unable_reason = models.CharField("เหตุที่ดำเนินการไม่ได้", max_length=20, choices=UnableReason.choices, blank=True)
    unable_note = models.CharField("รายละเอียดเหตุผล", max_length=500, blank=True)
    output = BoundedTextField("ผลการดำเนินการ (output)", max_length=TEXT_LONG, blank=True)
    outcome = BoundedTextField("ผลลัพธ์ (outcome)", max_length=TEXT_LONG, blank=True)
    # Kept inside the agency (as e-PlanNACC records it): no report selector reads it.
    obstacles = BoundedTextField("ปัญหาและอุปสรรค (ใช้ภายในหน่วยงาน ไม่พิมพ์ในรายงาน)", max_length=TEXT_LONG, blank=True)
    completed_on = models.DateField("วันที่แล้วเสร็จ", null=True, blank=True)
    budget_spent = models.DecimalField("งบประมาณที่ใช้ (บาท)", max_digits=14, decimal_places=2, null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "ผลการดำเนินการ"
        verbose_name_plural = "ผลการดำเนินการ"
        constraints = [
            models.UniqueConstraint(fields=["measure", "activity", "round"], name="uniq_progress_item_round"),
            models.UniqueConstraint(
                fields=["measure", "round"],
                condition=models.Q(activity__isnull=True),
                name="uniq_progress_measure_round",
            ),
            *text_length_checks("progress", {"output": TEXT_LONG, "outcome": TEXT_LONG, "obstacles": TEXT_LONG}),
        ]


def evidence_upload_to(instance, filename: str) -> str:
    measure = instance.progress.measure
    return f"evidence/{measure.agency.code}/{measure.year.be_year}/{instance.progress_id}/{filename}"


class EvidencePhoto(models.Model):
    progress = models.ForeignKey(Progress, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField("ภาพ", upload_to=evidence_upload_to, blank=True)
    # A smaller copy made once at upload for the PDF: ≤ 150 dpi at the report's 7.5 cm photo width.
    print_image = models.ImageField(upload_to=evidence_upload_to, blank=True, editable=False)
    caption = models.CharField("คำบรรยายภาพ", max_length=500, blank=True)
    order = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "ภาพหลักฐาน"
        verbose_name_plural = "ภาพหลักฐาน"
        ordering = ["progress", "order", "id"]


class EvidenceLink(models.Model):
    progress = models.ForeignKey(Progress, on_delete=models.CASCADE, related_name="links")
    url = models.URLField("ลิงก์หลักฐาน", max_length=1000)
    label = models.CharField("คำอธิบาย", max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "ลิงก์หลักฐาน"
        verbose_name_plural = "ลิงก์หลักฐาน"


class RoundSchedule(models.Model):
    """The coordinator's own dates for a reporting round, in place of the year's defaults.

    The dates every page and reminder uses come from selectors_tracking.round_window().
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="round_schedules")
    year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="round_schedules")
    round = models.CharField("รอบการรายงาน", max_length=20, choices=Round.choices)
    opens_on = models.DateField("เริ่มรายงานผล")
    due_on = models.DateField("กำหนดส่งผล")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "กำหนดการรายงานผล"
        verbose_name_plural = "กำหนดการรายงานผล"
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "round"], name="uniq_round_schedule"),
            models.CheckConstraint(condition=models.Q(opens_on__lte=models.F("due_on")), name="round_opens_before_due"),
        ]

    def __str__(self) -> str:
        return f"{self.agency} · {self.year.be_year} · {self.get_round_display()}"


def default_remind_days() -> list[int]:
    return [7, 1]


class ReminderSetting(models.Model):
    """How many days before a round's due date the agency's divisions are reminded (default 7 and 1)."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="reminder_setting")
    days_before = models.JSONField("เตือนล่วงหน้า (วัน)", default=default_remind_days, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "การแจ้งเตือนของหน่วยงาน"
        verbose_name_plural = "การแจ้งเตือนของหน่วยงาน"

    def __str__(self) -> str:
        return f"{self.agency} · {self.days_before}"
