"""Drafts of long reports rendered in chunks, by forked worker processes, and merged.

The measures table's groups (ประเด็น, divisions…) are cut into chunks of about
``ROW_BUDGET`` rows, at group boundaries (a group larger than that, into runs of
rows); a chunk starts on a new page.  The cut
depends on the report's content only, never on the number of processes, so a
report gives the same PDF whether its chunks ran one after the other or side by
side.  Each chunk is a child forked after the HTML was parsed and the fonts
loaded: it keeps its part of the tree, lays it out, tells the parent how many
pages it has, receives the number of pages before it and only then makes its
margin boxes, so page numbers run on across chunks.  The parent merges the
chunks' PDFs (PyMuPDF) with one outline and the first chunk's metadata.

Chunks are kept on disk under ``REPORT_CHUNK_CACHE_DIR``, keyed by a hash of
their HTML, the styles, the renderer's version and their first page number: an
edit to one group re-renders that chunk, and the chunks after it only if its
page count changed.

Published files (tagged PDF/A-3b) are chunked the same way; reports/pdf_merge.py
joins their structure trees, and the report's data is attached to the first chunk.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import select
import signal
import struct
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import weasyprint
import weasyprint.layout

from . import pdf_merge, pdf_patches

ROW_BUDGET = 150  # rows of the measures table per chunk: about 80 dense landscape pages
_PR_SET_PDEATHSIG = 1


@dataclass
class Block:
    """A group of the measures table, or some of its rows: [group heading?, table]."""

    elements: list[ElementTree.Element]
    rows: tuple[int, int] | None = None  # the table body's rows kept, when the group is split

    @property
    def table(self) -> ElementTree.Element:
        return self.elements[-1]


@dataclass
class Chunk:
    index: int
    blocks: list[Block]
    key: str = ""
    first_page: int | None = None
    pages: int | None = None
    pdf: bytes | None = None
    pid: int | None = None
    pipes: tuple[int, int] | None = None  # (read counts from child, write offset to child)
    sent: bool = False
    files: dict = field(default_factory=dict)


def _classes(element: ElementTree.Element) -> list[str]:
    return (element.get("class") or "").split()


def _body_rows(table: ElementTree.Element) -> list[ElementTree.Element]:
    body = table.find("tbody")
    return list(body) if body is not None else []


def plan(root: ElementTree.Element, budget: int = ROW_BUDGET) -> tuple[ElementTree.Element, list[list[Block]]] | None:
    """(the section holding the measures tables, the blocks of each chunk), or None for one chunk.

    Groups are kept whole when they fit the budget; a larger group is cut into runs of rows
    (its header row repeats, as on any page it breaks across).
    """
    body = root.find("body")
    if body is None:
        return None
    for section in body:
        if "wide-section" in _classes(section) and section.find("table") is not None:
            break
    else:
        return None
    blocks, heading = [], []
    for child in section:
        if child.tag == "h3" and "group-heading" in _classes(child):
            heading = [child]
        elif child.tag == "table" and "measures" in _classes(child):
            rows = len(_body_rows(child))
            parts = max(1, -(-rows // budget))
            for part in range(parts):
                span = (part * rows // parts, (part + 1) * rows // parts) if parts > 1 else None
                blocks.append(Block([*heading, child] if part == 0 else [child], span))
            heading = []
    sizes = [(block.rows[1] - block.rows[0]) if block.rows else len(_body_rows(block.table)) for block in blocks]
    total = sum(sizes)
    count = min(len(blocks), -(-total // budget))
    if count <= 1:
        return None
    chunks: list[list[Block]] = [[] for _ in range(count)]
    done = 0
    for block, size in zip(blocks, sizes, strict=True):
        # the chunk whose share of the rows holds this block's middle row
        chunk = chunks[min(count - 1, int((done + size / 2) * count / total))]
        if chunk and block.rows and chunk[-1].table is block.table:  # two runs of one group: one run
            chunk[-1] = Block(chunk[-1].elements, (chunk[-1].rows[0], block.rows[1]))
        else:
            chunk.append(block)
        done += size
    return section, [chunk for chunk in chunks if chunk]


def _all_elements(chunks: list[Chunk]) -> set[int]:
    return {id(element) for chunk in chunks for block in chunk.blocks for element in block.elements}


def _keep(root: ElementTree.Element, section: ElementTree.Element, chunks: list[Chunk], index: int) -> None:
    """Reduce the tree (in a child's own memory) to chunk ``index``."""
    body = root.find("body")
    position = list(body).index(section)
    first, last = index == 0, index == len(chunks) - 1
    for number, child in enumerate(list(body)):
        if (number < position and not first) or (number > position and not last):
            body.remove(child)
    mine = {id(element) for block in chunks[index].blocks for element in block.elements}
    in_blocks = _all_elements(chunks)
    for child in list(section):
        if id(child) in mine or (first and id(child) not in in_blocks):
            continue
        section.remove(child)
    for block in chunks[index].blocks:
        if block.rows:
            rows = _body_rows(block.table)
            table_body = block.table.find("tbody")
            for row in rows[: block.rows[0]] + rows[block.rows[1] :]:
                table_body.remove(row)


def _serialize(block: Block) -> list[bytes]:
    if not block.rows:
        return [ElementTree.tostring(element) for element in block.elements]
    table = block.table
    parts = [ElementTree.tostring(element) for element in block.elements[:-1]]
    parts.append(repr(sorted(table.attrib.items())).encode())
    parts.extend(ElementTree.tostring(child) for child in table if child.tag != "tbody")
    parts.extend(ElementTree.tostring(row) for row in _body_rows(table)[block.rows[0] : block.rows[1]])
    return parts


def _chunk_html(root: ElementTree.Element, section: ElementTree.Element, chunks: list[Chunk], index: int) -> bytes:
    """What chunk ``index`` shows, serialized (for its cache key) without copying the tree."""
    body = root.find("body")
    position = list(body).index(section)
    first, last = index == 0, index == len(chunks) - 1
    head = root.find("head")
    parts = [ElementTree.tostring(head) if head is not None else b""]
    in_blocks = _all_elements(chunks)
    for number, child in enumerate(body):
        if (number < position and first) or (number > position and last):
            parts.append(ElementTree.tostring(child))
        elif number == position:
            if first:
                parts.extend(ElementTree.tostring(e) for e in section if id(e) not in in_blocks)
            for block in chunks[index].blocks:
                parts.extend(_serialize(block))
    return b"\0".join(parts)


class ChunkError(Exception):
    pass


def cache_dir() -> Path | None:
    """REPORT_CHUNK_CACHE_DIR (setting or environment), a temporary folder by default; "off": no cache."""
    from django.conf import settings

    configured = getattr(settings, "REPORT_CHUNK_CACHE_DIR", "") or os.environ.get("REPORT_CHUNK_CACHE_DIR", "")
    if configured == "off":
        return None
    return Path(configured or Path(tempfile.gettempdir()) / "ita-render-chunks")


def render(
    document: weasyprint.HTML,
    options: dict,
    *,
    styles: str,
    version: str,
    first_chunk_extra: bytes = b"",
    processes: int = 2,
    budget: int = ROW_BUDGET,
    cache: Path | None = None,
) -> bytes | None:
    """The PDF rendered in chunks, or None when the report is one chunk (or other threads run).

    ``styles``, ``version`` and ``first_chunk_extra`` (what the attachments hold) enter the
    chunks' cache keys with their HTML.
    """
    if threading.active_count() > 1:
        # Forking copies only this thread: a lock another thread holds (logging, fontconfig)
        # would stay locked in the child. Renders run in single-threaded processes (the
        # worker's child, reports/tasks.py; the render_report command); elsewhere, one piece.
        return None
    root = document.etree_element
    planned = plan(root, budget)
    if planned is None:
        return None
    section, parts = planned
    chunks = [Chunk(index, blocks) for index, blocks in enumerate(parts)]
    kind = f"{options.get('pdf_variant')} {options.get('pdf_tags')}"
    for chunk in chunks:
        digest = hashlib.sha256("\0".join([version, kind, styles, ""]).encode())
        digest.update(_chunk_html(root, section, chunks, chunk.index))
        if chunk.index == 0:  # attachments go into the first chunk only
            digest.update(b"\0" + first_chunk_extra)
        chunk.key = digest.hexdigest()
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)  # drafts: readable by the portal only
    _run(document, options, root, section, chunks, max(1, processes), cache)
    if cache is not None:
        for chunk in chunks:
            _write(cache / f"{chunk.key}.pages", str(chunk.pages).encode())
            _write(cache / f"{chunk.key}-{chunk.first_page}.pdf", chunk.pdf)
        _trim(cache)
    return pdf_merge.merge([chunk.pdf for chunk in chunks], tagged=bool(options.get("pdf_tags")))


