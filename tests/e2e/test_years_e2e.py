"""A new fiscal year in a real browser, without the Django admin: the coordinator starts 2570 from
the agency's last measures, and division staff switch between 2569 and 2570 on งานของฉัน."""

from measures.models import Measure

from .conftest import E2E, KSK

pytestmark = E2E


def choose_year(page, year: int) -> None:
    page.get_by_label("ปีงบประมาณ", exact=True).select_option(str(year))
    with page.expect_navigation():
        page.locator("form.year-select").get_by_role("button", name="แสดง").click()


def test_coordinator_opens_2570_and_staff_switch_years(people):
    coord = people("ksk-coord")
    page = coord.page
    with page.expect_navigation():
        page.get_by_role("link", name="มาตรการ", exact=True).click()
    choose_year(page, 2570)
    assert "ปีงบประมาณ 2570" in page.content() and "ยังไม่มีมาตรการในปีนี้" in page.content()
    with page.expect_navigation():
        page.get_by_role("link", name="เริ่มปีใหม่จากมาตรการปีที่แล้ว").first.click()
    assert "/measures/copy-year/?year=2570" in page.url
    assert "กรอบการประเมินปีนี้ยังไม่ยืนยัน — คัดลอกจากปี 2569" in page.content()
    # The agency's last measures are those of 2567: the form proposes that year.
    assert page.get_by_label("คัดลอกจากปีงบประมาณ (พ.ศ.)").input_value() == "2567"
    with page.expect_navigation():
        page.get_by_role("button", name="เริ่มปีใหม่จากมาตรการปีที่แล้ว").click()
    assert "คัดลอกมาตรการ 9 รายการ จากปี 2567 มายังปี 2570 แล้ว" in page.content()
    assert page.url.endswith("?year=2570")
    assert Measure.objects.filter(agency__code=KSK, year__be_year=2570).count() == 9
    assert not any("/admin/" in url for url in [page.url])

    staff = people("ksk-staff1")
    page = staff.page
    with page.expect_navigation():
        page.get_by_role("link", name="งานของฉัน").click()
    choose_year(page, 2569)
    assert "งานของฉัน · ปีงบประมาณ 2569" in page.content()
    assert "ไม่มีมาตรการที่ต้องรายงานในรอบนี้" in page.content()
    choose_year(page, 2570)
    assert "งานของฉัน · ปีงบประมาณ 2570" in page.content()
    assert page.get_by_role("link", name="บันทึกผล").count() > 0
    # The round tab keeps the year.
    with page.expect_navigation():
        page.get_by_role("link", name="รอบ 12 เดือน").click()
    assert "year=2570" in page.url and "งานของฉัน · ปีงบประมาณ 2570" in page.content()
    assert page.get_by_label("ปีงบประมาณ", exact=True).input_value() == "2570"
