"""Writes on user accounts: e-mail, a coordinator's temporary password or unlock, and the record
of each in AccountEvent (the agency's audit page).

A coordinator acts only on members of their own agency, and never on an account that reaches
beyond it (a member of another agency too, an oversight user, Django staff): changing such an
account's password or e-mail would hand the coordinator another agency's access.
"""

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from .access import Access
from .models import AccountEvent, Agency, Membership, OversightScope, Role
from .selectors_accounts import confirmer_refusal
from .services import ServiceError

Action = AccountEvent.Action


def account_event_record(*, user, action: str, actor=None, agency: Agency | None = None, note: str = "") -> None:
    """One event under `agency`, or, for a user's own action, one under each of their agencies."""
    agency_ids = [agency.id] if agency else list(user.memberships.values_list("agency_id", flat=True)) or [None]
    AccountEvent.objects.bulk_create(
        AccountEvent(user=user, username=user.get_username(), agency_id=a, actor=actor, action=action, note=note[:300])
        for a in agency_ids
    )


def account_reaches_beyond(*, membership: Membership) -> str:
    """Why a coordinator may not manage this account's credentials ('' when they may)."""
    user = membership.user
    if user.is_staff or user.is_superuser:
        return "บัญชีนี้เป็นผู้ดูแลระบบ"
    if Membership.objects.filter(user=user).exclude(agency_id=membership.agency_id).exists():
        return "ผู้ใช้นี้เป็นสมาชิกของหน่วยงานอื่นด้วย"
    if OversightScope.objects.filter(user=user).exists():
        return "ผู้ใช้นี้มีสิทธิ์กำกับดูแลหลายหน่วยงาน"
    return ""


def _require_own_account(access: Access, membership: Membership) -> None:
    access.require_manage()
    if membership.agency_id != access.agency.id:
        raise ServiceError("ไม่พบผู้ใช้นี้ในหน่วยงาน")
    reason = account_reaches_beyond(membership=membership)
    if reason:
        raise ServiceError(f"{reason} ผู้ประสานงานจึงเปลี่ยนรหัสผ่านหรืออีเมลให้ไม่ได้ ให้ผู้ใช้ใช้ “ลืมรหัสผ่าน?” เอง")


def _clean_email(email: str) -> str:
    email = get_user_model().objects.normalize_email((email or "").strip())
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceError("รูปแบบอีเมลไม่ถูกต้อง")
    return email


def _coordinator_took_control(membership: Membership) -> None:
    """A coordinator set this member's password or e-mail, so could sign in as them: an executive
    then approves reports again only once an administrator confirms them."""
    if membership.role == Role.EXECUTIVE and not membership.needs_confirmation:
        membership.needs_confirmation = True
        membership.save(update_fields=["needs_confirmation"])


def _set_email(*, user, email: str, actor, agency: Agency | None) -> bool:
    email = _clean_email(email)
    if email == user.email:
        return False
    old = user.email
    user.email = email
    user.save(update_fields=["email"])
    account_event_record(
        user=user, action=Action.EMAIL_CHANGED, actor=actor, agency=agency, note=f"{old or '–'} → {email or '–'}"
    )
    return True


@transaction.atomic
def member_email_set(*, access: Access, membership: Membership, email: str, actor) -> bool:
    """The coordinator sets a member's e-mail (where password-reset links go). True if it changed."""
    if _clean_email(email) == membership.user.email:
        return False
    _require_own_account(access, membership)
    _coordinator_took_control(membership)
    return _set_email(user=membership.user, email=email, actor=actor, agency=access.agency)


@transaction.atomic
def account_email_set(*, user, email: str) -> bool:
    """A user sets their own e-mail on “บัญชีของฉัน”."""
    return _set_email(user=user, email=email, actor=user, agency=None)


@transaction.atomic
def member_password_set(*, access: Access, membership: Membership, password: str, actor) -> None:
    """A temporary password for a member who cannot reset by e-mail; also lifts a lockout."""
    _require_own_account(access, membership)
    user = membership.user
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages))
    user.set_password(password)
    user.save(update_fields=["password"])
    _coordinator_took_control(membership)
    axes_reset(username=user.get_username())
    account_event_record(user=user, action=Action.PASSWORD_SET, actor=actor, agency=access.agency)


@transaction.atomic
def member_unlock(*, access: Access, membership: Membership, actor) -> int:
    """Lift a sign-in lockout (django-axes) of a member of the coordinator's agency."""
    access.require_manage()
    if membership.agency_id != access.agency.id:
        raise ServiceError("ไม่พบผู้ใช้นี้ในหน่วยงาน")
    cleared = axes_reset(username=membership.user.get_username())
    account_event_record(
        user=membership.user,
        action=Action.UNLOCKED,
        actor=actor,
        agency=access.agency,
        note=f"ล้างประวัติการเข้าสู่ระบบผิด {cleared} รายการ",
    )
    return cleared


def _pending_executive(*, membership: Membership, actor) -> tuple[Membership | None, str]:
    """The membership, locked, if it still awaits confirmation; and how the confirmer is named."""
    refusal, by = confirmer_refusal(actor=actor, agency=membership.agency)
    if refusal:
        raise ServiceError(refusal)
    locked = Membership.objects.select_for_update().select_related("user", "agency").filter(pk=membership.pk).first()
    if locked is None or not locked.needs_confirmation or locked.role != Role.EXECUTIVE:
        return None, by  # already decided (by someone else, or by a second press): nothing to do
    return locked, by


@transaction.atomic
def membership_confirm(*, membership: Membership, actor) -> bool:
    """An administrator, or an oversight office over the agency, confirms an executive whose role
    or account a coordinator set up: they may approve reports from now on. True if it changed."""
    locked, by = _pending_executive(membership=membership, actor=actor)
    if locked is None:
        return False
    locked.needs_confirmation = False
    locked.save(update_fields=["needs_confirmation"])
    account_event_record(
        user=locked.user, action=Action.EXECUTIVE_CONFIRMED, actor=actor, agency=locked.agency, note=by
    )
    return True


@transaction.atomic
def membership_decline(*, membership: Membership, actor) -> bool:
    """Not confirmed: the executive role is taken back (the member stays, as a viewer), so that the
    coordinator's choice is not left pending for ever; the coordinator may set it up again, and it
    comes back here. True if it changed."""
    locked, by = _pending_executive(membership=membership, actor=actor)
    if locked is None:
        return False
    locked.role, locked.needs_confirmation = Role.VIEWER, False
    locked.version += 1  # a coordinator's form opened on the executive role is now stale
    locked.save(update_fields=["role", "needs_confirmation", "version"])
    account_event_record(user=locked.user, action=Action.EXECUTIVE_DECLINED, actor=actor, agency=locked.agency, note=by)
    return True


@transaction.atomic
def account_password_changed(*, user, by_reset: bool) -> None:
    """After the user changed their password (or set it from an e-mailed link): a reset also
    lifts any lockout, else the user would stay locked out with the new password."""
    if by_reset:
        axes_reset(username=user.get_username())
    account_event_record(user=user, action=Action.PASSWORD_RESET if by_reset else Action.PASSWORD_CHANGED, actor=user)
