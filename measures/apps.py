from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "measures"

    def ready(self):
        from ita_portal.cache import watch

        from .models import Activity, Measure, Progress

        # What the cached pages (ita_portal/cache.py) show. Plans, photos and links are on none of
        # them: a progress save (with its photos) replaces the agency's token once, after the commit.
        watch(Measure, lambda m: m.agency_id)
        watch(Activity, lambda a: a.measure.agency_id)
        watch(Progress, lambda p: p.measure.agency_id)
