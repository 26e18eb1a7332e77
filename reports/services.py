"""Render, store and publish reports: draft → submitted → approved → published."""

import functools
import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from agencies.access import Access
from agencies.models import Role
from agencies.selectors import members_with_roles
from agencies.selectors_accounts import approval_refusal
from notifications.services import outbox_enqueue

from .models import COMMENT_MAX, PublishedVersion, RenderJob, Report, ReportEvent, ReportSection, State
from .rendering import render_pdf
from .sections import sanitize_rich_text
from .selectors import approval_hash, context_hash, context_json, report_context


class ServiceError(Exception):
    pass


def _cache_path(digest: str, archival: bool) -> str:
    return f"reports/cache/{digest}{'-a' if archival else ''}.pdf"


def report_render(*, report: Report, render=None) -> tuple[bytes, str]:
    """The draft PDF for the report's current data; unchanged data is served from storage.

    Renders inline: call it from a worker (reports/tasks.py), never from a web request.
    """
    pdf, digest, _ = report_render_cached(report=report, render=render)
    return pdf, digest


def report_render_cached(*, report: Report, render=None) -> tuple[bytes, str, str]:
    """(pdf, data hash, storage path) of the draft; `render` defaults to rendering.render_pdf."""
    context = report_context(report=report)
    digest = context_hash(context)
    path = _cache_path(digest, archival=False)
    if default_storage.exists(path):
        with default_storage.open(path, "rb") as fh:
            return fh.read(), digest, path
    pdf = (render or render_pdf)(context)
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(pdf))
    return pdf, digest, path


def report_preview_cached(*, report: Report) -> tuple[bytes | None, str]:
    """The stored draft PDF of the report's current data if there is one, and the data hash.

    The web request's part of a preview: a fixed number of queries and no rendering.
    """
    digest = context_hash(report_context(report=report))
    path = _cache_path(digest, archival=False)
    if default_storage.exists(path):
        with default_storage.open(path, "rb") as fh:
            return fh.read(), digest
    return None, digest


def render_jobs_latest(*, agency, year, kind: str) -> dict[str, RenderJob]:
    """The newest job of each purpose for a report (one query)."""
    latest: dict[str, RenderJob] = {}
    jobs = RenderJob.objects.filter(agency=agency, year=year, kind=kind).select_related("version")
    for job in jobs.order_by("-created_at", "-id")[:20]:
        latest.setdefault(job.purpose, job)
    return latest


def render_job_enqueue(job_id: int) -> None:
    """Hand a job to the task queue (call it on commit) and remember the task's id."""
    from .tasks import render_report

    result = render_report.enqueue(job_id)
    RenderJob.objects.filter(pk=job_id, task_id="").update(task_id=str(result.id))


def render_job_request(*, report: Report, purpose: str, user=None, data_hash: str = "") -> RenderJob:
    """The queued or running job of this report and purpose, or a new one.

    A new job is handed to the task queue when the surrounding transaction commits, so a worker
    never picks up a job whose row it cannot see yet.
    """
    active = RenderJob.objects.filter(
        agency=report.agency, year=report.year, kind=report.kind, purpose=purpose, state__in=RenderJob.ACTIVE
    )
    with transaction.atomic():
        job = active.first()
        if job is not None:
            return job
        try:
            with transaction.atomic():
                job = RenderJob.objects.create(
                    agency=report.agency,
                    year=report.year,
                    kind=report.kind,
                    purpose=purpose,
                    data_hash=data_hash,
                    requested_by=user if user is not None and user.is_authenticated else None,
                )
        except IntegrityError:  # another request created it a moment ago
            return active.first()
        transaction.on_commit(functools.partial(render_job_enqueue, job.pk))
    return job


