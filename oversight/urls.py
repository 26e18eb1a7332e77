from django.urls import path

from . import views

app_name = "oversight"
urlpatterns = [
    path("", views.summary, name="summary"),
    path("ranking/", views.ranking, name="ranking"),
    path("oit/", views.oit_readiness, name="oit"),
    path("executives/", views.executives, name="executives"),
    path("executives/<int:pk>/<slug:decision>/", views.executive_decide, name="executive_decide"),
    path("download/<slug:table>.<slug:fmt>", views.download, name="download"),
]
