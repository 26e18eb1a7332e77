"""The report as an editable Word file (DOCX), from the same context and sections as the PDF.

Sarabun 16 pt is set in the styles for Latin and complex-script text alike (w:rFonts w:cs, w:szCs),
so Word and LibreOffice show Thai in Sarabun at the official size. Photos are read through the
storage API by their storage names, like the PDF renderer does.
"""

import io

import lxml.html
from django.core.files.storage import storages
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from . import typesetting

FONT = "Sarabun"
BODY_PT = 16


def _font(style, size: int, bold: bool | None = None) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    for tag in ("w:szCs",):
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            rpr.append(el)
        el.set(qn("w:val"), str(size * 2))


class _Writer:
    def __init__(self, ctx: dict):
        self.ctx = ctx
        self.thai = ctx["report"]["thai_digits"]
        self.doc = Document()
        styles = self.doc.styles
        _font(styles["Normal"], BODY_PT)
        for name, size in (("Title", 20), ("Heading 1", 18), ("Heading 2", 16), ("Heading 3", 16)):
            _font(styles[name], size, bold=True)
            styles[name].font.color.rgb = None
        section = self.doc.sections[0]
        section.left_margin, section.right_margin = Cm(3), Cm(2)
        section.top_margin, section.bottom_margin = Cm(2.5), Cm(2)

    def text(self, value) -> str:
        value = "" if value is None else str(value)
        return typesetting.thai_digits_text(value) if self.thai else value

    def para(self, text: str = "", *, style: str | None = None, center: bool = False, bold: bool = False):
        p = self.doc.add_paragraph(style=style)
        if text:
            p.add_run(self.text(text)).bold = bold or None
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        return p

    def heading(self, text: str, level: int = 2) -> None:
        if text:
            self.doc.add_heading(self.text(text), level=level)

    def html(self, fragment: str) -> None:
        """Sanitised section HTML: paragraphs with bold/italic runs, list items, simple tables."""
        if not fragment:
            return
        for el in lxml.html.fragments_fromstring(fragment):
            if isinstance(el, str):
                self.para(el)
            elif el.tag == "table":
                rows = [[c.text_content() for c in tr.findall(".//td") + tr.findall(".//th")] for tr in el.iter("tr")]
                self.table([], rows)
            elif el.tag in ("ul", "ol"):
                first = int(el.get("start") or 1) if (el.get("start") or "1").isdigit() else 1
                for n, li in enumerate(el.iter("li"), start=first):
                    number = typesetting.thai_digits_text(str(n)) if el.get("class") == "thai" else str(n)
                    self.para(("• " if el.tag == "ul" else f"{number}. ") + li.text_content())
            else:
                p = self.doc.add_paragraph()
                self._runs(p, el, bold=el.tag in ("h3", "h4"))

    def _runs(self, p, el, *, bold: bool = False, italic: bool = False) -> None:
        if el.text:
            run = p.add_run(self.text(el.text))
            run.bold, run.italic = bold or None, italic or None
        for child in el:
            if child.tag == "br":
                p.add_run().add_break()
            else:
                self._runs(
                    p, child, bold=bold or child.tag in ("b", "strong"), italic=italic or child.tag in ("i", "em")
                )
            if child.tail:
                run = p.add_run(self.text(child.tail))
                run.bold, run.italic = bold or None, italic or None

    def table(self, headers: list[str], rows: list[list], widths: list[float] | None = None) -> None:
        ncols = max([len(headers)] + [len(r) for r in rows] + [1])
        table = self.doc.add_table(rows=0, cols=ncols)
        table.style = "Table Grid"
        if headers:
            cells = table.add_row().cells
            for cell, h in zip(cells, headers, strict=False):
                cell.text = ""
                cell.paragraphs[0].add_run(self.text(h)).bold = True
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            table.rows[0].repeat_header = True  # python-docx has no API: set the XML flag below
            trpr = table.rows[0]._tr.get_or_add_trPr()
            trpr.append(trpr.makeelement(qn("w:tblHeader"), {}))
        for row in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=False):
                cell.text = self.text(value)
        if widths:
            for row in table.rows:
                for cell, w in zip(row.cells, widths, strict=False):
                    cell.width = Cm(w)

    def photos(self, photos: list[dict]) -> None:
        storage = storages["default"]
        for ph in photos:
            if ph.get("name"):
                with storage.open(ph["name"], "rb") as fh:
                    self.doc.add_picture(io.BytesIO(fh.read()), width=Cm(7.5))
                self.doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            if ph.get("caption"):
                self.para(ph["caption"], center=True)

    def landscape(self) -> None:
        section = self.doc.add_section()
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21)
        section.left_margin, section.right_margin = Cm(3), Cm(2)


