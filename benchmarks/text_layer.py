"""Benchmark: Thai text extraction from WeasyPrint PDFs, as shipped vs fixed.

Builds the corpus of benchmarks/thai_corpus.py twice (WeasyPrint as shipped,
then with reports.thai_text_layer.enable()), extracts the text with poppler
(pdftotext), MuPDF (PyMuPDF), PDFium (pypdfium2), pdf.js (node
tools/pdfjs_extract.mjs) and pdfminer.six when it is installed, and prints how
many phrases each engine finds in all of their contexts: after whitespace
removal + NFKC, and exactly.  Then, where /usr/bin/chromium exists, the same
corpus printed by Chromium (which draws no running header or footer from
string-set): phrases found in heading, paragraph and table cell, for Chromium,
and for the fixed WeasyPrint file counted the same way.

    python benchmarks/text_layer.py [--keep DIR] [--verbose]

Needs: poppler-utils (pdftotext) and `npm ci` in the project root.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import thai_corpus  # noqa: E402
import weasyprint  # noqa: E402

from reports import thai_text_layer  # noqa: E402


def measure(pdf: Path) -> dict[str, dict[str, dict[str, int]]]:
    """engine → {"nfkc": missed phrases, "exact": missed phrases}."""
    results = {}
    for engine, extract in {**thai_corpus.ENGINES, **thai_corpus.OPTIONAL_ENGINES}.items():
        pages = extract(pdf)
        results[engine] = {
            "nfkc": thai_corpus.missed_phrases(pages, nfkc=True),
            "exact": thai_corpus.missed_phrases(pages, nfkc=False),
        }
    return results


def found_in_body(pdf: Path) -> dict[str, tuple[int, int]]:
    """engine → (exact, NFKC) phrases found at least 3 times (heading, paragraph, cell)."""
    results = {}
    for engine, extract in {**thai_corpus.ENGINES, **thai_corpus.OPTIONAL_ENGINES}.items():
        pages = extract(pdf)
        results[engine] = tuple(
            sum(
                thai_corpus.squeeze(page, nfkc).count(thai_corpus.squeeze(phrase, nfkc)) >= 3
                for phrase, page in zip(thai_corpus.PHRASES, pages, strict=True)
            )
            for nfkc in (False, True)
        )
    return results


def chromium_pdf(directory: Path) -> Path | None:
    chromium = shutil.which("chromium")
    if not chromium:
        return None
    source = directory / "corpus.html"
    source.write_text(thai_corpus.build_html(), encoding="utf-8")
    pdf = directory / "chromium.pdf"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--user-data-dir={directory / 'chromium-profile'}", "--allow-file-access-from-files",
         f"--print-to-pdf={pdf}", source.as_uri()],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="directory for the two PDFs")
    parser.add_argument("--verbose", action="store_true", help="list missed phrases")
    args = parser.parse_args()

    directory = args.keep or Path(tempfile.mkdtemp(prefix="thai-text-layer-"))
    directory.mkdir(parents=True, exist_ok=True)
    thai_text_layer.disable()
    shipped = measure(thai_corpus.render_pdf(directory / "shipped.pdf"))
    thai_text_layer.enable()
    fixed = measure(thai_corpus.render_pdf(directory / "fixed.pdf"))

    total = len(thai_corpus.PHRASES)
    print(
        f"WeasyPrint {weasyprint.__version__}: {total} phrases, each in "
        f"{len(thai_corpus.CONTEXTS)} contexts ({', '.join(thai_corpus.CONTEXTS)});"
    )
    print("found = present in every context of its page, whitespace removed.\n")
    header = ("engine", "shipped NFKC", "shipped exact", "fixed NFKC", "fixed exact")
    print("".join(f"{cell:<15}" for cell in header))
    for engine in shipped:
        cells = [engine]
        for results in (shipped, fixed):
            for mode in ("nfkc", "exact"):
                cells.append(f"{total - len(results[engine][mode])}/{total}")
        print("".join(f"{cell:<15}" for cell in cells))
    print(f"\nexact text required from {', '.join(thai_corpus.EXACT_ENGINES)}.")
    chromium = chromium_pdf(directory)
    if chromium:
        print(f"\nagainst Chromium's print-to-PDF (found in heading, paragraph and cell, of {total}):")
        header = ("engine", "Chromium exact", "Chromium NFKC", "fixed exact", "fixed NFKC")
        print("".join(f"{cell:<15}" for cell in header))
        theirs, ours = found_in_body(chromium), found_in_body(directory / "fixed.pdf")
        for engine in theirs:
            print("".join(f"{cell:<15}" for cell in (engine, *theirs[engine], *ours[engine])))
    print(f"PDFs: {directory}")
    if args.verbose:
        for label, results in (("shipped", shipped), ("fixed", fixed)):
            for engine, modes in results.items():
                for mode, missed in modes.items():
                    if missed:
                        print(f"{label} {engine} {mode} missed (occurrences): {missed}")


if __name__ == "__main__":
    main()
