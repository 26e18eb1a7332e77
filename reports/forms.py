from django import forms

from ita_portal.fields import BEDateField

from .models import COLUMNS, COMMENT_MAX, Report


class ReportLayoutForm(forms.ModelForm):
    columns = forms.MultipleChoiceField(
        label="คอลัมน์ในตาราง", choices=list(COLUMNS.items()), widget=forms.CheckboxSelectMultiple
    )
    signed_on = BEDateField(label="วันที่ลงนาม (พ.ศ.)", required=False)

    class Meta:
        model = Report
        fields = [
            "title", "grouping", "columns", "thai_digits", "show_cover", "show_photos", "show_score_table",
            "show_score_chart", "signatory_name", "signatory_position", "signed_on",
            "strength_threshold", "improve_threshold",
        ]  # fmt: skip

    def clean_columns(self):
        # Keep the seeds' column order, whatever order the boxes were ticked in.
        chosen = self.cleaned_data["columns"]
        return [c for c in COLUMNS if c in chosen]


class SendBackForm(forms.Form):
    comment = forms.CharField(
        label="เหตุผลหรือสิ่งที่ต้องแก้ไข",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "กรุณาระบุเหตุผลหรือสิ่งที่ต้องแก้ไขก่อนส่งกลับ"},
    )
