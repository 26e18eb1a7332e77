"""Accounts people can recover: e-mail, password reset by e-mail (through the outbox), password
change, Thai password rules, and a coordinator's help (temporary password, unlock) within their
own agency only, each recorded."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from agencies.models import AccountEvent, Agency, Membership
from demo.services import DEMO_PASSWORD
from notifications.delivery import ERASED, outbox_deliver_due
from notifications.models import Channel, ContactPreference, OutboundMessage

from .conftest import login

KSK = "khao-samo-khon"
NEW_PASSWORD = "ลืมแล้ว-Reset-2568"
User = get_user_model()


def set_email(username: str, email: str):
    User.objects.filter(username=username).update(email=email)
    return User.objects.get(username=username)


def reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/password-reset/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    return settings


def attempt(client, username, password, ip="203.0.113.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(username: str) -> Client:
    """A session without a password (django-axes wants a request for Client.login)."""
    c = Client()
    c.force_login(User.objects.get(username=username))
    return c


def lock_out(username: str):
    c = Client()
    for _ in range(5):
        attempt(c, username, "wrong")
    r = attempt(c, username, DEMO_PASSWORD)
    assert r.status_code == 429
    return r


@pytest.mark.django_db
def test_forgotten_password_reset_by_email_through_the_outbox(settings, axes_on):
    settings.SITE_URL = "https://ita.example.go.th"
    set_email("ksk-viewer", "viewer@example.org")
    locked = lock_out("ksk-viewer")
    page = locked.content.decode()
    assert "ลืมรหัสผ่าน?" in page and reverse("password_reset") in page and "ผู้ประสานงาน ITA" in page

    login_page = Client().get("/login/").content.decode()
    assert "ลืมรหัสผ่าน?" in login_page and 'href="/password-reset/"' in login_page

    c = Client()
    r = c.post(reverse("password_reset"), {"email": "Viewer@Example.org"})
    assert r.status_code == 302 and r["Location"] == reverse("password_reset_done")
    assert "ตรวจสอบอีเมลของคุณ" in c.get(r["Location"]).content.decode()
    assert mail.outbox == []  # queued, not sent by the request
    message = OutboundMessage.objects.get(recipient__username="ksk-viewer")
    assert message.sensitive and message.channel == Channel.EMAIL and message.agency.code == KSK

    assert outbox_deliver_due().sent == 1
    [sent] = mail.outbox
    assert sent.to == ["viewer@example.org"]
    assert sent.subject == "ITA Portal: ลิงก์สำหรับตั้งรหัสผ่านใหม่ (ksk-viewer)"
    assert "ชื่อผู้ใช้ของคุณคือ: ksk-viewer" in sent.body and "ภายใน 24 ชั่วโมง" in sent.body
    assert "https://ita.example.go.th/password-reset/" in sent.body
    message.refresh_from_db()
    assert message.body == ERASED  # the link is not kept in the database

    link = reset_link(sent)
    r = c.get(link)
    assert r.status_code == 302  # Django swaps the token for a session and redirects
    form_url = r["Location"]
    page = c.get(form_url).content.decode()
    assert "ตั้งรหัสผ่านใหม่" in page and "รหัสผ่านต้องยาวอย่างน้อย 8 ตัวอักษร" in page
    r = c.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    body = r.content.decode()
    assert r.status_code == 200 and "รหัสผ่านเป็นตัวเลขทั้งหมด" in body and "รหัสผ่านนี้ใช้กันทั่วไป" in body
    r = c.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert "รหัสผ่านทั้งสองช่องไม่ตรงกัน" in r.content.decode()
    r = c.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert r.status_code == 302 and r["Location"] == reverse("password_reset_complete")

    # The new password works at once, from the address that was locked out, and the link is spent.
    assert attempt(Client(), "ksk-viewer", NEW_PASSWORD).status_code == 302
    assert "ลิงก์ใช้ไม่ได้" in Client().get(link, follow=True).content.decode()
    event = AccountEvent.objects.get(username="ksk-viewer", action=AccountEvent.Action.PASSWORD_RESET)
    assert event.agency.code == KSK and event.actor.username == "ksk-viewer"


@pytest.mark.django_db
def test_reset_for_an_unknown_address_looks_the_same_and_queues_nothing():
    r = Client().post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert r.status_code == 302 and r["Location"] == reverse("password_reset_done")
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db
def test_repeated_reset_requests_queue_one_mail():
    set_email("ksk-exec", "exec@example.org")
    for _ in range(3):
        Client().post(reverse("password_reset"), {"email": "exec@example.org"})
    assert OutboundMessage.objects.filter(recipient__username="ksk-exec").count() == 1


@pytest.mark.django_db
def test_password_validators_speak_thai(settings):
    from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
    from django.core.exceptions import ValidationError

    user = User(username="somchai", first_name="สมชาย", email="somchai@example.org")
    cases = {
        "short1": "รหัสผ่านสั้นเกินไป ต้องยาวอย่างน้อย 8 ตัวอักษร",
        "somchai1": "รหัสผ่านคล้ายกับชื่อผู้ใช้มากเกินไป",
        "password": "รหัสผ่านนี้ใช้กันทั่วไปและเดาได้ง่าย",
        "1234567890123": "รหัสผ่านเป็นตัวเลขทั้งหมด",
    }
    for password, expected in cases.items():
        with pytest.raises(ValidationError) as exc:
            validate_password(password, user)
        assert expected in exc.value.messages, (password, exc.value.messages)
    validate_password(NEW_PASSWORD, user)
    texts = password_validators_help_texts()
    assert len(texts) == 4 and all(re.search("[ก-๙]", t) for t in texts)


@pytest.mark.django_db
def test_password_change_from_the_account_page():
    c = login("ksk-staff1")
    page = c.get(reverse("my_account")).content.decode()
    assert "บัญชีของฉัน" in page and reverse("password_change") in page
    r = c.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert "รหัสผ่านปัจจุบันไม่ถูกต้อง" in r.content.decode()
    r = c.post(
        reverse("password_change"),
        {"old_password": DEMO_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert r.status_code == 302 and r["Location"] == reverse("password_change_done")
    assert c.get(reverse("my_account")).status_code == 200  # still signed in
    assert Client().login(username="ksk-staff1", password=NEW_PASSWORD)
    assert AccountEvent.objects.filter(username="ksk-staff1", action="password_changed", agency__code=KSK).count() == 1


@pytest.mark.django_db
def test_the_account_page_sets_email_and_channel():
    c = login("ksk-staff1")
    url = reverse("my_account")
    r = c.post(url, {"email": "staff1@example.org", "channel": "line", "line_user_id": "bad"})
    assert "LINE user ID ต้องขึ้นต้นด้วย U" in r.content.decode()
    assert User.objects.get(username="ksk-staff1").email == ""  # nothing written
    line_id = "U" + "a" * 32
    r = c.post(url, {"email": "staff1@example.org", "channel": "line", "line_user_id": line_id})
    assert r.status_code == 302
    assert User.objects.get(username="ksk-staff1").email == "staff1@example.org"
    pref = ContactPreference.objects.get(user__username="ksk-staff1")
    assert (pref.channel, pref.line_user_id) == ("line", line_id)
    actions = set(AccountEvent.objects.filter(username="ksk-staff1").values_list("action", flat=True))
    assert actions == {"email_changed", "contact_changed"}
    # The header links to the account page.
    assert 'href="/account/"' in c.get(reverse("measures:dashboard", kwargs={"code": KSK})).content.decode()


@pytest.mark.django_db
def test_coordinator_sets_a_members_email_and_it_is_recorded():
    viewer = Membership.objects.get(agency__code=KSK, user__username="ksk-viewer")
    c = login("ksk-coord")
    url = reverse("agencies:member_edit", kwargs={"code": KSK, "pk": viewer.pk})
    assert 'name="email"' in c.get(url).content.decode()
    r = c.post(url, {"email": "viewer@example.org", "role": "viewer", "position": ""})
    assert r.status_code == 302
    assert User.objects.get(username="ksk-viewer").email == "viewer@example.org"
    event = AccountEvent.objects.get(username="ksk-viewer", action="email_changed")
    assert event.actor.username == "ksk-coord" and event.agency.code == KSK and "viewer@example.org" in event.note
    assert "viewer@example.org" in c.get(reverse("agencies:members", kwargs={"code": KSK})).content.decode()
    # A new member gets an e-mail too.
    r = c.post(
        reverse("agencies:member_create", kwargs={"code": KSK}),
        {
            "username": "ksk-new",
            "first_name": "ใหม่",
            "email": "new@example.org",
            "password": "a-Long-pass-2567",
            "role": "viewer",
        },
    )
    assert r.status_code == 302 and User.objects.get(username=f"{KSK}.ksk-new").email == "new@example.org"


@pytest.mark.django_db
def test_coordinator_cannot_take_over_an_account_that_reaches_another_agency():
    viewer = Membership.objects.get(agency__code=KSK, user__username="ksk-viewer")
    Membership.objects.create(user=viewer.user, agency=Agency.objects.get(code="pak-kran"), role="coordinator")
    set_email("ksk-viewer", "viewer@example.org")
    c = login("ksk-coord")
    url = reverse("agencies:member_edit", kwargs={"code": KSK, "pk": viewer.pk})
    page = c.get(url).content.decode()
    assert "ผู้ใช้นี้เป็นสมาชิกของหน่วยงานอื่นด้วย" in page
    c.post(url, {"email": "attacker@example.org", "role": "viewer", "position": ""})
    assert User.objects.get(username="ksk-viewer").email == "viewer@example.org"
    old_hash = User.objects.get(username="ksk-viewer").password
    pw_url = reverse("agencies:member_password", kwargs={"code": KSK, "pk": viewer.pk})
    r = c.post(pw_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert r.status_code == 200 and "ผู้ใช้นี้เป็นสมาชิกของหน่วยงานอื่นด้วย" in r.content.decode()
    assert User.objects.get(username="ksk-viewer").password == old_hash
    assert not AccountEvent.objects.filter(username="ksk-viewer").exists()


@pytest.mark.django_db
def test_coordinator_sets_a_temporary_password_that_also_unlocks(axes_on):
    lock_out("ksk-exec")
    member = Membership.objects.get(agency__code=KSK, user__username="ksk-exec")
    c = signed_in("ksk-coord")
    url = reverse("agencies:member_password", kwargs={"code": KSK, "pk": member.pk})
    page = c.get(url).content.decode()
    assert "ตั้งรหัสผ่านชั่วคราว" in page and "ถูกระงับการเข้าสู่ระบบ" in page
    r = c.post(url, {"password1": "12345678", "password2": "12345678"})
    assert "รหัสผ่านเป็นตัวเลขทั้งหมด" in r.content.decode()
    r = c.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert r.status_code == 302
    assert attempt(Client(), "ksk-exec", NEW_PASSWORD).status_code == 302
    event = AccountEvent.objects.get(username="ksk-exec", action="password_set")
    assert event.actor.username == "ksk-coord" and event.agency.code == KSK


@pytest.mark.django_db
def test_coordinator_unlocks_a_locked_member(axes_on):
    lock_out("ksk-staff2")
    assert AccessAttempt.objects.filter(username="ksk-staff2").exists()
    c = signed_in("ksk-coord")
    members = c.get(reverse("agencies:members", kwargs={"code": KSK})).content.decode()
    assert members.count("ถูกระงับการเข้าสู่ระบบ") == 1 and "ปลดล็อก ksk-staff2" in members
    member = Membership.objects.get(agency__code=KSK, user__username="ksk-staff2")
    r = c.post(reverse("agencies:member_unlock", kwargs={"code": KSK, "pk": member.pk}))
    assert r.status_code == 302
    assert not AccessAttempt.objects.filter(username="ksk-staff2").exists()
    assert attempt(Client(), "ksk-staff2", DEMO_PASSWORD).status_code == 302
    event = AccountEvent.objects.get(username="ksk-staff2", action="unlocked")
    assert event.actor.username == "ksk-coord" and event.note.startswith("ล้างประวัติการเข้าสู่ระบบผิด")


@pytest.mark.django_db
def test_another_agencys_members_are_404_to_a_coordinator():
    foreign = Membership.objects.filter(agency__code="pak-kran").first()
    c = login("ksk-coord")
    for name in ("agencies:member_password", "agencies:member_unlock"):
        url = reverse(name, kwargs={"code": KSK, "pk": foreign.pk})
        assert c.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 404
    assert not AccountEvent.objects.exists()


@pytest.mark.django_db
def test_account_events_are_on_the_agencys_audit_page():
    member = Membership.objects.get(agency__code=KSK, user__username="ksk-exec")
    c = login("ksk-coord")
    c.post(
        reverse("agencies:member_password", kwargs={"code": KSK, "pk": member.pk}),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    c.post(reverse("agencies:member_unlock", kwargs={"code": KSK, "pk": member.pk}))
    audit = login("ksk-viewer").get("/a/pak-kran/audit/")  # another agency's page: not theirs
    assert audit.status_code in (403, 404)
    # The executive, whose password the coordinator set, must set their own before anything else.
    r = signed_in("ksk-exec").get(f"/a/{KSK}/audit/?type=account")
    assert r.status_code == 302 and r["Location"] == reverse("password_change")
    r = signed_in("ksk-coord").get(f"/a/{KSK}/audit/?type=account")
    rows = [(e.action, e.who, e.item) for e in r.context["entries"]]
    assert [a for a, _, _ in rows] == ["ปลดล็อกการเข้าสู่ระบบ", "ผู้ประสานงานตั้งรหัสผ่านชั่วคราว"]
    assert all("ksk-coord" in who and "ksk-exec" in item for _, who, item in rows)
    pkr = signed_in("pkr-coord").get("/a/pak-kran/audit/?type=account")
    assert list(pkr.context["entries"]) == []
