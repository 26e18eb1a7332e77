"""Find things fast (#13): search and filters on งานของฉัน, the measure list and the member list;
Thai words are found inside compounds; results come a page at a time; a search never leaves one
person's words in the page cache that others read."""

import re

import pytest

from agencies.models import Division, Membership
from ita_portal import thai
from measures.models import Activity, Measure

from .conftest import login

KSK = "khao-samo-khon"


@pytest.mark.parametrize(
    "query, text, found",
    [
        ("หน้าที่", "จัดทำคู่มือการปฏิบัติงานของเจ้าหน้าที่", True),  # a word inside a compound
        ("ประชุมเจ้าหน้าที่", "จัดประชุมชี้แจงเจ้าหน้าที่ทุกกอง", True),  # typed without a space, cut into words
        ("ประชุม งบประมาณ", "จัดประชุมชี้แจงเจ้าหน้าที่ทุกกอง", False),  # every part must be there
        ("ทุจริต", "การป้องกันการทุจริตและประพฤติมิชอบ", True),
        ("๒๕๖๗", "แผนปี 2567", True),  # Thai digits
        ("e-service", "ระบบ E-Service ของหน่วยงาน", True),  # any case
    ],
)
def test_thai_words_are_found_inside_compounds(query, text, found):
    assert thai.search_matches(thai.search_normalize(text), thai.search_terms(query)) is found


def rows(html: str) -> list[str]:
    """The measure titles a list page shows, in order."""
    return re.findall(r'<td class="lead"><a href="/a/[^"]+/measures/\d+/">([^<]+)</a>', html)


def test_my_work_finds_by_words_issue_and_status(db):
    staff = login("ksk-staff1")
    everything = rows(staff.get(f"/a/{KSK}/my-work/").content.decode())
    measure = Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()
    Activity.objects.create(measure=measure, order=1, title="อบรมเจ้าหน้าที่เรื่องผลประโยชน์ทับซ้อน")
    page = staff.get(f"/a/{KSK}/my-work/", {"q": "ผลประโยชน์ทับซ้อนอบรม"}).content.decode()
    assert "อบรมเจ้าหน้าที่เรื่องผลประโยชน์ทับซ้อน" in page and "พบ 1 รายการตามที่ค้นหา" in page
    assert len(rows(page)) == 1
    issue = measure.issue
    by_issue = rows(staff.get(f"/a/{KSK}/my-work/", {"issue": issue.pk}).content.decode())
    assert by_issue and all(
        Measure.objects.filter(agency__code=KSK, title__startswith=t[:30], issue=issue).exists() for t in by_issue
    )
    assert 0 < len(by_issue) < len(everything)
    nothing_done = staff.get(f"/a/{KSK}/my-work/", {"status": "done"}).content.decode()
    assert "ไม่พบรายการตามที่ค้นหา" in nothing_done
    # A value that is not a choice is ignored, not an error.
    assert staff.get(f"/a/{KSK}/my-work/", {"issue": "abc", "status": "x"}).status_code == 200


def test_measure_list_filters_by_division_and_pages(db, monkeypatch):
    coord = login("ksk-coord")
    division = Division.objects.get(agency__code=KSK, name="กองคลัง")
    page = coord.get(f"/a/{KSK}/measures/", {"division": division.pk}).content.decode()
    shown = rows(page)
    expected = Measure.objects.filter(agency__code=KSK, year__be_year=2567, divisions=division).distinct().count()
    assert len(shown) == expected > 0
    monkeypatch.setattr("measures.views.PAGE_SIZE", 3)
    first = coord.get(f"/a/{KSK}/measures/", {"year": 2567}).content.decode()
    second = coord.get(f"/a/{KSK}/measures/", {"year": 2567, "page": 2}).content.decode()
    assert len(rows(first)) == 3 and rows(second) and not set(rows(first)) & set(rows(second))
    assert 'href="?year=2567&amp;page=2"' in first and "หน้า 1 จาก" in first


def test_member_list_search(db):
    coord = login("ksk-coord")
    staff = Membership.objects.filter(agency__code=KSK, role="staff").select_related("user").first()
    page = coord.get(f"/a/{KSK}/members/", {"q": staff.user.username}).content.decode()
    assert staff.user.username in page and "พบ 1 รายการตามที่ค้นหา" in page
    by_role = coord.get(f"/a/{KSK}/members/", {"role": "executive"}).content.decode()
    assert "ksk-exec" in by_role and "ksk-staff1" not in by_role


def test_a_search_is_not_kept_for_others(db):
    """Unfiltered list pages are cached per role; what one person typed must not end up there."""
    staff = login("ksk-staff1")
    typed = "ข้อความของคนหนึ่ง" * 20  # longer than the box takes: the form refuses it, the page ignores it
    staff.get(f"/a/{KSK}/my-work/", {"q": typed, "issue": "999999"})
    page = login("ksk-staff1").get(f"/a/{KSK}/my-work/").content.decode()  # the same cache entry
    assert "ข้อความของคนหนึ่ง" not in page and "ทั้งหมด" in page


def test_a_typed_page_number_is_never_a_cache_key(db):
    """Only the first unfiltered page is cached: other page numbers (typed or not) render afresh."""
    from django.core.cache import cache

    staff = login("ksk-staff1")
    for page in ("", "2", "W4\x14", "999999"):
        assert staff.get(f"/a/{KSK}/my-work/", {"page": page}).status_code == 200
    keys = [k for k in cache._cache if "_my_work.html" in k]  # the local-memory cache of the tests
    assert len(keys) == 1 and "W4" not in keys[0] and "999999" not in keys[0]  # the first page's only
