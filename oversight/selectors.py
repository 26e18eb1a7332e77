"""Reads for oversight pages: many agencies (a district, a province, the country) at once.

Every figure is aggregated by the database (Count, Avg, window functions); Python only merges
the handful of rows those aggregates return. A page runs a fixed number of queries whatever the
number of agencies. Synthetic agencies (generate_synthetic) are left out unless
settings.OVERSIGHT_INCLUDE_SYNTHETIC is on (scale tests).

The pass mark is the selected year's FiscalYear.target_score: who passes, which indicators are
weak, and where the score distribution splits all follow it.
"""

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Avg, Case, Count, F, IntegerField, Max, Min, Q, QuerySet, Value, When
from django.db.models.expressions import Window
from django.db.models.functions import Rank
from django.http import Http404
from django.utils import timezone

from agencies.models import Agency, AgencyKind, OversightScope
from assessments.models import AssessmentResult, FiscalYear, IndicatorScore
from reports.models import Kind, PublishedVersion, Report

RANKING_PAGE_SIZE = 50
# The national goal: at least this share (per cent) of agencies reach the year's target score.
PASSING_SHARE_GOAL = Decimal("80")

# Lower bounds of the distribution's score bands; the year's target is always one more bound,
# so that the bands split exactly at the pass mark.
BAND_FLOORS = (95, 90, 85, 80, 75, 70, 60, 50, 0)


def mark(value: Decimal | int) -> str:
    """A bound as people write it: 85, 87.5 → "87.50" only when it has a fraction."""
    value = Decimal(value)
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"


def score_bands(*, target: Decimal) -> list[tuple[str, Decimal]]:
    """(label, lower bound inclusive) from the highest band down; the first band that holds wins."""
    floors = sorted({Decimal(f) for f in BAND_FLOORS} | {Decimal(target)}, reverse=True)
    floors = [f for f in floors if 0 <= f <= 100]
    bands = []
    for i, low in enumerate(floors):
        if i == 0:
            label = f"{mark(low)}–100"
        elif low == 0:
            label = f"ต่ำกว่า {mark(floors[i - 1])}"
        else:
            label = f"{mark(low)}–{mark(floors[i - 1] - Decimal('0.01'))}"
        bands.append((label, low))
    return bands


@dataclass(frozen=True)
class Filters:
    be_year: int
    province: str = ""
    district: str = ""
    kind: str = ""

    def querystring(self, **changes) -> str:
        from urllib.parse import urlencode

        values = {"year": self.be_year, "province": self.province, "district": self.district, "kind": self.kind}
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v})


@dataclass
class Scope:
    """What an oversight user may read: the union of their OversightScopes."""

    title: str
    q: Q
    national: bool
    provinces: frozenset[str]  # the provinces named by the scopes (empty when national)
    key: str = ""  # identifies the scope in cache keys


def scope_for_user(*, user) -> Scope:
    scopes = list(OversightScope.objects.filter(user=user)) if user.is_authenticated else []
    if not scopes:
        raise PermissionDenied("เฉพาะผู้ใช้ที่มีสิทธิ์กำกับดูแลหลายหน่วยงานเท่านั้น")
    q = Q(pk__in=[])
    national = False
    for s in scopes:
        part = Q()
        if s.province:
            part &= Q(province=s.province)
        if s.district:
            part &= Q(district=s.district)
        if not s.province and not s.district:
            national = True
        q |= part
    return Scope(
        title=" · ".join(s.title for s in scopes),
        q=Q() if national else q,
        national=national,
        provinces=frozenset() if national else frozenset(s.province for s in scopes if s.province),
        key="*" if national else ";".join(sorted(f"{s.province}/{s.district}" for s in scopes)),
    )


def _db() -> str:
    """The replica for these roll-ups when one is configured (DATABASE_REPLICA_URL), else the primary."""
    return "replica" if "replica" in settings.DATABASES else "default"


def include_synthetic() -> bool:
    return bool(getattr(settings, "OVERSIGHT_INCLUDE_SYNTHETIC", False))


def agencies_in_scope(*, scope: Scope) -> QuerySet[Agency]:
    qs = Agency.objects.using(_db()).filter(scope.q)
    if not include_synthetic():
        qs = qs.filter(is_synthetic=False)
    return qs


def agencies_filtered(*, scope: Scope, filters: Filters) -> QuerySet[Agency]:
    qs = agencies_in_scope(scope=scope)
    if filters.province:
        qs = qs.filter(province=filters.province)
    if filters.district:
        qs = qs.filter(district=filters.district)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs


