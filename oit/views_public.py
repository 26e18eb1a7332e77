"""The public OIT page of an agency and year (no login): HTML, JSON, CSV, files and snapshots.

An unknown agency and an agency that has published nothing get the same 404, so codes cannot be
probed. Nothing here links to the login page.
"""

import csv
import datetime
import io
import re
from urllib.parse import quote

from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt

from ita_portal.thai import parse_be_date
from sheets.writing import csv_safe

from . import selectors
from .models import OitEvidence, Source

CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


def _not_found(request):
    return render(request, "oit/public_404.html", status=404)


def _resolve(code: str, be_year: int):
    agency = selectors.public_agency(code=code)
    year = selectors.fiscal_year_with_items(be_year=be_year) if agency is not None else None
    if agency is None or year is None:
        return None, None
    return agency, year


def _parse_as_of(value: str) -> datetime.date | None:
    value = value.strip()
    try:
        if "/" in value:
            return parse_be_date(value)
        d = datetime.date.fromisoformat(value)
    except ValueError:
        return None
    return d.replace(year=d.year - 543) if d.year > 2400 else d  # 2567-03-31 is a พ.ศ. date


def _document(agency, year):
    return selectors.index_document(agency=agency, year=year, rows=selectors.oit_index(agency=agency, year=year))


@login_not_required
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # agencies embed the page in their own websites
def public(request, code: str, be_year: int):
    agency, year = _resolve(code, be_year)
    if agency is None:
        return _not_found(request)
    snapshot = None
    if "as_of" in request.GET:
        as_of = _parse_as_of(request.GET["as_of"])
        snapshot = as_of and selectors.snapshot_find(agency=agency, year=year, as_of=as_of)
        if not snapshot:
            return _not_found(request)
    return _page(request, agency, year, snapshot)


@login_not_required
def public_snapshot(request, code: str, be_year: int, number: int):
    agency, year = _resolve(code, be_year)
    snapshot = agency and selectors.snapshot_find(agency=agency, year=year, number=number)
    if not snapshot:
        return _not_found(request)
    return _page(request, agency, year, snapshot)


def _page(request, agency, year, snapshot):
    document = selectors.snapshot_document(snapshot) if snapshot else _document(agency, year)
    return render(
        request,
        "oit/public.html",
        {
            "agency": agency,
            "year": year,
            "doc": document,
            "snapshot": snapshot,
            "snapshot_label": selectors.snapshot_label(snapshot) if snapshot else "",
        },
    )


@login_not_required
def public_json(request, code: str, be_year: int):
    agency, year = _resolve(code, be_year)
    if agency is None:
        return JsonResponse({"error": "ไม่พบหน้านี้"}, status=404, json_dumps_params={"ensure_ascii": False})
    return JsonResponse(_document(agency, year), json_dumps_params={"ensure_ascii": False, "indent": 1})


def csv_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (the one rule of sheets.writing)."""
    return csv_safe("" if value is None else str(value))


@login_not_required
def public_csv(request, code: str, be_year: int):
    agency, year = _resolve(code, be_year)
    if agency is None:
        return _not_found(request)
    document = _document(agency, year)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["รหัสข้อ", "ชื่อข้อ", "ตัวชี้วัดย่อย", "ปีของหลักฐาน", "ชื่อหลักฐาน", "ประเภท", "ลิงก์", "ลิงก์ของข้อ"])
    for item in document["items"]:
        head = [item["code"], item["title"], item["sub_indicator"], item["evidence_year"]]
        for e in item["evidence"] or [None]:
            tail = [e["title"], Source(e["source"]).label, e["url"]] if e else ["", "", ""]
            writer.writerow([csv_cell(v) for v in head + tail + [item["anchor"]]])
    response = HttpResponse(("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="oit-{agency.code}-{year.be_year}.csv"'
    return response


def content_disposition(title: str, ext: str, fallback: str) -> str:
    """inline, with an ASCII fallback name and the Thai title as RFC 5987 filename*."""
    clean = " ".join(re.sub(r'[\x00-\x1f\x7f/\\"]', " ", title).split()) or fallback
    return f"inline; filename=\"{fallback}.{ext}\"; filename*=UTF-8''{quote(clean + '.' + ext, safe='')}"


@login_not_required
def public_file(request, code: str, be_year: int, pk: int, ext: str):
    evidence = (
        OitEvidence.objects.filter(
            pk=pk, agency__code=code, item__year__be_year=be_year, source=Source.FILE, file_ext=ext
        )
        .select_related("item")
        .first()
    )
    if evidence is None or ext not in CONTENT_TYPES:
        return _not_found(request)
    with evidence.file.open("rb") as fh:
        response = HttpResponse(fh.read(), content_type=CONTENT_TYPES[ext])
    response["Content-Disposition"] = content_disposition(evidence.title, ext, f"{evidence.item.code}-{evidence.pk}")
    response["ETag"] = f'"{evidence.file_sha256}"'
    response["X-Content-SHA256"] = evidence.file_sha256
    return response


@login_not_required
def snapshot_file(request, code: str, be_year: int, number: int, pk: int, ext: str):
    """An uploaded file as it was frozen: the snapshot's own copy, whatever became of the evidence."""
    agency, year = _resolve(code, be_year)
    snapshot = agency and selectors.snapshot_find(agency=agency, year=year, number=number)
    found = snapshot and ext in CONTENT_TYPES and selectors.snapshot_file(snapshot, key=f"{pk}.{ext}")
    if not found:
        return _not_found(request)
    entry, content = found
    response = HttpResponse(content, content_type=CONTENT_TYPES[ext])
    response["Content-Disposition"] = content_disposition(entry["title"], ext, f"{entry['code']}-{pk}")
    response["ETag"] = f'"{entry["sha256"]}"'
    response["X-Content-SHA256"] = entry["sha256"]
    return response
