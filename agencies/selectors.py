from django.db.models import Q

from .models import Agency


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
