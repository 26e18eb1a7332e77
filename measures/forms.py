from django import forms
from django.conf import settings

from agencies.models import Division
from assessments.models import Indicator, Issue, Tool
from ita_portal import thai
from ita_portal.edits import edit_fields_add
from ita_portal.fields import BEDateField

from .models import Activity, Measure, Plan, Progress, Status, UnableReason
from .rules import PROGRESS_FIELDS, completion_window, measure_name_problem, progress_problems, unable_reason_kept

TEXTAREA = {"rows": 4}


class ProgressForm(forms.ModelForm):
    completed_on = BEDateField(label="วันที่แล้วเสร็จ (พ.ศ.)", required=False)

    class Meta:
        model = Progress
        fields = list(PROGRESS_FIELDS)
        widgets = {
            "output": forms.Textarea(attrs=TEXTAREA),
            "outcome": forms.Textarea(attrs=TEXTAREA),
            "obstacles": forms.Textarea(attrs={"rows": 3}),
            "status": forms.RadioSelect,
        }

    def __init__(self, *args, fiscal_year: int | None = None, round: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if fiscal_year and round:
            self.fields["completed_on"].limit(
                *completion_window(fiscal_year=fiscal_year, round=round, today=thai.today())
            )
        # A person recording progress always states a status (blank is only for transcribed reports).
        self.fields["status"].choices = Status.choices
        self.fields["status"].required = True
        self.fields["unable_reason"].required = False
        self.fields["unable_reason"].choices = [("", "— เลือกเหตุผล (เมื่อดำเนินการไม่ได้) —"), *UnableReason.choices]
        edit_fields_add(self, version=self.instance.version if self.instance and self.instance.pk else None)

    def clean(self):
        data = super().clean()
        if "status" not in data:
            return data  # no status: its own error says so
        # A reason left in its fields after the status changed is dropped on saving, not refused.
        reason, note = unable_reason_kept(
            status=data["status"], unable_reason=data.get("unable_reason", ""), unable_note=data.get("unable_note", "")
        )
        problems = progress_problems(
            status=data["status"],
            unable_reason=reason,
            unable_note=note,
            completed_on=data.get("completed_on"),
            budget_spent=data.get("budget_spent"),
        )
        for field, message in problems.items():
            if field not in self.errors:  # a field refused on its own (a ค.ศ. date) has its message
                self.add_error(field, message)
        return data


class PhotoForm(forms.Form):
    image = forms.FileField(
        label="ภาพ",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    caption = forms.CharField(label="คำบรรยายภาพ", max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limits the server checks, for the browser to check before sending (static/js/portal.js).
        # The types are named, not image/*: a phone then offers its camera and gallery, and an
        # iPhone sends its HEIC photos as JPEG.
        self.fields["image"].widget.attrs.update(
            {"data-max-bytes": str(settings.EVIDENCE_MAX_UPLOAD_BYTES), "aria-describedby": "photo-limits"}
        )


class BasePhotoFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": "แนบภาพได้ครั้งละไม่เกิน %(num)d ภาพ",
        "missing_management_form": "แบบฟอร์มแนบภาพไม่สมบูรณ์ กรุณาโหลดหน้าใหม่",
    }


PhotoFormSet = forms.formset_factory(
    PhotoForm,
    formset=BasePhotoFormSet,
    extra=3,
    max_num=settings.PHOTO_MAX_PER_FORM,
    validate_max=True,
    absolute_max=settings.PHOTO_MAX_PER_FORM,
)


class LinkForm(forms.Form):
    url = forms.URLField(label="ลิงก์", required=False, assume_scheme="https", max_length=1000)
    label = forms.CharField(label="คำอธิบาย", max_length=300, required=False)

    def clean_url(self):
        url = self.cleaned_data.get("url", "")
        if url and not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("ลิงก์ต้องขึ้นต้นด้วย http:// หรือ https://")
        return url


LinkFormSet = forms.formset_factory(LinkForm, extra=2, max_num=10)


class MeasureForm(forms.ModelForm):
    class Meta:
        model = Measure
        fields = [
            "number",
            "issue",
            "tool",
            "indicators",
            "focus",
            "title",
            "steps",
            "period",
            "divisions",
            "responsible_note",
            "monitoring",
            "budget",
        ]
        widgets = {
            "title": forms.Textarea(attrs={"rows": 2}),
            "focus": forms.Textarea(attrs={"rows": 2}),
            "steps": forms.Textarea(attrs={"rows": 6}),
            "monitoring": forms.Textarea(attrs=TEXTAREA),
            "divisions": forms.CheckboxSelectMultiple,
            "indicators": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, agency, year, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices come from this agency and this year only: ids of others are invalid input.
        self.fields["divisions"].queryset = Division.objects.for_agency(agency)
        self.fields["issue"].queryset = Issue.objects.filter(year=year)
        self.fields["tool"].queryset = Tool.objects.filter(year=year)
        self.fields["indicators"].queryset = Indicator.objects.filter(year=year)
        self.fields["issue"].empty_label = "— ไม่ระบุ —"
        self.fields["tool"].empty_label = "— ไม่ระบุ —"
        edit_fields_add(self, version=self.instance.version if self.instance.pk else None)
        # An imported measure may have only its issue to improve: it stays editable, title to add.
        self.fields["title"].required = False

    def clean(self):
        data = super().clean()
        problem = measure_name_problem(title=data.get("title", ""), focus=data.get("focus", ""))
        if problem:
            self.add_error("title", problem)
        return data


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["title", "steps", "period", "divisions"]
        widgets = {
            "title": forms.Textarea(attrs={"rows": 2}),
            "steps": forms.Textarea(attrs=TEXTAREA),
            "divisions": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["divisions"].queryset = Division.objects.for_agency(agency)
        self.fields["divisions"].help_text = "เว้นว่างไว้ถ้าผู้รับผิดชอบเป็นกอง/สำนักเดียวกับมาตรการ"
        edit_fields_add(self, version=self.instance.version if self.instance.pk else None)


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ["intro", "recommendations", "signatory_name", "signatory_position"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 8}), "recommendations": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        edit_fields_add(self, version=self.instance.version if self.instance.pk else None)


class CopyYearForm(forms.Form):
    from_year = forms.IntegerField(label="คัดลอกจากปีงบประมาณ (พ.ศ.)", min_value=2400, max_value=2700)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        edit_fields_add(self, version=None)


class RoundScheduleForm(forms.Form):
    """The agency's dates for the two rounds (blank: the year's dates) and when to remind."""

    six_month_opens = BEDateField(label="รอบ 6 เดือน: เริ่มรายงานผล (พ.ศ.)", required=False)
    six_month_due = BEDateField(label="รอบ 6 เดือน: กำหนดส่ง (พ.ศ.)", required=False)
    annual_opens = BEDateField(label="รอบ 12 เดือน: เริ่มรายงานผล (พ.ศ.)", required=False)
    annual_due = BEDateField(label="รอบ 12 เดือน: กำหนดส่ง (พ.ศ.)", required=False)
    days_before = forms.CharField(
        label="เตือนก่อนครบกำหนด (วัน คั่นด้วยจุลภาค)",
        max_length=50,
        required=False,
        help_text="เช่น 7, 1 (ค่าเริ่มต้น) เว้นว่างหากไม่ต้องการเตือนล่วงหน้า",
    )

    def clean_days_before(self):
        text = self.cleaned_data["days_before"].replace(" ", "")
        if not text:
            return []
        try:
            return [int(part) for part in text.split(",") if part]
        except ValueError:
            raise forms.ValidationError("กรอกเป็นจำนวนวัน คั่นด้วยจุลภาค เช่น 7, 1") from None


class WorkFilterForm(forms.Form):
    """Search and filters of งานของฉัน and the measure list; a value that is not a choice is ignored."""

    q = forms.CharField(
        label="ค้นหา",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "คำในมาตรการ กิจกรรม หรือขั้นตอน"}),
    )
    issue = forms.ModelChoiceField(
        label="ประเด็น", required=False, queryset=Issue.objects.none(), empty_label="ทุกประเด็น"
    )
    division = forms.ModelChoiceField(
        label="กอง/สำนัก", required=False, queryset=Division.objects.none(), empty_label="ทุกกอง/สำนัก"
    )
    status = forms.ChoiceField(label="สถานะ", required=False, choices=[("", "ทุกสถานะ"), *Status.choices])

    def __init__(self, *args, agency, year, with_status: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self._kwargs = {"agency": agency, "year": year, "with_status": with_status}
        self.fields["issue"].queryset = Issue.objects.filter(year=year).order_by("number")
        self.fields["division"].queryset = Division.objects.for_agency(agency)
        if not with_status:
            del self.fields["status"]

    def unbound(self):
        """The same form with nothing filled in."""
        return type(self)(**self._kwargs)

    def filters(self) -> dict:
        """The valid filters given: q, issue_id, division_id, status (empty when not given)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "q": data.get("q", ""),
            "issue_id": data["issue"].pk if data.get("issue") else None,
            "division_id": data["division"].pk if data.get("division") else None,
            "status": data.get("status", ""),
        }
