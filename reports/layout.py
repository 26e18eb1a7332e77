"""A report's layout options and wording: defaults, the saved overrides, and column widths by content.

Pure functions on plain data (no database): the selectors merge a Report's `layout` and `labels`
JSON with these defaults, and size the measure table's columns from the text the columns hold.
"""

import math
import re
import unicodedata

from pythainlp.tokenize import word_tokenize

from .models import COLUMNS
from .typesetting import GLUE, WJ, no_break_joins

# Every option is off unless the agency's report has it: nothing printed that the agency did not write.
LAYOUT_DEFAULTS = {
    "dense_tables": False,  # tables in 14 pt instead of the official 16 pt
    "count_cover": False,  # the cover counts as page 1 (default: numbering starts after it)
    "title_block": True,  # the title and the agency's name above the first table
    "period_line": False,  # "รอบ 12 เดือน (1 ตุลาคม … – 30 กันยายน …)" under the title
    "score_summary": False,  # the computed sentence under the score table
    "regroup": True,  # gather measures under their group; False keeps the agency's order
    "photos": "appendix",  # appendix | beside (after each measure's table rows)
    "column_widths": {},  # column key → percent of the table, overriding the computed width
    "number_rows": True,  # count unnumbered measures 1, 2, … (False: the number cell stays empty)
    "responsible_dashes": False,  # several responsible units listed as "- …" lines (seed 004)
    "number_in_measure": False,  # the measure cell starts with the agency's own number ("1. จัดทำ…")
}

# Headings and titles printed by the report, as the agency words them (key → default wording).
LABELS = {
    "title_agency": "{agency_name} {agency_place}",  # the line under the title ("ของ…" in seed 001)
    "measures_heading": "ผลการดำเนินการตามมาตรการ {round_label}",
    "analysis_measures_heading": "มาตรการส่งเสริมคุณธรรมและความโปร่งใส ประจำปีงบประมาณ พ.ศ. {measures_year}",
    "score_heading": "ตารางเปรียบเทียบผลการประเมิน ITA รายตัวชี้วัด",
    "chart_heading": "คะแนนผลการประเมิน ITA รายปี",
    "recommendations_heading": "ข้อเสนอแนะ",
    "photos_heading": "ภาพประกอบผลการดำเนินงาน",
    "photos_beside_heading": "",  # a heading over each measure's photos (photos beside the measures)
    "issue_group": "ประเด็นที่ {number} {title}",  # a group heading when grouped by the seven issues
    "tool_group": "แบบวัด {code}: {name}",  # … by tool ({focus}: the first measure's own heading text)
    "score_caption": "",  # the score table's own title, under the section heading
    "score_col_indicator": "ตัวชี้วัด",
    "score_col_year": "ปี {be_year}",
    "score_col_change": "เปลี่ยนแปลง",
    "other_group": "มาตรการอื่น ๆ",
    "continued": "(ต่อ)",
    **{f"col_{key}": header for key, header in COLUMNS.items()},
}

# Column widths: share of the table ∝ √(mean characters per cell), within these bounds (% of width),
# and never narrower than the column's longest word.
MIN_PCT, MAX_PCT = 5.0, 45.0
CM_PER_CHAR = 0.32  # a spacing character of Sarabun 16 pt bold (headers), with room to spare
TABLE_CM = 24.7  # A4 landscape less the official margins
KEEP_ROW_CM = 9.0  # a row estimated lower than this is kept on one page (break-inside: avoid)
CELL_PAD_CM = 0.5


def merged_layout(saved: dict | None) -> dict:
    out = {**LAYOUT_DEFAULTS, **{k: v for k, v in (saved or {}).items() if k in LAYOUT_DEFAULTS}}
    if out["photos"] not in ("appendix", "beside"):
        out["photos"] = "appendix"
    return out


# Labels filled in per item (a group, a year) where they are used, not when the labels are merged.
PER_ITEM = {"issue_group", "tool_group", "score_col_year"}


