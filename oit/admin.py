from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import LinkCheck, OitEvidence, OitItem, OitSnapshot


@admin.register(OitItem)
class OitItemAdmin(SimpleHistoryAdmin):
    """For superusers; national staff edit a year's list on /national/years/<year>/oit/."""

    list_display = ("code", "title", "year", "sub_indicator", "period", "order")
    list_filter = ("year", "period")
    search_fields = ("code", "title")
    raw_id_fields = ("predecessor",)


@admin.register(OitEvidence)
class OitEvidenceAdmin(SimpleHistoryAdmin):
    list_display = ("agency", "item", "source", "title", "added_at")
    list_filter = ("source", "item__year")
    readonly_fields = ("file_sha256", "file_size", "added_by", "added_at")
    raw_id_fields = ("agency", "item", "report", "division")


@admin.register(LinkCheck)
class LinkCheckAdmin(admin.ModelAdmin):
    list_display = ("url", "checked_at", "ok", "status_code", "problem")
    list_filter = ("ok",)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OitSnapshot)
class OitSnapshotAdmin(admin.ModelAdmin):
    list_display = ("agency", "year", "number", "created_at", "sha256")

    def has_change_permission(self, request, obj=None):
        return False
