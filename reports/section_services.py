"""Writes of the report authoring page: the report's sections, the analysis paragraphs, the agency's wording.

Only the agency's coordinators edit (Access.require_manage). An edit changes what an executive
approved or what was published: the report goes back to draft, to be proposed and approved again
(published versions stay as they are). Text edits carry the version the form was opened on; a
colleague's newer save is never overwritten.
"""

import math

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from pythainlp.util import thai_digit_to_arabic_digit

from agencies.access import Access

from .layout import LABELS, LAYOUT_DEFAULTS, MAX_PCT
from .markup import rich_text_from_input
from .models import COLUMNS, DEFAULT_COLUMNS, Report, ReportSection, SectionKind
from .narrative import ANCHOR_RE
from .sections import REPEATABLE, TEXT_MAX, addable_kinds, heading_label
from .sections import sequence as section_sequence
from .services import ServiceError, report_back_to_draft


class SectionConflictError(ServiceError):
    pass


TITLE_MAX = 500
CONFLICT = "มีผู้อื่นแก้ไขส่วนนี้หลังจากที่คุณเปิดหน้านี้ ระบบจึงไม่บันทึกทับ กรุณาคัดลอกข้อความของคุณไว้ แล้วโหลดหน้าใหม่เพื่อดูข้อความล่าสุด"


def _locked(*, access: Access, report: Report) -> Report:
    access.require_manage()
    if report.agency_id != access.agency.id:
        raise PermissionDenied("รายงานไม่ได้อยู่ในหน่วยงานของคุณ")
    if not report.pk:
        report.save()
    return Report.objects.select_for_update().get(pk=report.pk)


def _ordered(report: Report) -> list[ReportSection]:
    """The sections the report prints, in order, stored as rows (the default sequence is stored on the
    first edit, so that the coordinator edits what the report prints now)."""
    rows = list(report.sections.filter(anchor="").order_by("order", "id"))
    saved = [{"kind": r.kind, "title": r.title, "html": r.body, "anchor": ""} for r in rows]
    printed, _ = section_sequence(report.kind, saved)
    for item in printed[len(rows) :]:  # defaults follow the saved rows (reports/sections.py)
        rows.append(ReportSection.objects.create(report=report, kind=item["kind"], anchor=""))
    for order, row in enumerate(rows, start=1):
        if row.order != order:
            row.order = order
            row.save(update_fields=["order"])
    return rows


def _find(rows: list[ReportSection], *, section_id: int | None, position: int, kind: str) -> int:
    """Index of the section the form named: by id once stored, else by its place and kind."""
    for i, row in enumerate(rows):
        if section_id and row.pk == section_id:
            return i
    if not section_id and 1 <= position <= len(rows) and rows[position - 1].kind == kind:
        return position - 1
    raise SectionConflictError("ไม่พบส่วนนี้ในรายงานแล้ว อาจถูกลบหรือย้ายโดยผู้อื่น กรุณาโหลดหน้าใหม่")


@transaction.atomic
def report_section_add(*, access: Access, report: Report, kind: str, title: str = "") -> ReportSection:
    """Add a section at the end of the report."""
    report = _locked(access=access, report=report)
    if kind not in dict(addable_kinds(report.kind)):
        raise ServiceError("กรุณาเลือกชนิดของส่วนที่จะเพิ่ม")
    title = (title or "").strip()
    if len(title) > TITLE_MAX:
        raise ServiceError(f"หัวข้อยาวเกิน {TITLE_MAX:,} ตัวอักษร")
    rows = _ordered(report)
    if kind not in REPEATABLE and any(r.kind == kind for r in rows):
        raise ServiceError(f"รายงานมีส่วน “{SectionKind(kind).label}” อยู่แล้ว ย้ายส่วนเดิมแทนการเพิ่มใหม่")
    section = ReportSection.objects.create(
        report=report, kind=kind, title=title if kind in REPEATABLE else "", order=len(rows) + 1
    )
    report_back_to_draft(report)
    return section


