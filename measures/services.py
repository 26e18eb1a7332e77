"""Writes for measures, activities and progress. Each is one transaction: all or nothing."""

import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from agencies.access import Access
from agencies.models import Agency
from assessments.models import FiscalYear, Indicator, Issue, Tool
from ita_portal import thai
from ita_portal.edits import (
    StaleVersion,
    submission_claim,
    submission_done,
    submission_object,
    version_check,
    version_claim,
)

from . import selectors
from .models import Activity, EvidenceLink, EvidencePhoto, Measure, Plan, Progress
from .rules import PROGRESS_FIELDS, completion_window, progress_problems, unable_reason_kept

# Print size of a photo in a report is at most ~16 cm wide: 1600 px is ≥ 250 dpi there and
# keeps a phone photo (4000×3000, 3–5 MB) to a few hundred KB.
PHOTO_MAX_PX = 1600
PHOTO_QUALITY = 82
PRINT_MAX_PX = 440  # 7.5 cm at 149 dpi


class ServiceError(Exception):
    """A refusal with a Thai message for the user; nothing was written.

    fields: the message of each form field at fault, when the refusal is about given values.
    """

    def __init__(self, message: str, *, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class ConflictError(ServiceError):
    pass


@dataclass
class NewPhoto:
    file: object
    caption: str


def _megapixels(n: int) -> str:
    return f"{n / 1_000_000:,.1f}".rstrip("0").rstrip(".")


def photo_too_large(pixels: int, limit: int, *, more_than: bool = False) -> ServiceError:
    shown = f"มากกว่า {_megapixels(pixels)}" if more_than else _megapixels(pixels)
    return ServiceError(f"ภาพมีขนาดใหญ่เกินไป ({shown} ล้านพิกเซล; สูงสุด {_megapixels(limit)} ล้านพิกเซล)")


def photo_pixels(*, upload) -> int:
    """Width × height from the image header only (nothing decoded); refuses a non-image and an
    image over PHOTO_MAX_PIXELS with a Thai ServiceError."""
    if upload.size > settings.EVIDENCE_MAX_UPLOAD_BYTES:
        raise ServiceError(f"ไฟล์ภาพใหญ่เกินไป (สูงสุด {settings.EVIDENCE_MAX_UPLOAD_BYTES // (1024 * 1024)} MB)")
    limit = settings.PHOTO_MAX_PIXELS
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(upload) as probe:  # lazy: reads the header, not the pixels
                width, height = probe.size
    except Image.DecompressionBombError:  # Pillow's guard fired first (over twice the limit)
        raise photo_too_large(2 * Image.MAX_IMAGE_PIXELS, limit, more_than=True) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ServiceError("ไฟล์ที่อัปโหลดไม่ใช่ภาพที่อ่านได้") from None
    finally:
        upload.seek(0)
    pixels = width * height
    if pixels > limit:
        raise photo_too_large(pixels, limit)
    return pixels


def photos_check(*, uploads: list) -> None:
    """The photos of one save: at most PHOTO_MAX_PER_FORM, each and together within their pixel limits,
    all read from the headers before any is decoded."""
    if len(uploads) > settings.PHOTO_MAX_PER_FORM:
        raise ServiceError(f"แนบภาพได้ครั้งละไม่เกิน {settings.PHOTO_MAX_PER_FORM} ภาพ")
    total = sum(photo_pixels(upload=u) for u in uploads)
    if total > settings.PHOTO_MAX_TOTAL_PIXELS:
        raise ServiceError(
            f"ภาพที่แนบรวมกันมีขนาดใหญ่เกินไป ({_megapixels(total)} ล้านพิกเซล; "
            f"สูงสุด {_megapixels(settings.PHOTO_MAX_TOTAL_PIXELS)} ล้านพิกเซลต่อครั้ง) กรุณาแนบทีละน้อยลง"
        )


def photo_process(*, upload, max_px: int = PHOTO_MAX_PX) -> ContentFile:
    """Decode the upload as an image (whatever its name says), apply EXIF orientation,
    drop all metadata (location included), downscale and re-encode as JPEG.
    The pixel count is checked from the header before anything is decoded."""
    photo_pixels(upload=upload)
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as img:
            if img.format not in {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"}:
                raise ServiceError("รองรับเฉพาะไฟล์ภาพ JPEG, PNG หรือ WebP")
            img.draft("RGB", (max_px, max_px))  # JPEG: decode at a reduced scale when it can
            img = ImageOps.exif_transpose(img)
            img = img.convert("RGB")
            img.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=PHOTO_QUALITY, optimize=True, progressive=True)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ServiceError("ไฟล์ที่อัปโหลดไม่ใช่ภาพที่อ่านได้") from None
    return ContentFile(buf.getvalue(), name="photo.jpg")


def progress_save(
    *,
    access: Access,
    measure: Measure,
    activity: Activity | None,
    round: str,
    data: dict,
    expected_version: int | None,
    new_photos: Iterable[NewPhoto] = (),
    delete_photo_ids: Iterable[int] = (),
    new_links: Iterable[tuple[str, str]] = (),
    delete_link_ids: Iterable[int] = (),
    user=None,
    token: str | None = None,
) -> Progress:
    """Record progress for an item in a round. Whether the user may is checked here, and only here
    for a save (PermissionDenied); the values are checked by measures/rules.py (ServiceError.fields).

    measure and activity as selectors.measure_get_for_access() and selectors.activity_get() give
    them (divisions prefetched, agency and year joined): nothing of them is read again.
    expected_version is the version the user's form was based on (None for a new entry);
    if someone saved in between, the save is refused and their work kept. A form whose token was
    used already (a double click) returns what its first submission saved, adding nothing twice.
    """
    progress_edit_check(access=access, measure=measure, activity=activity)
    # Decode photos before opening the transaction: a bad file refuses the whole save. Their
    # number and pixels are checked from the headers first, before any is decoded.
    new_photos = list(new_photos)
    photos_check(uploads=[p.file for p in new_photos])
    processed = [
        (photo_process(upload=p.file), photo_process(upload=p.file, max_px=PRINT_MAX_PX), p.caption) for p in new_photos
    ]
    new_links = list(new_links)
    for url, _label in new_links:
        if not url.lower().startswith(("http://", "https://")):
            raise ServiceError("ลิงก์หลักฐานต้องขึ้นต้นด้วย http:// หรือ https://")
    with transaction.atomic():
        done = submission_claim(token=token, kind="progress")
        if done is not None:
            return submission_object(Progress.objects.filter(measure=measure, activity=activity, round=round), done)
        progress = Progress.objects.filter(measure=measure, activity=activity, round=round).first()
        if progress is None:
            if expected_version not in (None, 0):
                raise ConflictError("รายการนี้ถูกลบหรือเปลี่ยนแปลงโดยผู้อื่น กรุณาโหลดหน้าใหม่")
            progress = Progress(measure=measure, activity=activity, round=round)
        else:
            try:
                version_claim(progress, expected_version)  # the row stays locked until the end
            except StaleVersion:
                raise _progress_conflict(progress) from None
            progress.measure, progress.activity = measure, activity  # loaded already: not read again
        for field in PROGRESS_FIELDS:
            if field in data:
                setattr(progress, field, data[field])
        progress.unable_reason, progress.unable_note = unable_reason_kept(
            status=progress.status, unable_reason=progress.unable_reason, unable_note=progress.unable_note
        )
        problems = progress_problems(
            status=progress.status,
            unable_reason=progress.unable_reason,
            unable_note=progress.unable_note,
            completed_on=progress.completed_on,
            budget_spent=progress.budget_spent,
            window=completion_window(fiscal_year=measure.year.be_year, round=round, today=thai.today()),
        )
        if problems:
            raise ServiceError(" ".join(problems.values()), fields=problems)
        is_new = progress.pk is None
        progress.updated_by = user
        if is_new:
            try:
                with transaction.atomic():  # the first entry of two at once: the second is a conflict
                    progress.save()
            except IntegrityError:
                raise _progress_conflict(progress) from None
        else:
            progress.save()
        progress.photos.filter(id__in=list(delete_photo_ids)).delete()
        progress.links.filter(id__in=list(delete_link_ids)).delete()
        start = 0 if is_new else progress.photos.count()
        for i, (content, print_content, caption) in enumerate(processed):
            photo = EvidencePhoto(progress=progress, caption=caption, order=start + i)
            photo.image.save(content.name, content, save=False)
            photo.print_image.save("print.jpg", print_content, save=False)
            photo.save()
        for url, label in new_links:
            EvidenceLink.objects.create(progress=progress, url=url, label=label)
        submission_done(token=token, kind="progress", object_id=progress.pk)
    return progress


def _progress_conflict(progress: Progress) -> ConflictError:
    """The refusal of a stale save, naming who saved last."""
    stored = (
        Progress.objects.select_related("updated_by")
        .filter(measure_id=progress.measure_id, activity_id=progress.activity_id, round=progress.round)
        .first()
    )
    by = stored.updated_by if stored else None
    who = (by.get_full_name() or by.username) if by else "ผู้อื่น"
    return ConflictError(
        f"มีการบันทึกรายการนี้โดย {who} หลังจากที่คุณเปิดแบบฟอร์ม ระบบจึงไม่บันทึกทับ "
        "ข้อความของคุณยังอยู่ในแบบฟอร์มด้านล่าง เทียบกับข้อมูลล่าสุดได้ในตาราง "
        "ถ้ายังต้องการบันทึกข้อความของคุณแทนข้อมูลล่าสุด กด “บันทึก” อีกครั้ง"
    )


def progress_edit_check(*, access: Access, measure: Measure, activity: Activity | None) -> None:
    """Who may record an item's progress: its divisions' staff and the coordinator."""
    if not access.can_edit_progress(selectors.item_division_ids(measure, activity)):
        raise PermissionDenied("คุณไม่มีสิทธิ์บันทึกผลของรายการนี้")


def measure_save(
    *,
    access: Access,
    measure: Measure,
    divisions: Iterable,
    indicators: Iterable[Indicator],
    expected_version: int | None = None,
    token: str | None = None,
) -> Measure:
    """Create a measure (numbered after the year's last) or save an edit of one.

    An edit must come from the version its form was opened on (ita_portal.edits.version_claim:
    StaleVersion otherwise, nothing written, its divisions and indicators untouched). A form
    whose token was used already (a double click) returns the measure its first submission saved.
    """
    access.require_manage()
    if measure.agency_id != access.agency.id:
        raise ServiceError("มาตรการไม่ได้อยู่ในหน่วยงานของคุณ")
    with transaction.atomic():
        done = submission_claim(token=token, kind="measure")
        if done is not None:
            return submission_object(Measure.objects.filter(agency=access.agency), done)
        if measure.pk:
            version_claim(measure, expected_version)
        else:
            # One create at a time per agency: the next number is read and taken under the lock.
            Agency.objects.select_for_update().filter(pk=access.agency.pk).first()
            if not measure.order:
                last = Measure.objects.filter(agency=measure.agency, year=measure.year).order_by("-order").first()
                measure.order = (last.order + 1) if last else 1
        measure.save()
        measure.divisions.set(divisions)
        measure.indicators.set(indicators)
        submission_done(token=token, kind="measure", object_id=measure.pk)
    return measure


def activity_save(
    *,
    access: Access,
    activity: Activity,
    divisions: Iterable,
    expected_version: int | None = None,
    token: str | None = None,
) -> Activity:
    """Create an activity (numbered after the measure's last) or save an edit of one; as measure_save."""
    access.require_manage()
    if activity.measure.agency_id != access.agency.id:
        raise ServiceError("กิจกรรมไม่ได้อยู่ในหน่วยงานของคุณ")
    with transaction.atomic():
        done = submission_claim(token=token, kind="activity")
        if done is not None:
            return submission_object(Activity.objects.filter(measure=activity.measure), done)
        if activity.pk:
            version_claim(activity, expected_version)
        else:
            Measure.objects.select_for_update().filter(pk=activity.measure_id).first()
            if not activity.order:
                last = activity.measure.activities.order_by("-order").first()
                activity.order = (last.order + 1) if last else 1
        activity.save()
        activity.divisions.set(divisions)
        submission_done(token=token, kind="activity", object_id=activity.pk)
    return activity


def measure_delete(*, access: Access, measure: Measure, expected_version: int | None) -> None:
    """A measure goes with its activities, progress and evidence; only the version the page showed
    (StaleVersion otherwise: someone changed it since, nothing is deleted)."""
    access.require_manage()
    if measure.agency_id != access.agency.id:
        raise ServiceError("มาตรการไม่ได้อยู่ในหน่วยงานของคุณ")
    with transaction.atomic():
        version_check(measure, expected_version)
        measure.delete()


def activity_delete(*, access: Access, activity: Activity, expected_version: int | None) -> None:
    """An activity goes with its progress and evidence; only the version the page showed."""
    access.require_manage()
    if activity.measure.agency_id != access.agency.id:
        raise ServiceError("กิจกรรมไม่ได้อยู่ในหน่วยงานของคุณ")
    with transaction.atomic():
        version_check(activity, expected_version)
        activity.delete()


def plan_save(*, access: Access, plan: Plan, expected_version: int | None = None, token: str | None = None) -> Plan:
    """The report's introduction, recommendations and signatory for a year (versioned as measure_save)."""
    access.require_manage()
    if plan.agency_id != access.agency.id:
        raise ServiceError("ข้อมูลประกอบรายงานไม่ได้อยู่ในหน่วยงานของคุณ")
    with transaction.atomic():
        done = submission_claim(token=token, kind="plan")
        if done is not None:
            return submission_object(Plan.objects.filter(agency=access.agency), done)
        if plan.pk:
            version_claim(plan, expected_version)
            plan.save()
        else:
            try:
                with transaction.atomic():  # someone else created the year's plan meanwhile: theirs stays
                    plan.save()
            except IntegrityError:
                raise StaleVersion() from None
        submission_done(token=token, kind="plan", object_id=plan.pk)
    return plan


def measures_copy_year(*, access: Access, from_year: FiscalYear, to_year: FiscalYear, token: str | None = None) -> int:
    """Start a year from last year's measures: same titles, steps, divisions and activities; no progress.

    Tools and indicators map to their successors in the new year (the `predecessor` the year's
    copy recorded: a renumbered indicator follows its predecessor), else by code/number; issues by number.
    Returns the number of measures copied; a resubmitted form (same token) copies nothing and returns 0.
    """
    access.require_manage()
    if from_year == to_year:
        raise ServiceError("ปีต้นทางและปีปลายทางต้องไม่ใช่ปีเดียวกัน")
    agency = access.agency
    with transaction.atomic():
        if submission_claim(token=token, kind="copy_year") is not None:
            return 0
        # One copy at a time per agency: the second waits, then finds the first one's measures.
        Agency.objects.select_for_update().filter(pk=agency.pk).first()
        if Measure.objects.filter(agency=agency, year=to_year).exists():
            raise ServiceError(f"ปีงบประมาณ {to_year.be_year} มีมาตรการอยู่แล้ว จึงไม่คัดลอกซ้ำ")
        count = _measures_copy(agency=agency, from_year=from_year, to_year=to_year)
        submission_done(token=token, kind="copy_year", object_id=to_year.pk)
    return count


def _measures_copy(*, agency, from_year: FiscalYear, to_year: FiscalYear) -> int:
    issues = {i.number: i for i in Issue.objects.filter(year=to_year)}
    new_tools = list(Tool.objects.filter(year=to_year))
    new_indicators = list(Indicator.objects.filter(year=to_year))
    tool_by_code = {t.code: t for t in new_tools}
    tool_successor = {t.predecessor_id: t for t in new_tools if t.predecessor_id}
    indicator_by_number = {i.number: i for i in new_indicators}
    indicator_successor = {i.predecessor_id: i for i in new_indicators if i.predecessor_id}

    def tool_of(old):
        return tool_successor.get(old.pk) or tool_by_code.get(old.code)

    def indicator_of(old):
        return indicator_successor.get(old.pk) or indicator_by_number.get(old.number)

    source = (
        Measure.objects.filter(agency=agency, year=from_year)
        .select_related("issue", "tool")
        .prefetch_related("divisions", "indicators", "activities__divisions")
    )
    count = 0
    for old in source:
        new = Measure.objects.create(
            agency=agency,
            year=to_year,
            order=old.order,
            number=old.number,
            issue=issues.get(old.issue.number) if old.issue else None,
            tool=tool_of(old.tool) if old.tool else None,
            focus=old.focus,
            title=old.title,
            steps=old.steps,
            period=old.period,
            responsible_note=old.responsible_note,
            monitoring=old.monitoring,
            budget=old.budget,
            copied_from=old,
        )
        new.divisions.set(old.divisions.all())
        new.indicators.set([n for n in (indicator_of(i) for i in old.indicators.all()) if n is not None])
        for a in old.activities.all():
            na = Activity.objects.create(measure=new, order=a.order, title=a.title, steps=a.steps, period=a.period)
            na.divisions.set(a.divisions.all())
        count += 1
    plan = Plan.objects.filter(agency=agency, year=from_year).first()
    if plan:
        Plan.objects.get_or_create(
            agency=agency,
            year=to_year,
            defaults={"signatory_name": plan.signatory_name, "signatory_position": plan.signatory_position},
        )
    return count
