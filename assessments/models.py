"""The ITA framework per fiscal year (as data) and each agency's assessment results.

Tools, indicators, questions, weights, rating bands and the seven issues change from year to
year, so they are rows per FiscalYear, seeded by migration; a new year is opened from the previous
one on /national/years/ (services_years.py) and edited there until confirmed.
"""

from decimal import Decimal

from django.db import models
from simple_history.models import HistoricalRecords

from agencies.models import Agency
from ita_portal.fields import TEXT_LONG, TEXT_SHORT, BoundedTextField, text_length_checks


class FiscalYear(models.Model):
    """ปีงบประมาณ, named by its พ.ศ. year (FY 2567 = 1 ต.ค. 2566 – 30 ก.ย. 2567)."""

    be_year = models.PositiveSmallIntegerField("ปีงบประมาณ (พ.ศ.)", unique=True)
    six_month_due = models.DateField("กำหนดส่งรายงานรอบ 6 เดือน", null=True, blank=True)
    annual_due = models.DateField("กำหนดส่งรายงานประจำปี", null=True, blank=True)
    is_current = models.BooleanField("ปีปัจจุบัน", default=False)
    target_score = models.DecimalField("คะแนนเป้าหมาย", max_digits=5, decimal_places=2, default=Decimal("85"))
    confirmed = models.BooleanField("ยืนยันกรอบการประเมินแล้ว", default=True)
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name="คัดลอกกรอบการประเมินจากปี",
    )

    class Meta:
        verbose_name = "ปีงบประมาณ"
        verbose_name_plural = "ปีงบประมาณ"
        ordering = ["be_year"]

    def __str__(self) -> str:
        return f"ปีงบประมาณ พ.ศ. {self.be_year}"

    def natural_key(self):
        return (self.be_year,)

    @property
    def unconfirmed_notice(self) -> str:
        """The banner wherever this year's rules are used, while its framework is a copy not yet confirmed."""
        if self.confirmed:
            return ""
        source = f" — คัดลอกจากปี {self.copied_from.be_year}" if self.copied_from_id else ""
        return f"กรอบการประเมินปีนี้ยังไม่ยืนยัน{source}"


class Tool(models.Model):
    year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="tools")
    code = models.CharField("รหัส", max_length=10)  # IIT, EIT, OIT
    name = models.CharField("ชื่อแบบวัด", max_length=200)
    weight = models.DecimalField("น้ำหนัก (ร้อยละ)", max_digits=5, decimal_places=2, null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    predecessor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name="รายการเดิมของปีก่อน",
    )

    class Meta:
        verbose_name = "แบบวัด"
        verbose_name_plural = "แบบวัด"
        ordering = ["year", "order"]
        constraints = [models.UniqueConstraint(fields=["year", "code"], name="uniq_tool_per_year")]

    def __str__(self) -> str:
        return self.code


class Indicator(models.Model):
    year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="indicators")
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="indicators")
    number = models.PositiveSmallIntegerField("ตัวชี้วัดที่")
    name = models.CharField("ชื่อตัวชี้วัด", max_length=200)
    predecessor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name="รายการเดิมของปีก่อน",
    )

    class Meta:
        verbose_name = "ตัวชี้วัด"
        verbose_name_plural = "ตัวชี้วัด"
        ordering = ["year", "number"]
        constraints = [models.UniqueConstraint(fields=["year", "number"], name="uniq_indicator_per_year")]

    def __str__(self) -> str:
        return f"ตัวชี้วัดที่ {self.number} {self.name}"


class Question(models.Model):
    year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="questions")
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="questions")
    indicator = models.ForeignKey(Indicator, on_delete=models.SET_NULL, null=True, blank=True, related_name="questions")
    code = models.CharField("รหัสข้อ", max_length=10)  # I1…, E1…, O1…
    text = BoundedTextField("ข้อคำถาม", max_length=TEXT_SHORT)
    predecessor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name="รายการเดิมของปีก่อน",
    )

    class Meta:
        verbose_name = "ข้อคำถาม"
        verbose_name_plural = "ข้อคำถาม"
        ordering = ["year", "tool__order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="uniq_question_per_year"),
            *text_length_checks("question", {"text": TEXT_SHORT}),
        ]

    def __str__(self) -> str:
        return self.code


