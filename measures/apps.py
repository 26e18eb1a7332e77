from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "measures"

    def ready(self):
        from agencies.cache import watch

        from .models import Activity, EvidenceLink, EvidencePhoto, Measure, Plan, Progress

        # The pages' cached reads (agencies/cache.py) must see every change.
        watch(Plan, lambda p: p.agency_id)
        watch(Measure, lambda m: m.agency_id)
        watch(Activity, lambda a: a.measure.agency_id)
        watch(Progress, lambda p: p.measure.agency_id)
        watch(EvidencePhoto, lambda e: e.progress.measure.agency_id)
        watch(EvidenceLink, lambda e: e.progress.measure.agency_id)
