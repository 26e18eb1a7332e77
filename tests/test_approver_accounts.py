"""The approver is not an account the submitting coordinator created or controls (issue 16, item 4):
a password someone else set is changed at first login, and an executive a coordinator set up (new
account, role change, temporary password or e-mail) approves only once an administrator confirms."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from agencies.access import access_for
from agencies.models import AccountEvent, Agency, Membership
from agencies.services_accounts import membership_confirm
from reports import services
from reports.models import Report, State

from .conftest import login

KSK = "khao-samo-khon"
BASE = f"/a/{KSK}/reports/2567/annual"
TEMP = "Temp-pass-for-new-2567"
OWN = "My-own-pass-2567-x"


def report_state() -> str:
    return Report.objects.get(agency__code=KSK, year__be_year=2567, kind="annual").state


def create_member(coord: Client, name: str, role: str):
    r = coord.post(
        f"/a/{KSK}/members/new/",
        {"username": name, "first_name": "ผู้บริหาร", "last_name": "ทดลอง", "password": TEMP, "role": role},
    )
    assert r.status_code == 302, r.content.decode()
    return Membership.objects.get(agency__code=KSK, user__username=f"{KSK}.{name}")


def sign_in(username: str, password: str) -> Client:
    c = Client()
    assert c.login(username=username, password=password)
    return c


@pytest.mark.django_db
def test_a_coordinators_new_executive_changes_password_first_and_approves_only_once_confirmed():
    coord = login("ksk-coord")
    member = create_member(coord, "exec2", "executive")
    username = member.user.username
    event = AccountEvent.objects.get(user=member.user, action=AccountEvent.Action.ACCOUNT_CREATED)
    assert event.actor.username == "ksk-coord" and member.needs_confirmation
    assert "รอหน่วยงานกำกับดูแลยืนยัน" in coord.get(f"/a/{KSK}/members/").content.decode()

    # First login: every page leads to the password change until they set their own.
    exec2 = sign_in(username, TEMP)
    for path in (f"/a/{KSK}/", BASE + "/", "/account/"):
        r = exec2.get(path)
        assert r.status_code == 302 and r["Location"] == reverse("password_change"), path
    page = exec2.get(reverse("password_change")).content.decode()
    assert "ผู้อื่นเป็นผู้ตั้งให้ กรุณาตั้งรหัสผ่านของคุณเองก่อนใช้งานระบบ" in page
    r = exec2.post(reverse("password_change"), {"old_password": TEMP, "new_password1": OWN, "new_password2": OWN})
    assert r.status_code == 302
    assert exec2.get(BASE + "/").status_code == 200

    # Their own password now, but the coordinator made the account: no approval until confirmed.
    coord.post(f"{BASE}/submit/")
    r = exec2.post(f"{BASE}/approve/", follow=True)
    assert "หรือผู้ดูแลระบบยืนยันก่อน" in r.content.decode()
    assert report_state() == State.SUBMITTED

    admin = get_user_model().objects.create_superuser("root-admin", "root@example.org", "Root-pass-2567-x")
    membership_confirm(membership=Membership.objects.get(pk=member.pk), actor=admin)
    assert AccountEvent.objects.filter(user=member.user, action="executive_confirmed", actor=admin).exists()
    exec2.post(f"{BASE}/approve/")
    assert report_state() == State.APPROVED


@pytest.mark.django_db
def test_a_temporary_password_on_an_executive_stops_their_approvals():
    coord = login("ksk-coord")
    member = Membership.objects.get(agency__code=KSK, user__username="ksk-exec")
    coord.post(
        reverse("agencies:member_password", kwargs={"code": KSK, "pk": member.pk}),
        {"password1": TEMP, "password2": TEMP},
    )
    member.refresh_from_db()
    assert member.needs_confirmation
    # Whoever signs in with it (the coordinator knows it) must change it first …
    taken = sign_in("ksk-exec", TEMP)
    assert taken.get(BASE + "/")["Location"] == reverse("password_change")
    taken.post(reverse("password_change"), {"old_password": TEMP, "new_password1": OWN, "new_password2": OWN})
    # … and even then the account, once in a coordinator's hands, approves nothing until confirmed.
    coord.post(f"{BASE}/submit/")
    r = taken.post(f"{BASE}/approve/", follow=True)
    assert "หรือผู้ดูแลระบบยืนยันก่อน" in r.content.decode() and report_state() == State.SUBMITTED


@pytest.mark.django_db
def test_a_coordinator_making_someone_an_executive_needs_an_administrator():
    coord = login("ksk-coord")
    viewer = Membership.objects.get(agency__code=KSK, user__username="ksk-viewer")
    r = coord.post(f"/a/{KSK}/members/{viewer.pk}/", {"role": "executive", "version": viewer.version})
    assert r.status_code == 302
    viewer.refresh_from_db()
    assert viewer.role == "executive" and viewer.needs_confirmation
    coord.post(f"{BASE}/submit/")
    login("ksk-viewer").post(f"{BASE}/approve/")
    assert report_state() == State.SUBMITTED
    # The demo's own executive (not set up by a coordinator) approves as before.
    login("ksk-exec").post(f"{BASE}/approve/")
    assert report_state() == State.APPROVED


@pytest.mark.django_db
def test_an_executive_whose_password_someone_else_set_cannot_approve():
    agency = Agency.objects.get(code=KSK)
    executive = get_user_model().objects.get(username="ksk-exec")
    other = get_user_model().objects.get(username="ksk-coord")
    AccountEvent.objects.create(
        user=executive, username="ksk-exec", agency=agency, actor=other, action=AccountEvent.Action.PASSWORD_SET
    )
    report = Report.objects.get(agency=agency, year__be_year=2567, kind="annual")
    services.report_submit(access=access_for(other, agency), report=report)
    with pytest.raises(services.ServiceError, match="รหัสผ่านปัจจุบันของบัญชีนี้ผู้อื่นเป็นผู้ตั้งให้"):
        services.report_approve(access=access_for(executive, agency), report=report, user=executive)
    AccountEvent.objects.create(
        user=executive, username="ksk-exec", agency=agency, actor=executive, action="password_changed"
    )
    services.report_approve(access=access_for(executive, agency), report=report, user=executive)
    assert report_state() == State.APPROVED


@pytest.mark.django_db
def test_the_new_member_form_neither_reveals_nor_attaches_another_agencys_account():
    coord = login("ksk-coord")
    before = list(Membership.objects.filter(user__username="pkr-coord").values_list("agency__code", flat=True))
    create_member(coord, "pkr-coord", "viewer")  # another agency's user name: a new local account
    after = list(Membership.objects.filter(user__username="pkr-coord").values_list("agency__code", flat=True))
    assert before == after == ["pak-kran"]
    # A name taken in the agency's own space is the only clash the form can report.
    r = coord.post(
        f"/a/{KSK}/members/new/",
        {"username": "pkr-coord", "first_name": "ซ้ำ", "password": TEMP, "role": "viewer"},
    )
    assert f"หน่วยงานของคุณมีบัญชีชื่อ {KSK}.pkr-coord อยู่แล้ว" in r.content.decode()
