"""Correct text layer (search, copy, extraction) for Thai in WeasyPrint 70.0 PDFs.

WeasyPrint maps each glyph to the text of the first HarfBuzz cluster it is drawn
in, so glyphs sharing a cluster (SARA AM split into NIKHAHIT + SARA AA, fused
with tone marks) extract as "" or the whole cluster: "น้ำ" became "นา".
``enable()`` replaces ``draw_first_line``: a cluster's glyph that the font's cmap
maps from a character of the NFKD cluster text gets that character, the other
glyphs get the rest, drawn in logical order at unchanged positions, so every
engine extracts NFKC-equal text (pdf.js reads nothing else).  Graphemes whose
glyphs do not spell the source, or hold stacked marks that poppler reorders, are
wrapped in /Span <</ActualText (source)>> (poppler, MuPDF, PDFium: exact text).
A glyph needing a second text gets a new code, mapped back by a CIDToGIDMap.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import Any

import weasyprint

SUPPORTED_WEASYPRINT = "70.0"

try:  # Internals: if they moved, enable() must still give its clear error.
    import pydyf
    from fontTools.ttLib import TTFont
    from weasyprint.draw import text as _draw_text
    from weasyprint.pdf import fonts as _pdf_fonts
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango

    _ORIGINAL_DRAW_FIRST_LINE = _draw_text.draw_first_line
    _ORIGINAL_BUILD_VECTOR_FONT = _pdf_fonts._build_vector_font_dictionary
except (ImportError, AttributeError):  # pragma: no cover
    _draw_text = None

Glyph = tuple[int, int, int, int]  # glyph id, x offset, y offset, advance (Pango units)
Cluster = tuple[str, list[Glyph]]  # source text, glyphs in visual order


def enable() -> None:
    """Install the fix into WeasyPrint; calling it again changes nothing."""
    if weasyprint.__version__ != SUPPORTED_WEASYPRINT or _draw_text is None:
        raise RuntimeError(
            f"reports.thai_text_layer patches WeasyPrint internals and is verified "
            f"with WeasyPrint {SUPPORTED_WEASYPRINT} only, not "
            f"{weasyprint.__version__}: run tests/test_thai_text_layer.py and "
            f"benchmarks/text_layer.py with the new version, then update "
            f"SUPPORTED_WEASYPRINT."
        )
    # svg/text.py imports draw_first_line from draw/text.py at each call, so
    # this covers HTML and SVG text.
    _draw_text.draw_first_line = _draw_first_line
    _pdf_fonts._build_vector_font_dictionary = _build_vector_font_dictionary


def disable() -> None:
    """Restore WeasyPrint's own functions (to compare, in tests and benchmarks)."""
    if _draw_text is not None:
        _draw_text.draw_first_line = _ORIGINAL_DRAW_FIRST_LINE
        _pdf_fonts._build_vector_font_dictionary = _ORIGINAL_BUILD_VECTOR_FONT


def _draw_first_line(
    stream: Any,
    textbox: Any,
    text_overflow: str,
    block_ellipsis: str,
    matrix: Any,
) -> list:
    """WeasyPrint's draw_first_line, with a correct text layer.

    Lines needing WeasyPrint's special cases (ellipsis, emoji or bitmap fonts,
    .notdef glyphs, right-to-left runs, nothing visible) are left to it.
    """

    def original() -> list:
        return _ORIGINAL_DRAW_FIRST_LINE(stream, textbox, text_overflow, block_ellipsis, matrix)

    if (
        text_overflow == "ellipsis"
        or block_ellipsis != "none"
        or not textbox.text.strip()
        or textbox.style["font_size"] < 1e-6
    ):
        return original()
    layout = textbox.pango_layout
    pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
    runs = list(_runs(layout.get_first_line()[0]))
    for run in runs:
        font, _ = stream.add_font(run.item.analysis.font)
        glyphs = run.glyphs
        if (
            font.bitmap
            or font.png
            or font.svg
            or font.colr
            or run.item.analysis.level % 2
            or any(glyphs.glyphs[i].glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG for i in range(glyphs.num_glyphs))
        ):
            return original()

    utf8 = layout.text.encode()
    stream.set_text_matrix(*matrix.values)
    shower = _TextShower(stream)
    previous_pango_font = None
    for run in runs:
        pango_font = run.item.analysis.font
        if pango_font != previous_pango_font:
            previous_pango_font = pango_font
            font, font_size = stream.add_font(pango_font)
            if pango.pango_version() < 14802:  # as WeasyPrint: Pango issue 530
                font_size = textbox.style["font_size"]
            shower.set_font(font.hash, font_size)
        for grapheme in _graphemes(_clusters(run, utf8)):
            source = "".join(text for text, _ in grapheme)
            shares = [_split_cluster(font, text, glyphs) for text, glyphs in grapheme]
            drawn = [text for cluster in shares for _, text in cluster]
            # poppler takes marks stacked at one x for duplicates and reorders
            # them: ActualText gives it, MuPDF and PDFium the source text.
            actual_text = "".join(drawn) != source or len(drawn) > 2
            if actual_text:
                shower.begin_actual_text(source)
            for (_, glyphs), cluster in zip(grapheme, shares, strict=True):
                for (glyph_id, x_offset, y_offset, _), text in cluster:
                    width = _glyph_width(stream, font, pango_font, glyph_id, font_size)
                    code = _code_for(font, glyph_id, text)
                    font.widths.setdefault(code, width)
                    shower.show(code, shower.pen + x_offset, -y_offset, width)
                shower.pen += sum(advance for *_, advance in glyphs)
            if actual_text:
                shower.end_actual_text()
    shower.flush()
    return []  # no emoji: emoji fonts are left to WeasyPrint


