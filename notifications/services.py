"""Writes for the outbox and the channels; web code calls these and never sends anything itself."""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.access import Access
from agencies.models import Agency

from .models import Channel, ContactPreference, LineChannel, OutboundMessage

LINE_USER_ID = re.compile(r"^U[0-9a-f]{32}$")
# A LINE text message holds at most 5,000 characters.
LINE_TEXT_LIMIT = 5000


class ServiceError(Exception):
    pass


def _route(*, recipient, agency: Agency | None, channel: str | None) -> tuple[str, str]:
    """(channel, address) for the recipient: their choice unless the caller names one.

    LINE needs the user's LINE user ID and the agency's Official Account; without either the
    message goes by e-mail instead.
    """
    pref = ContactPreference.objects.filter(user=recipient).first()
    wanted = channel or (pref.channel if pref else Channel.EMAIL)
    if wanted == Channel.LINE and pref and pref.line_user_id and agency is not None:
        if LineChannel.objects.filter(agency=agency).exists():
            return Channel.LINE, pref.line_user_id
    return Channel.EMAIL, (recipient.email if recipient is not None else "") or ""  # none: an invitation


def outbox_enqueue(
    *,
    recipient,
    subject: str,
    body: str,
    agency: Agency | None = None,
    channel: str | None = None,
    address: str | None = None,
    dedupe_key: str | None = None,
    sensitive: bool = False,
    kick: bool = True,
) -> OutboundMessage:
    """Queue one message; the sender delivers it (soon after this transaction commits).

    With a dedupe key already in the outbox the earlier message is returned and nothing is queued.
    `kick=False` leaves it to the next scheduled run of the sender (for callers queueing many).
    """
    if dedupe_key:
        existing = OutboundMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    routed_channel, routed_address = _route(recipient=recipient, agency=agency, channel=channel)
    if address is not None and routed_channel == Channel.EMAIL:
        routed_address = address
    message = OutboundMessage(
        recipient=recipient,
        agency=agency,
        channel=routed_channel,
        address=routed_address,
        subject=subject.strip()[:200],
        body=body[:LINE_TEXT_LIMIT] if routed_channel == Channel.LINE else body,
        sensitive=sensitive,
        dedupe_key=dedupe_key or None,
        next_attempt_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        existing = OutboundMessage.objects.filter(dedupe_key=dedupe_key).first() if dedupe_key else None
        if existing is None:
            raise
        return existing
    if kick:
        transaction.on_commit(outbox_kick)
    return message


def outbox_kick() -> None:
    """Ask a worker to run the sender now (django-tasks); the scheduled run catches anything missed."""
    from .tasks import deliver_outbox

    deliver_outbox.enqueue()


def outbox_retry(*, access: Access, message: OutboundMessage) -> OutboundMessage:
    """A coordinator sends a message that gave up once more (from the first retry delay on)."""
    access.require_manage()
    if message.agency_id != access.agency.id:
        raise ServiceError("ไม่พบข้อความนี้ในกล่องข้อความขาออกของหน่วยงาน")
    if message.status != OutboundMessage.Status.FAILED:
        raise ServiceError("ส่งซ้ำได้เฉพาะข้อความที่ส่งไม่สำเร็จ")
    if message.sensitive and not message.body:
        raise ServiceError("ข้อความนี้มีลิงก์ตั้งรหัสผ่านที่ลบไปแล้ว ให้ผู้ใช้ขอลิงก์ใหม่จากหน้า “ลืมรหัสผ่าน?”")
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    transaction.on_commit(outbox_kick)
    message.refresh_from_db()
    return message


def line_channel_set(*, access: Access, access_token: str, user) -> LineChannel | None:
    """Store the agency's channel access token; an empty one removes the LINE account."""
    access.require_manage()
    token = (access_token or "").strip()
    if not token:
        LineChannel.objects.filter(agency=access.agency).delete()
        return None
    if len(token) > 1000 or any(c.isspace() for c in token):
        raise ServiceError("Channel access token ไม่ถูกต้อง (คัดลอกจาก LINE Developers Console ทั้งข้อความ)")
    channel, _ = LineChannel.objects.update_or_create(
        agency=access.agency, defaults={"access_token": token, "updated_by": user}
    )
    return channel


def contact_preference_set(*, user, channel: str, line_user_id: str) -> ContactPreference:
    line_user_id = (line_user_id or "").strip()
    if channel not in Channel.values:
        raise ServiceError("ช่องทางรับการแจ้งเตือนไม่ถูกต้อง")
    if line_user_id and not LINE_USER_ID.match(line_user_id):
        raise ServiceError("LINE user ID ต้องขึ้นต้นด้วย U ตามด้วยตัวเลขฐานสิบหก 32 ตัว")
    if channel == Channel.LINE and not line_user_id:
        raise ServiceError("กรุณากรอก LINE user ID เพื่อรับการแจ้งเตือนทาง LINE")
    if channel == Channel.EMAIL and not user.email:
        raise ServiceError("กรุณากรอกอีเมลเพื่อรับการแจ้งเตือนทางอีเมล")
    pref, _ = ContactPreference.objects.update_or_create(
        user=user, defaults={"channel": channel, "line_user_id": line_user_id}
    )
    return pref
