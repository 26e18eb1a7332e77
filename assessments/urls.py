from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("scores/<int:be_year>/edit/", views.result_edit, name="result_edit"),
]
