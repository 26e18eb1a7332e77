"""Thai text-layer corpus shared by tests/test_thai_text_layer.py and
benchmarks/text_layer.py: the phrases, the HTML that places each phrase in
five contexts, and one text extractor per PDF engine.

Each phrase gets its own page, where it appears in the running header
(@top-center), the heading, a paragraph, a narrow table cell and the running
footer (@bottom-center).  A phrase counts as *found* by an engine when its
page's extracted text, whitespace removed, contains it at least
``len(CONTEXTS)`` times.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import unicodedata
from pathlib import Path

import fontpkg_sarabun

ROOT = Path(__file__).resolve().parent.parent
PDFJS_SCRIPT = ROOT / "tools" / "pdfjs_extract.mjs"
FONT_DIR = Path(fontpkg_sarabun.__file__).parent / "files"

PHRASES: tuple[str, ...] = (
    "น้ำ",  # SARA AM split in two; NIKHAHIT fused with the tone mark
    "ต่ำ",
    "ซ้ำ",
    "ค่ำ",
    "ตะคร้ำเอน",
    "ดำเนินการ",
    "ประจำปี",
    "สำนักปลัด",
    "ที่นี่",  # tone mark: raised variant stacked on an upper vowel
    "ทั้ง",
    "นั้น",
    "พื้น",
    "ผู้",
    "ปั๊ม",  # tall consonant: narrow mark variants shifted left
    "ฤดู",
    "ฯลฯ",
    "๒๕๖๗",
    "๙๒.๘๔",
    "กำกับติดตาม",
    "องค์การบริหารส่วนตำบล",
    "ญี่ปุ่น",  # stacked upper marks; tone mark over a below vowel
    "ฐานข้อมูล",
    "ปิ่นโต",
    "ศูนย์ฯ",
)

CONTEXTS: tuple[str, ...] = ("header", "heading", "paragraph", "table cell", "footer")

# Sentences as users type them (progress reports, measure titles): extracted
# with whitespace kept, each must come out with exactly its own spaces.
SENTENCES: tuple[str, ...] = (
    "โครงการชื่อว่า ส่งเสริมคุณธรรมและความโปร่งใส",
    "ผู้บริหารท้องถิ่นประกาศเจตจำนงสุจริต",
    "น้ำประปาหมู่บ้านได้รับการซ่อมแซมแล้วเสร็จ",
    "เผยแพร่ข้อมูลข่าวสารที่สำคัญผ่านเว็บไซต์ของหน่วยงาน",
    "จัดซื้อจัดจ้างตามพระราชบัญญัติ พ.ศ. ๒๕๖๐",
    "ญี่ปุ่นปั๊มน้ำมันฤๅษีฦๅ ศูนย์ฯ ฯลฯ",
)


def font_face_css() -> str:
    """@font-face rules for Sarabun Regular (400) and Bold (700)."""
    faces = []
    for weight, name in ((400, "Sarabun-Regular.ttf"), (700, "Sarabun-Bold.ttf")):
        url = (FONT_DIR / name).as_uri()
        faces.append(f"@font-face {{ font-family: Sarabun; font-weight: {weight}; src: url({url}); }}")
    return "\n".join(faces)


def build_html(phrases: tuple[str, ...] = PHRASES) -> str:
    """One page per phrase, the phrase once in each of CONTEXTS."""
    pages = []
    for number, phrase in enumerate(phrases, 1):
        text = html.escape(phrase)
        pages.append(
            f"<section>"
            f"<h1>{text}</h1>"
            f"<p>ย่อหน้าที่ {number}: คำว่า {text} ใช้ทดสอบชั้นข้อความของเอกสาร</p>"
            f"<table><tr><th>ลำดับ</th><td class=narrow>{text}</td></tr></table>"
            f"</section>"
        )
    return f"""<!doctype html>
