"""Writes of the OIT pages: evidence added and removed, link checks recorded, snapshots frozen."""

import functools
import hashlib
import io
import json
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from PIL import Image, UnidentifiedImageError

from agencies.access import Access
from agencies.models import Agency, Division
from assessments.models import FiscalYear
from reports.models import PublishedVersion, Report

from . import selectors
from .linkcheck import LinkResult
from .models import LinkCheck, OitEvidence, OitItem, OitSnapshot, Source

PDF, JPEG, PNG = "pdf", "jpg", "png"


class ServiceError(Exception):
    pass


def sniff_upload(head: bytes) -> str | None:
    """The file's type from its first bytes (never from its name or the browser's claim)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def _read_upload(upload) -> tuple[bytes, str]:
    limit = settings.OIT_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ServiceError(f"ไฟล์ใหญ่เกิน {limit // (1024 * 1024)} MB")
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ServiceError(f"ไฟล์ใหญ่เกิน {limit // (1024 * 1024)} MB")
    ext = sniff_upload(content[:16])
    if ext is None:
        raise ServiceError("รับเฉพาะไฟล์ PDF, JPEG หรือ PNG เท่านั้น")
    if ext == PDF and b"%%EOF" not in content[-2048:]:
        raise ServiceError("ไฟล์ PDF ไม่สมบูรณ์")
    if ext in (JPEG, PNG):
        try:
            with Image.open(io.BytesIO(content)) as img:
                img.verify()
        except (UnidentifiedImageError, OSError, SyntaxError):
            raise ServiceError("ไฟล์ภาพเสียหรือไม่ใช่ภาพ JPEG/PNG") from None
    return content, ext


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServiceError("ลิงก์ต้องขึ้นต้นด้วย http:// หรือ https://")
    return url


@transaction.atomic
def oit_evidence_add(
    *,
    access: Access,
    item: OitItem,
    source: str,
    title: str,
    user,
    division: Division | None = None,
    url: str = "",
    upload=None,
    report: Report | None = None,
) -> OitEvidence:
    access.require_manage()
    agency = access.agency
    if division is not None and division.agency_id != agency.id:
        raise ServiceError("กอง/สำนักนี้ไม่ได้อยู่ในหน่วยงานของคุณ")
    title = (title or "").strip()
    if not title:
        raise ServiceError("กรุณาระบุชื่อหลักฐาน")
    evidence = OitEvidence(agency=agency, item=item, source=source, title=title, division=division, added_by=user)
    if source == Source.REPORT:
        if report is None or report.agency_id != agency.id:
            raise ServiceError("กรุณาเลือกรายงานของหน่วยงาน")
        if not PublishedVersion.objects.filter(report=report).exists():
            raise ServiceError("รายงานนี้ยังไม่ได้เผยแพร่")
        evidence.report = report
    elif source == Source.FILE:
        if upload is None:
            raise ServiceError("กรุณาเลือกไฟล์")
        content, ext = _read_upload(upload)
        evidence.file_ext = ext
        evidence.file_sha256 = hashlib.sha256(content).hexdigest()
        evidence.file_size = len(content)
        # An ASCII name of our own; the Thai title is given when the file is served.
        evidence.file.save(f"{item.code.lower()}-{uuid.uuid4().hex[:12]}.{ext}", ContentFile(content), save=False)
    elif source == Source.URL:
        evidence.url = _check_url(url)
    else:
        raise ServiceError("ไม่รู้จักประเภทหลักฐานนี้")
    evidence.save()
    return evidence


@transaction.atomic
def oit_evidence_remove(*, access: Access, evidence: OitEvidence) -> None:
    """Remove evidence from the page; its history stays, and an uploaded file stays in storage so
    that snapshots taken before keep the file their hash names."""
    access.require_manage()
    if evidence.agency_id != access.agency.id:
        raise ServiceError("หลักฐานนี้ไม่ได้อยู่ในหน่วยงานของคุณ")
    evidence.delete()


def link_check_record(*, evidence: OitEvidence, result: LinkResult) -> LinkCheck:
    return LinkCheck.objects.create(
        evidence=evidence,
        url=result.url,
        ok=result.ok,
        status_code=result.status_code,
        content_type=result.content_type[:200],
        size=result.size,
        final_url=result.final_url[:1000],
        problem=result.problem[:300],
    )


def link_checks_run(*, agency: Agency | None = None, be_year: int | None = None) -> list[LinkCheck]:
    """Check every external link (of an agency, of a year) and record each result with its time."""
    from .linkcheck import check_url

    done = []
    for evidence in selectors.url_evidence_to_check(agency=agency, be_year=be_year):
        result = check_url(evidence.url, be_year=evidence.item.evidence_be_year)
        done.append(link_check_record(evidence=evidence, result=result))
    return done


def _enqueue_link_check(agency_id: int, be_year: int) -> None:
    from .tasks import check_oit_links

    check_oit_links.enqueue(agency_id=agency_id, be_year=be_year)


def link_check_request(*, access: Access, year: FiscalYear) -> None:
    """Queue a check of the agency's links for the year (a worker runs it; nothing is fetched here)."""
    access.require_manage()
    transaction.on_commit(functools.partial(_enqueue_link_check, access.agency.id, year.be_year))


