"""Exact text layer (search, copy, extraction) for Thai in WeasyPrint 70.0 PDFs.

WeasyPrint maps each glyph to the text of the first HarfBuzz cluster it is drawn
in, so glyphs sharing a cluster (SARA AM split into NIKHAHIT + SARA AA, fused
with tone marks) extract as "" or the whole cluster: "น้ำ" became "นา"; marks
drawn with offsets and text rise made poppler put spaces inside words.

``enable()`` replaces ``draw_first_line``: each grapheme (a base character and
the clusters of marks after it) is drawn with ONE character code, at the pen
position, in logical order.  A grapheme of one glyph without offset uses the
glyph itself when its ToUnicode entry is free or already that text.  Any other
grapheme (base + marks, SARA AM's two glyphs, a glyph needing a second text)
gets a new glyph appended to the embedded TrueType font: a composite of the
grapheme's glyphs at their HarfBuzz offsets, in whole font units, so the page
looks the same.  Its code's ToUnicode is the grapheme's exact text, so every
engine (pdf.js, poppler, MuPDF, PDFium, pdfminer) extracts the source text
without /ActualText, and nothing overlaps for a viewer to mistake for a gap.

Cost: the grapheme → code plan is cached per font, font size, glyph string and
text, so drawing a line is one dictionary look-up per grapheme.
"""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import weasyprint

SUPPORTED_WEASYPRINT = "70.0"

try:  # Internals: if they moved, enable() must still give its clear error.
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph as TTGlyph
    from fontTools.ttLib.tables._g_l_y_f import GlyphComponent
    from weasyprint.draw import text as _draw_text
    from weasyprint.pdf import fonts as _pdf_fonts
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango

    _ORIGINAL_DRAW_FIRST_LINE = _draw_text.draw_first_line
    _ORIGINAL_BUILD_VECTOR_FONT = _pdf_fonts._build_vector_font_dictionary
    _ORIGINAL_CLEAN = _pdf_fonts.Font.clean
    _GLYPH_INFO_SIZE = ffi.sizeof("PangoGlyphInfo")  # glyph, width, x_offset, y_offset, attr
    _EMPTY = pango.PANGO_GLYPH_EMPTY
    _UNKNOWN = pango.PANGO_GLYPH_UNKNOWN_FLAG
except (ImportError, AttributeError):  # pragma: no cover
    _draw_text = None

_INTS = 5  # 32-bit fields per PangoGlyphInfo


def enable() -> None:
    """Install the fix into WeasyPrint; calling it again changes nothing."""
    if weasyprint.__version__ != SUPPORTED_WEASYPRINT or _draw_text is None or _GLYPH_INFO_SIZE != 4 * _INTS:
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
    _pdf_fonts.Font.clean = _clean


def disable() -> None:
    """Restore WeasyPrint's own functions (to compare, in tests and benchmarks)."""
    if _draw_text is not None:
        _draw_text.draw_first_line = _ORIGINAL_DRAW_FIRST_LINE
        _pdf_fonts._build_vector_font_dictionary = _ORIGINAL_BUILD_VECTOR_FONT
        _pdf_fonts.Font.clean = _ORIGINAL_CLEAN


class _FontState:
    """Codes of one font file (WeasyPrint's ``Font.hash``), shared by its Font objects."""

    def __init__(self, font: Any) -> None:
        self.supported = font.type == "ttf" and not (font.bitmap or font.png or font.svg or font.colr)
        self.upem = font.upem
        self.codes: dict[tuple, int] = {}  # (components, advance, text) → code
        self.glyphs: dict[int, tuple[tuple[tuple[int, int, int], ...], int]] = {}  # code → composite


def _state(stream: Any, font: Any) -> _FontState:
    state = font.__dict__.get("_ita_state")
    if state is None:
        for other in stream._fonts.values():
            if other.hash == font.hash and "_ita_state" in other.__dict__:
                state = other._ita_state
                break
        else:
            state = _FontState(font)
        font._ita_state = state
    return state


