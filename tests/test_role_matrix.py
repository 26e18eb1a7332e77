"""Every URL × every role, enumerated from the URL configuration so that no view is forgotten.

Each named URL of the project (the admin's included) has a case below: what each persona gets on
GET and on POST, and for the writing views which personas' POST actually changes the database.
A URL added without a case makes `test_every_url_has_a_case` fail with its name.

Personas (the demo, agency khao-samo-khon): anonymous, division staff of สำนักปลัด (A) and of
กองคลัง (B), coordinator, executive, viewer, the ลพบุรี oversight office, and the coordinator of
another agency (pak-kran). Object ids are those of a measure that only สำนักปลัด answers for.
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Invitation
from accounts.services_invitations import invitation_token
from agencies.models import AccountEvent, Agency, Division, Membership
from assessments.models import AssessmentResult, FiscalYear
from measures import photo_stash
from measures.models import Activity, EvidencePhoto, Measure, Plan, Progress, RoundSchedule
from notifications.models import LineChannel, OutboundMessage
from oit.models import OitEvidence, OitItem, OitSnapshot
from reports.models import PublishedVersion, RenderJob, Report, State

A = "khao-samo-khon"
ROLES = {
    "anonymous": None,
    "staff_a": "ksk-staff1",  # สำนักปลัด: answers for the measure under test
    "staff_b": "ksk-staff2",  # กองคลัง: does not
    "coordinator": "ksk-coord",
    "executive": "ksk-exec",
    "viewer": "ksk-viewer",
    "oversight": "lopburi-office",
    "other_coordinator": "pkr-coord",
}

OK, LOGIN, ADMIN_LOGIN = "ok", "login", "admin-login"


def policy(default, **per_role):
    return {role: per_role.get(role, default) for role in ROLES}


# Who gets what: one row per kind of view.
PUBLIC = policy(OK)
SIGNED_IN = policy(OK, anonymous=LOGIN)
READ_AGENCY = policy(OK, anonymous=LOGIN, other_coordinator=404)
READ_MEASURE_A = policy(OK, anonymous=LOGIN, staff_b=403, other_coordinator=404)
READ_WHOLE_AGENCY = policy(OK, anonymous=LOGIN, staff_a=403, staff_b=403, other_coordinator=404)
MANAGE = policy(403, anonymous=LOGIN, coordinator=OK, other_coordinator=404)
EDIT_PROGRESS_A = policy(403, anonymous=LOGIN, staff_a=OK, coordinator=OK, other_coordinator=404)
APPROVE = policy(403, anonymous=LOGIN, executive=OK, other_coordinator=404)
# require_POST answers before the agency is looked up: 405 for every signed-in user.
POST_ONLY = policy(405, anonymous=LOGIN)
# Refusals the services give as a Thai message on the next page (302) rather than a 403.
PUBLISH = policy(OK, anonymous=LOGIN, other_coordinator=404)
# The audit trail: coordinators and executives.
AUDIT = policy(403, anonymous=LOGIN, coordinator=OK, executive=OK, other_coordinator=404)
# National score sheets (every agency's scores): Django staff or superusers only, no portal role.
NATIONAL = policy(403, anonymous=LOGIN)
# Pages across agencies: only users with an oversight scope.
OVERSIGHT_ONLY = policy(403, anonymous=LOGIN, oversight=OK)

NOBODY: frozenset[str] = frozenset()
COORDINATOR = frozenset({"coordinator"})


@dataclass
class World:
    """The objects the URLs name: a measure only สำนักปลัด answers for, its activity, a photo…"""

    measure: Measure
    activity: Activity
    photo: EvidencePhoto
    division: Division
    viewer_membership: Membership
    report: Report
    version: PublishedVersion
    kept_token: str  # a photo staff_a picked before a refused save (measures/photo_stash.py)


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def world(db, monkeypatch) -> World:
    # PDFs are not what this file tests (tests/test_reports.py does): render a stub.
    monkeypatch.setattr("reports.services.render_pdf", lambda *a, **k: b"%PDF-1.4\n%stub\n", raising=False)
    agency = Agency.objects.get(code=A)
    year = FiscalYear.objects.get(be_year=2567)
    palat = Division.objects.get(agency=agency, name="สำนักปลัด")
    measure = Measure.objects.create(agency=agency, year=year, order=99, title="มาตรการของสำนักปลัดเท่านั้น")
    measure.divisions.set([palat])
    activity = Activity.objects.create(measure=measure, order=1, title="กิจกรรมของสำนักปลัด")
    progress = Progress.objects.create(measure=measure, round="annual", status="in_progress")
    photo = EvidencePhoto(progress=progress, caption="ภาพทดสอบ")
    photo.image.save("p.jpg", ContentFile(jpeg()), save=False)
    photo.save()
    report, _ = Report.objects.get_or_create(agency=agency, year=year, kind="annual")
    version = PublishedVersion(report=report, version=1, sha256="0" * 64, size=10, data_hash="0" * 64)
    version.pdf.save("v1.pdf", ContentFile(b"%PDF-1.4\n%published\n"), save=False)
    version.save()
    return World(
        measure=measure,
        activity=activity,
        photo=photo,
        division=Division.objects.get(agency=agency, name="กองช่าง"),
        viewer_membership=Membership.objects.get(agency=agency, user__username="ksk-viewer"),
        report=report,
        version=version,
        kept_token=photo_stash.photo_stash_add(
            token=None,
            user_id=Membership.objects.get(agency=agency, user__username=ROLES["staff_a"]).user_id,
            agency_id=agency.pk,
            photos=[(ContentFile(jpeg()), "")],
        ),
    )


def progress_form(**extra):
    return {
        "status": "done",
        "output": "ผลงานทดสอบสิทธิ์",
        "completed_on": "31/03/2567",
        "photo-TOTAL_FORMS": "0",
        "photo-INITIAL_FORMS": "0",
        "link-TOTAL_FORMS": "0",
        "link-INITIAL_FORMS": "0",
        **extra,
    }


@dataclass
class Case:
    name: str
    get: dict
    post: dict
    kwargs: Callable[[World], dict] = lambda w: {}
    data: Callable[[World], dict] = lambda w: {}
    # For views that write: a value read before and after the POST, and who may change it.
    effect: Callable[[World], object] | None = None
    writers: frozenset[str] = NOBODY
    setup: Callable[[World], None] | None = None
    query: str = ""
    id: str = field(default="")

    def __post_init__(self):
        self.id = self.id or self.name


def code(w):
    return {"code": A}


def measure_kw(w):
    return {"code": A, "pk": w.measure.pk}


def activity_kw(w):
    return {"code": A, "pk": w.measure.pk, "aid": w.activity.pk}


def report_kw(w):
    return {"code": A, "be_year": 2567, "kind": "annual"}


def failed_message() -> OutboundMessage:
    """A message of agency A that the sender gave up on (the coordinator may resend it)."""
    message, _ = OutboundMessage.objects.get_or_create(
        subject="ส่งไม่สำเร็จทดสอบสิทธิ์",
        defaults={
            "recipient": get_user_model().objects.get(username="ksk-viewer"),
            "agency": Agency.objects.get(code=A),
            "channel": "email",
            "address": "viewer@example.org",
            "body": "ข้อความ",
            "status": OutboundMessage.Status.FAILED,
            "next_attempt_at": timezone.now(),
        },
    )
    return message


OIT_YEAR = 2566


def oit_kw(w):
    return {"code": A, "be_year": OIT_YEAR}


def oit_item(code: str = "O1") -> OitItem:
    return OitItem.objects.get(year__be_year=OIT_YEAR, code=code)


def oit_url_evidence() -> OitEvidence:
    evidence, _ = OitEvidence.objects.get_or_create(
        agency=Agency.objects.get(code=A),
        item=oit_item("O5"),
        source="url",
        title="ช่องทางติดต่อทดสอบสิทธิ์",
        defaults={"url": "https://example.org/contact"},
    )
    return evidence


def oit_file_evidence() -> OitEvidence:
    evidence = OitEvidence.objects.filter(title="ไฟล์ทดสอบสิทธิ์").first()
    if evidence is None:
        evidence = OitEvidence(
            agency=Agency.objects.get(code=A), item=oit_item("O6"), source="file", title="ไฟล์ทดสอบสิทธิ์"
        )
        evidence.file_ext = "pdf"
        evidence.file.save("o6-test.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        evidence.save()
    return evidence


def oit_snapshot_kw(w):
    from oit.services import oit_snapshot_create

    agency, year = Agency.objects.get(code=A), FiscalYear.objects.get(be_year=OIT_YEAR)
    snapshot = OitSnapshot.objects.filter(agency=agency, year=year).first() or oit_snapshot_create(
        agency=agency, year=year
    )
    return {**oit_kw(w), "number": snapshot.number}


def oit_snapshot_file_kw(w):
    from oit.selectors import snapshot_document
    from oit.services import oit_snapshot_create

    evidence = oit_file_evidence()
    agency, year = Agency.objects.get(code=A), FiscalYear.objects.get(be_year=OIT_YEAR)
    key = f"{evidence.pk}.pdf"
    snapshots = OitSnapshot.objects.filter(agency=agency, year=year)
    frozen = next((s for s in snapshots if key in snapshot_document(s).get("files", {})), None)
    snapshot = frozen or oit_snapshot_create(agency=agency, year=year)
    return {**oit_kw(w), "number": snapshot.number, "pk": evidence.pk, "ext": "pdf"}


def set_report_state(state):
    def setup(w):
        Report.objects.filter(pk=w.report.pk).update(state=state)

    return setup


def set_report_approved(w):
    """Approved on its current content (reports.selectors.approval_hash), so that it may be published."""
    from reports.selectors import approval_hash, report_context

    report = Report.objects.get(pk=w.report.pk)
    Report.objects.filter(pk=report.pk).update(
        state=State.APPROVED, approved_hash=approval_hash(report_context(report=report))
    )


def matrix_invitation() -> Invitation:
    invitation, _ = Invitation.objects.get_or_create(
        agency=Agency.objects.get(code=A), email="matrix-invited@example.org", defaults={"role": "viewer"}
    )
    return invitation


def pending_executive() -> Membership:
    """An executive of agency A that a coordinator set up, awaiting the oversight office's confirmation."""
    user, _ = get_user_model().objects.get_or_create(username=f"{A}.matrix-exec")
    membership, _ = Membership.objects.get_or_create(
        user=user, agency=Agency.objects.get(code=A), defaults={"role": "executive", "needs_confirmation": True}
    )
    return membership