def fill(template: str, **values) -> str:
    """A per-item label with its {name} fields replaced (text typed by the agency is never evaluated)."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return ""


def merged_labels(saved: dict | None, **values) -> dict:
    """Each label as saved (empty string = not printed), else the default with its values filled in."""
    saved = saved or {}
    out = {}
    for key, default in LABELS.items():
        text = saved.get(key, default)
        out[key] = text.format_map(_Values(values)).strip() if text == default and key not in PER_ITEM else text
    # One issue's heading worded apart from the others ("issue_group_3"), as seed 000 words issues 3–5.
    out.update({k: str(v) for k, v in saved.items() if re.fullmatch(r"issue_group_[1-7]", k)})
    return out


def _width(text: str) -> int:
    """Characters that take room on the line (Thai vowels above/below and tone marks take none)."""
    return sum(1 for ch in text if not unicodedata.combining(ch) and ch not in "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e47")


def _longest_word(text: str) -> int:
    """The widest run that cannot break: a Thai word, or a date or era joined by no-break spaces."""
    longest = 0
    for chunk in re.split(r"[ \t\n]+", no_break_joins(text or "")):
        if GLUE in chunk or WJ in chunk:
            longest = max(longest, _width(chunk.replace(WJ, "")))
        elif chunk:
            longest = max([longest] + [_width(w) for w in word_tokenize(chunk, engine="newmm", keep_whitespace=False)])
    return longest


def _share(keys: list[str], weights: dict, floors: dict, pinned: dict | None = None) -> dict:
    """Percent per column in proportion to its weight, within its floor and MAX_PCT (pinned: set percents)."""
    # Columns below their floor (or above MAX_PCT) are fixed there; the rest share what is left.
    fixed: dict[str, float] = dict(pinned or {})
    while True:
        free = {k: w for k, w in weights.items() if k not in fixed}
        room = 100 - sum(fixed.values())
        total = sum(free.values()) or 1
        share = {k: w * room / total for k, w in free.items()}
        low = {k: floors[k] for k, v in share.items() if v < max(floors[k], MIN_PCT)}
        high = {k: MAX_PCT for k, v in share.items() if v > MAX_PCT}
        if not free or not (low or high):
            break
        fixed.update({k: max(v, MIN_PCT) for k, v in low.items()} if low else high)
    pct = {**share, **fixed}
    scale = 100 / (sum(pct.values()) or 1)  # only when the floors alone exceed the width
    return {k: round(v * scale, 1) for k in keys for v in [pct[k]]}


def column_widths_with_default(
    keys: list[str], rows: list[dict], headers: dict[str, str], overrides: dict | None = None
) -> tuple[dict, dict]:
    """Percent of the table's width per column: as printed, and as computed from the text alone.

    The agency's overrides (column key → percent, reports/section_services.py) set their columns'
    percent; the other columns share what is left as computed. When every column has one, they are
    proportions (scaled to 100). No column gets narrower than its longest word or wider than MAX_PCT.
    """
    weights, floors = {}, {}
    for key in keys:
        cells = [str(r["cells"].get(key) or "") for r in rows]
        mean = sum(len(c) for c in cells) / max(len(cells), 1)
        weights[key] = math.sqrt(max(mean, len(headers.get(key, "")) / 2, 1))
        word = max([_longest_word(headers.get(key, ""))] + [_longest_word(c) for c in cells])
        floors[key] = (min(word, 16) * CM_PER_CHAR + CELL_PAD_CM) * 100 / TABLE_CM
    computed = _share(keys, weights, floors)
    chosen = {
        k: float(v)
        for k, v in (overrides or {}).items()
        if k in weights and isinstance(v, int | float) and not isinstance(v, bool) and v > 0
    }
    if not chosen:
        return computed, computed
    if set(chosen) == set(keys):  # every column set: read as proportions (the demo fixtures' weights)
        return _share(keys, chosen, floors), computed
    pinned = {k: min(max(v, floors[k], MIN_PCT), MAX_PCT) for k, v in chosen.items()}
    return _share(keys, weights, floors, pinned), computed


def column_widths(keys: list[str], rows: list[dict], headers: dict[str, str], overrides: dict | None = None) -> dict:
    """Percent of the table's width per column, from the text each column holds (and the overrides)."""
    return column_widths_with_default(keys, rows, headers, overrides)[0]


def mark_rows_to_keep(rows: list[dict], widths: dict[str, float], *, font_pt: float) -> None:
    """Set row["keep"] on rows estimated to fit well within a page, so they never split."""
    line_cm = font_pt * 1.3 / 72 * 2.54
    scale = font_pt / 16
    for row in rows:
        lines = 1
        for key, pct in widths.items():
            room = max(pct * TABLE_CM / 100 - CELL_PAD_CM, 0.5)
            text = str(row["cells"].get(key) or "")
            cell = sum(max(1, math.ceil(_width(line) * CM_PER_CHAR * scale / room)) for line in text.split("\n"))
            lines = max(lines, cell)
        row["keep"] = lines * line_cm < KEEP_ROW_CM
