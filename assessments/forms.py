from decimal import Decimal

from django import forms

from ita_portal.edits import edit_fields_add

from .models import FiscalYear

SCORE = {
    "max_digits": 5,
    "decimal_places": 2,
    "min_value": Decimal("0"),
    "max_value": Decimal("100"),
    "required": False,
    "error_messages": {
        "invalid": "กรุณากรอกคะแนนเป็นตัวเลข",
        "min_value": "คะแนนต้องไม่ต่ำกว่า %(limit_value)s",
        "max_value": "คะแนนต้องไม่เกิน %(limit_value)s",
        "max_digits": "คะแนนมีได้ไม่เกิน %(max)s หลัก",
        "max_whole_digits": "คะแนนมีได้ไม่เกิน 100",
        "max_decimal_places": "คะแนนมีทศนิยมได้ไม่เกิน %(max)s ตำแหน่ง (เช่น 85.25)",
    },
}


class ResultForm(forms.Form):
    """Scores of one agency for one year; fields follow that year's framework rows."""

    overall = forms.DecimalField(label="คะแนนรวม", **SCORE)
    level_awarded = forms.CharField(label="ระดับที่ได้รับ (ตามที่ประกาศ)", max_length=50, required=False)

    def __init__(self, *args, year: FiscalYear, version: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        edit_fields_add(self, version=version)
        self.year = year
        self.tools = list(year.tools.all())
        self.indicators = list(year.indicators.select_related("tool"))
        self.questions = list(year.questions.select_related("tool"))
        labels = [b.label for b in year.rating_bands.all()]
        self.fields["level_awarded"].help_text = "ระดับของปีนี้: " + " / ".join(labels)
        self.level_labels = labels
        for t in self.tools:
            self.fields[f"tool_{t.code}"] = forms.DecimalField(label=f"{t.code} {t.name}", **SCORE)
        for i in self.indicators:
            self.fields[f"ind_{i.number}"] = forms.DecimalField(label=f"{i.number}. {i.name}", **SCORE)
        for q in self.questions:
            self.fields[f"q_{q.code}"] = forms.DecimalField(label=f"{q.code} {q.text[:80]}", **SCORE)

    def clean_level_awarded(self):
        label = self.cleaned_data["level_awarded"].strip()
        if label and label not in self.level_labels:
            raise forms.ValidationError(
                f"ระดับ “{label}” ไม่มีในเกณฑ์ปี {self.year.be_year} (ใช้ได้: {', '.join(self.level_labels)})"
            )
        return label

    def tool_fields(self):
        return [self[f"tool_{t.code}"] for t in self.tools]

    def indicator_fields(self):
        return [self[f"ind_{i.number}"] for i in self.indicators]

    def question_fields(self):
        return [self[f"q_{q.code}"] for q in self.questions]

    def scores(self):
        d = self.cleaned_data
        return (
            {t: d.get(f"tool_{t.code}") for t in self.tools},
            {i: d.get(f"ind_{i.number}") for i in self.indicators},
            {q: d.get(f"q_{q.code}") for q in self.questions},
        )
