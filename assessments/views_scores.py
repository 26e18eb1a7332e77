"""National score sheets on the web: upload → preview of every row → confirm.

Who: a Django superuser or a staff user (is_staff), i.e. the people who already administer
the portal's data across agencies; the sheet may touch any agency, so agency roles and
oversight scopes (read-only) do not grant it.

The upload between the two steps is kept in Django's default storage (imports/<uuid>.<ext>,
shared by every app server when MEDIA_ROOT is shared), its token in the user's session; it is
deleted once confirmed or cancelled, and uploads left behind are purged after a day.
"""

import contextlib
import datetime
import os
import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from . import score_sheet
from .models import FiscalYear

UPLOAD_DIR = "imports"
UPLOAD_MAX_AGE = datetime.timedelta(days=1)
SESSION_KEY = "imports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the two-step upload, shared with measures.views_workbook --------------------------------


def upload_check(file) -> None:
    """Refuse a file over the size limit before it is stored or parsed (Thai ValidationError)."""
    limit = score_sheet.max_upload_bytes()
    if file.size > limit:
        raise forms.ValidationError(
            f"ไฟล์มีขนาด {score_sheet.size_label(file.size)} ใหญ่เกินกว่าที่รับได้ ({score_sheet.size_label(limit)}) "
            "กรุณาแบ่งเป็นหลายไฟล์ หรือลบแผ่นงานและรูปภาพที่ไม่ใช้"
        )
    if file.size == 0:
        raise forms.ValidationError("ไฟล์ว่างเปล่า")


def upload_store(request, file, *, kind: str, **meta) -> str:
    """Keep the upload in shared storage under imports/<uuid>.<ext>; its token goes in the session."""
    _purge_old_uploads()
    token = uuid.uuid4().hex
    ext = os.path.splitext(file.name or "")[1].lower().lstrip(".")
    if not ext.isalnum() or len(ext) > 5:
        ext = "dat"
    path = default_storage.save(f"{UPLOAD_DIR}/{token}.{ext}", file)
    pending = request.session.get(SESSION_KEY, {})
    for old_token, entry in list(pending.items()):  # a new upload replaces the one being previewed
        if entry.get("kind") == kind and all(entry.get(k) == v for k, v in meta.items() if k != "year"):
            pending.pop(old_token)
            with contextlib.suppress(OSError, NotImplementedError):
                default_storage.delete(entry["path"])
    pending[token] = {"kind": kind, "path": path, "name": os.path.basename(file.name or "")[:200], **meta}
    request.session[SESSION_KEY] = pending
    return token


def upload_get(request, token: str, *, kind: str, **meta) -> dict:
    """The session's pending upload for this token (404 for another user's or another agency's)."""
    entry = request.session.get(SESSION_KEY, {}).get(str(token))
    if not entry or entry.get("kind") != kind or any(entry.get(k) != v for k, v in meta.items()):
        raise Http404("ไม่พบไฟล์ที่อัปโหลด")
    return entry


@contextlib.contextmanager
def upload_open(entry: dict):
    with default_storage.open(entry["path"], "rb") as f:
        yield f


def upload_discard(request, token: str) -> None:
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.pop(str(token), None)
    request.session[SESSION_KEY] = pending
    if entry:
        with contextlib.suppress(OSError, NotImplementedError):
            default_storage.delete(entry["path"])


def _purge_old_uploads() -> None:
    """Best effort: delete uploads nobody confirmed within a day."""
    try:
        _, files = default_storage.listdir(UPLOAD_DIR)
    except (OSError, NotImplementedError):
        return
    cutoff = timezone.now() - UPLOAD_MAX_AGE
    for name in files:
        path = f"{UPLOAD_DIR}/{name}"
        with contextlib.suppress(OSError, NotImplementedError):
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)


def upload_missing(request, redirect_to):
    messages.error(request, "ไม่พบไฟล์ที่อัปโหลดไว้ (อาจหมดอายุหรือถูกยกเลิกแล้ว) กรุณาอัปโหลดใหม่")
    return redirect_to


# --- national score sheets -------------------------------------------------------------------


def require_national(user) -> None:
    if not (user.is_superuser or user.is_staff):
        raise PermissionDenied("เฉพาะผู้ดูแลระบบ (superuser หรือ staff) เท่านั้นที่นำเข้าคะแนนระดับประเทศได้")


class ScoreSheetUploadForm(forms.Form):
    file = forms.FileField(
        label="ไฟล์คะแนน (.xlsx หรือ .csv)",
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,.csv,{XLSX},text/csv"}),
        help_text="หนึ่งแถวต่อหนึ่งคะแนน: รหัสหน่วยงาน · ปีงบประมาณ (พ.ศ.) · ประเภทคะแนน · รหัส · คะแนน "
        f"ไม่เกิน {score_sheet.size_label(score_sheet.max_upload_bytes())}",
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
        return _download(
            score_sheet.write_csv(score_sheet.NATIONAL_HEADERS, rows), f"ita-scores-{year.be_year}.csv", "text/csv"
        )
    return _download(score_sheet.write_national_xlsx(rows, years=[year]), f"ita-scores-{year.be_year}.xlsx", XLSX)


PREVIEW_ROW_LIMIT = 500
PROBLEM_LIMIT = 1000


def score_sheet_preview(request, token):
    require_national(request.user)
    entry = upload_get(request, token, kind="scores")
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "cancel":
        upload_discard(request, token)
        messages.info(request, "ยกเลิกการนำเข้าแล้ว ไม่ได้บันทึกข้อมูลใด")
        return redirect("national:score_sheet")
    confirm = action == "confirm"
    try:
        with upload_open(entry) as f:
            preview = score_sheet.score_sheet_import(
                file=f,
                dry_run=not confirm,
                user=request.user,
                filename=entry["name"],
                expected_digest=request.POST.get("digest") if confirm else None,
            )
    except FileNotFoundError:
        upload_discard(request, token)
        return upload_missing(request, redirect("national:score_sheet"))
    if confirm and preview.written:
        upload_discard(request, token)
        messages.success(request, f"นำเข้าคะแนนเรียบร้อยแล้ว: {preview.summary()}")
        return redirect("national:score_sheet")
    if confirm and preview.stale:
        messages.error(request, "ข้อมูลในระบบเปลี่ยนไปหลังจากที่คุณตรวจสอบ ระบบยังไม่ได้บันทึก กรุณาตรวจสอบตัวอย่างใหม่แล้วยืนยันอีกครั้ง")
    rows = preview.sorted_rows()
    interesting = [r for r in rows if r.status != score_sheet.UNCHANGED]
    problems = preview.problems
    return render(
        request,
        "assessments/score_sheet_preview.html",
        {
            "preview": preview,
            "rows": interesting[:PREVIEW_ROW_LIMIT],
            "rows_hidden": max(len(interesting) - PREVIEW_ROW_LIMIT, 0),
            "problems": problems[:PROBLEM_LIMIT],
            "problems_hidden": max(len(problems) - PROBLEM_LIMIT, 0),
            "digest": preview.digest(),
            "token": token,
            "entry": entry,
        },
        status=200,
    )


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
