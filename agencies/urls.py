from django.urls import path

from . import views, views_accounts

app_name = "agencies"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("divisions/", views.divisions, name="divisions"),
    path("divisions/<int:pk>/", views.division_edit, name="division_edit"),
    path("members/", views.members, name="members"),
    path("members/new/", views.member_edit, name="member_create"),
    path("members/<int:pk>/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("members/<int:pk>/password/", views_accounts.member_password, name="member_password"),
    path("members/<int:pk>/unlock/", views_accounts.member_unlock_view, name="member_unlock"),
]
