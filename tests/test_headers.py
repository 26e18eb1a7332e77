"""Login lockout (django-axes), secure cookies, HSTS and the Content-Security-Policy (django-csp)."""

import re
from pathlib import Path

import pytest
from django.test import Client

from demo.services import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
KSK = "khao-samo-khon"


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    return settings


def attempt(client, username, password):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR="203.0.113.7")


@pytest.mark.django_db
def test_five_failures_lock_the_user_out_from_that_address(axes_on):
    c = Client()
    for _ in range(4):
        r = attempt(c, "ksk-coord", "wrong")
        assert r.status_code == 200 and "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in r.content.decode()
    r = attempt(c, "ksk-coord", "wrong")  # the fifth failure locks
    assert r.status_code == 429
    r = attempt(c, "ksk-coord", DEMO_PASSWORD)  # even the right password, while locked out
    assert r.status_code == 429
    assert "ระงับการเข้าสู่ระบบชั่วคราว" in r.content.decode()
    assert "_auth_user_id" not in c.session
    # Another user at the same address, and the same user elsewhere, are not locked.
    assert attempt(Client(), "ksk-exec", DEMO_PASSWORD).status_code == 302
    other = Client().post("/login/", {"username": "ksk-coord", "password": DEMO_PASSWORD}, REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 302


@pytest.mark.django_db
def test_a_success_resets_the_count(axes_on):
    c = Client()
    for _ in range(4):
        attempt(c, "ksk-viewer", "wrong")
    assert attempt(c, "ksk-viewer", DEMO_PASSWORD).status_code == 302
    c.post("/logout/")
    for _ in range(4):
        assert attempt(c, "ksk-viewer", "wrong").status_code == 200
    assert attempt(c, "ksk-viewer", DEMO_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(axes_on):
    axes_on.SESSION_COOKIE_SECURE = axes_on.CSRF_COOKIE_SECURE = True
    c = Client()
    page = c.get("/login/", secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    r = c.post("/login/", {"username": "ksk-coord", "password": DEMO_PASSWORD}, secure=True, REMOTE_ADDR="203.0.113.8")
    assert r.status_code == 302
    session = r.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_production_settings_are_secure_by_default():
    """The values settings.py gives without DEBUG (the test run's own settings are production's)."""
    from django.conf import settings

    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE and settings.SESSION_COOKIE_HTTPONLY
    assert settings.SECURE_HSTS_SECONDS >= 31536000 and settings.SECURE_HSTS_INCLUDE_SUBDOMAINS
    assert settings.X_FRAME_OPTIONS == "DENY" and settings.SECURE_CONTENT_TYPE_NOSNIFF
    assert "axes.middleware.AxesMiddleware" == settings.MIDDLEWARE[-1]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


@pytest.mark.django_db
def test_every_page_has_a_self_only_policy_and_security_headers():
    from .conftest import login

    c = login("ksk-coord")
    for url in ["/login/", f"/a/{KSK}/", f"/a/{KSK}/measures/", f"/a/{KSK}/reports/", f"/p/{KSK}/"]:
        r = c.get(url, secure=True)
        policy = csp(r)
        assert policy["default-src"] == ["'self'"], url
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], url
        assert (
            "'unsafe-inline'" not in r["Content-Security-Policy"]
            and "'unsafe-eval'" not in r["Content-Security-Policy"]
        )
        assert r["X-Frame-Options"] == "DENY" and r["X-Content-Type-Options"] == "nosniff"
        assert r["Referrer-Policy"] == "same-origin"
        assert r["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_the_public_embed_may_be_framed_by_agency_websites():
    r = Client().get(f"/p/{KSK}/embed/")
    assert csp(r)["frame-ancestors"] == ["*"]
    assert "X-Frame-Options" not in r
    assert csp(r)["script-src"] == ["'self'"]


PDF_ONLY = {
    "reports/report.html",
    "reports/_analysis.html",
    "reports/_measures_table.html",
    "reports/_score_table.html",
}


def test_no_template_needs_unsafe_inline():
    """No inline <script>, <style>, on…= handler or style= attribute in a page served to browsers
    (the PDF's templates are rendered by WeasyPrint, not by a browser)."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        name = path.relative_to(ROOT / "templates").as_posix()
        if name in PDF_ONLY:
            continue
        text = re.sub(r"&lt;.*?&gt;", "", path.read_text(encoding="utf-8"), flags=re.S)  # shown as text
        text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\son[a-z]+\s*=", r"\sstyle\s*="):
            offenders += [f"{name}: {m.group(0)}" for m in re.finditer(pattern, text, flags=re.I)]
    assert not offenders


@pytest.mark.django_db
def test_error_pages_are_thai_and_say_why():
    from .conftest import login

    r = login("ksk-staff1").get(f"/a/{KSK}/members/")
    body = r.content.decode()
    assert r.status_code == 403 and 'lang="th"' in body
    assert "ไม่มีสิทธิ์เข้าถึงหน้านี้" in body and "เฉพาะผู้ประสานงาน ITA ของหน่วยงานเท่านั้น" in body
    r = login("ksk-coord").get("/a/pak-kran/")
    assert r.status_code == 404 and "ไม่พบหน้าที่ต้องการ" in r.content.decode()
    assert "ปากกราน" not in r.content.decode()  # a 404 does not confirm that the agency exists
