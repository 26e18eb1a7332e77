"""A user whose password someone else set (a coordinator's new account or temporary password)
sets their own before anything else: every page but the password change sends them there."""

from django.shortcuts import redirect
from django.urls import reverse

from agencies.selectors_accounts import password_set_by_other

# Asked once per session: a coordinator's new password ends every session of the account.
SESSION_KEY = "password_set_by_other"
ALLOWED = ("password_change", "password_change_done", "logout")


def must_change_password(request) -> bool:
    if SESSION_KEY not in request.session:
        request.session[SESSION_KEY] = password_set_by_other(user=request.user)
    return request.session[SESSION_KEY]


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or request.resolver_match.url_name in ALLOWED:
            return None
        if must_change_password(request):
            return redirect(reverse("password_change"))
        return None