def _runs(line: Any) -> Iterator[Any]:
    run = line.runs[0]
    while run != ffi.NULL:
        yield run.data
        run = run.next


def _clusters(run: Any, utf8: bytes) -> Iterator[Cluster]:
    """Yield each HarfBuzz cluster of a left-to-right run with its source text."""
    glyphs, item = run.glyphs, run.item
    starts = [glyphs.log_clusters[i] for i in range(glyphs.num_glyphs)]
    bounds = sorted({*starts, item.length})
    ends = dict(zip(bounds, bounds[1:]))
    for start, indices in groupby(range(glyphs.num_glyphs), key=starts.__getitem__):
        text = utf8[item.offset + start : item.offset + ends[start]].decode()
        infos = [glyphs.glyphs[i] for i in indices]
        yield (
            text,
            [(info.glyph, info.geometry.x_offset, info.geometry.y_offset, info.geometry.width) for info in infos],
        )


def _graphemes(clusters: Iterable[Cluster]) -> Iterator[list[Cluster]]:
    """Group clusters: a base character, then clusters starting with a mark."""
    grapheme: list[Cluster] = []
    for cluster in clusters:
        if grapheme and unicodedata.category(cluster[0][:1] or " ")[0] != "M":
            yield grapheme
            grapheme = []
        grapheme.append(cluster)
    if grapheme:
        yield grapheme


def _split_cluster(
    font: Any,
    text: str,
    glyphs: list[Glyph],
) -> list[tuple[Glyph, str]]:
    """Share a cluster's text between its visible glyphs, in logical order.

    A glyph that the font's cmap maps from a character of the NFKD text takes
    that character; other glyphs (ligatures, contextual variants) take the
    characters left, in order, the last one all the rest.
    """
    glyphs = [glyph for glyph in glyphs if glyph[0] != pango.PANGO_GLYPH_EMPTY]
    if len(glyphs) <= 1:
        return [(glyph, text) for glyph in glyphs]
    chars = unicodedata.normalize("NFKD", text)
    nominal = _nominal_characters(font)
    owners: list[int | None] = [None] * len(chars)
    for index, glyph in enumerate(glyphs):
        for position, char in enumerate(chars):
            if owners[position] is None and char in nominal.get(glyph[0], ""):
                owners[position] = index
                break
    free = [index for index in range(len(glyphs)) if index not in owners]
    for position, owner in enumerate(owners):
        if owner is not None:
            continue
        if free:  # the next free glyph; the last one takes all the rest
            owners[position] = free.pop(0) if len(free) > 1 else free[0]
        else:  # none: the glyph of the previous character
            owners[position] = owners[position - 1] if position else 0
    shares: dict[int, str] = {}
    for char, owner in zip(chars, owners, strict=True):
        shares[owner] = shares.get(owner, "") + char
    order = sorted(shares, key=owners.index) + [index for index in range(len(glyphs)) if index not in shares]
    return [(glyphs[index], shares.get(index, "")) for index in order]


def _nominal_characters(font: Any) -> dict[int, str]:
    """Glyph id → characters that the font's cmap maps to it, cached on the font."""
    if not hasattr(font, "_thai_nominal"):
        ttfont = TTFont(io.BytesIO(font.file_content), fontNumber=font.index, lazy=True)
        nominal: dict[int, str] = {}
        for codepoint, name in (ttfont.getBestCmap() or {}).items():
            glyph_id = ttfont.getGlyphID(name)
            nominal[glyph_id] = nominal.get(glyph_id, "") + chr(codepoint)
        font._thai_nominal = nominal
    return font._thai_nominal


