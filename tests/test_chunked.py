"""Drafts rendered in chunks by forked processes: page numbers, text, outline, cache, errors."""

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest
import weasyprint
from weasyprint.text.fonts import FontConfiguration

from reports import chunked, pdf_patches, thai_text_layer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import thai_corpus  # noqa: E402

pytestmark = pytest.mark.slow

CSS = (
    thai_corpus.font_face_css()
    + """
@page { size: A5 landscape; margin: 15mm; @bottom-center { content: "หน้า " counter(page); font-family: Sarabun; } }
@page wide { size: A5 landscape; }
html { font-family: Sarabun; font-size: 12pt; }
.wide-section { page: wide; }
table { width: 100%; border-collapse: collapse; }
td { border: 0.5pt solid #000; }
h3 { break-after: avoid; }
"""
)


def report_html(groups: int = 6, rows: int = 12, changed: int | None = None) -> str:
    parts = ["<!doctype html><html lang=th><head><meta charset=utf-8><title>รายงานทดสอบ</title></head><body>"]
    parts.append("<section><h1>รายงานผลการดำเนินการ</h1><p>น้ำประปาหมู่บ้าน</p></section>")
    parts.append("<section class=wide-section><h2>ผลการดำเนินการตามมาตรการ</h2>")
    for group in range(groups):
        parts.append(f"<h3 class=group-heading>ประเด็นที่ {group + 1}</h3><table class=measures><tbody>")
        for row in range(rows):
            text = f"มาตรการที่ {group + 1}.{row + 1} ดำเนินการแล้วเสร็จ ผู้ใหญ่บ้านชื่อว่าน้ำฝน"
            result = "สูงกว่าเป้าหมาย" if changed == group else "ต่ำกว่าเป้าหมาย"  # as wide: same pages
            parts.append(f"<tr><td>{html.escape(text)}</td><td>{result}</td></tr>")
        parts.append("</tbody></table>")
    parts.append("</section><section><h2>ข้อเสนอแนะ</h2><p>ปิดท้ายรายงาน</p></section></body></html>")
    return "".join(parts)


def document_and_options(source: str):
    thai_text_layer.enable()
    pdf_patches.enable()
    font_config = FontConfiguration()
    css = weasyprint.CSS(string=CSS, font_config=font_config)
    return weasyprint.HTML(string=source), {"stylesheets": [css], "font_config": font_config}


def render(source: str, **kwargs) -> bytes:
    document, options = document_and_options(source)
    kwargs.setdefault("budget", 25)
    return chunked.render(document, options, styles=CSS, version="test", **kwargs)


def page_texts(pdf: bytes) -> list[str]:
    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        return [page.get_text() for page in document]


def test_plan_cuts_at_group_boundaries_by_rows():
    root = weasyprint.HTML(string=report_html(groups=6, rows=12)).etree_element
    section, parts = chunked.plan(root, budget=25)
    assert [len(part) for part in parts] == [2, 2, 2]  # 72 rows → 3 chunks of 2 groups
    assert all(
        block.elements[0].tag == "h3" and block.table.tag == "table" and block.rows is None
        for part in parts
        for block in part
    )
    assert chunked.plan(root, budget=100) is None  # one chunk: rendered as before


def test_a_group_larger_than_the_budget_is_cut_into_runs_of_rows():
    root = weasyprint.HTML(string=report_html(groups=1, rows=60)).etree_element
    section, parts = chunked.plan(root, budget=25)
    assert [[block.rows for block in part] for part in parts] == [[(0, 20)], [(20, 40)], [(40, 60)]]
    assert parts[0][0].elements[0].tag == "h3" and len(parts[1][0].elements) == 1  # heading once
    texts = page_texts(render(report_html(groups=1, rows=60), processes=2))
    flat = "".join("".join(texts).split())
    assert [f"มาตรการที่1.{n}ดำเนินการ" in flat for n in range(1, 61)] == [True] * 60
    assert flat.count("ประเด็นที่1") == 1
    assert [int(re.findall(r"หน้า (\d+)", text)[-1]) for text in texts] == list(range(1, len(texts) + 1))


