import datetime

import pytest

from ita_portal import thai


def test_parse_be_date_accepts_buddhist_era_and_thai_digits():
    assert thai.parse_be_date("30/09/2569") == datetime.date(2026, 9, 30)
    assert thai.parse_be_date("๓๐/๐๙/๒๕๖๗") == datetime.date(2024, 9, 30)
    assert thai.parse_be_date("1-10-2566") == datetime.date(2023, 10, 1)


@pytest.mark.parametrize(
    "text, message",
    [
        ("30/09/2024", "ค.ศ."),
        ("31/02/2567", "ไม่มีวันที่"),
        ("2567-09-30", "รูปแบบวันที่"),
        ("30/09/2900", "ไม่อยู่ในช่วง"),
    ],
)
def test_parse_be_date_refuses_with_thai_message(text, message):
    with pytest.raises(thai.BEDateError, match=message):
        thai.parse_be_date(text)


def test_fiscal_year_and_display():
    assert thai.fiscal_year_of(datetime.date(2023, 10, 1)) == 2567
    assert thai.fiscal_year_of(datetime.date(2024, 9, 30)) == 2567
    assert thai.fiscal_year_bounds(2567) == (datetime.date(2023, 10, 1), datetime.date(2024, 9, 30))
    assert thai.thai_date(datetime.date(2023, 4, 18)) == "18 เมษายน 2566"
    assert thai.format_be_date(datetime.date(2024, 9, 30)) == "30/09/2567"
    assert thai.score("92.84", digits="thai") == "๙๒.๘๔"
    assert thai.signed("3.84") == "+3.84" and thai.signed("-1.5") == "−1.50"