def _measures(w: _Writer, ctx: dict) -> None:
    report, labels = ctx["report"], ctx["labels"]
    w.landscape()
    if report["kind"] != "analysis" and not ctx.get("intro") and report["layout"]["title_block"]:
        _title(w, ctx)
    w.heading(labels["analysis_measures_heading"] if report["kind"] == "analysis" else labels["measures_heading"])
    w.html(ctx["texts"].get("measures_intro", {}).get("html", ""))
    cols = report["columns"]
    widths = [c["width"] * 24.7 / 100 for c in cols]
    for g in ctx["groups"]:
        w.heading(g["heading"], 3)
        rows = []
        for row in g["rows"]:
            if row.get("subheading"):
                rows.append([row["subheading"]] + [""] * (len(cols) - 1))
            rows.append([row["cells"].get(c["key"], "") for c in cols])
        w.table([c["header"] for c in cols], rows, widths)
        if ctx.get("photos_beside"):
            if labels["photos_beside_heading"] and any(row.get("photos") for row in g["rows"]):
                w.para(labels["photos_beside_heading"], center=True, bold=True)
            w.photos([ph for row in g["rows"] for ph in row.get("photos", [])])


def _title(w: _Writer, ctx: dict) -> None:
    w.para(ctx["report"]["title"], style="Title", center=True)
    if ctx["labels"]["title_agency"]:
        w.para(ctx["labels"]["title_agency"], center=True)
    if ctx["report"]["layout"]["period_line"]:
        w.para(f"{ctx['report']['round_label']} ({ctx['report']['period']})", center=True)


def _analysis(w: _Writer, ctx: dict) -> None:
    a, texts = ctx["analysis"], ctx["texts"]
    _title(w, ctx)
    if ctx.get("intro"):
        w.heading("1. หลักการและเหตุผล")
        for p in ctx["intro"]:
            w.para(p)
    w.heading(f"2. ผลการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของ{ctx['agency']['name']}")
    w.html(texts.get("result", {}).get("html", ""))
    w.table(["ระดับผลการประเมิน", "ช่วงคะแนน"], [[b["label"], b["range"]] for b in a["bands"]])
    if not a.get("has_result"):
        return
    w.table(
        ["อันดับ", "ตัวชี้วัด", "คะแนน"],
        [[r["rank"], f"ตัวชี้วัดที่ {r['number']} {r['name']}", f"{r['score']:.2f}"] for r in a["indicators"]],
    )
    w.html(texts.get("summary", {}).get("html", ""))
    w.heading("3. การวิเคราะห์ข้อมูล (จุดแข็ง – จุดอ่อน)")
    w.html(texts.get("analysis_intro", {}).get("html", ""))
    for label, rows in (("3.1 จุดแข็ง", a["strengths"]), ("3.2 จุดอ่อน", a["weaknesses"])):
        w.heading(f"{label} จำนวน {len(rows)} ตัวชี้วัด", 3)
        for r in rows:
            if r.get("text"):
                w.html(r["text"])
            else:
                w.para(f"ตัวชี้วัดที่ {r['number']} {r['name']} ได้คะแนน {r['score']:.2f}")
    w.heading("4. ประเด็นที่เป็นข้อบกพร่องหรือจุดอ่อนที่จะต้องแก้ไขโดยเร่งด่วน")
    w.html(texts.get("urgent", {}).get("html", ""))
    w.html(texts.get("assessor", {}).get("html", ""))
    low = a["lowest"]
    w.table(
        ["เครื่องมือการประเมิน", "ประเด็นที่ต้องพัฒนา", "คะแนน", "แนวทางการแก้ไข"],
        [[low["tool"], f"ตัวชี้วัดที่ {low['number']} {low['name']}", f"{low['score']:.2f}", low["remedy"]]],
    )
    w.heading("5. ประเด็นที่ต้องพัฒนาให้ดีขึ้น")
    w.html(texts.get("improve_intro", {}).get("html", ""))
    for t in a["by_tool"]:
        rows = [
            [t["code"], f"ตัวชี้วัดที่ {r['number']} {r['name']}", f"{r['score']:.2f}", r["remedy"]] for r in t["indicators"]
        ]
        rows += [[t["code"], f"{q['code']} {q['text']}", f"{q['score']:.2f}", q["remedy"]] for q in t["questions"]]
        w.heading(f"แบบวัด {t['code']}: {t['name']}", 3)
        w.html(t.get("text", ""))
        w.table(["เครื่องมือการประเมิน", "ประเด็นที่ต้องพัฒนา", "คะแนน", "แนวทางการแก้ไข"], rows)