def report_state(w):
    return Report.objects.get(pk=w.report.pk).state


def _plan_version(code: str, be_year: int) -> str:
    """The version an edit form of the year's plan carries ('' when there is no plan yet)."""
    plan = Plan.objects.filter(agency__code=code, year__be_year=be_year).first()
    return str(plan.version) if plan else ""


CASES = [
    Case("home", get=SIGNED_IN, post=SIGNED_IN),
    Case("login", get=PUBLIC, post=PUBLIC),
    Case("logout", get=POST_ONLY, post=policy(OK, anonymous=LOGIN)),
    # agencies
    Case(
        "agencies:divisions",
        get=MANAGE,
        post=MANAGE,
        kwargs=code,
        data=lambda w: {"name": "กองทดสอบสิทธิ์"},
        effect=lambda w: Division.objects.filter(agency__code=A, name="กองทดสอบสิทธิ์").exists(),
        writers=COORDINATOR,
    ),
    Case(
        "agencies:division_edit",
        get=POST_ONLY,
        post=MANAGE,
        kwargs=lambda w: {"code": A, "pk": w.division.pk},
        data=lambda w: {"action": "rename", "name": "กองช่างใหม่", "version": w.division.version},
        effect=lambda w: Division.objects.get(pk=w.division.pk).name,
        writers=COORDINATOR,
    ),
    Case("agencies:members", get=MANAGE, post=MANAGE, kwargs=code),
    Case(
        "agencies:profile",
        get=MANAGE,
        post=MANAGE,
        kwargs=code,
        data=lambda w: {"kind": "SAO", "name": "ชื่อทดสอบสิทธิ์", "province": "ลพบุรี"},
        effect=lambda w: Agency.objects.get(code=A).name,
        writers=COORDINATOR,
    ),
    Case(
        "agencies:member_create",
        get=MANAGE,
        post=MANAGE,
        kwargs=code,
        data=lambda w: {
            "username": "matrix-user",
            "first_name": "ทดสอบ",
            "password": "a-Long-pass-2567",
            "role": "viewer",
        },
        effect=lambda w: Membership.objects.filter(user__username=f"{A}.matrix-user").exists(),
        writers=COORDINATOR,
    ),
    Case(
        "agencies:member_edit",
        get=MANAGE,
        post=MANAGE,
        kwargs=lambda w: {"code": A, "pk": w.viewer_membership.pk},
        data=lambda w: {"role": "viewer", "position": "ตำแหน่งใหม่"},
        effect=lambda w: Membership.objects.get(pk=w.viewer_membership.pk).position,
        writers=COORDINATOR,
    ),
    Case(
        "agencies:member_remove",
        get=POST_ONLY,
        post=MANAGE,
        kwargs=lambda w: {"code": A, "pk": w.viewer_membership.pk},
        effect=lambda w: Membership.objects.filter(pk=w.viewer_membership.pk).exists(),
        writers=COORDINATOR,
    ),
    Case(
        "agencies:member_password",
        get=MANAGE,
        post=MANAGE,
        kwargs=lambda w: {"code": A, "pk": w.viewer_membership.pk},
        data=lambda w: {"password1": "a-Long-pass-2567", "password2": "a-Long-pass-2567"},
        effect=lambda w: get_user_model().objects.get(pk=w.viewer_membership.user_id).password,
        writers=COORDINATOR,
    ),
    Case(
        "agencies:member_unlock",
        get=POST_ONLY,
        post=MANAGE,
        kwargs=lambda w: {"code": A, "pk": w.viewer_membership.pk},
        effect=lambda w: AccountEvent.objects.filter(user_id=w.viewer_membership.user_id, action="unlocked").count(),
        writers=COORDINATOR,
    ),
    # accounts: one's own account, and the password views (reset ones open to all)
    Case(
        "my_account",
        get=SIGNED_IN,
        post=SIGNED_IN,
        data=lambda w: {"email": "matrix@example.org", "channel": "email"},
        effect=lambda w: get_user_model().objects.filter(email="matrix@example.org").count(),
        writers=frozenset(ROLES) - {"anonymous"},
    ),
    Case("password_change", get=SIGNED_IN, post=SIGNED_IN),
    # Django's "done" pages are templates that answer POST with 405.
    Case("password_change_done", get=SIGNED_IN, post=POST_ONLY),
    Case(
        "password_reset",
        get=PUBLIC,
        post=PUBLIC,
        data=lambda w: {"email": "ksk-viewer@example.org"},
        setup=lambda w: get_user_model().objects.filter(username="ksk-viewer").update(email="ksk-viewer@example.org"),
        # Anyone may ask: the link goes to the account's own e-mail, queued in the outbox.
        effect=lambda w: OutboundMessage.objects.filter(recipient__username="ksk-viewer").count(),
        writers=frozenset(ROLES),
    ),
    Case("password_reset_done", get=PUBLIC, post=policy(405)),
    Case(
        "password_reset_confirm",
        get=PUBLIC,
        post=PUBLIC,
        kwargs=lambda w: {"uidb64": "MQ", "token": "not-a-token"},
        data=lambda w: {"new_password1": "a-Long-pass-2567", "new_password2": "a-Long-pass-2567"},
    ),
    Case("password_reset_complete", get=PUBLIC, post=policy(405)),
    # accounts: invitations (the coordinator names an e-mail address; the link is the capability)
    Case(
        "invitations:new",
        get=MANAGE,
        post=MANAGE,
        kwargs=code,
        data=lambda w: {"email": "matrix@example.org", "role": "viewer"},
        effect=lambda w: Invitation.objects.filter(email="matrix@example.org").count(),
        writers=COORDINATOR,
    ),
    Case(
        "invitations:accept",
        get=PUBLIC,
        post=PUBLIC,  # a refusal (already a member, an empty form) is a page, not an error
        kwargs=lambda w: {"token": invitation_token(matrix_invitation())},
        effect=lambda w: Membership.objects.filter(agency__code=A).count(),
        # Anyone signed in who holds the link joins (members of A already are: refused).
        writers=frozenset({"oversight", "other_coordinator"}),
    ),
    Case(
        "invitations:accept",
        id="invitations:accept forged",
        get=policy(404),
        post=policy(404),
        kwargs=lambda w: {"token": "1:forged:token"},
        effect=lambda w: Membership.objects.filter(agency__code=A).count(),
    ),
    # notifications: the agency's outbox and LINE account, coordinators only
    Case("notifications:outbox", get=MANAGE, post=MANAGE, kwargs=code),
    Case(
        "notifications:retry",
        get=POST_ONLY,
        post=MANAGE,
        kwargs=lambda w: {"code": A, "pk": failed_message().pk},
        effect=lambda w: OutboundMessage.objects.get(subject="ส่งไม่สำเร็จทดสอบสิทธิ์").status,
        writers=COORDINATOR,
    ),
    Case(
        "notifications:line_channel",
        get=MANAGE,
        post=MANAGE,
        kwargs=code,
        data=lambda w: {"access_token": "matrix-token"},
        effect=lambda w: LineChannel.objects.filter(agency__code=A).exists(),
        writers=COORDINATOR,
    ),
    # assessments
    Case(
        "assessments:result_edit",
        get=MANAGE,
        post=MANAGE,
        kwargs=lambda w: {"code": A, "be_year": 2568},
        data=lambda w: {"overall": "88.50"},
        effect=lambda w: AssessmentResult.objects.filter(agency__code=A, year__be_year=2568).exists(),
        writers=COORDINATOR,
    ),
    # measures
    Case("measures:dashboard", get=READ_AGENCY, post=READ_AGENCY, kwargs=code),
    Case("measures:my_work", get=READ_AGENCY, post=READ_AGENCY, kwargs=code),
    Case("measures:list", get=READ_AGENCY, post=READ_AGENCY, kwargs=code),
    Case(
        "measures:create",
        get=MANAGE,
        post=MANAGE,
        kwargs=code,
        data=lambda w: {"title": "มาตรการใหม่ทดสอบสิทธิ์", "year": "2567"},
        effect=lambda w: Measure.objects.filter(title="มาตรการใหม่ทดสอบสิทธิ์").exists(),
        writers=COORDINATOR,
    ),
    Case(
        "measures:copy_year",
        get=MANAGE,
        post=MANAGE,
        kwargs=code,
        query="?year=2568",
        data=lambda w: {"from_year": "2567", "year": "2568"},
        effect=lambda w: Measure.objects.filter(agency__code=A, year__be_year=2568).count(),
        writers=COORDINATOR,
    ),
    Case(
        "measures:plan",
        get=MANAGE,
        post=MANAGE,
        kwargs=code,
        data=lambda w: {"intro": "บทนำทดสอบสิทธิ์", "year": "2567", "version": _plan_version(A, 2567)},
        effect=lambda w: Plan.objects.filter(agency__code=A, intro="บทนำทดสอบสิทธิ์").exists(),
        writers=COORDINATOR,
    ),
    Case("measures:detail", get=READ_MEASURE_A, post=READ_MEASURE_A, kwargs=measure_kw),
    Case(
        "measures:edit",
        get=MANAGE,
        post=MANAGE,
        kwargs=measure_kw,
        data=lambda w: {"title": "ชื่อใหม่ทดสอบสิทธิ์", "version": w.measure.version},
        effect=lambda w: Measure.objects.get(pk=w.measure.pk).title,
        writers=COORDINATOR,
    ),
    Case(
        "measures:delete",
        get=POST_ONLY,
        post=MANAGE,
        kwargs=measure_kw,
        data=lambda w: {"version": w.measure.version},
        effect=lambda w: Measure.objects.filter(pk=w.measure.pk).exists(),
        writers=COORDINATOR,
    ),
    Case(
        "measures:progress",
        get=EDIT_PROGRESS_A,
        post=EDIT_PROGRESS_A,
        kwargs=lambda w: {**measure_kw(w), "round": "six_month"},
        data=lambda w: progress_form(),
        effect=lambda w: Progress.objects.filter(measure=w.measure, activity=None, round="six_month").exists(),
        writers=frozenset({"staff_a", "coordinator"}),
    ),
    Case(
        "measures:activity_create",
        get=MANAGE,
        post=MANAGE,
        kwargs=measure_kw,
        data=lambda w: {"title": "กิจกรรมใหม่ทดสอบสิทธิ์"},
        effect=lambda w: Activity.objects.filter(measure=w.measure).count(),
        writers=COORDINATOR,
    ),
    Case(
        "measures:activity_edit",
        get=MANAGE,
        post=MANAGE,
        kwargs=activity_kw,
        data=lambda w: {"title": "กิจกรรมแก้ไขทดสอบสิทธิ์", "version": w.activity.version},
        effect=lambda w: Activity.objects.get(pk=w.activity.pk).title,
        writers=COORDINATOR,
    ),
    Case(
        "measures:activity_delete",
        get=POST_ONLY,
        post=MANAGE,
        kwargs=activity_kw,
        data=lambda w: {"version": w.activity.version},
        effect=lambda w: Activity.objects.filter(pk=w.activity.pk).exists(),
        writers=COORDINATOR,
    ),
    Case(
        "measures:activity_progress",
        get=EDIT_PROGRESS_A,
        post=EDIT_PROGRESS_A,
        kwargs=lambda w: {**activity_kw(w), "round": "six_month"},
        data=lambda w: progress_form(),
        effect=lambda w: Progress.objects.filter(activity=w.activity, round="six_month").exists(),
        writers=frozenset({"staff_a", "coordinator"}),
    ),
    Case(
        "measures:photo",
        get=READ_MEASURE_A,
        post=READ_MEASURE_A,
        kwargs=lambda w: {"code": A, "photo_id": w.photo.pk},
    ),
    # Following up the round: the board, its reminders (queued, never sent here) and the dates.
    Case("measures:board", get=MANAGE, post=MANAGE, kwargs=code, query="?year=2567&round=six_month"),
    Case(
        "measures:board_remind",
        get=MANAGE,
        post=MANAGE,
        kwargs=code,
        query="?year=2567&round=six_month",
        data=lambda w: {
            "year": "2567",
            "round": "six_month",
            "division": Division.objects.get(agency__code=A, name="สำนักปลัด").pk,
        },
        effect=lambda w: OutboundMessage.objects.filter(agency__code=A).count(),
        writers=COORDINATOR,
    ),
    Case(
        "measures:round_schedule",
        get=MANAGE,
        post=MANAGE,
        kwargs=code,
        data=lambda w: {"year": "2567", "six_month_due": "15/05/2567", "days_before": "7, 1"},
        effect=lambda w: RoundSchedule.objects.filter(agency__code=A).exists(),
        writers=COORDINATOR,
    ),
    # A photo kept after a refused save: for the person who picked it, and no one else.
    Case(
        "measures:kept_photo",
        get=policy(404, anonymous=LOGIN, staff_a=OK),
        post=policy(404, anonymous=LOGIN, staff_a=OK),
        kwargs=lambda w: {"code": A, "token": w.kept_token, "index": 0},
    ),
    # The workbook holds the whole agency: not for division staff; uploads for coordinators.
    Case(
        "measures:workbook",
        get=READ_WHOLE_AGENCY,
        post=policy(403, anonymous=LOGIN, coordinator=OK, other_coordinator=404),
        kwargs=code,
    ),  # noqa: E501
    Case("measures:workbook_template", get=READ_WHOLE_AGENCY, post=READ_WHOLE_AGENCY, kwargs=code),
    Case("measures:workbook_export", get=READ_WHOLE_AGENCY, post=READ_WHOLE_AGENCY, kwargs=code),
    Case(
        "measures:workbook_preview",
        # A token is only valid in the session that uploaded it: 404 for the coordinator too.
        get=policy(403, anonymous=LOGIN, coordinator=404, other_coordinator=404),
        post=policy(403, anonymous=LOGIN, coordinator=404, other_coordinator=404),
        kwargs=lambda w: {"code": A, "token": "0123456789abcdef"},
    ),
    # reports
    Case("reports:list", get=READ_AGENCY, post=READ_AGENCY, kwargs=code),
    Case(
        "reports:detail",
        get=READ_AGENCY,
        post=MANAGE,
        kwargs=report_kw,
        data=lambda w: {
            "title": "ชื่อรายงานทดสอบสิทธิ์",
            "grouping": "issue",
            "columns": ["number", "measure"],
            "strength_threshold": "80",
            "improve_threshold": "85",
        },
        effect=lambda w: Report.objects.get(pk=w.report.pk).title,
        writers=COORDINATOR,
    ),
    # The authoring page: sections, analysis paragraphs and wording; the agency's coordinators only.
    Case(
        "reports:authoring",
        id="reports:authoring add",
        get=MANAGE,
        post=MANAGE,
        kwargs=report_kw,
        data=lambda w: {"op": "add", "kind": "text", "title": "ข้อความทดสอบสิทธิ์"},
        effect=lambda w: list(w.report.sections.values_list("kind", "title")),
        writers=COORDINATOR,
    ),
    Case(
        "reports:authoring",
        id="reports:authoring labels",
        get=MANAGE,
        post=MANAGE,
        kwargs=report_kw,
        data=lambda w: {"op": "labels", "label_score_heading": "หัวข้อทดสอบสิทธิ์"},
        effect=lambda w: Report.objects.get(pk=w.report.pk).labels,
        writers=COORDINATOR,
    ),
    Case(
        "reports:authoring",
        id="reports:authoring text",
        get=MANAGE,
        post=MANAGE,
        kwargs=report_kw,
        data=lambda w: {"op": "text", "anchor": "measures_intro", "body": "ข้อความนำทดสอบสิทธิ์", "version": "0"},
        effect=lambda w: list(w.report.sections.filter(anchor="measures_intro").values_list("body", flat=True)),
        writers=COORDINATOR,
    ),
    Case(
        "reports:authoring",
        id="reports:authoring widths",
        get=MANAGE,
        post=MANAGE,
        kwargs=report_kw,
        data=lambda w: {"op": "widths", "width_measure": "30"},
        effect=lambda w: Report.objects.get(pk=w.report.pk).layout,
        writers=COORDINATOR,
    ),
    # A draft holds every division's progress: not for division staff (see measure_get_for_access).
    Case("reports:preview", get=READ_WHOLE_AGENCY, post=READ_WHOLE_AGENCY, kwargs=report_kw),
    Case("reports:docx", get=READ_WHOLE_AGENCY, post=policy(405, anonymous=LOGIN), kwargs=report_kw),
    Case(
        "reports:action",
        id="reports:action submit",
        get=POST_ONLY,
        post=MANAGE,
        kwargs=lambda w: {**report_kw(w), "action": "submit"},
        effect=report_state,
        writers=COORDINATOR,
    ),
    Case(
        "reports:action",
        id="reports:action approve",
        get=POST_ONLY,
        post=APPROVE,
        kwargs=lambda w: {**report_kw(w), "action": "approve"},
        setup=set_report_state(State.SUBMITTED),
        effect=report_state,
        writers=frozenset({"executive"}),
    ),
    Case(
        "reports:action",
        id="reports:action send_back",
        get=POST_ONLY,
        # The executive sends a proposed report back; the coordinator may withdraw it.
        post=policy(403, anonymous=LOGIN, coordinator=OK, executive=OK, other_coordinator=404),
        kwargs=lambda w: {**report_kw(w), "action": "send_back"},
        data=lambda w: {"comment": "ขอให้แก้ไขตารางผลการดำเนินการ"},
        setup=set_report_state(State.SUBMITTED),
        effect=report_state,
        writers=frozenset({"coordinator", "executive"}),
    ),
    Case(
        "reports:action",
        id="reports:action publish",
        get=POST_ONLY,
        post=PUBLISH,
        kwargs=lambda w: {**report_kw(w), "action": "publish"},
        setup=set_report_approved,
        # Publishing queues the archival rendering for a worker, which stores the new version.
        effect=lambda w: (
            PublishedVersion.objects.filter(report=w.report).count(),
            RenderJob.objects.filter(agency=w.report.agency, purpose=RenderJob.Purpose.PUBLISH).count(),
        ),
        writers=frozenset({"coordinator", "executive"}),
    ),
    Case(
        "reports:action",
        id="reports:action unknown",
        get=POST_ONLY,
        post=policy(404, anonymous=LOGIN),
        kwargs=lambda w: {**report_kw(w), "action": "delete-everything"},
        effect=report_state,
    ),
    Case("audit:log", get=AUDIT, post=AUDIT, kwargs=code),
    # national
    Case("national:score_sheet", get=NATIONAL, post=NATIONAL),
    # Fiscal years: Django staff/superusers and national oversight users (tests/test_years.py), no persona here.
    Case("national:years", get=NATIONAL, post=NATIONAL),
    Case(
        "national:year_open",
        get=POST_ONLY,
        post=NATIONAL,
        data=lambda w: {"source": "2570"},
        effect=lambda w: FiscalYear.objects.count(),
    ),
    Case(
        "national:year_edit",
        get=NATIONAL,
        post=NATIONAL,
        kwargs=lambda w: {"be_year": 2570},
        data=lambda w: {"target_score": "90"},
        effect=lambda w: FiscalYear.objects.get(be_year=2570).target_score,
    ),
    Case("national:score_sheet_template", get=NATIONAL, post=NATIONAL),
    Case("national:score_sheet_export", get=NATIONAL, post=NATIONAL),
    Case("national:score_sheet_preview", get=NATIONAL, post=NATIONAL, kwargs=lambda w: {"token": "0123456789abcdef"}),
    Case("oversight:summary", get=OVERSIGHT_ONLY, post=OVERSIGHT_ONLY),
    Case("oversight:ranking", get=OVERSIGHT_ONLY, post=OVERSIGHT_ONLY),
    Case(
        "oversight:download",
        id="oversight:download ranking.xlsx",
        get=OVERSIGHT_ONLY,
        post=OVERSIGHT_ONLY,
        kwargs=lambda w: {"table": "ranking", "fmt": "xlsx"},
    ),
    Case(
        "oversight:download",
        id="oversight:download publications.csv",
        get=OVERSIGHT_ONLY,
        post=OVERSIGHT_ONLY,
        kwargs=lambda w: {"table": "publications", "fmt": "csv"},
    ),
    Case(
        "oversight:download",
        id="oversight:download unknown",
        get=policy(403, anonymous=LOGIN, oversight=404),
        post=policy(403, anonymous=LOGIN, oversight=404),
        kwargs=lambda w: {"table": "users", "fmt": "xlsx"},
    ),
    Case("oversight:executives", get=OVERSIGHT_ONLY, post=OVERSIGHT_ONLY),
    Case(
        "oversight:executive_decide",
        id="oversight:executive_decide confirm",
        get=POST_ONLY,
        post=OVERSIGHT_ONLY,
        kwargs=lambda w: {"pk": pending_executive().pk, "decision": "confirm"},
        effect=lambda w: Membership.objects.get(pk=pending_executive().pk).needs_confirmation,
        writers=frozenset({"oversight"}),
    ),
    Case(
        "oversight:executive_decide",
        id="oversight:executive_decide decline",
        get=POST_ONLY,
        post=OVERSIGHT_ONLY,
        kwargs=lambda w: {"pk": pending_executive().pk, "decision": "decline"},
        effect=lambda w: Membership.objects.get(pk=pending_executive().pk).role,
        writers=frozenset({"oversight"}),
    ),
    # OIT: the page of the whole agency (not for division staff); writes by the coordinator.
    Case("oit:index", get=READ_WHOLE_AGENCY, post=READ_WHOLE_AGENCY, kwargs=code),
    Case(
        "oit:manage",
        get=READ_WHOLE_AGENCY,
        post=MANAGE,
        kwargs=oit_kw,
        data=lambda w: {
            "item": oit_item("O1").pk,
            "source": "url",
            "title": "โครงสร้างทดสอบสิทธิ์",
            "url": "https://example.org/structure",
        },
        effect=lambda w: OitEvidence.objects.filter(title="โครงสร้างทดสอบสิทธิ์").count(),
        writers=COORDINATOR,
    ),
    Case(
        "oit:remove",
        get=POST_ONLY,
        post=MANAGE,
        kwargs=lambda w: {**oit_kw(w), "pk": oit_url_evidence().pk},
        effect=lambda w: OitEvidence.objects.filter(title="ช่องทางติดต่อทดสอบสิทธิ์").exists(),
        writers=COORDINATOR,
    ),
    # POST only queues the link checker (after the commit: nothing is written in the request).
    Case("oit:check", get=READ_WHOLE_AGENCY, post=MANAGE, kwargs=oit_kw),
    Case(
        "oit:freeze",
        get=POST_ONLY,
        post=MANAGE,
        kwargs=oit_kw,
        effect=lambda w: OitSnapshot.objects.filter(agency__code=A).count(),
        writers=COORDINATOR,
    ),
    # A year's OIT list: national staff only (tests/test_oit_items.py), no persona here.
    Case("oit:national_years", get=NATIONAL, post=NATIONAL),
    Case("oit:national_items", get=NATIONAL, post=NATIONAL, kwargs=lambda w: {"be_year": OIT_YEAR}),
    Case(
        "oit:national_items_copy",
        get=POST_ONLY,
        post=NATIONAL,
        kwargs=lambda w: {"be_year": 2570},
        data=lambda w: {"source": str(OIT_YEAR)},
        effect=lambda w: OitItem.objects.filter(year__be_year=2570).count(),
    ),
    Case(
        "oit:national_item_add",
        get=NATIONAL,
        post=NATIONAL,
        kwargs=lambda w: {"be_year": OIT_YEAR},
        data=lambda w: {"code": "O99", "title": "ข้อทดสอบสิทธิ์", "period": "current"},
        effect=lambda w: OitItem.objects.filter(year__be_year=OIT_YEAR).count(),
    ),
    Case(
        "oit:national_item_edit",
        get=NATIONAL,
        post=NATIONAL,
        kwargs=lambda w: {"be_year": OIT_YEAR, "pk": oit_item("O1").pk},
        data=lambda w: {"code": "O1", "title": "ชื่อทดสอบสิทธิ์", "period": "current"},
        effect=lambda w: oit_item("O1").title,
    ),
    Case(
        "oit:national_item_move",
        get=POST_ONLY,
        post=NATIONAL,
        kwargs=lambda w: {"be_year": OIT_YEAR, "pk": oit_item("O2").pk},
        data=lambda w: {"direction": "up"},
        effect=lambda w: oit_item("O2").order,
    ),
    Case(
        "oit:national_item_delete",
        get=POST_ONLY,
        post=NATIONAL,
        kwargs=lambda w: {"be_year": OIT_YEAR, "pk": oit_item("O3").pk},
        effect=lambda w: OitItem.objects.filter(year__be_year=OIT_YEAR, code="O3").exists(),
    ),
    Case("oit:public", get=PUBLIC, post=PUBLIC, kwargs=oit_kw),
    Case("oit:public_json", get=PUBLIC, post=PUBLIC, kwargs=oit_kw),
    Case("oit:public_csv", get=PUBLIC, post=PUBLIC, kwargs=oit_kw),
    Case(
        "oit:public_file",
        get=PUBLIC,
        post=PUBLIC,
        kwargs=lambda w: {**oit_kw(w), "pk": oit_file_evidence().pk, "ext": "pdf"},
    ),
    Case("oit:snapshot", get=PUBLIC, post=PUBLIC, kwargs=oit_snapshot_kw),
    Case("oit:snapshot_file", get=PUBLIC, post=PUBLIC, kwargs=oit_snapshot_file_kw),
    Case("oversight:oit", get=OVERSIGHT_ONLY, post=OVERSIGHT_ONLY, query="?year=2566"),
    Case("reports:public", get=PUBLIC, post=PUBLIC, kwargs=code),
    Case("reports:embed", get=PUBLIC, post=PUBLIC, kwargs=code),
    Case("reports:public_pdf", get=PUBLIC, post=PUBLIC, kwargs=report_kw),
    Case("reports:public_pdf_version", get=PUBLIC, post=PUBLIC, kwargs=lambda w: {**report_kw(w), "version": 1}),
    # ops: probes for load balancers and deploys, GET/HEAD only
    Case("ops:healthz", get=PUBLIC, post=policy(405)),
    Case("ops:readyz", get=PUBLIC, post=policy(405)),
]

