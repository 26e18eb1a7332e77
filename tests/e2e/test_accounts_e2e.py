"""Accounts in the browser: a locked-out user who forgot the password resets it from the e-mail
and signs in; a coordinator unlocks a locked-out member."""

import re

from django.contrib.auth import get_user_model
from django.core import mail

from agencies.models import AccountEvent
from notifications.delivery import outbox_deliver_due

from .conftest import E2E, KSK

pytestmark = E2E

NEW_PASSWORD = "ลืมแล้ว-ตั้งใหม่-2568"


def fail_until_locked(person, username: str) -> None:
    page = person.page
    for _ in range(5):
        person.goto("/login/")
        page.get_by_label("ชื่อผู้ใช้").fill(username)
        page.get_by_label("รหัสผ่าน").fill("wrong-password")
        with page.expect_navigation():
            page.get_by_role("button", name="เข้าสู่ระบบ").click()
    assert "ระงับการเข้าสู่ระบบชั่วคราว" in page.content()


def test_forgotten_password_is_reset_from_the_email(people, settings, live_server):
    settings.SITE_URL = live_server.url
    # Web requests only queue; the sender (here, this test) delivers: no task runs in the request.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    get_user_model().objects.filter(username="ksk-viewer").update(email="viewer@example.org")
    person = people()
    page = person.page
    fail_until_locked(person, "ksk-viewer")

    with page.expect_navigation():
        page.get_by_role("link", name="ลืมรหัสผ่าน?").click()
    page.get_by_label("อีเมล").fill("viewer@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="ส่งลิงก์ตั้งรหัสผ่านใหม่").click()
    assert "ตรวจสอบอีเมลของคุณ" in page.content()
    assert mail.outbox == []
    assert outbox_deliver_due().sent == 1
    [sent] = mail.outbox
    link = re.search(r"https?://\S+/password-reset/\S+/", sent.body).group(0)

    person.page.goto(link)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.get_by_label("ยืนยันรหัสผ่านใหม่").fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="ตั้งรหัสผ่านใหม่").click()
    assert "ตั้งรหัสผ่านใหม่เรียบร้อยแล้ว" in page.content()
    person.login("ksk-viewer", NEW_PASSWORD)
    assert "/login/" not in page.url and "ksk-viewer" not in page.url
    assert "ออกจากระบบ" in page.content()
    assert AccountEvent.objects.filter(username="ksk-viewer", action="password_reset").exists()


def test_coordinator_unlocks_a_locked_member(people):
    member = people()
    fail_until_locked(member, "ksk-staff2")

    coordinator = people("ksk-coord")
    coordinator.goto(f"/a/{KSK}/members/")
    assert "ถูกระงับการเข้าสู่ระบบ" in coordinator.page.content()
    with coordinator.page.expect_navigation():
        coordinator.page.get_by_role("button", name="ปลดล็อก ksk-staff2").click()
    assert "ปลดล็อกการเข้าสู่ระบบของ ksk-staff2 แล้ว" in coordinator.page.content()

    member.login("ksk-staff2")
    assert "/login/" not in member.page.url and "ออกจากระบบ" in member.page.content()
    event = AccountEvent.objects.get(username="ksk-staff2", action="unlocked")
    assert event.actor.username == "ksk-coord"
