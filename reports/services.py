"""Render, store and publish reports: draft → submitted → approved → published."""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from agencies.access import Access

from .models import PublishedVersion, Report, State
from .rendering import render_pdf
from .selectors import context_hash, context_json, report_context


class ServiceError(Exception):
    pass


def _cache_path(digest: str, archival: bool) -> str:
    return f"reports/cache/{digest}{'-a' if archival else ''}.pdf"


def report_render(*, report: Report) -> tuple[bytes, str]:
    """The draft PDF for the report's current data; unchanged data is served from storage."""
    context = report_context(report=report)
    digest = context_hash(context)
    path = _cache_path(digest, archival=False)
    if default_storage.exists(path):
        with default_storage.open(path, "rb") as fh:
            return fh.read(), digest
    pdf = render_pdf(context)
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(pdf))
    return pdf, digest


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


def report_publish(*, access: Access, report: Report, user) -> PublishedVersion:
    """Store an immutable PDF/A-3b with the report's data attached, as the next version."""
    if not (access.can_manage or access.can_approve):
        raise ServiceError("เฉพาะผู้ประสานงาน ITA หรือผู้บริหารเท่านั้นที่เผยแพร่รายงานได้")
    if report.state != State.APPROVED:
        raise ServiceError("ต้องได้รับอนุมัติจากผู้บริหารก่อนเผยแพร่")
    context = report_context(report=report)
    data = context_json(context).encode()
    pdf = render_pdf(context, archival=True, attachments=[("report-data.json", data)])
    sha = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
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
        locked.save()
    report.refresh_from_db()
    return version
