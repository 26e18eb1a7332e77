from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ita_portal import thai

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


def members_of(*, agency: Agency) -> list[Membership]:
    return list(
        Membership.objects.filter(agency=agency)
        .select_related("user")
        .prefetch_related("divisions")
        .order_by("role", "user__username")
    )


def members_filter(
    members: list[Membership], *, q: str = "", role: str = "", division_id: int | None = None
) -> list[Membership]:
    """The members whose user name, name or position hold every word of q (Thai words inside
    compounds too, see ita_portal.thai.search_terms), in the role and the division."""
    terms = thai.search_terms(q) if q else []

    def text(m: Membership) -> str:
        parts = [m.user.username, m.user.get_full_name(), m.position, *(d.name for d in m.divisions.all())]
        return thai.search_normalize(" ".join(p for p in parts if p))

    return [
        m
        for m in members
        if (not role or m.role == role)
        and (division_id is None or any(d.id == division_id for d in m.divisions.all()))
        and (not terms or thai.search_matches(text(m), terms))
    ]
