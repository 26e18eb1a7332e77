"""The coordinator's OIT pages: evidence per item, readiness, link checks and freezing the page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agencies.access import Access, with_access
from assessments.models import FiscalYear

from . import selectors, services
from .forms import EvidenceForm
from .models import OitEvidence


def _year(be_year: int) -> FiscalYear:
    year = selectors.fiscal_year_with_items(be_year=be_year)
    if year is None:
        raise Http404("ไม่มีรายการข้อ OIT ของปีงบประมาณนี้")
    return year


def _require_whole_agency(access: Access) -> None:
    if not access.sees_all:
        raise PermissionDenied("หน้าหลักฐาน OIT เป็นของทั้งหน่วยงาน เฉพาะผู้ประสานงาน ผู้บริหาร และผู้อ่านเท่านั้น")


@with_access
def index(request, access: Access):
    """The menu's link: the newest year that has an OIT list."""
    _require_whole_agency(access)
    year = selectors.latest_year_with_items()
    if year is None:
        raise Http404("ยังไม่มีรายการข้อ OIT")
    return redirect("oit:manage", code=access.agency.code, be_year=year.be_year)


@with_access
def manage(request, access: Access, be_year: int):
    _require_whole_agency(access)
    year = _year(be_year)
    form = EvidenceForm(request.POST or None, request.FILES or None, agency=access.agency, year=year)
    if request.method == "POST":
        access.require_manage()
        if form.is_valid():
            d = form.cleaned_data
            try:
                evidence = services.oit_evidence_add(
                    access=access,
                    item=d["item"],
                    source=d["source"],
                    title=d["title"],
                    user=request.user,
                    division=d["division"],
                    url=d["url"],
                    upload=d["upload"],
                    report=d["report"],
                )
            except services.ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"เพิ่มหลักฐานของข้อ {evidence.item.code} แล้ว")
                return redirect(reverse("oit:manage", args=[access.agency.code, be_year]) + f"#{evidence.item.code}")
    rows = selectors.oit_index(agency=access.agency, year=year)
    ready, total = selectors.readiness_summary(rows)
    public_url = request.build_absolute_uri(reverse("oit:public", args=[access.agency.code, be_year]))
    return render(
        request,
        "oit/manage.html",
        {
            "year": year,
            "rows": rows,
            "form": form,
            "ready": ready,
            "total": total,
            "public_url": public_url,
            "snapshots": selectors.snapshots_of(agency=access.agency, year=year),
        },
    )


@require_POST
@with_access
def remove(request, access: Access, be_year: int, pk: int):
    access.require_manage()
    evidence = get_object_or_404(OitEvidence, pk=pk, agency=access.agency, item__year__be_year=be_year)
    code = evidence.item.code
    services.oit_evidence_remove(access=access, evidence=evidence)
    messages.success(request, f"นำหลักฐานออกจากข้อ {code} แล้ว")
    return redirect(reverse("oit:manage", args=[access.agency.code, be_year]) + f"#{code}")


@with_access
def check(request, access: Access, be_year: int):
    """ตรวจสอบความพร้อม: items without evidence, evidence of the wrong period, failing links."""
    _require_whole_agency(access)
    year = _year(be_year)
    if request.method == "POST":
        services.link_check_request(access=access, year=year)
        messages.success(request, "ส่งคำขอตรวจลิงก์แล้ว ระบบจะตรวจในเบื้องหลัง กลับมาดูผลที่หน้านี้ภายหลัง")
        return redirect("oit:check", code=access.agency.code, be_year=be_year)
    rows = selectors.oit_index(agency=access.agency, year=year)
    ready, total = selectors.readiness_summary(rows)
    return render(
        request,
        "oit/check.html",
        {
            "year": year,
            "ready": ready,
            "total": total,
            "rows": rows,
            "not_ready": [r for r in rows if not r.ready],
            "links": [(r.item, e) for r in rows for e in r.evidence if e.source == "url"],
        },
    )


@require_POST
@with_access
def freeze(request, access: Access, be_year: int):
    year = _year(be_year)
    snapshot = services.oit_freeze(access=access, year=year, user=request.user)
    messages.success(request, f"บันทึกภาพหน้า OIT ฉบับที่ {snapshot.number} แล้ว")
    return redirect("oit:manage", code=access.agency.code, be_year=be_year)
