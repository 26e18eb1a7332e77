"""Joining an agency by invitation: the coordinator names an e-mail address, never an account.

The portal e-mails a signed one-time link (Django's signing, INVITATION_DAYS days); the person
accepts it signed in with their own account, or creates one with a password they set themselves.
The coordinator is told the same whatever the address, so the form reveals nothing about who has
an account; each step is an AccountEvent on the agency's audit page.
"""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template import loader
from django.urls import reverse
from django.utils import timezone

from agencies.access import Access
from agencies.models import AccountEvent, Division, Membership, Role
from agencies.services import ServiceError, member_set_divisions
from agencies.services_accounts import account_event_record
from notifications.models import Channel
from notifications.services import outbox_enqueue

from .models import Invitation

INVITATION_DAYS = 7
SALT = "accounts.invitation"
USED = "ลิงก์คำเชิญนี้ใช้ไม่ได้ อาจหมดอายุ ใช้ไปแล้ว หรือคัดลอกมาไม่ครบ กรุณาขอคำเชิญใหม่จากผู้ประสานงาน ITA"


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=SALT)


def invitation_from_token(token: str) -> Invitation | None:
    """The open invitation the link names, or None (forged, expired or already used)."""
    try:
        pk = signing.loads(token, salt=SALT, max_age=INVITATION_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Invitation.objects.select_related("agency").filter(pk=pk, accepted_at__isnull=True).first()


@transaction.atomic
def invitation_send(
    *, access: Access, email: str, role: str, position: str, divisions: Iterable[Division], actor
) -> Invitation:
    access.require_manage()
    email = get_user_model().objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ServiceError("รูปแบบอีเมลไม่ถูกต้อง")
    divisions = list(divisions)
    if role == Role.STAFF and not divisions:
        raise ServiceError("เจ้าหน้าที่กอง/สำนักต้องสังกัดอย่างน้อยหนึ่งกอง/สำนัก")
    if any(d.agency_id != access.agency.id for d in divisions):
        raise ServiceError("กอง/สำนักที่เลือกไม่ได้อยู่ในหน่วยงานนี้")
    invitation = Invitation.objects.create(
        agency=access.agency, email=email, role=role, position=position, invited_by=actor
    )
    invitation.divisions.set(divisions if role == Role.STAFF else [])
    context = {
        "invitation": invitation,
        "agency": access.agency,
        "role": Role(role).label,
        "inviter": actor.get_full_name() or actor.get_username(),
        "url": settings.SITE_URL + reverse("invitations:accept", kwargs={"token": invitation_token(invitation)}),
        "days": INVITATION_DAYS,
    }
    outbox_enqueue(
        recipient=None,
        agency=None,  # not in the agency's outbox: the link is for the invited person only
        channel=Channel.EMAIL,
        address=email,
        subject=f"คำเชิญเข้าร่วม{access.agency.name} ในระบบ ITA Portal",
        body=loader.render_to_string("accounts/invitation_email.txt", context),
        sensitive=True,
    )
    AccountEvent.objects.create(
        user=None,
        username=email,
        agency=access.agency,
        actor=actor,
        action=AccountEvent.Action.INVITED,
        note=Role(role).label,
    )
    return invitation


def _join(*, invitation: Invitation, user, action: str) -> Membership:
    locked = Invitation.objects.select_for_update().filter(pk=invitation.pk, accepted_at__isnull=True).first()
    if locked is None:
        raise ServiceError(USED)
    if Membership.objects.filter(user=user, agency_id=locked.agency_id).exists():
        raise ServiceError("บัญชีของคุณเป็นสมาชิกของหน่วยงานนี้อยู่แล้ว")
    membership = Membership.objects.create(
        user=user,
        agency_id=locked.agency_id,
        role=locked.role,
        position=locked.position,
        needs_confirmation=locked.role == Role.EXECUTIVE,  # a coordinator chose the role
    )
    member_set_divisions(membership=membership, role=locked.role, divisions=locked.divisions.all())
    locked.accepted_at, locked.accepted_by = timezone.now(), user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    account_event_record(user=user, action=action, actor=user, agency=locked.agency, note=locked.email)
    return membership


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """The signed-in person joins the agency with their own account."""
    return _join(invitation=invitation, user=user, action=AccountEvent.Action.INVITATION_ACCEPTED)


@transaction.atomic
def invitation_register(*, invitation: Invitation, first_name: str, last_name: str, password: str):
    """A new account named after the invited address, with the password its holder set, joined."""
    User = get_user_model()
    email = invitation.email
    if User.objects.filter(username__iexact=email).exists() or User.objects.filter(email__iexact=email).exists():
        raise ServiceError("อีเมลนี้มีบัญชีในระบบอยู่แล้ว กรุณาเข้าสู่ระบบด้วยบัญชีนั้น (หรือใช้ “ลืมรหัสผ่าน?”) แล้วเปิดลิงก์คำเชิญนี้อีกครั้ง")
    user = User(username=email, email=email, first_name=first_name.strip(), last_name=last_name.strip())
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages))
    user.set_password(password)
    user.save()
    account_event_record(user=user, action=AccountEvent.Action.ACCOUNT_REGISTERED, actor=user, agency=invitation.agency)
    _join(invitation=invitation, user=user, action=AccountEvent.Action.INVITATION_ACCEPTED)
    return user
