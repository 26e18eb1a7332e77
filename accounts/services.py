"""A user's own account: e-mail and how to be reached, in one transaction, with an audit record."""

from django.db import transaction

from agencies.models import AccountEvent
from agencies.services import ServiceError as AgencyServiceError
from agencies.services_accounts import account_email_set, account_event_record
from notifications import services as notification_services
from notifications.models import Channel
from notifications.selectors import contact_preference_for


class ServiceError(Exception):
    pass


@transaction.atomic
def account_update(*, user, email: str, channel: str, line_user_id: str) -> None:
    try:
        account_email_set(user=user, email=email)
    except AgencyServiceError as exc:
        raise ServiceError(str(exc))
    before = contact_preference_for(user=user)
    old = (before.channel, before.line_user_id) if before.pk else None
    try:
        pref = notification_services.contact_preference_set(user=user, channel=channel, line_user_id=line_user_id)
    except notification_services.ServiceError as exc:
        raise ServiceError(str(exc))
    if old != (pref.channel, pref.line_user_id) and (
        old is not None or pref.channel != Channel.EMAIL or pref.line_user_id
    ):
        account_event_record(
            user=user, action=AccountEvent.Action.CONTACT_CHANGED, actor=user, note=pref.get_channel_display()
        )
