"""Forms of the national years pages: they only validate; assessments.services_years writes."""

from django import forms

from ita_portal.fields import BEDateField

from .models import FiscalYear
from .services_years import QuestionRow

NEW_QUESTIONS = 3  # empty rows to add questions


class YearOpenForm(forms.Form):
    source = forms.TypedChoiceField(label="เปิดจากกรอบการประเมินของปี", coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        numbers = list(FiscalYear.objects.order_by("-be_year").values_list("be_year", flat=True))
        taken = set(numbers)
        self.fields["source"].choices = [(n, f"{n} → เปิดปี {n + 1}") for n in numbers if n + 1 not in taken]


class YearFrameworkForm(forms.Form):
    """The year's dates, target and confirmation, with one group of fields per tool, indicator and question."""

    target_score = forms.DecimalField(label="คะแนนเป้าหมาย", max_digits=5, decimal_places=2, min_value=0, max_value=100)
    six_month_due = BEDateField(label="กำหนดส่งรายงานรอบ 6 เดือน", required=False)
    annual_due = BEDateField(label="กำหนดส่งรายงานประจำปี (รอบ 12 เดือน)", required=False)
    confirmed = forms.BooleanField(label="ยืนยันกรอบการประเมินของปีนี้ (หลังยืนยันแล้วจะแก้ไขไม่ได้)", required=False)

    def __init__(self, *args, year: FiscalYear, tools, indicators, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.tools, self.indicators, self.questions = list(tools), list(indicators), list(questions)
        tool_choices = [(t.pk, t.code) for t in self.tools]
        indicator_choices = [("", "— ไม่ระบุ —")] + [(i.pk, f"{i.number}. {i.name}") for i in self.indicators]
        for t in self.tools:
            self.fields[f"tool_{t.pk}_name"] = forms.CharField(
                label=f"ชื่อแบบวัด {t.code}", max_length=200, initial=t.name
            )
            self.fields[f"tool_{t.pk}_weight"] = forms.DecimalField(
                label=f"น้ำหนัก {t.code} (ร้อยละ)",
                max_digits=5,
                decimal_places=2,
                min_value=0,
                max_value=100,
                required=False,
                initial=t.weight,
            )
        for i in self.indicators:
            self.fields[f"ind_{i.pk}_name"] = forms.CharField(
                label=f"ชื่อตัวชี้วัดที่ {i.number}", max_length=200, initial=i.name
            )
            self.fields[f"ind_{i.pk}_tool"] = forms.TypedChoiceField(
                label=f"แบบวัดของตัวชี้วัดที่ {i.number}", choices=tool_choices, coerce=int, initial=i.tool_id
            )
        rows = [(str(q.pk), q) for q in self.questions] + [(f"new{n}", None) for n in range(NEW_QUESTIONS)]
        self.question_keys = [key for key, _ in rows]
        for key, q in rows:
            label = q.code if q else "ข้อใหม่"
            self.fields[f"q_{key}_code"] = forms.CharField(
                label=f"รหัสข้อ ({label})", max_length=10, required=False, initial=q.code if q else ""
            )
            self.fields[f"q_{key}_text"] = forms.CharField(
                label=f"ข้อคำถาม ({label})",
                required=False,
                initial=q.text if q else "",
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"q_{key}_indicator"] = forms.TypedChoiceField(
                label=f"ตัวชี้วัด ({label})",
                choices=indicator_choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial=q.indicator_id if q else "",
            )
            if q:
                self.fields[f"q_{key}_delete"] = forms.BooleanField(label=f"ลบข้อ {q.code}", required=False)
        self.initial.setdefault("target_score", year.target_score)
        self.initial.setdefault("six_month_due", year.six_month_due)
        self.initial.setdefault("annual_due", year.annual_due)
        self.initial.setdefault("confirmed", year.confirmed)

    def clean(self):
        data = super().clean()
        for key in self.question_keys:
            code, text = data.get(f"q_{key}_code"), data.get(f"q_{key}_text")
            if key.startswith("new") and text and not code:
                self.add_error(f"q_{key}_code", "กรุณากรอกรหัสข้อของข้อคำถามใหม่")
            if not key.startswith("new") and not code and not data.get(f"q_{key}_delete"):
                self.add_error(f"q_{key}_code", "กรุณากรอกรหัสข้อ (หรือเลือกลบข้อนี้)")
        return data

    # What the service takes, from the cleaned data.
    def tool_values(self) -> dict:
        d = self.cleaned_data
        return {t.pk: (d[f"tool_{t.pk}_name"], d[f"tool_{t.pk}_weight"]) for t in self.tools}

    def indicator_values(self) -> dict:
        d = self.cleaned_data
        return {i.pk: (d[f"ind_{i.pk}_name"], d[f"ind_{i.pk}_tool"]) for i in self.indicators}

    def question_rows(self) -> list[QuestionRow]:
        d = self.cleaned_data
        indicators = {i.pk: i for i in self.indicators}
        rows = []
        for key in self.question_keys:
            rows.append(
                QuestionRow(
                    pk=None if key.startswith("new") else int(key),
                    code=(d.get(f"q_{key}_code") or "").strip(),
                    text=d.get(f"q_{key}_text") or "",
                    indicator=indicators.get(d.get(f"q_{key}_indicator")),
                    delete=bool(d.get(f"q_{key}_delete")),
                )
            )
        return rows

    # The fields grouped for the page's tables.
    def tool_rows(self) -> list:
        return [(t, self[f"tool_{t.pk}_name"], self[f"tool_{t.pk}_weight"]) for t in self.tools]

    def indicator_rows(self) -> list:
        return [(i, self[f"ind_{i.pk}_name"], self[f"ind_{i.pk}_tool"]) for i in self.indicators]

    def question_field_rows(self) -> list:
        questions = {str(q.pk): q for q in self.questions}
        return [
            (
                questions.get(key),
                self[f"q_{key}_code"],
                self[f"q_{key}_text"],
                self[f"q_{key}_indicator"],
                self[f"q_{key}_delete"] if key in questions else None,
            )
            for key in self.question_keys
        ]