class RatingBand(models.Model):
    """One level of a year's rating rule; bands are tried in order, the first that holds wins.

    A band holds when overall ≥ min_overall and, if min_each_tool is set, every tool score
    ≥ min_each_tool. Letter grades (≤ 2565) leave min_each_tool empty; the pass levels of
    2566 onward use it for ผ่านดีเยี่ยม and ผ่านดี.
    """

    year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="rating_bands")
    label = models.CharField("ระดับ", max_length=50)
    min_overall = models.DecimalField("คะแนนรวมขั้นต่ำ", max_digits=5, decimal_places=2)
    min_each_tool = models.DecimalField("คะแนนขั้นต่ำทุกแบบวัด", max_digits=5, decimal_places=2, null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    confirmed = models.BooleanField("ยืนยันจากเอกสาร ป.ป.ช.", default=True)

    class Meta:
        verbose_name = "เกณฑ์ระดับผลการประเมิน"
        verbose_name_plural = "เกณฑ์ระดับผลการประเมิน"
        ordering = ["year", "order"]

    def __str__(self) -> str:
        return f"{self.year.be_year} {self.label}"


class Issue(models.Model):
    """One of the seven issues (ประเด็น) measures are grouped by."""

    year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="issues")
    number = models.PositiveSmallIntegerField("ประเด็นที่")
    title = models.CharField("ชื่อประเด็น", max_length=300)

    class Meta:
        verbose_name = "ประเด็น"
        verbose_name_plural = "ประเด็น"
        ordering = ["year", "number"]
        constraints = [models.UniqueConstraint(fields=["year", "number"], name="uniq_issue_per_year")]

    def __str__(self) -> str:
        return f"{self.number}) {self.title}"


class AssessmentResultQuerySet(models.QuerySet):
    def for_agency(self, agency):
        return self.filter(agency=agency)


class AssessmentResult(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="results")
    year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="results")
    overall = models.DecimalField("คะแนนรวม", max_digits=5, decimal_places=2, null=True, blank=True)
    level_awarded = models.CharField("ระดับที่ได้รับ (ตามประกาศ)", max_length=50, blank=True)
    # Covers the result and all its scores: the form edits them together (ita_portal/edits.py).
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = AssessmentResultQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "ผลการประเมิน"
        verbose_name_plural = "ผลการประเมิน"
        ordering = ["agency_id", "year__be_year"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="uniq_result_per_agency_year"),
            models.CheckConstraint(
                condition=models.Q(overall__isnull=True) | models.Q(overall__gte=0, overall__lte=100),
                name="result_overall_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} {self.year.be_year}"


class ToolScore(models.Model):
    result = models.ForeignKey(AssessmentResult, on_delete=models.CASCADE, related_name="tool_scores")
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT)
    score = models.DecimalField("คะแนน", max_digits=5, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["result", "tool"], name="uniq_tool_score"),
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=100), name="tool_score_0_100"),
        ]


class IndicatorScore(models.Model):
    result = models.ForeignKey(AssessmentResult, on_delete=models.CASCADE, related_name="indicator_scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT)
    score = models.DecimalField("คะแนน", max_digits=5, decimal_places=2)
    remedy = BoundedTextField("แนวทางการแก้ไข", max_length=TEXT_LONG, blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["result", "indicator"], name="uniq_indicator_score"),
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=100), name="indicator_score_0_100"),
            *text_length_checks("indicatorscore", {"remedy": TEXT_LONG}),
        ]


class QuestionScore(models.Model):
    result = models.ForeignKey(AssessmentResult, on_delete=models.CASCADE, related_name="question_scores")
    question = models.ForeignKey(Question, on_delete=models.PROTECT)
    score = models.DecimalField("คะแนน", max_digits=5, decimal_places=2)
    remedy = BoundedTextField("แนวทางการแก้ไข", max_length=TEXT_LONG, blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["result", "question"], name="uniq_question_score"),
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=100), name="question_score_0_100"),
            *text_length_checks("questionscore", {"remedy": TEXT_LONG}),
        ]