def _agency_in(scope: Scope, filters: Filters, prefix: str) -> Q:
    """The scope and filters for a model that reaches Agency through `prefix` (a semi-join)."""
    return Q(**{f"{prefix}__in": agencies_filtered(scope=scope, filters=filters).values("id")})


@dataclass
class FilterChoices:
    years: list[int]
    provinces: list[str]
    districts: list[str]
    all_provinces: bool = True  # the scope spans more than one province: "all provinces" is a choice
    kinds: list[tuple[str, str]] = field(default_factory=lambda: list(AgencyKind.choices))


def filters_parse(*, scope: Scope, params) -> tuple[Filters, FiscalYear, FilterChoices]:
    """The filters asked in the query string, kept within the user's scope (3–4 queries)."""
    years = list(FiscalYear.objects.using(_db()).order_by("-be_year"))
    if not years:
        raise Http404("ยังไม่มีปีงบประมาณในระบบ")
    current = next((y for y in years if y.is_current), years[0])
    try:
        year = next(y for y in years if y.be_year == int(params.get("year") or current.be_year))
    except (StopIteration, ValueError):
        raise Http404("ไม่พบปีงบประมาณ") from None
    in_scope = agencies_in_scope(scope=scope)
    # An agency without a province (or district) counts under "all", never as a blank choice.
    present = list(in_scope.order_by("province").values_list("province", flat=True).distinct())
    provinces = [p for p in present if p]
    province = params.get("province", "")
    if province not in provinces:
        province = ""
    if len(present) == 1:
        province = present[0]
    districts = []
    district = ""
    if province:
        districts = [
            d
            for d in in_scope.filter(province=province)
            .order_by("district")
            .values_list("district", flat=True)
            .distinct()
            if d
        ]
        district = params.get("district", "")
        if district not in districts:
            district = ""
    kind = params.get("kind", "")
    if kind not in AgencyKind.values:
        kind = ""
    filters = Filters(be_year=year.be_year, province=province, district=district, kind=kind)
    choices = FilterChoices(
        years=[y.be_year for y in years], provinces=provinces, districts=districts, all_provinces=len(present) > 1
    )
    return filters, year, choices


def _bucket(bands: list[tuple[str, Decimal]]) -> Case:
    return Case(
        *(When(overall__gte=low, then=Value(i)) for i, (_, low) in enumerate(bands)),
        default=Value(len(bands) - 1),
        output_field=IntegerField(),
    )


@dataclass
class Summary:
    agencies: int
    scored: int
    mean: Decimal | None
    lowest: Decimal | None
    highest: Decimal | None
    target: Decimal  # the year's pass mark (FiscalYear.target_score)
    passing: int  # overall ≥ target
    distribution: list[dict]
    levels: list[dict]
    indicators: list[dict]  # weakest first
    published_six_month: int
    published_annual: int
    areas: list[dict]
    area_label: str
    goal_share: Decimal = PASSING_SHARE_GOAL
    computed_at: datetime.datetime | None = None
    key: str = ""  # the cache key it was kept under, which also keys its rendered tables

    @property
    def passing_share(self) -> Decimal | None:
        return None if not self.scored else Decimal(self.passing * 100) / self.scored

    @property
    def unscored(self) -> int:
        return self.agencies - self.scored


def _share(part: int, whole: int) -> Decimal | None:
    return None if not whole else Decimal(part * 100) / whole


