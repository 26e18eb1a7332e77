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
