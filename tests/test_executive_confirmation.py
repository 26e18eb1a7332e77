"""An executive a coordinator set up is confirmed by the oversight office over the agency (or a
Django administrator), on a Thai page of the oversight app: issue 16, item 4."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.access import access_for
from agencies.models import AccountEvent, Agency, Membership, OversightScope, Role
from agencies.selectors_accounts import approval_refusal
from agencies.services import ServiceError, member_update
from agencies.services_accounts import membership_confirm

from .conftest import login
from .test_approver_accounts import create_member

KSK = "khao-samo-khon"  # จังหวัดลพบุรี
PAGE = "/oversight/executives/"
Action = AccountEvent.Action


def decide(client, membership, decision):
    return client.post(reverse("oversight:executive_decide", kwargs={"pk": membership.pk, "decision": decision}))


def fresh(membership) -> Membership:
    return Membership.objects.get(pk=membership.pk)


def office(username: str, province: str):
    user = get_user_model().objects.create_user(username)
    OversightScope.objects.create(user=user, title=f"สำนักงานจังหวัด{province}", province=province)
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_the_oversight_office_over_the_agency_confirms_an_executive_a_coordinator_set_up():
    coord = login("ksk-coord")
    member = create_member(coord, "exec3", "executive")
    members = coord.get(f"/a/{KSK}/members/").content.decode()
    assert "รอหน่วยงานกำกับดูแลยืนยัน" in members and "รอผู้ดูแลระบบยืนยัน" not in members
    lopburi = login("lopburi-office")
    page = lopburi.get(PAGE).content.decode()
    assert "ผู้บริหาร ทดลอง" in page and Agency.objects.get(code=KSK).name in page
    assert "ผู้ประสานงานสร้างบัญชีพร้อมรหัสผ่านชั่วคราว" in page  # how, by whom (from the AccountEvent)
    coordinator_name = get_user_model().objects.get(username="ksk-coord").get_full_name()
    assert coordinator_name and coordinator_name in page
    assert "ยืนยันผู้บริหาร" in page and "ไม่ยืนยัน" in page
    assert "ผู้บริหารที่รอยืนยันบทบาท" in lopburi.get("/oversight/").content.decode()  # linked from the overview
    assert "exec3" in login("national-office").get(PAGE).content.decode()  # the whole country too

    r = decide(lopburi, member, "confirm")
    assert r.status_code == 302 and r["Location"] == PAGE
    assert not fresh(member).needs_confirmation
    event = AccountEvent.objects.get(user=member.user, action=Action.EXECUTIVE_CONFIRMED)
    assert event.actor.username == "lopburi-office" and event.agency.code == KSK
    assert event.note == "หน่วยงานกำกับดูแล: สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดลพบุรี"
    assert "หรือผู้ดูแลระบบยืนยันก่อน" not in approval_refusal(membership=fresh(member))  # no longer blocks
    assert "exec3" not in lopburi.get(PAGE).content.decode()
    assert "รอหน่วยงานกำกับดูแลยืนยัน" not in coord.get(f"/a/{KSK}/members/").content.decode()
    # A second press (or a second office) changes nothing and records nothing.
    page = lopburi.post(
        reverse("oversight:executive_decide", kwargs={"pk": member.pk, "decision": "confirm"}), follow=True
    ).content.decode()
    assert "ได้รับการพิจารณาไปแล้ว" in page
    assert AccountEvent.objects.filter(user=member.user, action=Action.EXECUTIVE_CONFIRMED).count() == 1


@pytest.mark.django_db
def test_not_confirmed_takes_the_executive_role_back():
    coord = login("ksk-coord")
    member = create_member(coord, "exec4", "executive")
    version = member.version
    r = login("lopburi-office").post(
        reverse("oversight:executive_decide", kwargs={"pk": member.pk, "decision": "decline"}), follow=True
    )
    assert "เปลี่ยนเป็นผู้อ่านอย่างเดียวแล้ว" in r.content.decode()
    m = fresh(member)
    assert (m.role, m.needs_confirmation, m.version) == (Role.VIEWER, False, version + 1)
    event = AccountEvent.objects.get(user=member.user, action=Action.EXECUTIVE_DECLINED)
    assert event.actor.username == "lopburi-office"
    # The coordinator may set the role up again: it waits for confirmation again, recorded as such.
    member_update(
        access=access_for(get_user_model().objects.get(username="ksk-coord"), m.agency),
        membership=m,
        role=Role.EXECUTIVE,
        position="",
        divisions=[],
    )
    assert fresh(member).needs_confirmation
    assert AccountEvent.objects.filter(user=member.user, action=Action.EXECUTIVE_ROLE_SET).exists()
    assert "ผู้ประสานงานกำหนดบทบาทผู้บริหาร" in login("lopburi-office").get(PAGE).content.decode()


@pytest.mark.django_db
def test_offices_outside_the_agency_and_agency_members_cannot_confirm():
    coord = login("ksk-coord")
    member = create_member(coord, "exec5", "executive")
    chaiyaphum = office("chaiyaphum-office", "ชัยภูมิ")
    assert "exec5" not in chaiyaphum.get(PAGE).content.decode()
    for decision in ("confirm", "decline"):
        assert decide(chaiyaphum, member, decision).status_code == 404
    # Portal roles without an oversight scope: 403, as on every oversight page.
    for username in ("ksk-coord", "ksk-exec"):
        c = login(username)
        assert c.get(PAGE).status_code == 403
        assert decide(c, member, "confirm").status_code == 403
    assert decide(login("lopburi-office"), member, "promote").status_code == 404
    # The service itself refuses an office whose scope does not cover the agency (not only the view).
    with pytest.raises(ServiceError, match="ครอบคลุมหน่วยงานนี้"):
        membership_confirm(membership=member, actor=get_user_model().objects.get(username="chaiyaphum-office"))
    assert (
        login("lopburi-office").get(reverse("oversight:executive_decide", args=[member.pk, "confirm"])).status_code
        == 405
    )
    assert fresh(member).needs_confirmation and fresh(member).role == Role.EXECUTIVE

    # An office that is also a member of the agency cannot confirm an executive of it.
    lopburi = get_user_model().objects.get(username="lopburi-office")
    Membership.objects.create(user=lopburi, agency=Agency.objects.get(code=KSK), role=Role.VIEWER)
    page = (
        login("lopburi-office")
        .post(reverse("oversight:executive_decide", args=[member.pk, "confirm"]), follow=True)
        .content.decode()
    )
    assert "สมาชิกของหน่วยงานยืนยันบทบาทผู้บริหารของหน่วยงานตนเองไม่ได้" in page
    assert fresh(member).needs_confirmation
    with pytest.raises(ServiceError):
        membership_confirm(membership=member, actor=get_user_model().objects.get(username="ksk-coord"))
    assert not AccountEvent.objects.filter(user=member.user, action=Action.EXECUTIVE_CONFIRMED).exists()


@pytest.mark.django_db
def test_an_invited_executive_shows_who_sent_the_invitation(mailoutbox):
    from accounts.services_invitations import invitation_register, invitation_send

    agency = Agency.objects.get(code=KSK)
    coord = get_user_model().objects.get(username="ksk-coord")
    invitation = invitation_send(
        access=access_for(coord, agency),
        email="new-exec@example.org",
        role=Role.EXECUTIVE,
        position="นายก",
        divisions=[],
        actor=coord,
    )
    invitation_register(invitation=invitation, first_name="นายก", last_name="เชิญมา", password="Own-pass-2567-abc")
    page = login("lopburi-office").get(PAGE).content.decode()
    assert "นายก เชิญมา" in page and "ตอบรับคำเชิญ" in page and coord.get_full_name() in page


@pytest.mark.django_db
def test_the_page_runs_a_fixed_number_of_queries():
    coord = login("ksk-coord")
    lopburi = login("lopburi-office")
    create_member(coord, "q1", "executive")
    lopburi.get(PAGE)  # warm what is not ours (content types, sessions)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert lopburi.get(PAGE).status_code == 200
        return len(ctx.captured_queries)

    one = queries()
    for i in range(2, 8):
        create_member(coord, f"q{i}", "executive")
    # Session, user, scope, the count and page of memberships, their set-up events.
    assert queries() == one == 6
