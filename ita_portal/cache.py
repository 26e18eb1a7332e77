"""Cached reads per agency, keyed by version tokens kept in the database.

A value is kept under two tokens (ita_portal.models.CacheVersion): the agency's, and the
framework's (the ITA framework of every year, which every agency's pages show). A change replaces
the token it concerns, so a value kept before it is never found again: each app server may keep
its own cache (the tokens live in the database, shared by all), and no change waits for a timeout.

Changes are caught with model signals (each app's AppConfig.ready() names the models its cached
pages show; admin, services and row-by-row imports alike). Writes that bypass signals
(bulk_create, QuerySet.update) call agency_data_touch() or agency_data_touch_all() themselves.

Inside a transaction a change only notes its scopes; after the commit (transaction.on_commit) one
statement replaces the tokens of every scope noted, so a transaction never holds a lock on a
token row, nor on the agency row, while it writes photos or thousands of scores. Outside a
transaction of our own (autocommit, or only a test case's wrapping transaction) the token is
replaced at once. Scopes noted by a transaction that ran no commit hooks (rolled back, or a
transaction inside a test case's) are replaced at the next touch or cached read outside a
transaction: at worst a value is computed again.

Nothing is cached inside a transaction: a value computed there may see uncommitted writes under
tokens that are still the old ones. A random token, not a counter: a key once used never comes
back, whatever is rolled back.

This module sits below every app and names none of them: the models it watches are passed in.
"""

import itertools
import secrets
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

T = TypeVar("T")
TIMEOUT = 3600  # unused keys simply expire; correctness comes from the tokens, not the timeout
FRAMEWORK = 0  # the framework's scope; an agency's scope is its id
BATCH = 500  # scopes per statement when a bulk change touches many agencies

_local = threading.local()  # .pending: the scopes noted by this thread's open transaction
_bumps = itertools.count(1)
# Changes this process has made to tokens: tokens read before one of them are read again.
_generation = 0


def _model():
    from .models import CacheVersion

    return CacheVersion


def _token() -> int:
    return secrets.randbits(62) + 1


def _in_transaction() -> bool:
    """In a transaction of our own (a test's wrapping transaction does not count)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _take_pending() -> set[int]:
    pending = getattr(_local, "pending", set())
    _local.pending = set()
    return pending


def _replace(scopes: set[int]) -> None:
    """New tokens for these scopes: one statement (an upsert) per BATCH scopes."""
    global _generation
    CacheVersion = _model()
    token = _token()
    CacheVersion.objects.bulk_create(
        [CacheVersion(scope=scope, token=token) for scope in sorted(scopes)],
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["scope"],
        update_fields=["token"],
    )
    _generation = next(_bumps)


def _flush() -> None:
    """Replace the tokens of the scopes noted so far (a no-op when another flush ran first)."""
    scopes = _take_pending()
    if scopes:
        _replace(scopes)


def _touch(scopes: Iterable[int | None]) -> None:
    scopes = {scope for scope in scopes if scope is not None}
    if not scopes:
        return
    if _in_transaction():
        if not hasattr(_local, "pending"):
            _local.pending = set()
        _local.pending |= scopes
        # Once per change, not once per transaction: a savepoint rolled back drops the hooks
        # registered inside it. The first hook to run after the commit replaces every token.
        transaction.on_commit(_flush)
    else:
        _replace(scopes | _take_pending())


def agency_data_touch(*, agency_ids: Iterable[int | None]) -> None:
    """These agencies' data changed (one statement, after the commit when in a transaction)."""
    _touch(agency_ids)


def agency_data_touch_all() -> None:
    """The framework changed, or a bulk write reached many agencies: every agency's pages.

    One statement whatever the number of agencies: the framework's token is part of every key.
    """
    _touch([FRAMEWORK])


def with_tokens(agencies: QuerySet) -> QuerySet:
    """The agencies with their cache tokens, read in the same query (pages read the agency anyway)."""
    if not _in_transaction():
        _flush()
    versions = _model().objects.values("token")
    return agencies.annotate(
        cache_agency_token=Subquery(versions.filter(scope=OuterRef("pk"))[:1]),
        cache_framework_token=Subquery(versions.filter(scope=FRAMEWORK)[:1]),
        cache_generation=Value(_generation),
    )


def _tokens(agency) -> tuple[int, int]:
    """The agency's token and the framework's: read with the agency, or once here, and kept on it
    until this process replaces a token."""
    memo = agency.__dict__.get("_cache_tokens")
    if memo is None and hasattr(agency, "cache_generation"):
        memo = (agency.cache_generation, (agency.cache_agency_token or 0, agency.cache_framework_token or 0))
    if memo is None or memo[0] != _generation:
        generation = _generation
        rows = dict(_model().objects.filter(scope__in=(FRAMEWORK, agency.pk)).values_list("scope", "token"))
        memo = (generation, (rows.get(agency.pk, 0), rows.get(FRAMEWORK, 0)))
    agency.__dict__["_cache_tokens"] = memo
    return memo[1]


def agency_cached(*, agency, key: str, compute: Callable[[], T]) -> T:
    """compute(), kept under the agency's and the framework's current tokens.

    Inside a transaction the value is computed and not kept: it may see the transaction's own
    uncommitted writes under tokens that are still the old ones.
    """
    if _in_transaction():
        return compute()
    _flush()
    agency_token, framework_token = _tokens(agency)
    full_key = f"agency:{agency.pk}:{agency_token}:{framework_token}:{key}"
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

    label = model._meta.label
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"agency-cache-save-{label}")
    # Before the delete, while the parents a cascade removes can still be read.
    pre_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"agency-cache-del-{label}")
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
    """Touch the framework's token when a framework row of any year is saved or deleted."""

    def changed(sender, **kwargs):
        agency_data_touch_all()

    label = model._meta.label
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"agency-cache-fw-save-{label}")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"agency-cache-fw-del-{label}")
