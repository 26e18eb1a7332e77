"""Report layout: typesetting of text nodes, column widths by content, the agency's order and words,
and (slow) the five demo reports' page breaks."""

import re

import pymupdf as fitz
import pytest
from pythainlp.util import thai_digit_to_arabic_digit

from agencies.models import Agency
from assessments.models import FiscalYear
from reports import layout, rendering, typesetting
from reports.selectors import report_context, report_get_or_default


def test_thai_digits_leave_identifiers_codes_and_urls_alone():
    text = "LINE @919ndngu โทร 044-123456 ตัวชี้วัด O1 https://www.abc.go.th/a/12 ปี 2567 ร้อยละ 89.50"
    out = typesetting.thai_digits_text(text)
    assert "@919ndngu" in out and "O1" in out and "https://www.abc.go.th/a/12" in out
    assert "๐๔๔-๑๒๓๔๕๖" in out and "๒๕๖๗" in out and "๘๙.๕๐" in out
    assert typesetting.thai_digits_text("&#39;12&#39;") == "&#39;๑๒&#39;"  # entities kept


def test_no_break_joins_and_url_breaks():
    out = typesetting.typeset_text("พ.ศ. 2565 และ พ.ศ.2566 วันที่ 1 ต.ค. 2567 ถึง 30 กันยายน 2568", thai_digits=False)
    glue = "\u2060\u00a0\u2060"
    assert f"พ.ศ.{glue}2565" in out and "พ.ศ.\u20602566" in out
    assert f"1{glue}ต.ค.{glue}2567" in out and f"30{glue}กันยายน{glue}2568" in out
    url = typesetting.typeset_text("https://www.abc.go.th/x", thai_digits=False)
    assert url == "https:/\u200b/\u200bwww.\u200babc.\u200bgo.\u200bth/\u200bx"


def test_typeset_html_touches_text_nodes_only():
    html = '<head><title>2567</title></head><body><img src="file:///m/1.png" alt="ปี 2567"><p>ปี 2567</p></body>'
    out = rendering.render_html.__module__ and typesetting.typeset_html(html, thai_digits=True)
    assert 'src="file:///m/1.png"' in out and 'alt="ปี 2567"' in out and "<p>ปี ๒๕๖๗</p>" in out


def test_column_widths_follow_the_text_and_fit_the_longest_word():
    rows = [{"cells": {"number": "1", "measure": "ประสิทธิภาพ", "outcome": "ผลลัพธ์ที่ได้ " * 60}}]
    headers = {"number": "ลำดับที่", "measure": "มาตรการ", "outcome": "ผลลัพธ์"}
    w = layout.column_widths(["number", "measure", "outcome"], rows, headers)
    assert abs(sum(w.values()) - 100) < 0.5
    assert w["outcome"] > w["measure"] > w["number"]
    # "ประสิทธิภาพ" (9 spacing characters) fits its column with padding.
    assert w["measure"] * layout.TABLE_CM / 100 >= 9 * layout.CM_PER_CHAR + layout.CELL_PAD_CM - 0.01
    assert layout.column_widths(["number", "measure", "outcome"], rows, headers, {"number": 50})["number"] > 40


def test_labels_saved_override_defaults_and_empty_prints_nothing():
    labels = layout.merged_labels({"measures_heading": "", "col_outcome": "ผลสัมฤทธิ์"}, round_label="รอบ 12 เดือน")
    assert labels["measures_heading"] == "" and labels["col_outcome"] == "ผลสัมฤทธิ์"
    assert labels["score_heading"] == layout.LABELS["score_heading"]
    assert layout.merged_layout({"photos": "x", "nope": 1}) == {**layout.LAYOUT_DEFAULTS}
    assert layout.merged_labels({}, agency_name="อบต.ก", agency_place="")["title_agency"] == "อบต.ก"


def _demo(code, year, kind, **fields):
    report = report_get_or_default(
        agency=Agency.objects.get(code=code), year=FiscalYear.objects.get(be_year=year), kind=kind
    )
    for k, v in fields.items():
        setattr(report, k, v)
    return report


