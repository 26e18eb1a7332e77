"""SQLite stays up under concurrent writers: WAL, a busy timeout and IMMEDIATE transactions
(settings.SQLITE_OPTIONS), checked on a file database of their own whatever the test database is."""

import threading
import time

import pytest
from django.conf import settings
from django.db.utils import ConnectionHandler


def _handler(path) -> ConnectionHandler:
    return ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": settings.SQLITE_OPTIONS}}
    )


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):
    with django_db_blocker.unblock():
        yield


def test_pragmas(tmp_path):
    conn = _handler(tmp_path / "db.sqlite3")["default"]
    with conn.cursor() as c:
        c.execute("PRAGMA journal_mode")
        assert c.fetchone()[0] == "wal"
        c.execute("PRAGMA busy_timeout")
        assert c.fetchone()[0] == 5000
    conn.close()


def test_two_read_then_write_transactions_queue_instead_of_failing(tmp_path):
    path = tmp_path / "db.sqlite3"
    setup = _handler(path)["default"]
    with setup.cursor() as c:
        c.execute("CREATE TABLE t (n INTEGER)")
    setup.close()
    errors, barrier = [], threading.Barrier(2)

    def worker(n):
        conn = _handler(path)["default"]
        try:
            barrier.wait()
            with _atomic(conn):
                with conn.cursor() as c:
                    c.execute("SELECT COUNT(*) FROM t")  # read …
                    time.sleep(0.2)
                    c.execute("INSERT INTO t VALUES (%s)", [n])  # … then write
        except Exception as exc:  # "database is locked" without IMMEDIATE
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    check = _handler(path)["default"]
    with check.cursor() as c:
        c.execute("SELECT COUNT(*) FROM t")
        assert c.fetchone()[0] == 2
    check.close()


class _atomic:
    """What transaction.atomic does on SQLite (BEGIN in the configured mode … COMMIT), for a
    connection outside django.db.connections."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        self.conn.ensure_connection()
        self.conn._start_transaction_under_autocommit()
        return self

    def __exit__(self, exc_type, *exc):
        with self.conn.cursor() as c:
            c.execute("COMMIT" if exc_type is None else "ROLLBACK")
