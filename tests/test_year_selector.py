"""The year is always chosen, never lost: the default year (the year whose round is due, for a fixed
today), the year selector on the agency's pages, and Thai error pages with DEBUG on."""

import datetime
import re

import pytest
from django.test import override_settings

from agencies.models import Agency
from assessments.models import FiscalYear
from assessments.selectors import year_due
from measures import selectors
from measures.models import Measure

from .conftest import login

pytestmark = pytest.mark.django_db
KSK = "khao-samo-khon"
D = datetime.date


@pytest.mark.parametrize(
    "today, expected",
    [
        (D(2026, 9, 30), 2569),  # the last day of FY 2569: its own year (2568's round closed 31 ต.ค. 2568)
        (D(2026, 10, 1), 2569),  # FY 2570 began, but 2569's 12-month round is due
        (D(2026, 10, 31), 2569),  # without an annual_due, due until 31 ต.ค. (round_default_due)
        (D(2026, 11, 1), 2570),
        (D(2027, 1, 1), 2570),
        (D(2027, 6, 15), 2570),
        (D(2025, 10, 20), 2568),  # FY 2569, 2568's round still due
        (D(2029, 3, 1), 2570),  # a year not opened yet: the newest before it
        (D(2020, 1, 1), 2565),  # before every year: the oldest
    ],
)
def test_year_due_without_due_dates(today, expected):
    assert year_due(today=today).be_year == expected


def test_the_year_selector_and_the_follow_up_board_share_one_default_due_date():
    """Without annual_due, the day the pages stop opening on last year is the day after the board's
    (and the reminders') due date of its 12-month round: one rule, round_default_due."""
    from assessments.selectors import annual_round_open_until, round_default_due
    from measures.selectors_tracking import round_default_dates

    year = FiscalYear.objects.get(be_year=2569)
    assert year.annual_due is None
    _opens, due, from_year = round_default_dates(year=year, round="annual")
    assert due == annual_round_open_until(year) == round_default_due(be_year=2569, annual=True) == D(2026, 10, 31)
    assert not from_year
    assert year_due(today=due).be_year == 2569 and year_due(today=due + datetime.timedelta(days=1)).be_year == 2570
    assert round_default_dates(year=year, round="six_month")[1] == D(2026, 4, 30)


def test_year_due_follows_the_annual_due_date():
    FiscalYear.objects.filter(be_year=2569).update(annual_due=D(2026, 11, 15))
    assert year_due(today=D(2026, 11, 15)).be_year == 2569
    assert year_due(today=D(2026, 11, 16)).be_year == 2570
    FiscalYear.objects.filter(be_year=2569).update(annual_due=D(2027, 2, 28))  # a late deadline
    assert year_due(today=D(2027, 2, 1)).be_year == 2569
    assert year_due(today=D(2027, 3, 1)).be_year == 2570


def test_default_year_of_an_agency():
    agency = Agency.objects.get(code=KSK)
    # Measures in 2567 only: the due year has none, so the latest year it worked on.
    assert selectors.year_default(agency=agency, today=D(2026, 10, 2)).be_year == 2567
    c = login("ksk-coord")
    for source, target in ((2567, 2568), (2568, 2569)):
        c.post(f"/a/{KSK}/measures/copy-year/?year={target}", {"year": str(target), "from_year": str(source)})
    assert Measure.objects.filter(agency=agency, year__be_year=2569).exists()
    # October 2569 (FY 2570): last year's 12-month round is due, not the newest year.
    assert selectors.year_default(agency=agency, today=D(2026, 10, 2)).be_year == 2569
    c.post(f"/a/{KSK}/measures/copy-year/?year=2570", {"year": "2570", "from_year": "2569"})
    assert selectors.year_default(agency=agency, today=D(2026, 10, 2)).be_year == 2569
    # Once 2569's round is over, 2570.
    assert selectors.year_default(agency=agency, today=D(2027, 1, 5)).be_year == 2570
    # Another agency that never started 2570 keeps its latest year.
    other = Agency.objects.get(code="pak-kran")
    latest = Measure.objects.filter(agency=other).order_by("-year__be_year").first().year.be_year
    assert selectors.year_default(agency=other, today=D(2027, 1, 5)).be_year == latest