def render_preview_request(*, access: Access, report: Report, user, data_hash: str) -> RenderJob:
    """Queue the draft of the report's current data (a POST, never a page view).

    Anyone who may read the draft may ask for its first render. After a render of the same data
    failed, only the report's editors (the agency's coordinators) may try again, and only
    REPORT_RENDER_MAX_RETRIES times: a report that always overruns the render limit must be
    changed, not retried, so that it does not keep the workers that every agency shares.
    """
    failed = RenderJob.objects.filter(
        agency=report.agency,
        year=report.year,
        kind=report.kind,
        purpose=RenderJob.Purpose.PREVIEW,
        state=RenderJob.JobState.FAILED,
        data_hash=data_hash,
    ).count()
    if failed:
        if not access.can_manage:
            raise ServiceError("สร้างฉบับร่างไม่สำเร็จ เฉพาะผู้ประสานงาน ITA ของหน่วยงานเท่านั้นที่สั่งสร้างใหม่ได้")
        if failed > settings.REPORT_RENDER_MAX_RETRIES:
            raise ServiceError(
                f"สร้างฉบับร่างของข้อมูลชุดนี้ไม่สำเร็จครบ {failed} ครั้งแล้ว จึงไม่สร้างซ้ำอีก "
                "กรุณาแก้ไขข้อมูลในรายงาน (เช่น ตัดข้อความที่ยาวมากหรือรูปภาพ) แล้วลองใหม่ หรือแจ้งผู้ดูแลระบบ"
            )
    return render_job_request(report=report, purpose=RenderJob.Purpose.PREVIEW, user=user, data_hash=data_hash)


APPROVAL_VOIDED = (
    "รายงานมีการแก้ไขหลังจากผู้บริหารอนุมัติ (มาตรการ ผลการดำเนินการ คะแนน ถ้อยคำ หรือรูปแบบรายงาน) "
    "จึงเผยแพร่ด้วยการอนุมัติเดิมไม่ได้ รายงานกลับเป็นฉบับร่างแล้ว กรุณาเสนอผู้บริหารเพื่อขออนุมัติใหม่"
)


def _approval_void(*, report: Report, user) -> None:
    """The content changed since it was approved: back to draft, with a record and a notice.

    Its own transaction, so that the refusal raised after it does not undo it."""
    with transaction.atomic():
        locked = Report.objects.select_for_update().select_related("agency", "year").get(pk=report.pk)
        if locked.state == State.APPROVED:
            locked.state = State.DRAFT
            locked.approved_at, locked.approved_by, locked.approved_hash = None, None, ""
            locked._history_user = user
            locked.save()
            report_event_record(
                report=locked,
                action=ReportEvent.Action.APPROVAL_VOIDED,
                user=user,
                notify_roles=[Role.COORDINATOR, Role.EXECUTIVE],
            )
    report.refresh_from_db()


def report_publish_check(*, access: Access, report: Report, user=None) -> None:
    """Who may publish, and whether the approval still holds: the report's content (data, words,
    sections, layout) must hash to what the executive approved, else it returns to draft."""
    if not (access.can_manage or access.can_approve):
        raise ServiceError("เฉพาะผู้ประสานงาน ITA หรือผู้บริหารเท่านั้นที่เผยแพร่รายงานได้")
    if report.state != State.APPROVED:
        raise ServiceError("ต้องได้รับอนุมัติจากผู้บริหารก่อนเผยแพร่")
    if approval_hash(report_context(report=report)) != report.approved_hash:
        _approval_void(report=report, user=_actor(access, user))
        raise ServiceError(APPROVAL_VOIDED)


def _publish_failures_check(report: Report) -> None:
    """A publication that failed REPORT_RENDER_MAX_RETRIES times after the approval is not queued
    again: the report must change (and be approved again), so that it stops occupying workers."""
    approved = report.events.filter(action=ReportEvent.Action.APPROVED).values_list("created_at", flat=True).first()
    failed = RenderJob.objects.filter(
        agency=report.agency,
        year=report.year,
        kind=report.kind,
        purpose=RenderJob.Purpose.PUBLISH,
        state=RenderJob.JobState.FAILED,
    )
    if approved is not None:
        failed = failed.filter(created_at__gte=approved)
    n = failed.count()
    if n > settings.REPORT_RENDER_MAX_RETRIES:
        raise ServiceError(
            f"สร้างไฟล์ฉบับเผยแพร่ไม่สำเร็จครบ {n} ครั้งแล้ว จึงไม่สร้างซ้ำอีก กรุณาส่งรายงานกลับไปแก้ไข "
            "(เช่น ตัดข้อความที่ยาวมากหรือรูปภาพ) แล้วเสนออนุมัติใหม่ หรือแจ้งผู้ดูแลระบบ"
        )


def report_publish_request(*, access: Access, report: Report, user) -> RenderJob:
    """Check that the user may publish, then leave the rendering and storing to a worker."""
    report_publish_check(access=access, report=report, user=user)
    _publish_failures_check(report)
    return render_job_request(report=report, purpose=RenderJob.Purpose.PUBLISH, user=user)


