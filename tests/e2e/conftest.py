"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

The live server needs a transactional database, which is flushed after each test: these tests
run last (tests/conftest.py orders them), and each reloads the demo (about a second) on top of
the migrations' data that serialized_rollback restores. The browser runs with the portal's real
headers (CSP included) and django-axes on.

Chromium: /usr/bin/chromium (Debian's package; .ci/run installs it), or E2E_CHROMIUM. Without it
the tests are skipped locally and fail in CI (CI=true).
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
KSK = "khao-samo-khon"
UBN = "ubon-pao"


# Every test module here starts with: pytestmark = E2E
E2E = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(scope="session")
def browser(django_db_setup):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread while the browser is open; the
    # ORM calls made meanwhile (database set-up and flushes, the tests' checks) are ordinary
    # synchronous ones, which Django would otherwise refuse. Browser tests run last.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # Django's connections are an asgiref Local: once Playwright's loop runs in this thread, the
    # ORM gets other connection objects, which lack the database's serialized contents that
    # serialized_rollback restores after each flush. Hand them over.
    from django.db import connections

    serialized = {c.alias: getattr(c, "_test_serialized_contents", None) for c in connections.all()}
    try:
        with sync_playwright() as p:
            for alias, contents in serialized.items():
                if contents is not None:
                    connections[alias]._test_serialized_contents = contents
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            yield b
            b.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="session")
def live_server(live_server_plain_http, live_server):
    """pytest-django's live server, built after plain http is allowed: its middleware (and so
    SecurityMiddleware's HTTPS redirect) is instantiated once, when the server starts."""
    return live_server


@pytest.fixture(scope="session")
def live_server_plain_http():
    from django.test.utils import override_settings

    with override_settings(SECURE_SSL_REDIRECT=False):
        yield


@pytest.fixture
def portal(browser, live_server, settings):
    """The live server with the demo loaded, publishing run inline, the lockout on."""
    from demo.services import demo_load_all

    demo_load_all()
    settings.AXES_ENABLED = True
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return live_server.url


class Session:
    """A browser context (one person) with helpers; collects CSP violations and page errors."""

    def __init__(self, browser, base: str):
        self.base = base
        self.context = browser.new_context(locale="th-TH", timezone_id="Asia/Bangkok")
        if AXE.exists():
            self.context.add_init_script(path=str(AXE))  # init scripts are not subject to the page's CSP
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _console(self, msg):
        text = msg.text
        if msg.type == "error" and ("Content Security Policy" in text or "Refused to" in text):
            self.problems.append(text)

    def goto(self, path: str):
        response = self.page.goto(self.base + path)
        return response

    def login(self, username: str, password: str | None = None):
        from demo.services import DEMO_PASSWORD

        self.goto("/login/")
        self.page.get_by_label("ชื่อผู้ใช้").fill(username)
        self.page.get_by_label("รหัสผ่าน").fill(password or DEMO_PASSWORD)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="เข้าสู่ระบบ").click()
        self.page.wait_for_load_state()
        return self

    def axe(self) -> list[dict]:
        """Serious and critical axe-core violations of the current page."""
        result = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    def close(self):
        self.context.close()


@pytest.fixture
def people(browser, portal):
    sessions = []

    def open_session(username: str | None = None) -> Session:
        s = Session(browser, portal)
        sessions.append(s)
        if username:
            s.login(username)
        return s

    yield open_session
    problems = [p for s in sessions for p in s.problems]
    for s in sessions:
        s.close()
    assert not problems, problems


def publish_oit_page(monkeypatch, code: str = UBN) -> str:
    """The agency's public 2566 OIT page as `load_demo --publish` makes it — for ubon-pao its
    six-month report of 2566 under O43 (linked automatically), an uploaded PDF (O2) and an external
    link (O6) — with a small PDF standing in for the renderer's (the pages are under test here)."""
    from agencies.models import Agency
    from demo.publish import demo_pdf, demo_publish_oit

    monkeypatch.setattr("reports.services.render_pdf", lambda *a, **k: demo_pdf(lines=["รายงาน (ตัวอย่าง)"]))
    assert demo_publish_oit(agency=Agency.objects.get(code=code))
    return f"/p/{code}/2566/oit/"
