from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "agencies"

    def ready(self):
        from .cache import watch
        from .models import Agency, Division

        watch(Agency, lambda a: a.pk)
        watch(Division, lambda d: d.agency_id)