@pytest.mark.django_db
def test_no_regrouping_keeps_the_agency_order_without_invented_groups():
    ctx = report_context(report=_demo("ubon-pao", 2566, "six_month"))
    headings = [g["heading"] for g in ctx["groups"]]
    assert "มาตรการอื่น ๆ" not in headings
    numbers = [r["cells"]["number"] for g in ctx["groups"] for r in g["rows"] if not r["is_activity"]]
    assert numbers == sorted(numbers, key=lambda n: [int(x) for x in n.split(".") if x.isdigit()] or [0])


@pytest.mark.django_db
def test_demo_layouts_follow_their_seeds():
    assert not _demo("nong-bua-ban", 2568, "annual").show_cover  # seed 001: no cover
    ctx = report_context(report=_demo("nong-bua-ban", 2568, "annual"))
    assert {r["cells"]["number"] for g in ctx["groups"] for r in g["rows"]} == {""}  # its ลำดับที่ cells are empty
    assert ctx["labels"]["title_agency"] == "ขององค์การบริหารส่วนตำบลหนองบัวบาน อำเภอจัตุรัส จังหวัดชัยภูมิ"
    ctx = report_context(report=_demo("ubon-pao", 2566, "six_month"))  # seed 004: its heading, no title block
    assert ctx["labels"]["measures_heading"].startswith("มาตรการส่งเสริมคุณธรรมและความโปร่งใสขององค์การบริหารส่วนจังหวัด")
    assert not ctx["report"]["layout"]["title_block"] and not ctx["report"]["layout"]["period_line"]
    responsible = [r["cells"]["responsible"] for g in ctx["groups"] for r in g["rows"]]
    assert "กองการเจ้าหน้าที่" in responsible  # one unit: no dash, as the seed prints it
    assert "- สำนักปลัดองค์การบริหารส่วนจังหวัด\n- หน่วยตรวจสอบภายใน\n- ทุกส่วนราชการ" in responsible
    assert not _demo("pak-kran", 2567, "annual").show_cover  # seed 003: no cover
    ctx = report_context(report=_demo("khao-samo-khon", 2567, "annual"))
    assert ctx["photos_beside"] and not ctx["photo_pages"]
    assert not ctx["report"]["layout"]["score_summary"] and not ctx["report"]["layout"]["period_line"]


def test_per_item_labels_are_filled_where_used_and_never_evaluated():
    labels = layout.merged_labels({"issue_group": "{number}. {title}"}, round_label="รอบ 12 เดือน")
    assert labels["issue_group"] == "{number}. {title}" and labels["score_col_year"] == "ปี {be_year}"
    assert layout.fill(labels["issue_group"], number=1, title="ก") == "1. ก"
    assert layout.fill("{0.__class__} {title", title="x") == "{0.__class__} {title"  # typed text stays text


@pytest.mark.django_db
def test_agency_group_labels_numbers_and_merged_columns():
    # Seed 000: issues headed "1. …", each measure's own number before its title, the seed's photo heading.
    ctx = report_context(report=_demo("khao-samo-khon", 2567, "annual"))
    assert ctx["groups"][0]["heading"] == "1. กระบวนการปฏิบัติงานที่โปร่งใสและมีประสิทธิภาพ"
    assert ctx["groups"][2]["heading"].startswith("ประเด็นที่ 3 ช่องทาง")  # the seed words issues 3–5 so
    assert ctx["groups"][0]["rows"][0]["cells"]["measure"].startswith("1. จัดทำผังขั้นตอน")
    assert ctx["groups"][1]["rows"][0]["cells"]["measure"].startswith("ขับเคลื่อน")  # unnumbered in the seed
    assert [y["header"] for y in ctx["scores"]["years"]] == ["ปี พ.ศ. 2566", "ปี พ.ศ. 2567"]
    # Seed 003: each tool headed by the agency's own label; responsible and period in one column.
    ctx = report_context(report=_demo("pak-kran", 2567, "annual"))
    assert ctx["groups"][0]["heading"].startswith("แบบวัดการรับรู้ของผู้มีส่วนได้ส่วนเสียภายใน (Internal")
    cell = ctx["groups"][0]["rows"][0]["cells"]["responsible_period"]
    assert cell == "สำนักปลัด\nและทุกกองงาน\nดำเนินการไตรมาส 1 – 4 ปีงบประมาณ 2567"
    assert [c["header"] for c in ctx["report"]["columns"]][2] == "ผู้รับผิดชอบ / ระยะเวลาดำเนินการ"
    # Seed 002: measures without a title are numbered on their heading ("1. แบบวัด IIT …").
    ctx = report_context(report=_demo("takhram-en", 2565, "analysis"))
    assert ctx["groups"][0]["rows"][0]["cells"]["focus"].startswith("1. แบบวัด IIT")
    # Default wording unchanged for reports that set none.
    ctx = report_context(report=_demo("ubon-pao", 2566, "six_month"))
    assert all(not g["heading"] or g["heading"].startswith("แบบวัด ") for g in ctx["groups"])


