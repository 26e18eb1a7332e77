from django.contrib import admin

from .models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """Every agency's outbox, and messages of users without an agency (read only: the text of a
    password-reset mail is never shown, and sending is the sender's job)."""

    list_display = ["created_at", "recipient", "agency", "channel", "subject", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "channel"]
    search_fields = ["subject", "address", "recipient__username"]
    exclude = ["body"]
    readonly_fields = [f.name for f in OutboundMessage._meta.fields if f.name != "body"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
