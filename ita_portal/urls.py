from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views as project_views

urlpatterns = [
    path("", project_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path("", include("accounts.urls_invitations")),
    path("admin/", admin.site.urls),
    path("national/", include("assessments.urls_national")),
    path("a/<slug:code>/", include("agencies.urls")),
    path("a/<slug:code>/", include("assessments.urls")),
    path("a/<slug:code>/", include("measures.urls")),
    path("a/<slug:code>/", include("audit.urls")),
    path("oversight/", include("oversight.urls")),
    path("a/<slug:code>/", include("notifications.urls")),
    path("", include("oit.urls")),
    path("", include("reports.urls")),
    path("", include("ops.urls")),
]

# No MEDIA_URL route, not even with DEBUG: stored files (a folder or a bucket) are read through
# the access-checked views with the storage API only.

handler404 = "ita_portal.errors.page_not_found"
handler403 = "ita_portal.errors.permission_denied"
handler500 = "ita_portal.errors.server_error"
