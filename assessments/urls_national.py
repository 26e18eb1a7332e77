"""National pages (no agency in the URL); included at national/ by ita_portal/urls.py."""

from django.urls import path

from . import views_scores, views_years

app_name = "national"
urlpatterns = [
    path("years/", views_years.year_list, name="years"),
    path("years/open/", views_years.year_open, name="year_open"),
    path("years/<int:be_year>/", views_years.year_edit, name="year_edit"),
    path("scores/", views_scores.score_sheet_page, name="score_sheet"),
    path("scores/template/", views_scores.score_sheet_template, name="score_sheet_template"),
    path("scores/export/", views_scores.score_sheet_export, name="score_sheet_export"),
    path("scores/import/<str:token>/", views_scores.score_sheet_preview, name="score_sheet_preview"),
]