def test_chunks_number_pages_on_and_keep_text_outline_and_language(tmp_path):
    pdf = render(report_html(), processes=2)
    texts = page_texts(pdf)
    numbers = [int(re.findall(r"หน้า (\d+)", text)[-1]) for text in texts]
    assert numbers == list(range(1, len(texts) + 1))
    flat = "".join("".join(texts).split())
    for group in range(6):
        for row in range(12):
            assert f"มาตรการที่{group + 1}.{row + 1}ดำเนินการแล้วเสร็จผู้ใหญ่บ้านชื่อว่าน้ำฝน" in flat
    assert flat.count("ต่ำกว่าเป้าหมาย") == 72
    assert "รายงานผลการดำเนินการ" in texts[0] and "ปิดท้ายรายงาน" in texts[-1]
    path = tmp_path / "merged.pdf"
    path.write_bytes(pdf)
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0
    for engine in ("poppler", "pdfjs"):  # exact Thai after the merge too
        extracted = "".join("".join(thai_corpus.ENGINES[engine](path)).split())
        assert extracted.count("ผู้ใหญ่บ้านชื่อว่าน้ำฝน") == 72, engine
    with pymupdf.open(path) as document:
        assert document.xref_get_key(document.pdf_catalog(), "Lang") == ("string", "th")
        assert document.metadata["title"] == "รายงานทดสอบ"
        toc = document.get_toc()
        fonts = {font[3].split("+")[-1] for page in document for font in page.get_fonts()}
    headings = [title for _, title, _ in toc if title.startswith("ประเด็นที่")]
    assert headings == [f"ประเด็นที่ {n}" for n in range(1, 7)]
    assert [page for *_, page in toc] == sorted(page for *_, page in toc)
    assert fonts == {"Sarabun", "Sarabun-Bold"}


def test_one_process_gives_the_same_pages():
    source = report_html()
    assert page_texts(render(source, processes=1)) == page_texts(render(source, processes=2))


def test_cache_re_renders_only_the_changed_chunk(tmp_path, monkeypatch):
    first = render(report_html(), processes=2, cache=tmp_path)
    forks = []
    real_fork = os.fork
    monkeypatch.setattr(chunked.os, "fork", lambda: forks.append(1) or real_fork())
    again = render(report_html(), processes=2, cache=tmp_path)
    assert forks == [] and page_texts(again) == page_texts(first)
    changed = render(report_html(changed=5), processes=2, cache=tmp_path)  # last group: last chunk
    assert forks == [1]
    assert "สูงกว่าเป้าหมาย" in page_texts(changed)[-1]
    # The first chunk changed, its page count not: the chunks after it are not rendered again.
    changed = render(report_html(changed=0), processes=2, cache=tmp_path)
    assert forks == [1, 1]
    assert "สูงกว่าเป้าหมาย" in "".join(page_texts(changed)[:3])
    assert len(page_texts(changed)) == len(page_texts(first))


def test_a_failing_chunk_is_reported():
    source = report_html().replace("ปิดท้ายรายงาน", "ปิดท้ายรายงาน \U0010fffd")  # in no font
    from reports.rendering import ReportRenderError

    with pytest.raises(ReportRenderError, match="glyph"):
        render(source, processes=2)


