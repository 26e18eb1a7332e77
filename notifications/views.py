from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from agencies.access import Access, with_access

from . import selectors, services
from .forms import LineChannelForm
from .models import OutboundMessage

PAGE_SIZE = 50


@with_access
def outbox(request, access: Access):
    """กล่องข้อความขาออก: the agency's messages, their status and last error (never their text)."""
    access.require_manage()
    status = request.GET.get("status") or ""
    page = Paginator(selectors.outbox_for_agency(agency=access.agency, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/outbox.html",
        {
            "page": page,
            "status": status,
            "statuses": OutboundMessage.Status.choices,
            "counts": selectors.outbox_counts(agency=access.agency),
            "line_channel": selectors.line_channel_for(agency=access.agency),
        },
    )


@require_POST
@with_access
def message_retry(request, access: Access, pk: int):
    access.require_manage()
    message = get_object_or_404(OutboundMessage, pk=pk, agency=access.agency)
    try:
        services.outbox_retry(access=access, message=message)
        messages.success(request, "นำข้อความกลับเข้าคิวแล้ว ระบบจะส่งอีกครั้งในไม่ช้า")
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("notifications:outbox", code=access.agency.code)


@with_access
def line_channel(request, access: Access):
    access.require_manage()
    current = selectors.line_channel_for(agency=access.agency)
    form = LineChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["access_token"]
        if form.cleaned_data["remove"]:
            token = ""
        elif not token and current is not None:
            token = current.access_token  # blank: keep the stored token
        try:
            services.line_channel_set(access=access, access_token=token, user=request.user)
        except services.ServiceError as exc:
            form.add_error("access_token", str(exc))
        else:
            messages.success(request, "บันทึกการตั้งค่า LINE Official Account แล้ว")
            return redirect("notifications:outbox", code=access.agency.code)
    return render(request, "notifications/line_channel.html", {"form": form, "line_channel": current})
