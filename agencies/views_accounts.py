"""A coordinator helps a member who cannot sign in: a temporary password, or lifting a lockout.

Only members of the coordinator's own agency (404 for anyone else); every action is recorded
as an AccountEvent, which the agency's audit page shows.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import selectors
from .access import Access, with_access
from .forms import TemporaryPasswordForm
from .models import AccountEvent, Membership
from .services import ServiceError
from .services_accounts import account_reaches_beyond, member_password_set, member_unlock


@with_access
def member_password(request, access: Access, pk: int):
    access.require_manage()
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, agency=access.agency)
    form = TemporaryPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member_password_set(
                access=access, membership=membership, password=form.cleaned_data["password1"], actor=request.user
            )
        except ServiceError as exc:
            form.add_error("password1", str(exc))
        else:
            messages.success(
                request,
                f"ตั้งรหัสผ่านชั่วคราวให้ {membership.user.username} แล้ว แจ้งรหัสผ่านแก่ผู้ใช้โดยตรง "
                "และขอให้เปลี่ยนรหัสผ่านที่หน้า “บัญชีของฉัน” หลังเข้าสู่ระบบ",
            )
            return redirect("agencies:members", code=access.agency.code)
    events = AccountEvent.objects.filter(agency=access.agency, user=membership.user).select_related("actor")[:10]
    return render(
        request,
        "agencies/member_password.html",
        {
            "form": form,
            "membership": membership,
            "blocked": account_reaches_beyond(membership=membership),
            "locked": membership.user.username in selectors.locked_usernames(usernames=[membership.user.username]),
            "events": events,
        },
    )


@require_POST
@with_access
def member_unlock_view(request, access: Access, pk: int):
    access.require_manage()
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, agency=access.agency)
    try:
        member_unlock(access=access, membership=membership, actor=request.user)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"ปลดล็อกการเข้าสู่ระบบของ {membership.user.username} แล้ว")
    return redirect("agencies:members", code=access.agency.code)
