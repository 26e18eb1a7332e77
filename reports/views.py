from datetime import timedelta

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods, require_POST

from agencies.access import Access, with_access
from assessments.models import FiscalYear
from assessments.selectors import year_numbers
from measures.selectors import year_get

from . import selectors, services
from .docx_export import render_docx
from .forms import ReportLayoutForm, SendBackForm
from .models import Kind, PublishedVersion, RenderJob, Report, ReportEvent

WORKER_NOTICE_AFTER = timedelta(seconds=60)


def _report(access: Access, be_year: int, kind: str) -> Report:
    if kind not in Kind.values:
        raise Http404("ไม่พบประเภทรายงาน")
    year = get_object_or_404(FiscalYear, be_year=be_year)
    return selectors.report_get_or_default(agency=access.agency, year=year, kind=kind)


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _pdf_response(pdf: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


@with_access
def report_list(request, access: Access):
    """The reports of one year (the year selector; by default the year whose round is due)."""
    year = year_get(be_year=request.GET.get("year"), agency=access.agency)
    reports = {
        r.kind: r
        for r in Report.objects.filter(agency=access.agency, year=year)
        .select_related("year")
        .prefetch_related("versions")
    }
    rows = [
        {"year": year.be_year, "kind": k, "kind_label": label, "report": reports.get(k)} for k, label in Kind.choices
    ]
    public_url = request.build_absolute_uri(reverse("reports:public", kwargs={"code": access.agency.code}))
    context = {"rows": rows, "public_url": public_url, "year": year, "years": year_numbers()}
    return render(request, "reports/report_list.html", context)


@with_access
def report_detail(request, access: Access, be_year: int, kind: str):
    report = _report(access, be_year, kind)
    form = ReportLayoutForm(request.POST or None, instance=report)
    if request.method == "POST":
        access.require_manage()
        if form.is_valid():
            services.report_layout_save(access=access, report=form.save(commit=False))
            messages.success(request, "บันทึกรูปแบบรายงานเรียบร้อยแล้ว")
            return redirect("reports:detail", code=access.agency.code, be_year=be_year, kind=kind)
    versions = report.versions.all() if report.pk else []
    events = list(report.events.select_related("user")[:20]) if report.pk else []
    sent_back = events[0] if events and events[0].action == ReportEvent.Action.SENT_BACK else None
    jobs = services.render_jobs_latest(agency=access.agency, year=report.year, kind=kind)
    return render(
        request,
        "reports/report_detail.html",
        {
            "report": report,
            "form": form,
            "versions": versions,
            "events": events,
            "sent_back": sent_back,
            "send_back_form": SendBackForm(),
            "can_send_back": services.report_send_back_allowed(access=access, report=report),
            "preview_job": jobs.get(RenderJob.Purpose.PREVIEW),
            "publish_job": jobs.get(RenderJob.Purpose.PUBLISH),
        },
    )


@require_http_methods(["GET", "HEAD"])
@with_access
def report_docx(request, access: Access, be_year: int, kind: str):
    """The draft as an editable Word file, from the same data and sections as the PDF (fast: no layout)."""
    if not access.sees_all:  # like the PDF draft, it holds every division's progress
        raise PermissionDenied("ฉบับร่างมีข้อมูลของทุกกอง/สำนัก เฉพาะผู้ประสานงาน ผู้บริหาร และผู้อ่านเท่านั้น")
    report = _report(access, be_year, kind)
    data = render_docx(selectors.report_context(report=report))
    response = HttpResponse(data, content_type=DOCX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{access.agency.code}-{kind}-{be_year}-draft.docx"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@with_access
def report_preview(request, access: Access, be_year: int, kind: str):
    """The draft PDF if it is already rendered for the current data; else its render job's state.

    Never renders here, and a GET never queues anything (a link, a prefetch or a crawler must not
    make work): the page offers a button that POSTs the request for a worker to render the draft,
    then refreshes itself until the PDF is ready (or shows why it failed).
    """
    if not access.sees_all:  # a draft holds every division's progress, not only the staff's own
        raise PermissionDenied("ฉบับร่างมีข้อมูลของทุกกอง/สำนัก เฉพาะผู้ประสานงาน ผู้บริหาร และผู้อ่านเท่านั้น")
    report = _report(access, be_year, kind)
    pdf, digest = services.report_preview_cached(report=report)
    if pdf is not None:
        return _pdf_response(pdf, f"{access.agency.code}-{kind}-{be_year}-draft.pdf")
    if request.method == "POST":
        try:
            services.render_preview_request(access=access, report=report, user=request.user, data_hash=digest)
        except services.ServiceError as exc:
            messages.error(request, str(exc))
        return redirect("reports:preview", code=access.agency.code, be_year=be_year, kind=kind)
    latest = services.render_jobs_latest(agency=access.agency, year=report.year, kind=kind).get(
        RenderJob.Purpose.PREVIEW
    )
    # The running job, or the failure of this very data; a finished job of other data (or whose PDF
    # is gone from storage) leaves the page offering a new draft.
    failed = latest is not None and latest.state == RenderJob.JobState.FAILED and latest.data_hash == digest
    job = latest if latest is not None and (latest.is_active or failed) else None
    # Queued a minute and no worker has taken it: most likely none is running (scripts/worker.sh).
    unclaimed = (
        job is not None
        and job.state == RenderJob.JobState.QUEUED
        and timezone.now() - job.created_at > WORKER_NOTICE_AFTER
    )
    response = render(
        request,
        "reports/report_rendering.html",
        {"report": report, "job": job, "unclaimed": unclaimed},
        status=200 if job is None else 202,
    )
    if job is not None and job.is_active:
        response["Refresh"] = "3"
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@with_access
def report_action(request, access: Access, be_year: int, kind: str, action: str):
    report = _report(access, be_year, kind)
    try:
        if action == "submit":
            services.report_submit(access=access, report=report, user=request.user)
            messages.success(request, "เสนอรายงานต่อผู้บริหารแล้ว")
        elif action == "approve":
            services.report_approve(access=access, report=report, user=request.user)
            messages.success(request, "อนุมัติรายงานแล้ว")
        elif action == "send_back":
            # The service checks who may, and the comment (required, at most COMMENT_MAX characters).
            services.report_send_back(
                access=access, report=report, user=request.user, comment=request.POST.get("comment", "")
            )
            messages.success(request, "ส่งรายงานกลับเป็นฉบับร่างเพื่อแก้ไขแล้ว ระบบแจ้งผู้เกี่ยวข้องพร้อมความเห็น")
        elif action == "publish":
            services.report_publish_request(access=access, report=report, user=request.user)
            messages.success(request, "กำลังสร้างไฟล์ PDF ฉบับเผยแพร่ ระบบจะเผยแพร่ให้เมื่อสร้างเสร็จ")
        else:
            raise Http404("ไม่พบคำสั่ง")
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("reports:detail", code=access.agency.code, be_year=be_year, kind=kind)


def _published(code: str):
    """An agency's published versions; the same 404 for an unknown code and for an agency that has
    published nothing, so that the public pages do not tell which codes exist."""
    versions = list(
        PublishedVersion.objects.filter(report__agency__code=code)
        .select_related("report__year", "report__agency")
        .order_by("-report__year__be_year", "report__kind", "-version")
    )
    if not versions:
        raise Http404("ไม่พบรายงานที่เผยแพร่")
    agency = versions[0].report.agency
    latest, older = {}, []
    for v in versions:
        key = (v.report.year.be_year, v.report.kind)
        if key in latest:
            older.append(v)
        else:
            latest[key] = v
    return agency, list(latest.values()), older


@login_not_required
def public_list(request, code: str):
    agency, latest, older = _published(code)
    return render(request, "reports/public_list.html", {"agency": agency, "latest": latest, "older": older})


@login_not_required
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # agencies embed this list in their own websites
def public_embed(request, code: str):
    try:
        agency, latest, _ = _published(code)
    except Http404:  # the same framable answer for an unknown code and for nothing published yet
        return render(request, "reports/public_embed.html", {"agency": None, "latest": []}, status=404)
    return render(request, "reports/public_embed.html", {"agency": agency, "latest": latest})


@login_not_required
def public_pdf(request, code: str, be_year: int, kind: str, version: int | None = None):
    """Stable links: /p/<code>/<year>/<kind>.pdf is the latest version, …/v<N>.pdf a fixed one."""
    versions = PublishedVersion.objects.filter(
        report__agency__code=code, report__year__be_year=be_year, report__kind=kind
    )
    v = versions.filter(version=version).first() if version is not None else versions.order_by("-version").first()
    if v is None:
        raise Http404("ไม่พบรายงานที่เผยแพร่")
    with v.pdf.open("rb") as fh:
        response = _pdf_response(fh.read(), f"{code}-{kind}-{be_year}-v{v.version}.pdf")
    response["ETag"] = f'"{v.sha256}"'
    response["X-Content-SHA256"] = v.sha256
    return response
