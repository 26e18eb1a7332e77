"""Thai text layer of WeasyPrint PDFs with reports.thai_text_layer enabled.

Plain pytest, no database.  Needs pdftotext (apt: poppler-utils) and pdf.js
(`npm ci` in the project root, see package.json).
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
import weasyprint
from fontTools.ttLib import TTFont
from weasyprint.draw import text as weasyprint_draw_text
from weasyprint.pdf import fonts as weasyprint_pdf_fonts

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import thai_corpus  # noqa: E402

from reports import thai_text_layer  # noqa: E402

pytestmark = pytest.mark.slow  # renders PDFs, runs poppler, MuPDF, PDFium and pdf.js
N_CONTEXTS = len(thai_corpus.CONTEXTS)  # occurrences of each phrase on its page


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def patched() -> Iterator[None]:
    """enable() for this module only: restore WeasyPrint's functions afterwards."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for module, name in (
            (weasyprint_draw_text, "draw_first_line"),
            (weasyprint_pdf_fonts, "_build_vector_font_dictionary"),
            (weasyprint_pdf_fonts.Font, "clean"),
        ):
            monkeypatch.setattr(module, name, getattr(module, name))  # restored at exit
        thai_text_layer.enable()
        thai_text_layer.enable()  # idempotent
        yield


@pytest.fixture(scope="module")
def corpus_pdf(patched: None, tmp_path_factory: pytest.TempPathFactory):
    """The corpus rendered with the fix, and the WeasyPrint warnings logged."""
    handler = _Records()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        pdf = thai_corpus.render_pdf(tmp_path_factory.mktemp("thai") / "corpus.pdf")
    finally:
        logger.removeHandler(handler)
    return pdf, handler.records


@pytest.mark.parametrize("engine", thai_corpus.EXACT_ENGINES)
def test_exact_text(corpus_pdf, engine: str) -> None:
    pages = thai_corpus.ENGINES[engine](corpus_pdf[0])
    missed = thai_corpus.missed_phrases(pages, nfkc=False)
    assert not missed, f"{engine}: phrase → occurrences of {N_CONTEXTS}: {missed}"


def test_exact_without_actual_text(corpus_pdf) -> None:
    """Exactness comes from ToUnicode alone: no /ActualText spans (pdf.js ignores them)."""
    with pymupdf.open(corpus_pdf[0]) as document:
        streams = b"".join(page.read_contents() for page in document)
    assert b"ActualText" not in streams and b"BDC" not in streams


@pytest.mark.parametrize("engine", thai_corpus.EXACT_ENGINES)
def test_sentences_keep_their_spaces(patched, tmp_path_factory, engine: str) -> None:
    """No space inside a word, none lost between words (poppler put "ชื่ อว่า")."""
    pdf = tmp_path_factory.mktemp("sentences") / "sentences.pdf"
    weasyprint.HTML(string=thai_corpus.sentences_html()).write_pdf(pdf)
    text = "\n".join(thai_corpus.ENGINES[engine](pdf))
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    if engine == "pdfjs":  # pdf.js joins a page's items with "": compare without spaces
        flat = "".join("".join(lines).split())
        assert flat == "".join("".join(thai_corpus.SENTENCES).split())
    else:
        assert lines == list(thai_corpus.SENTENCES)


@pytest.mark.parametrize("engine", thai_corpus.EXACT_ENGINES)
def test_sara_am_is_not_decomposed(corpus_pdf, engine: str) -> None:
    """SARA AM stays U+0E33: no NIKHAHIT (U+0E4D) from its decomposition."""
    text = "".join(thai_corpus.ENGINES[engine](corpus_pdf[0]))
    assert "\u0e4d" not in text
    assert text.count("\u0e33") >= N_CONTEXTS * sum(phrase.count("\u0e33") for phrase in thai_corpus.PHRASES)


def test_no_missing_glyph_and_only_sarabun(corpus_pdf) -> None:
    pdf, records = corpus_pdf
    # WeasyPrint warns ".notdef glyph rendered for Unicode string unsupported by fonts".
    missing = [r.getMessage() for r in records if "glyph" in r.getMessage().lower()]
    assert not missing
    with pymupdf.open(pdf) as document:
        xrefs = {font[0] for page in document for font in page.get_fonts()}
        fonts = [document.extract_font(xref) for xref in xrefs]
    # Subset names look like "ABCDEF+Sarabun"; also read the embedded files.
    assert sorted(name.split("+")[-1] for name, *_ in fonts) == ["Sarabun", "Sarabun-Bold"]
    for name, _, _, content in fonts:
        family = TTFont(io.BytesIO(content))["name"].getDebugName(1)
        assert family == "Sarabun", (name, family)