# Views anyone may open without signing in (everything else is denied by LoginRequiredMiddleware).
PUBLIC_VIEWS = {
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "invitations:accept",
    "reports:public",
    "reports:embed",
    "reports:public_pdf",
    "reports:public_pdf_version",
    "ops:healthz",
    "ops:readyz",
    "oit:public",
    "oit:public_json",
    "oit:public_csv",
    "oit:public_file",
    "oit:snapshot",
    "oit:snapshot_file",
    "admin:login",
}


def url_patterns(patterns=None, prefix="", namespace=None):
    """(name, route, view) of every URL of the project, nested includes and namespaces resolved."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace if not namespace else (f"{namespace}:{p.namespace}" if p.namespace else namespace)
            yield from url_patterns(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield name, prefix + str(p.pattern), p.callback


def outcome(response) -> object:
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        if location.startswith("/login/") and "next=" in location:
            return LOGIN
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
        return OK
    if response.status_code in (200, 202, 204):
        return OK
    return response.status_code


def client_for(role: str) -> Client:
    client = Client()
    if ROLES[role]:
        client.force_login(get_user_model().objects.get(username=ROLES[role]))
    return client


def request(client: Client, method: str, url: str, data=None):
    response = client.get(url) if method == "GET" else client.post(url, data or {})
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # the client closes it at the end, as a server would
    # No response.close() here: it would send request_finished with Django's connection clean-up
    # connected, which closes the test's connection on PostgreSQL (the client does it safely).
    return response


# ------------------------------------------------------------------------------------------------


def test_every_url_has_a_case():
    patterns = list(url_patterns())
    unnamed = [route for name, route, _ in patterns if name is None and not route.startswith("admin/")]
    assert not unnamed, f"every URL of the portal needs a name to be checked here: {unnamed}"
    app_names = {n for n, _, _ in patterns if n and not n.startswith("admin:")}
    covered = {c.name for c in CASES}
    assert app_names - covered == set(), f"URLs without a role-matrix case: {sorted(app_names - covered)}"
    assert covered - app_names == set(), f"cases for URLs that no longer exist: {sorted(covered - app_names)}"


def test_deny_by_default_and_public_views_opt_out_explicitly(settings):
    assert "django.contrib.auth.middleware.LoginRequiredMiddleware" in settings.MIDDLEWARE
    opted_out = {name for name, _, view in url_patterns() if getattr(view, "login_required", True) is False}
    assert opted_out == PUBLIC_VIEWS


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_role_matrix(case: Case, role: str, world: World):
    url = reverse(case.name, kwargs=case.kwargs(world)) + case.query
    if case.setup:
        case.setup(world)
    client = client_for(role)
    assert outcome(request(client, "GET", url)) == case.get[role], f"GET {url} as {role}"
    before = case.effect(world) if case.effect else None
    got = outcome(request(client, "POST", url, case.data(world)))
    assert got == case.post[role], f"POST {url} as {role}"
    if case.effect:
        changed = case.effect(world) != before
        assert changed == (role in case.writers), f"POST {url} as {role} {'wrote' if changed else 'did not write'}"


ADMIN_ARGS = {"app_label": "auth", "object_id": "1", "content_type_id": "1", "url": "x/"}


def admin_url(name: str | None, route: str) -> str:
    if name:
        params = {a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)}
        if params:
            return reverse(name, kwargs={p: ADMIN_ARGS.get(p, "1") for p in params})
        return reverse(name, args=["1"] * len(re.findall(r"\((?!\?)", route)))
    # The admin's unnamed routes: the old-style object URL redirect and the catch-all.
    return "/" + route.replace("<path:object_id>", "1").replace("(?P<url>.*)$", "x/")


@pytest.mark.parametrize("role", ROLES)
def test_admin_is_closed_to_every_portal_role(role, world):
    """No persona is Django staff: anonymous users meet the portal's login (deny by default),
    signed-in ones the admin's own login page; nobody reaches an admin page."""
    client = client_for(role)
    checked = 0
    for name, route, _view in url_patterns():
        if not route.startswith("admin/"):
            continue
        url = admin_url(name, route)
        if name == "admin:login":
            expected = OK
        elif role == "anonymous":
            expected = (LOGIN, ADMIN_LOGIN)  # the portal's login, or the admin's for views it exempts
        elif name == "admin:logout":
            expected = OK  # a non-staff user is sent to the admin index, and from there to its login
        else:
            expected = ADMIN_LOGIN
        for method in ("GET", "POST"):
            got = outcome(request(client, method, url))
            assert got in (expected if isinstance(expected, tuple) else (expected,)), f"{method} {url} as {role}: {got}"
        checked += 1
    assert checked > 50


