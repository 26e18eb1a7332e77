"""Form fields for Thai input."""

from django import forms
from django.core.exceptions import ValidationError

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
