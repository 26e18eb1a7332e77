"""Reads for measures: every page's queries are here, a fixed number whatever the data size."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from agencies.access import Access
from agencies.models import Division
from assessments.models import FiscalYear, Issue
from assessments.selectors import year_due
from ita_portal import thai
from ita_portal.cache import agency_cached

from .models import Activity, Measure, Progress, Round, Status


def year_current() -> FiscalYear:
    """The year a page without an agency opens on: the year whose round is due today."""
    year = year_due(today=timezone.localdate())
    if year is None:
        raise Http404("ยังไม่มีปีงบประมาณในระบบ")
    return year


def year_default(*, agency, today: datetime.date | None = None) -> FiscalYear:
    """THE default year of the agency's pages (งานของฉัน, measures, score page, reports).

    1. The year whose round is due on `today` (assessments.selectors.year_due): last fiscal year
       while its 12-month round is due (until its annual_due, or 31 ธ.ค.), else this fiscal year.
    2. If the agency has no measures in that year: its latest year with measures before it (what
       it last worked on), else the due year itself (empty: the coordinator starts it from last
       year's measures).

    `today` is a parameter so that tests fix the date. Kept in the agency's page cache per day.
    """
    today = today or timezone.localdate()
    return agency_cached(
        agency=agency,
        key=f"year_default:{today.isoformat()}",
        compute=lambda: _year_default(agency=agency, today=today),
    )


def _year_default(*, agency, today: datetime.date) -> FiscalYear:
    due = year_due(today=today)
    if due is None:
        raise Http404("ยังไม่มีปีงบประมาณในระบบ")
    latest = (
        FiscalYear.objects.filter(measures__agency=agency, be_year__lte=due.be_year)
        .select_related("copied_from")
        .order_by("-be_year")
        .first()
    )
    return latest or due


def year_last_with_measures(*, agency, before: FiscalYear) -> int | None:
    """The agency's latest year with measures before `before` (what "last year's measures" means)."""
    return (
        FiscalYear.objects.filter(measures__agency=agency, be_year__lt=before.be_year)
        .order_by("-be_year")
        .values_list("be_year", flat=True)
        .first()
    )


def year_get(*, be_year: int | str | None, agency=None) -> FiscalYear:
    if not be_year:
        return year_default(agency=agency) if agency is not None else year_current()
    try:
        return FiscalYear.objects.select_related("copied_from").get(be_year=int(be_year))
    except (FiscalYear.DoesNotExist, ValueError):
        raise Http404("ไม่พบปีงบประมาณ") from None


def measure_queryset(*, access: Access, year: FiscalYear) -> QuerySet[Measure]:
    """The year's measures the user may read, with everything the pages show prefetched."""
    qs = Measure.objects.for_agency(access.agency).for_year(year)
    if not access.sees_all:
        qs = qs.for_divisions(access.division_ids)
    return qs.select_related("issue", "tool", "year").prefetch_related(
        "divisions",
        "indicators",
        Prefetch("activities", queryset=Activity.objects.prefetch_related("divisions")),
        Prefetch("progress", queryset=Progress.objects.only("id", "measure_id", "activity_id", "round", "status")),
    )


def access_key(access: Access) -> str:
    """What of the user's access changes what a page shows (for the page caches in the views)."""
    return f"{access.role}:{','.join(str(i) for i in sorted(access.division_ids))}"


def measure_get_for_access(*, access: Access, pk: int, with_indicators: bool = True) -> Measure:
    """A measure of the user's agency; 404 for another agency's, 403 for another division's.

    Its divisions and activities (with theirs) come along; its indicators unless not wanted.
    """
    related = ["divisions", Prefetch("activities", queryset=Activity.objects.prefetch_related("divisions"))]
    if with_indicators:
        related.append("indicators")
    measure = (
        Measure.objects.for_agency(access.agency)
        .select_related("issue", "tool", "year", "agency")
        .prefetch_related(*related)
        .filter(pk=pk)
        .first()
    )
    if measure is None:
        raise Http404("ไม่พบมาตรการ")
    if not access.sees_all and not (access.division_ids & measure_division_ids(measure)):
        raise PermissionDenied("มาตรการนี้อยู่ในความรับผิดชอบของกอง/สำนักอื่น")
    return measure


def activity_get(*, measure: Measure, pk: int) -> Activity:
    """One of the measure's activities, from those measure_get_for_access() fetched with it."""
    for activity in measure.activities.all():
        if activity.pk == pk:
            return activity
    raise Http404("ไม่พบกิจกรรม")


def measure_division_ids(measure: Measure) -> set[int]:
    ids = {d.id for d in measure.divisions.all()}
    for activity in measure.activities.all():
        ids |= {d.id for d in activity.divisions.all()}
    return ids


def item_division_ids(measure: Measure, activity: Activity | None) -> set[int]:
    """Who answers for an item: an activity's own divisions, else its measure's."""
    if activity is not None:
        own = {d.id for d in activity.divisions.all()}
        if own:
            return own
    return {d.id for d in measure.divisions.all()}


@dataclass
class WorkItem:
    measure: Measure
    activity: Activity | None
    status: str
    progress_id: int | None
    can_edit: bool

    @property
    def title(self) -> str:
        return self.activity.title if self.activity else self.measure.title or self.measure.focus

    @property
    def status_label(self) -> str:
        return status_label(self.status)


def status_label(status: str) -> str:
    return Status(status).label if status in Status.values else "ไม่ระบุสถานะ"


def work_items(*, access: Access, year: FiscalYear, round: str, only_mine: bool) -> list[WorkItem]:
    """Measures and activities with their status in a round.

    A measure with activities is reported activity by activity; one without, as itself.
    only_mine keeps the items the user's divisions answer for.
    """
    items = []
    for measure in measure_queryset(access=access, year=year):
        progress = {(p.activity_id, p.round): p for p in measure.progress.all()}
        targets = list(measure.activities.all()) or [None]
        for activity in targets:
            divisions = item_division_ids(measure, activity)
            mine = bool(access.division_ids & divisions) if access.is_staff_member else True
            if only_mine and not mine:
                continue
            p = progress.get((activity.id if activity else None, round))
            items.append(
                WorkItem(
                    measure=measure,
                    activity=activity,
                    status=p.status if p else Status.NOT_STARTED,
                    progress_id=p.id if p else None,
                    can_edit=access.can_edit_progress(divisions),
                )
            )
    return items


@dataclass
class ProgressSummary:
    statuses: list[tuple[str, str]]
    by_issue: list[dict]
    by_division: list[dict]
    total: Counter


def progress_summary(*, access: Access, year: FiscalYear, round: str) -> ProgressSummary:
    """Counts by status per issue and per division for one round."""
    items = work_items(access=access, year=year, round=round, only_mine=False)
    issues = {i.id: i for i in Issue.objects.filter(year=year)}
    divisions = {d.id: d for d in Division.objects.for_agency(access.agency)}
    per_issue: dict[int | None, Counter] = defaultdict(Counter)
    per_division: dict[int | None, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    for item in items:
        per_issue[item.measure.issue_id][item.status] += 1
        total[item.status] += 1
        for did in item_division_ids(item.measure, item.activity) or {None}:
            per_division[did][item.status] += 1

    def rows(counters, names):
        out = []
        for key, counter in counters.items():
            out.append({"key": key, "label": names(key), "counts": counter, "total": sum(counter.values())})
        return out

    by_issue = sorted(
        rows(per_issue, lambda k: str(issues[k]) if k in issues else "ไม่ระบุประเด็น"),
        key=lambda r: (r["key"] is None, issues[r["key"]].number if r["key"] in issues else 0),
    )
    by_division = sorted(
        rows(per_division, lambda k: divisions[k].name if k in divisions else "ไม่ระบุกอง/สำนัก"),
        key=lambda r: (r["key"] is None, divisions[r["key"]].order if r["key"] in divisions else 0, r["label"]),
    )
    statuses = list(Status.choices)
    if total.get(""):
        statuses.append(("", "ไม่ระบุสถานะ"))
    return ProgressSummary(statuses=statuses, by_issue=by_issue, by_division=by_division, total=total)


def progress_get(*, measure: Measure, activity: Activity | None, round: str) -> Progress | None:
    return (
        Progress.objects.filter(measure=measure, activity=activity, round=round)
        .prefetch_related("photos", "links")
        .first()
    )


ROUNDS = list(Round.choices)


def _measure_search_text(measure: Measure, activity: Activity | None = None) -> str:
    parts = [measure.number, measure.title, measure.focus, measure.steps, measure.period, measure.responsible_note]
    parts += [str(measure.issue) if measure.issue else "", measure.tool.code if measure.tool else ""]
    parts += [d.name for d in measure.divisions.all()]
    activities = [activity] if activity else list(measure.activities.all())
    for a in activities:
        parts += [a.title, a.steps, a.period] + [d.name for d in a.divisions.all()]
    return thai.search_normalize(" ".join(str(p) for p in parts if p))


def _division_ids(measure: Measure, activity: Activity | None) -> set[int]:
    if activity is None:
        return {d.id for d in measure.divisions.all()} | {
            d.id for a in measure.activities.all() for d in a.divisions.all()
        }
    return item_division_ids(measure, activity)


def work_items_filter(
    items: list[WorkItem], *, q: str = "", issue_id: int | None = None, division_id: int | None = None, status: str = ""
) -> list[WorkItem]:
    """The work items that hold every word of q (Thai words found inside compounds too, see
    ita_portal.thai.search_terms), of the issue, answered for by the division, in the status."""
    terms = thai.search_terms(q) if q else []
    return [
        item
        for item in items
        if (issue_id is None or item.measure.issue_id == issue_id)
        and (division_id is None or division_id in _division_ids(item.measure, item.activity))
        and (not status or item.status == status)
        and (not terms or thai.search_matches(_measure_search_text(item.measure, item.activity), terms))
    ]


def measures_filter(
    measures, *, q: str = "", issue_id: int | None = None, division_id: int | None = None, status: str = ""
) -> list[Measure]:
    """The measures that match like work_items_filter() (their activities' words count); status is
    not a filter of measures (a measure has one per round and activity)."""
    terms = thai.search_terms(q) if q else []
    return [
        m
        for m in measures
        if (issue_id is None or m.issue_id == issue_id)
        and (division_id is None or division_id in _division_ids(m, None))
        and (not terms or thai.search_matches(_measure_search_text(m), terms))
    ]