# Another agency's object ids under one's own agency code: always 404, nothing written.


def foreign_objects():
    other = Agency.objects.get(code="pak-kran")
    measure = Measure.objects.filter(agency=other).first()
    activity = Activity.objects.filter(measure__agency=other).first() or Activity.objects.create(
        measure=measure, order=1, title="กิจกรรมของปากกราน"
    )
    progress = Progress.objects.create(measure=measure, round="six_month", status="done")
    photo = EvidencePhoto.objects.create(progress=progress, caption="ภาพของปากกราน")
    return {
        "measure": measure,
        "activity": activity,
        "photo": photo,
        "division": Division.objects.filter(agency=other).first(),
        "membership": Membership.objects.filter(agency=other, role="viewer").first(),
    }


def test_foreign_ids_under_ones_own_code_are_404(world):
    f = foreign_objects()
    own = world.measure
    urls = [
        reverse("measures:detail", kwargs={"code": A, "pk": f["measure"].pk}),
        reverse("measures:edit", kwargs={"code": A, "pk": f["measure"].pk}),
        reverse("measures:delete", kwargs={"code": A, "pk": f["measure"].pk}),
        reverse("measures:progress", kwargs={"code": A, "pk": f["measure"].pk, "round": "annual"}),
        reverse("measures:activity_create", kwargs={"code": A, "pk": f["measure"].pk}),
        reverse("measures:activity_edit", kwargs={"code": A, "pk": own.pk, "aid": f["activity"].pk}),
        reverse("measures:activity_delete", kwargs={"code": A, "pk": own.pk, "aid": f["activity"].pk}),
        reverse(
            "measures:activity_progress", kwargs={"code": A, "pk": own.pk, "aid": f["activity"].pk, "round": "annual"}
        ),
        reverse("measures:photo", kwargs={"code": A, "photo_id": f["photo"].pk}),
        reverse("agencies:division_edit", kwargs={"code": A, "pk": f["division"].pk}),
        reverse("agencies:member_edit", kwargs={"code": A, "pk": f["membership"].pk}),
        reverse("agencies:member_remove", kwargs={"code": A, "pk": f["membership"].pk}),
    ]
    coord = client_for("coordinator")
    for url in urls:
        if "/delete/" not in url and "/remove/" not in url and not url.endswith(f"/divisions/{f['division'].pk}/"):
            assert request(coord, "GET", url).status_code == 404, url
        assert request(coord, "POST", url, {"name": "x", "role": "viewer", "title": "x"}).status_code == 404, url
    assert Measure.objects.filter(pk=f["measure"].pk).exists()
    assert Activity.objects.filter(pk=f["activity"].pk).exists()
    assert Membership.objects.filter(pk=f["membership"].pk).exists()
    assert Division.objects.get(pk=f["division"].pk).name != "x"


