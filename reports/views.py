import re
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

from . import section_selectors, section_services, selectors, services
from .docx_export import render_docx
from .forms import ReportLayoutForm, SendBackForm
from .layout import LABELS
from .models import Kind, PublishedVersion, RenderJob, Report, ReportEvent, State

WORKER_NOTICE_AFTER = timedelta(seconds=60)
BACK_TO_DRAFT = "รายงานกลับเป็นฉบับร่างแล้ว ต้องเสนอผู้บริหารเพื่ออนุมัติอีกครั้ง"


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
            was = report.state
            services.report_layout_save(access=access, report=form.save(commit=False), changed=form.has_changed())
            messages.success(request, "บันทึกรูปแบบรายงานเรียบร้อยแล้ว")
            if report.state != was:
                messages.warning(request, BACK_TO_DRAFT)
            return redirect("reports:detail", code=access.agency.code, be_year=be_year, kind=kind)
    versions = report.versions.all() if report.pk else []
    events = list(report.events.select_related("user")[:20]) if report.pk else []
    sent_back = events[0] if events and events[0].action == ReportEvent.Action.SENT_BACK else None
    jobs = services.render_jobs_latest(agency=access.agency, year=report.year, kind=kind)
    # Said before anyone presses publish (which would refuse and return the report to draft).
    outdated = (access.can_manage or access.can_approve) and selectors.approval_outdated(report=report)
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
            "approval_outdated": outdated,
            "preview_job": jobs.get(RenderJob.Purpose.PREVIEW),
            "publish_job": jobs.get(RenderJob.Purpose.PUBLISH),
        },
    )


BACK = re.compile(r"#[a-z0-9_:-]{1,60}")  # the place on the page to come back to


def _int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return -1


def _authoring_write(access: Access, report: Report, post) -> str:
    """Do what one authoring form asked; the message to show."""
    op, sid = post.get("op", ""), _int(post.get("section"))
    kw = {"section_id": sid or None, "position": _int(post.get("position")), "kind": post.get("kind", "")}
    if op == "add":
        section_services.report_section_add(access=access, report=report, kind=kw["kind"], title=post.get("title", ""))
        return "เพิ่มส่วนของรายงานแล้ว (อยู่ท้ายรายการ ใช้ปุ่มเลื่อนขึ้นเพื่อจัดลำดับ)"
    if op == "remove":
        section_services.report_section_remove(access=access, report=report, **kw)
        return "นำส่วนนี้ออกจากรายงานแล้ว"
    if op in ("up", "down"):
        section_services.report_section_move(access=access, report=report, step=-1 if op == "up" else 1, **kw)
        return "เลื่อนลำดับแล้ว"
    if op == "save":
        section_services.report_section_update(
            access=access,
            report=report,
            title=post.get("title", ""),
            body=post.get("body", ""),
            expected_version=_int(post.get("version")),
            **kw,
        )
        return "บันทึกส่วนของรายงานแล้ว"
    if op == "text":
        section_services.report_text_save(
            access=access,
            report=report,
            anchor=post.get("anchor", ""),
            body=post.get("body", ""),
            expected_version=_int(post.get("version")),
        )
        return "บันทึกข้อความแล้ว"
    if op == "restore":
        section_services.report_text_restore(access=access, report=report, anchor=post.get("anchor", ""))
        return "กลับไปใช้ข้อความที่สร้างจากตัวเลขแล้ว"
    if op == "labels":
        labels = {
            key: "" if post.get(f"hide_{key}") else (post.get(f"label_{key}", "").strip() or None) for key in LABELS
        }
        section_services.report_labels_save(access=access, report=report, labels=labels)
        return "บันทึกถ้อยคำหัวข้อและหัวตารางแล้ว"
    if op == "layout":
        options = {key: bool(post.get(key)) for key in section_services.LAYOUT_OPTIONS if key != "photos"}
        options["photos"] = post.get("photos", "")
        section_services.report_layout_options_save(access=access, report=report, options=options)
        return "บันทึกตัวเลือกการจัดหน้าแล้ว"
    if op == "widths":
        widths = {key.removeprefix("width_"): value for key, value in post.items() if key.startswith("width_")}
        section_services.report_column_widths_save(access=access, report=report, widths=widths)
        return "บันทึกความกว้างคอลัมน์แล้ว"
    raise services.ServiceError("ไม่พบคำสั่ง")


def _keep_typed(page: dict, post) -> None:
    """A refused text save shows the page again with what the user typed, so that nothing is lost."""
    body, title = post.get("body", ""), post.get("title", "")
    for item in page["items"]:
        if str(item["position"]) == post.get("position") and item["kind"] == post.get("kind"):
            item.update(body=body, title=title, refused=True)
    for para in page["paragraphs"]:
        if para["anchor"] == post.get("anchor"):
            para.update(text=body, refused=True)
    if post.get("op") == "widths":
        for column in page["layout"]["columns"]:
            column["value"] = post.get(f"width_{column['key']}", column["value"])


@require_http_methods(["GET", "HEAD", "POST"])
@with_access
def report_authoring(request, access: Access, be_year: int, kind: str):
    """The coordinator's page to add, remove, order and word the report's sections and paragraphs."""
    access.require_manage()
    report = _report(access, be_year, kind)
    status = 200
    if request.method == "POST":
        was = report.state
        try:
            message = _authoring_write(access, report, request.POST)
        except services.ServiceError as exc:
            messages.error(request, str(exc))
            if request.POST.get("op") not in ("save", "text", "widths"):
                return redirect("reports:authoring", code=access.agency.code, be_year=be_year, kind=kind)
            status = 409 if isinstance(exc, section_services.SectionConflictError) else 400
        else:
            messages.success(request, message)
            if was != State.DRAFT and Report.objects.filter(pk=report.pk, state=State.DRAFT).exists():
                messages.warning(request, BACK_TO_DRAFT)
            url = reverse("reports:authoring", kwargs={"code": access.agency.code, "be_year": be_year, "kind": kind})
            back = request.POST.get("back", "")
            return redirect(url + (back if BACK.fullmatch(back) else ""))
    report = _report(access, be_year, kind)
    page = section_selectors.report_authoring(report=report)
    if status != 200:
        _keep_typed(page, request.POST)
    return render(request, "reports/report_authoring.html", {"report": report, **page}, status=status)


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
