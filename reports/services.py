"""Render, store and publish reports: draft → submitted → approved → published."""

import functools
import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from agencies.access import Access

from .models import PublishedVersion, RenderJob, Report, State
from .rendering import render_pdf
from .selectors import context_hash, context_json, report_context


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


def report_publish_check(*, access: Access, report: Report) -> None:
    if not (access.can_manage or access.can_approve):
        raise ServiceError("เฉพาะผู้ประสานงาน ITA หรือผู้บริหารเท่านั้นที่เผยแพร่รายงานได้")
    if report.state != State.APPROVED:
        raise ServiceError("ต้องได้รับอนุมัติจากผู้บริหารก่อนเผยแพร่")


def report_publish_request(*, access: Access, report: Report, user) -> RenderJob:
    """Check that the user may publish, then leave the rendering and storing to a worker."""
    report_publish_check(access=access, report=report)
    return render_job_request(report=report, purpose=RenderJob.Purpose.PUBLISH, user=user)


def report_layout_save(*, access: Access, report: Report) -> Report:
    access.require_manage()
    if report.agency_id != access.agency.id:
        raise ServiceError("รายงานไม่ได้อยู่ในหน่วยงานของคุณ")
    report.save()
    return report


def report_submit(*, access: Access, report: Report) -> Report:
    access.require_manage()
    if report.state not in (State.DRAFT, State.PUBLISHED, State.SUBMITTED, State.APPROVED):
        raise ServiceError("ไม่สามารถเสนอรายงานนี้ได้")
    if not report.pk:
        report.save()
    report.state = State.SUBMITTED
    report.submitted_at = timezone.now()
    report.approved_at, report.approved_by = None, None
    report.save()
    return report


def report_approve(*, access: Access, report: Report, user) -> Report:
    access.require_approve()
    if report.state != State.SUBMITTED:
        raise ServiceError("อนุมัติได้เฉพาะรายงานที่เสนอผู้บริหารแล้ว")
    report.state = State.APPROVED
    report.approved_at = timezone.now()
    report.approved_by = user
    report.save()
    return report


def report_publish_render_and_store(*, report: Report, user, render=None) -> PublishedVersion:
    """Render the archival PDF (inline: a worker's job) and store it as the next version.

    The report must still be approved when the PDF is stored; the check is made again under lock.
    """
    if report.state != State.APPROVED:
        raise ServiceError("ต้องได้รับอนุมัติจากผู้บริหารก่อนเผยแพร่")
    context = report_context(report=report)
    data = context_json(context).encode()
    pdf = (render or render_pdf)(context, archival=True, attachments=[("report-data.json", data)])
    sha = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.state != State.APPROVED:
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
    report.refresh_from_db()
    return version
