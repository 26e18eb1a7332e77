"""Reports an agency publishes: their layout, their approval state and their immutable versions."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from agencies.models import Agency
from assessments.models import FiscalYear


class Kind(models.TextChoices):
    ANNUAL = "annual", "รายงานผลการดำเนินการประจำปี"
    SIX_MONTH = "six_month", "รายงานผลการดำเนินการรอบ 6 เดือน"
    ANALYSIS = "analysis", "รายงานการวิเคราะห์ผลการประเมิน"


class Grouping(models.TextChoices):
    ISSUE = "issue", "ตามประเด็น 7 ประเด็น"
    TOOL = "tool", "ตามแบบวัด (IIT/EIT/OIT)"
    TOOL_INDICATOR = "tool_indicator", "ตามแบบวัดและตัวชี้วัด"
    NONE = "none", "ไม่จัดกลุ่ม"


# Column key → header as the seeds print it.
COLUMNS = {
    "number": "ลำดับที่",
    "focus": "ประเด็นที่ต้องพัฒนา",
    "measure": "มาตรการ/กิจกรรมที่ดำเนินการ",
    "steps": "ขั้นตอนหรือวิธีการปฏิบัติ",
    "period": "ช่วงระยะเวลา",
    "responsible": "ผู้รับผิดชอบ",
    "responsible_period": "ผู้รับผิดชอบ / ระยะเวลา",  # one column, as seed 003 prints them
    "output": "ผลการดำเนินการ (output)",
    "outcome": "ผลลัพธ์ (outcome)",
    "status": "สถานะ/วันที่แล้วเสร็จ",
    "monitoring": "การรายงานผลและการกำกับติดตาม",
}
DEFAULT_COLUMNS = ["number", "measure", "steps", "period", "responsible", "output", "outcome", "status"]


class State(models.TextChoices):
    DRAFT = "draft", "ฉบับร่าง"
    SUBMITTED = "submitted", "เสนอผู้บริหารแล้ว"
    APPROVED = "approved", "ผู้บริหารอนุมัติแล้ว"
    PUBLISHED = "published", "เผยแพร่แล้ว"


class Report(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="reports")
    year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField("ประเภทรายงาน", max_length=20, choices=Kind.choices)
    title = models.CharField("ชื่อรายงาน", max_length=500, blank=True)
    grouping = models.CharField("การจัดกลุ่ม", max_length=20, choices=Grouping.choices, default=Grouping.ISSUE)
    columns = models.JSONField("คอลัมน์", default=list, blank=True)
    thai_digits = models.BooleanField("ใช้เลขไทย", default=False)
    show_cover = models.BooleanField("มีหน้าปก", default=True)
    show_photos = models.BooleanField("มีภาพประกอบ", default=True)
    show_score_table = models.BooleanField("ตารางเปรียบเทียบคะแนน", default=True)
    show_score_chart = models.BooleanField("กราฟคะแนนรายปี", default=False)
    # Options of the page layout (reports/layout.py LAYOUT_DEFAULTS) and the agency's own wording of
    # headings, column headers and titles (reports/layout.py LABELS), both saved with the report.
    layout = models.JSONField("รูปแบบการจัดหน้า", default=dict, blank=True)
    labels = models.JSONField("ถ้อยคำหัวข้อและหัวตาราง", default=dict, blank=True)
    signatory_name = models.CharField("ผู้ลงนาม", max_length=200, blank=True)
    signatory_position = models.CharField("ตำแหน่ง", max_length=200, blank=True)
    signed_on = models.DateField("วันที่ลงนาม", null=True, blank=True)
    # Analysis report: the narrative's thresholds (seed 002: strengths above 80, improve below 85).
    strength_threshold = models.DecimalField("เกณฑ์จุดแข็ง (มากกว่า)", max_digits=5, decimal_places=2, default=80)
    improve_threshold = models.DecimalField("เกณฑ์ประเด็นที่ต้องพัฒนา (ต่ำกว่า)", max_digits=5, decimal_places=2, default=85)
    state = models.CharField("สถานะ", max_length=20, choices=State.choices, default=State.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the executive approved (selectors.approval_hash): publishing needs the same content.
    approved_hash = models.CharField(max_length=64, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "รายงาน"
        verbose_name_plural = "รายงาน"
        constraints = [models.UniqueConstraint(fields=["agency", "year", "kind"], name="uniq_report_kind_year")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year.be_year} {self.agency}"


COMMENT_MAX = 1000


class ReportEvent(models.Model):
    """A step in a report's approval: who submitted, sent back (with why), approved or published it."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "เสนอผู้บริหาร"
        SENT_BACK = "sent_back", "ส่งกลับเพื่อแก้ไข"
        APPROVED = "approved", "อนุมัติ"
        PUBLISHED = "published", "เผยแพร่"
        APPROVAL_VOIDED = "approval_voided", "แก้ไขหลังอนุมัติ ต้องขออนุมัติใหม่"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("การดำเนินการ", max_length=20, choices=Action.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    comment = models.TextField("ความเห็น", max_length=COMMENT_MAX, blank=True)
    created_at = models.DateTimeField("เมื่อ", auto_now_add=True)

    class Meta:
        verbose_name = "ประวัติการพิจารณารายงาน"
        verbose_name_plural = "ประวัติการพิจารณารายงาน"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["report", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.report} · {self.get_action_display()}"


def report_upload_to(instance, filename: str) -> str:
    r = instance.report
    return f"reports/{r.agency.code}/{r.year.be_year}/{r.kind}-v{instance.version}-{instance.sha256[:12]}.pdf"


class PublishedVersion(models.Model):
    """An immutable published PDF; publishing again adds a version, never overwrites."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    pdf = models.FileField(upload_to=report_upload_to)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    data_hash = models.CharField(max_length=64, help_text="hash of the report's data when rendered")
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["report", "-version"]
        constraints = [models.UniqueConstraint(fields=["report", "version"], name="uniq_report_version")]

    def save(self, *args, **kwargs):
        # Published is final: a stored version is never rewritten (its file, hash and date stay).
        if not self._state.adding:
            raise ImmutableVersionError("รายงานที่เผยแพร่แล้วแก้ไขไม่ได้ ให้เผยแพร่ฉบับใหม่แทน")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableVersionError("รายงานที่เผยแพร่แล้วลบไม่ได้")


class ImmutableVersionError(Exception):
    """A published version was asked to change or go away."""


class RenderJob(models.Model):
    """A PDF rendered in the background by a worker (reports/tasks.py), never in a web request.

    The task queue (django-tasks-db) runs it; this row is what users see: its state, and the
    PDF (a cached draft, or the published version) once it is done. At most one job per report
    and purpose is queued or running at a time.
    """

    class Purpose(models.TextChoices):
        PREVIEW = "preview", "ฉบับร่าง"
        PUBLISH = "publish", "เผยแพร่"

    class JobState(models.TextChoices):
        QUEUED = "queued", "รอคิว"
        RUNNING = "running", "กำลังสร้างรายงาน"
        DONE = "done", "เสร็จแล้ว"
        FAILED = "failed", "ไม่สำเร็จ"

    ACTIVE = (JobState.QUEUED, JobState.RUNNING)

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="render_jobs")
    year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="render_jobs")
    kind = models.CharField("ประเภทรายงาน", max_length=20, choices=Kind.choices)
    purpose = models.CharField("งาน", max_length=10, choices=Purpose.choices)
    state = models.CharField("สถานะ", max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    data_hash = models.CharField(max_length=64, blank=True)
    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    pdf_path = models.CharField(max_length=300, blank=True)
    version = models.ForeignKey(PublishedVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    peak_rss_kb = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "งานสร้างรายงาน"
        verbose_name_plural = "งานสร้างรายงาน"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agency", "year", "kind", "purpose", "-created_at"]),
            models.Index(fields=["state", "started_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "kind", "purpose"],
                condition=models.Q(state__in=["queued", "running"]),
                name="uniq_active_render_job",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.kind} {self.year_id} {self.agency_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE


class SectionKind(models.TextChoices):
    COVER = "cover", "หน้าปก"
    TITLE = "title", "ชื่อรายงาน"
    FOREWORD = "foreword", "คำนำ"
    TOC = "toc", "สารบัญ"
    TEXT = "text", "ข้อความ"
    INTRO = "intro", "หลักการและเหตุผล (จากแผน)"
    ANALYSIS = "analysis", "การวิเคราะห์ผลการประเมิน"
    MEASURES = "measures", "ตารางมาตรการ"
    PHOTOS = "photos", "ภาพประกอบ"
    SCORE_TABLE = "score_table", "ตารางเปรียบเทียบคะแนน"
    CHART = "chart", "กราฟคะแนนรายปี"
    RECOMMENDATIONS = "recommendations", "ข้อเสนอแนะ"
    SIGNATORY = "signatory", "ผู้ลงนาม"


class ReportSection(models.Model):
    """One section of a report, in the agency's order: a block built from the data, or its own text.

    `anchor` ties a text to a place inside the analysis (e.g. "indicator:7" under indicator 7's line,
    "urgent", "assessor"); a section with an anchor is printed there instead of in the sequence.
    `body` is sanitised HTML (reports/sections.py): paragraphs, lists, bold, simple tables.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField("ส่วน", max_length=20, choices=SectionKind.choices)
    title = models.CharField("หัวข้อ", max_length=500, blank=True)
    body = models.TextField("ข้อความ", blank=True)
    anchor = models.CharField("ตำแหน่งในรายงานการวิเคราะห์", max_length=40, blank=True)
    # Bumped on every edit: a form opened on an older version is refused, not saved over a colleague's text.
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = "ส่วนของรายงาน"
        verbose_name_plural = "ส่วนของรายงาน"
        ordering = ["report", "order", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.order} {self.kind} {self.title[:40]}"
