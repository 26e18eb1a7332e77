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


def test_check_deploy_clean_with_production_settings():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "p" * 60 + "Q9!zr",
        "ALLOWED_HOSTS": "ita.example.go.th",
        "ALLOW_INSECURE_KEY": "0",
    }
    env.pop("DATABASE_URL", None)
    r = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout
