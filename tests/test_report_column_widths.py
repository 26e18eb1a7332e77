"""The measures table's column widths set per report on the authoring page (percent of the table; empty:
computed from the text), saved in Report.layout["column_widths"] through
reports/section_services.py report_column_widths_save, and applied by reports/layout.py."""

import pymupdf as fitz
import pytest

from reports import layout, rendering, section_services
from reports.models import Report, State
from reports.selectors import report_context

from .conftest import login
from .test_report_authoring import PKR, annual, coordinator, url

KEYS = ["number", "measure", "steps", "responsible", "outcome"]
CELLS = {
    "number": "1",
    "measure": "จัดทำแผนปฏิบัติการ " * 3,
    "steps": "ประชุมชี้แจงเจ้าหน้าที่ " * 8,
    "responsible": "สำนักปลัด",
    "outcome": "ผลลัพธ์ที่ได้ " * 12,
}
ROWS = [{"cells": CELLS}]
HEADERS = {"number": "ลำดับที่", "measure": "มาตรการ", "steps": "ขั้นตอน", "responsible": "ผู้รับผิดชอบ", "outcome": "ผลลัพธ์"}


def test_an_override_is_a_percent_and_the_other_columns_keep_their_computed_share():
    computed = layout.column_widths(KEYS, ROWS, HEADERS)
    widths, default = layout.column_widths_with_default(KEYS, ROWS, HEADERS, {"measure": 40})
    assert default == computed and computed["measure"] < 30
    assert widths["measure"] == 40
    # The others share the rest as computed: narrow ones keep their longest word, wide ones their proportion.
    assert widths["number"] == computed["number"] and widths["responsible"] == computed["responsible"]
    assert widths["steps"] / widths["outcome"] == pytest.approx(computed["steps"] / computed["outcome"], rel=0.02)
    assert sum(widths.values()) == pytest.approx(100, abs=0.5)
    # Every column set (the demo fixtures' weights): read as proportions, as before.
    full = layout.column_widths(
        KEYS, ROWS, HEADERS, {"number": 10, "measure": 20, "steps": 25, "responsible": 20, "outcome": 25}
    )
    assert full["measure"] == full["responsible"] and full["steps"] == full["outcome"] == pytest.approx(25, abs=0.2)
    # A column is never narrower than its longest word, whatever was saved.
    assert layout.column_widths(KEYS, ROWS, HEADERS, {"number": 1})["number"] == computed["number"]


@pytest.mark.django_db
def test_widths_are_saved_in_thai_or_arabic_digits_and_emptied_back_to_computed():
    report, access = annual(), coordinator(PKR)
    keys = [c["key"] for c in report_context(report=report)["report"]["columns"]]
    assert "measure" in keys and "outcome" in keys
    other = next(k for k in keys if k not in ("measure", "outcome"))
    section_services.report_column_widths_save(
        access=access, report=report, widths={"measure": "๓๐", "outcome": "25.5 %", other: ""}
    )
    assert Report.objects.get(pk=report.pk).layout["column_widths"] == {"measure": 30.0, "outcome": 25.5}
    section_services.report_column_widths_save(access=access, report=report, widths={"measure": "", "outcome": None})
    assert "column_widths" not in Report.objects.get(pk=report.pk).layout


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("widths", "message"),
    [
        ({"measure": "0"}, "ต้องเป็นตัวเลข 1 ถึง 45"),
        ({"measure": "46"}, "ต้องเป็นตัวเลข 1 ถึง 45"),
        ({"measure": "กว้าง"}, "ต้องเป็นตัวเลข 1 ถึง 45"),
        ({"measure": "nan"}, "ต้องเป็นตัวเลข 1 ถึง 45"),
        ({"measure": "20", "photo": "10"}, "ไม่พบคอลัมน์นี้"),
    ],
)
def test_bad_widths_and_unknown_columns_are_refused_and_change_nothing(widths, message):
    report, access = annual(), coordinator(PKR)
    Report.objects.filter(pk=report.pk).update(state=State.APPROVED)
    report.refresh_from_db()
    before = report.layout
    with pytest.raises(section_services.ServiceError, match=message):
        section_services.report_column_widths_save(access=access, report=report, widths=widths)
    after = Report.objects.get(pk=report.pk)
    assert (after.layout, after.state) == (before, State.APPROVED)


@pytest.mark.django_db
@pytest.mark.parametrize("state", [State.APPROVED, State.PUBLISHED])
def test_a_width_change_sends_an_approved_or_published_report_back_to_draft(state):
    report, access = annual(), coordinator(PKR)
    Report.objects.filter(pk=report.pk).update(state=state)
    report.refresh_from_db()
    section_services.report_column_widths_save(access=access, report=report, widths={"measure": "30"})
    assert Report.objects.get(pk=report.pk).state == State.DRAFT


@pytest.mark.django_db
def test_the_page_shows_a_field_per_printed_column_and_keeps_a_refused_value():
    report, client = annual(), login("pkr-coord")
    columns = report_context(report=report)["report"]["columns"]
    page = client.get(url(PKR, 2567, "annual")).content.decode()
    for c in columns:
        assert f'name="width_{c["key"]}"' in page and f'placeholder="{c["computed"]:.1f}"' in page
    response = client.post(url(PKR, 2567, "annual"), {"op": "widths", "width_measure": "90", "width_outcome": "20"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "ต้องเป็นตัวเลข 1 ถึง 45" in body and 'value="90"' in body
    assert "column_widths" not in (Report.objects.get(pk=report.pk).layout or {})
    response = client.post(url(PKR, 2567, "annual"), {"op": "widths", "width_measure": "30", "back": "#h-widths"})
    assert response.status_code == 302 and response["Location"].endswith("#h-widths")
    assert 'value="30"' in client.get(url(PKR, 2567, "annual")).content.decode()


def _column_widths_in_pdf(ctx: dict) -> dict[str, float]:
    """Width in points of each header cell of the first measures table."""
    pdf = fitz.open(stream=rendering.render_pdf(ctx), filetype="pdf")
    headers = [c["header"] for c in ctx["report"]["columns"]]
    for page in pdf:
        for table in page.find_tables():
            first = ["".join((t or "").replace("\u2060", "").split()) for t in table.extract()[0]]
            # Matched on the last header: find_tables reorders some Thai marks of the others.
            if len(first) == len(headers) and first[-1] == "".join(headers[-1].split()):
                return {c["key"]: cell[2] - cell[0] for c, cell in zip(ctx["report"]["columns"], table.rows[0].cells)}
    raise AssertionError("no measures table found")


@pytest.mark.slow
@pytest.mark.django_db
def test_a_saved_width_changes_the_printed_column():
    report, access = annual(), coordinator(PKR)
    ctx = report_context(report=report)
    before = {c["key"]: c["width"] for c in ctx["report"]["columns"]}
    pdf_before = _column_widths_in_pdf(ctx)
    # The narrowest column made wider (a narrower one would stop at its longest word).
    key, target = min(before, key=before.get), 35
    section_services.report_column_widths_save(access=access, report=report, widths={key: str(target)})
    ctx = report_context(report=Report.objects.get(pk=report.pk))
    after = {c["key"]: c["width"] for c in ctx["report"]["columns"]}
    assert before[key] < 30 and after[key] == pytest.approx(target, abs=1)
    pdf_after = _column_widths_in_pdf(ctx)
    total = sum(pdf_after.values())
    assert pdf_after[key] / total * 100 == pytest.approx(target, abs=1.5)
    assert pdf_after[key] - pdf_before[key] > 20  # points: visibly wider
