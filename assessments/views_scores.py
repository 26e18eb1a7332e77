"""National score sheets on the web: upload → preview of every row → confirm.

Who: a Django superuser or a staff user (is_staff), i.e. the people who already administer
the portal's data across agencies; the sheet may touch any agency, so agency roles and
oversight scopes (read-only) do not grant it. The two-step upload is ``sheets.uploads`` and
``sheets.views``, shared with the agency workbook.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from sheets.uploads import XLSX, max_upload_bytes, size_label, upload_check, upload_get, upload_store
from sheets.views import import_preview
from sheets.writing import write_csv

from . import score_sheet
from .models import FiscalYear


def require_national(user) -> None:
    if not (user.is_superuser or user.is_staff):
        raise PermissionDenied("เฉพาะผู้ดูแลระบบ (superuser หรือ staff) เท่านั้นที่นำเข้าคะแนนระดับประเทศได้")


class ScoreSheetUploadForm(forms.Form):
    file = forms.FileField(
        label="ไฟล์คะแนน (.xlsx หรือ .csv)",
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,.csv,{XLSX},text/csv"}),
        help_text="หนึ่งแถวต่อหนึ่งคะแนน: รหัสหน่วยงาน · ปีงบประมาณ (พ.ศ.) · ประเภทคะแนน · รหัส · คะแนน "
        f"ไม่เกิน {size_label(max_upload_bytes())}",
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        upload_check(file)
        return file


class ScoreSheetExportForm(forms.Form):
    year = forms.TypedChoiceField(label="ปีงบประมาณ (พ.ศ.)", coerce=int, widget=forms.Select(attrs={"class": "w-year"}))
    format = forms.ChoiceField(
        label="รูปแบบไฟล์",
        choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV (UTF-8)")],
        widget=forms.Select(attrs={"class": "w-year"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [
            (y, str(y)) for y in FiscalYear.objects.order_by("-be_year").values_list("be_year", flat=True)
        ]


def score_sheet_page(request):
    """Upload page, with the template and the export of a year's scores."""
    require_national(request.user)
    form = ScoreSheetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = upload_store(request, form.cleaned_data["file"], kind="scores")
        return redirect("national:score_sheet_preview", token=token)
    return render(
        request,
        "assessments/score_sheet_upload.html",
        {
            "form": form,
            "export_form": ScoreSheetExportForm(initial={"format": "xlsx"}),
            "headers": score_sheet.NATIONAL_HEADERS,
        },
    )


def score_sheet_template(request):
    require_national(request.user)
    years = list(FiscalYear.objects.order_by("be_year"))
    data = score_sheet.write_national_xlsx([], years=years, template=True)
    return _download(data, "ita-scores-template.xlsx", XLSX)


def score_sheet_export(request):
    require_national(request.user)
    form = ScoreSheetExportForm(request.GET)
    if not form.is_valid():
        raise Http404("ไม่พบปีงบประมาณ")
    year = FiscalYear.objects.get(be_year=form.cleaned_data["year"])
    rows = score_sheet.score_rows_for(year_ids=[year.id])
    if form.cleaned_data["format"] == "csv":
        return _download(write_csv(score_sheet.NATIONAL_HEADERS, rows), f"ita-scores-{year.be_year}.csv", "text/csv")
    return _download(score_sheet.write_national_xlsx(rows, years=[year]), f"ita-scores-{year.be_year}.xlsx", XLSX)


PREVIEW_ROW_LIMIT = 500
PROBLEM_LIMIT = 1000


def score_sheet_preview(request, token):
    require_national(request.user)
    entry = upload_get(request, token, kind="scores")
    return import_preview(
        request,
        token,
        entry=entry,
        run_import=score_sheet.score_sheet_import,
        template="assessments/score_sheet_preview.html",
        back_url="national:score_sheet",
        done_url="national:score_sheet",
        done_message="นำเข้าคะแนนเรียบร้อยแล้ว",
        stale_message="ข้อมูลในระบบเปลี่ยนไปหลังจากที่คุณตรวจสอบ ระบบยังไม่ได้บันทึก กรุณาตรวจสอบตัวอย่างใหม่แล้วยืนยันอีกครั้ง",
        changed_rows_only=True,
        row_limit=PREVIEW_ROW_LIMIT,
        problem_limit=PROBLEM_LIMIT,
    )


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
