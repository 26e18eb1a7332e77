"""Free text typed in a small markup (reports/markup.py): paragraphs, bulleted and numbered lists (Arabic
or Thai digits), bold and pipe tables, parsed by markdown-it-py and cleaned by the nh3 allow-list; texts
stored as HTML before the markup keep printing and saving the same; the PDF and the Word copy print
the lists and tables."""

import io

import docx
import pymupdf as fitz
import pytest

from reports import rendering, section_services
from reports.docx_export import render_docx
from reports.markup import editable_text, markup_to_html, rich_text_from_input
from reports.models import Report, ReportSection
from reports.selectors import report_context

from .conftest import login
from .test_report_authoring import PKR, TKE, analysis, annual, coordinator, url

TYPED = """ผลการดำเนินงานของหน่วยงาน
ขึ้นบรรทัดใหม่ในย่อหน้าเดิม

- หัวข้อย่อยแรกของข้อความ
• เผยแพร่ข้อมูลทางเว็บไซต์

๑. ข้อแรกของรายการเลขไทย
๒. **ตรวจสอบ** การใช้ทรัพย์สิน

| เรื่อง | ผลการดำเนินการ |
| อบรม | ครบ 3 ครั้ง |"""


def test_markup_gives_paragraphs_lists_bold_and_a_table():
    html = markup_to_html(TYPED)
    assert html == (
        "<p>ผลการดำเนินงานของหน่วยงาน<br>ขึ้นบรรทัดใหม่ในย่อหน้าเดิม</p>"
        "<ul><li>หัวข้อย่อยแรกของข้อความ</li><li>เผยแพร่ข้อมูลทางเว็บไซต์</li></ul>"
        '<ol class="thai"><li>ข้อแรกของรายการเลขไทย</li><li><strong>ตรวจสอบ</strong> การใช้ทรัพย์สิน</li></ol>'
        "<table><thead><tr><th>เรื่อง</th><th>ผลการดำเนินการ</th></tr></thead>"
        "<tbody><tr><td>อบรม</td><td>ครบ 3 ครั้ง</td></tr></tbody></table>"
    )
    # Arabic numbering, a list starting elsewhere, and the Markdown delimiter row typed by hand.
    assert markup_to_html("1. หนึ่ง\n2. สอง") == "<ol><li>หนึ่ง</li><li>สอง</li></ol>"
    assert markup_to_html("๓. สาม\n๔. สี่") == '<ol start="3" class="thai"><li>สาม</li><li>สี่</li></ol>'
    assert markup_to_html("| ก | ข |\n|---|---|\n| 1 | 2 |") == markup_to_html("| ก | ข |\n| 1 | 2 |")


def test_markup_never_lets_html_links_or_images_through():
    html = markup_to_html(
        "<script>alert(1)</script> [ลิงก์](https://x.example) ![ภาพ](https://x.example/a.png)\n\n# หัวข้อ"
    )
    assert "<script" not in html and "<a" not in html and "<img" not in html and "<h1" not in html
    assert "&lt;script&gt;" in html and "# หัวข้อ" in html
    assert rich_text_from_input("<style>p{}</style>ข้อความ") == "<p>&lt;style&gt;p{}&lt;/style&gt;ข้อความ</p>"


def test_text_typed_as_html_is_still_read_as_html_and_shown_back_as_typed():
    # A text with one of the allowed tags is HTML (as before the markup), sanitised by the same allow-list.
    assert rich_text_from_input('<p>ก <b>ข</b></p><img src="x">') == "<p>ก <b>ข</b></p>"
    # Stored HTML that the markup cannot give back exactly is shown as HTML; the markup's own HTML as markup.
    assert editable_text("<p>ก <b>ข</b></p>") == "<p>ก <b>ข</b></p>"
    assert editable_text(markup_to_html(TYPED)) == TYPED.replace("• ", "- ")
    assert editable_text("<p>- ไม่ใช่รายการ</p>") == "<p>- ไม่ใช่รายการ</p>"  # as markup it would be a list


@pytest.mark.django_db
def test_the_demo_sections_stored_as_html_print_and_save_back_unchanged():
    report, access = analysis(), coordinator(TKE)
    stored = {s.pk: s.body for s in report.sections.all()}
    assert any("<b>" in body for body in stored.values())  # seed 002's transcribed texts
    printed = report_context(report=report)
    texts = [s["html"] for s in printed["sections"]] + [t["html"] for t in printed["texts"].values()]
    assert sorted(b for b in stored.values() if b) == sorted(t for t in texts if t)
    # Opening the page and saving a text as shown keeps the stored HTML byte for byte.
    page = login("tke-coord").get(url(TKE, 2565, "analysis"))
    assert page.status_code == 200 and "วิธีจัดรูปแบบข้อความ" in page.content.decode()
    for section in report.sections.filter(anchor="").exclude(body=""):
        saved = section_services.report_section_update(
            access=access,
            report=report,
            section_id=section.pk,
            title=section.title,
            body=editable_text(section.body),
            expected_version=section.version,
        )
        assert saved.body == stored[section.pk]
    for section in report.sections.exclude(anchor=""):
        saved = section_services.report_text_save(
            access=access,
            report=report,
            anchor=section.anchor,
            body=editable_text(section.body),
            expected_version=section.version,
        )
        assert saved.body == stored[section.pk]