def report_back_to_draft(report: Report, *, save: bool = True) -> None:
    """What was proposed, approved or published has changed: it must be proposed and approved again
    (published versions stay as they are)."""
    if report.state != State.DRAFT:
        report.state = State.DRAFT
        report.approved_at, report.approved_by = None, None
        if save:
            report.save(update_fields=["state", "approved_at", "approved_by"])


def report_layout_save(*, access: Access, report: Report, changed: bool = True) -> Report:
    access.require_manage()
    if report.agency_id != access.agency.id:
        raise ServiceError("รายงานไม่ได้อยู่ในหน่วยงานของคุณ")
    if changed:
        report_back_to_draft(report, save=False)
    report.save()
    return report


def _actor(access: Access, user):
    return user if user is not None else (access.membership.user if access.membership else None)


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else "ระบบ"


NOTICE_SUBJECTS = {
    ReportEvent.Action.SUBMITTED: "{report} เสนอให้ผู้บริหารพิจารณา",
    ReportEvent.Action.SENT_BACK: "{report} ถูกส่งกลับเพื่อแก้ไข",
    ReportEvent.Action.APPROVED: "{report} ได้รับอนุมัติแล้ว",
    ReportEvent.Action.PUBLISHED: "{report} เผยแพร่แล้ว",
    ReportEvent.Action.APPROVAL_VOIDED: "{report} ถูกแก้ไขหลังอนุมัติ ต้องขออนุมัติใหม่",
}


def report_event_record(*, report: Report, action: str, user, comment: str = "", notify_roles=()) -> ReportEvent:
    """Note a step of the report's approval and queue a notice to the members with these roles
    (never to the one who took the step); the outbox sends them after the commit."""
    event = ReportEvent.objects.create(report=report, action=action, user=user, comment=comment)
    if not notify_roles:
        return event
    label = f"{report.get_kind_display()} ปีงบประมาณ {report.year.be_year}"
    subject = NOTICE_SUBJECTS[action].format(report=label)
    path = reverse(
        "reports:detail", kwargs={"code": report.agency.code, "be_year": report.year.be_year, "kind": report.kind}
    )
    lines = [f"{label} ของ{report.agency.name}", f"{event.get_action_display()}โดย {_name(user)}"]
    if comment:
        lines += ["", "ความเห็น:", comment]
    lines += ["", f"ดูรายงานได้ที่ {settings.SITE_URL}{path}"]
    for membership in members_with_roles(agency=report.agency, roles=notify_roles):
        if user is not None and membership.user_id == user.pk:
            continue
        outbox_enqueue(
            recipient=membership.user,
            agency=report.agency,
            subject=subject,
            body="\n".join(lines),
            dedupe_key=f"report-event:{event.pk}:{membership.user_id}",
        )
    return event


@transaction.atomic
def report_submit(*, access: Access, report: Report, user=None) -> Report:
    """The coordinator proposes the report to the executives, who are told."""
    access.require_manage()
    if report.state not in (State.DRAFT, State.PUBLISHED, State.SUBMITTED, State.APPROVED):
        raise ServiceError("ไม่สามารถเสนอรายงานนี้ได้")
    if not report.pk:
        report.save()
    report.state = State.SUBMITTED
    report.submitted_at = timezone.now()
    report.approved_at, report.approved_by, report.approved_hash = None, None, ""
    report.save()
    report_event_record(
        report=report, action=ReportEvent.Action.SUBMITTED, user=_actor(access, user), notify_roles=[Role.EXECUTIVE]
    )
    return report


@transaction.atomic
def report_approve(*, access: Access, report: Report, user) -> Report:
    access.require_approve()
    refusal = approval_refusal(membership=access.membership)
    if refusal:  # e.g. an executive account a coordinator set up, not yet confirmed
        raise ServiceError(refusal)
    # Submitted; or approved but changed since (the report page offers approving the new content).
    if report.state not in (State.SUBMITTED, State.APPROVED):
        raise ServiceError("อนุมัติได้เฉพาะรายงานที่เสนอผู้บริหารแล้ว")
    digest = approval_hash(report_context(report=report))
    if report.state == State.APPROVED and digest == report.approved_hash:
        raise ServiceError("รายงานฉบับนี้ผู้บริหารอนุมัติแล้ว")
    report.state = State.APPROVED
    report.approved_at = timezone.now()
    report.approved_by = user
    report.approved_hash = digest
    report.save()
    report_event_record(report=report, action=ReportEvent.Action.APPROVED, user=user, notify_roles=[Role.COORDINATOR])
    return report


