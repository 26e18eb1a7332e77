"""No lost and no duplicated edit: optimistic versions and one-time form tokens, for every app.

A versioned model has ``version = PositiveIntegerField(default=1)``; its edit form carries the
version it was opened on (a hidden field), and the service, inside its writing transaction, calls
version_claim(): one ``UPDATE … SET version = version + 1 WHERE pk = … AND version = n``. On
PostgreSQL a second save of the same row waits for the first to commit and then matches no row,
so of two people who opened the same version exactly one saves; the other gets StaleVersion
and the view shows the conflict page (templates/partials/_conflict.html): their text beside
what is stored now, nothing overwritten.

A form also carries a one-time token (form_token()); the service records it with
submission_claim() in the same transaction. A second submission with that token finds the first
one's record (waiting for it to commit) and gets the id of what it saved: the view redirects
there instead of creating a second object.
"""

import datetime
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from . import thai
from .models import FormSubmission

STALE_MESSAGE = (
    "มีผู้อื่นบันทึกรายการนี้หลังจากที่คุณเปิดแบบฟอร์ม ระบบจึงไม่บันทึกทับ "
    "ข้อความของคุณยังอยู่ในแบบฟอร์มด้านล่าง เทียบกับข้อมูลล่าสุดได้ในตาราง "
    "ถ้ายังต้องการบันทึกข้อความของคุณแทนข้อมูลล่าสุด กด “บันทึก” อีกครั้ง"
)
GONE_MESSAGE = "รายการนี้ถูกลบหรือเปลี่ยนแปลงโดยผู้อื่น ระบบจึงไม่บันทึก กรุณาโหลดหน้าใหม่"
BUSY_MESSAGE = "แบบฟอร์มนี้กำลังถูกบันทึกอยู่ กรุณารอสักครู่แล้วโหลดหน้าใหม่"
USED_MESSAGE = "แบบฟอร์มนี้ส่งไปแล้ว และรายการที่สร้างจากแบบฟอร์มนี้ถูกลบไปแล้ว กรุณาเปิดแบบฟอร์มใหม่"

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class StaleVersion(Exception):
    """Someone saved the row after the form was opened (or removed it): nothing was written."""

    def __init__(self, message: str = STALE_MESSAGE):
        super().__init__(message)


def version_claim(instance: models.Model, expected: int | None) -> None:
    """Move the stored row from version `expected` to the next one, atomically, or raise StaleVersion.

    Call inside the writing transaction, before writing anything else: the row then stays locked
    until the transaction ends. instance.version is set to the new version, so that a following
    instance.save() writes it unchanged.
    """
    if expected is None:
        raise StaleVersion(GONE_MESSAGE if instance.pk is None else STALE_MESSAGE)
    model = type(instance)
    claimed = model._default_manager.filter(pk=instance.pk, version=expected).update(version=models.F("version") + 1)
    if not claimed:
        exists = model._default_manager.filter(pk=instance.pk).exists()
        raise StaleVersion(STALE_MESSAGE if exists else GONE_MESSAGE)
    instance.version = expected + 1


DELETE_STALE_MESSAGE = "มีผู้อื่นแก้ไขรายการนี้หลังจากที่คุณเปิดหน้า ระบบจึงยังไม่ลบ กรุณาตรวจสอบข้อมูลล่าสุดในหน้านี้ แล้วกดลบอีกครั้งถ้ายังต้องการลบ"
DELETE_GONE_MESSAGE = "รายการนี้ถูกลบไปแล้ว"


def version_check(instance: models.Model, expected: int | None) -> None:
    """A delete from the version the page showed: the stored row is locked and its version compared,
    or StaleVersion (delete nothing). Call inside the deleting transaction, before deleting."""
    current = (
        type(instance)._default_manager.select_for_update().filter(pk=instance.pk).values_list("version", flat=True)
    ).first()
    if current is None:
        raise StaleVersion(DELETE_GONE_MESSAGE)
    if expected is None or current != expected:
        raise StaleVersion(DELETE_STALE_MESSAGE)


def version_bump(instance: models.Model) -> None:
    """A stored row about to be written by a path without a form (an import): forms opened on its
    old version then see a conflict instead of overwriting it. Call inside the writing transaction."""
    if instance.pk and hasattr(instance, "version"):
        instance.version += 1


def version_bump_stored(instance: models.Model) -> None:
    """A stored row about to be saved by an edit that sent no version (the Django admin): the stored
    version + 1, read under a row lock, so that forms opened before it see a conflict. Call inside
    the writing transaction."""
    if instance.pk is None or not hasattr(instance, "version"):
        return
    stored = (
        type(instance)._default_manager.select_for_update().filter(pk=instance.pk).values_list("version", flat=True)
    )
    current = stored.first()
    if current is not None:
        instance.version = current + 1


