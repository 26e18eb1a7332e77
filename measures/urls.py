from django.urls import path

from . import views

app_name = "measures"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("my-work/", views.my_work, name="my_work"),
    path("measures/", views.measure_list, name="list"),
    path("measures/new/", views.measure_edit, name="create"),
    path("measures/copy-year/", views.copy_year, name="copy_year"),
    path("measures/plan/", views.plan_edit, name="plan"),
    path("measures/<int:pk>/", views.measure_detail, name="detail"),
    path("measures/<int:pk>/edit/", views.measure_edit, name="edit"),
    path("measures/<int:pk>/delete/", views.measure_delete, name="delete"),
    path("measures/<int:pk>/progress/<str:round>/", views.progress_edit, name="progress"),
    path("measures/<int:pk>/activities/new/", views.activity_edit, name="activity_create"),
    path("measures/<int:pk>/activities/<int:aid>/edit/", views.activity_edit, name="activity_edit"),
    path("measures/<int:pk>/activities/<int:aid>/delete/", views.activity_delete, name="activity_delete"),
    path(
        "measures/<int:pk>/activities/<int:aid>/progress/<str:round>/",
        views.progress_edit,
        name="activity_progress",
    ),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
    path("photos/kept/<str:token>/<int:index>/", views.kept_photo, name="kept_photo"),
]

from . import views_workbook  # noqa: E402

urlpatterns += [
    path("workbook/", views_workbook.workbook, name="workbook"),
    path("workbook/template/", views_workbook.workbook_template, name="workbook_template"),
    path("workbook/export/", views_workbook.workbook_export_view, name="workbook_export"),
    path("workbook/import/<str:token>/", views_workbook.workbook_preview, name="workbook_preview"),
]

from . import views_tracking  # noqa: E402

urlpatterns += [
    path("board/", views_tracking.board, name="board"),
    path("board/remind/", views_tracking.board_remind, name="board_remind"),
    path("board/schedule/", views_tracking.round_schedule, name="round_schedule"),
]
