"""Pure rendering: a report context (plain data) in, PDF bytes out. No database access here.

WeasyPrint gets only the bundled Sarabun fonts and the report's own evidence photos: the URL
fetcher refuses every other URL (network, file://, data:), so text typed by users can never make
the renderer read the file system or the network. Photos are named by their storage name under a
private scheme (`ita-media:evidence/…`) and read with the storage API (a local folder or an
S3-compatible bucket alike): a PDF never carries a server path.
"""

import copy
import logging
import mimetypes
import os
from pathlib import Path
from urllib.parse import quote, unquote

import weasyprint
from django.conf import settings
from django.core.files.storage import storages
from django.template.loader import render_to_string
from pythainlp.util import arabic_digit_to_thai_digit
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import chunked, pdf_patches, thai_text_layer, toc, typesetting

FONT_FILES = [
    ("Sarabun-Regular.ttf", 400, "normal"),
    ("Sarabun-Bold.ttf", 700, "normal"),
    ("Sarabun-Italic.ttf", 400, "italic"),
    ("Sarabun-BoldItalic.ttf", 700, "italic"),
]
CSS_PATH = Path(__file__).with_name("report.css")


class ReportRenderError(Exception):
    pass


MEDIA_SCHEME = "ita-media"


def media_uri(name: str) -> str:
    """The renderer's URL of a stored file: its storage name, never a path on this server."""
    return f"{MEDIA_SCHEME}:{quote(name)}"


class ProjectFilesFetcher(URLFetcher):
    """Fetch the bundled fonts (file:// under SARABUN_DIR) and the stored files named in
    `media_names` (ita-media:<storage name>, read with the storage API); refuse everything else."""

    def __init__(self, media_names=(), **kwargs):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False, **kwargs)
        self.media_names = frozenset(media_names)
        self._storage = None

    def fetch(self, url, headers=None):
        if url.startswith(MEDIA_SCHEME + ":"):
            return self._stored(url)
        if not url.startswith("file://"):
            raise ValueError(f"refused: {url[:80]}")
        path = Path(url[len("file://") :].split("?")[0]).resolve()
        if not path.is_relative_to(Path(settings.SARABUN_DIR).resolve()) or not path.is_file():
            raise ValueError(f"refused: {url[:80]}")
        return super().fetch(path.as_uri(), headers)

    def _stored(self, url: str) -> URLFetcherResponse:
        name = unquote(url[len(MEDIA_SCHEME) + 1 :])
        if name not in self.media_names:
            raise ValueError(f"refused: {url[:80]}")
        if self._storage is None:
            # A storage object of this render's own: renders run in a forked child (reports/tasks.py),
            # which must not share the parent's connections to an object store.
            self._storage = storages.create_storage(storages.backends["default"])
        with self._storage.open(name, "rb") as fh:
            data = fh.read()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, data, {"Content-Type": content_type})


def _font_css() -> str:
    rules = []
    for name, weight, style in FONT_FILES:
        uri = (Path(settings.SARABUN_DIR) / name).as_uri()
        rules.append(
            f'@font-face {{ font-family: "Sarabun"; src: url("{uri}"); font-weight: {weight}; font-style: {style}; }}'
        )
    return "\n".join(rules)


def thai_digits_html(html: str) -> str:
    """Thai digits in text nodes' numbers and dates only; attributes, identifiers, URLs and character
    references keep theirs."""
    return typesetting.TEXT_NODE.sub(lambda m: ">" + typesetting.thai_digits_text(m.group(1)) + "<", html)


def _photos(context: dict) -> list[dict]:
    """Every photo the report prints: in the appendix pages and beside the measures."""
    photos = [ph for page in context.get("photo_pages", []) for ph in page["photos"]]
    if context.get("photos_beside"):
        photos += [ph for g in context.get("groups", []) for row in g["rows"] for ph in row.get("photos", [])]
    return photos


def render_html(context: dict) -> str:
    ctx = copy.deepcopy(context)
    for photo in _photos(ctx):
        photo["uri"] = media_uri(photo["name"]) if photo.get("name") else ""
    ctx["digits"] = "thai" if ctx["report"]["thai_digits"] else "arabic"
    html = toc.with_toc(render_to_string("reports/report.html", ctx))
    return typesetting.typeset_html(html, thai_digits=ctx["report"]["thai_digits"])


