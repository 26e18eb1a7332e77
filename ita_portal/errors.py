"""Thai error pages, with DEBUG on as well.

With DEBUG off Django renders templates/404.html, 403.html and 500.html through the handlers set in
ita_portal/urls.py. With DEBUG on (the quick start) Django would show its English debug pages
instead; this middleware renders the same Thai templates for a URL that matches nothing, an
Http404, a PermissionDenied, and any other unhandled exception (logged with its traceback to the
console). DEBUG_TRACEBACKS=1 gives the debug page back for unhandled exceptions (the 500 case).
"""

import logging
import os

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

logger = logging.getLogger("django.request")


def _page(request, status: int, exception=None) -> HttpResponse:
    if status == 500:  # no request context: the page must render whatever failed
        return HttpResponse(render_to_string("500.html"), status=500)
    message = exception.args[0] if exception is not None and exception.args else ""
    context = {"exception": message if isinstance(message, str) else "", "request_path": request.path}
    return HttpResponse(render_to_string(f"{status}.html", context, request=request), status=status)


def page_not_found(request, exception=None):
    return _page(request, 404, exception)


def permission_denied(request, exception=None):
    return _page(request, 403, exception)


def server_error(request):
    return _page(request, 500)


def _tracebacks() -> bool:
    return os.environ.get("DEBUG_TRACEBACKS", "").lower() in ("1", "true", "yes", "on")


class ThaiErrorPagesMiddleware:
    """Only acts with DEBUG on; with DEBUG off the handlers above already answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404:
                return page_not_found(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not settings.DEBUG:
            return None
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return permission_denied(request, exception)
        if isinstance(exception, (BadRequest, SuspiciousOperation)) or _tracebacks():
            return None
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return server_error(request)
