"""Personas and demo data shared by the tests.

The demo (the five seed agencies) is loaded once per test session; each test runs in a
transaction that is rolled back, so tests may change it freely.
"""

import os
import shutil

import pytest
from django.test import Client
from django.test.utils import override_settings

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def demo_media(tmp_path_factory):
    """Where the session's demo load stores its files (the demo photos)."""
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(autouse=True)
def _fast_passwords(settings, tmp_path, demo_media):
    settings.PASSWORD_HASHERS = FAST_HASHER
    # Each test has its own media folder holding the demo's files as hard links: a test may delete
    # or replace them without touching the next test's.
    shutil.copytree(demo_media, tmp_path / "media", copy_function=os.link)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SECURE_SSL_REDIRECT = False
    # Client.login() passes no request, which django-axes needs; tests that check the lockout
    # (tests/test_headers.py) and the browser tests switch it back on.
    settings.AXES_ENABLED = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Each test's data is rolled back, and with it the tokens that key the page caches
    # (ita_portal/cache.py): an entry left by one test would be found by the next.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, demo_media):
    from demo.services import demo_load_all

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER, MEDIA_ROOT=demo_media):
        demo_load_all()


def login(username: str) -> Client:
    from demo.services import DEMO_PASSWORD

    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD), username
    return client


@pytest.fixture
def as_user(db):
    return login


def pytest_collection_modifyitems(items):
    """Tests that commit last, browser tests at the very end: both flush the database (the demo)
    when they end, and each reloads the demo for itself."""

    def rank(item) -> int:
        if item.get_closest_marker("e2e"):
            return 2
        db = item.get_closest_marker("django_db")
        return 1 if db and db.kwargs.get("transaction") else 0

    items.sort(key=rank)
