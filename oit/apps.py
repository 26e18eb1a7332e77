from django.apps import AppConfig


class OitConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "oit"
    verbose_name = "หลักฐาน OIT"

    def ready(self):
        from assessments.signals import fiscal_year_opened

        from .services_items import oit_items_copy_on_year_open

        # Year opening lives in assessments, below this app: it announces the new year and the
        # copy (a service, where the rule lives) runs in the same transaction.
        fiscal_year_opened.connect(oit_items_copy_on_year_open, dispatch_uid="oit-copy-items-on-year-open")
