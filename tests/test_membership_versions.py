"""Two coordinators changing the same member's role or divisions: the second save, made on a form
opened before the first, is refused with the Thai conflict message and keeps what they typed."""

import pytest

from agencies.models import Division, Membership

from .conftest import login

KSK = "khao-samo-khon"


def member_url(m: Membership) -> str:
    return f"/a/{KSK}/members/{m.pk}/"


@pytest.mark.django_db
def test_a_stale_membership_save_is_refused_and_nothing_is_lost():
    first, second = login("ksk-coord"), login("ksk-coord")
    staff = Membership.objects.get(user__username="ksk-staff1", agency__code=KSK)
    kept = list(staff.divisions.values_list("pk", flat=True))
    # Both open the form on version 1.
    for client in (first, second):
        page = client.get(member_url(staff)).content.decode()
        assert f'name="version" value="{staff.version}"' in page
    version = staff.version
    # The first moves the member to another division.
    other = Division.objects.filter(agency__code=KSK).exclude(pk__in=kept).first()
    r = first.post(
        member_url(staff),
        {"role": "staff", "position": "นักวิชาการ", "divisions": [other.pk], "version": version},
    )
    assert r.status_code == 302
    staff.refresh_from_db()
    assert staff.version == version + 1 and list(staff.divisions.values_list("pk", flat=True)) == [other.pk]
    # The second, on the old form, would make them a viewer with no division: refused, text kept.
    r = second.post(member_url(staff), {"role": "viewer", "position": "ตำแหน่งที่พิมพ์ไว้", "version": version})
    page = r.content.decode()
    assert r.status_code == 200 and "หลังจากที่คุณเปิดแบบฟอร์ม ระบบจึงไม่บันทึกทับ" in page
    assert 'value="ตำแหน่งที่พิมพ์ไว้"' in page
    staff.refresh_from_db()
    assert (staff.role, staff.position, staff.version) == ("staff", "นักวิชาการ", version + 1)
    assert list(staff.divisions.values_list("pk", flat=True)) == [other.pk]
    # Reloaded, the second coordinator's save goes through.
    r = second.post(member_url(staff), {"role": "viewer", "position": "ผู้อ่าน", "version": staff.version})
    assert r.status_code == 302
    staff.refresh_from_db()
    assert (staff.role, staff.version) == ("viewer", version + 2) and not staff.divisions.exists()
