"""Roles enforced in views and querysets, not only hidden in menus."""

import pytest
from django.contrib.auth import get_user_model

from agencies.models import Agency, Division, Membership, Role
from measures.models import Measure

from .conftest import login

KSK = "khao-samo-khon"


def staff_of(division_name: str, agency=KSK):
    user = get_user_model().objects.create_user("edu-staff", password="x")
    m = Membership.objects.create(
        user=user, agency_id=Division.objects.get(agency__code=agency, name=division_name).agency_id, role=Role.STAFF
    )
    m.divisions.set([Division.objects.get(agency__code=agency, name=division_name)])
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_staff_get_403_on_another_divisions_measure():
    edu = staff_of("กองการศึกษา ศาสนาและวัฒนธรรม")
    not_theirs = Measure.objects.filter(agency__code=KSK).exclude(divisions__name="กองการศึกษา ศาสนาและวัฒนธรรม").first()
    theirs = Measure.objects.filter(agency__code=KSK, divisions__name="กองการศึกษา ศาสนาและวัฒนธรรม").first()
    assert not_theirs and theirs
    assert edu.get(f"/a/{KSK}/measures/{not_theirs.pk}/").status_code == 403
    assert edu.get(f"/a/{KSK}/measures/{not_theirs.pk}/progress/six_month/").status_code == 403
    r = edu.post(f"/a/{KSK}/measures/{not_theirs.pk}/progress/six_month/", {"status": "done"})
    assert r.status_code == 403
    assert not not_theirs.progress.filter(round="six_month").exists()
    assert edu.get(f"/a/{KSK}/measures/{theirs.pk}/").status_code == 200
    # Their list and my-work show only their division's measures.
    listing = edu.get(f"/a/{KSK}/measures/").content.decode()
    assert f"/measures/{not_theirs.pk}/" not in listing
    assert f"/measures/{theirs.pk}/" in listing
    work = edu.get(f"/a/{KSK}/my-work/").content.decode()
    assert f"/measures/{not_theirs.pk}/progress" not in work


@pytest.mark.django_db
def test_agency_a_never_sees_agency_b():
    ksk = login("ksk-coord")
    other = Measure.objects.filter(agency__code="pak-kran").first()
    for url in [
        "/a/pak-kran/",
        "/a/pak-kran/my-work/",
        "/a/pak-kran/measures/",
        f"/a/pak-kran/measures/{other.pk}/",
        "/a/pak-kran/scores/2567/edit/",
        "/a/pak-kran/members/",
        f"/a/{KSK}/measures/{other.pk}/",  # another agency's id under one's own code
        f"/a/{KSK}/measures/{other.pk}/progress/annual/",
    ]:
        assert ksk.get(url).status_code == 404, url
    home = ksk.get("/", follow=True).content.decode()
    assert "ปากกราน" not in home


@pytest.mark.django_db
def test_read_only_roles_cannot_write():
    m = Measure.objects.filter(agency__code=KSK).first()
    for user in ("ksk-exec", "ksk-viewer", "lopburi-office"):
        c = login(user)
        assert c.get(f"/a/{KSK}/measures/{m.pk}/").status_code == 200
        assert c.get(f"/a/{KSK}/measures/{m.pk}/progress/annual/").status_code == 403, user
        assert c.get(f"/a/{KSK}/members/").status_code == 403, user
        assert c.get(f"/a/{KSK}/measures/new/").status_code == 403, user
        assert c.post(f"/a/{KSK}/measures/{m.pk}/delete/").status_code == 403, user
    assert Measure.objects.filter(pk=m.pk).exists()


@pytest.mark.django_db
def test_oversight_scope_is_its_province():
    c = login("lopburi-office")
    assert c.get(f"/a/{KSK}/").status_code == 200  # ลพบุรี
    assert c.get("/a/ubon-pao/").status_code == 404  # อุบลราชธานี
    national = login("national-office")
    assert national.get("/a/ubon-pao/").status_code == 200


@pytest.mark.django_db
def test_anonymous_is_sent_to_login():
    from django.test import Client

    r = Client().get(f"/a/{KSK}/")
    assert r.status_code == 302 and "/login/" in r["Location"]


@pytest.mark.django_db
def test_coordinator_manages_divisions_and_users():
    c = login("ksk-coord")
    r = c.post(f"/a/{KSK}/divisions/", {"name": "กองทดสอบ"})
    assert r.status_code == 302
    division = Division.objects.get(agency__code=KSK, name="กองทดสอบ")
    r = c.post(
        f"/a/{KSK}/members/new/",
        {
            "username": "new-staff",
            "first_name": "สมชาย",
            "password": "a-Long-pass-2567",
            "role": "staff",
            "divisions": [division.pk],
        },
    )
    assert r.status_code == 302
    m = Membership.objects.get(user__username=f"{KSK}.new-staff")  # in the agency's own name space
    assert list(m.divisions.all()) == [division]
    # Another agency's division id is not a valid choice.
    foreign = Division.objects.filter(agency__code="ubon-pao").first()
    r = c.post(f"/a/{KSK}/members/{m.pk}/", {"role": "staff", "divisions": [foreign.pk]})
    assert r.status_code == 200 and list(m.divisions.all()) == [division]
    # The last coordinator cannot be removed.
    coord = Membership.objects.get(user__username="ksk-coord")
    c.post(f"/a/{KSK}/members/{coord.pk}/remove/")
    assert Membership.objects.filter(pk=coord.pk).exists()


