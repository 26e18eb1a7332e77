"""Cached reads per agency, invalidated by the agency's data version.

Every agency row carries `data_version`, a random token replaced in the same transaction as
any change to what the cached pages show: the agency's measures, activities, progress, scores
and divisions, or the ITA framework of any year (each app's AppConfig.ready() says which
models). Pages read the agency row anyway, so a cached value keyed by the token is found only
while nothing has changed: each app server may keep its own cache (the token lives in the
database, shared by all), and no change waits for a timeout.

Changes are caught with model signals (admin, services, imports that save row by row alike);
writes that bypass signals (bulk_create, QuerySet.update) call agency_data_touch() themselves.
A random token, not a counter: a rolled-back change cannot bring back a key already used.
"""

import secrets
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from .models import Agency

T = TypeVar("T")
TIMEOUT = 3600  # unused keys simply expire; correctness comes from the token, not the timeout


def _token() -> int:
    return secrets.randbits(62) + 1


def agency_data_touch(*, agency_ids: Iterable[int | None]) -> None:
    """Mark these agencies' data as changed (one UPDATE)."""
    ids = {i for i in agency_ids if i is not None}
    if ids:
        Agency.objects.filter(pk__in=ids).update(data_version=_token())


def agency_data_touch_all() -> None:
    """The framework (years, tools, indicators, bands, issues) changed: every agency's pages."""
    Agency.objects.update(data_version=_token())


def _in_transaction() -> bool:
    """In a transaction of our own (a test's wrapping transaction does not count)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def agency_cached(*, agency: Agency, key: str, compute: Callable[[], T]) -> T:
    """compute(), kept under the agency's current data version.

    Inside a transaction the value is computed and not kept: it may see the transaction's own
    uncommitted writes under a token that a rollback would bring back.
    """
    if _in_transaction():
        return compute()
    full_key = f"agency:{agency.pk}:{agency.data_version}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, TIMEOUT)
    return value


def watch(model, agency_of: Callable[[object], int | None]) -> None:
    """Touch the agency of every saved or deleted `model` row, and on changes to its m2m fields."""

    def changed(sender, instance, **kwargs):
        try:
            agency_id = agency_of(instance)
        except ObjectDoesNotExist:  # a parent already gone in a cascade: its own signal touched
            return
        agency_data_touch(agency_ids=[agency_id])

    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"agency-cache-save-{model._meta.label}")
    # Before the delete, while the parents a cascade removes can still be read.
    pre_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"agency-cache-del-{model._meta.label}")
    for field in model._meta.many_to_many:

        def m2m(sender, instance, action, **kwargs):
            if action not in ("post_add", "post_remove", "post_clear"):
                return
            if isinstance(instance, model):
                changed(sender, instance)
            elif getattr(instance, "agency_id", None):  # from the other side: a division
                agency_data_touch(agency_ids=[instance.agency_id])
            else:  # from the other side, not an agency's row (an indicator)
                agency_data_touch_all()

        m2m_changed.connect(
            m2m, sender=field.remote_field.through, weak=False, dispatch_uid=f"agency-cache-m2m-{field}"
        )


def watch_framework(model) -> None:
    """Touch every agency when a framework row of any year is saved or deleted."""

    def changed(sender, **kwargs):
        agency_data_touch_all()

    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"agency-cache-fw-save-{model._meta.label}")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"agency-cache-fw-del-{model._meta.label}")
