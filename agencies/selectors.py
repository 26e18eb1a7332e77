from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import Agency, Membership


def agencies_for_user(*, user) -> list[Agency]:
    """Agencies the user belongs to, then those an oversight scope lets them read."""
    if not user.is_authenticated:
        return []
    own = list(Agency.objects.filter(memberships__user=user).order_by("name"))
    scopes = list(user.oversight_scopes.all())
    if not scopes:
        return own
    q = Q()
    for s in scopes:
        part = Q()
        if s.province:
            part &= Q(province=s.province)
        if s.district:
            part &= Q(district=s.district)
        q |= part
    seen = {a.id for a in own}
    return own + [a for a in Agency.objects.real().filter(q).order_by("province", "name") if a.id not in seen]


def locked_usernames(*, usernames) -> set[str]:
    """Which of these users django-axes is locking out now (from any address)."""
    qs = AccessAttempt.objects.filter(
        username__in=list(usernames), failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    )
    cooloff = settings.AXES_COOLOFF_TIME
    if cooloff is not None:
        qs = qs.filter(attempt_time__gte=timezone.now() - cooloff)
    return set(qs.values_list("username", flat=True))


def members_with_roles(*, agency: Agency, roles) -> list[Membership]:
    """The agency's active members with one of these roles, their users and divisions (two queries)."""
    return list(
        Membership.objects.filter(agency=agency, role__in=list(roles), user__is_active=True)
        .select_related("user")
        .prefetch_related("divisions")
        .order_by("role", "user__username")
    )
