"""The layers run one way: top apps → measures → assessments → agencies → shared helpers.

Imports are checked by import-linter (the contract in pyproject.toml, run by scripts/test.sh);
these tests prove that the contract catches an upward import, and check what import-linter cannot
see: URL names in code and templates (a lower app must not name a higher app's pages).
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Rank of each app (higher = further up). Shared helpers are below every app.
RANK = {"sheets": -1, "agencies": 0, "notifications": 0.5, "assessments": 1, "measures": 2, "reports": 3, "oit": 3.5}
TOP = 4  # oversight, audit, accounts, demo and the project's own views
# URL namespace → the app that owns it.
NAMESPACE_OWNER = {
    "agencies": "agencies",
    "assessments": "assessments",
    "national": "assessments",
    "measures": "measures",
    "notifications": "notifications",
    "reports": "reports",
    "oit": "oit",
}
URL_NAME = re.compile(r"""(?:\{%\s*url\s+|reverse(?:_lazy)?\(\s*|redirect\(\s*)["']([a-z_]+):([a-z_]+)["']""")


def _rank_of_namespace(namespace: str) -> int:
    owner = NAMESPACE_OWNER.get(namespace)
    return RANK[owner] if owner else TOP


def _files_of(app: str):
    yield from (p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)
    yield from (ROOT / app).rglob("*.html")
    yield from (ROOT / "templates" / app).rglob("*.html")


def upward_url_names() -> list[str]:
    found = []
    for app, rank in RANK.items():
        for path in _files_of(app):
            for namespace, name in URL_NAME.findall(path.read_text(encoding="utf-8")):
                if _rank_of_namespace(namespace) > rank:
                    found.append(f"{path.relative_to(ROOT)} names {namespace}:{name}")
    # Shared partials are included by every app: they may name no app's pages at all.
    for path in (ROOT / "templates" / "partials").rglob("*.html"):
        for namespace, name in URL_NAME.findall(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(ROOT)} names {namespace}:{name}")
    return found


def test_no_lower_app_names_a_higher_apps_url():
    assert upward_url_names() == []


def test_the_url_name_check_sees_template_tags_reverse_and_redirect():
    for text in ("{% url 'reports:list' code %}", 'reverse("oversight:summary")', "redirect('measures:dashboard')"):
        assert URL_NAME.findall(text), text
    assert _rank_of_namespace("reports") > RANK["measures"]
    assert _rank_of_namespace("national") == RANK["assessments"]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


@pytest.mark.slow
def test_import_contract_holds_and_fails_on_an_upward_import(tmp_path):
    """The real contract of pyproject.toml, on a copy of the code: kept, then broken on purpose."""
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "node_modules", "media", "*.sqlite3", "__pycache__", "docs", "fixtures", "static"
        ),
    )
    kept = _lint_imports(copy)
    assert kept.returncode == 0, kept.stdout + kept.stderr

    (copy / "agencies" / "upward_probe.py").write_text("from measures import models  # noqa: F401\n")
    broken = _lint_imports(copy)
    assert broken.returncode != 0
    assert "agencies.upward_probe -> measures.models" in broken.stdout
