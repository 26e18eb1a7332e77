from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", views.message_retry, name="retry"),
    path("outbox/line/", views.line_channel, name="line_channel"),
]
