"""Executives awaiting confirmation in an oversight office's agencies, with who set up their role.

A coordinator's executive approves nothing until an administrator or an oversight office whose
scope covers the agency confirms them (agencies.services_accounts.membership_confirm). Three
queries a page whatever the number: the memberships, their set-up events, the invitations' senders.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.http import Http404

from agencies.models import AccountEvent, Agency, Membership, Role

from .selectors import Scope, include_synthetic

PAGE_SIZE = 50
Action = AccountEvent.Action
# What makes an executive role wait for confirmation; the newest one says who set it up.
SET_UP = (
    Action.ACCOUNT_CREATED,
    Action.EXECUTIVE_ROLE_SET,
    Action.PASSWORD_SET,
    Action.EMAIL_CHANGED,
    Action.INVITATION_ACCEPTED,
)


@dataclass
class Pending:
    membership: Membership
    set_up_by: str  # the coordinator's name ('' when no record says)
    set_up_how: str  # what they did
    set_up_at: datetime | None


def _agencies(scope: Scope):
    qs = Agency.objects.filter(scope.q)
    return qs if include_synthetic() else qs.filter(is_synthetic=False)


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def executives_awaiting(*, scope: Scope, page=None) -> tuple[Page, list[Pending]]:
    memberships = (
        Membership.objects.filter(role=Role.EXECUTIVE, needs_confirmation=True, agency__in=_agencies(scope))
        .select_related("user", "agency")
        .order_by("agency__province", "agency__district", "agency__name", "user__username")
    )
    page = Paginator(memberships, PAGE_SIZE).get_page(page)
    rows = list(page)
    newest: dict[tuple[int, int], AccountEvent] = {}
    for e in (
        AccountEvent.objects.filter(
            action__in=SET_UP, user_id__in={m.user_id for m in rows}, agency_id__in={m.agency_id for m in rows}
        )
        .select_related("actor")
        .order_by("-created_at", "-id")
    ):
        newest.setdefault((e.user_id, e.agency_id), e)
    # Who sent the invitation that was accepted (the acceptance's note is the invited address).
    accepted = [e for e in newest.values() if e.action == Action.INVITATION_ACCEPTED]
    inviters: dict[tuple[int, str], AccountEvent] = {}
    if accepted:
        for e in (
            AccountEvent.objects.filter(
                action=Action.INVITED,
                agency_id__in={e.agency_id for e in accepted},
                username__in={e.note for e in accepted},
            )
            .select_related("actor")
            .order_by("-created_at", "-id")
        ):
            inviters.setdefault((e.agency_id, e.username), e)
    pending = []
    for m in rows:
        event = newest.get((m.user_id, m.agency_id))
        if event is None:
            pending.append(Pending(m, "", "", None))
        elif event.action == Action.INVITATION_ACCEPTED:
            invited = inviters.get((m.agency_id, event.note))
            by = _name(invited.actor) if invited else ""
            pending.append(Pending(m, by, "เชิญเป็นผู้บริหารทางอีเมล ตอบรับคำเชิญ", event.created_at))
        else:
            pending.append(Pending(m, _name(event.actor), event.get_action_display(), event.created_at))
    return page, pending


def executive_in_scope(*, scope: Scope, pk: int) -> Membership:
    """A member of an agency in the scope (404 otherwise, as for an agency outside it)."""
    membership = Membership.objects.filter(pk=pk, agency__in=_agencies(scope)).select_related("user", "agency").first()
    if membership is None:
        raise Http404("ไม่พบผู้ใช้นี้ในหน่วยงานที่คุณกำกับดูแล")
    return membership