def _draw_first_line(stream: Any, textbox: Any, text_overflow: str, block_ellipsis: str, matrix: Any) -> list:
    """WeasyPrint's draw_first_line, with one exact code per grapheme.

    Lines needing WeasyPrint's special cases (ellipsis, emoji, bitmap or CFF
    fonts, .notdef glyphs, right-to-left runs, nothing visible) are left to it.
    """
    if (
        text_overflow == "ellipsis"
        or block_ellipsis != "none"
        or not textbox.text.strip()
        or textbox.style["font_size"] < 1e-6
    ):
        return _ORIGINAL_DRAW_FIRST_LINE(stream, textbox, text_overflow, block_ellipsis, matrix)
    layout = textbox.pango_layout
    pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
    runs = []
    run = layout.get_first_line()[0].runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        font, font_size = stream.add_font(glyph_item.item.analysis.font)
        state = _state(stream, font)
        glyphs = glyph_item.glyphs
        infos = memoryview(ffi.buffer(glyphs.glyphs, glyphs.num_glyphs * _GLYPH_INFO_SIZE)[:]).cast("i")
        if not state.supported or glyph_item.item.analysis.level % 2 or any(g & _UNKNOWN for g in infos[::_INTS]):
            return _ORIGINAL_DRAW_FIRST_LINE(stream, textbox, text_overflow, block_ellipsis, matrix)
        if pango.pango_version() < 14802:  # as WeasyPrint: Pango issue 530
            font_size = textbox.style["font_size"]
        runs.append((glyph_item, font, font_size, state, infos))

    utf8 = layout.text.encode()
    stream.set_text_matrix(*matrix.values)
    items: list[str] = []
    pen = cursor = 0  # Pango units along the line: rounding never accumulates
    previous = None
    for glyph_item, font, font_size, _, infos in runs:
        if (font, font_size) != previous:
            if items:
                stream.show_text("<" + "".join(items) + ">")
                items = []
            previous = font, font_size
            stream.set_font_size(font.hash, font_size)
            em = font_size / FROM_UNITS  # Pango units per em
            plans = font.__dict__.setdefault("_ita_plans", {}).setdefault(font_size, {})
        item, glyphs = glyph_item.item, glyph_item.glyphs
        count = glyphs.num_glyphs
        starts = ffi.unpack(glyphs.log_clusters, count)
        raw = infos.obj
        base = item.offset
        end_of_run = base + item.length
        start = 0
        while start < count:
            stop = _grapheme_end(starts, start, count, utf8, base)
            text = utf8[base + starts[start] : base + starts[stop] if stop < count else end_of_run]
            key = (raw[start * _GLYPH_INFO_SIZE : stop * _GLYPH_INFO_SIZE], text)
            plan = plans.get(key)
            if plan is None:
                plan = plans[key] = _plan(
                    stream, glyph_item, font, font_size, infos[start * _INTS : stop * _INTS], text.decode()
                )
            code, width, advance = plan
            if code:
                shift = round((pen - cursor) * 1000 / em)  # TJ unit: 1/1000 em
                if shift:
                    items.append(f">{-shift}<")
                    cursor += shift * em / 1000
                items.append(code)
                cursor += width
            pen += advance
            start = stop
    if items:
        stream.show_text("<" + "".join(items) + ">")
    return []  # no emoji: emoji fonts are left to WeasyPrint


_MARKS: dict[bytes, bool] = {}


def _starts_with_mark(utf8: bytes, index: int) -> bool:
    lead = utf8[index]
    char = utf8[index : index + (1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4)]
    mark = _MARKS.get(char)
    if mark is None:
        mark = _MARKS[char] = unicodedata.category(char.decode("utf-8", "replace")[0])[0] == "M"
    return mark


def _grapheme_end(starts: list[int], start: int, count: int, utf8: bytes, base: int) -> int:
    """Index after the last glyph of the grapheme starting at glyph ``start``:
    its cluster and the clusters after it whose text starts with a mark."""
    cluster = starts[start]
    stop = start + 1
    while stop < count:
        if starts[stop] != cluster:
            if not _starts_with_mark(utf8, base + starts[stop]):
                break
            cluster = starts[stop]
        stop += 1
    return stop


def _plan(stream: Any, glyph_item: Any, font: Any, font_size: float, infos: memoryview, text: str) -> tuple:
    """(hex code or "", width drawn in Pango units, advance) for one grapheme."""
    state = font._ita_state
    em = font_size / FROM_UNITS
    components = []
    pen = 0
    for index in range(0, len(infos), _INTS):
        glyph_id, advance, x_offset, y_offset = infos[index : index + 4]
        if glyph_id != _EMPTY:
            components.append((glyph_id, pen + x_offset, -y_offset))
        pen += advance
    if not components:
        return "", 0.0, pen
    if len(components) == 1 and components[0][1:] == (0, 0):
        glyph_id = components[0][0]
        if font.to_unicode.setdefault(glyph_id, text) == text:
            width = _glyph_width(stream, glyph_item.item.analysis.font, font, glyph_id, font_size)
            return f"{glyph_id:04x}", width * em / 1000, pen
    scale = state.upem / em  # font units per Pango unit
    parts = tuple((glyph_id, round(x * scale), round(y * scale)) for glyph_id, x, y in components)
    advance_units = round(pen * scale)
    key = (parts, advance_units, text)
    code = state.codes.get(key)
    if code is None:
        code = max(font.glyph_count + len(font.missing), max(state.glyphs, default=0) + 1)
        # Font.get_unused_glyph_id gives missing glyphs codes from glyph_count on.
        font.glyph_count = code + 1 - len(font.missing)
        state.codes[key] = code
        state.glyphs[code] = parts, advance_units
    width = advance_units * 1000 / state.upem
    font.widths[code] = round(width) if width == round(width) else width
    font.to_unicode[code] = text
    return f"{code:04x}", width * em / 1000, pen


