"""Reads for following up a reporting round: its dates (the one rule, round_window) and who has
reported what (the coordinator's board, ติดตามการรายงานผล).

Due dates: the coordinator's own dates for the agency (RoundSchedule), else the year's
(FiscalYear.six_month_due / annual_due), else the defaults below. A round opens the day after its
period ends (1 เม.ย. / 1 ต.ค.), never after its due date.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from agencies.models import Agency, Division, Role
from agencies.selectors import members_with_roles
from assessments.models import FiscalYear
from assessments.selectors import round_default_due
from ita_portal.thai import BE_OFFSET

from .models import Activity, Measure, Progress, ReminderSetting, Round, RoundSchedule, Status, default_remind_days

NOT_REPORTED = "not_reported"
UNSPECIFIED = "unspecified"
STATE_LABELS = {
    NOT_REPORTED: "ยังไม่รายงาน",
    Status.NOT_STARTED: Status.NOT_STARTED.label,
    Status.IN_PROGRESS: Status.IN_PROGRESS.label,
    UNSPECIFIED: "ไม่ระบุสถานะ",
    Status.UNABLE: Status.UNABLE.label,
    Status.DONE: Status.DONE.label,
}
# The board's order: what needs chasing first.
STATE_ORDER = {state: i for i, state in enumerate(STATE_LABELS)}


def round_default_dates(*, year: FiscalYear, round: str) -> tuple[datetime.date, datetime.date, bool]:
    """(opens_on, due_on, from the year) for a round without the agency's own dates.

    Without a date on the year: assessments.selectors.round_default_due (the year selector's rule
    too), 30 เม.ย. for the six-month round and 31 ต.ค. after the year for the annual round.
    """
    ce = year.be_year - BE_OFFSET
    annual = round != Round.SIX_MONTH
    opens = datetime.date(ce, 10, 1) if annual else datetime.date(ce, 4, 1)
    given = year.annual_due if annual else year.six_month_due
    due = given or round_default_due(be_year=year.be_year, annual=annual)
    return min(opens, due), due, given is not None


@dataclass(frozen=True)
class RoundWindow:
    year: FiscalYear
    round: str
    opens_on: datetime.date
    due_on: datetime.date
    source: str  # "agency" (the coordinator's dates), "year" (FiscalYear) or "default"

    @property
    def round_label(self) -> str:
        return Round(self.round).label

    def days_left(self, today: datetime.date) -> int:
        return (self.due_on - today).days

    def is_open(self, today: datetime.date) -> bool:
        return today >= self.opens_on

    def is_overdue(self, today: datetime.date) -> bool:
        return today > self.due_on


def _window(year: FiscalYear, round: str, schedule: RoundSchedule | None) -> RoundWindow:
    if schedule is not None:
        return RoundWindow(year, round, schedule.opens_on, schedule.due_on, "agency")
    opens, due, from_year = round_default_dates(year=year, round=round)
    return RoundWindow(year, round, opens, due, "year" if from_year else "default")


def round_window(*, agency: Agency, year: FiscalYear, round: str) -> RoundWindow:
    """When the round opens and is due for this agency (one query)."""
    schedule = RoundSchedule.objects.filter(agency=agency, year=year, round=round).first()
    return _window(year, round, schedule)


def round_windows(*, agencies, year: FiscalYear, round: str) -> dict[int, RoundWindow]:
    """round_window() for many agencies at once (one query)."""
    ids = [a.id for a in agencies]
    schedules = {s.agency_id: s for s in RoundSchedule.objects.filter(agency_id__in=ids, year=year, round=round)}
    return {i: _window(year, round, schedules.get(i)) for i in ids}


def round_due_date(*, agency: Agency, year: FiscalYear, round: str) -> datetime.date:
    """The date the round's results are due: every page and reminder asks this."""
    return round_window(agency=agency, year=year, round=round).due_on


def remind_days(*, agency: Agency) -> list[int]:
    setting = ReminderSetting.objects.filter(agency=agency).first()
    return list(setting.days_before) if setting is not None else default_remind_days()


