"""Dates as people type them (#13): วัน/เดือน/ปี พ.ศ. in the usual ways, one clear Thai error for a
Gregorian year, and dates outside a range refused with the message the form gives."""

import datetime

import pytest
from django import forms

from ita_portal import thai
from ita_portal.fields import BEDateField

MARCH_15_2568 = datetime.date(2025, 3, 15)


@pytest.mark.parametrize(
    "typed",
    [
        "15/3/2568",
        "15/03/2568",
        "15032568",
        "๑๕/๓/๒๕๖๘",
        "๑๕๐๓๒๕๖๘",
        "15-3-2568",
        "15.3.2568",
        " 15 / 3 / 2568 ",
        "15 3 2568",
        "15/3/68",
        "150368",
        "15 มี.ค. 2568",
        "15 มีนาคม 2568",
        "15 มีค 68",
        "วันที่ 15 มีนาคม พ.ศ. 2568",
    ],
)
def test_the_usual_ways_of_writing_a_date_are_read(typed):
    assert thai.parse_be_date(typed) == MARCH_15_2568


def test_leap_days_follow_the_gregorian_year():
    assert thai.parse_be_date("29/2/2567") == datetime.date(2024, 2, 29)


def test_two_digit_years_are_buddhist_era_25xx():
    assert thai.parse_be_date("1/3/68") == datetime.date(2025, 3, 1)
    assert thai.parse_be_date("1/10/66") == datetime.date(2023, 10, 1)


@pytest.mark.parametrize(
    "typed, message",
    [
        (r"15/3/2025", r"^ปี 2025 ดูเหมือนเป็นปี ค\.ศ\. กรุณากรอกปี พ\.ศ\. \(เช่น 2568\)$"),
        ("15032025", "ปี 2025 ดูเหมือนเป็นปี ค.ศ."),
        ("1/3/568", "ปีต้องมี 4 หลัก"),
        ("15/13/2568", "ไม่มีวันที่ 15/13/2568 ในปฏิทิน"),
        ("30/2/2568", "ไม่มีวันที่ 30/2/2568 ในปฏิทิน"),
        ("15 มีนา 2568", "รูปแบบวันที่ไม่ถูกต้อง"),
        ("2568-03-15", "รูปแบบวันที่ไม่ถูกต้อง"),
        ("1532568", "รูปแบบวันที่ไม่ถูกต้อง"),
    ],
)
def test_wrong_dates_get_one_thai_message(typed, message):
    with pytest.raises(thai.BEDateError, match=message):
        thai.parse_be_date(typed)


def test_round_periods():
    assert thai.round_period(2567, six_month=True) == (datetime.date(2023, 10, 1), datetime.date(2024, 3, 31))
    assert thai.round_period(2567, six_month=False) == (datetime.date(2023, 10, 1), datetime.date(2024, 9, 30))


class DateForm(forms.Form):
    day = BEDateField(label="วันที่", required=True)


def test_a_gregorian_year_gives_the_field_one_error():
    form = DateForm({"day": "15/3/2025"})
    assert not form.is_valid()
    assert form.errors["day"] == ["ปี 2025 ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น 2568)"]


def test_a_limited_field_refuses_dates_outside_with_its_message():
    form = DateForm({"day": "30/09/2599"})
    form.fields["day"].limit(datetime.date(2023, 10, 1), datetime.date(2024, 4, 30), "นอกรอบ")
    assert not form.is_valid() and form.errors["day"] == ["นอกรอบ"]
    form = DateForm({"day": "15/3/2567"})
    form.fields["day"].limit(datetime.date(2023, 10, 1), datetime.date(2024, 4, 30))
    assert form.is_valid() and form.cleaned_data["day"] == datetime.date(2024, 3, 15)
    form = DateForm({"day": "1/5/2567"})
    form.fields["day"].limit(datetime.date(2023, 10, 1), datetime.date(2024, 4, 30))
    assert form.errors["day"] == ["วันที่ต้องอยู่ระหว่าง 1 ตุลาคม 2566 ถึง 30 เมษายน 2567"]


