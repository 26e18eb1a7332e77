from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from ita_portal.edits import VersionedAdminMixin

from .models import Agency, Division, Membership, OversightScope


class DivisionInline(admin.TabularInline):
    model = Division
    extra = 0


@admin.register(Agency)
class AgencyAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "district", "province", "is_synthetic"]
    list_filter = ["kind", "is_synthetic", "province"]
    search_fields = ["code", "name", "district", "province"]
    inlines = [DivisionInline]


@admin.action(description="ยืนยันบทบาทผู้บริหาร (ให้อนุมัติรายงานได้)")
def confirm_executives(modeladmin, request, queryset):
    from .services_accounts import membership_confirm

    for membership in queryset.filter(needs_confirmation=True).select_related("user", "agency"):
        membership_confirm(membership=membership, actor=request.user)
    modeladmin.message_user(request, "ยืนยันบทบาทผู้บริหารที่เลือกแล้ว", messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["user", "agency", "role", "position", "needs_confirmation"]
    list_filter = ["role", "needs_confirmation"]
    readonly_fields = ["needs_confirmation"]
    actions = [confirm_executives]
    search_fields = ["user__username", "agency__code", "agency__name"]
    autocomplete_fields = ["agency"]
    filter_horizontal = ["divisions"]


@admin.register(OversightScope)
class OversightScopeAdmin(SimpleHistoryAdmin):
    list_display = ["user", "title", "province", "district"]
