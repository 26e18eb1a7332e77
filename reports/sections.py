"""A report's sections: the default sequence per kind, and the rich text allowed in a section."""

import re

import nh3

from .models import Kind, SectionKind

# The blocks of each kind of report, in the order printed when the agency has set none.
DEFAULT_SEQUENCE = {
    Kind.ANNUAL: [
        "cover",
        "title",
        "intro",
        "measures",
        "score_table",
        "chart",
        "recommendations",
        "signatory",
        "photos",
    ],
    Kind.SIX_MONTH: [
        "cover",
        "title",
        "intro",
        "measures",
        "score_table",
        "chart",
        "recommendations",
        "signatory",
        "photos",
    ],
    Kind.ANALYSIS: ["cover", "analysis", "measures", "score_table", "chart", "recommendations", "signatory", "photos"],
}
TAGS = {
    "p",
    "br",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "h3",
    "h4",
}
ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}, "ol": {"start"}}
# A list numbered in Thai digits (reports/markup.py) keeps its class; the stylesheet numbers it so.
CLASSES = {"ol": {"thai"}}


def sanitize_rich_text(html: str) -> str:
    """Only paragraphs, lists, bold/italic/underline, simple tables and sub-headings survive; no links,
    images, styles or scripts (the renderer would fetch a URL, a browser would run a script)."""
    return nh3.clean(
        html or "", tags=TAGS, attributes=ATTRIBUTES, allowed_classes=CLASSES, url_schemes=set(), link_rel=None
    )


TEXT_MAX = 20000

# Kinds that may appear more than once, and kinds whose text and title are the agency's own.
REPEATABLE = {SectionKind.TEXT, SectionKind.FOREWORD, SectionKind.TOC}
# A built-in block's heading is one of the report's labels (the labels editor shows the same wording).
HEADING_LABEL = {
    SectionKind.MEASURES: "measures_heading",
    SectionKind.SCORE_TABLE: "score_heading",
    SectionKind.CHART: "chart_heading",
    SectionKind.RECOMMENDATIONS: "recommendations_heading",
    SectionKind.PHOTOS: "photos_heading",
}


def heading_label(report_kind: str, kind: str) -> str | None:
    if kind == SectionKind.MEASURES and report_kind == Kind.ANALYSIS:
        return "analysis_measures_heading"
    return HEADING_LABEL.get(kind)


def addable_kinds(report_kind: str) -> list[tuple[str, str]]:
    """The kinds the coordinator may add (the plan's intro prints with the title block; the analysis
    block belongs to the analysis report only)."""
    return [
        (k, label)
        for k, label in SectionKind.choices
        if k != SectionKind.INTRO and (k != SectionKind.ANALYSIS or report_kind == Kind.ANALYSIS)
    ]


# A text holding one of the allowed tags was typed as HTML (how texts were written before the markup).
HTML_TAG = re.compile(r"</?(?:" + "|".join(sorted(TAGS)) + r")\b[^<>]*>", re.IGNORECASE)


def sequence(kind: str, saved: list[dict]) -> tuple[list[dict], dict[str, dict]]:
    """The sections to print in order, and the anchored texts of the analysis by anchor."""
    anchored = {s["anchor"]: s for s in saved if s.get("anchor")}
    ordered = [s for s in saved if not s.get("anchor")]
    if not ordered:
        ordered = [{"kind": k, "title": "", "html": "", "anchor": ""} for k in DEFAULT_SEQUENCE[kind]]
    elif not any(s["kind"] != SectionKind.TEXT and s["kind"] != SectionKind.FOREWORD for s in ordered):
        # Only texts saved: they go before the built-in blocks, which keep their default order.
        ordered = ordered + [{"kind": k, "title": "", "html": "", "anchor": ""} for k in DEFAULT_SEQUENCE[kind]]
    return ordered, anchored
