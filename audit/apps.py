from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The agency's audit trail, read from django-simple-history records."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = "ประวัติการแก้ไข"
