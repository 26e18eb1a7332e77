"""The rules a progress entry obeys, wherever it is written from (the web form, progress_save,
the agency workbook import): each rule once, with its one Thai message."""

import datetime
from datetime import date
from decimal import Decimal

from ita_portal import thai

from .models import Round, Status

# What a progress form sets, the form and the service alike (obstacles: internal to the agency,
# never in a report).
PROGRESS_FIELDS = (
    "status",
    "unable_reason",
    "unable_note",
    "output",
    "outcome",
    "obstacles",
    "completed_on",
    "budget_spent",
)

UNABLE_NEEDS_REASON = "สถานะ “ไม่สามารถดำเนินการได้” ต้องระบุเหตุที่ดำเนินการไม่ได้"
REASON_ONLY_WHEN_UNABLE = "ระบุเหตุที่ดำเนินการไม่ได้เฉพาะเมื่อสถานะเป็น “ไม่สามารถดำเนินการได้”"
DONE_NEEDS_DATE = "กรุณาระบุวันที่ดำเนินการแล้วเสร็จ"
BUDGET_NOT_NEGATIVE = "งบประมาณต้องไม่ติดลบ"
MEASURE_NEEDS_NAME = "กรุณากรอกชื่อมาตรการ/กิจกรรม (หรืออย่างน้อยประเด็นที่ต้องพัฒนา)"


def measure_name_problem(*, title: str, focus: str) -> str:
    """A measure is named by its title or, until it has one (as agency workbooks often leave it),
    by the issue to improve: the same rule for the import and the web form."""
    return "" if (title or "").strip() or (focus or "").strip() else MEASURE_NEEDS_NAME


def progress_problems(
    *,
    status: str,
    unable_reason: str,
    unable_note: str,
    completed_on: date | None,
    budget_spent: Decimal | None,
    window: tuple[date, date, str] | None = None,
) -> dict[str, str]:
    """The rules these values break: field name → Thai message (empty when none).
    window is the entry's completion_window(), where its fiscal year and round are known."""
    problems = {}
    if status == Status.UNABLE and not unable_reason:
        problems["unable_reason"] = UNABLE_NEEDS_REASON
    if status != Status.UNABLE and (unable_reason or unable_note):
        problems["unable_reason" if unable_reason else "unable_note"] = REASON_ONLY_WHEN_UNABLE
    if status == Status.DONE and not completed_on:
        problems["completed_on"] = DONE_NEEDS_DATE
    if completed_on and window and not window[0] <= completed_on <= window[1]:
        problems["completed_on"] = window[2]
    if budget_spent is not None and budget_spent < 0:
        problems["budget_spent"] = BUDGET_NOT_NEGATIVE
    return problems


def unable_reason_kept(*, status: str, unable_reason: str, unable_note: str) -> tuple[str, str]:
    """The reason and note the web form keeps: its reason fields show whatever the status, so a reason
    left there after the status changed from "unable" is dropped rather than refused."""
    if status == Status.UNABLE:
        return unable_reason, unable_note
    return "", ""


# Work finished in the days just after a round closes is often reported in that round.
COMPLETION_GRACE = datetime.timedelta(days=30)


def completion_window(
    *, fiscal_year: int, round: str, today: datetime.date
) -> tuple[datetime.date, datetime.date, str]:
    """The completion dates a round accepts, and the Thai message for any other date.

    From the fiscal year's first day (1 ต.ค.) to the round's last day (31 มี.ค. for the six-month
    round, 30 ก.ย. for the annual one) plus COMPLETION_GRACE, and never after today: for the
    six-month round of 2567, 1 ตุลาคม 2566 – 30 เมษายน 2567. progress_problems(window=…) refuses a
    date outside it on every path; the web form also gives its date box the range (BEDateField.limit).
    """
    start, end = thai.round_period(fiscal_year, six_month=round == Round.SIX_MONTH)
    latest = min(end + COMPLETION_GRACE, today)
    label = Round(round).label
    message = (
        f"วันที่แล้วเสร็จของ{label} ปีงบประมาณ {fiscal_year} ต้องอยู่ระหว่าง {thai.thai_date(start)} ถึง {thai.thai_date(latest)}"
    )
    if latest == today:
        message += " (ต้องไม่เป็นวันในอนาคต)"
    else:
        message += f" ({label}สิ้นสุด {thai.thai_date(end)} นับวันที่หลังจากนั้นได้ไม่เกิน {COMPLETION_GRACE.days} วัน)"
    return start, latest, message
