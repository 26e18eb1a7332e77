from django.urls import path

from . import views

app_name = "agencies"
urlpatterns = [
    path("divisions/", views.divisions, name="divisions"),
    path("divisions/<int:pk>/", views.division_edit, name="division_edit"),
    path("members/", views.members, name="members"),
    path("members/new/", views.member_edit, name="member_create"),
    path("members/<int:pk>/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
]
