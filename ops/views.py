"""Probes for load balancers, deploys and monitoring; no login, no personal data, no internals.

/healthz: the process answers (liveness; what a load balancer checks).
/readyz: the database, migrations, cache and storage are reachable (what a deploy waits for and
monitoring alerts on). A failure answers 503 "not ready"; which check failed and why is in the
server's log only.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import checks


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@login_not_required
@require_safe
@never_cache
def healthz(request):
    return _text("ok\n")


@login_not_required
@require_safe
@never_cache
def readyz(request):
    if checks.readiness():
        return _text("not ready\n", status=503)
    return _text("ok\n")
