"""Operability: health and readiness probes, a Redis outage that only slows pages, request logs.

Redis here is a real redis-server started by the test on a free port of 127.0.0.1 (and stopped,
to make the outage); the unreachable database is a real connection attempt to a closed port, in a
child process with its own DATABASE_URL.
"""

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from ops import cache as ops_cache

from .conftest import login

KSK = "khao-samo-khon"
ROOT = Path(__file__).resolve().parent.parent
PAGES = [f"/a/{KSK}/?year=2567", f"/a/{KSK}/my-work/?year=2567", f"/a/{KSK}/measures/?year=2567"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- probes ---------------------------------------------------------------------------------------


def test_healthz_answers_without_login_session_or_https_redirect(db, settings):
    settings.SECURE_SSL_REDIRECT = True  # a load balancer probes the app port over plain HTTP
    r = Client().get("/healthz")
    assert r.status_code == 200 and r.content == b"ok\n" and r["Content-Type"].startswith("text/plain")
    assert "no-cache" in r["Cache-Control"] and not r.cookies
    assert Client().post("/healthz").status_code == 405


def test_readyz_ok_when_database_migrations_cache_and_storage_answer(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    r = Client().get("/readyz")
    assert r.status_code == 200 and r.content == b"ok\n"
    assert Client().head("/readyz").status_code == 200


def readyz_in_child(database_url: str, tmp_path) -> subprocess.CompletedProcess:
    """GET /readyz in a fresh process whose settings name `database_url`."""
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/readyz', HTTP_HOST='127.0.0.1')\n"
        "print(r.status_code, repr(r.content))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ita_portal.settings",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "REQUEST_LOG": "0",
    }
    env.pop("REDIS_URL", None)
    env.pop("AWS_STORAGE_BUCKET_NAME", None)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "scheme",
    ["postgres://postgres@127.0.0.1:{port}/ita_nowhere", "sqlite:///{tmp}/empty.sqlite3"],
    ids=["database-unreachable", "migrations-not-applied"],
)
def test_readyz_is_503_with_no_internals_when_the_database_is_not_ready(tmp_path, scheme):
    url = scheme.format(port=free_port(), tmp=tmp_path)
    run = readyz_in_child(url, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "503 b'not ready\\n'"
    # The cause is in the server's log, never in the body.
    failed = "database check failed" if "postgres" in url else "migrations check failed"
    assert failed in run.stderr, run.stderr[-3000:]


# --- Redis outage ---------------------------------------------------------------------------------


class RedisServer:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.proc = None

    def start(self):
        binary = shutil.which("redis-server")
        assert binary, "redis-server is installed by .ci/run"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def use_redis(settings, port: int, **options):
    ops_cache._outages.clear()
    settings.CACHES = {
        "default": {
            "BACKEND": "ops.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "ita-test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, **options},
        }
    }


def main_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def test_pages_are_served_uncached_while_redis_is_stopped(db, settings, redis_server, caplog):
    use_redis(settings, redis_server.port, RETRY_SECONDS=0, LOG_SECONDS=60)
    from django.core.cache import cache

    coord = login("ksk-coord")
    before = {url: main_of(coord.get(url).content.decode()) for url in PAGES}
    assert cache.get("ita-probe") is None and cache.set("ita-probe", 1) is None and cache.get("ita-probe") == 1
    assert Client().get("/readyz").status_code == 200

    redis_server.stop()
    caplog.set_level(logging.WARNING, logger="ops.cache")
    for _ in range(3):
        for url in PAGES:
            r = coord.get(url)
            assert r.status_code == 200, url
            assert main_of(r.content.decode()) == before[url]  # the same page, computed afresh
    assert cache.get("ita-probe") is None  # a miss, not an error
    assert cache.get_or_set("ita-other", 5) == 5
    outage_lines = [r for r in caplog.records if r.name == "ops.cache"]
    assert len(outage_lines) == 1, [r.getMessage() for r in outage_lines]  # once per interval
    assert "cache unreachable" in outage_lines[0].getMessage()
    r = Client().get("/readyz")
    assert r.status_code == 503 and r.content == b"not ready\n"

    redis_server.start()  # back on the same port: used again on the next try
    assert cache.set("ita-probe", 2) is None and cache.get("ita-probe") == 2
    assert Client().get("/readyz").status_code == 200


def test_a_closed_redis_port_skips_redis_for_the_retry_interval(db, settings, caplog):
    use_redis(settings, free_port(), RETRY_SECONDS=30, LOG_SECONDS=60)
    from django.core.cache import cache

    calls = []
    real = ops_cache.RedisCache.get
    ops_cache.RedisCache.get = lambda self, *a, **k: calls.append(1) or real(self, *a, **k)
    try:
        coord = login("ksk-coord")
        for url in PAGES:
            assert coord.get(url).status_code == 200, url
        assert cache.get("x", "miss") == "miss"
    finally:
        ops_cache.RedisCache.get = real
    assert len(calls) == 1  # the first failure; then Redis is left alone for 30 s
    assert len([r for r in caplog.records if r.name == "ops.cache"]) == 1


# --- request log ----------------------------------------------------------------------------------


def test_one_json_line_per_request_with_ids_only(db, caplog):
    caplog.set_level(logging.INFO, logger="ita.request")
    staff = login("ksk-staff1")
    assert staff.get(f"/a/{KSK}/my-work/?year=2567&round=annual&q=ชื่อที่ค้น").status_code == 200
    # Nothing of the demo is published, so the public list answers 404 (no probing): logged all the same.
    assert Client().get(f"/p/{KSK}/").status_code == 404
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "ita.request"]
    assert len(lines) == 2
    user = get_user_model().objects.get(username="ksk-staff1")
    mine, public = lines
    assert mine["route"] == "a/<slug:code>/my-work/" and mine["agency"] == KSK and mine["user"] == user.pk
    assert mine["method"] == "GET" and mine["status"] == 200 and mine["ms"] > 0
    assert public["user"] is None and public["agency"] == KSK and public["route"] == "p/<slug:code>/"
    raw = " ".join(r.getMessage() for r in caplog.records if r.name == "ita.request")
    for personal in ("ksk-staff1", user.get_full_name() or "ksk-staff1", "ชื่อที่ค้น", "q="):
        assert personal not in raw