def _glyph_width(
    stream: Any,
    font: Any,
    pango_font: Any,
    glyph_id: int,
    font_size: float,
) -> int:
    """Glyph advance in 1/1000 em, computed and cached as WeasyPrint does."""
    if glyph_id not in font.widths:
        pango.pango_font_get_glyph_extents(pango_font, glyph_id, stream.ink_rect, stream.logical_rect)
        font.widths[glyph_id] = round(stream.logical_rect.width * 1000 * FROM_UNITS / font_size)
    return font.widths[glyph_id]


def _code_for(font: Any, glyph_id: int, text: str) -> int:
    """Character code drawing ``glyph_id`` and extracting as ``text``.

    The glyph id when its ToUnicode entry is free or already ``text``.  Else, for
    TrueType outlines (CIDToGIDMap exists for CIDFontType2 only), a new code taken
    where Font.get_unused_glyph_id takes the codes of missing glyphs; bumping
    glyph_count (used only there) keeps both kinds of codes apart.
    """
    if font.to_unicode.setdefault(glyph_id, text) == text or font.type != "ttf":
        return glyph_id
    if not hasattr(font, "_thai_codes"):
        font._thai_codes, font._thai_glyphs = {}, {}
    if (glyph_id, text) not in font._thai_codes:
        code = font.glyph_count + len(font.missing)
        font.glyph_count += 1
        font._thai_codes[glyph_id, text] = code
        font._thai_glyphs[code] = glyph_id
        font.to_unicode[code] = text
    return font._thai_codes[glyph_id, text]


class _TextShower:
    """Write TJ operators placing each glyph at its absolute Pango position.

    ``pen`` (logical pen on the line) and ``cursor`` (PDF text position) are in
    Pango units, so rounding never accumulates along the line.
    """

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.pen = self.cursor = 0.0
        self.rise = 0
        self.em = 1.0  # Pango units per em
        self.items: list[str] = []

    def set_font(self, font_hash: str, font_size: float) -> None:
        self.flush()
        self.stream.set_font_size(font_hash, font_size)
        self.em = font_size / FROM_UNITS

    def show(self, code: int, x: float, rise: int, width: int) -> None:
        if rise != self.rise:
            self.flush()
            self.stream.set_text_rise(rise * FROM_UNITS)
            self.rise = rise
        shift = round((x - self.cursor) * 1000 / self.em)  # TJ unit: 1/1000 em
        if shift:
            self.items.append(f">{-shift}<")
            self.cursor += shift * self.em / 1000
        self.items.append(f"{code:04x}")
        self.cursor += width * self.em / 1000

    def flush(self) -> None:
        if self.items:
            self.stream.show_text(f"<{''.join(self.items)}>".replace("<>", ""))
            self.items = []
        if self.rise:
            self.stream.set_text_rise(0)
            self.rise = 0

    def begin_actual_text(self, text: str) -> None:
        self.flush()
        self.stream.begin_marked_content("Span", pydyf.Dictionary({"ActualText": pydyf.String(text)}))

    def end_actual_text(self) -> None:
        self.flush()
        self.stream.end_marked_content()


def _build_vector_font_dictionary(
    font_dictionary: Any,
    pdf: Any,
    font: Any,
    widths: dict[int, int],
    compress: bool,
    reference: Any,
    pdf_version: Any,
) -> None:
    """WeasyPrint's function, plus a CIDToGIDMap for the codes of _code_for."""
    glyphs: dict[int, int] = getattr(font, "_thai_glyphs", {})
    if widths is not font.widths:
        # Full, non-subset font: WeasyPrint gives widths to the font's glyphs and
        # ToUnicode to its cmap glyphs only; add the other codes drawn.
        widths = {**widths, **{code: font.widths[code] for code in glyphs}}
        nominal = _nominal_characters(font)
        extra = {code: text for code, text in font.to_unicode.items() if text and code not in nominal}
        if extra:
            cmap = pdf.objects[int(font_dictionary["ToUnicode"].split()[0])].stream
            end = cmap.index(b"endcmap")
            cmap[end:end] = _bfchar(extra)
    _ORIGINAL_BUILD_VECTOR_FONT(font_dictionary, pdf, font, widths, compress, reference, pdf_version)
    if glyphs:
        cid_to_gid = b"".join(glyphs.get(cid, cid).to_bytes(2, "big") for cid in range(max(glyphs) + 1))
        stream = pydyf.Stream([cid_to_gid], compress=compress)
        pdf.add_object(stream)
        subfont = pdf.objects[int(font_dictionary["DescendantFonts"][0].split()[0])]
        subfont["CIDToGIDMap"] = stream.reference


def _bfchar(mapping: dict[int, str]) -> list[bytes]:
    """ToUnicode CMap lines mapping codes to text, at most 100 per block."""
    items = list(mapping.items())
    lines: list[bytes] = []
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines.extend(f"<{code:04x}> <{text.encode('utf-16-be').hex()}>".encode() for code, text in batch)
        lines.append(b"endbfchar")
    return lines