PAGES = {
    "งานของฉัน": f"/a/{KSK}/my-work/",
    "มาตรการ": f"/a/{KSK}/measures/",
    "ภาพรวมคะแนน": f"/a/{KSK}/",
    "รายงาน": f"/a/{KSK}/reports/",
}


def selected_year(html: str) -> int:
    select = re.search(r'<select id="year-select" name="year"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no year selector"
    assert '<label for="year-select">ปีงบประมาณ</label>' in html
    options = re.findall(r'<option value="(\d+)"', select.group(1))
    assert {"2565", "2568", "2569", "2570"} <= set(options)
    return int(re.search(r'<option value="(\d+)" selected>', select.group(1)).group(1))


@pytest.mark.parametrize("page", PAGES)
def test_year_selector_on_the_agencys_pages(page):
    c = login("ksk-coord")
    url = PAGES[page]
    default = selectors.year_default(agency=Agency.objects.get(code=KSK)).be_year
    assert selected_year(c.get(url).content.decode()) == default
    for year in (2569, 2570, 2567):
        r = c.get(f"{url}?year={year}")
        assert r.status_code == 200 and selected_year(r.content.decode()) == year
    assert c.get(f"{url}?year=2499").status_code == 404


def test_staff_switch_between_years_on_my_work():
    c = login("ksk-coord")
    c.post(f"/a/{KSK}/measures/copy-year/?year=2569", {"year": "2569", "from_year": "2567"})
    staff = login("ksk-staff1")
    html_2569 = staff.get(f"/a/{KSK}/my-work/?year=2569").content.decode()
    html_2570 = staff.get(f"/a/{KSK}/my-work/?year=2570&round=annual").content.decode()
    assert "งานของฉัน · ปีงบประมาณ 2569" in html_2569 and "บันทึกผล" in html_2569
    assert "งานของฉัน · ปีงบประมาณ 2570" in html_2570 and "ไม่มีมาตรการที่ต้องรายงานในรอบนี้" in html_2570
    # The round survives a change of year: the selector keeps it.
    assert '<input type="hidden" name="round" value="annual">' in html_2570


@override_settings(DEBUG=True)
def test_thai_error_pages_with_debug(monkeypatch):
    c = login("ksk-staff1")
    r = c.get("/a/no-such-agency/")
    assert r.status_code == 404
    html = r.content.decode()
    assert "ไม่พบหน้าที่ต้องการ" in html and "Page not found" not in html and '<html lang="th">' in html
    r = c.get("/no-such-page/at-all/")
    assert r.status_code == 404 and "ไม่พบหน้าที่ต้องการ" in r.content.decode()
    r = c.get(f"/a/{KSK}/measures/new/")  # staff may not add measures
    assert r.status_code == 403 and "ไม่มีสิทธิ์เข้าถึงหน้านี้" in r.content.decode()
    assert "เฉพาะผู้ประสานงาน ITA" in r.content.decode()

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "work_items", broken)
    r = c.get(f"/a/{KSK}/my-work/?year=2570")
    assert r.status_code == 500 and "ระบบขัดข้องชั่วคราว" in r.content.decode()
    monkeypatch.setenv("DEBUG_TRACEBACKS", "1")  # the developer's traceback back on demand
    with pytest.raises(RuntimeError):
        c.get(f"/a/{KSK}/my-work/?year=2569")


def test_thai_error_pages_without_debug():
    c = login("ksk-staff1")
    r = c.get("/a/no-such-agency/")
    assert r.status_code == 404 and "ไม่พบหน้าที่ต้องการ" in r.content.decode()
    r = c.get(f"/a/{KSK}/measures/new/")
    assert r.status_code == 403 and "ไม่มีสิทธิ์เข้าถึงหน้านี้" in r.content.decode()
