from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"

    def ready(self):
        from agencies.cache import watch, watch_framework

        from .models import (
            AssessmentResult,
            FiscalYear,
            Indicator,
            IndicatorScore,
            Issue,
            Question,
            QuestionScore,
            RatingBand,
            Tool,
            ToolScore,
        )

        # The score pages' cached reads (agencies/cache.py) must see every change.
        for model in (FiscalYear, Tool, Indicator, Question, RatingBand, Issue):
            watch_framework(model)
        watch(AssessmentResult, lambda r: r.agency_id)
        for model in (ToolScore, IndicatorScore, QuestionScore):
            watch(model, lambda s: s.result.agency_id)
