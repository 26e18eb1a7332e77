"""The agency's profile, edited by its coordinator on /a/<code>/profile/ and kept in the history."""

import pytest

from agencies.models import Agency

from .conftest import login

pytestmark = pytest.mark.django_db
PKR = "pak-kran"


def test_coordinator_fills_in_the_province_and_contacts():
    agency = Agency.objects.get(code=PKR)
    assert agency.province == ""  # the demo's pak-kran has none
    c = login("pkr-coord")
    page = c.get(f"/a/{PKR}/profile/").content.decode()
    for label in ("ประเภท", "ชื่อหน่วยงาน", "อำเภอ", "จังหวัด", "โทรศัพท์ติดต่อ", "อีเมลติดต่อ", "เว็บไซต์"):
        assert label in page
    before = agency.history.count()
    r = c.post(
        f"/a/{PKR}/profile/",
        {
            "kind": agency.kind,
            "name": agency.name,
            "district": "บางปะอิน",
            "province": "พระนครศรีอยุธยา",
            "phone": "035-123456",
            "email": "saraban@pakkran.go.th",
            "website": "https://www.pakkran.go.th",
        },
    )
    assert r.status_code == 302 and r["Location"] == f"/a/{PKR}/profile/"
    agency.refresh_from_db()
    assert (agency.district, agency.province, agency.phone, agency.email, agency.website) == (
        "บางปะอิน",
        "พระนครศรีอยุธยา",
        "035-123456",
        "saraban@pakkran.go.th",
        "https://www.pakkran.go.th",
    )
    assert agency.place == "อำเภอบางปะอิน จังหวัดพระนครศรีอยุธยา"
    assert agency.history.count() == before + 1
    record = agency.history.first()
    assert record.history_user.username == "pkr-coord" and record.province == "พระนครศรีอยุธยา"


def test_profile_refusals_are_thai_and_write_nothing():
    agency = Agency.objects.get(code=PKR)
    c = login("pkr-coord")
    r = c.post(f"/a/{PKR}/profile/", {"kind": agency.kind, "name": "", "email": "not-an-email"})
    html = r.content.decode()
    assert r.status_code == 200 and "ป้อนที่อยู่อีเมลที่ถูกต้อง" in html and "ฟิลด์นี้จำเป็น" in html
    assert Agency.objects.get(code=PKR).name == agency.name
    # Only the coordinator: the agency's other roles get 403, another agency's coordinator 404.
    assert login("ksk-coord").get(f"/a/{PKR}/profile/").status_code == 404
    assert login("ksk-staff1").get("/a/khao-samo-khon/profile/").status_code == 403
