"""Reads for scores: every query of the score pages is here, in a fixed number."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from agencies.models import Agency
from ita_portal.cache import agency_cached
from ita_portal.thai import fiscal_year_bounds, fiscal_year_of

from .models import AssessmentResult, FiscalYear, Indicator, RatingBand
from .services import rating_candidates, tool_scores_derive


def round_default_due(*, be_year: int, annual: bool) -> datetime.date:
    """THE default due date of a fiscal year's reporting round, for a year without its own date
    (FiscalYear.six_month_due / annual_due): one month after the round's period ends.

    The six-month round (1 ต.ค.–31 มี.ค.) is due 30 เม.ย.; the 12-month round covers the whole
    fiscal year, which ends 30 ก.ย., so it is due 31 ต.ค. after it. No text fixes these dates
    (docs/domain.md: settings per year); one month after the period, the same for both rounds, is
    the date the reminders and the follow-up board have always used, and an agency that needs
    longer gets its own date (annual_due, or the coordinator's RoundSchedule).
    """
    end_year = fiscal_year_bounds(be_year)[1].year
    return datetime.date(end_year, 10, 31) if annual else datetime.date(end_year, 4, 30)


def annual_round_open_until(year: FiscalYear) -> datetime.date:
    """The last day a year's 12-month round is due: its annual_due, else round_default_due."""
    return year.annual_due or round_default_due(be_year=year.be_year, annual=True)


def year_due(*, today: datetime.date) -> FiscalYear | None:
    """The fiscal year whose round is due on `today` (the date part of the default year).

    The previous fiscal year while its 12-month round is still due (today ≤ its annual_due, or
    31 ต.ค. without one: in ต.ค. last year's annual report is what the agency is working on);
    otherwise today's fiscal year. A year not in the table: the newest before it, else the oldest.
    One query (two when no year up to today's exists).
    """
    fy = fiscal_year_of(today)
    recent = list(FiscalYear.objects.filter(be_year__lte=fy).select_related("copied_from").order_by("-be_year")[:2])
    by_number = {y.be_year: y for y in recent}
    previous = by_number.get(fy - 1)
    if previous is not None and today <= annual_round_open_until(previous):
        return previous
    if fy in by_number:
        return by_number[fy]
    if recent:
        return recent[0]
    return FiscalYear.objects.select_related("copied_from").order_by("be_year").first()


def year_numbers() -> list[int]:
    """Every fiscal year, newest first (the year selectors)."""
    return list(FiscalYear.objects.order_by("-be_year").values_list("be_year", flat=True))


@dataclass
class YearScores:
    be_year: int
    target: Decimal
    overall: Decimal | None
    level_awarded: str
    level_computed: str | None
    tools: dict[str, Decimal] = field(default_factory=dict)
    tools_derived: set[str] = field(default_factory=set)
    indicators: dict[int, Decimal] = field(default_factory=dict)
    indicator_names: dict[int, str] = field(default_factory=dict)
    change: Decimal | None = None  # overall against the previous year with a score
    bands_confirmed: bool = True
    level_candidates: list[str] = field(default_factory=list)  # more than one: tool scores needed

    @property
    def level_undecided(self) -> bool:
        """The year's rules cannot decide the level without the tool scores (IIT/EIT/OIT)."""
        return len(self.level_candidates) > 1

    @property
    def level_mismatch(self) -> bool:
        """The awarded level is one the rules cannot give these scores (not merely undecided)."""
        if not self.level_awarded or not self.level_candidates:
            return False
        return self.level_awarded not in self.level_candidates

    @property
    def to_target(self) -> Decimal | None:
        return None if self.overall is None else self.overall - self.target


@dataclass
class IndicatorRow:
    number: int
    name: str
    cells: list[dict]  # per year: {"year", "score", "change", "below_target"}


@dataclass
class ScoreHistory:
    years: list[YearScores]
    indicator_rows: list[IndicatorRow]
    tool_codes: list[str]

    def year(self, be_year: int) -> YearScores | None:
        return next((y for y in self.years if y.be_year == be_year), None)


def score_history_cached(*, agency: Agency) -> ScoreHistory:
    """Every year's history, kept until the agency's data or the framework changes: for the
    agency's own pages only. Reports read score_history(), always afresh."""
    return agency_cached(agency=agency, key="score_history", compute=lambda: score_history(agency=agency))


def score_history(*, agency: Agency, years: list[int] | None = None) -> ScoreHistory:
    """Overall, levels (awarded and computed), tools and the ten indicators, year by year
    (every year on record unless `years` are given). Read afresh, never from a cache."""
    results = (
        AssessmentResult.objects.for_agency(agency)
        .select_related("year")
        .prefetch_related(
            "tool_scores__tool",
            "indicator_scores__indicator",
            Prefetch("year__rating_bands", queryset=RatingBand.objects.order_by("order")),
            Prefetch("year__indicators", queryset=Indicator.objects.select_related("tool")),
        )
        .order_by("year__be_year")
    )
    if years:
        results = results.filter(year__be_year__in=years)
    out: list[YearScores] = []
    previous: YearScores | None = None
    for r in results:
        bands = list(r.year.rating_bands.all())
        tools = {ts.tool.code: ts.score for ts in sorted(r.tool_scores.all(), key=lambda t: t.tool.order)}
        indicators = {s.indicator.number: s.score for s in r.indicator_scores.all()}
        year_indicators = list(r.year.indicators.all())
        derived = tool_scores_derive(
            indicator_tools={i.number: i.tool.code for i in year_indicators}, indicator_scores=indicators
        )
        derived = {code: v for code, v in derived.items() if code not in tools}
        order = {i.tool.code: i.tool.order for i in year_indicators}
        tools = dict(sorted({**tools, **derived}.items(), key=lambda kv: order.get(kv[0], 99)))
        candidates = rating_candidates(bands=bands, overall=r.overall, tool_scores=tools.values())
        ys = YearScores(
            be_year=r.year.be_year,
            target=r.year.target_score,
            overall=r.overall,
            level_awarded=r.level_awarded,
            level_computed=candidates[0] if len(candidates) == 1 else None,
            level_candidates=candidates,
            tools=tools,
            tools_derived=set(derived),
            indicators=indicators,
            indicator_names={s.indicator.number: s.indicator.name for s in r.indicator_scores.all()},
            bands_confirmed=all(b.confirmed for b in bands),
        )
        if previous and previous.overall is not None and ys.overall is not None:
            ys.change = ys.overall - previous.overall
        out.append(ys)
        previous = ys

    # The indicators' names as the newest confirmed framework gives them (an unconfirmed copy is not yet the rule).
    newest = FiscalYear.objects.filter(confirmed=True).order_by("-be_year")[:1]
    names = dict(Indicator.objects.filter(year__in=newest).values_list("number", "name"))
    numbers = sorted(set(names) | {n for y in out for n in y.indicators})
    rows = []
    for n in numbers:
        cells, prev = [], None
        for y in out:
            s = y.indicators.get(n)
            cells.append(
                {
                    "year": y.be_year,
                    "score": s,
                    "change": (s - prev) if (s is not None and prev is not None) else None,
                    "below_target": s is not None and s < y.target,
                }
            )
            if s is not None:
                prev = s
        label = names.get(n) or next((y.indicator_names[n] for y in out if n in y.indicator_names), "")
        rows.append(IndicatorRow(number=n, name=label, cells=cells))
    tool_codes = list(dict.fromkeys(c for y in out for c in y.tools))  # in each year's tool order
    return ScoreHistory(years=out, indicator_rows=rows, tool_codes=tool_codes)