DEMO = [
    ("khao-samo-khon", 2567, "annual"),
    ("nong-bua-ban", 2568, "annual"),
    ("takhram-en", 2565, "analysis"),
    ("pak-kran", 2567, "annual"),
    ("ubon-pao", 2566, "six_month"),
]


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("code,year,kind", DEMO)
def test_rows_start_on_one_page_and_no_page_is_nearly_empty(code, year, kind):
    context = report_context(report=_demo(code, year, kind))
    doc = fitz.open(stream=rendering.render_pdf(context), filetype="pdf")
    # Every table row found on a page has text in it (no row fragment of empty cells), and no page ends
    # with an indicator line (a row spanning the table) whose measure row starts on the next page.
    lines = {_flat(r["subheading"]) for g in context["groups"] for r in g["rows"] if r.get("subheading")}
    for number, page in enumerate(doc):
        tables = page.find_tables().tables
        for table in tables:
            for row in table.rows:
                cells = [c for c in row.cells if c]
                texts = [page.get_textbox(fitz.Rect(c)).strip() for c in cells]
                assert any(texts) or not cells, f"page {number + 1}: an empty row fragment"
        if tables and len(tables[-1].rows[-1].cells) > 1:
            spans = [c for c in tables[-1].rows[-1].cells if c]
            alone = len(spans) == 1 and _flat(page.get_textbox(fitz.Rect(spans[0]))) in lines
            assert not alone, f"{code} page {number + 1}: ends with an indicator line"
    # Every measure row: each cell whose first words occur once in the document starts on the same page,
    # and so does the indicator line above the row.
    pages = [_flat(page.get_text()) for page in doc]
    whole = "".join(pages)
    keys = [c["key"] for c in context["report"]["columns"]]
    checked = 0
    for row in (r for g in context["groups"] for r in g["rows"]):
        starts = {}
        cells = {**row["cells"], "subheading": row.get("subheading")}
        for key in [*keys, "subheading"]:
            first = _flat(str(cells.get(key) or "").split("\n")[0])[:16]
            if len(first) >= 6 and whole.count(first) == 1:
                starts[key] = next(n for n, text in enumerate(pages) if first in text) + 1
        checked += len(starts) > 1
        assert len(set(starts.values())) <= 1, f"{code} row {row['cells'].get('number')}: cells start on pages {starts}"
    assert checked >= 3
    # No page but the last carries less than a quarter of its height (text or pictures), the cover included.
    for number, page in enumerate(doc[:-1]):
        # Body blocks start between the running header and the page number; a table cell filled
        # to the bottom margin ends just inside the footer zone and still counts.
        foot = page.rect.height - 60
        bottoms = [min(b[3], foot) for b in page.get_text("blocks") if 60 < b[1] < foot]
        bottoms += [img["bbox"][3] for img in page.get_image_info()]
        used = (max(bottoms + [60]) - 60) / (page.rect.height - 120)
        assert used >= 0.25, f"{code} page {number + 1}: {used:.0%} used"


def _flat(text: str) -> str:
    """Text without spaces, no-break joins and break hints, digits as Arabic: comparable across the PDF."""
    return re.sub(r"[\s\u200b\u2060\u00ad]+", "", thai_digit_to_arabic_digit(text))


def test_section_rich_text_is_sanitised():
    from reports.sections import sanitize_rich_text

    out = sanitize_rich_text(
        '<p onclick="x" style="color:red">ก<b>ข</b></p><img src="http://127.0.0.1/x.png"><a href="file:///etc/passwd">ค</a>'
        "<script>alert(1)</script><table><tr><td colspan=2>ง</td></tr></table><ul><li>จ</li></ul>"
    )
    assert out == '<p>ก<b>ข</b></p>ค<table><tbody><tr><td colspan="2">ง</td></tr></tbody></table><ul><li>จ</li></ul>'


