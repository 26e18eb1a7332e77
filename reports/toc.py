"""A table of contents made from the report's own headings, with the page numbers the PDF engine
knows once the pages are laid out.

A TOC section without text of its own prints the placeholder below; after the template is rendered,
every heading (h2) that follows it gets an anchor and an entry, and WeasyPrint fills each entry's page
number (`target-counter`, reports/report.css), so the numbers stay right however the pages fall.
A TOC the agency typed (seed 002) is printed as typed.
"""

import re

PLACEHOLDER = '<div class="toc-auto"></div>'
GENERATED = '<ol class="toc-auto">'
_HEADING = re.compile(r"<h2([^>]*)>(.*?)</h2>", re.S)
_TAG = re.compile(r"<[^>]+>")


def with_toc(html: str) -> str:
    """The rendered report HTML with its generated table of contents, if it asks for one."""
    before, sep, after = html.partition(PLACEHOLDER)
    if not sep:
        return html
    entries: list[tuple[str, str]] = []

    def anchor(match: re.Match) -> str:
        attrs, inner = match.group(1), match.group(2)
        text = " ".join(_TAG.sub("", inner).split())  # escaped text of our own template: safe as is
        if not text:
            return match.group(0)
        name = f"toc-{len(entries) + 1}"
        entries.append((name, text))
        return f'<h2 id="{name}"{attrs}>{inner}</h2>'

    after = _HEADING.sub(anchor, after)
    items = "".join(f'<li><a href="#{name}">{text}</a></li>' for name, text in entries)
    return f"{before}{GENERATED}{items}</ol>{after}"
