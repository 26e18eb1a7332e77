"""The outbox: every e-mail and LINE message the portal sends, held here until delivered.

Web code only adds rows (services.outbox_enqueue); a sender (delivery.py, run by the
`deliver_outbox` task or the `send_outbox` command) delivers them, retrying a failed send with
a growing delay, so that no message is lost when the mail server or LINE is away for a while.

This app sits just above agencies (a LINE Official Account belongs to an agency) and below
every app that sends something.
"""

import uuid

from django.conf import settings
from django.db import models

from agencies.models import Agency


class Channel(models.TextChoices):
    EMAIL = "email", "อีเมล"
    LINE = "line", "LINE"


class OutboundMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "รอส่ง"
        SENT = "sent", "ส่งแล้ว"
        FAILED = "failed", "ส่งไม่สำเร็จ"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="outbound_messages",
        verbose_name="ผู้รับ",
    )
    # Whose outbox shows it (and whose LINE Official Account sends it); none for a user's own mail.
    agency = models.ForeignKey(
        Agency, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="หน่วยงาน"
    )
    channel = models.CharField("ช่องทาง", max_length=10, choices=Channel.choices)
    address = models.CharField("ส่งถึง", max_length=254, blank=True)
    subject = models.CharField("เรื่อง", max_length=200)
    body = models.TextField("ข้อความ")
    # A password-reset mail carries a sign-in link: its text is erased once the message is done.
    sensitive = models.BooleanField(default=False)
    status = models.CharField("สถานะ", max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField("จำนวนครั้งที่ส่ง", default=0)
    next_attempt_at = models.DateTimeField("ส่งครั้งถัดไป")
    last_error = models.TextField("ข้อผิดพลาดล่าสุด", blank=True)
    # The same reminder is queued once: a second enqueue with the same key returns the first row.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    # Sent with each LINE push as X-Line-Retry-Key, so a retried push is never shown twice.
    uuid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    created_at = models.DateTimeField("สร้างเมื่อ", auto_now_add=True)
    sent_at = models.DateTimeField("ส่งเมื่อ", null=True, blank=True)

    class Meta:
        verbose_name = "ข้อความขาออก"
        verbose_name_plural = "ข้อความขาออก"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["agency", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address or self.recipient_id}: {self.subject}"


class LineChannel(models.Model):
    """An agency's LINE Official Account (Messaging API channel): its channel access token."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="line_channel")
    access_token = models.TextField("Channel access token")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = "LINE Official Account ของหน่วยงาน"
        verbose_name_plural = "LINE Official Account ของหน่วยงาน"

    def __str__(self) -> str:
        return f"LINE · {self.agency}"

    @property
    def masked_token(self) -> str:
        token = self.access_token
        if len(token) <= 8:
            return "•" * len(token)
        return f"{token[:4]}{'•' * 12}{token[-4:]}"


class ContactPreference(models.Model):
    """How a user wants to be told things: e-mail (default) or LINE."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact")
    channel = models.CharField("รับการแจ้งเตือนทาง", max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    line_user_id = models.CharField("LINE user ID", max_length=64, blank=True)

    class Meta:
        verbose_name = "ช่องทางรับการแจ้งเตือน"
        verbose_name_plural = "ช่องทางรับการแจ้งเตือน"

    def __str__(self) -> str:
        return f"{self.user} · {self.get_channel_display()}"
