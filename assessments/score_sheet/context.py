"""What a score import looks up, loaded once into dicts: agencies, years, tools, indicators,
questions, rating bands, and the stored results and scores of the years the file has."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from simple_history.utils import bulk_create_with_history

from agencies.models import Agency
from sheets.cells import clean_be_year, clean_text, is_blank, leading_int

from ..models import (
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
from .columns import INDICATOR, OVERALL, TOOL


class ScoreContext:
    """Every lookup a score import needs, loaded once into dicts (no query per row).

    ``agency`` limits the import to one agency (the agency workbook); otherwise every agency
    is matched by its code (national sheets).
    """

    def __init__(self, *, agency: Agency | None = None):
        # A national sheet's blank level or remedy cell keeps what is stored (those columns are
        # mostly left empty there); in an agency workbook, which shows them, blank clears them.
        self.keep_blank_text = agency is None
        if agency is not None:
            rows = [(agency.code, agency.id)]
        else:
            rows = list(Agency.objects.values_list("code", "id"))
        self.agency_ids = {code: pk for code, pk in rows}
        self.agency_ids_folded = {code.casefold(): pk for code, pk in rows}
        self.years = dict(FiscalYear.objects.values_list("be_year", "id"))
        self.be_years = {pk: be for be, pk in self.years.items()}
        self.tools = {(y, c.upper()): pk for pk, y, c in Tool.objects.values_list("id", "year_id", "code")}
        self.indicators = {(y, n): pk for pk, y, n in Indicator.objects.values_list("id", "year_id", "number")}
        self.questions = {(y, c.upper()): pk for pk, y, c in Question.objects.values_list("id", "year_id", "code")}
        self.bands: dict[int, list[str]] = defaultdict(list)
        for y, label in RatingBand.objects.order_by("order").values_list("year_id", "label"):
            self.bands[y].append(label)
        self.agency = agency
        # Loaded by load_existing(): (agency_id, year_id) → [id, overall, level]
        self.results: dict[tuple[int, int], list] = {}
        # model → {(result_id, target_id): (id, score, remedy)}
        self.scores: dict[type, dict[tuple[int, int], tuple]] = {}

    # key lookups (ValueError with a Thai message) -------------------------------------------

    def agency_id(self, value) -> int:
        code = clean_text(value)
        if not code:
            raise ValueError("กรุณาระบุรหัสหน่วยงาน")
        pk = self.agency_ids.get(code) or self.agency_ids_folded.get(code.casefold())
        if pk is None:
            if self.agency is not None:
                raise ValueError(f"รหัสหน่วยงาน “{code}” ไม่ใช่หน่วยงานนี้ ({self.agency.code})")
            raise ValueError(f"ไม่พบหน่วยงานรหัส “{code}” ในระบบ")
        return pk

    def year_id(self, value) -> int:
        be = clean_be_year(value)
        pk = self.years.get(be)
        if pk is None:
            known = ", ".join(str(y) for y in sorted(self.years))
            raise ValueError(f"ไม่มีปีงบประมาณ {be} ในระบบ (มี: {known})")
        return pk

    def target_id(self, kind: str, year_id: int, value) -> int | None:
        be = self.be_years[year_id]
        if kind == OVERALL:
            return None
        if kind == TOOL:
            code = clean_text(value).upper()
            if not code:
                raise ValueError("กรุณาระบุรหัสแบบวัด (เช่น IIT, EIT, OIT)")
            pk = self.tools.get((year_id, code))
            if pk is None:
                known = ", ".join(c for (y, c) in self.tools if y == year_id)
                raise ValueError(f"ไม่พบแบบวัด “{code}” ในปีงบประมาณ {be} (มี: {known})")
            return pk
        if kind == INDICATOR:
            if is_blank(value):
                raise ValueError("กรุณาระบุเลขตัวชี้วัด (เช่น 1–10)")
            number = leading_int(value)
            pk = self.indicators.get((year_id, number)) if number is not None else None
            if pk is None:
                numbers = sorted(n for (y, n) in self.indicators if y == year_id)
                span = f"{numbers[0]}–{numbers[-1]}" if numbers else "ไม่มี"
                raise ValueError(f"ไม่พบตัวชี้วัด “{clean_text(value)}” ในปีงบประมาณ {be} (มีตัวชี้วัดที่ {span})")
            return pk
        code = clean_text(value).upper().replace(" ", "")
        if not code:
            raise ValueError("กรุณาระบุรหัสข้อคำถาม (เช่น I1, E7, O10)")
        pk = self.questions.get((year_id, code))
        if pk is None:
            raise ValueError(f"ไม่พบข้อคำถาม “{code}” ในปีงบประมาณ {be}")
        return pk

    # existing rows ----------------------------------------------------------------------------

    def load_existing(self, year_ids: Iterable[int]) -> None:
        year_ids = sorted(set(year_ids))
        results = AssessmentResult.objects.filter(year_id__in=year_ids)
        if self.agency is not None:
            results = results.filter(agency=self.agency)
        self.results = {
            (a, y): [pk, overall, level]
            for pk, a, y, overall, level in results.values_list(
                "id", "agency_id", "year_id", "overall", "level_awarded"
            )
        }
        for model, target in ((ToolScore, "tool_id"), (IndicatorScore, "indicator_id"), (QuestionScore, "question_id")):
            qs = model.objects.filter(result__year_id__in=year_ids)
            if self.agency is not None:
                qs = qs.filter(result__agency=self.agency)
            if model is ToolScore:
                rows = ((pk, r, t, score, "") for pk, r, t, score in qs.values_list("id", "result_id", target, "score"))
            else:
                rows = qs.values_list("id", "result_id", target, "score", "remedy")
            self.scores[model] = {(r, t): (pk, score, remedy) for pk, r, t, score, remedy in rows}

    def create_results(self, pairs: Iterable[tuple[int, int]], *, dry_run: bool, user=None, reason: str = "") -> None:
        """Create in bulk the results that score rows need and that do not exist yet (on a dry run,
        stand-in ids that are never written)."""
        missing = [
            AssessmentResult(agency_id=a, year_id=y) for a, y in sorted(set(pairs)) if (a, y) not in self.results
        ]
        if not missing:
            return
        if dry_run:
            for i, r in enumerate(missing, start=1):
                self.results[(r.agency_id, r.year_id)] = [-i, None, ""]
            return
        created = bulk_create_with_history(
            missing, AssessmentResult, batch_size=1000, default_user=user, default_change_reason=reason
        )
        for r in created:
            self.results[(r.agency_id, r.year_id)] = [r.pk, None, ""]
