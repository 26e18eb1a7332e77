from django.apps import AppConfig


class ItaPortalConfig(AppConfig):
    """The project itself, as an app for the one table the shared helpers need (ita_portal/models.py)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "ita_portal"
    verbose_name = "ส่วนกลางของระบบ"
