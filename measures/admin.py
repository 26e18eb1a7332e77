from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ita_portal.edits import VersionedAdminMixin

from .models import Activity, Measure, Progress


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0


@admin.register(Measure)
class MeasureAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["agency", "year", "order", "number", "title"]
    list_filter = ["year"]
    search_fields = ["title", "agency__code"]
    inlines = [ActivityInline]


@admin.register(Progress)
class ProgressAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["measure", "activity", "round", "status", "completed_on", "version"]
    list_filter = ["round", "status"]
