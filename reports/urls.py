from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("a/<slug:code>/reports/", views.report_list, name="list"),
    path("a/<slug:code>/reports/<int:be_year>/<str:kind>/", views.report_detail, name="detail"),
    path("a/<slug:code>/reports/<int:be_year>/<str:kind>/preview.pdf", views.report_preview, name="preview"),
    path("a/<slug:code>/reports/<int:be_year>/<str:kind>/<str:action>/", views.report_action, name="action"),
    path("p/<slug:code>/", views.public_list, name="public"),
    path("p/<slug:code>/embed/", views.public_embed, name="embed"),
    path("p/<slug:code>/<int:be_year>/<str:kind>.pdf", views.public_pdf, name="public_pdf"),
    path("p/<slug:code>/<int:be_year>/<str:kind>/v<int:version>.pdf", views.public_pdf, name="public_pdf_version"),
]

# Oversight pages (users with an OversightScope): reports/views_oversight.py.
from . import views_oversight  # noqa: E402

urlpatterns += [
    path("oversight/", views_oversight.oversight_summary, name="oversight"),
    path("oversight/ranking/", views_oversight.oversight_ranking, name="oversight_ranking"),
]

# The audit trail (coordinators and executives): reports/views_audit.py.
from . import views_audit  # noqa: E402

urlpatterns.append(path("a/<slug:code>/audit/", views_audit.audit_log, name="audit"))
