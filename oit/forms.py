from django import forms

from agencies.models import Division
from reports.models import Report

from .models import OitItem, Source


class EvidenceForm(forms.Form):
    item = forms.ModelChoiceField(label="ข้อ OIT", queryset=OitItem.objects.none(), empty_label="เลือกข้อ")
    source = forms.ChoiceField(label="ประเภทหลักฐาน", choices=Source.choices, widget=forms.RadioSelect)
    title = forms.CharField(label="ชื่อหลักฐาน", max_length=300)
    division = forms.ModelChoiceField(
        label="กอง/สำนักที่รับผิดชอบ", queryset=Division.objects.none(), required=False, empty_label="ไม่ระบุ"
    )
    report = forms.ModelChoiceField(
        label="รายงานที่เผยแพร่แล้ว", queryset=Report.objects.none(), required=False, empty_label="เลือกรายงาน"
    )
    upload = forms.FileField(label="ไฟล์ (PDF, JPEG หรือ PNG)", required=False)
    url = forms.URLField(label="ลิงก์ (http:// หรือ https://)", required=False, max_length=1000, assume_scheme="https")

    def __init__(self, *args, agency, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = OitItem.objects.filter(year=year).order_by("order")
        self.fields["item"].label_from_instance = lambda i: f"{i.code} {i.title}"
        self.fields["division"].queryset = Division.objects.filter(agency=agency)
        self.fields["report"].queryset = (
            Report.objects.filter(agency=agency, versions__isnull=False).select_related("year").distinct()
        )

    def clean(self):
        data = super().clean()
        source = data.get("source")
        if source == Source.REPORT and not data.get("report"):
            self.add_error("report", "กรุณาเลือกรายงาน")
        if source == Source.FILE and not data.get("upload"):
            self.add_error("upload", "กรุณาเลือกไฟล์")
        if source == Source.URL and not data.get("url"):
            self.add_error("url", "กรุณาระบุลิงก์")
        return data