<html lang=th><head><meta charset=utf-8><style>
{font_face_css()}
@page {{
  size: A5; margin: 25mm 18mm;
  @top-center {{ content: string(phrase); font-family: Sarabun; font-size: 10pt; }}
  @bottom-center {{ content: "หน้า " counter(page) " " string(phrase);
                    font-family: Sarabun; font-size: 10pt; }}
}}
html {{ font-family: Sarabun; font-size: 14pt; }}
h1 {{ string-set: phrase content(); font-weight: 700; font-size: 20pt; }}
section + section {{ break-before: page; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 0.5pt solid #999; padding: 2pt; vertical-align: top; }}
td.narrow {{ width: 14mm; }}
</style></head><body>{"".join(pages)}</body></html>"""


def sentences_html(sentences: tuple[str, ...] = SENTENCES) -> str:
    """One sentence per paragraph, on one wide page, in the corpus's fonts."""
    paragraphs = "".join(f"<p>{html.escape(sentence)}</p>" for sentence in sentences)
    return f"""<!doctype html>
<html lang=th><head><meta charset=utf-8><style>
{font_face_css()}
@page {{ size: A4 landscape; margin: 15mm; }}
html {{ font-family: Sarabun; font-size: 16pt; }}
p:nth-child(even) {{ font-weight: 700; }}
</style></head><body>{paragraphs}</body></html>"""


def render_pdf(path: Path, phrases: tuple[str, ...] = PHRASES) -> Path:
    import weasyprint

    weasyprint.HTML(string=build_html(phrases)).write_pdf(path)
    return path


# --- extractors: each returns one string per page -------------------------


def extract_poppler(pdf: Path) -> list[str]:
    if not shutil.which("pdftotext"):
        raise RuntimeError("pdftotext not found: apt-get install poppler-utils")
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.split("\f")[:-1]  # pdftotext ends every page with a form feed


def extract_mupdf(pdf: Path) -> list[str]:
    import pymupdf

    with pymupdf.open(pdf) as document:
        return [page.get_text() for page in document]


def extract_pdfium(pdf: Path) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def extract_pdfjs(pdf: Path) -> list[str]:
    if not (ROOT / "node_modules" / "pdfjs-dist").is_dir():
        raise RuntimeError(f"pdfjs-dist not installed: run `npm ci` in {ROOT}")
    out = subprocess.run(
        ["node", str(PDFJS_SCRIPT), str(pdf)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return out.split("\n")


def extract_pdfminer(pdf: Path) -> list[str]:
    from pdfminer.high_level import extract_text

    return extract_text(str(pdf)).split("\f")[:-1]


ENGINES = {
    "poppler": extract_poppler,
    "mupdf": extract_mupdf,
    "pdfium": extract_pdfium,
    "pdfjs": extract_pdfjs,
}
try:  # optional (not in requirements.txt): `pip install pdfminer.six` to compare it too
    import pdfminer  # noqa: F401

    OPTIONAL_ENGINES = {"pdfminer": extract_pdfminer}
except ImportError:
    OPTIONAL_ENGINES = {}
EXACT_ENGINES = ("poppler", "mupdf", "pdfium", "pdfjs")  # must extract exactly, without NFKC


def squeeze(text: str, nfkc: bool) -> str:
    """Remove all whitespace; with ``nfkc``, also NFKC-normalize."""
    text = "".join(text.split())
    return unicodedata.normalize("NFKC", text) if nfkc else text


def missed_phrases(pages: list[str], nfkc: bool, phrases: tuple[str, ...] = PHRASES) -> dict[str, int]:
    """Phrases not found in every context of their page → occurrences found."""
    if len(pages) != len(phrases):  # one page per phrase
        raise AssertionError(f"expected {len(phrases)} pages, got {len(pages)}")
    counts = {
        phrase: squeeze(page, nfkc).count(squeeze(phrase, nfkc)) for phrase, page in zip(phrases, pages, strict=True)
    }
    return {phrase: n for phrase, n in counts.items() if n < len(CONTEXTS)}
