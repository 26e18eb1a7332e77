from django.db.models import Count, QuerySet

from agencies.models import Agency

from .models import ContactPreference, LineChannel, OutboundMessage


def outbox_for_agency(*, agency: Agency, status: str | None = None) -> QuerySet[OutboundMessage]:
    qs = OutboundMessage.objects.filter(agency=agency).select_related("recipient").defer("body")
    if status in OutboundMessage.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def outbox_counts(*, agency: Agency) -> dict[str, int]:
    rows = OutboundMessage.objects.filter(agency=agency).values("status").annotate(n=Count("id")).order_by()
    counts = {s: 0 for s in OutboundMessage.Status.values}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


def line_channel_for(*, agency: Agency) -> LineChannel | None:
    return LineChannel.objects.filter(agency=agency).first()


def contact_preference_for(*, user) -> ContactPreference:
    return ContactPreference.objects.filter(user=user).first() or ContactPreference(user=user)
