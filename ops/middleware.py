"""One structured log line per request: route, agency, user id, status, duration.

JSON on the `ita.request` logger, e.g.
{"method": "GET", "route": "a/<slug:code>/my-work/", "agency": "khao-samo-khon", "user": 12,
 "status": 200, "ms": 41.7}
The route is the URL pattern, not the path, and the query string is left out: no names, no
search terms, no personal data beyond the user's id. Placed first in MIDDLEWARE so the duration
covers the whole stack.
"""

import json
import logging
import time

from django.utils.functional import empty

logger = logging.getLogger("ita.request")


def _user_id(request) -> int | None:
    # Only a user that the request already loaded: logging must not add a session query.
    user = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or wrapped is empty:
        return None
    return wrapped.pk if getattr(wrapped, "is_authenticated", False) else None


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        if logger.isEnabledFor(logging.INFO):
            match = getattr(request, "resolver_match", None)
            line = {
                "method": request.method,
                "route": match.route if match else None,
                "agency": match.kwargs.get("code") if match else None,
                "user": _user_id(request),
                "status": response.status_code,
                "ms": round((time.perf_counter() - start) * 1000, 1),
            }
            logger.info(json.dumps(line, ensure_ascii=False))
        return response