def _first_page(chunks: list[Chunk], chunk: Chunk) -> int | None:
    """Pages before ``chunk``, once every chunk before it has counted them."""
    counts = [other.pages for other in chunks[: chunk.index]]
    return None if None in counts else sum(counts)


def _run(document, options, root, section, chunks: list[Chunk], processes: int, cache: Path | None) -> None:
    todo = list(chunks)
    running: list[Chunk] = []
    try:
        while todo or running:
            while todo and len(running) < processes:
                chunk = todo[0]
                pages = _read(cache / f"{chunk.key}.pages") if cache is not None else None
                if pages is not None:  # rendered before: reusable if its first page is the same
                    first_page = _first_page(chunks, chunk)
                    if first_page is None:
                        break  # wait until the chunks before it have counted their pages
                    pdf = _read(cache / f"{chunk.key}-{first_page}.pdf")
                    if pdf is not None:
                        chunk.pages, chunk.pdf = int(pages), pdf
                        todo.pop(0)
                        continue
                todo.pop(0)
                _start(document, options, root, section, chunks, chunk)
                running.append(chunk)
            _offsets(chunks)
            readable, _, _ = select.select([chunk.pipes[0] for chunk in running if chunk.pages is None], [], [], 0.05)
            for chunk in running:
                if chunk.pipes[0] in readable:
                    data = os.read(chunk.pipes[0], 4)
                    if len(data) == 4:
                        chunk.pages = struct.unpack("<i", data)[0]
            _offsets(chunks)
            for chunk in list(running):
                pid, status = os.waitpid(chunk.pid, os.WNOHANG)
                if pid:
                    running.remove(chunk)
                    _finish(chunk, status)
    finally:
        for chunk in running:
            os.kill(chunk.pid, signal.SIGKILL)
            os.waitpid(chunk.pid, 0)
            _close(chunk)


