"""Invitations: the coordinator's form, and the link the invited person opens."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from agencies.access import Access, with_access
from agencies.services import ServiceError

from . import services_invitations as invitations
from .forms import InvitationForm, RegisterForm
from .models import Invitation

SENT = "ส่งคำเชิญไปที่ {email} แล้ว เมื่อผู้รับเปิดลิงก์ในอีเมลและตอบรับ จะปรากฏในรายชื่อผู้ใช้ของหน่วยงาน"


@with_access
def invitation_new(request, access: Access):
    access.require_manage()
    form = InvitationForm(request.POST or None, agency=access.agency)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.invitation_send(access=access, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            # The same answer whatever the address: nothing here tells who has an account.
            messages.success(request, SENT.format(email=form.cleaned_data["email"]))
            return redirect("invitations:new", code=access.agency.code)
    sent = Invitation.objects.filter(agency=access.agency).select_related("invited_by")[:20]
    return render(request, "accounts/invitation_form.html", {"form": form, "sent": sent})


@login_not_required
def invitation_accept(request, token: str):
    invitation = invitations.invitation_from_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_accept.html", {"error": invitations.USED}, status=404)
    form = None
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                invitations.invitation_accept(invitation=invitation, user=request.user)
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"เข้าร่วม{invitation.agency.name}แล้ว")
                return redirect("home")
    else:
        form = RegisterForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                user = invitations.invitation_register(
                    invitation=invitation,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    password=data["password1"],
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"สร้างบัญชี {user.username} และเข้าร่วม{invitation.agency.name}แล้ว")
                return redirect("home")
    context = {
        "invitation": invitation,
        "form": form,
        "login_url": f"{reverse('login')}?{urlencode({'next': request.path})}",
    }
    return render(request, "accounts/invitation_accept.html", context)
