"""How much of each seed report's text our rendered PDF holds.

    .venv/bin/python benchmarks/seed_coverage.py [--pdf-dir DIR] [--render] [--missing]

Prints, per seed, the share found in the PDF and, when the DIR holds it, in the Word copy (DOCX,
its paragraphs and table cells in document order, read with python-docx).

How matching works:

* Our text is what a reader copying from the PDF gets, taken with PyMuPDF (MuPDF's extraction, in
  the order the text is drawn: a table cell's lines stay together). pdftotext's default reading
  order joins the lines of neighbouring cells that share a baseline ("1. การเปิดโอกาสให้ 1 ต.ค. 2567
  ถึง ทุกกอง"), which breaks every table sentence; its `-raw` mode (drawing order) finds the same
  as MuPDF. `--engine pdftotext` prints the reading-order figure for comparison.
* The seed text (../shared/seeds/*.txt, extracted from the agencies' own PDFs) is split into its cells
  and lines (tabs and line ends), and repaired of what the extraction added or damaged, by generic
  rules only: HTML tags and markdown marks the extractor wrote (`<p>`, `<li>`, `##`, `|`, images)
  dropped and HTML entities decoded (`&amp;`); NFKC; Thai digits as Arabic; ำ rejoined where it came
  out as ํ + า, and a space before า read as ำ or า by the dictionary (see _rejoin_am); Thai tone
  marks and vowels in one order; all whitespace dropped. Our text gets the same repair, but for one
  rule applied to the seed only: a mark the extraction put one letter late ("หนว่ย") is moved back
  where the dictionary agrees (see _restore_marks); our own text layer is measured as it is.
* A seed cell of SHINGLE characters or fewer counts as found only if it occurs whole in our text;
  in a longer cell each character counts as found when it lies in some SHINGLE-long run that also
  occurs in our text. Nothing else is loosened: no fuzzy matching, no per-line exceptions.
* The share is found characters / all characters of the seed. A sentence we do not print counts as
  missing, wherever it stands on the page; our own additions (running headers, page numbers) do not
  count against us.
"""

import argparse
import html
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

from pythainlp.corpus import thai_words
from pythainlp.tokenize import word_tokenize
from pythainlp.util import normalize as thai_normalize
from pythainlp.util import reorder_vowels, thai_digit_to_arabic_digit

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
SHINGLE = 20
# seed file prefix → (agency, year, kind)
DEMO = {
    "000": ("khao-samo-khon", 2567, "annual"),
    "001": ("nong-bua-ban", 2568, "annual"),
    "002": ("takhram-en", 2565, "analysis"),
    "003": ("pak-kran", 2567, "annual"),
    "004": ("ubon-pao", 2566, "six-month"),
}
# Markup the extractor wrote into the seed text: HTML tags, markdown emphasis/heading/table marks, images.
_MARKUP = re.compile(r"</?[a-zA-Z][^<>]*>|[*#|]+|!\[[^\]]*\]\([^)]*\)")
_SPLIT_AM = re.compile(r"([\u0e01-\u0e2e][\u0e48-\u0e4b]?) \u0e32")
_DROP = re.compile(r"[\s\u200b\u2060\u00ad]+")
_WORDS = thai_words()
_MARKS = set("\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c")
_CONSONANT = re.compile("[\u0e01-\u0e2e]")
_THAI_LETTER = re.compile("[\u0e01-\u0e4e]")


def _reading(text: str) -> tuple[int, int]:
    """How well text reads: characters newmm segments into dictionary words, then fewer (longer) words."""
    words = word_tokenize(text, engine="newmm", keep_whitespace=False)
    return sum(len(w) for w in words if w in _WORDS), -len(words)


def _rejoin_am(text: str) -> str:
    """A space before า is extraction damage; the dictionary says which letter was printed.

    Either ำ lost its nikhahit and came out as a space and า ("ด าเนินการ" → ดำเนินการ), or the
    producer spread a justified line letter by letter ("ผู้ บ ริ ห า ร" → ผู้บริหาร). No Thai word starts
    with า, so the space goes either way; between ำ and า we keep the one whose neighbourhood (a
    dozen letters each side) segments into more dictionary characters, then into fewer words
    ("กำกับ" over "กา|กับ", "ประชาชน" over "ประ|ชำ|ชน"), ำ when they tie.
    """
    out, end = [], 0
    for m in _SPLIT_AM.finditer(text):
        out.append(text[end : m.start()])
        before = _DROP.sub("", "".join(out[-16:]))[-12:] + m.group(1)
        after = _DROP.sub("", text[m.end() : m.end() + 24])[:12]
        am, aa = before + "\u0e33" + after, before + "\u0e32" + after
        out.append(m.group(1) + ("\u0e32" if _reading(aa) > _reading(am) else "\u0e33"))
        end = m.end()
    out.append(text[end:])
    return "".join(out)


def _restore_marks(text: str) -> str:
    """A vowel or tone mark the extraction put one letter late goes back, where the dictionary agrees.

    "หนว่ย" → หน่วย, "ทจุริต" → ทุจริต, "เกบ็" → เก็บ, "ใหผู้้" → ให้ผู้: the mark moves in front of
    the letter (with its own marks) it follows, onto a bare consonant, only within six letters of a
    piece newmm finds in no dictionary, and only when the dozen letters around then read strictly
    better (see _reading). Text without such damage reads best as it is and stays unchanged.
    """
    spans, at = [], 0
    for word in word_tokenize(text, engine="newmm", keep_whitespace=False):
        at = text.find(word, at)
        if word not in _WORDS and _THAI_LETTER.search(word):
            spans.append((at - 6, at + len(word) + 6))
        at += len(word)
    for i in range(len(text)):
        ch = text[i]
        if ch not in _MARKS or not any(a <= i <= b for a, b in spans):
            continue
        j = i - 1
        while j > 0 and text[j] in _MARKS:
            j -= 1
        if j < 1 or not _CONSONANT.match(text[j]) or not _CONSONANT.match(text[j - 1]):
            continue
        moved = text[:j] + ch + text[j:i] + text[i + 1 :]
        lo, hi = max(0, j - 12), i + 13
        if _reading(moved[lo:hi]) > _reading(text[lo:hi]):
            text = moved
    return text


