from django.urls import path

from . import views_invitations as views

app_name = "invitations"
urlpatterns = [
    path("a/<slug:code>/members/invite/", views.invitation_new, name="new"),
    path("invitation/<str:token>/", views.invitation_accept, name="accept"),
]
