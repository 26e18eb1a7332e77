"""The sender: delivers queued messages that are due, and reschedules those that fail.

Each message is claimed before it is sent (its next attempt pushed one lease ahead in a
conditional UPDATE), so two senders never send the same row at once, and a sender that dies
mid-send leaves the row to be retried when the lease runs out: at least once, never lost.
A failed send waits RETRY_DELAYS (the last one repeats) and gives up after
OUTBOX_MAX_ATTEMPTS, as 'failed' on the coordinator's outbox page, which can send it again.
"""

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F
from django.utils import timezone

from .models import Channel, LineChannel, OutboundMessage

logger = logging.getLogger(__name__)

RETRY_DELAYS = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
]
LEASE = timedelta(minutes=10)
ERASED = "(ลบเนื้อหาแล้ว: มีลิงก์สำหรับตั้งรหัสผ่าน)"


class DeliveryError(Exception):
    """A send that did not go through; the message is the reason, in Thai."""


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed send."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


@dataclass
class Summary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, retrying {self.retrying}, failed {self.failed}"


def send_email(message: OutboundMessage) -> None:
    if not message.address:
        raise DeliveryError("ผู้รับยังไม่มีอีเมล ให้ผู้รับกรอกอีเมลที่หน้า “บัญชีของฉัน”")
    mail = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.address],
        headers={"X-ITA-Outbox-Id": str(message.uuid)},
    )
    try:
        mail.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any transport error is a failed attempt
        raise DeliveryError(f"ส่งอีเมลไม่สำเร็จ: {type(exc).__name__}: {exc}") from exc


def send_line(message: OutboundMessage) -> None:
    """LINE Messaging API push (POST {LINE_API_BASE}/v2/bot/message/push) with the agency's token."""
    if not message.address:
        raise DeliveryError("ผู้รับยังไม่มี LINE user ID")
    channel = LineChannel.objects.filter(agency_id=message.agency_id).first() if message.agency_id else None
    if channel is None:
        raise DeliveryError("หน่วยงานยังไม่ได้ตั้งค่า LINE Official Account")
    text = message.body if not message.subject else f"{message.subject}\n\n{message.body}"
    payload = {"to": message.address, "messages": [{"type": "text", "text": text[:5000]}]}
    request = urllib.request.Request(
        settings.LINE_API_BASE.rstrip("/") + "/v2/bot/message/push",
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        method="POST",
        headers={
            "Authorization": f"Bearer {channel.access_token}",
            "Content-Type": "application/json; charset=utf-8",
            # The same key on every attempt: LINE runs the push once and answers 409 to repeats.
            "X-Line-Retry-Key": str(message.uuid),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.LINE_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 409:  # accepted by an earlier attempt whose answer we never got
            return
        detail = exc.read()[:500].decode("utf-8", "replace")
        try:
            detail = json.loads(detail).get("message", detail)
        except (ValueError, AttributeError):
            pass
        raise DeliveryError(f"LINE ตอบกลับรหัส {exc.code}: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"ติดต่อ LINE ไม่ได้: {reason}") from exc


SENDERS = {Channel.EMAIL: send_email, Channel.LINE: send_line}


def _claim(message_id: int, due_at: datetime, now: datetime) -> OutboundMessage | None:
    claimed = OutboundMessage.objects.filter(
        pk=message_id, status=OutboundMessage.Status.QUEUED, next_attempt_at=due_at
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return OutboundMessage.objects.get(pk=message_id)


def deliver_one(message: OutboundMessage, *, now: datetime) -> str:
    """Send a claimed message and record what happened: its new status."""
    try:
        SENDERS[message.channel](message)
    except Exception as exc:  # noqa: BLE001 - recorded on the message, retried later
        error = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
        give_up = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        updates = {"last_error": error[:2000]}
        if give_up:
            updates["status"] = OutboundMessage.Status.FAILED
            if message.sensitive:
                updates["body"] = ERASED
        else:
            updates["next_attempt_at"] = now + retry_delay(message.attempts)
        OutboundMessage.objects.filter(pk=message.pk).update(**updates)
        logger.warning("outbox message %s attempt %s failed: %s", message.pk, message.attempts, error)
        return OutboundMessage.Status.FAILED if give_up else OutboundMessage.Status.QUEUED
    updates = {"status": OutboundMessage.Status.SENT, "sent_at": timezone.now(), "last_error": ""}
    if message.sensitive:
        updates["body"] = ERASED
    OutboundMessage.objects.filter(pk=message.pk).update(**updates)
    return OutboundMessage.Status.SENT


def outbox_deliver_due(*, now: datetime | None = None, limit: int = 500) -> Summary:
    """Deliver every queued message whose time has come (at most `limit` of them)."""
    now = now or timezone.now()
    summary = Summary()
    due = list(
        OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", "next_attempt_at")[:limit]
    )
    for message_id, due_at in due:
        message = _claim(message_id, due_at, now)
        if message is None:  # another sender took it
            continue
        status = deliver_one(message, now=now)
        if status == OutboundMessage.Status.SENT:
            summary.sent += 1
        elif status == OutboundMessage.Status.FAILED:
            summary.failed += 1
        else:
            summary.retrying += 1
    return summary
