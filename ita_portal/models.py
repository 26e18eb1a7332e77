"""The project's own table, below every app: it names none of them."""

from django.db import models


class CacheVersion(models.Model):
    """A token that keys the page caches (ita_portal/cache.py), replaced after each change.

    One row for the ITA framework (scope 0: years, tools, indicators, bands and issues, shown on
    every agency's pages) and one per agency (scope = the agency's id; not a foreign key, so that
    this table stays below every app). Rows are written only after a change is committed, never
    by the change's own transaction.
    """

    FRAMEWORK = 0

    scope = models.BigIntegerField("ขอบเขต", primary_key=True)
    token = models.BigIntegerField("รุ่นข้อมูล")

    class Meta:
        verbose_name = "รุ่นข้อมูลของหน้าที่เก็บไว้"
        verbose_name_plural = "รุ่นข้อมูลของหน้าที่เก็บไว้"

    def __str__(self) -> str:
        return f"{self.scope}: {self.token}"


class FormSubmission(models.Model):
    """A create or edit form's one-time token, recorded by the transaction that saves the form.

    The token is unique: a second submission of the same form (a double click, a resubmit after
    a timeout) waits for the first to commit, finds its row and is sent to what the first saved,
    instead of creating a second object (ita_portal/edits.py). object_id is the saved object's id
    (not a foreign key, so that this table stays below every app).
    """

    token = models.CharField("รหัสแบบฟอร์ม", max_length=64, unique=True)
    kind = models.CharField("ชนิด", max_length=40)
    object_id = models.BigIntegerField("รหัสรายการที่บันทึก", null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "แบบฟอร์มที่ส่งแล้ว"
        verbose_name_plural = "แบบฟอร์มที่ส่งแล้ว"

    def __str__(self) -> str:
        return f"{self.kind}: {self.object_id}"
