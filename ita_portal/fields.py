"""Form fields for Thai input, and bounded text for models."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from . import thai


class BEDateInput(forms.TextInput):
    def __init__(self, attrs=None):
        super().__init__({"placeholder": "วว/ดด/ปปปป (พ.ศ.)", "inputmode": "numeric", **(attrs or {})})

    def format_value(self, value):
        if hasattr(value, "year"):
            return thai.format_be_date(value)
        return value


class BEDateField(forms.Field):
    """A date typed as วัน/เดือน/ปี พ.ศ.; refuses Gregorian years instead of shifting them 543 years."""

    widget = BEDateInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if hasattr(value, "year"):
            return value
        try:
            return thai.parse_be_date(str(value))
        except thai.BEDateError as exc:
            raise ValidationError(str(exc), code="invalid") from None


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