@pytest.mark.django_db
def test_sections_set_order_and_anchored_texts():
    from reports.services import report_sections_set

    report = _demo("pak-kran", 2567, "annual")
    report_sections_set(
        report=report,
        sections=[
            {"kind": "measures"},
            {"kind": "text", "title": "บทสรุป", "body": "<p>ข้อความ<script>x</script></p>"},
            {"kind": "signatory"},
        ],
    )
    ctx = report_context(report=report)
    assert [s["kind"] for s in ctx["sections"]] == ["measures", "text", "signatory"]
    assert ctx["sections"][1]["html"] == "<p>ข้อความ</p>"
    html = rendering.render_html(ctx)
    assert html.index("บทสรุป") > html.index('class="measures"')
    assert 'class="cover"' not in html  # the agency's sequence has no cover


@pytest.mark.django_db
def test_analysis_prints_the_agency_paragraph_per_indicator():
    ctx = report_context(report=_demo("takhram-en", 2565, "analysis"))
    by_number = {r["number"]: r for r in ctx["analysis"]["indicators"]}
    assert "การป้องกันการทุจริต" in by_number[10]["text"] and "<b>" in by_number[10]["text"]
    assert "ประสิทธิภาพการสื่อสาร" in by_number[7]["text"]
    assert [s["kind"] for s in ctx["sections"]][:3] == ["cover", "foreword", "toc"]


@pytest.mark.django_db
def test_docx_has_the_sections_tables_and_sarabun_16pt_for_thai():
    import io

    import docx

    from reports.docx_export import render_docx

    data = render_docx(report_context(report=_demo("takhram-en", 2565, "analysis")))
    document = docx.Document(io.BytesIO(data))
    normal = document.styles["Normal"].element.xml
    assert 'w:cs="Sarabun"' in normal and '<w:szCs w:val="32"/>' in normal and '<w:sz w:val="32"/>' in normal
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "คำนำ" in text and "สรุปได้ว่า" in text and "ผู้ตรวจประเมินมีข้อเสนอแนะ" in text
    assert "๘๗.๑๓" in cells and "E7" in cells  # Thai digits in numbers, codes as written
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "๓. การวิเคราะห์ข้อมูล (จุดแข็ง – จุดอ่อน)" in headings


@pytest.mark.django_db
def test_docx_download_for_the_whole_agency(client):
    from django.contrib.auth import get_user_model

    from reports.models import Report

    report = Report.objects.filter(agency__code="pak-kran", kind="annual").first()
    coordinator = (
        get_user_model().objects.filter(memberships__agency=report.agency, memberships__role="coordinator").first()
    )
    client.force_login(coordinator)
    response = client.get(f"/a/pak-kran/reports/{report.year.be_year}/annual/draft.docx")
    assert response.status_code == 200
    assert response["Content-Type"].endswith("wordprocessingml.document")
    assert response.content[:2] == b"PK"


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, be_year, kind",
    [
        ("takhram-en", 2565, "analysis"),
        ("khao-samo-khon", 2567, "annual"),
        ("nong-bua-ban", 2568, "annual"),
        ("pak-kran", 2567, "annual"),
        ("ubon-pao", 2566, "six_month"),
    ],
)
def test_docx_opens_in_libreoffice_with_the_same_text_as_the_pdf(tmp_path, code, be_year, kind):
    """LibreOffice converts the Word copy of each demo report to PDF; its text holds what our own PDF holds."""
    import subprocess
    import sys
    from pathlib import Path

    from reports.docx_export import render_docx

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from seed_coverage import coverage, pdf_text

    context = report_context(report=_demo(code, be_year, kind))
    (tmp_path / "r.docx").write_bytes(render_docx(context))
    (tmp_path / "ours.pdf").write_bytes(rendering.render_pdf(context))
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(tmp_path / "r.docx")],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    from_word = pdf_text(tmp_path / "r.pdf")
    if code == "takhram-en":
        assert "คำนำ" in from_word and "สรุปได้ว่า" in from_word
    share = coverage(pdf_text(tmp_path / "ours.pdf"), from_word)
    assert share > 0.9, f"{code}: {share:.1%} of our PDF's text in LibreOffice's"