def _toc_field(w: _Writer):
    """A Word table-of-contents field over the headings; Word fills its page numbers when the file is
    opened (updateFields), and until then it shows the headings it will list."""
    p = w.doc.add_paragraph()

    def run(tag: str, **attrs):
        r = p.add_run()._r
        el = r.makeelement(qn(tag), {qn(k): v for k, v in attrs.items()})
        r.append(el)
        return el

    run("w:fldChar", **{"w:fldCharType": "begin"})
    run("w:instrText", **{"xml:space": "preserve"}).text = ' TOC \\o "1-3" \\h \\z \\u '
    run("w:fldChar", **{"w:fldCharType": "separate"})
    p._toc_result = p.add_run()
    run("w:fldChar", **{"w:fldCharType": "end"})
    update = w.doc.settings.element.makeelement(qn("w:updateFields"), {qn("w:val"): "true"})
    w.doc.settings.element.append(update)
    return p


def _toc_fill(w: _Writer, p) -> None:
    """The field's shown result: the headings written after it, one per line."""
    body = list(w.doc.element.body)
    after = body[body.index(p._p) + 1 :]
    names = {"Heading 1", "Heading 2", "Heading 3"}
    titles = [q.text for q in w.doc.paragraphs if q._p in after and q.style.name in names and q.text]
    for n, title in enumerate(titles):
        if n:
            p._toc_result.add_break()
        p._toc_result.add_text(title)


def render_docx(context: dict) -> bytes:
    """DOCX bytes for a report context: the same sections, headings, tables and photos as the PDF."""
    ctx, w = context, _Writer(context)
    report, labels = ctx["report"], ctx["labels"]
    toc = None
    for s in ctx["sections"]:
        kind = s["kind"]
        if kind == "cover" and report["show_cover"]:
            for _ in range(6):
                w.para()
            w.para(report["title"], style="Title", center=True)
            w.para(ctx["agency"]["name"], center=True, bold=True)
            w.para(ctx["agency"]["place"], center=True)
            w.doc.add_page_break()
        elif kind == "title" and ctx.get("intro") and report["kind"] != "analysis":
            if report["layout"]["title_block"]:
                _title(w, ctx)
            for p in ctx["intro"]:
                w.para(p)
        elif kind == "analysis":
            _analysis(w, ctx)
        elif kind in ("foreword", "text", "toc"):
            w.heading(s["title"] or ("สารบัญ" if kind == "toc" else ""))
            w.html(s["html"])
            if kind == "toc" and not s["html"]:
                toc = _toc_field(w)
            if kind != "text":
                w.doc.add_page_break()
        elif kind == "measures" and ctx["groups"]:
            _measures(w, ctx)
        elif kind == "score_table" and report["show_score_table"] and ctx.get("scores", {}).get("years"):
            sc = ctx["scores"]
            w.heading(labels["score_heading"])
            if labels["score_caption"]:
                w.para(labels["score_caption"], center=True, bold=True)
            headers = [labels["score_col_indicator"]] + [y["header"] for y in sc["years"]]
            rows = [
                [f"{r['number']}. {r['name']}"]
                + ["" if c["score"] is None else f"{c['score']:.2f}" for c in r["cells"]]
                for r in sc["indicator_rows"]
            ]
            rows.append(["คะแนนรวม"] + ["" if y["overall"] is None else f"{y['overall']:.2f}" for y in sc["years"]])
            rows.append(["ระดับผลการประเมิน"] + [y["level_awarded"] or "–" for y in sc["years"]])
            w.table(headers, rows)
        elif kind == "recommendations" and ctx.get("recommendations"):
            w.heading(labels["recommendations_heading"])
            for p in ctx["recommendations"].split("\n\n"):
                w.para(p)
        elif kind == "signatory" and (report["signatory_name"] or report["signatory_position"]):
            for line in (
                "ลงชื่อ ..........................................",
                f"({report['signatory_name']})",
                report["signatory_position"],
                report["signed_on"],
            ):
                if line:
                    w.para(line, center=True)
        elif kind == "photos" and ctx.get("photo_pages"):
            w.heading(labels["photos_heading"])
            for page in ctx["photo_pages"]:
                w.heading(f"{page['heading']}{' — ' if page['heading'] else ''}{page['title']}", 3)
                w.photos(page["photos"])
    if toc is not None:
        _toc_fill(w, toc)
    out = io.BytesIO()
    w.doc.save(out)
    return out.getvalue()
