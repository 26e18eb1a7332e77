"""A person joins an agency by invitation (issue 16, item 5): the coordinator names an e-mail
address and learns nothing about accounts; the invited person accepts with their account or makes
one with their own password; each step is in the audit trail."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import services_invitations
from accounts.models import Invitation
from agencies.models import AccountEvent, Division, Membership
from agencies.selectors_accounts import password_set_by_other
from notifications.models import OutboundMessage

from .conftest import login

KSK = "khao-samo-khon"
INVITE = f"/a/{KSK}/members/invite/"
OWN = "Own-pass-of-mine-2567"


def link_for(email: str) -> str:
    message = OutboundMessage.objects.filter(address=email).latest("id")
    return re.search(r"https?://[^/\s]+(/invitation/[^\s]+/)", message.body).group(1)


def invite(coord: Client, email: str, role: str = "viewer", **extra) -> str:
    r = coord.post(INVITE, {"email": email, "role": role, **extra}, follow=True)
    assert r.status_code == 200
    return re.sub(r"\s+", " ", r.content.decode().replace(email, "EMAIL"))


@pytest.mark.django_db
def test_the_coordinator_learns_nothing_and_attaches_nobody():
    User = get_user_model()
    User.objects.filter(username="pkr-exec").update(email="pkr-exec@example.org")
    coord = login("ksk-coord")
    known = invite(coord, "pkr-exec@example.org")  # another agency's executive
    unknown = invite(coord, "nobody-here@example.org")

    # The same answer for both (but for the address itself and the list of sent invitations' times).
    def strip(page: str) -> str:  # the page's main part, without the sent list (times differ)
        main = re.search(r"<main.*</main>", page, flags=re.S).group(0)
        return re.sub(r'<table.*</table>|name="csrfmiddlewaretoken" value="\w+"', "", main, flags=re.S)

    assert strip(known) == strip(unknown)
    assert "ส่งคำเชิญไปที่ EMAIL แล้ว" in known
    assert not Membership.objects.filter(user__username="pkr-exec", agency__code=KSK).exists()
    assert Invitation.objects.filter(agency__code=KSK).count() == 2
    message = OutboundMessage.objects.get(address="pkr-exec@example.org")
    assert message.agency is None and message.recipient is None and "/invitation/" in message.body
    assert "องค์การบริหารส่วนตำบลเขาสมอคอน" in message.body or "เขาสมอคอน" in message.subject
    events = AccountEvent.objects.filter(agency__code=KSK, action=AccountEvent.Action.INVITED)
    assert {e.username for e in events} == {"pkr-exec@example.org", "nobody-here@example.org"}
    assert all(e.actor.username == "ksk-coord" for e in events)
    audit = coord.get(f"/a/{KSK}/audit/?type=account").content.decode()
    assert "ส่งคำเชิญเข้าร่วมหน่วยงาน" in audit and "nobody-here@example.org" in audit


@pytest.mark.django_db
def test_a_signed_in_person_accepts_with_their_own_account_once():
    coord = login("ksk-coord")
    division = Division.objects.get(agency__code=KSK, name="กองคลัง")
    invite(coord, "pkr-staff@example.org", role="staff", divisions=[division.pk], position="นักวิชาการเงิน")
    url = link_for("pkr-staff@example.org")
    person = login("pkr-staff1")
    page = person.get(url).content.decode()
    assert "คำเชิญเข้าร่วม" in page and "ตอบรับด้วยบัญชี <strong>pkr-staff1</strong>" in page
    assert person.post(url).status_code == 302
    m = Membership.objects.get(user__username="pkr-staff1", agency__code=KSK)
    assert (m.role, m.position, list(m.divisions.all())) == ("staff", "นักวิชาการเงิน", [division])
    event = AccountEvent.objects.get(agency__code=KSK, action=AccountEvent.Action.INVITATION_ACCEPTED)
    assert event.actor.username == "pkr-staff1" and event.user.username == "pkr-staff1"
    # Used once: the link is dead now, for anyone.
    for client in (person, Client(), login("ksk-viewer")):
        r = client.get(url)
        assert r.status_code == 404 and "ลิงก์คำเชิญนี้ใช้ไม่ได้" in r.content.decode()
    assert login("ksk-viewer").post(url).status_code == 404
    assert not Membership.objects.filter(user__username="ksk-viewer", agency__code=KSK).exclude(role="viewer")


@pytest.mark.django_db
def test_a_new_person_creates_an_account_with_their_own_password():
    invite(login("ksk-coord"), "New.Person@Example.org", role="executive")
    url = link_for("new.person@example.org")
    anon = Client()
    r = anon.post(url, {"first_name": "สมหญิง", "last_name": "ใจดี", "password1": "short", "password2": "short"})
    assert "รหัสผ่านสั้นเกินไป" in r.content.decode()
    assert not get_user_model().objects.filter(username="new.person@example.org").exists()
    r = anon.post(url, {"first_name": "สมหญิง", "last_name": "ใจดี", "password1": OWN, "password2": OWN})
    assert r.status_code == 302
    user = get_user_model().objects.get(username="new.person@example.org")
    assert user.check_password(OWN) and not password_set_by_other(user=user)
    m = Membership.objects.get(user=user, agency__code=KSK)
    assert m.role == "executive" and m.needs_confirmation  # a coordinator chose the role
    actions = set(AccountEvent.objects.filter(user=user).values_list("action", "actor__username"))
    assert actions == {("account_registered", user.username), ("invitation_accepted", user.username)}
    assert anon.get(f"/a/{KSK}/").status_code == 200  # signed in, and not sent to change the password


@pytest.mark.django_db
def test_forged_and_expired_links_and_an_address_with_an_account(monkeypatch):
    assert Client().get("/invitation/1:forged:token/").status_code == 404
    User = get_user_model()
    User.objects.filter(username="pkr-exec").update(email="pkr-exec@example.org")
    invite(login("ksk-coord"), "pkr-exec@example.org")
    url = link_for("pkr-exec@example.org")
    r = Client().post(url, {"first_name": "ก", "password1": OWN, "password2": OWN})
    assert "อีเมลนี้มีบัญชีในระบบอยู่แล้ว" in r.content.decode()
    assert User.objects.filter(email__iexact="pkr-exec@example.org").count() == 1
    monkeypatch.setattr(services_invitations, "INVITATION_DAYS", -1)  # every link is past its age
    r = login("pkr-exec").get(url)
    assert r.status_code == 404 and "หมดอายุ" in r.content.decode()


@pytest.mark.django_db
def test_only_the_coordinator_invites_and_the_new_member_page_names_no_existing_user():
    for username in ("ksk-staff1", "ksk-exec", "ksk-viewer"):
        assert login(username).post(INVITE, {"email": "x@example.org", "role": "coordinator"}).status_code == 403
    assert login("pkr-coord").get(INVITE).status_code == 404
    assert not Invitation.objects.exists()
    page = login("ksk-coord").get(reverse("agencies:member_create", kwargs={"code": KSK})).content.decode()
    assert "ผู้ใช้เดิม" not in page and "เชิญผู้ใช้" in page


SIMILAR = "รหัสผ่านคล้ายกับชื่อผู้ใช้มากเกินไป"


@pytest.mark.django_db
def test_every_password_form_checks_the_user_name_in_thai():
    """The low finding “the password check ignores the username and speaks English”: each way a
    password is set compares it with the account's own user name and answers in Thai."""
    coord = login("ksk-coord")
    # A coordinator's new account (the name gets the agency's prefix, and is still compared).
    r = coord.post(
        f"/a/{KSK}/members/new/",
        {"username": "somchai", "first_name": "ก", "password": "somchai-2568", "role": "viewer"},
    )
    assert SIMILAR in r.content.decode()
    # A coordinator's temporary password.
    viewer = Membership.objects.get(agency__code=KSK, user__username="ksk-viewer")
    url = reverse("agencies:member_password", kwargs={"code": KSK, "pk": viewer.pk})
    assert SIMILAR in coord.post(url, {"password1": "ksk-viewer-25", "password2": "ksk-viewer-25"}).content.decode()
    # The user's own change.
    r = login("ksk-staff1").post(
        reverse("password_change"),
        {"old_password": "ita-demo-2568", "new_password1": "ksk-staff1-pw", "new_password2": "ksk-staff1-pw"},
    )
    assert SIMILAR in r.content.decode()
    # A new account from an invitation (its user name is the invited address).
    invite(coord, "wichai@example.org")
    r = Client().post(
        link_for("wichai@example.org"), {"first_name": "ว", "password1": "wichai-2568", "password2": "wichai-2568"}
    )
    assert SIMILAR in r.content.decode()
    assert not get_user_model().objects.filter(username__in=["wichai@example.org", f"{KSK}.somchai"]).exists()