def remind_days_many(*, agency_ids) -> dict[int, list[int]]:
    stored = dict(
        ReminderSetting.objects.filter(agency_id__in=list(agency_ids)).values_list("agency_id", "days_before")
    )
    return {i: list(stored.get(i, default_remind_days())) for i in agency_ids}


@dataclass
class BoardRow:
    measure: Measure
    activity: Activity | None
    division: Division | None
    state: str
    progress: Progress | None
    overdue: bool

    @property
    def title(self) -> str:
        return self.activity.title if self.activity else self.measure.title or self.measure.focus

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def status(self) -> str:
        """For the status badge partial: the stored status, or none at all."""
        return "" if self.state in (NOT_REPORTED, UNSPECIFIED) else self.state


@dataclass
class DivisionRow:
    division: Division | None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATE_LABELS, 0))
    last_saved: Progress | None = None
    staff: list = field(default_factory=list)
    overdue: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def not_reported(self) -> int:
        return self.counts[NOT_REPORTED]


@dataclass
class Board:
    window: RoundWindow
    today: datetime.date
    rows: list[BoardRow]
    divisions: list[DivisionRow]
    states: list[tuple[str, str]]

    @property
    def outstanding(self) -> list[DivisionRow]:
        return [d for d in self.divisions if d.division is not None and d.not_reported]


def board(*, agency: Agency, year: FiscalYear, round: str, today: datetime.date) -> Board:
    """Every measure (or each of its activities) × responsible division with its state in the round.

    Not yet reported and past the due date first; then by state, division and order. A fixed
    number of queries whatever the size of the plan.
    """
    window = round_window(agency=agency, year=year, round=round)
    measures = (
        Measure.objects.for_agency(agency)
        .for_year(year)
        .prefetch_related(
            "divisions",
            Prefetch("activities", queryset=Activity.objects.prefetch_related("divisions")),
            Prefetch(
                "progress",
                queryset=Progress.objects.filter(round=round)
                .select_related("updated_by")
                .only(
                    "id", "measure_id", "activity_id", "round", "status", "updated_at",
                    "updated_by__username", "updated_by__first_name", "updated_by__last_name",
                ),
            ),
        )
        .order_by("order", "id")
    )  # fmt: skip
    overdue_now = window.is_overdue(today)
    rows: list[BoardRow] = []
    per_division: dict[int | None, DivisionRow] = {}
    divisions = {d.id: d for d in Division.objects.for_agency(agency)}
    for measure in measures:
        progress = {p.activity_id: p for p in measure.progress.all()}
        for activity in list(measure.activities.all()) or [None]:
            own = list(activity.divisions.all()) if activity is not None else []
            responsible = own or list(measure.divisions.all()) or [None]
            p = progress.get(activity.id if activity else None)
            if p is None:
                state = NOT_REPORTED
            else:
                state = p.status or UNSPECIFIED
            for division in responsible:
                row = BoardRow(measure, activity, division, state, p, overdue_now and state == NOT_REPORTED)
                rows.append(row)
                key = division.id if division else None
                drow = per_division.setdefault(key, DivisionRow(divisions.get(key)))
                drow.counts[state] += 1
                drow.overdue = drow.overdue or row.overdue
                if p is not None and (drow.last_saved is None or p.updated_at > drow.last_saved.updated_at):
                    drow.last_saved = p
    staff_of: dict[int, list] = defaultdict(list)
    for m in members_with_roles(agency=agency, roles=[Role.STAFF]):
        for d in m.divisions.all():
            staff_of[d.id].append(m.user)
    for key, drow in per_division.items():
        drow.staff = staff_of.get(key, []) if key is not None else []

    def division_order(d: Division | None) -> tuple:
        return (d is None, d.order if d else 0, d.name if d else "")

    rows.sort(
        key=lambda r: (
            not r.overdue,
            STATE_ORDER[r.state],
            division_order(r.division),
            r.measure.order,
            r.measure.id,
            r.activity.order if r.activity else -1,
            r.activity.id if r.activity else 0,
        )
    )
    division_rows = sorted(
        per_division.values(), key=lambda d: (not d.overdue, -d.not_reported, division_order(d.division))
    )
    return Board(
        window=window,
        today=today,
        rows=rows,
        divisions=division_rows,
        states=list(STATE_LABELS.items()),
    )
