"""Readiness checks: can this server answer requests? Each raises when its part is unreachable.

Run by /readyz (ops/views.py) on every probe, so each is one cheap round trip: SELECT 1, one
cache PING, one storage HEAD. The migration check reads the migration files once per process
and is skipped once everything is applied (a deploy migrates before it starts new servers).
"""

import logging

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

# A small object the storage check keeps in the storage: written once, then only looked up.
STORAGE_PROBE = "ops/readyz.txt"

_migrations_applied = False


class NotReady(Exception):
    pass


def database_check() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def migrations_check() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise NotReady(f"{len(plan)} migrations not applied")
    _migrations_applied = True


def cache_check() -> None:
    ping = getattr(cache, "ping", None)  # ResilientRedisCache: asks Redis, bypassing its fallback
    if ping is not None:
        ping()
        return
    cache.set("ops:readyz", 1, 10)
    if cache.get("ops:readyz") != 1:
        raise NotReady("cache lost a value")


def storage_check() -> None:
    # A missing bucket answers a HEAD with 404 too: writing the probe when it is absent tells a
    # reachable, writable storage from one that is not there.
    if not default_storage.exists(STORAGE_PROBE):
        default_storage.save(STORAGE_PROBE, ContentFile(b"ok\n"))


CHECKS = {
    "database": database_check,
    "migrations": migrations_check,
    "cache": cache_check,
    "storage": storage_check,
}


def readiness() -> list[str]:
    """The names of the failed checks (empty when ready); each failure is logged with its cause."""
    failed = []
    for name, check in CHECKS.items():
        if name == "migrations" and "database" in failed:
            failed.append(name)
            continue
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; the cause is logged
            logger.warning("readyz: %s check failed: %s: %s", name, type(exc).__name__, str(exc)[:300])
            failed.append(name)
    return failed