def summary(*, scope: Scope, filters: Filters, year: FiscalYear) -> Summary:
    """The group's figures for a year: 6 queries, whatever the number of agencies."""
    target = year.target_score
    bands = score_bands(target=target)
    results = AssessmentResult.objects.using(_db()).filter(
        _agency_in(scope, filters, "agency"), year=year, overall__isnull=False
    )
    agg = results.aggregate(
        n=Count("id"),
        mean=Avg("overall"),
        lowest=Min("overall"),
        highest=Max("overall"),
        passing=Count("id", filter=Q(overall__gte=target)),
    )
    buckets = dict(results.annotate(b=_bucket(bands)).order_by().values_list("b").annotate(n=Count("id")))
    distribution = [
        {
            "label": label,
            "low": low,
            "below": low < target,
            "count": buckets.get(i, 0),
            "share": _share(buckets.get(i, 0), agg["n"]),
        }
        for i, (label, low) in enumerate(bands)
    ]
    by_level = results.order_by().values("level_awarded").annotate(n=Count("id"), low=Min("overall"))
    levels = [
        {"label": row["level_awarded"] or "ไม่ระบุระดับ", "count": row["n"], "share": _share(row["n"], agg["n"])}
        for row in by_level.order_by("-low")
    ]
    indicators = [
        {
            "number": row["indicator__number"],
            "name": row["indicator__name"],
            "tool": row["indicator__tool__code"],
            "mean": row["mean"],
            "mean_below": row["mean"] is not None and row["mean"] < target,
            "below": row["below"],
            "count": row["n"],
            "below_share": _share(row["below"], row["n"]),
        }
        for row in IndicatorScore.objects.using(_db())
        .filter(_agency_in(scope, filters, "result__agency"), result__year=year)
        .order_by()
        .values("indicator__number", "indicator__name", "indicator__tool__code")
        .annotate(mean=Avg("score"), below=Count("id", filter=Q(score__lt=target)), n=Count("id"))
        .order_by("mean", "indicator__number")
    ]

    # Per area (the provinces of the scope, or the districts of one province): agencies, reports, scores.
    area_field = "district" if filters.province else "province"
    agencies = agencies_filtered(scope=scope, filters=filters)
    per_area = {row[area_field]: row for row in agencies.order_by().values(area_field).annotate(agencies=Count("id"))}
    published: dict[tuple[str, str], int] = {
        (row[f"agency__{area_field}"], row["kind"]): row["n"]
        for row in Report.objects.using(_db())
        .filter(
            _agency_in(scope, filters, "agency"),
            year=year,
            kind__in=[Kind.SIX_MONTH, Kind.ANNUAL],
            versions__isnull=False,
        )
        .order_by()
        .values(f"agency__{area_field}", "kind")
        .annotate(n=Count("agency", distinct=True))
    }
    for name, row in per_area.items():
        row["six"] = published.get((name, Kind.SIX_MONTH), 0)
        row["annual"] = published.get((name, Kind.ANNUAL), 0)
    scores = {
        row[f"agency__{area_field}"]: row
        for row in results.order_by()
        .values(f"agency__{area_field}")
        .annotate(n=Count("id"), mean=Avg("overall"), passing=Count("id", filter=Q(overall__gte=target)))
    }
    areas = []
    for name in sorted(per_area):
        a, s = per_area[name], scores.get(name, {})
        passing_share = _share(s.get("passing", 0), s.get("n", 0))
        areas.append(
            {
                "name": name,
                "agencies": a["agencies"],
                "scored": s.get("n", 0),
                "mean": s.get("mean"),
                "passing_share": passing_share,
                "short_of_goal": passing_share is not None and passing_share < PASSING_SHARE_GOAL,
                "six": a["six"],
                "annual": a["annual"],
                "six_share": _share(a["six"], a["agencies"]),
                "annual_share": _share(a["annual"], a["agencies"]),
            }
        )
    return Summary(
        agencies=sum(a["agencies"] for a in areas),
        scored=agg["n"],
        mean=agg["mean"],
        lowest=agg["lowest"],
        highest=agg["highest"],
        target=target,
        passing=agg["passing"],
        distribution=distribution,
        levels=levels,
        indicators=indicators,
        published_six_month=sum(a["six"] for a in areas),
        published_annual=sum(a["annual"] for a in areas),
        areas=areas,
        area_label="อำเภอ" if filters.province else "จังหวัด",
    )


def _ranking_queryset(scope: Scope, filters: Filters, year: FiscalYear) -> QuerySet[AssessmentResult]:
    return (
        AssessmentResult.objects.using(_db())
        .filter(_agency_in(scope, filters, "agency"), year=year, overall__isnull=False)
        .select_related("agency")
        .annotate(rank=Window(Rank(), order_by=F("overall").desc()))
        .only(
            "id",
            "overall",
            "level_awarded",
            "agency__code",
            "agency__name",
            "agency__kind",
            "agency__district",
            "agency__province",
        )
        .order_by("-overall", "agency__name", "id")
    )


def _published(agencies: Q, year: FiscalYear) -> set[tuple[int, str]]:
    """(agency id, kind) of the six-month and annual reports published for the year: 1 query."""
    return set(
        PublishedVersion.objects.using(_db())
        .filter(agencies, report__year=year, report__kind__in=[Kind.SIX_MONTH, Kind.ANNUAL])
        .order_by()
        .values_list("report__agency_id", "report__kind")
        .distinct()
    )