def test_forms_refuse_another_agencys_choices(world):
    """Divisions of another agency are not valid choices in measure and activity forms."""
    foreign = Division.objects.filter(agency__code="pak-kran").first()
    coord = client_for("coordinator")
    r = request(
        coord,
        "POST",
        reverse("measures:edit", kwargs={"code": A, "pk": world.measure.pk}),
        {"title": "แก้ไข", "divisions": [foreign.pk]},
    )
    assert r.status_code == 200  # the form, with an error
    assert list(world.measure.divisions.values_list("name", flat=True)) == ["สำนักปลัด"]
    r = request(
        coord,
        "POST",
        reverse("measures:activity_edit", kwargs={"code": A, "pk": world.measure.pk, "aid": world.activity.pk}),
        {"title": "แก้ไข", "divisions": [foreign.pk]},
    )
    assert r.status_code == 200
    assert not world.activity.divisions.exists()


def test_exports_and_reports_hold_only_the_agencys_rows(world):
    """The workbook export and the report of agency A carry none of agency B's measures."""
    import openpyxl

    from reports.selectors import report_context, report_get_or_default

    own_titles = set(Measure.objects.filter(agency__code=A, year__be_year=2567).values_list("title", flat=True))
    foreign_titles = (
        set(Measure.objects.filter(year__be_year=2567).exclude(agency__code=A).values_list("title", flat=True))
        - own_titles
    )
    assert foreign_titles
    r = client_for("coordinator").get(reverse("measures:workbook_export", kwargs={"code": A}) + "?year=2567")
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    cells = {str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c}
    assert not cells & foreign_titles
    assert "มาตรการของสำนักปลัดเท่านั้น" in cells
    report = report_get_or_default(
        agency=Agency.objects.get(code=A), year=FiscalYear.objects.get(be_year=2567), kind="annual"
    )
    text = repr(report_context(report=report))
    assert not [t for t in foreign_titles if t[:40] in text]


