"""Coordinator pages: measures, activities, scores and a new year copied from the last."""

from decimal import Decimal as D

import pytest

from agencies.models import Division
from assessments.models import AssessmentResult, Indicator
from measures.models import Activity, Measure

from .conftest import login

KSK = "khao-samo-khon"


@pytest.mark.django_db
def test_create_measure_and_activity():
    c = login("ksk-coord")
    division = Division.objects.get(agency__code=KSK, name="กองคลัง")
    indicator = Indicator.objects.get(year__be_year=2568, number=2)
    r = c.post(
        f"/a/{KSK}/measures/new/?year=2568",
        {"year": "2568", "title": "เปิดเผยแผนการจัดซื้อจัดจ้างประจำปี", "steps": "1. จัดทำแผน\n2. เผยแพร่",
         "divisions": [division.pk], "indicators": [indicator.pk], "period": "ต.ค. 2567 – ก.ย. 2568"},
    )  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:2000]
    m = Measure.objects.get(agency__code=KSK, year__be_year=2568, title="เปิดเผยแผนการจัดซื้อจัดจ้างประจำปี")
    assert list(m.divisions.all()) == [division] and list(m.indicators.all()) == [indicator]
    r = c.post(f"/a/{KSK}/measures/{m.pk}/activities/new/", {"title": "ประกาศแผนบนเว็บไซต์"})
    assert r.status_code == 302
    assert Activity.objects.get(measure=m).title == "ประกาศแผนบนเว็บไซต์"
    # An indicator of another year is not a valid choice.
    other = Indicator.objects.get(year__be_year=2565, number=2)
    r = c.post(f"/a/{KSK}/measures/{m.pk}/edit/", {"title": "x", "indicators": [other.pk]})
    assert r.status_code == 200 and list(m.indicators.all()) == [indicator]


@pytest.mark.django_db
def test_scores_form_checks_levels_of_that_year():
    c = login("ksk-coord")
    data = {"overall": "91.50", "level_awarded": "A"} | {f"ind_{n}": "90" for n in range(1, 11)}
    r = c.post(f"/a/{KSK}/scores/2568/edit/", data)
    assert r.status_code == 200 and "ไม่มีในเกณฑ์ปี 2568" in r.content.decode()
    assert not AssessmentResult.objects.filter(agency__code=KSK, year__be_year=2568).exists()
    r = c.post(f"/a/{KSK}/scores/2568/edit/", data | {"level_awarded": "ผ่านดี", "overall": "101"})
    assert r.status_code == 200 and not AssessmentResult.objects.filter(agency__code=KSK, year__be_year=2568).exists()
    r = c.post(f"/a/{KSK}/scores/2568/edit/", data | {"level_awarded": "ผ่านดี"})
    assert r.status_code == 302
    result = AssessmentResult.objects.get(agency__code=KSK, year__be_year=2568)
    assert result.overall == D("91.50") and result.indicator_scores.count() == 10
    page = c.get(f"/a/{KSK}/").content.decode()
    assert "91.50" in page and "−1.34" in page  # against 92.84 in 2567


@pytest.mark.django_db
def test_copy_last_years_measures_into_a_new_year():
    c = login("ksk-coord")
    r = c.post(f"/a/{KSK}/measures/copy-year/?year=2568", {"year": "2568", "from_year": "2567"})
    assert r.status_code == 302
    new = Measure.objects.filter(agency__code=KSK, year__be_year=2568)
    old = Measure.objects.filter(agency__code=KSK, year__be_year=2567)
    assert new.count() == old.count() == 9
    first = new.order_by("order").first()
    assert first.issue.year.be_year == 2568 and first.issue.number == 1
    assert not first.progress.exists()
    assert set(first.divisions.values_list("name", flat=True)) == set(
        old.order_by("order").first().divisions.values_list("name", flat=True)
    )
    # Copying again is refused, nothing duplicated.
    r = c.post(f"/a/{KSK}/measures/copy-year/?year=2568", {"year": "2568", "from_year": "2567"})
    assert "มีมาตรการอยู่แล้ว" in r.content.decode() and new.count() == 9


@pytest.mark.django_db
def test_an_imported_measure_without_a_title_can_be_edited_and_given_one():
    """The workbook import accepts a measure named only by its issue to improve; so does the form."""
    from agencies.models import Agency
    from assessments.models import FiscalYear

    focus = "ยังไม่เปิดเผยแผนการจัดซื้อจัดจ้าง"
    m = Measure.objects.create(
        agency=Agency.objects.get(code=KSK), year=FiscalYear.objects.get(be_year=2568), order=99, focus=focus
    )
    c = login("ksk-coord")
    assert c.get(f"/a/{KSK}/measures/{m.pk}/edit/").status_code == 200
    r = c.post(f"/a/{KSK}/measures/{m.pk}/edit/", {"focus": focus, "budget": "5000", "version": m.version})
    assert r.status_code == 302, r.content.decode()[:2000]
    m.refresh_from_db()
    assert m.title == "" and m.budget == D("5000")
    r = c.post(f"/a/{KSK}/measures/{m.pk}/edit/", {"focus": focus, "title": "เปิดเผยแผนบนเว็บไซต์", "version": m.version})
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.title == "เปิดเผยแผนบนเว็บไซต์"
    # Neither a title nor an issue: refused in Thai, nothing changed.
    r = c.post(f"/a/{KSK}/measures/{m.pk}/edit/", {"focus": "", "title": "", "version": m.version})
    assert r.status_code == 200 and "กรุณากรอกชื่อมาตรการ/กิจกรรม" in r.content.decode()
    m.refresh_from_db()
    assert m.title == "เปิดเผยแผนบนเว็บไซต์" and m.focus == focus
