"""The audit trail page: coordinators and executives read who changed what in their agency."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from agencies.access import Access, with_access

from . import selectors


@with_access
def audit_log(request, access: Access):
    if not (access.can_manage or access.can_approve):
        raise PermissionDenied("เฉพาะผู้ประสานงาน ITA และผู้บริหารของหน่วยงานเท่านั้นที่ดูประวัติการแก้ไขได้")
    only = request.GET.get("type") or None
    if only not in selectors.BY_KEY:
        only = None
    paginator = Paginator(selectors.audit_entries(access.agency, only=only), selectors.PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "entries": selectors.audit_entries_for_page(list(page.object_list)),
            "sources": [(s.key, s.label) for s in selectors.SOURCES],
            "only": only or "",
        },
    )