def _stylesheets(context: dict, font_config: FontConfiguration) -> list:
    """The report's stylesheets (benchmarks/render_speed.py renders the same HTML and CSS with stock WeasyPrint)."""
    return [weasyprint.CSS(string=_css(context), url_fetcher=ProjectFilesFetcher(), font_config=font_config)]


def _css(context: dict) -> str:
    css = _font_css() + "\n" + CSS_PATH.read_text(encoding="utf-8")
    header = f"{context['agency']['name']} · {context['report']['kind_label']} {context['report']['be_year']}"
    if context["report"]["thai_digits"]:
        header = arabic_digit_to_thai_digit(header)
        css += '\n@page { @bottom-center { content: "หน้า " counter(page, thai); } }'
        css += "\n.toc-auto a::after { content: leader('.') target-counter(attr(href), page, thai); }"
        css += "\nol { list-style-type: thai; }"  # a Thai-digit report counts every list in Thai digits
    layout = context["report"].get("layout") or {}
    if layout.get("count_cover"):
        css += "\n@page cover { counter-increment: page 1; }"
    css += "\n@page { @top-right { content: " + _css_string(header) + "; } }"
    return css


def _css_string(text: str) -> str:
    """A CSS string literal; user text never closes the string or the rule."""
    return '"' + "".join(c if c.isalnum() or c in " ·.-()" else f"\\{ord(c):x} " for c in text) + '"'


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def render_processes() -> int:
    """Processes a long report may use: REPORT_RENDER_PROCESSES (setting or environment), else
    the cores this process may run on, at most 2."""
    configured = getattr(settings, "REPORT_RENDER_PROCESSES", None) or os.environ.get("REPORT_RENDER_PROCESSES")
    if configured:
        return max(1, int(configured))
    return max(1, min(2, len(os.sched_getaffinity(0))))


def render_pdf(
    context: dict,
    *,
    archival: bool = False,
    attachments: list[tuple[str, bytes]] = (),
    processes: int | None = None,
) -> bytes:
    """PDF bytes for a report context.

    archival=True (publishing) writes a tagged PDF/A-3b (structure tree for screen readers) with the
    given attachments (the report's data); drafts skip tagging, which costs about a quarter of the
    render time on dense tables. Long reports are rendered in chunks by ``processes`` forked
    processes (reports/chunked.py), tagged ones included. Every PDF carries title, author, subject and /Lang th.
    Raises ReportRenderError if WeasyPrint reports a missing glyph: a PDF with tofu is never stored.
    """
    thai_text_layer.enable()
    pdf_patches.enable()
    html = render_html(context)
    css = _css(context)
    font_config = FontConfiguration()
    stylesheets = [weasyprint.CSS(string=css, url_fetcher=ProjectFilesFetcher(), font_config=font_config)]
    photos = [p["name"] for p in _photos(context) if p.get("name")]
    document = weasyprint.HTML(string=html, url_fetcher=ProjectFilesFetcher(media_names=photos))
    options = {"stylesheets": stylesheets, "font_config": font_config}
    if archival:
        options["pdf_tags"] = True
        options["pdf_variant"] = "pdf/a-3b"
        options["attachments"] = [
            weasyprint.Attachment(string=data, name=name, description="ข้อมูลของรายงาน") for name, data in attachments
        ]
    pdf = chunked.render(
        document,
        options,
        styles=css,
        version=f"{settings.REPORT_RENDERER_VERSION} {weasyprint.__version__} {thai_text_layer.__name__}",
        first_chunk_extra=b"\0".join(name.encode() + b"\0" + data for name, data in attachments),
        processes=processes or render_processes(),
        cache=chunked.cache_dir(),
        # A generated table of contents needs every heading in one layout to number its pages.
        budget=chunked.ROW_BUDGET if toc.GENERATED not in html else 10**9,
    )
    if pdf is not None:
        return pdf
    collector = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        with pdf_patches.quiet_gc():
            pdf = pdf_patches.deep_stack(lambda: document.write_pdf(**options))
    finally:
        logger.removeHandler(collector)
    missing = [m for m in collector.messages if "glyph" in m.lower()]
    if missing:
        raise ReportRenderError("; ".join(missing[:5]))
    return pdf
