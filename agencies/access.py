"""Who may see and do what in an agency: the one place views ask.

Views call `agency_access_or_404()`; querysets are then filtered with the Access it returns.
"""

import functools
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from ita_portal.cache import with_tokens

from .models import Agency, Membership, OversightScope, Role

OVERSIGHT = "oversight"


@dataclass(frozen=True)
class Access:
    agency: Agency
    role: str
    division_ids: frozenset[int]
    membership: Membership | None = None

    @property
    def role_label(self) -> str:
        if self.role == OVERSIGHT:
            return "ผู้กำกับดูแล"
        return Role(self.role).label

    @property
    def can_manage(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def can_approve(self) -> bool:
        return self.role == Role.EXECUTIVE

    @property
    def is_staff_member(self) -> bool:
        return self.role == Role.STAFF

    @property
    def sees_all(self) -> bool:
        """Everyone but division staff reads every measure of the agency."""
        return self.role != Role.STAFF

    def can_edit_progress(self, responsible_division_ids: set[int]) -> bool:
        if self.role == Role.COORDINATOR:
            return True
        if self.role == Role.STAFF:
            return bool(self.division_ids & set(responsible_division_ids))
        return False

    def require_manage(self) -> None:
        if not self.can_manage:
            raise PermissionDenied("เฉพาะผู้ประสานงาน ITA ของหน่วยงานเท่านั้น")

    def require_approve(self) -> None:
        if not self.can_approve:
            raise PermissionDenied("เฉพาะผู้บริหารของหน่วยงานเท่านั้น")


def access_for(user, agency: Agency) -> Access | None:
    if not user.is_authenticated:
        return None
    membership = Membership.objects.filter(user=user, agency=agency).prefetch_related("divisions").first()
    if membership is not None:
        return Access(
            agency=agency,
            role=membership.role,
            division_ids=frozenset(d.id for d in membership.divisions.all()),
            membership=membership,
        )
    for scope in OversightScope.objects.filter(user=user):
        if scope_covers(scope, agency):
            return Access(agency=agency, role=OVERSIGHT, division_ids=frozenset())
    return None


def scope_covers(scope: OversightScope, agency: Agency) -> bool:
    """A province, a district of it, or the whole country (both blank)."""
    return (not scope.province or scope.province == agency.province) and (
        not scope.district or scope.district == agency.district
    )


def agency_access_or_404(user, code: str) -> Access:
    """The agency named in the URL and the user's access to it.

    Unknown agency: 404. Known agency the user has no part in: 404 too, so that codes
    of other agencies cannot be probed.
    """
    # With the tokens of the page caches, in the same query.
    agency = with_tokens(Agency.objects.filter(code=code)).first()
    if agency is None:
        raise Http404("ไม่พบหน่วยงาน")
    access = access_for(user, agency)
    if access is None:
        raise Http404("ไม่พบหน่วยงาน")
    return access


def with_access(view):
    """Resolve the agency in the URL for the user, or 404; the view receives `access`."""

    @functools.wraps(view)
    def wrapper(request, code, *args, **kwargs):
        access = agency_access_or_404(request.user, code)
        request.access = access
        return view(request, access, *args, **kwargs)

    return wrapper
