"""บัญชีของฉัน, and Django's password views with Thai forms, the outbox and an audit record."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.shortcuts import redirect, render

from agencies.services_accounts import account_password_changed
from notifications.selectors import contact_preference_for

from . import services
from .forms import AccountForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from .middleware import SESSION_KEY, must_change_password


def my_account(request):
    pref = contact_preference_for(user=request.user)
    initial = {"email": request.user.email, "channel": pref.channel, "line_user_id": pref.line_user_id}
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update(user=request.user, **form.cleaned_data)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "บันทึกข้อมูลบัญชีแล้ว")
            return redirect("my_account")
    memberships = request.user.memberships.select_related("agency").order_by("agency__name")
    return render(request, "accounts/my_account.html", {"form": form, "memberships": memberships})


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "must_change": must_change_password(self.request)}

    @transaction.atomic
    def form_valid(self, form):
        response = super().form_valid(form)
        account_password_changed(user=form.user, by_reset=False)
        self.request.session.pop(SESSION_KEY, None)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    email_template_name = "registration/password_reset_email.txt"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm

    @transaction.atomic
    def form_valid(self, form):
        response = super().form_valid(form)
        account_password_changed(user=form.user, by_reset=True)
        return response