class VersionedAdminMixin:
    """For a ModelAdmin whose model, or an inline's, has a version: every admin save of a stored row
    moves it to the next version (version_bump_stored). The parent's version moves on every change
    page save, so an edit of an unversioned inline (a result's scores) counts as an edit of it."""

    def save_model(self, request, obj, form, change):
        if change:
            version_bump_stored(obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline in formset.forms:
            if inline.instance.pk and inline.has_changed() and not formset._should_delete_form(inline):
                version_bump_stored(inline.instance)
        super().save_formset(request, form, formset, change)


def versions_bump(model: type[models.Model], pks) -> None:
    """version_bump() for rows written in bulk (one UPDATE)."""
    pks = list(pks)
    if pks:
        model._default_manager.filter(pk__in=pks).update(version=models.F("version") + 1)


def version_of(value) -> int | None:
    """The version a form sent (a hidden field's text or a cleaned int), None when missing or not a number."""
    if isinstance(value, int):
        return value
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def form_token() -> str:
    return uuid.uuid4().hex


def submission_claim(*, token: str | None, kind: str) -> int | None:
    """Record a form's token inside the transaction that saves it.

    Returns None when this is the token's first use (go on and save, then submission_done()),
    or the id of the object the token's earlier submission saved (save nothing). A missing or
    malformed token is not recorded (the form then has no double-submit protection).
    """
    if not token or not _TOKEN.match(token):
        return None
    try:
        with transaction.atomic():  # a savepoint: on PostgreSQL a failed insert spoils the transaction
            FormSubmission.objects.create(token=token, kind=kind)
        transaction.on_commit(_submissions_prune)
    except IntegrityError:
        done = FormSubmission.objects.filter(token=token, kind=kind).values_list("object_id", flat=True).first()
        if done is None:
            raise StaleVersion(BUSY_MESSAGE) from None
        return done
    return None


# A form sent again later than this is treated as a new one (a page kept open for a week is reloaded).
TOKEN_DAYS = 7


def _submissions_prune() -> None:
    """Forget tokens older than TOKEN_DAYS: after the commit, outside the saving transaction."""
    FormSubmission.objects.filter(created_at__lt=timezone.now() - datetime.timedelta(days=TOKEN_DAYS)).delete()


def submission_object(queryset: models.QuerySet, object_id: int):
    """What a used token's first submission saved (from the caller's own scope), or StaleVersion when
    it is gone since."""
    found = queryset.filter(pk=object_id).first()
    if found is None:
        raise StaleVersion(USED_MESSAGE)
    return found


def submission_done(*, token: str | None, kind: str, object_id: int) -> None:
    if token and _TOKEN.match(token):
        FormSubmission.objects.filter(token=token, kind=kind).update(object_id=object_id)


@dataclass
class ConflictRow:
    label: str
    yours: str
    current: str


def shown(value) -> str:
    """A value as the conflict table shows it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, models.Manager):
        value = list(value.all())
    if isinstance(value, list | tuple | set | models.QuerySet):
        return ", ".join(sorted(str(v) for v in value)) or "—"
    return str(value)


def conflict_rows(*, labels: dict[str, str], yours: dict, current: dict) -> list[ConflictRow]:
    """The fields of a refused save where the user's value and the stored one differ, side by side."""
    rows = [
        ConflictRow(label=label, yours=shown(yours.get(name)), current=shown(current.get(name)))
        for name, label in labels.items()
    ]
    return [row for row in rows if row.yours != row.current]


def form_conflict(form, *, current: dict, version: int | None) -> list[ConflictRow]:
    """A bound, valid form whose save was refused as stale: the rows to show, and the form made to carry
    the stored version, so that saving it again (after reading the table) is a deliberate overwrite."""
    names = [n for n in form.fields if n not in ("version", "form_token") and not form.fields[n].disabled]
    labels = {n: str(form.fields[n].label or n) for n in names}
    data = form.data.copy()
    data["version"] = "" if version is None else str(version)
    form.data = data
    yours = {n: _readable(form.fields[n], form.cleaned_data.get(n)) for n in names}
    stored = {n: _readable(form.fields[n], current.get(n)) for n in names}
    return conflict_rows(labels=labels, yours=yours, current=stored)


def _readable(field, value):
    """A choice by its Thai label, a date in พ.ศ., a number with the field's decimals (90 and 90.00 agree)."""
    if isinstance(value, datetime.date):
        return thai.thai_date(value)
    if isinstance(value, Decimal) and getattr(field, "decimal_places", None) is not None:
        return f"{value:,.{field.decimal_places}f}"
    choices = getattr(field, "choices", None)
    if isinstance(value, str) and value and choices is not None and not hasattr(field, "queryset"):
        return dict((str(k), v) for k, v in choices).get(value, value)
    return value


def model_values(instance: models.Model | None, names) -> dict:
    """The stored values of a model's fields (many-to-many as lists), for conflict_rows()."""
    if instance is None:
        return {}
    out = {}
    for name in names:
        value = getattr(instance, name, None)
        out[name] = list(value.all()) if isinstance(value, models.Manager) else value
    return out


def edit_fields_add(form, *, version: int | None) -> None:
    """Give a form the hidden version it was opened on and a fresh one-time token."""
    from django import forms

    form.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False, initial=version)
    form.fields["form_token"] = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64, initial=form_token()
    )
