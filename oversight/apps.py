from django.apps import AppConfig


class OversightConfig(AppConfig):
    """Pages across many agencies (a district, a province, the country) for oversight users."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "oversight"
    verbose_name = "การกำกับดูแล"