@pytest.mark.slow
@pytest.mark.django_db
def test_the_pdf_and_the_word_copy_print_the_markup_lists_and_table():
    report, access = annual(), coordinator(PKR)
    text = section_services.report_section_add(access=access, report=report, kind="text", title="ผลโดยสรุป")
    client = login("pkr-coord")
    position = list(report.sections.filter(anchor="").order_by("order")).index(text) + 1
    data = {"op": "save", "section": text.pk, "position": position, "kind": "text", "version": 1}
    assert client.post(url(PKR, 2567, "annual"), {**data, "title": "ผลโดยสรุป", "body": TYPED}).status_code == 302
    assert ReportSection.objects.get(pk=text.pk).body == markup_to_html(TYPED)
    page = client.get(url(PKR, 2567, "annual")).content.decode()
    assert "๑. ข้อแรกของรายการเลขไทย" in page  # the textarea shows the markup again, not HTML

    ctx = report_context(report=Report.objects.get(pk=report.pk))
    pdf = fitz.open(stream=rendering.render_pdf(ctx), filetype="pdf")
    [number] = [n for n, p in enumerate(pdf) if "ข้อแรกของรายการเลขไทย" in p.get_text()]
    page = pdf[number]

    def marker_before(marker: str, text: str) -> bool:
        """The list marker (drawn by the stylesheet) stands left of the item, on its line."""
        [item] = page.search_for(text)[:1]
        return any(m.x1 <= item.x0 and abs(m.y0 - item.y0) < 3 for m in page.search_for(marker))

    assert marker_before("๑.", "ข้อแรกของรายการเลขไทย") and marker_before("๒.", "การใช้ทรัพย์สิน")
    assert marker_before("•", "หัวข้อย่อยแรกของข้อความ") and marker_before("•", "เผยแพร่ข้อมูลทางเว็บไซต์")
    flat = "".join(page.get_text().split())
    assert "ผลการดำเนินการ" in flat and "ครบ3ครั้ง" in flat
    bold = {
        s["text"].strip()
        for b in page.get_text("dict")["blocks"]
        for ln in b.get("lines", [])
        for s in ln["spans"]
        if s["flags"] & 16
    }
    assert "ตรวจสอบ" in bold
    # The table prints as a table with ruled cells, header row first.
    tables = [[[" ".join((c or "").split()) for c in row] for row in t.extract()] for t in page.find_tables()]
    assert [["เรื่อง", "ผลการดำเนินการ"], ["อบรม", "ครบ 3 ครั้ง"]] in tables

    document = docx.Document(io.BytesIO(render_docx(ctx)))
    paragraphs = [p.text for p in document.paragraphs]
    assert "• หัวข้อย่อยแรกของข้อความ" in paragraphs and "• เผยแพร่ข้อมูลทางเว็บไซต์" in paragraphs
    assert "๑. ข้อแรกของรายการเลขไทย" in paragraphs and "๒. ตรวจสอบ การใช้ทรัพย์สิน" in paragraphs
    tables = [[[c.text for c in r.cells] for r in t.rows] for t in document.tables]
    assert [["เรื่อง", "ผลการดำเนินการ"], ["อบรม", "ครบ 3 ครั้ง"]] in tables


@pytest.mark.slow
@pytest.mark.django_db
def test_a_thai_digit_report_counts_every_numbered_list_in_thai_digits():
    report, access = annual(), coordinator(PKR)
    Report.objects.filter(pk=report.pk).update(thai_digits=True)
    report.refresh_from_db()
    text = section_services.report_section_add(access=access, report=report, kind="text", title="ผลโดยสรุป")
    section_services.report_section_update(
        access=access,
        report=report,
        section_id=text.pk,
        title="ผลโดยสรุป",
        body="1. ประชุมคณะทำงานครบถ้วน\n2. เผยแพร่ประกาศบนเว็บไซต์",
        expected_version=1,
    )
    ctx = report_context(report=Report.objects.get(pk=report.pk))
    pdf = fitz.open(stream=rendering.render_pdf(ctx), filetype="pdf")
    [page] = [p for p in pdf if "ประชุมคณะทำงานครบถ้วน" in p.get_text()]
    for marker, item in (("๑.", "ประชุมคณะทำงานครบถ้วน"), ("๒.", "เผยแพร่ประกาศบนเว็บไซต์")):
        [box] = page.search_for(item)[:1]
        assert any(m.x1 <= box.x0 and abs(m.y0 - box.y0) < 3 for m in page.search_for(marker)), marker
    paragraphs = [p.text for p in docx.Document(io.BytesIO(render_docx(ctx))).paragraphs]
    assert "๑. ประชุมคณะทำงานครบถ้วน" in paragraphs
