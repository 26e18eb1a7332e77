from django.urls import path

from . import views, views_items, views_public

app_name = "oit"
urlpatterns = [
    path("a/<slug:code>/oit/", views.index, name="index"),
    path("a/<slug:code>/oit/<int:be_year>/", views.manage, name="manage"),
    path("a/<slug:code>/oit/<int:be_year>/evidence/<int:pk>/remove/", views.remove, name="remove"),
    path("a/<slug:code>/oit/<int:be_year>/check/", views.check, name="check"),
    path("a/<slug:code>/oit/<int:be_year>/freeze/", views.freeze, name="freeze"),
    # The national staff's OIT lists, beside the fiscal-year pages (/national/years/).
    path("national/oit/", views_items.years, name="national_years"),
    path("national/years/<int:be_year>/oit/", views_items.items, name="national_items"),
    path("national/years/<int:be_year>/oit/copy/", views_items.items_copy, name="national_items_copy"),
    path("national/years/<int:be_year>/oit/add/", views_items.item_add, name="national_item_add"),
    path("national/years/<int:be_year>/oit/<int:pk>/", views_items.item_edit, name="national_item_edit"),
    path("national/years/<int:be_year>/oit/<int:pk>/move/", views_items.item_move, name="national_item_move"),
    path("national/years/<int:be_year>/oit/<int:pk>/delete/", views_items.item_delete, name="national_item_delete"),
    path("p/<slug:code>/<int:be_year>/oit/", views_public.public, name="public"),
    path("p/<slug:code>/<int:be_year>/oit.json", views_public.public_json, name="public_json"),
    path("p/<slug:code>/<int:be_year>/oit.csv", views_public.public_csv, name="public_csv"),
    path("p/<slug:code>/<int:be_year>/oit/files/<int:pk>.<slug:ext>", views_public.public_file, name="public_file"),
    path("p/<slug:code>/<int:be_year>/oit/snapshot/<int:number>/", views_public.public_snapshot, name="snapshot"),
    path(
        "p/<slug:code>/<int:be_year>/oit/snapshot/<int:number>/files/<int:pk>.<slug:ext>",
        views_public.snapshot_file,
        name="snapshot_file",
    ),
]
