"""Project health: migrations complete, deploy checks clean in production settings."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.django_db
def test_no_missing_migrations():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a production server: outside pytest, DEBUG off, SQLite."""
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "ita.example.go.th", **overrides}
    for name in ("DATABASE_URL", "PYTEST_VERSION", "SECRET_KEY"):
        if name not in overrides:
            env.pop(name, None)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_check_deploy_clean_with_production_settings():
    r = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(SECRET_KEY="p" * 60 + "Q9!zr"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout


def test_production_without_secret_key_refuses_to_start():
    r = subprocess.run(
        [sys.executable, "-c", "import ita_portal.settings"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set" in r.stderr, r.stderr
    r = manage("check", "--deploy", env=production_env())
    assert r.returncode != 0 and "SECRET_KEY is not set" in r.stderr, r.stdout + r.stderr


def test_development_key_is_flagged_by_check_deploy():
    """DEBUG=1 (scripts/start.sh) starts without a key, on a development key that check --deploy names."""
    r = manage("check", "--deploy", env=production_env(DEBUG="1"))
    assert r.returncode == 0, r.stdout + r.stderr  # warnings only: the quick start runs
    assert "security.W009" in r.stdout + r.stderr
    assert "security.W018" in r.stdout + r.stderr  # DEBUG on
