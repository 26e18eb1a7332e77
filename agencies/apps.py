from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "agencies"

    def ready(self):
        from ita_portal.cache import watch

        from .models import Agency, Division

        # What the cached pages (ita_portal/cache.py) show of an agency.
        watch(Agency, lambda a: a.pk)
        watch(Division, lambda d: d.agency_id)