def test_the_date_box_offers_a_keyboard_with_a_slash_and_the_years_of_its_range():
    form = DateForm(initial={"day": MARCH_15_2568})
    form.fields["day"].limit(datetime.date(2023, 10, 1), datetime.date(2024, 4, 30))
    html = str(form["day"])
    assert 'inputmode="text"' in html and "data-be-date" in html
    assert 'data-be-min="01/10/2566"' in html and 'data-be-max="30/04/2567"' in html
    assert 'value="15/03/2568"' in html


# The completion date of a progress entry, against its round (measures/rules.py).


def test_the_six_month_round_of_2567_takes_1_october_2566_to_30_april_2567():
    from measures.rules import completion_window

    start, latest, message = completion_window(fiscal_year=2567, round="six_month", today=datetime.date(2026, 12, 2))
    assert (start, latest) == (datetime.date(2023, 10, 1), datetime.date(2024, 4, 30))
    assert message == (
        "วันที่แล้วเสร็จของรอบ 6 เดือน ปีงบประมาณ 2567 ต้องอยู่ระหว่าง 1 ตุลาคม 2566 ถึง 30 เมษายน 2567 "
        "(รอบ 6 เดือนสิ้นสุด 31 มีนาคม 2567 นับวันที่หลังจากนั้นได้ไม่เกิน 30 วัน)"
    )
    _start, latest, _message = completion_window(fiscal_year=2567, round="annual", today=datetime.date(2026, 12, 2))
    assert latest == datetime.date(2024, 10, 30)


def test_a_round_still_open_takes_no_date_after_today():
    from measures.rules import completion_window

    today = datetime.date(2026, 2, 10)
    start, latest, message = completion_window(fiscal_year=2569, round="annual", today=today)
    assert (start, latest) == (datetime.date(2025, 10, 1), today)
    assert message.endswith("ถึง 10 กุมภาพันธ์ 2569 (ต้องไม่เป็นวันในอนาคต)")


def progress_form(completed_on: str, **period):
    from measures.forms import ProgressForm

    form = ProgressForm({"status": "done", "completed_on": completed_on}, **period)
    form.is_valid()
    return form


def test_the_progress_form_refuses_a_date_outside_its_round_with_one_message():
    form = progress_form("30/09/2599", fiscal_year=2567, round="six_month")
    assert form.errors["completed_on"] == [
        "วันที่แล้วเสร็จของรอบ 6 เดือน ปีงบประมาณ 2567 ต้องอยู่ระหว่าง 1 ตุลาคม 2566 ถึง 30 เมษายน 2567 "
        "(รอบ 6 เดือนสิ้นสุด 31 มีนาคม 2567 นับวันที่หลังจากนั้นได้ไม่เกิน 30 วัน)"
    ]
    assert "completed_on" not in progress_form("15/4/2567", fiscal_year=2567, round="six_month").errors
    assert "completed_on" in progress_form("30/9/2566", fiscal_year=2567, round="six_month").errors  # the year before


def test_a_gregorian_completion_date_gets_one_error_not_two():
    form = progress_form("15/3/2024", fiscal_year=2567, round="six_month")
    assert form.errors["completed_on"] == ["ปี 2024 ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น 2567)"]


def test_the_progress_page_refuses_a_date_after_its_round(db):
    from measures.models import Measure, Progress

    from .conftest import login
    from .test_progress import form, url

    measure = Measure.objects.filter(agency__code="khao-samo-khon", divisions__name="สำนักปลัด").order_by("order").first()
    page = login("ksk-staff1").post(url(measure), form(completed_on="30/09/2599")).content.decode()
    assert "ต้องอยู่ระหว่าง 1 ตุลาคม 2566 ถึง 30 เมษายน 2567" in page
    assert 'data-be-min="01/10/2566"' in page and 'data-be-max="30/04/2567"' in page
    assert not Progress.objects.filter(measure=measure, round="six_month").exists()