@transaction.atomic
def report_section_remove(
    *, access: Access, report: Report, section_id: int | None, position: int = 0, kind: str = ""
) -> None:
    report = _locked(access=access, report=report)
    rows = _ordered(report)
    index = _find(rows, section_id=section_id, position=position, kind=kind)
    rows.pop(index).delete()
    if not any(r.kind not in (SectionKind.TEXT, SectionKind.FOREWORD) for r in rows):
        # A sequence of texts alone prints the default blocks after them (reports/sections.py).
        raise ServiceError("รายงานต้องมีอย่างน้อยหนึ่งส่วนที่ไม่ใช่ข้อความหรือคำนำ เช่น ตารางมาตรการ")
    _ordered(report)  # renumber
    report_back_to_draft(report)


@transaction.atomic
def report_section_move(
    *, access: Access, report: Report, section_id: int | None, step: int, position: int = 0, kind: str = ""
) -> None:
    """Move a section one place up (step -1) or down (+1)."""
    if step not in (-1, 1):
        raise ServiceError("ไม่พบคำสั่ง")
    report = _locked(access=access, report=report)
    rows = _ordered(report)
    index = _find(rows, section_id=section_id, position=position, kind=kind)
    other = index + step
    if not 0 <= other < len(rows):
        raise ServiceError("ส่วนนี้อยู่ลำดับแรกแล้ว" if step < 0 else "ส่วนนี้อยู่ลำดับสุดท้ายแล้ว")
    rows[index].order, rows[other].order = rows[other].order, rows[index].order
    for row in (rows[index], rows[other]):
        row.save(update_fields=["order"])
    report_back_to_draft(report)


@transaction.atomic
def report_section_update(
    *,
    access: Access,
    report: Report,
    section_id: int | None,
    title: str,
    body: str = "",
    expected_version: int,
    position: int = 0,
    kind: str = "",
) -> ReportSection:
    """Rename a section and, for the agency's own texts, save its text (sanitised).

    A built-in block's heading is saved as the report's label for it (empty: the default wording);
    the cover and title block carry the report's title.
    """
    report = _locked(access=access, report=report)
    rows = _ordered(report)
    section = rows[_find(rows, section_id=section_id, position=position, kind=kind)]
    if expected_version != section.version:
        raise SectionConflictError(CONFLICT)
    title = (title or "").strip()
    if len(title) > TITLE_MAX:
        raise ServiceError(f"หัวข้อยาวเกิน {TITLE_MAX:,} ตัวอักษร")
    if section.kind in REPEATABLE:
        if len(body or "") > TEXT_MAX:
            raise ServiceError(f"ข้อความยาวเกิน {TEXT_MAX:,} ตัวอักษร")
        section.title, section.body = title, rich_text_from_input(body)
    elif label := heading_label(report.kind, section.kind):
        # An empty title brings back the default wording, but leaves a heading the agency hid hidden
        # (the labels editor shows it again).
        if title or (report.labels or {}).get(label) != "":
            labels = {k: v for k, v in (report.labels or {}).items() if k != label}
            report.labels = {**labels, label: title} if title else labels
            report.save(update_fields=["labels"])
    elif section.kind in (SectionKind.COVER, SectionKind.TITLE):
        report.title = title
        report.save(update_fields=["title"])
    section.version = F("version") + 1
    section.save(update_fields=["title", "body", "version"])
    section.refresh_from_db()
    report_back_to_draft(report)
    return section


@transaction.atomic
def report_text_save(
    *, access: Access, report: Report, anchor: str, body: str, expected_version: int
) -> ReportSection | None:
    """Save the agency's paragraph at a place of the analysis (empty text: back to the generated one).

    expected_version: the version the form showed (0 when the paragraph was not saved yet).
    """
    if not ANCHOR_RE.match(anchor or ""):
        raise ServiceError("ไม่พบตำแหน่งของข้อความนี้ในรายงาน")
    if len(body or "") > TEXT_MAX:
        raise ServiceError(f"ข้อความยาวเกิน {TEXT_MAX:,} ตัวอักษร")
    report = _locked(access=access, report=report)
    section = report.sections.filter(anchor=anchor).first()
    if (section.version if section else 0) != expected_version:
        raise SectionConflictError(CONFLICT)
    html = rich_text_from_input(body)
    if not html:
        if section:
            section.delete()
        section = None
    elif section is None:
        section = ReportSection.objects.create(report=report, kind=SectionKind.TEXT, anchor=anchor, body=html)
    else:
        section.body, section.version = html, F("version") + 1
        section.save(update_fields=["body", "version"])
        section.refresh_from_db()
    report_back_to_draft(report)
    return section


