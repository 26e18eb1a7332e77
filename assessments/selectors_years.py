"""Reads for the fiscal years pages."""

from agencies.models import OversightScope


def years_may_manage(*, user) -> bool:
    """Who opens and edits fiscal years: Django superusers/staff, and users with a national
    oversight scope (neither province nor district)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return OversightScope.objects.filter(user=user, province="", district="").exists()