SEND_BACK_STATES = (State.SUBMITTED, State.APPROVED)


def report_send_back_allowed(*, access: Access, report: Report) -> bool:
    """Whether the user may send this report back now (the report page shows the form then)."""
    return (access.can_approve or access.can_manage) and bool(report.pk) and report.state in SEND_BACK_STATES


@transaction.atomic
def report_send_back(*, access: Access, report: Report, user, comment: str) -> Report:
    """Return a submitted (or approved, not yet published) report to draft with the reason why.

    The executive sends it back to the coordinators; a coordinator may also withdraw it before
    it is published (the executives are then told too). The comment stays in the report's history.
    """
    if not (access.can_approve or access.can_manage):
        raise PermissionDenied("เฉพาะผู้บริหารหรือผู้ประสานงาน ITA ของหน่วยงานเท่านั้น")
    comment = (comment or "").strip()
    if not comment:
        raise ServiceError("กรุณาระบุเหตุผลหรือสิ่งที่ต้องแก้ไขก่อนส่งกลับ")
    if len(comment) > COMMENT_MAX:
        raise ServiceError(f"ความเห็นยาวเกิน {COMMENT_MAX:,} ตัวอักษร")
    if not report_send_back_allowed(access=access, report=report):
        raise ServiceError("ส่งกลับได้เฉพาะรายงานที่เสนอผู้บริหารหรืออนุมัติแล้วแต่ยังไม่เผยแพร่")
    report.state = State.DRAFT
    report.approved_at, report.approved_by, report.approved_hash = None, None, ""
    report.save()
    roles = [Role.COORDINATOR] if access.can_approve else [Role.COORDINATOR, Role.EXECUTIVE]
    report_event_record(
        report=report, action=ReportEvent.Action.SENT_BACK, user=user, comment=comment, notify_roles=roles
    )
    return report


def report_publish_render_and_store(*, report: Report, user, render=None) -> PublishedVersion:
    """Render the archival PDF (inline: a worker's job) and store it as the next version.

    The report must still be approved, on the very content rendered (approval_hash), when the PDF
    is stored; the check is made again under lock.
    """
    if report.state != State.APPROVED:
        raise ServiceError("ต้องได้รับอนุมัติจากผู้บริหารก่อนเผยแพร่")
    context = report_context(report=report)
    approved = approval_hash(context)
    if approved != report.approved_hash:
        _approval_void(report=report, user=user)
        raise ServiceError(APPROVAL_VOIDED)
    data = context_json(context).encode()
    pdf = (render or render_pdf)(context, archival=True, attachments=[("report-data.json", data)])
    sha = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.state != State.APPROVED or locked.approved_hash != approved:
            raise ServiceError("รายงานถูกแก้ไขสถานะระหว่างสร้างไฟล์ ต้องได้รับอนุมัติอีกครั้งก่อนเผยแพร่")
        last = locked.versions.aggregate(n=Max("version"))["n"] or 0
        version = PublishedVersion(
            report=locked,
            version=last + 1,
            sha256=sha,
            size=len(pdf),
            data_hash=context_hash(context),
            published_by=user,
        )
        version.pdf.save(f"v{last + 1}.pdf", ContentFile(pdf), save=False)
        version.save()
        locked.state = State.PUBLISHED
        # A worker has no request for simple-history's middleware: name the publisher here.
        locked._history_user = user
        locked.save()
        report_event_record(
            report=locked, action=ReportEvent.Action.PUBLISHED, user=user, notify_roles=[Role.COORDINATOR]
        )
    report.refresh_from_db()
    return version


@transaction.atomic
def report_sections_set(*, report: Report, sections: list[dict]) -> list[ReportSection]:
    """Replace the report's sections with these, in this order; rich text is sanitised here.

    Each item: kind (SectionKind), title, body (HTML: paragraphs, lists, bold, simple tables), anchor.
    """
    report.sections.all().delete()
    return ReportSection.objects.bulk_create(
        ReportSection(
            report=report,
            order=order,
            kind=item["kind"],
            title=item.get("title") or "",
            body=sanitize_rich_text(item.get("body") or ""),
            anchor=item.get("anchor") or "",
        )
        for order, item in enumerate(sections, start=1)
    )