def clean(text: str, damaged: bool = False) -> str:
    """Text with extraction damage repaired and whitespace dropped, for comparison.

    damaged: also move back marks put one letter late (the seeds' extraction does; ours is measured
    as it is).
    """
    text = unicodedata.normalize("NFKC", text)
    text = html.unescape(_MARKUP.sub(" ", text))  # "Q&amp;A" → Q&A
    text = thai_digit_to_arabic_digit(text)
    text = _rejoin_am(text)
    text = text.replace("\u0e4d\u0e32", "\u0e33")  # ํ + า → ำ
    text = _DROP.sub("", text)
    if damaged:
        text = _restore_marks(reorder_vowels(text))
    text = thai_normalize(text)
    return text.replace("\u0e4d\u0e32", "\u0e33")


def pdf_text(path: Path, engine: str = "mupdf") -> str:
    """The PDF's text as a reader copying from it gets it (see the module docstring)."""
    if engine == "pdftotext":
        return subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    import pymupdf

    with pymupdf.open(path) as document:
        return "\n".join(page.get_text() for page in document)


def segments(seed: str) -> list[str]:
    """The seed's cells and lines (tabs and line ends separate table cells in the extraction)."""
    return [c for c in (clean(part, damaged=True) for part in re.split(r"[\t\n]+", seed)) if c]


def coverage(seed: str, ours: str, missing: list | None = None) -> float:
    """Share of the seed's characters covered by a SHINGLE-long run (or a whole shorter cell) found in ours."""
    o = clean(ours)
    have = {o[i : i + SHINGLE] for i in range(len(o) - SHINGLE + 1)}
    total = found = 0
    for seg in segments(seed):
        total += len(seg)
        if len(seg) <= SHINGLE:
            found += len(seg) if seg in o else 0
            if missing is not None and seg not in o:
                missing.append(seg)
            continue
        covered = bytearray(len(seg))
        for i in range(len(seg) - SHINGLE + 1):
            if seg[i : i + SHINGLE] in have:
                covered[i : i + SHINGLE] = b"\x01" * SHINGLE
        found += sum(covered)
        if missing is not None:
            missing.extend(_gaps(seg, covered))
    return found / total if total else 1.0


def _gaps(seg: str, covered: bytearray, context: int = 10) -> list[str]:
    """Each run of the cell not found, as "before⟦missing⟧after"."""
    return [
        f"{seg[max(0, m.start() - context) : m.start()]}⟦{seg[m.start() : m.end()]}⟧{seg[m.end() : m.end() + context]}"
        for m in re.finditer(b"\x00+", bytes(covered))
    ]


def docx_text(path: Path) -> str:
    """The Word copy's text in document order: paragraphs, and table cells row by row."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document, out = docx.Document(str(path)), []
    for element in document.element.body.iterchildren():
        if element.tag.endswith("}p"):
            out.append(Paragraph(element, document).text)
        elif element.tag.endswith("}tbl"):
            for row in Table(element, document).rows:
                cells = []
                for cell in row.cells:  # a merged cell is listed once per grid column it spans
                    if not cells or cell._tc is not cells[-1]._tc:
                        cells.append(cell)
                out.extend(cell.text for cell in cells)
    return "\n".join(out)


def render(pdf_dir: Path) -> None:
    """The five demo reports as PDF and as the Word copy (000.pdf, 000.docx, …)."""
    pdf_dir.mkdir(parents=True, exist_ok=True)
    for prefix, (agency, year, kind) in DEMO.items():
        for ext in ("pdf", "docx"):
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "render_report", "--agency", agency, "--year", str(year),
                 "--kind", kind, "--output", str(pdf_dir / f"{prefix}.{ext}")],
                check=True, capture_output=True, env=os.environ,
            )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf-dir", type=Path, default=Path("/tmp/seed-coverage"), help="000.pdf … 004.docx")
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    parser.add_argument("--render", action="store_true", help="render the five demo reports (PDF and Word) first")
    parser.add_argument("--missing", action="store_true", help="print the seed text not found in the PDF")
    parser.add_argument("--engine", choices=("mupdf", "pdftotext"), default="mupdf", help="text extraction")
    args = parser.parse_args()
    if args.render:
        render(args.pdf_dir)
    shares, word_shares = [], []
    for prefix in DEMO:
        seed = next(args.seeds.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")
        missing: list[str] = []
        share = coverage(seed, pdf_text(args.pdf_dir / f"{prefix}.pdf", args.engine), missing)
        shares.append(share)
        if args.missing:
            print("\n".join(f"  - {m}" for m in missing))
        line = f"seed {prefix} ({DEMO[prefix][0]} {DEMO[prefix][1]} {DEMO[prefix][2]}): PDF {share:6.1%}"
        word = args.pdf_dir / f"{prefix}.docx"
        if word.exists():
            word_shares.append(coverage(seed, docx_text(word)))
            line += f"   Word copy {word_shares[-1]:6.1%}"
        print(line)
    mean = f"mean: PDF {sum(shares) / len(shares):6.1%}"
    if len(word_shares) == len(shares):
        mean += f"   Word copy {sum(word_shares) / len(word_shares):6.1%}"
    print(mean)


if __name__ == "__main__":
    main()
