"""Project-wide request guards (no app knowledge)."""

from django.http import Http404

# The largest id a database column holds (a signed 64-bit integer; SQLite fails above it).
MAX_URL_INT = 2**63 - 1


class BoundedIdsMiddleware:
    """A URL integer (an id, a year) beyond what the database holds is "not found", not a crash."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not -MAX_URL_INT <= value <= MAX_URL_INT:
                raise Http404("ไม่พบหน้าที่ต้องการ")
        return None