@transaction.atomic
def report_text_restore(*, access: Access, report: Report, anchor: str) -> None:
    """Drop the agency's paragraph: the report prints the one generated from the numbers again."""
    report = _locked(access=access, report=report)
    deleted, _ = report.sections.filter(anchor=anchor).delete()
    if deleted:
        report_back_to_draft(report)


@transaction.atomic
def report_labels_save(*, access: Access, report: Report, labels: dict[str, str | None]) -> Report:
    """The agency's wording per label: text, "" (not printed) or None (the default wording)."""
    report = _locked(access=access, report=report)
    saved = dict(report.labels or {})
    for key, value in labels.items():
        if key not in LABELS:
            raise ServiceError("ไม่พบหัวข้อนี้ในรายงาน")
        if value is None:
            saved.pop(key, None)
            continue
        value = value.strip()
        if len(value) > TITLE_MAX:
            raise ServiceError(f"ถ้อยคำยาวเกิน {TITLE_MAX:,} ตัวอักษร")
        saved[key] = value
    _setting_store(report, "labels", saved)
    return report


def _setting_store(report: Report, field: str, value: dict) -> None:
    """Write one of the report's settings (labels, layout); a change sends the report back to draft."""
    if value != (getattr(report, field) or {}):
        setattr(report, field, value)
        report.save(update_fields=[field])
        report_back_to_draft(report)


# The page options the authoring page sets (column widths: report_column_widths_save).
LAYOUT_OPTIONS = [k for k in LAYOUT_DEFAULTS if k != "column_widths"]
PHOTO_PLACES = ("appendix", "beside")


@transaction.atomic
def report_layout_options_save(*, access: Access, report: Report, options: dict) -> Report:
    """The report's page options (reports/layout.py LAYOUT_DEFAULTS): switches and where photos go."""
    report = _locked(access=access, report=report)
    layout = dict(report.layout or {})
    for key, value in options.items():
        if key not in LAYOUT_OPTIONS:
            raise ServiceError("ไม่พบตัวเลือกนี้ในรูปแบบรายงาน")
        if key == "photos":
            if value not in PHOTO_PLACES:
                raise ServiceError("กรุณาเลือกตำแหน่งของภาพประกอบ")
        elif not isinstance(value, bool):
            raise ServiceError("ไม่พบตัวเลือกนี้ในรูปแบบรายงาน")
        layout[key] = value
    _setting_store(report, "layout", layout)
    return report


WIDTH_MIN, WIDTH_MAX = 1, int(MAX_PCT)


def _width(value) -> float | None:
    """A typed width: a number (Arabic or Thai digits, "%" allowed), or None when left empty."""
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = thai_digit_to_arabic_digit(str(value)).strip().removesuffix("%").strip().replace(",", ".")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return math.nan
    return number


@transaction.atomic
def report_column_widths_save(*, access: Access, report: Report, widths: dict) -> Report:
    """The measures table's column widths as percent of the table (empty: computed from the text).

    Only the columns the report prints; each within WIDTH_MIN–WIDTH_MAX. reports/layout.py shares the
    width in proportion and never makes a column narrower than its longest word.
    """
    report = _locked(access=access, report=report)
    printed = [c for c in (report.columns or DEFAULT_COLUMNS) if c in COLUMNS]
    saved = dict((report.layout or {}).get("column_widths") or {})
    for key, value in widths.items():
        if key not in printed:
            raise ServiceError("ไม่พบคอลัมน์นี้ในตารางมาตรการของรายงาน")
        number = _width(value)
        if number is None:
            saved.pop(key, None)
            continue
        if math.isnan(number) or not WIDTH_MIN <= number <= WIDTH_MAX:
            header = (report.labels or {}).get(f"col_{key}") or COLUMNS[key]
            raise ServiceError(
                f"ความกว้างของคอลัมน์ “{header}” ต้องเป็นตัวเลข {WIDTH_MIN} ถึง {WIDTH_MAX} "
                "(ร้อยละของความกว้างตาราง) หรือเว้นว่างไว้ให้ระบบคำนวณ"
            )
        saved[key] = round(number, 1)
    layout = dict(report.layout or {})
    if saved:
        layout["column_widths"] = saved
    else:
        layout.pop("column_widths", None)
    _setting_store(report, "layout", layout)
    return report
