from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (the five seed agencies and their users) and synthetic data for scale tests."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
    verbose_name = "ข้อมูลตัวอย่างและข้อมูลสังเคราะห์"