def _progress_post(**extra):
    return {
        "status": "in_progress",
        "output": "บันทึกโดยกองอื่น",
        "photo-TOTAL_FORMS": "0",
        "photo-INITIAL_FORMS": "0",
        "link-TOTAL_FORMS": "0",
        "link-INITIAL_FORMS": "0",
        **extra,
    }


@pytest.mark.django_db
def test_staff_cannot_record_another_divisions_activity_inside_a_measure_they_see():
    """Division A answers for the measure; one of its activities is division B's alone."""
    a = Division.objects.get(agency__code=KSK, name="กองการศึกษา ศาสนาและวัฒนธรรม")
    b = Division.objects.get(agency__code=KSK, name="สำนักปลัด")
    measure = Measure.objects.filter(agency__code=KSK).first()
    measure.divisions.set([a])
    theirs = measure.activities.create(title="กิจกรรมของมาตรการ", order=98)
    not_theirs = measure.activities.create(title="กิจกรรมของสำนักปลัด", order=99)
    theirs.divisions.set([])  # no divisions of its own: the measure's (A) answer for it
    not_theirs.divisions.set([b])
    edu = staff_of(a.name)
    assert edu.get(f"/a/{KSK}/measures/{measure.pk}/").status_code == 200
    url = f"/a/{KSK}/measures/{measure.pk}/activities/{not_theirs.pk}/progress/six_month/"
    assert edu.get(url).status_code == 403
    assert edu.post(url, _progress_post()).status_code == 403
    assert not not_theirs.progress.exists()
    assert not measure.progress.filter(output="บันทึกโดยกองอื่น").exists()
    # their own activity and the measure-level row they may record
    ok = f"/a/{KSK}/measures/{measure.pk}/activities/{theirs.pk}/progress/six_month/"
    assert edu.post(ok, _progress_post()).status_code == 302
    assert edu.post(f"/a/{KSK}/measures/{measure.pk}/progress/six_month/", _progress_post()).status_code == 302


@pytest.mark.django_db
def test_staff_cannot_record_the_measure_row_of_a_measure_seen_through_an_activity():
    """Division B answers for the measure; division A only for one of its activities."""
    a = Division.objects.get(agency__code=KSK, name="กองการศึกษา ศาสนาและวัฒนธรรม")
    b = Division.objects.get(agency__code=KSK, name="สำนักปลัด")
    measure = Measure.objects.filter(agency__code=KSK).first()
    measure.divisions.set([b])
    activity = measure.activities.create(title="กิจกรรมของกองการศึกษา", order=99)
    activity.divisions.set([a])
    edu = staff_of(a.name)
    assert edu.get(f"/a/{KSK}/measures/{measure.pk}/").status_code == 200  # seen through the activity
    url = f"/a/{KSK}/measures/{measure.pk}/progress/annual/"
    assert edu.get(url).status_code == 403
    assert edu.post(url, _progress_post()).status_code == 403
    assert not measure.progress.filter(output="บันทึกโดยกองอื่น").exists()
    ok = f"/a/{KSK}/measures/{measure.pk}/activities/{activity.pk}/progress/annual/"
    assert edu.post(ok, _progress_post()).status_code == 302
    assert activity.progress.filter(round="annual").exists()


@pytest.mark.django_db
def test_a_division_bound_to_staff_cannot_be_deleted():
    c = login("ksk-coord")
    division = Division.objects.create(agency=Agency.objects.get(code=KSK), name="กองที่มีเจ้าหน้าที่", order=99)
    staff = Membership.objects.filter(agency__code=KSK, role="staff").first()
    staff.divisions.add(division)
    r = c.post(f"/a/{KSK}/divisions/{division.pk}/", {"action": "delete", "version": division.version}, follow=True)
    assert "ลบไม่ได้: ยังมีผู้ใช้สังกัดกอง/สำนักนี้อยู่ 1 คน" in r.content.decode()
    assert Division.objects.filter(pk=division.pk).exists()
    assert division in staff.divisions.all()  # nothing changed

    staff.divisions.remove(division)  # nobody bound any more: it goes
    c.post(f"/a/{KSK}/divisions/{division.pk}/", {"action": "delete", "version": division.version})
    assert not Division.objects.filter(pk=division.pk).exists()