def _glyph_width(stream: Any, pango_font: Any, font: Any, glyph_id: int, font_size: float) -> int:
    """Glyph advance in 1/1000 em, computed and cached as WeasyPrint does."""
    width = font.widths.get(glyph_id)
    if width is None:
        pango.pango_font_get_glyph_extents(pango_font, glyph_id, stream.ink_rect, stream.logical_rect)
        width = font.widths[glyph_id] = round(stream.logical_rect.width * 1000 * FROM_UNITS / font_size)
    return width


def _clean(self: Any, to_unicode: dict[int, str], hinting: bool) -> None:
    """Font.clean, keeping the glyphs that composites use, then adding the composites."""
    state = self.__dict__.get("_ita_state")
    if state is None or not state.glyphs:
        return _ORIGINAL_CLEAN(self, to_unicode, hinting)
    if to_unicode:  # subset: keep the components too
        used = {glyph_id: "" for parts, _ in state.glyphs.values() for glyph_id, _, _ in parts}
        to_unicode = {**used, **to_unicode}
    _ORIGINAL_CLEAN(self, to_unicode, hinting)
    self.file_content = _add_composites(self.file_content, self.index, state.glyphs)


def _add_composites(content: bytes, index: int, glyphs: dict[int, tuple]) -> bytes:
    """The TrueType font with each composite at glyph id = its code."""
    # The font's bounding box stays as the subsetter left it (the whole font's):
    # poppler sizes and places its glyph bitmaps by it, so a recomputed box
    # would move every glyph's anti-aliasing.
    ttfont = TTFont(io.BytesIO(content), fontNumber=index if content[:4] == b"ttcf" else -1, recalcBBoxes=False)
    order = list(ttfont.getGlyphOrder())
    glyf, hmtx = ttfont["glyf"], ttfont["hmtx"]
    names = set(order)
    new = {}
    for code in range(len(order), max(glyphs) + 1):
        name = f"ita.{code}"
        while name in names:
            name += "_"
        order.append(name)
        glyph = TTGlyph()
        advance = 0
        if code in glyphs:
            parts, advance = glyphs[code]
            glyph.numberOfContours = -1
            glyph.components = []
            for glyph_id, x, y in parts:
                component = GlyphComponent()
                component.glyphName, component.x, component.y, component.flags = order[glyph_id], x, y, 0
                glyph.components.append(component)
        new[name] = glyph, advance
    ttfont.setGlyphOrder(order)
    glyf.glyphOrder = order
    for name, (glyph, _) in new.items():
        glyf.glyphs[name] = glyph
    head = ttfont["head"]
    for name, (glyph, advance) in new.items():
        if glyph.numberOfContours:
            glyph.recalcBounds(glyf)
            head.xMin, head.yMin = min(head.xMin, glyph.xMin), min(head.yMin, glyph.yMin)
            head.xMax, head.yMax = max(head.xMax, glyph.xMax), max(head.yMax, glyph.yMax)
        hmtx.metrics[name] = (advance, getattr(glyph, "xMin", 0))
    if "post" in ttfont:
        ttfont["post"].formatType = 3.0  # no glyph names: the PDF never needs them
    output = io.BytesIO()
    ttfont.save(output)
    return output.getvalue()


def _build_vector_font_dictionary(
    font_dictionary: Any,
    pdf: Any,
    font: Any,
    widths: dict[int, int],
    compress: bool,
    reference: Any,
    pdf_version: Any,
) -> None:
    """WeasyPrint's function; for a full (not subset) font, ToUnicode gets the
    codes that its cmap does not give (composites, variants drawn)."""
    if widths is not font.widths:
        nominal = _nominal_glyphs(font)
        extra = {code: text for code, text in font.to_unicode.items() if text and code not in nominal}
        if extra:
            cmap = pdf.objects[int(font_dictionary["ToUnicode"].split()[0])].stream
            end = cmap.index(b"endcmap")
            cmap[end:end] = _bfchar(extra)
    _ORIGINAL_BUILD_VECTOR_FONT(font_dictionary, pdf, font, widths, compress, reference, pdf_version)


def _nominal_glyphs(font: Any) -> set[int]:
    ttfont = TTFont(io.BytesIO(font.file_content), lazy=True)
    return {ttfont.getGlyphID(name) for name in (ttfont.getBestCmap() or {}).values()}


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
