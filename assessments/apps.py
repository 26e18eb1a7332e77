from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"

    def ready(self):
        from ita_portal.cache import watch, watch_framework

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

        # What the cached pages (ita_portal/cache.py) show; questions and their scores are on none
        # of them. A framework row changed: one token, part of every agency's keys.
        for model in (FiscalYear, Tool, Indicator, RatingBand, Issue):
            watch_framework(model)
        watch(AssessmentResult, lambda r: r.agency_id)
        for model in (ToolScore, IndicatorScore):
            watch(model, lambda s: s.result.agency_id)
