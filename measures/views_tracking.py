"""The coordinator's follow-up pages: the board (ติดตามการรายงานผล), reminders and the round dates."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from agencies.access import Access, with_access
from agencies.models import Division

from . import selectors, services_reminders
from . import selectors_tracking as tracking
from .forms import RoundScheduleForm
from .models import Round
from .services import ServiceError


def _round(value: str | None) -> str:
    return value if value in Round.values else Round.SIX_MONTH


def _board_url(access: Access, be_year: int, rnd: str) -> str:
    return f"{reverse('measures:board', kwargs={'code': access.agency.code})}?year={be_year}&round={rnd}"


@with_access
def board(request, access: Access):
    access.require_manage()
    year = selectors.year_get(be_year=request.GET.get("year"), agency=access.agency)
    rnd = _round(request.GET.get("round"))
    today = timezone.localdate()
    data = tracking.board(agency=access.agency, year=year, round=rnd, today=today)
    return render(
        request,
        "measures/board.html",
        {"year": year, "round": rnd, "rounds": selectors.ROUNDS, "board": data, "today": today},
    )


@with_access
def board_remind(request, access: Access):
    """GET: what "ส่งเตือน" will do, to confirm; POST: queue the reminders (the outbox sends them)."""
    access.require_manage()
    params = request.POST if request.method == "POST" else request.GET
    year = selectors.year_get(be_year=params.get("year"), agency=access.agency)
    rnd = _round(params.get("round"))
    raw = params.get("division") or ""
    division = None
    if raw:  # one division of the agency; none named: every division not yet reported
        division = get_object_or_404(Division.objects.for_agency(access.agency), pk=raw if raw.isdigit() else 0)
    if request.method == "POST":
        try:
            summary = services_reminders.reminder_send_now(
                access=access, year=year, round=rnd, division_id=division.pk if division else None
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            if summary.queued:
                messages.success(request, f"ส่งเตือนแล้ว {summary.queued} ข้อความ (ดูสถานะได้ที่กล่องข้อความขาออก)")
            else:
                messages.info(request, "วันนี้ส่งเตือนกอง/สำนักนี้ไปแล้ว ระบบไม่ส่งซ้ำในวันเดียวกัน")
        return redirect(_board_url(access, year.be_year, rnd))
    data = tracking.board(agency=access.agency, year=year, round=rnd, today=timezone.localdate())
    targets = [d for d in data.outstanding if division is None or d.division.pk == division.pk]
    return render(
        request,
        "measures/board_remind.html",
        {"year": year, "round": rnd, "board": data, "division": division, "targets": targets},
    )


@with_access
def round_schedule(request, access: Access):
    access.require_manage()
    year = selectors.year_get(be_year=request.GET.get("year") or request.POST.get("year"), agency=access.agency)
    windows = {r: tracking.round_window(agency=access.agency, year=year, round=r) for r in Round.values}
    initial = {"days_before": ", ".join(str(d) for d in tracking.remind_days(agency=access.agency))}
    for r, w in windows.items():
        if w.source == "agency":
            initial[f"{r}_opens"], initial[f"{r}_due"] = w.opens_on, w.due_on
    form = RoundScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services_reminders.tracking_settings_save(
                access=access,
                year=year,
                dates={r: (data[f"{r}_opens"], data[f"{r}_due"]) for r in Round.values},
                days_before=data["days_before"],
                user=request.user,
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "บันทึกกำหนดการรายงานผลแล้ว")
            return redirect(_board_url(access, year.be_year, Round.SIX_MONTH))
    defaults = {r: tracking.round_default_dates(year=year, round=r) for r in Round.values}
    return render(
        request,
        "measures/round_schedule.html",
        {"year": year, "form": form, "windows": windows, "defaults": defaults},
    )
