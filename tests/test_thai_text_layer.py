"""Thai text layer of WeasyPrint PDFs with reports.thai_text_layer enabled.

Plain pytest, no database.  Needs pdftotext (apt: poppler-utils) and pdf.js
(`npm ci` in the project root, see package.json).
"""

from __future__ import annotations

import io
import logging
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


@pytest.mark.parametrize("engine", ["pdfium", "pdfjs"])
def test_nfkc_text(corpus_pdf, engine: str) -> None:
    pages = thai_corpus.ENGINES[engine](corpus_pdf[0])
    missed = thai_corpus.missed_phrases(pages, nfkc=True)
    assert not missed, f"{engine}: phrase → occurrences of {N_CONTEXTS}: {missed}"


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


def test_drawing_is_unchanged(corpus_pdf, tmp_path: Path) -> None:
    """Same glyphs at the same places (±0.15 pt) as WeasyPrint as shipped."""
    thai_text_layer.disable()
    try:
        shipped = thai_corpus.render_pdf(tmp_path / "shipped.pdf")
    finally:
        thai_text_layer.enable()

    def glyphs(path: Path) -> list[list[tuple]]:
        with pymupdf.open(path) as document:
            return [
                sorted(
                    (span["font"].split("+")[-1], char[1], *char[2])
                    for span in page.get_texttrace()
                    for char in span["chars"]
                    if char[1] >= 0
                )
                for page in document
            ]

    pages = zip(glyphs(corpus_pdf[0]), glyphs(shipped), strict=True)
    for page_fixed, page_shipped in pages:
        assert len(page_fixed) == len(page_shipped)
        for font, glyph, x, y in page_fixed:
            nearest = min(
                (g for g in page_shipped if g[:2] == (font, glyph)), key=lambda g: abs(g[2] - x) + abs(g[3] - y)
            )
            assert abs(nearest[2] - x) < 0.15 and abs(nearest[3] - y) < 0.15
            page_shipped.remove(nearest)


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
        nfkc = engine not in thai_corpus.EXACT_ENGINES
        text = thai_corpus.squeeze(extract(pdf)[1], nfkc)
        assert thai_corpus.squeeze(expected, nfkc) in text, (engine, text)
    with pymupdf.open(pdf) as document:
        maps = [document.xref_get_key(xref, "CIDToGIDMap") for xref in range(1, document.xref_length())]
    assert "xref" in {kind for kind, _ in maps}, "no CIDToGIDMap stream written"


def test_enable_checks_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    with pytest.raises(RuntimeError, match="70.0"):
        thai_text_layer.enable()