def structure_problems(pdf: bytes) -> list[str]:
    """Every marked content on every page found through the ParentTree, every element's
    parent its real parent, every element's page a page of the file."""
    problems = []
    with pymupdf.open(stream=pdf, filetype="pdf") as document:
        catalog = document.pdf_catalog()
        root = int(document.xref_get_key(catalog, "StructTreeRoot")[1].split()[0])
        parent_tree = int(document.xref_get_key(root, "ParentTree")[1].split()[0])
        nums = document.xref_get_key(parent_tree, "Nums")[1]
        entries = {
            int(key): [int(x) for x in re.findall(r"(\d+) 0 R", value)]
            for key, value in re.findall(r"(\d+)\s*(\[[^\]]*\]|\d+ 0 R)", nums)
        }
        pages = {page.xref: number for number, page in enumerate(document)}
        for number, page in enumerate(document):
            key = int(document.xref_get_key(page.xref, "StructParents")[1])
            mcids = [int(m) for m in re.findall(rb"/MCID (\d+)", page.read_contents())]
            elements = entries.get(key, [])
            for mcid in mcids:
                if mcid >= len(elements):
                    problems.append(f"page {number}: MCID {mcid} not in the ParentTree")
                elif document.xref_get_key(elements[mcid], "Pg")[1] != f"{page.xref} 0 R":
                    problems.append(f"page {number}: MCID {mcid} maps to an element of another page")
        seen, todo = set(), [(root, None)]
        while todo:
            xref, parent = todo.pop()
            if xref in seen:
                problems.append(f"element {xref} twice in the tree")
                continue
            seen.add(xref)
            if parent is not None and document.xref_get_key(xref, "P")[1] != f"{parent} 0 R":
                problems.append(f"element {xref}: /P is not its parent {parent}")
            kind, page = document.xref_get_key(xref, "Pg")
            if kind == "xref" and int(page.split()[0]) not in pages:
                problems.append(f"element {xref}: /Pg is not a page of the file")
            kids = document.xref_get_key(xref, "K")
            for kid in re.findall(r"(\d+) 0 R", kids[1] if kids[0] in ("array", "xref") else ""):
                if document.xref_get_key(int(kid), "Type")[1] == "/StructElem":
                    todo.append((int(kid), xref))
        if len(seen) < 100:
            problems.append(f"only {len(seen)} elements in the tree")
    return problems


def test_tagged_pdf_a_chunks_merge_into_one_structure_tree(tmp_path):
    document, options = document_and_options(report_html())
    options.update(
        pdf_tags=True,
        pdf_variant="pdf/a-3b",
        attachments=[weasyprint.Attachment(string=b'{"ok": 1}', name="report-data.json")],
    )
    pdf = chunked.render(document, options, styles=CSS, version="test", budget=25, processes=2)
    assert structure_problems(pdf) == []
    texts = page_texts(pdf)
    assert [int(re.findall(r"หน้า (\d+)", text)[-1]) for text in texts] == list(range(1, len(texts) + 1))
    path = tmp_path / "published.pdf"
    path.write_bytes(pdf)
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0
    with pymupdf.open(path) as merged:
        assert merged.embfile_names() == ["report-data.json"]
        assert b"pdfaid:part" in merged.get_xml_metadata().encode() or b"pdfaid" in pdf
        assert merged.xref_get_key(merged.pdf_catalog(), "MarkInfo")[0] == "dict"
        kids = merged.xref_get_key(merged.pdf_catalog(), "StructTreeRoot")
        assert kids[0] == "xref"
        names = {merged.xref_get_key(x, "BaseFont")[1] for x in range(1, merged.xref_length())}
    subsets = [name for name in names if "+" in name]
    assert len(subsets) == len(set(subsets)) >= 4  # two weights × chunks, each its own tag
    extracted = "".join("".join(thai_corpus.ENGINES["pdfjs"](path)).split())
    assert extracted.count("ผู้ใหญ่บ้านชื่อว่าน้ำฝน") == 72


def test_structure_check_sees_a_broken_tree():
    """Control for structure_problems: a tree whose ParentTree lost a page's entry fails."""
    document, options = document_and_options(report_html())
    options.update(pdf_tags=True)
    pdf = chunked.render(document, options, styles=CSS, version="test", budget=25, processes=2)
    with pymupdf.open(stream=pdf, filetype="pdf") as broken:
        page = broken[len(broken) // 2]
        broken.xref_set_key(page.xref, "StructParents", "0")
        assert structure_problems(broken.tobytes())


def test_chunks_render_inside_the_workers_isolated_child():
    """The render worker's child (address-space and CPU limits) forks the chunk processes."""
    from reports.tasks import IsolatedRenderer

    source = report_html()
    pdf = IsolatedRenderer(render=lambda context, **options: render(source, processes=2))({})
    texts = page_texts(pdf)
    assert [int(re.findall(r"หน้า (\d+)", text)[-1]) for text in texts] == list(range(1, len(texts) + 1))


def test_no_fork_while_other_threads_run():
    """Forking copies one thread: with others running, the report is rendered in one piece."""
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert render(report_html(), processes=2) is None
    finally:
        stop.set()
        thread.join()
