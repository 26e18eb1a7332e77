"""The OIT evidence page: the year's O-items (as data), each agency's evidence, link checks, snapshots.

The list of items changes from year to year (docs/domain.md §8), so items are rows per FiscalYear,
seeded for 2566 by migration and edited in the admin; each item may name last year's item it
continues (`predecessor`) and the published report kinds that answer it (`auto_kinds`).
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from agencies.models import Agency, Division
from assessments.models import FiscalYear
from reports.models import Report


class Period(models.TextChoices):
    CURRENT = "current", "ปีงบประมาณปัจจุบัน"
    PREVIOUS = "previous", "ปีงบประมาณที่ผ่านมา"
    FIRST_HALF = "first_half", "ครึ่งปีแรกของปีงบประมาณปัจจุบัน"


# The fiscal year an item's evidence must cover, relative to the item's year.
PERIOD_YEAR_OFFSET = {Period.CURRENT: 0, Period.PREVIOUS: -1, Period.FIRST_HALF: 0}


class OitItem(models.Model):
    year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="oit_items")
    code = models.CharField("รหัสข้อ", max_length=10)  # O1 … O43
    order = models.PositiveSmallIntegerField("ลำดับ", default=0)
    title = models.CharField("ชื่อข้อ", max_length=300)
    criteria = models.TextField("รายละเอียด/เกณฑ์", blank=True)
    sub_indicator = models.CharField("ตัวชี้วัดย่อย", max_length=200, blank=True)
    period = models.CharField("ช่วงเวลาของหลักฐาน", max_length=12, choices=Period.choices, default=Period.CURRENT)
    predecessor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name="ข้อที่ตรงกันของปีก่อน",
    )
    # The rule linking published reports to the item: [{"kind": "annual", "year_offset": 0}, …].
    # year_offset is relative to the year the period asks for (O42: last year's analysis report
    # carries this year's measures).
    auto_kinds = models.JSONField("รายงานที่เผยแพร่แล้วที่ใช้เป็นหลักฐานโดยอัตโนมัติ", default=list, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "ข้อ OIT"
        verbose_name_plural = "ข้อ OIT"
        ordering = ["year", "order"]
        constraints = [models.UniqueConstraint(fields=["year", "code"], name="uniq_oit_item_per_year")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def evidence_be_year(self) -> int:
        """The fiscal year (พ.ศ.) the item's evidence must cover."""
        return self.year.be_year + PERIOD_YEAR_OFFSET[Period(self.period)]

    def auto_rules(self) -> list[tuple[str, int]]:
        """(report kind, fiscal year พ.ศ.) pairs whose published report answers the item."""
        rules = []
        for rule in self.auto_kinds or []:
            if isinstance(rule, str):
                rule = {"kind": rule}
            rules.append((rule["kind"], self.evidence_be_year + int(rule.get("year_offset", 0))))
        return rules


class Source(models.TextChoices):
    REPORT = "report", "รายงานที่เผยแพร่ในระบบ"
    FILE = "file", "ไฟล์ที่อัปโหลด"
    URL = "url", "ลิงก์ภายนอก"


def evidence_upload_to(instance, filename: str) -> str:
    # The name is chosen by the service (ASCII); the storage keeps it unique.
    return f"oit/{instance.agency.code}/{instance.item.year.be_year}/{filename}"


class OitEvidence(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="oit_evidence")
    item = models.ForeignKey(OitItem, on_delete=models.PROTECT, related_name="evidence", verbose_name="ข้อ OIT")
    source = models.CharField("ประเภทหลักฐาน", max_length=10, choices=Source.choices)
    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="รายงาน"
    )
    file = models.FileField("ไฟล์", upload_to=evidence_upload_to, max_length=300, blank=True)
    file_ext = models.CharField(max_length=5, blank=True)  # pdf, jpg, png
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    url = models.URLField("ลิงก์", max_length=1000, blank=True)
    title = models.CharField("ชื่อหลักฐาน", max_length=300)
    division = models.ForeignKey(
        Division, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="กอง/สำนักที่รับผิดชอบ"
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "หลักฐาน OIT"
        verbose_name_plural = "หลักฐาน OIT"
        ordering = ["item__order", "added_at", "id"]
        indexes = [models.Index(fields=["agency", "item"])]

    def __str__(self) -> str:
        return f"{self.item.code} {self.title}"


class LinkCheck(models.Model):
    """One check of an external link, kept with its time (the newest is the link's state)."""

    evidence = models.ForeignKey(OitEvidence, on_delete=models.CASCADE, related_name="checks")
    url = models.URLField(max_length=1000)
    checked_at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    final_url = models.URLField(max_length=1000, blank=True)
    problem = models.CharField("ปัญหา", max_length=300, blank=True)

    class Meta:
        verbose_name = "ผลตรวจลิงก์"
        verbose_name_plural = "ผลตรวจลิงก์"
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["evidence", "-checked_at"])]


class OitSnapshot(models.Model):
    """The page of a year frozen as the assessors saw it: its JSON index in storage, with file hashes."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="oit_snapshots")
    year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    path = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "ภาพหน้า OIT ที่บันทึกไว้"
        verbose_name_plural = "ภาพหน้า OIT ที่บันทึกไว้"
        ordering = ["agency", "year", "-number"]
        constraints = [models.UniqueConstraint(fields=["agency", "year", "number"], name="uniq_oit_snapshot")]