def _pages(pdf: Path, directory: Path, name: str) -> list:
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "150", "-gray", str(pdf), str(directory / name)], check=True)
    return [Image.open(page) for page in sorted(directory.glob(f"{name}-*.pgm"))]


def _difference(pages: list, others: list) -> float:
    """Sum of pixel differences over the ink of ``others``: 0 the same, 1 no overlap."""
    from PIL import ImageChops, ImageStat

    assert len(pages) == len(others)
    difference = sum(ImageStat.Stat(ImageChops.difference(a, b)).sum[0] for a, b in zip(pages, others, strict=True))
    return difference / sum(ImageStat.Stat(ImageChops.invert(page)).sum[0] for page in others)


def test_drawing_is_unchanged(corpus_pdf, tmp_path: Path) -> None:
    """The pages look as WeasyPrint as shipped draws them (poppler, 150 dpi).

    Composite glyphs place marks at whole font units where shipped WeasyPrint
    rounds its own way, and poppler snaps each glyph to a quarter pixel: a few
    edge pixels change (measured 0.034 of the ink), where moving the text by
    one pixel (0.48 pt) changes 0.6.
    """
    from PIL import ImageChops

    thai_text_layer.disable()
    try:
        shipped = _pages(thai_corpus.render_pdf(tmp_path / "shipped.pdf"), tmp_path, "shipped")
    finally:
        thai_text_layer.enable()
    fixed = _pages(corpus_pdf[0], tmp_path, "fixed")
    assert _difference(fixed, shipped) < 0.06
    assert max(_difference([a], [b]) for a, b in zip(fixed, shipped, strict=True)) < 0.1
    assert _difference([ImageChops.offset(page, 1, 0) for page in shipped], shipped) > 0.3  # control


def test_composite_glyphs_match_their_widths(corpus_pdf) -> None:
    """Each embedded font parses, and every code's W width is its glyph's advance (PDF/A 6.2.11.5)."""
    with pymupdf.open(corpus_pdf[0]) as document:
        for xref in range(1, document.xref_length()):
            if document.xref_get_key(xref, "Subtype") != ("name", "/CIDFontType2"):
                continue
            widths = _cid_widths(document.xref_get_key(xref, "W")[1])
            descriptor = int(document.xref_get_key(xref, "FontDescriptor")[1].split()[0])
            font_file = int(document.xref_get_key(descriptor, "FontFile2")[1].split()[0])
            ttfont = TTFont(io.BytesIO(document.xref_stream(font_file)))
            order, hmtx = ttfont.getGlyphOrder(), ttfont["hmtx"]
            composites = [code for code in widths if code >= 777]
            assert composites, "no composite glyph drawn"
            for code, width in widths.items():
                assert abs(hmtx[order[code]][0] - width) <= 1, (code, width)
            for code in composites:
                assert ttfont["glyf"][order[code]].isComposite()


def _cid_widths(array: str) -> dict[int, float]:
    tokens = array.replace("[", " [ ").replace("]", " ] ").split()[1:-1]  # inside the outer array
    widths, index = {}, 0
    while index < len(tokens):
        first = int(tokens[index])
        assert tokens[index + 1] == "["
        index += 2
        while tokens[index] != "]":
            widths[first] = float(tokens[index])
            first += 1
            index += 1
        index += 1
    return widths


def test_shipped_weasyprint_fails(patched, tmp_path: Path) -> None:
    """Control: without the fix the same corpus and checks do fail."""
    thai_text_layer.disable()
    try:
        pdf = thai_corpus.render_pdf(tmp_path / "shipped.pdf")
    finally:
        thai_text_layer.enable()
    for engine in thai_corpus.ENGINES:
        assert thai_corpus.missed_phrases(thai_corpus.ENGINES[engine](pdf), nfkc=True)


@pytest.mark.parametrize("full_fonts", [False, True])
def test_glyph_with_two_texts(patched, tmp_path: Path, full_fonts: bool) -> None:
    """A glyph first drawn by WeasyPrint's own code (ellipsis lines are left to
    it) keeps that text; later uses get a new code with the right text."""
    html = (
        f"<style>{thai_corpus.font_face_css()} body {{ font-family: Sarabun }}"
        " div { width: 30mm; overflow: hidden; white-space: nowrap;"
        " text-overflow: ellipsis }</style>"
        "<div>คำน้ำที่นี่ ประจำปี ประจำปี</div>"
        "<p style='break-before: page'>คำ น้ำ ที่นี่</p>"
    )
    pdf = tmp_path / "two-texts.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf, full_fonts=full_fonts)
    expected = "คำน้ำที่นี่"
    for engine, extract in thai_corpus.ENGINES.items():
        text = thai_corpus.squeeze(extract(pdf)[1], nfkc=False)
        assert expected in text, (engine, text)


def test_enable_checks_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    with pytest.raises(RuntimeError, match="70.0"):
        thai_text_layer.enable()
