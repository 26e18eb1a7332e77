"""The rules a progress entry obeys, wherever it is written from (the web form, progress_save,
the agency workbook import): each rule once, with its one Thai message."""

from datetime import date
from decimal import Decimal

from .models import Progress, Status

UNABLE_NEEDS_REASON = "สถานะ “ไม่สามารถดำเนินการได้” ต้องระบุเหตุที่ดำเนินการไม่ได้"
REASON_ONLY_WHEN_UNABLE = "ระบุเหตุที่ดำเนินการไม่ได้เฉพาะเมื่อสถานะเป็น “ไม่สามารถดำเนินการได้”"
DONE_NEEDS_DATE = "กรุณาระบุวันที่ดำเนินการแล้วเสร็จ"
BUDGET_NOT_NEGATIVE = "งบประมาณต้องไม่ติดลบ"


def progress_problems(
    *,
    status: str,
    unable_reason: str,
    unable_note: str,
    completed_on: date | None,
    budget_spent: Decimal | None,
) -> dict[str, str]:
    """The rules these values break: field name → Thai message (empty when none)."""
    problems = {}
    if status == Status.UNABLE and not unable_reason:
        problems["unable_reason"] = UNABLE_NEEDS_REASON
    if status != Status.UNABLE and (unable_reason or unable_note):
        problems["unable_reason" if unable_reason else "unable_note"] = REASON_ONLY_WHEN_UNABLE
    if status == Status.DONE and not completed_on:
        problems["completed_on"] = DONE_NEEDS_DATE
    if budget_spent is not None and budget_spent < 0:
        problems["budget_spent"] = BUDGET_NOT_NEGATIVE
    return problems


def unable_reason_kept(*, status: str, unable_reason: str, unable_note: str) -> tuple[str, str]:
    """The reason and note the web form keeps: its reason fields show whatever the status, so a reason
    left there after the status changed from "unable" is dropped rather than refused."""
    if status == Status.UNABLE:
        return unable_reason, unable_note
    return "", ""


def progress_version_bump(progress: Progress) -> None:
    """A stored entry is about to change: forms opened on its old version will then see a conflict,
    not overwrite it silently. Call with the row locked or inside the writing transaction."""
    if progress.pk:
        progress.version += 1