def _snapshot_copy_files(*, agency: Agency, year: FiscalYear, number: int, rows, document: dict) -> dict:
    """Copy each uploaded file into the snapshot's folder and point the frozen links at the copies,
    so that a file removed or replaced later still opens from the frozen page as it was."""
    files = {}
    for row, entry in zip(rows, document["items"], strict=True):
        for ev_row, ev_entry in zip(row.evidence, entry["evidence"], strict=True):
            ev = ev_row.evidence
            if ev is None or ev.source != Source.FILE or not ev.file:
                continue
            key = f"{ev.pk}.{ev.file_ext}"
            with ev.file.open("rb") as fh:
                content = fh.read()
            name = f"oit-snapshots/{agency.code}/{year.be_year}/{number}-files/{key}"
            files[key] = {
                "path": default_storage.save(name, ContentFile(content)),
                "title": ev.title,
                "code": row.item.code,
                "sha256": hashlib.sha256(content).hexdigest(),
            }
            kwargs = {"code": agency.code, "be_year": year.be_year, "number": number, "pk": ev.pk, "ext": ev.file_ext}
            url = reverse("oit:snapshot_file", kwargs=kwargs)
            ev_entry["url"] = settings.SITE_URL + url
    return files


@transaction.atomic
def oit_snapshot_create(*, agency: Agency, year: FiscalYear, user=None) -> OitSnapshot:
    """Freeze the page of the year as it is now: its JSON index (with the files' SHA-256) in storage."""
    rows = selectors.oit_index(agency=agency, year=year)
    document = selectors.index_document(agency=agency, year=year, rows=rows)
    # Lock the year's snapshots (no aggregate: PostgreSQL refuses FOR UPDATE with one); two
    # first snapshots at the same moment meet the unique constraint instead.
    taken = OitSnapshot.objects.select_for_update().filter(agency=agency, year=year).values_list("number", flat=True)
    last = max(taken, default=0)
    number = last + 1
    document["snapshot"] = number
    document["files"] = _snapshot_copy_files(agency=agency, year=year, number=number, rows=rows, document=document)
    data = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    sha = hashlib.sha256(data).hexdigest()
    name = f"oit-snapshots/{agency.code}/{year.be_year}/{number}-{sha[:12]}.json"
    path = default_storage.save(name, ContentFile(data))
    return OitSnapshot.objects.create(agency=agency, year=year, number=number, path=path, sha256=sha, created_by=user)


def oit_freeze(*, access: Access, year: FiscalYear, user) -> OitSnapshot:
    access.require_manage()
    return oit_snapshot_create(agency=access.agency, year=year, user=user)
