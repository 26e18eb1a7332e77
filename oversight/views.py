"""Oversight pages: a province, a district or the country at a glance, for one fiscal year."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agencies.services import ServiceError
from agencies.services_accounts import membership_confirm, membership_decline
from oit.selectors import readiness_by_agency

from . import exports, selectors, selectors_executives


def _common(request):
    scope = selectors.scope_for_user(user=request.user)
    filters, year, choices = selectors.filters_parse(scope=scope, params=request.GET)
    return scope, filters, year, choices


def summary(request):
    scope, filters, year, choices = _common(request)
    data = selectors.summary_cached(scope=scope, filters=filters, year=year)
    return render(
        request,
        "oversight/summary.html",
        {
            "scope": scope,
            "filters": filters,
            "year": year,
            "choices": choices,
            "s": data,
            "cache_minutes": max(1, settings.OVERSIGHT_CACHE_SECONDS // 60),
            # The rendered tables are kept as long as the summary they show (0: not at all).
            "cache_seconds": settings.OVERSIGHT_CACHE_SECONDS if data.key else 0,
            "oversight_nav": True,
            "include_synthetic": selectors.include_synthetic(),
        },
    )


def ranking(request):
    scope, filters, year, choices = _common(request)
    page = selectors.ranking_cached(scope=scope, filters=filters, year=year, page=request.GET.get("page"))
    return render(
        request,
        "oversight/ranking.html",
        {
            "scope": scope,
            "filters": filters,
            "year": year,
            "choices": choices,
            "page": page,
            "target": year.target_score,
            "oversight_nav": True,
            "include_synthetic": selectors.include_synthetic(),
        },
    )


def oit_readiness(request):
    """OIT readiness per agency (items with evidence that holds / items of the year), 100 a page."""
    scope, filters, year, choices = _common(request)
    agencies = selectors.agencies_filtered(scope=scope, filters=filters).order_by("province", "district", "name")
    page = Paginator(agencies, 100).get_page(request.GET.get("page"))
    counts = readiness_by_agency(agencies=[a.id for a in page], year=year)
    rows = [(a, counts.get(a.id)) for a in page]
    return render(
        request,
        "oversight/oit.html",
        {
            "scope": scope,
            "filters": filters,
            "year": year,
            "choices": choices,
            "page": page,
            "rows": rows,
            "has_items": year.oit_items.exists(),
            "oversight_nav": True,
        },
    )


def download(request, table: str, fmt: str):
    """A table of the pages as .xlsx or .csv, for the same scope and filters."""
    scope, filters, year, _choices = _common(request)
    try:
        content, filename, content_type = exports.table_export(
            table=table, fmt=fmt, scope=scope, filters=filters, year=year
        )
    except KeyError:
        raise Http404("ไม่พบตารางที่ขอดาวน์โหลด") from None
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def executives(request):
    """Executives a coordinator set up in the office's agencies, awaiting its confirmation."""
    scope = selectors.scope_for_user(user=request.user)
    page, rows = selectors_executives.executives_awaiting(scope=scope, page=request.GET.get("page"))
    return render(
        request, "oversight/executives.html", {"scope": scope, "page": page, "rows": rows, "oversight_nav": True}
    )


DECISIONS = {
    "confirm": (membership_confirm, "ยืนยันบทบาทผู้บริหารของ {name} แล้ว ผู้บริหารอนุมัติรายงานได้ตั้งแต่นี้"),
    "decline": (membership_decline, "ไม่ยืนยันบทบาทผู้บริหารของ {name} บัญชีนี้เปลี่ยนเป็นผู้อ่านอย่างเดียวแล้ว"),
}


@require_POST
def executive_decide(request, pk: int, decision: str):
    scope = selectors.scope_for_user(user=request.user)
    if decision not in DECISIONS:
        raise Http404("ไม่พบคำสั่ง")
    membership = selectors_executives.executive_in_scope(scope=scope, pk=pk)
    service, done = DECISIONS[decision]
    name = membership.user.get_full_name() or membership.user.get_username()
    try:
        changed = service(membership=membership, actor=request.user)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        if changed:
            messages.success(request, done.format(name=name))
        else:
            messages.info(request, f"บทบาทของ {name} ได้รับการพิจารณาไปแล้ว ไม่มีสิ่งใดเปลี่ยนแปลง")
    return redirect("oversight:executives")
