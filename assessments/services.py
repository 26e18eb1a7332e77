"""Writes for assessment results, and the rating rule that turns scores into a level."""

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db import IntegrityError, transaction

from agencies.models import Agency
from ita_portal.edits import (
    GONE_MESSAGE,
    StaleVersion,
    submission_claim,
    submission_done,
    submission_object,
    version_claim,
)

from .models import (
    AssessmentResult,
    FiscalYear,
    Indicator,
    IndicatorScore,
    Question,
    QuestionScore,
    RatingBand,
    Tool,
    ToolScore,
)


def rating_candidates(
    *, bands: Iterable[RatingBand], overall: Decimal | None, tool_scores: Iterable[Decimal]
) -> list[str]:
    """The levels a year's rules allow for these scores, best first.

    Bands are tried in order and the first whose conditions hold wins, so the scores decide one
    level. A band that needs every tool score (ผ่านดีเยี่ยม, ผ่านดี from 2566) cannot be decided
    when no tool score is known (a result entered with its overall score only): it stays a
    candidate, and so does every band below it down to the first that needs no tool scores.
    """
    if overall is None:
        return []
    tools = list(tool_scores)
    candidates = []
    for band in sorted(bands, key=lambda b: b.order):
        if overall < band.min_overall:
            continue
        if band.min_each_tool is not None:
            if not tools:
                candidates.append(band.label)
                continue
            if any(t < band.min_each_tool for t in tools):
                continue
        candidates.append(band.label)
        break
    return candidates


def rating_compute(
    *, bands: Iterable[RatingBand], overall: Decimal | None, tool_scores: Iterable[Decimal]
) -> str | None:
    """The level a year's rules give; None without an overall score, or when the level depends
    on tool scores that are not known (rating_candidates then lists the possible levels)."""
    candidates = rating_candidates(bands=bands, overall=overall, tool_scores=tool_scores)
    return candidates[0] if len(candidates) == 1 else None


def tool_scores_derive(
    *, indicator_tools: Mapping[int, str], indicator_scores: Mapping[int, Decimal]
) -> dict[str, Decimal]:
    """Tool scores as the mean of the tool's indicators, for a tool whose every indicator is known.

    The seeds print indicator scores only; their overall scores equal IIT/EIT/OIT means
    weighted 30/30/40 to the cent (seed 000: 89.00 and 92.84; seed 002: 87.13), so the
    per-tool rule of 2566+ can still be applied. Shown as derived, never stored.
    """
    by_tool: dict[str, list[int]] = {}
    for number, code in indicator_tools.items():
        by_tool.setdefault(code, []).append(number)
    out = {}
    for code, numbers in by_tool.items():
        if numbers and all(n in indicator_scores for n in numbers):
            mean = sum(indicator_scores[n] for n in numbers) / len(numbers)
            out[code] = mean.quantize(Decimal("0.01"))
    return out


UNCHECKED = object()


@transaction.atomic
def result_save(
    *,
    agency: Agency,
    year: FiscalYear,
    overall: Decimal | None,
    level_awarded: str,
    tool_scores: Mapping[Tool, Decimal | None],
    indicator_scores: Mapping[Indicator, Decimal | None],
    question_scores: Mapping[Question, Decimal | None] | None = None,
    expected_version: int | None | object = UNCHECKED,
    token: str | None = None,
) -> AssessmentResult:
    """Create or replace an agency's result for a year; a None score removes that score.

    The web form passes expected_version, the result's version when it was opened (None: there was
    no result): a save based on an older version is refused (StaleVersion), nothing written and no
    score removed. A form token already used returns the result its first submission saved.
    Imports and the demo, which replace a year's scores whole, pass no version.
    """
    if expected_version is not UNCHECKED:
        done = submission_claim(token=token, kind="result")
        if done is not None:
            return submission_object(AssessmentResult.objects.filter(agency=agency, year=year), done)
        _result_claim(agency=agency, year=year, expected_version=expected_version)
    result, _ = AssessmentResult.objects.update_or_create(
        agency=agency, year=year, defaults={"overall": overall, "level_awarded": level_awarded}
    )
    for model, fk, scores in (
        (ToolScore, "tool", tool_scores),
        (IndicatorScore, "indicator", indicator_scores),
        (QuestionScore, "question", question_scores or {}),
    ):
        for key, value in scores.items():
            if key.year_id != year.id:
                raise ValueError(f"{key} ไม่ได้อยู่ในปีงบประมาณ {year.be_year}")
            if value is None:
                model.objects.filter(result=result, **{fk: key}).delete()
            else:
                model.objects.update_or_create(result=result, **{fk: key}, defaults={"score": value})
    submission_done(token=token, kind="result", object_id=result.pk)
    return result


def _result_claim(*, agency: Agency, year: FiscalYear, expected_version: int | None) -> None:
    """The version check of result_save, inside its transaction (the row stays locked until it ends)."""
    result = AssessmentResult.objects.filter(agency=agency, year=year).first()
    if result is not None:
        version_claim(result, expected_version)
    elif expected_version is not None:
        raise StaleVersion(GONE_MESSAGE)
    else:
        try:
            with transaction.atomic():  # another first entry of the year's scores got in first: theirs stays
                AssessmentResult.objects.create(agency=agency, year=year)
        except IntegrityError:
            raise StaleVersion() from None
