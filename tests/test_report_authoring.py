"""The coordinator's report authoring page: sections added, removed, reordered and renamed; the analysis
paragraphs pre-filled from the numbers, edited and restored; the agency's wording of headings. Saved
through reports/section_services.py, by the agency's coordinators only, and printed in the PDF and Word."""

import io
import re

import docx
import pymupdf as fitz
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from pythainlp.util import thai_digit_to_arabic_digit

from agencies.access import access_for
from agencies.models import Agency
from reports import rendering, section_services
from reports.docx_export import render_docx
from reports.models import Report, ReportSection, State
from reports.section_selectors import report_authoring
from reports.selectors import report_context

from .conftest import login
from .test_notifications import user

PKR, TKE = "pak-kran", "takhram-en"


def url(code: str, year: int, kind: str) -> str:
    return reverse("reports:authoring", kwargs={"code": code, "be_year": year, "kind": kind})


def annual() -> Report:
    return Report.objects.get(agency__code=PKR, year__be_year=2567, kind="annual")


def analysis() -> Report:
    return Report.objects.get(agency__code=TKE, year__be_year=2565, kind="analysis")


def coordinator(code: str):
    return access_for(user({"pak-kran": "pkr-coord", "takhram-en": "tke-coord"}[code]), Agency.objects.get(code=code))


def kinds(report: Report) -> list[str]:
    return [s["kind"] for s in report_context(report=report)["sections"]]


def docx_text(ctx: dict) -> str:
    document = docx.Document(io.BytesIO(render_docx(ctx)))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def pdf_text(ctx: dict) -> str:
    return "\n".join(page.get_text() for page in fitz.open(stream=rendering.render_pdf(ctx), filetype="pdf"))


@pytest.mark.django_db
def test_sections_are_added_moved_renamed_and_removed_in_the_printed_order():
    report, access = annual(), coordinator(PKR)
    before = kinds(report)
    section_services.report_section_add(access=access, report=report, kind="text", title="บทสรุปผู้บริหาร")
    assert kinds(report) == before + ["text"]  # the default sequence was stored, the text comes last
    text = report.sections.get(kind="text", title="บทสรุปผู้บริหาร")  # the seed's intro is a text too
    for _ in range(len(before)):
        section_services.report_section_move(access=access, report=report, section_id=text.pk, step=-1)
    assert kinds(report) == ["text"] + before
    with pytest.raises(section_services.ServiceError, match="ลำดับแรกแล้ว"):
        section_services.report_section_move(access=access, report=report, section_id=text.pk, step=-1)
    section_services.report_section_update(
        access=access,
        report=report,
        section_id=text.pk,
        title="สรุป",
        body="ย่อหน้าแรก\n\nย่อหน้า <สอง>",
        expected_version=1,
    )
    saved = ReportSection.objects.get(pk=text.pk)
    assert (saved.title, saved.body, saved.version) == ("สรุป", "<p>ย่อหน้าแรก</p><p>ย่อหน้า &lt;สอง&gt;</p>", 2)
    measures = report.sections.get(kind="measures")
    section_services.report_section_update(
        access=access,
        report=report,
        section_id=measures.pk,
        title="สรุปผลการดำเนินงานตามมาตรการหรือกิจกรรม",
        expected_version=1,
    )
    assert Report.objects.get(pk=report.pk).labels["measures_heading"] == "สรุปผลการดำเนินงานตามมาตรการหรือกิจกรรม"
    section_services.report_section_remove(access=access, report=report, section_id=measures.pk)
    assert "measures" not in kinds(report)
    orders = list(report.sections.filter(anchor="").values_list("order", flat=True))
    assert orders == list(range(1, len(orders) + 1))


@pytest.mark.django_db
def test_adding_refuses_unknown_kinds_and_a_second_built_in_block():
    report, access = annual(), coordinator(PKR)
    count = report.sections.count()
    with pytest.raises(section_services.ServiceError, match="เลือกชนิด"):
        section_services.report_section_add(access=access, report=report, kind="<script>")
    with pytest.raises(section_services.ServiceError, match="มีส่วน “ตารางมาตรการ” อยู่แล้ว"):
        section_services.report_section_add(access=access, report=report, kind="measures")
    with pytest.raises(section_services.ServiceError):
        section_services.report_section_add(access=access, report=report, kind="analysis")  # analysis reports only
    assert report.sections.count() == count


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["pkr-exec", "pkr-viewer", "pkr-staff1", "ksk-coord"])
def test_only_the_agency_coordinators_edit_sections(username):
    report = annual()
    agency = Agency.objects.get(code="khao-samo-khon" if username.startswith("ksk") else PKR)
    access = access_for(user(username), agency)
    before = list(report.sections.values_list("id", "order", "title", "body"))
    with pytest.raises(PermissionDenied):
        section_services.report_section_add(access=access, report=report, kind="text")
    with pytest.raises(PermissionDenied):
        section_services.report_text_save(access=access, report=report, anchor="summary", body="x", expected_version=0)
    with pytest.raises(PermissionDenied):
        section_services.report_labels_save(access=access, report=report, labels={"score_heading": "x"})
    assert list(report.sections.values_list("id", "order", "title", "body")) == before
    assert Report.objects.get(pk=report.pk).labels == report.labels


