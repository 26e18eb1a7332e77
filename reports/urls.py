from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("a/<slug:code>/reports/", views.report_list, name="list"),
    path("a/<slug:code>/reports/<int:be_year>/<str:kind>/", views.report_detail, name="detail"),
    path("a/<slug:code>/reports/<int:be_year>/<str:kind>/preview.pdf", views.report_preview, name="preview"),
    path("a/<slug:code>/reports/<int:be_year>/<str:kind>/draft.docx", views.report_docx, name="docx"),
    path("a/<slug:code>/reports/<int:be_year>/<str:kind>/sections/", views.report_authoring, name="authoring"),
    path("a/<slug:code>/reports/<int:be_year>/<str:kind>/<str:action>/", views.report_action, name="action"),
    path("p/<slug:code>/", views.public_list, name="public"),
    path("p/<slug:code>/embed/", views.public_embed, name="embed"),
    path("p/<slug:code>/<int:be_year>/<str:kind>.pdf", views.public_pdf, name="public_pdf"),
    path("p/<slug:code>/<int:be_year>/<str:kind>/v<int:version>.pdf", views.public_pdf, name="public_pdf_version"),
]