def _mark(rows: list[AssessmentResult], year: FiscalYear, published: set[tuple[int, str]]) -> None:
    for r in rows:
        r.below = r.overall < year.target_score
        r.six = (r.agency_id, Kind.SIX_MONTH) in published
        r.annual = (r.agency_id, Kind.ANNUAL) in published


def ranking(*, scope: Scope, filters: Filters, year: FiscalYear, page: int | str | None) -> Page:
    """Agencies ranked by overall score (ties share a rank), a page at a time: 3 queries.

    Each row carries `six` and `annual`: whether the agency has published that report for the year
    (one query for the page's agencies, not a subquery per ranked row), and `below`: whether its
    score is under the year's target.
    """
    result = Paginator(_ranking_queryset(scope, filters, year), RANKING_PAGE_SIZE).get_page(page)
    rows = list(result.object_list)
    _mark(rows, year, _published(Q(report__agency_id__in=[r.agency_id for r in rows]), year))
    result.object_list = rows
    return result


def ranking_rows(*, scope: Scope, filters: Filters, year: FiscalYear) -> list[AssessmentResult]:
    """Every ranked row at once, marked as ranking() marks a page's (the downloads): 2 queries."""
    rows = list(_ranking_queryset(scope, filters, year))
    _mark(rows, year, _published(_agency_in(scope, filters, "report__agency"), year))
    return rows


@dataclass(frozen=True)
class Publication:
    agency: Agency
    six: bool  # has published its six-month report for the year
    annual: bool  # has published its annual report for the year


def publications(*, scope: Scope, filters: Filters, year: FiscalYear) -> list[Publication]:
    """Every agency of the scope and filters, scored or not, and which of the year's reports it
    has published, by province, district and name: 2 queries."""
    agencies = agencies_filtered(scope=scope, filters=filters).order_by("province", "district", "name", "id")
    published = _published(_agency_in(scope, filters, "report__agency"), year)
    return [
        Publication(agency=a, six=(a.id, Kind.SIX_MONTH) in published, annual=(a.id, Kind.ANNUAL) in published)
        for a in agencies.only("id", "code", "name", "kind", "district", "province")
    ]


def _cache_key(kind: str, *, scope: Scope, filters: Filters, year: FiscalYear, extra: str = "") -> str:
    # v2: the objects of oversight.selectors (formerly reports.oversight), which carry the target.
    raw = f"{scope.key}|{filters}|{year.pk}|{year.target_score}|{include_synthetic()}" + (f"|{extra}" if extra else "")
    return f"oversight:{kind}:v2:" + hashlib.sha256(raw.encode()).hexdigest()


def summary_cached(*, scope: Scope, filters: Filters, year: FiscalYear) -> Summary:
    """summary(), kept for settings.OVERSIGHT_CACHE_SECONDS (scores change a few times a year;
    published counts may lag by that long). 0 turns the cache off."""
    seconds = getattr(settings, "OVERSIGHT_CACHE_SECONDS", 0)
    if not seconds:
        return summary(scope=scope, filters=filters, year=year)
    key = _cache_key("summary", scope=scope, filters=filters, year=year)
    data = cache.get(key)
    if data is None:
        data = summary(scope=scope, filters=filters, year=year)
        data.computed_at = timezone.now()
        data.key = key
        cache.set(key, data, seconds)
    return data


def ranking_cached(*, scope: Scope, filters: Filters, year: FiscalYear, page: int | str | None) -> Page:
    """ranking(), a page's rows kept for settings.OVERSIGHT_CACHE_SECONDS like the summary."""
    seconds = getattr(settings, "OVERSIGHT_CACHE_SECONDS", 0)
    if not seconds:
        return ranking(scope=scope, filters=filters, year=year, page=page)
    try:
        number = min(max(int(page), 1), 100_000)  # as get_page: beyond the last is the last
    except (TypeError, ValueError):
        number = 1
    key = _cache_key("ranking", scope=scope, filters=filters, year=year, extra=str(number))
    data = cache.get(key)
    if data is None:
        result = ranking(scope=scope, filters=filters, year=year, page=number)
        data = (list(result.object_list), result.number, result.paginator.count)
        cache.set(key, data, seconds)
    rows, number, count = data
    paginator = Paginator([], RANKING_PAGE_SIZE)
    paginator.count = count  # a cached_property: the count that was kept, not one of []
    return Page(rows, number, paginator)
