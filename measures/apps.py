from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "measures"

    def ready(self):
        from agencies.cache import watch

        from .models import Activity, Measure, Progress

        # What the cached pages (agencies/cache.py) show. Plans, photos and links are on none of
        # them: watching those would add an UPDATE of the agency row per photo saved.
        watch(Measure, lambda m: m.agency_id)
        watch(Activity, lambda a: a.measure.agency_id)
        watch(Progress, lambda p: p.measure.agency_id)
