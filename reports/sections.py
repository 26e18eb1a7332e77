"""A report's sections: the default sequence per kind, and the rich text allowed in a section."""

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
ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


def sanitize_rich_text(html: str) -> str:
    """Only paragraphs, lists, bold/italic/underline, simple tables and sub-headings survive; no links,
    images, styles or scripts (the renderer would fetch a URL, a browser would run a script)."""
    return nh3.clean(html or "", tags=TAGS, attributes=ATTRIBUTES, url_schemes=set(), link_rel=None)


def plain_to_html(text: str) -> str:
    """Plain text (paragraphs separated by blank lines) as sanitised paragraphs."""
    paras = [p.strip() for p in (text or "").split("\n\n") if p.strip()]
    return "".join(f"<p>{nh3.clean_text(p)}</p>" for p in paras)


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
