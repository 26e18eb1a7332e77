"""An invitation to join an agency, e-mailed as a signed one-time link (accounts/services_invitations.py)."""

from django.conf import settings
from django.db import models

from agencies.models import Agency, Division, Role


class Invitation(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="invitations", verbose_name="หน่วยงาน")
    email = models.EmailField("อีเมล")
    role = models.CharField("บทบาท", max_length=20, choices=Role.choices)
    position = models.CharField("ตำแหน่ง", max_length=200, blank=True)
    divisions = models.ManyToManyField(Division, blank=True, verbose_name="กอง/สำนัก")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="ผู้เชิญ"
    )
    created_at = models.DateTimeField("ส่งเมื่อ", auto_now_add=True)
    accepted_at = models.DateTimeField("ตอบรับเมื่อ", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "คำเชิญเข้าร่วมหน่วยงาน"
        verbose_name_plural = "คำเชิญเข้าร่วมหน่วยงาน"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} → {self.agency}"
