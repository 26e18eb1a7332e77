"""Merge the chunks of one report (reports/chunked.py) into one PDF, tagged ones included.

The first chunk's file is the base: its catalog (language, metadata, XMP of PDF/A, output
intent, attachments, viewer preferences, mark info) stays. The other chunks' pages are appended
(PyMuPDF copies pages, resources and annotations); their fonts get a subset tag of their own
(every chunk embeds its own subset of Sarabun, and two different subsets must not share a name).

Tagged chunks (publishing): each chunk's structure elements are copied under the base's
Document element, their page (/Pg) and annotation (/Obj) references pointed at the copied
objects, and one ParentTree is rebuilt: page i of the merged file has key i (its
/StructParents), annotations follow from the page count on (their /StructParent).
"""

from __future__ import annotations

import hashlib
import re

import pymupdf

_TOKENS = re.compile(r"\((?:\\.|[^\\()])*\)|<[0-9A-Fa-f\s]*>|(\d+) 0 R")
_SUBSET = re.compile(r"^/([A-Z]{6})\+")


def merge(pdfs: list[bytes], *, tagged: bool = False) -> bytes:
    out = pymupdf.open(stream=pdfs[0], filetype="pdf")
    toc = out.get_toc(simple=True)
    if tagged:
        tree = _Tree(out)
        tree.add(out, {page.xref: page.xref for page in out}, _annotation_map(out, out, 0))
    for index, pdf in enumerate(pdfs[1:], start=1):
        with pymupdf.open(stream=pdf, filetype="pdf") as part:
            _retag_fonts(part, index)
            offset = out.page_count
            toc.extend([level, title, page + offset] for level, title, page in part.get_toc(simple=True))
            out.insert_pdf(part)
            if tagged:
                pages = {page.xref: out[offset + number].xref for number, page in enumerate(part)}
                tree.add(part, pages, _annotation_map(part, out, offset))
    if tagged:
        tree.write()
    if len(pdfs) > 1:
        out.set_toc(toc)
    data = out.tobytes(garbage=2, deflate=True, use_objstms=1)  # 2: no free slots left in the xref
    out.close()
    return data


def _retag_fonts(part: pymupdf.Document, index: int) -> None:
    """A subset tag per chunk: ABCDEF+Sarabun of chunk 2 becomes another six letters."""
    for xref in range(1, part.xref_length()):
        for key in ("BaseFont", "FontName"):
            kind, value = part.xref_get_key(xref, key)
            if kind == "name" and (match := _SUBSET.match(value)):
                digest = hashlib.sha256(f"{match.group(1)}:{index}".encode()).digest()
                tag = "".join(chr(65 + byte % 26) for byte in digest[:6])
                part.xref_set_key(xref, key, "/" + tag + value[7:])


def _annotation_map(source: pymupdf.Document, out: pymupdf.Document, offset: int) -> dict[int, int]:
    mapping = {}
    for number, page in enumerate(source):
        copied = out[offset + number]
        mapping.update(zip((a[0] for a in page.annot_xrefs()), (a[0] for a in copied.annot_xrefs()), strict=False))
    return mapping


class _Tree:
    """One structure tree for the merged file, built from each chunk's."""

    def __init__(self, out: pymupdf.Document) -> None:
        self.out = out
        self.root = _ref(out.xref_get_key(out.pdf_catalog(), "StructTreeRoot"))
        self.document = _refs(out.xref_get_key(self.root, "K"))[0]
        self.kids: list[int] = []
        self.page_entries: list[str] = []  # by page of the merged file
        self.annotations: list[tuple[int, str]] = []  # (annotation xref, structure reference)

    def add(self, source: pymupdf.Document, pages: dict[int, int], annotations: dict[int, int]) -> None:
        out, same = self.out, source is self.out
        root = _ref(source.xref_get_key(source.pdf_catalog(), "StructTreeRoot"))
        document = _refs(source.xref_get_key(root, "K"))[0]
        kids = _refs(source.xref_get_key(document, "K"))
        mapping = {document: self.document, **pages, **annotations}
        entries = _numbers(source, _ref(source.xref_get_key(root, "ParentTree")))
        if not same:  # copy every structure object reachable from the Document or the ParentTree
            # (WeasyPrint maps the margin boxes' content to elements outside the Document)
            todo = list(kids) + [xref for entry in entries.values() for xref in _referenced(entry)]
            while todo:
                xref = todo.pop()
                if xref in mapping:
                    continue
                mapping[xref] = out.get_new_xref()
                todo.extend(_referenced(source.xref_object(xref, compressed=True)))
            for old, new in mapping.items():
                if old not in pages and old not in annotations and old != document:
                    out.update_object(new, _rewrite(source.xref_object(old, compressed=True), mapping))
        self.kids.extend(kids if same else [mapping[kid] for kid in kids])
        page_count = source.page_count
        rewrite = None if same else mapping
        for key in range(page_count):
            self.page_entries.append(_rewrite(entries.get(key, "[]"), rewrite))
        for key in sorted(key for key in entries if key >= page_count):
            structure = _rewrite(entries[key], rewrite)
            annotation = next(
                (annotations[a] for a in annotations if source.xref_get_key(a, "StructParent") == ("int", str(key))),
                None,
            )
            if annotation is not None:
                self.annotations.append((annotation, structure))

    def write(self) -> None:
        out = self.out
        for number, page in enumerate(out):
            out.xref_set_key(page.xref, "StructParents", str(number))
        nums = [f"{number} {entry}" for number, entry in enumerate(self.page_entries)]
        for key, (annotation, structure) in enumerate(self.annotations, start=len(self.page_entries)):
            out.xref_set_key(annotation, "StructParent", str(key))
            nums.append(f"{key} {structure}")
        parent_tree = out.get_new_xref()
        out.update_object(parent_tree, f"<< /Nums [{' '.join(nums)}] >>")
        out.xref_set_key(self.root, "ParentTree", f"{parent_tree} 0 R")
        out.xref_set_key(self.root, "ParentTreeNextKey", str(len(nums)))
        out.xref_set_key(self.document, "K", "[" + " ".join(f"{kid} 0 R" for kid in self.kids) + "]")


def _ref(value: tuple[str, str]) -> int:
    kind, text = value
    assert kind == "xref", value
    return int(text.split()[0])


def _refs(value: tuple[str, str]) -> list[int]:
    kind, text = value
    if kind == "xref":
        return [int(text.split()[0])]
    return [int(number) for number in re.findall(r"(\d+) 0 R", text)] if kind == "array" else []


def _referenced(source: str) -> list[int]:
    return [int(match.group(1)) for match in _TOKENS.finditer(source) if match.group(1)]


def _rewrite(source: str, mapping: dict[int, int] | None) -> str:
    """The source with its references mapped (None: unchanged, for the base file)."""
    if mapping is None:
        return source

    def replace(match: re.Match) -> str:
        if not match.group(1):
            return match.group(0)
        return f"{mapping[int(match.group(1))]} 0 R"

    return _TOKENS.sub(replace, source)


def _numbers(document: pymupdf.Document, xref: int) -> dict[int, str]:
    """A number tree's entries: key → value as PDF source (references unrewritten)."""
    entries: dict[int, str] = {}
    kind, nums = document.xref_get_key(xref, "Nums")
    if kind == "array":
        for match in re.finditer(r"(\d+)\s*(\[[^\]]*\]|\d+ 0 R)", nums):
            entries[int(match.group(1))] = match.group(2)
    for kid in _refs(document.xref_get_key(xref, "Kids")):
        entries.update(_numbers(document, kid))
    return entries
