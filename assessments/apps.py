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
            RatingBand,
            Tool,
            ToolScore,
        )

        # What the cached pages (agencies/cache.py) show; question scores are on none of them.
        for model in (FiscalYear, Tool, Indicator, RatingBand, Issue):
            watch_framework(model)
        watch(AssessmentResult, lambda r: r.agency_id)
        for model in (ToolScore, IndicatorScore):
            watch(model, lambda s: s.result.agency_id)
