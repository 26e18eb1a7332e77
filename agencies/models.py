"""Agencies, their divisions, and who may do what in them.

This app sits at the bottom of the dependency chain: assessments, measures and reports
all depend on it, and it depends on none of them.
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class AgencyKind(models.TextChoices):
    SAO = "SAO", "องค์การบริหารส่วนตำบล"
    TM = "TM", "เทศบาลตำบล"
    MM = "MM", "เทศบาลเมือง"
    NM = "NM", "เทศบาลนคร"
    PAO = "PAO", "องค์การบริหารส่วนจังหวัด"


AGENCY_KIND_SHORT = {
    AgencyKind.SAO: "อบต.",
    AgencyKind.TM: "ทต.",
    AgencyKind.MM: "ทม.",
    AgencyKind.NM: "ทน.",
    AgencyKind.PAO: "อบจ.",
}


class AgencyQuerySet(models.QuerySet):
    def real(self):
        return self.filter(is_synthetic=False)


class Agency(models.Model):
    code = models.SlugField("รหัสหน่วยงาน", max_length=64, unique=True)
    kind = models.CharField("ประเภท", max_length=3, choices=AgencyKind.choices)
    name = models.CharField("ชื่อหน่วยงาน", max_length=200)
    district = models.CharField("อำเภอ", max_length=100, blank=True)
    province = models.CharField("จังหวัด", max_length=100, blank=True, db_index=True)
    website = models.URLField("เว็บไซต์", blank=True)
    phone = models.CharField("โทรศัพท์ติดต่อ", max_length=50, blank=True)
    email = models.EmailField("อีเมลติดต่อ", blank=True)
    is_synthetic = models.BooleanField("ข้อมูลสังเคราะห์", default=False)

    objects = AgencyQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "หน่วยงาน"
        verbose_name_plural = "หน่วยงาน"
        ordering = ["province", "name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self):
        return (self.code,)

    @property
    def short_kind(self) -> str:
        return AGENCY_KIND_SHORT.get(self.kind, "")

    @property
    def place(self) -> str:
        parts = []
        if self.district:
            parts.append(f"อำเภอ{self.district}")
        if self.province:
            parts.append(f"จังหวัด{self.province}")
        return " ".join(parts)


class DivisionQuerySet(models.QuerySet):
    def for_agency(self, agency):
        return self.filter(agency=agency)


class Division(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="divisions", verbose_name="หน่วยงาน")
    name = models.CharField("ชื่อกอง/สำนัก", max_length=200)
    order = models.PositiveSmallIntegerField("ลำดับ", default=0)
    version = models.PositiveIntegerField(default=1, editable=False)  # ita_portal/edits.py

    objects = DivisionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "กอง/สำนัก"
        verbose_name_plural = "กอง/สำนัก"
        ordering = ["agency_id", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="uniq_division_name_per_agency")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "ผู้ประสานงาน ITA"
    STAFF = "staff", "เจ้าหน้าที่กอง/สำนัก"
    EXECUTIVE = "executive", "ผู้บริหาร"
    VIEWER = "viewer", "ผู้อ่านอย่างเดียว"


class Membership(models.Model):
    """A user's role in one agency; staff are bound to one or more divisions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships", verbose_name="หน่วยงาน")
    role = models.CharField("บทบาท", max_length=20, choices=Role.choices)
    divisions = models.ManyToManyField(Division, blank=True, verbose_name="กอง/สำนัก")
    position = models.CharField("ตำแหน่ง", max_length=200, blank=True)
    # Raised by each save of role/position/divisions: a form opened on an older one is refused
    # (as progress does, measures/services.progress_save).
    version = models.PositiveIntegerField(default=1, editable=False)
    # An executive role given by a coordinator (new account, invitation, role change) approves
    # reports only once an administrator or an oversight office over the agency confirms it
    # (agencies/selectors_accounts.approval_refusal, services_accounts.membership_confirm).
    needs_confirmation = models.BooleanField("รอยืนยันบทบาทผู้บริหาร", default=False)

    history = HistoricalRecords(m2m_fields=[divisions])

    class Meta:
        verbose_name = "สมาชิกหน่วยงาน"
        verbose_name_plural = "สมาชิกหน่วยงาน"
        constraints = [models.UniqueConstraint(fields=["user", "agency"], name="uniq_membership_per_agency")]

    def __str__(self) -> str:
        return f"{self.user} · {self.agency} · {self.get_role_display()}"


class OversightScope(models.Model):
    """Read access to many agencies: a province, a district, or the whole country (both blank)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oversight_scopes")
    title = models.CharField("ชื่อสำนักงาน", max_length=200)
    province = models.CharField("จังหวัด", max_length=100, blank=True)
    district = models.CharField("อำเภอ", max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "สิทธิ์กำกับดูแล"
        verbose_name_plural = "สิทธิ์กำกับดูแล"

    def __str__(self) -> str:
        return self.title


class AccountEvent(models.Model):
    """Something done to a user's account (sign-in, password, e-mail): who, what, when.

    Shown on the agency's audit page. A coordinator's action is recorded under the coordinator's
    agency; a user's own (a changed password, a reset from an e-mailed link) once under each
    agency the user belongs to at the time.
    """

    class Action(models.TextChoices):
        EMAIL_CHANGED = "email_changed", "เปลี่ยนอีเมล"
        PASSWORD_SET = "password_set", "ผู้ประสานงานตั้งรหัสผ่านชั่วคราว"
        PASSWORD_CHANGED = "password_changed", "เปลี่ยนรหัสผ่าน"
        PASSWORD_RESET = "password_reset", "ตั้งรหัสผ่านใหม่จากลิงก์ในอีเมล"
        UNLOCKED = "unlocked", "ปลดล็อกการเข้าสู่ระบบ"
        CONTACT_CHANGED = "contact_changed", "เปลี่ยนช่องทางรับการแจ้งเตือน"
        ACCOUNT_CREATED = "account_created", "ผู้ประสานงานสร้างบัญชีพร้อมรหัสผ่านชั่วคราว"
        EXECUTIVE_CONFIRMED = "executive_confirmed", "ยืนยันบทบาทผู้บริหาร (ผู้ดูแลระบบหรือหน่วยงานกำกับดูแล)"
        EXECUTIVE_DECLINED = "executive_declined", "ไม่ยืนยันบทบาทผู้บริหาร (เปลี่ยนเป็นผู้อ่านอย่างเดียว)"
        EXECUTIVE_ROLE_SET = "executive_role_set", "ผู้ประสานงานกำหนดบทบาทผู้บริหาร"
        INVITED = "invited", "ส่งคำเชิญเข้าร่วมหน่วยงาน"
        INVITATION_ACCEPTED = "invitation_accepted", "ตอบรับคำเชิญด้วยบัญชีเดิม"
        ACCOUNT_REGISTERED = "account_registered", "สร้างบัญชีจากคำเชิญและตั้งรหัสผ่านเอง"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="account_events"
    )
    username = models.CharField("ชื่อผู้ใช้", max_length=150)
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="account_events", verbose_name="หน่วยงาน"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField("การกระทำ", max_length=30, choices=Action.choices)
    note = models.CharField("หมายเหตุ", max_length=300, blank=True)
    created_at = models.DateTimeField("เวลา", auto_now_add=True)

    class Meta:
        verbose_name = "เหตุการณ์บัญชีผู้ใช้"
        verbose_name_plural = "เหตุการณ์บัญชีผู้ใช้"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.username} · {self.get_action_display()}"
