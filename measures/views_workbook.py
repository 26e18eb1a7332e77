"""The agency workbook on the web: download a template or the data; upload → preview → confirm.

Downloads: every role that reads the whole agency (not division staff). Import: coordinators.
"""

from functools import partial

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from agencies.access import Access, with_access
from assessments.models import FiscalYear
from sheets.uploads import XLSX, max_upload_bytes, size_label, upload_check, upload_get, upload_store
from sheets.views import import_preview

from . import selectors
from .workbook import workbook_export, workbook_filename, workbook_import


class WorkbookUploadForm(forms.Form):
    year = forms.TypedChoiceField(label="ปีงบประมาณ (พ.ศ.) ของไฟล์", coerce=int)
    file = forms.FileField(
        label="ไฟล์สมุดงาน (.xlsx)",
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX}"}),
        help_text=f"ใช้แม่แบบหรือไฟล์ที่ส่งออกจากระบบ ไม่เกิน {size_label(max_upload_bytes())}",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        years = FiscalYear.objects.order_by("-be_year").values_list("be_year", flat=True)
        self.fields["year"].choices = [(y, str(y)) for y in years]

    def clean_file(self):
        file = self.cleaned_data["file"]
        upload_check(file)
        return file


def _require_reader(access: Access) -> None:
    if not access.sees_all:
        raise PermissionDenied("สมุดงานมีข้อมูลของทั้งหน่วยงาน เฉพาะผู้ประสานงาน ผู้บริหาร และผู้อ่านเท่านั้น")


@with_access
def workbook(request, access: Access):
    """Download the template or the data of a year; coordinators upload a filled workbook."""
    _require_reader(access)
    year = selectors.year_get(be_year=request.GET.get("year"), agency=access.agency)
    form = WorkbookUploadForm(request.POST or None, request.FILES or None, initial={"year": year.be_year})
    if request.method == "POST":
        access.require_manage()
        if form.is_valid():
            token = upload_store(
                request,
                form.cleaned_data["file"],
                kind="workbook",
                agency=access.agency.code,
                year=form.cleaned_data["year"],
            )
            return redirect("measures:workbook_preview", code=access.agency.code, token=token)
    years = FiscalYear.objects.order_by("-be_year")
    return render(request, "measures/workbook_upload.html", {"form": form, "year": year, "years": years})


def _download(access: Access, request, *, template: bool):
    _require_reader(access)
    year = selectors.year_get(be_year=request.GET.get("year"), agency=access.agency)
    data = workbook_export(agency=access.agency, year=year, template=template)
    response = HttpResponse(data, content_type=XLSX)
    name = workbook_filename(agency=access.agency, year=year, template=template)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@with_access
def workbook_template(request, access: Access):
    return _download(access, request, template=True)


@with_access
def workbook_export_view(request, access: Access):
    return _download(access, request, template=False)


@with_access
def workbook_preview(request, access: Access, token: str):
    access.require_manage()
    entry = upload_get(request, token, kind="workbook", agency=access.agency.code)
    code = access.agency.code
    year = get_object_or_404(FiscalYear, be_year=entry["year"])
    return import_preview(
        request,
        token,
        entry=entry,
        run_import=partial(workbook_import, agency=access.agency, year=year),
        template="measures/workbook_preview.html",
        back_url=f"{reverse('measures:workbook', kwargs={'code': code})}?year={entry['year']}",
        done_url=f"{reverse('measures:list', kwargs={'code': code})}?year={year.be_year}",
        done_message=f"นำเข้าสมุดงานปีงบประมาณ {year.be_year} เรียบร้อยแล้ว",
        stale_message=(
            "ข้อมูลในระบบเปลี่ยนไปหลังจากที่คุณตรวจสอบ (อาจมีผู้อื่นบันทึกผลในระหว่างนั้น) ระบบยังไม่ได้บันทึก "
            "กรุณาตรวจสอบตัวอย่างด้านล่างอีกครั้งแล้วยืนยัน"
        ),
        context={"year": year, "form": WorkbookUploadForm(initial={"year": year.be_year})},
    )