@pytest.mark.django_db
@pytest.mark.parametrize("state", [State.SUBMITTED, State.APPROVED, State.PUBLISHED])
def test_an_edit_returns_an_approved_or_published_report_to_draft(state):
    report, access = annual(), coordinator(PKR)
    Report.objects.filter(pk=report.pk).update(state=state)
    report.refresh_from_db()
    section_services.report_labels_save(access=access, report=report, labels={"score_heading": "ผลคะแนน ITA"})
    report.refresh_from_db()
    assert (report.state, report.approved_by) == (State.DRAFT, None)


@pytest.mark.django_db
def test_an_edit_on_an_older_version_is_refused_and_the_typed_text_is_kept():
    report, access = annual(), coordinator(PKR)
    section = section_services.report_section_add(access=access, report=report, kind="foreword", title="คำนำ")
    section_services.report_section_update(
        access=access,
        report=report,
        section_id=section.pk,
        title="คำนำ",
        body="ข้อความของเพื่อนร่วมงาน",
        expected_version=1,
    )
    client = login("pkr-coord")
    position = list(report.sections.filter(anchor="").order_by("order")).index(section) + 1
    data = {"op": "save", "section": section.pk, "position": position, "kind": "foreword", "version": 1}
    response = client.post(url(PKR, 2567, "annual"), {**data, "title": "คำนำ", "body": "ข้อความที่ฉันพิมพ์"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "ระบบจึงไม่บันทึกทับ" in page and "ข้อความที่ฉันพิมพ์" in page
    assert ReportSection.objects.get(pk=section.pk).body == "<p>ข้อความของเพื่อนร่วมงาน</p>"


@pytest.mark.django_db
def test_analysis_paragraphs_are_prefilled_from_the_numbers_edited_and_restored():
    report, access = analysis(), coordinator(TKE)
    report.sections.filter(anchor__in=["indicator:7", "urgent"]).delete()
    ctx = report_context(report=report)
    a = ctx["analysis"]
    seven = next(r for r in a["indicators"] if r["number"] == 7)
    generated = f"<p>ตัวชี้วัดที่ 7 {seven['name']} ได้คะแนน {seven['score']:.2f}</p>"
    assert seven["text"] == generated  # the same number as the ranking table
    low = a["lowest"]
    assert f"({low['tool']}) ได้คะแนน {low['score']:.2f} คะแนน" in ctx["texts"]["urgent"]["html"]
    # Section 5's paragraph per tool is offered, filled from the table's rows, and printed once saved.
    page = report_authoring(report=report)
    places = {p["anchor"]: p for p in page["paragraphs"]}
    eit = places["tool:EIT"]
    assert not eit["saved"] and eit["generated"] and "E7 (78.30 คะแนน)" in eit["text"]
    assert all(not t["text"] for t in ctx["analysis"]["by_tool"])  # not printed before the agency saves it
    assert places["indicator:7"]["text"] == f"ตัวชี้วัดที่ 7 {seven['name']} ได้คะแนน {seven['score']:.2f}"

    section_services.report_text_save(
        access=access, report=report, anchor="indicator:7", body="ข้อความของ อบต. เรื่องการสื่อสาร", expected_version=0
    )
    section_services.report_text_save(
        access=access, report=report, anchor="tool:EIT", body=eit["text"], expected_version=0
    )
    saved = {p["anchor"]: p for p in report_authoring(report=report)["paragraphs"]}["indicator:7"]
    assert saved["saved"] and saved["generated_text"] == places["indicator:7"]["text"]  # shown to compare
    ctx = report_context(report=report)
    html = rendering.render_html(ctx)
    word = docx_text(ctx)
    for out in (html, word):
        assert "ข้อความของ อบต. เรื่องการสื่อสาร" in out
    assert "E7 (๗๘.๓๐ คะแนน)" in word  # the report prints Thai digits; codes keep theirs
    with pytest.raises(section_services.SectionConflictError):
        section_services.report_text_save(
            access=access, report=report, anchor="indicator:7", body="ทับ", expected_version=0
        )
    section_services.report_text_restore(access=access, report=report, anchor="indicator:7")
    ctx = report_context(report=report)
    assert next(r for r in ctx["analysis"]["indicators"] if r["number"] == 7)["text"] == generated
    with pytest.raises(section_services.ServiceError, match="ไม่พบตำแหน่ง"):
        section_services.report_text_save(
            access=access, report=report, anchor="indicator:7<x>", body="x", expected_version=0
        )


@pytest.mark.django_db
def test_labels_are_saved_hidden_or_back_to_default_from_the_page():
    report = annual()
    client = login("pkr-coord")
    page = client.get(url(PKR, 2567, "annual")).content.decode()
    assert 'placeholder="ตารางเปรียบเทียบผลการประเมิน ITA รายตัวชี้วัด"' in page
    data = {"op": "labels", "label_col_outcome": " ผลลัพธ์หรือความสำเร็จ ", "hide_score_heading": "on"}
    assert client.post(url(PKR, 2567, "annual"), data).status_code == 302
    labels = Report.objects.get(pk=report.pk).labels
    assert labels["col_outcome"] == "ผลลัพธ์หรือความสำเร็จ" and labels["score_heading"] == ""
    assert "photos_heading" not in labels  # left empty: the default wording
    ctx = report_context(report=Report.objects.get(pk=report.pk))
    assert [c["header"] for c in ctx["report"]["columns"] if c["key"] == "outcome"] == ["ผลลัพธ์หรือความสำเร็จ"]


@pytest.mark.django_db
def test_the_page_works_without_javascript_for_each_form():
    client = login("tke-coord")
    page = client.get(url(TKE, 2565, "analysis"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "ข้อ 5 แบบวัด EIT" in body and "ถ้อยคำหัวข้อและหัวตาราง" in body and 'value="up"' in body
    report = analysis()
    first = list(report.sections.filter(anchor="").order_by("order"))
    response = client.post(
        url(TKE, 2565, "analysis"),
        {"op": "down", "section": first[0].pk, "position": 1, "kind": first[0].kind, "back": "#s-2"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/sections/#s-2")
    assert [s.pk for s in report.sections.filter(anchor="").order_by("order")][:2] == [first[1].pk, first[0].pk]
    response = client.post(url(TKE, 2565, "analysis"), {"op": "down", "section": 10**9, "back": "//evil.example"})
    assert response["Location"].endswith("/sections/")
    assert "ไม่พบส่วนนี้" in client.get(url(TKE, 2565, "analysis")).content.decode()


def _flat(text: str) -> str:
    return "".join(text.split())


@pytest.mark.slow
@pytest.mark.django_db
def test_the_pdf_and_the_word_copy_follow_the_sections_order_titles_and_removals():
    report, access = annual(), coordinator(PKR)
    assert report_context(report=report)["labels"]["measures_heading"] == ""  # seed 003 prints none
    foreword = section_services.report_section_add(
        access=access, report=report, kind="foreword", title="คำนำของหน่วยงาน"
    )
    closing = section_services.report_section_add(access=access, report=report, kind="text", title="บทสรุปท้ายเล่ม")
    section_services.report_section_update(
        access=access,
        report=report,
        section_id=closing.pk,
        title="บทสรุปท้ายเล่ม",
        body="ข้อความสรุปของหน่วยงาน",
        expected_version=1,
    )
    while report.sections.filter(anchor="").order_by("order").first() != foreword:
        section_services.report_section_move(access=access, report=report, section_id=foreword.pk, step=-1)
    measures = report.sections.get(kind="measures")
    section_services.report_section_update(
        access=access, report=report, section_id=measures.pk, title="สรุปผลการดำเนินงานตามมาตรการ", expected_version=1
    )
    ctx = report_context(report=Report.objects.get(pk=report.pk))  # the services save their own copy
    for text in (_flat(pdf_text(ctx)), _flat(docx_text(ctx))):
        assert text.index("คำนำของหน่วยงาน") < text.index("สรุปผลการดำเนินงานตามมาตรการ") < text.index("บทสรุปท้ายเล่ม")
        assert "ข้อความสรุปของหน่วยงาน" in text

    section_services.report_section_remove(access=access, report=report, section_id=closing.pk)
    section_services.report_section_remove(access=access, report=report, section_id=measures.pk)
    ctx = report_context(report=Report.objects.get(pk=report.pk))
    for text in (_flat(pdf_text(ctx)), _flat(docx_text(ctx))):
        assert "คำนำของหน่วยงาน" in text
        assert "บทสรุปท้ายเล่ม" not in text and "ข้อความสรุปของหน่วยงาน" not in text
        assert "สรุปผลการดำเนินงานตามมาตรการ" not in text


@pytest.mark.django_db
def test_saving_a_section_with_an_empty_title_leaves_a_hidden_heading_hidden():
    report, access = annual(), coordinator(PKR)
    assert report.labels.get("measures_heading") == ""  # seed 003 prints no heading over its table
    section_services.report_section_add(access=access, report=report, kind="text")  # stores the sequence
    measures = report.sections.get(kind="measures")
    section_services.report_section_update(
        access=access, report=report, section_id=measures.pk, title="", expected_version=1
    )
    assert Report.objects.get(pk=report.pk).labels["measures_heading"] == ""
    page = login("pkr-coord").get(url(PKR, 2567, "annual")).content.decode()
    assert "หัวข้อนี้ตั้งไว้ไม่พิมพ์" in page


@pytest.mark.django_db
def test_page_options_are_saved_from_the_page_and_bad_values_change_nothing():
    report = annual()
    client = login("pkr-coord")
    before = Report.objects.get(pk=report.pk).layout
    response = client.post(url(PKR, 2567, "annual"), {"op": "layout", "photos": "ที่อื่น", "regroup": "1"}, follow=True)
    assert "กรุณาเลือกตำแหน่งของภาพประกอบ" in response.content.decode()
    assert Report.objects.get(pk=report.pk).layout == before
    client.post(url(PKR, 2567, "annual"), {"op": "layout", "photos": "beside", "title_block": "1"})
    layout = Report.objects.get(pk=report.pk).layout
    assert layout["photos"] == "beside" and layout["title_block"] and not layout["regroup"]
    ctx = report_context(report=Report.objects.get(pk=report.pk))
    assert ctx["report"]["layout"]["photos"] == "beside" and not ctx["photo_pages"]


@pytest.mark.django_db
def test_every_page_option_has_a_switch_on_the_page():
    """The options form posts every switch: an option without one would be reset on each save."""
    report = annual()
    shown = {s["key"] for s in report_authoring(report=report)["layout"]["switches"]}
    assert shown == set(section_services.LAYOUT_OPTIONS) - {"photos"}


@pytest.mark.django_db
def test_the_last_block_that_is_not_a_text_cannot_be_removed():
    report, access = annual(), coordinator(PKR)
    section_services.report_section_add(access=access, report=report, kind="foreword", title="คำนำ")
    blocks = [s for s in report.sections.filter(anchor="") if s.kind != "foreword"]
    for s in blocks[:-1]:
        section_services.report_section_remove(access=access, report=report, section_id=s.pk)
    with pytest.raises(section_services.ServiceError, match="อย่างน้อยหนึ่งส่วนที่ไม่ใช่ข้อความ"):
        section_services.report_section_remove(access=access, report=report, section_id=blocks[-1].pk)
    assert kinds(report) == [blocks[-1].kind, "foreword"]


@pytest.mark.django_db
def test_the_layout_form_sends_an_approved_report_back_to_draft_when_it_changes():
    report = annual()
    Report.objects.filter(pk=report.pk).update(state=State.APPROVED)
    client = login("pkr-coord")
    detail = reverse("reports:detail", kwargs={"code": PKR, "be_year": 2567, "kind": "annual"})
    data = {
        "title": "ชื่อใหม่ของรายงาน",
        "grouping": report.grouping,
        "columns": report.columns,
        "strength_threshold": "80",
        "improve_threshold": "85",
    }
    page = client.post(detail, data, follow=True).content.decode()
    assert Report.objects.get(pk=report.pk).state == State.DRAFT
    assert "ต้องเสนอผู้บริหารเพื่ออนุมัติอีกครั้ง" in page


@pytest.mark.slow
@pytest.mark.django_db
def test_a_table_of_contents_without_text_lists_the_headings_with_their_printed_pages():
    report, access = annual(), coordinator(PKR)
    toc = section_services.report_section_add(access=access, report=report, kind="toc")
    closing = section_services.report_section_add(access=access, report=report, kind="text", title="บทสรุปท้ายเล่ม")
    section_services.report_section_update(
        access=access, report=report, section_id=closing.pk, title="บทสรุปท้ายเล่ม", body="สรุป", expected_version=1
    )
    while report.sections.filter(anchor="").order_by("order").first() != toc:
        section_services.report_section_move(access=access, report=report, section_id=toc.pk, step=-1)
    ctx = report_context(report=Report.objects.get(pk=report.pk))
    pages = [thai_digit_to_arabic_digit(p.get_text()) for p in fitz.open(stream=rendering.render_pdf(ctx))]
    assert "สารบัญ" in pages[0]
    listed = int(re.search(r"บทสรุปท้ายเล่ม[\s.]*(\d+)", pages[0]).group(1))
    target = next(text for text in pages[1:] if "บทสรุปท้ายเล่ม" in text)
    assert listed == int(re.search(r"หน้า\s*(\d+)", target).group(1))  # the number printed on that page
    # The Word copy: a TOC field Word numbers on opening, showing the headings until then.
    document = docx.Document(io.BytesIO(render_docx(ctx)))
    field = next(p for p in document.paragraphs if "TOC" in "".join(p._p.itertext()))
    assert "บทสรุปท้ายเล่ม" in field.text
