"""A Redis cache that an outage turns into an empty cache instead of errors.

Django's RedisCache raises when Redis is unreachable, so a dead Redis turned every cached page into
a 500. Here a connection error or timeout counts as a miss (reads) or is dropped (writes), and for
RETRY_SECONDS after one the process does not try Redis at all, so pages are computed afresh at
database speed without waiting on a dead host each time. The outage is logged at most once per
LOG_SECONDS per process. Nothing is lost: the cache only holds what can be recomputed.

settings.CACHES["default"]["OPTIONS"] may set RETRY_SECONDS and LOG_SECONDS; the other options go
to redis-py's connection pool as usual (socket timeouts bound how long one attempt may take).
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class _Outage:
    """Per process and Redis location: until when Redis is skipped, when the outage was last logged."""

    def __init__(self):
        self.skip_until = 0.0
        self.logged_at: float | None = None
        self.lock = threading.Lock()


_outages: dict[str, _Outage] = {}


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self.retry_seconds = float(options.pop("RETRY_SECONDS", 5))
        self.log_seconds = float(options.pop("LOG_SECONDS", 60))
        super().__init__(server, {**params, "OPTIONS": options})
        self._outage = _outages.setdefault(str(server), _Outage())

    def _guarded(self, fallback, method, *args, **kwargs):
        outage = self._outage
        if time.monotonic() < outage.skip_until:
            return fallback
        try:
            return method(*args, **kwargs)
        except UNREACHABLE as exc:
            now = time.monotonic()
            with outage.lock:
                outage.skip_until = now + self.retry_seconds
                if outage.logged_at is None or now - outage.logged_at >= self.log_seconds:
                    outage.logged_at = now
                    logger.warning(
                        "cache unreachable (%s): pages are served uncached; next try in %s s, "
                        "this message at most every %s s",
                        type(exc).__name__,
                        f"{self.retry_seconds:g}",
                        f"{self.log_seconds:g}",
                    )
            return fallback

    def ping(self) -> None:
        """Ask Redis directly (for /readyz): raises when it cannot be reached."""
        self._cache.get_client(write=True).ping()

    # Reads miss, writes are dropped, as if the cache were empty.
    def get(self, key, default=None, version=None):
        return self._guarded(default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._guarded({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guarded(False, super().has_key, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(False, super().add, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(list(data), super().set_many, data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guarded(False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        return self._guarded(None, super().delete_many, keys, version)

    def incr(self, key, delta=1, version=None):
        result = self._guarded(None, super().incr, key, delta, version)
        if result is None:
            raise ValueError(f"Key '{key}' not found")  # what an empty cache answers
        return result

    def clear(self):
        return self._guarded(False, super().clear)