def test_oversight_filters_stay_within_the_scope(world):
    """The oversight pages' filters (the portal's search across agencies) never widen the scope:
    the ลพบุรี office asking for อุบลราชธานี still sees only ลพบุรี."""
    ubon = Agency.objects.get(code="ubon-pao")
    c = client_for("oversight")
    for name in ("oversight:summary", "oversight:ranking"):
        for query in ("", "?province=อุบลราชธานี", f"?province={ubon.province}&district={ubon.district}&kind=PAO"):
            r = c.get(reverse(name) + query)
            assert r.status_code == 200, (name, query)
            body = r.content.decode()
            assert ubon.name not in body and "ubon-pao" not in body, (name, query)
    assert "เขาสมอคอน" in c.get(reverse("oversight:ranking") + "?year=2567").content.decode()
    assert client_for("coordinator").get(reverse("oversight:summary")).status_code == 403


def test_workbook_import_never_reaches_another_agency(world):
    """Agency B's workbook uploaded by agency A's coordinator: refused whole, nothing written
    anywhere; and an upload token is only good in the session that uploaded it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from measures.workbook import workbook_export

    pkr, year = Agency.objects.get(code="pak-kran"), FiscalYear.objects.get(be_year=2567)
    data = workbook_export(agency=pkr, year=year)
    before = {code: Measure.objects.filter(agency__code=code).count() for code in (A, "pak-kran")}
    history_before = Measure.history.count()
    coord = client_for("coordinator")
    r = coord.post(
        reverse("measures:workbook", kwargs={"code": A}),
        {"year": "2567", "file": SimpleUploadedFile("pak-kran.xlsx", data)},
    )
    assert r.status_code == 302, r.content.decode()[:500]
    preview_url = r["Location"]
    page = coord.get(preview_url)
    assert page.status_code == 200
    digest = page.context["digest"]
    assert "ไฟล์นี้เป็นของหน่วยงานรหัส “pak-kran”" in page.content.decode()
    r = coord.post(preview_url, {"action": "confirm", "digest": digest})
    assert r.status_code == 200  # the preview again, with the problem
    assert before == {code: Measure.objects.filter(agency__code=code).count() for code in (A, "pak-kran")}
    assert Measure.history.count() == history_before
    # The same token in another coordinator's session (same agency or not) is unknown.
    assert client_for("other_coordinator").get(preview_url).status_code == 404
    second = get_user_model().objects.create_user("ksk-coord-2")
    Membership.objects.create(user=second, agency_id=world.measure.agency_id, role="coordinator")
    other_session = Client()
    other_session.force_login(second)
    assert other_session.get(preview_url).status_code == 404


def test_workbook_rows_key_on_the_agency_in_the_url(world):
    """Agency B's workbook with its agency cell rewritten to A: the rows land on A's own measures
    (matched by their order within A), and B's rows stay exactly as they were."""
    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile

    from measures.workbook import workbook_export

    pkr, year = Agency.objects.get(code="pak-kran"), FiscalYear.objects.get(be_year=2567)
    book = openpyxl.load_workbook(io.BytesIO(workbook_export(agency=pkr, year=year)))
    sheet = book["หน่วยงาน"]
    headers = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=headers.index("รหัสหน่วยงาน") + 1, value=A)
    buf = io.BytesIO()
    book.save(buf)

    def snapshot(code):
        return sorted(Measure.objects.filter(agency__code=code).values_list("id", "order", "title", "steps"))

    def progress(code):
        return sorted(Progress.objects.filter(measure__agency__code=code).values_list("id", "output", "outcome"))

    pkr_before, pkr_progress = snapshot("pak-kran"), progress("pak-kran")
    coord = client_for("coordinator")
    r = coord.post(
        reverse("measures:workbook", kwargs={"code": A}),
        {"year": "2567", "file": SimpleUploadedFile("edited.xlsx", buf.getvalue())},
    )
    assert r.status_code == 302
    page = coord.get(r["Location"])
    coord.post(r["Location"], {"action": "confirm", "digest": page.context["digest"]})
    assert snapshot("pak-kran") == pkr_before and progress("pak-kran") == pkr_progress


def test_national_score_sheets_open_to_django_staff_only(world):
    staff = get_user_model().objects.create_user("nacc-admin", is_staff=True)
    c = Client()
    c.force_login(staff)
    assert c.get(reverse("national:score_sheet")).status_code == 200
    # Reading every agency in the portal (national-office) is not administering them.
    national_office = Client()
    national_office.force_login(get_user_model().objects.get(username="national-office"))
    assert national_office.get(reverse("national:score_sheet")).status_code == 403
