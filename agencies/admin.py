from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Agency, Division, Membership, OversightScope


class DivisionInline(admin.TabularInline):
    model = Division
    extra = 0


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "district", "province", "is_synthetic"]
    list_filter = ["kind", "is_synthetic", "province"]
    search_fields = ["code", "name", "district", "province"]
    inlines = [DivisionInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "agency", "role", "position"]
    list_filter = ["role"]
    search_fields = ["user__username", "agency__code", "agency__name"]
    autocomplete_fields = ["agency"]
    filter_horizontal = ["divisions"]


@admin.register(OversightScope)
class OversightScopeAdmin(SimpleHistoryAdmin):
    list_display = ["user", "title", "province", "district"]
