"""The small markup a coordinator types for a report's free text (easy on a phone), as sanitised HTML.

Paragraphs are separated by a blank line; a line break stays one. Lines starting with "- ", "* " or
"• " make a bulleted list, "1. " or "๑. " a numbered list (Thai digits number the list in Thai digits);
**bold**; a table is lines of cells between "|" pipes, the first line being the header (the
"|---|" line Markdown asks for is added when missing). Parsed by markdown-it-py with raw HTML off,
then cleaned by the same nh3 allow-list as HTML (reports/sections.py sanitize_rich_text).

Sections are stored as sanitised HTML (what the PDF and the Word copy print); the markup is how a
text is typed and shown again for editing when the stored HTML reads back to it exactly.
"""

import re

import lxml.html
from markdown_it import MarkdownIt
from pythainlp.util import arabic_digit_to_thai_digit, thai_digit_to_arabic_digit

from .sections import HTML_TAG, sanitize_rich_text

_MD = (
    MarkdownIt("commonmark", {"html": False, "breaks": True})
    .enable("table")
    # Only what the allow-list keeps: no headings, code, quotes, rules, links or images.
    .disable(["code", "fence", "blockquote", "hr", "heading", "lheading", "reference", "link", "image"])
    .disable(["autolink", "backticks"])
)
THAI_ITEM = re.compile(r"^([ \t]*)([๐-๙]+)([.)][ \t])", re.MULTILINE)
BULLET = re.compile(r"^([ \t]*)•[ \t]", re.MULTILINE)
PIPE_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$")
DELIMITER = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")


def _tables(text: str) -> str:
    """A block of "|" rows without the Markdown delimiter line gets one after its header row."""
    lines, out = text.split("\n"), []
    for i, line in enumerate(lines):
        out.append(line)
        starts_block = PIPE_ROW.match(line) and (i == 0 or not lines[i - 1].strip())
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if starts_block and not DELIMITER.match(following):
            cells = line.strip().strip("|").count("|") + 1
            out.append("|" + "---|" * cells)
    return "\n".join(out)


def markup_to_html(text: str) -> str:
    """The coordinator's markup as sanitised HTML (no newlines between tags, as plain paragraphs were)."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        return ""
    source = _tables(BULLET.sub(r"\1- ", text))
    thai_lines = {n for n, line in enumerate(source.split("\n")) if THAI_ITEM.match(line)}
    source = THAI_ITEM.sub(lambda m: m.group(1) + thai_digit_to_arabic_digit(m.group(2)) + m.group(3), source)
    tokens = _MD.parse(source)
    for token in tokens:
        # An ordered list whose first item the coordinator numbered in Thai digits prints Thai digits.
        if token.type == "ordered_list_open" and token.map and token.map[0] in thai_lines:
            token.attrSet("class", "thai")
    html = _MD.renderer.render(tokens, _MD.options, {})
    html = re.sub(r"<br />\n?", "<br>", html)
    return sanitize_rich_text(re.sub(r">\n+", ">", html).strip())


def _inline(el) -> str:
    out = el.text or ""
    for child in el:
        if child.tag == "br":
            out += "\n"
        elif child.tag in ("b", "strong"):
            out += f"**{_inline(child)}**"
        else:
            out += _inline(child)
        out += child.tail or ""
    return out


def _markup_of(el) -> str:
    if el.tag == "p":
        return _inline(el)
    if el.tag == "ul":
        return "\n".join("- " + _inline(li) for li in el.findall("li"))
    if el.tag == "ol":
        first = int(el.get("start") or 1)
        digits = arabic_digit_to_thai_digit if el.get("class") == "thai" else str
        return "\n".join(f"{digits(str(n))}. {_inline(li)}" for n, li in enumerate(el.findall("li"), start=first))
    if el.tag == "table":
        rows = ["| " + " | ".join(_inline(c) for c in tr) + " |" for tr in el.iter("tr")]
        return "\n".join(rows)
    return lxml.html.tostring(el, encoding="unicode")  # not expressible: the round trip below refuses it


def markup_from_html(html: str) -> str | None:
    """The markup that gives back exactly this stored HTML, or None (the textarea then shows the HTML)."""
    if not html:
        return ""
    try:
        parts = lxml.html.fragments_fromstring(html)
    except Exception:  # lxml refuses some fragments (e.g. only whitespace); show the HTML
        return None
    if any(isinstance(p, str) for p in parts):
        return None
    text = "\n\n".join(_markup_of(p) for p in parts)
    return text if markup_to_html(text) == html else None


def rich_text_from_input(text: str) -> str:
    """What a coordinator typed, as the sanitised HTML stored: the markup, or (as before it) HTML tags."""
    text = (text or "").replace("\r\n", "\n").strip()
    return sanitize_rich_text(text) if HTML_TAG.search(text) else markup_to_html(text)


def editable_text(html: str) -> str:
    """A stored text as the textarea shows it: its markup when that gives back the same HTML, else the HTML."""
    markup = markup_from_html(html or "")
    return html if markup is None else markup
