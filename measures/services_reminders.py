"""Reminders to the divisions about a reporting round, and the dates they follow.

Reminders only go into the outbox (notifications.services.outbox_enqueue); the sender delivers
them. Each has a dedupe key (agency, year, round, division, kind, day, recipient), so running the
scheduled job twice in a day, or pressing "ส่งเตือน" twice, queues each reminder once.

What the scheduled job (reminders_send_due, by `manage.py send_reminders`) sends, per agency and round:
  - the day the round opens: to the staff of every division with something to report;
  - N days before the due date (the agency's setting, default 7 and 1), the day after it and
    then weekly for OVERDUE_WEEKS weeks: to the staff of divisions that have not reported
    everything; after the due date the coordinators also get the list of those divisions.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agencies.access import Access
from agencies.models import Agency, Membership, Role
from agencies.selectors import members_with_roles
from assessments.models import FiscalYear
from ita_portal.thai import thai_date
from notifications.models import OutboundMessage
from notifications.services import outbox_enqueue, outbox_kick

from . import selectors_tracking as tracking
from .models import Measure, ReminderSetting, Round, RoundSchedule
from .services import ServiceError

OPENING, BEFORE, OVERDUE, MANUAL = "opening", "before", "overdue", "manual"
OVERDUE_WEEKS = 8  # weekly overdue reminders stop after this many weeks
MAX_REMIND_DAYS = 60
ITEMS_LISTED = 30


@dataclass
class ReminderSummary:
    queued: int = 0
    already: int = 0

    def __str__(self) -> str:
        return f"queued {self.queued}, already queued {self.already}"


def reminder_kinds(*, window: tracking.RoundWindow, days_before: list[int], today: datetime.date) -> list[str]:
    """Which scheduled reminders of the round fall on this day."""
    kinds = []
    if today == window.opens_on:
        kinds.append(OPENING)
    left = window.days_left(today)
    if left >= 0 and left in days_before and today >= window.opens_on:
        kinds.append(BEFORE)
    late = -left
    if 1 <= late <= 1 + 7 * OVERDUE_WEEKS and (late - 1) % 7 == 0:
        kinds.append(OVERDUE)
    return kinds


def _site(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _subject(kind: str, window: tracking.RoundWindow, today: datetime.date) -> str:
    what = f"รายงานผลการดำเนินการ{window.round_label} ปีงบประมาณ {window.year.be_year}"
    due = thai_date(window.due_on)
    if kind == OPENING:
        return f"เปิดให้บันทึก{what} (กำหนดส่ง {due})"
    if kind == BEFORE:
        left = window.days_left(today)
        return f"แจ้งเตือน: วันนี้ครบกำหนดส่ง{what}" if left == 0 else f"แจ้งเตือน: อีก {left} วันครบกำหนดส่ง{what} ({due})"
    if kind == OVERDUE:
        return f"เลยกำหนดส่ง{what} มาแล้ว {-window.days_left(today)} วัน (กำหนดส่ง {due})"
    return f"ผู้ประสานงาน ITA ขอให้บันทึก{what} (กำหนดส่ง {due})"


def _division_body(
    kind: str, agency: Agency, window: tracking.RoundWindow, division, rows: list[tracking.BoardRow]
) -> str:
    url = reverse("measures:my_work", kwargs={"code": agency.code})
    listed = [r for r in rows if kind == OPENING or r.state == tracking.NOT_REPORTED]
    heading = "มาตรการ/กิจกรรมที่กองรับผิดชอบ" if kind == OPENING else "มาตรการ/กิจกรรมที่ยังไม่ได้บันทึกผล"
    lines = [
        f"เรียน เจ้าหน้าที่{division.name} {agency.name}",
        "",
        f"{heading}ใน{window.round_label} ปีงบประมาณ {window.year.be_year} จำนวน {len(listed)} รายการ:",
    ]
    lines += [f"- {r.title[:150]}" for r in listed[:ITEMS_LISTED]]
    if len(listed) > ITEMS_LISTED:
        lines.append(f"และอีก {len(listed) - ITEMS_LISTED} รายการ")
    lines += [
        "",
        f"กำหนดส่ง {thai_date(window.due_on)}",
        f"บันทึกผลได้ที่ {_site(url)}?year={window.year.be_year}&round={window.round}",
    ]
    return "\n".join(lines)


def _coordinator_body(agency: Agency, window: tracking.RoundWindow, outstanding) -> str:
    url = reverse("measures:board", kwargs={"code": agency.code})
    lines = [f"กอง/สำนักที่ยังบันทึกผลไม่ครบใน{window.round_label} ปีงบประมาณ {window.year.be_year}:"]
    lines += [f"- {d.division.name}: ยังไม่รายงาน {d.not_reported} จาก {d.total} รายการ" for d in outstanding]
    lines += ["", f"ติดตามการรายงานผลได้ที่ {_site(url)}?year={window.year.be_year}&round={window.round}"]
    return "\n".join(lines)


def _planned(
    *, agency: Agency, board: tracking.Board, kinds: list[str], today: datetime.date, divisions=None
) -> list[dict]:
    """The messages these kinds of reminder mean for the agency today: recipient, text and key."""
    window = board.window
    base = f"remind:{agency.id}:{window.year.be_year}:{window.round}"
    rows_of: dict[int, list] = {}
    for r in board.rows:
        if r.division is not None:
            rows_of.setdefault(r.division.id, []).append(r)
    planned = []
    for kind in kinds:
        for drow in board.divisions:
            division = drow.division
            if division is None or (divisions is not None and division.id not in divisions):
                continue
            if kind != OPENING and not drow.not_reported:
                continue
            subject = _subject(kind, window, today)
            body = _division_body(kind, agency, window, division, rows_of.get(division.id, []))
            for user in drow.staff:
                key = f"{base}:{division.id}:{kind}:{today.isoformat()}:{user.id}"
                planned.append({"recipient": user, "subject": subject, "body": body, "dedupe_key": key})
        if kind == OVERDUE and board.outstanding:
            body = _coordinator_body(agency, window, board.outstanding)
            for m in members_with_roles(agency=agency, roles=[Role.COORDINATOR]):
                key = f"{base}:all:{kind}:{today.isoformat()}:{m.user.id}"
                planned.append({"recipient": m.user, "subject": _subject(kind, window, today), "body": body,
                                "dedupe_key": key})  # fmt: skip
    return planned


def _enqueue(*, agency: Agency, planned: list[dict], summary: ReminderSummary) -> None:
    keys = [p["dedupe_key"] for p in planned]
    existing = set(OutboundMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    for p in planned:
        if p["dedupe_key"] in existing:
            summary.already += 1
            continue
        outbox_enqueue(agency=agency, kick=False, **p)
        summary.queued += 1


def reminders_send_due(*, today: datetime.date | None = None) -> ReminderSummary:
    """Queue the reminders that fall today for every agency and round (the scheduled job)."""
    today = today or timezone.localdate()
    summary = ReminderSummary()
    for year in FiscalYear.objects.order_by("be_year"):
        # Agencies with measures this year and people to remind (not the synthetic scale data).
        agencies = list(
            Agency.objects.filter(id__in=Measure.objects.filter(year=year).values("agency_id"))
            .filter(id__in=Membership.objects.values("agency_id"))
            .order_by("id")
        )
        if not agencies:
            continue
        days = tracking.remind_days_many(agency_ids=[a.id for a in agencies])
        for rnd in Round.values:
            windows = tracking.round_windows(agencies=agencies, year=year, round=rnd)
            for agency in agencies:
                kinds = reminder_kinds(window=windows[agency.id], days_before=days[agency.id], today=today)
                if not kinds:
                    continue
                with transaction.atomic():
                    board = tracking.board(agency=agency, year=year, round=rnd, today=today)
                    _enqueue(agency=agency, planned=_planned(agency=agency, board=board, kinds=kinds, today=today),
                             summary=summary)  # fmt: skip
    if summary.queued:
        transaction.on_commit(outbox_kick)
    return summary


def reminder_send_now(
    *, access: Access, year: FiscalYear, round: str, division_id: int | None, today: datetime.date | None = None
) -> ReminderSummary:
    """The coordinator's "ส่งเตือน": one division (or every one not reported) is reminded now.

    Once a day per division: pressing again the same day queues nothing more.
    """
    access.require_manage()
    today = today or timezone.localdate()
    board = tracking.board(agency=access.agency, year=year, round=round, today=today)
    targets = {d.division.id for d in board.outstanding}
    if division_id is not None:
        if division_id not in {d.division.id for d in board.divisions if d.division is not None}:
            raise ServiceError("ไม่พบกอง/สำนักนี้ในรายการที่ต้องรายงานผล")
        if division_id not in targets:
            raise ServiceError("กอง/สำนักนี้บันทึกผลครบทุกรายการแล้ว")
        targets = {division_id}
    if not targets:
        raise ServiceError("ทุกกอง/สำนักบันทึกผลครบแล้ว ไม่มีผู้ที่ต้องเตือน")
    planned = _planned(agency=access.agency, board=board, kinds=[MANUAL], today=today, divisions=targets)
    if not planned:
        raise ServiceError("กอง/สำนักที่ยังไม่รายงานไม่มีเจ้าหน้าที่ในระบบ เพิ่มเจ้าหน้าที่ได้ที่หน้า “ผู้ใช้”")
    summary = ReminderSummary()
    with transaction.atomic():
        _enqueue(agency=access.agency, planned=planned, summary=summary)
        if summary.queued:
            transaction.on_commit(outbox_kick)
    return summary


def round_schedule_set(
    *,
    access: Access,
    year: FiscalYear,
    round: str,
    opens_on: datetime.date | None,
    due_on: datetime.date | None,
    user,
) -> RoundSchedule | None:
    """The agency's own dates for a round; without a due date the year's dates apply again."""
    access.require_manage()
    if round not in Round.values:
        raise ServiceError("ไม่พบรอบการรายงาน")
    if due_on is None:
        if opens_on is not None:
            raise ServiceError("กรุณากรอกวันกำหนดส่ง", fields={"due_on": "กรุณากรอกวันกำหนดส่ง"})
        RoundSchedule.objects.filter(agency=access.agency, year=year, round=round).delete()
        return None
    if opens_on is None:
        opens_on = min(tracking.round_default_dates(year=year, round=round)[0], due_on)
    if opens_on > due_on:
        raise ServiceError("วันเริ่มรายงานต้องไม่อยู่หลังวันกำหนดส่ง", fields={"opens_on": "ต้องไม่อยู่หลังวันกำหนดส่ง"})
    schedule, _ = RoundSchedule.objects.update_or_create(
        agency=access.agency,
        year=year,
        round=round,
        defaults={"opens_on": opens_on, "due_on": due_on, "updated_by": user},
    )
    return schedule


def reminder_setting_set(*, access: Access, days_before: list[int]) -> ReminderSetting:
    access.require_manage()
    days = sorted({int(d) for d in days_before}, reverse=True)
    if any(d < 0 or d > MAX_REMIND_DAYS for d in days):
        raise ServiceError(f"จำนวนวันต้องอยู่ระหว่าง 0 ถึง {MAX_REMIND_DAYS}")
    setting, _ = ReminderSetting.objects.update_or_create(agency=access.agency, defaults={"days_before": days})
    return setting


@transaction.atomic
def tracking_settings_save(
    *, access: Access, year: FiscalYear, dates: dict[str, tuple], days_before: list[int], user
) -> None:
    """The round dates page: both rounds' dates and the reminder days, all or nothing."""
    for rnd, (opens_on, due_on) in dates.items():
        round_schedule_set(access=access, year=year, round=rnd, opens_on=opens_on, due_on=due_on, user=user)
    reminder_setting_set(access=access, days_before=days_before)
