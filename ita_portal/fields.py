"""Form fields for Thai input, and bounded text for models."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from . import thai

DATE_HELP = "เช่น 15/3/2568 หรือ 15032568 (ปี พ.ศ.; ปี 2 หลัก เช่น 68 อ่านเป็น 2568)"


class BEDateInput(forms.TextInput):
    """A text box for วัน/เดือน/ปี พ.ศ.: a keyboard with "/" (inputmode text, not numeric), and
    data-be-date for static/js/portal.js, which adds day, month (Thai names) and พ.ศ. year lists
    that fill the box. Typing stays the way in; the lists only help."""

    def __init__(self, attrs=None):
        defaults = {"placeholder": "วว/ดด/ปปปป (พ.ศ.)", "inputmode": "text", "autocomplete": "off", "data-be-date": ""}
        super().__init__({**defaults, **(attrs or {})})

    def format_value(self, value):
        if hasattr(value, "year"):
            return thai.format_be_date(value)
        return value


class BEDateField(forms.Field):
    """A date typed as วัน/เดือน/ปี พ.ศ.; refuses Gregorian years instead of shifting them 543 years.

    limit() bounds the accepted dates (with the Thai message to show outside them) and tells the
    browser's year list which years to offer.
    """

    widget = BEDateInput
    default_error_messages = {"out_of_range": "วันที่ต้องอยู่ระหว่าง %(earliest)s ถึง %(latest)s"}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", DATE_HELP)
        super().__init__(*args, **kwargs)
        self.earliest: datetime.date | None = None
        self.latest: datetime.date | None = None
        self.range_message: str | None = None

    def limit(self, earliest: datetime.date, latest: datetime.date, message: str | None = None) -> None:
        self.earliest, self.latest, self.range_message = earliest, latest, message
        self.widget.attrs["data-be-min"] = thai.format_be_date(earliest)
        self.widget.attrs["data-be-max"] = thai.format_be_date(latest)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if hasattr(value, "year"):
            return value
        try:
            return thai.parse_be_date(str(value))
        except thai.BEDateError as exc:
            raise ValidationError(str(exc), code="invalid") from None

    def validate(self, value):
        super().validate(value)
        if value is None or self.earliest is None:
            return
        if not self.earliest <= value <= self.latest:
            message = self.range_message or self.error_messages["out_of_range"] % {
                "earliest": thai.thai_date(self.earliest),
                "latest": thai.thai_date(self.latest),
            }
            raise ValidationError(message, code="out_of_range")


# --- bounded text ---------------------------------------------------------------------------------
# Every free text has a maximum length, enforced by the form (ModelForm fields), the spreadsheet
# imports (the same limit, read from the model field) and the database (a check constraint).
TEXT_SHORT = 2_000  # titles, questions
TEXT_LONG = 20_000  # descriptions, progress texts, plan introductions (the longest demo text: 8,871)


def too_long_message(limit: int, length: int | None = None) -> str:
    shown = f" (ยาว {length:,} ตัวอักษร)" if length is not None else ""
    return f"ข้อความยาวเกิน {limit:,} ตัวอักษร{shown} กรุณาตัดให้สั้นลง"


class _ThaiMaxLength(MaxLengthValidator):
    def __call__(self, value):
        if value is not None and len(value) > self.limit_value:
            raise ValidationError(too_long_message(self.limit_value, len(value)), code="max_length")


class BoundedTextField(models.TextField):
    """A TextField whose max_length (required) is checked by forms and full_clean, in Thai."""

    def __init__(self, *args, max_length: int, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)

    @property
    def validators(self):
        return [*super().validators, _ThaiMaxLength(self.max_length)]

    def formfield(self, **kwargs):
        field = super().formfield(**kwargs)
        field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
        field.validators.append(_ThaiMaxLength(self.max_length))
        return field


class TextLengthCheck(models.CheckConstraint):
    """The database's copy of a BoundedTextField's limit. Model validation (a ModelForm's) does not
    query it: the field's own validator already checked the same limit in Python."""

    def validate(self, model, instance, exclude=None, using=None):
        return None


def text_length_checks(prefix: str, model_fields: dict[str, int]) -> list[models.CheckConstraint]:
    """Check constraints: each named text no longer than its limit, in the database too."""
    return [
        TextLengthCheck(condition=LessThanOrEqual(Length(name), limit), name=f"{prefix}_{name}_max_length")
        for name, limit in model_fields.items()
    ]