def _offsets(chunks: list[Chunk]) -> None:
    """Give each waiting child its first page number once all chunks before it are counted."""
    first_page = 0
    for chunk in chunks:
        chunk.first_page = first_page
        if chunk.pipes is not None and not chunk.sent:
            chunk.sent = True
            try:
                os.write(chunk.pipes[1], struct.pack("<i", first_page))
            except BrokenPipeError:  # the child failed: its exit status tells why
                pass
        if chunk.pages is None:
            return
        first_page += chunk.pages


def _start(document, options, root, section, chunks: list[Chunk], chunk: Chunk) -> None:
    counts_read, counts_write = os.pipe()
    offset_read, offset_write = os.pipe()
    fd, out = tempfile.mkstemp(prefix="ita-chunk-", suffix=".pdf")
    os.close(fd)
    chunk.files = {"pdf": out, "err": out + ".err"}
    pid = os.fork()
    if pid == 0:  # the child: render this chunk, never return
        code = 2
        try:
            os.close(counts_read)
            os.close(offset_write)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the render
            _keep(root, section, chunks, chunk.index)
            if chunk.index:
                options = {**options, "attachments": []}
            _number_pages(counts_write, offset_read)
            with pdf_patches.quiet_gc():
                pdf = _write_pdf(document, options)
            Path(out).write_bytes(pdf)
            code = 0
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            try:
                Path(out + ".err").write_text(f"{type(exc).__name__}: {exc}"[:2000], encoding="utf-8")
            except BaseException:  # noqa: BLE001
                pass
        finally:
            os._exit(code)
    os.close(counts_write)
    os.close(offset_read)
    chunk.pid, chunk.pipes = pid, (counts_read, offset_write)


def _write_pdf(document, options) -> bytes:
    from .rendering import ReportRenderError, _Collect

    collector = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        pdf = pdf_patches.deep_stack(lambda: document.write_pdf(**options))
    finally:
        logger.removeHandler(collector)
    missing = [m for m in collector.messages if "glyph" in m.lower()]
    if missing:
        raise ReportRenderError("; ".join(missing[:5]))
    return pdf


def _number_pages(counts_write: int, offset_read: int) -> None:
    """Before the first margin box: send the page count, wait for the pages before."""
    original = weasyprint.layout.make_margin_boxes
    first_page = []

    def make_margin_boxes(context, page, state):
        if not first_page:
            os.write(counts_write, struct.pack("<i", len(context.page_maker) - 1))
            data = b""
            while len(data) < 4:
                more = os.read(offset_read, 4 - len(data))
                if not more:
                    raise ChunkError("the parent stopped")
                data += more
            first_page.append(struct.unpack("<i", data)[0])
        counters = {**state[1], "page": [state[1]["page"][0] + first_page[0]]}
        return original(context, page, (state[0], counters, *state[2:]))

    weasyprint.layout.make_margin_boxes = make_margin_boxes


def _finish(chunk: Chunk, status: int) -> None:
    try:
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            chunk.pdf = Path(chunk.files["pdf"]).read_bytes()
            return
        message = _read(Path(chunk.files["err"]))
        from .rendering import ReportRenderError

        raise ReportRenderError(
            message.decode() if message else f"การสร้างรายงานส่วนที่ {chunk.index + 1} หยุดกลางคัน (สถานะ {status})"
        )
    finally:
        _close(chunk)


def _close(chunk: Chunk) -> None:
    for fd in chunk.pipes or ():
        try:
            os.close(fd)
        except OSError:
            pass
    chunk.pipes = None
    for path in chunk.files.values():
        Path(path).unlink(missing_ok=True)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _trim(cache: Path, keep: int = 400) -> None:
    files = sorted(cache.glob("*"), key=lambda path: path.stat().st_mtime if path.exists() else 0)
    for path in files[:-keep]:
        path.unlink(missing_ok=True)
