"""Render speed: the portal's draft and publishing renders against stock WeasyPrint and Chromium.

    .venv/bin/python benchmarks/render_speed.py [--rounds 5] [--case dense] [--case seed000]

Same process, same HTML and stylesheets. Each round renders, in turn: stock WeasyPrint 70.0 (the
text-layer fix and the pydyf fix switched off, the collector as Python sets it), the portal's draft
on one process and on two (reports/chunked.py; the chunk cache off), stock above
reports.pdf_patches.deep_stack (CPython 3.11's frame-chunk thrashing removed, nothing else), stock WeasyPrint tagged
PDF/A-3b, the portal's publishing render, and Chromium's print-to-PDF of the same HTML when
/usr/bin/chromium exists (a new browser per render, as a service would run it). Prints, per variant,
the median over rounds of stock's time divided by the variant's time *in the same round* (so a
busy machine slows both sides of a ratio alike), and the pages/s of its best round; then the same
for CPU time (this process and its children), which a machine shared with other work disturbs
less than wall time. Uses the
scratch database of benchmarks/render_reports.py (made on first use).

    .venv/bin/python benchmarks/render_speed.py --memory 10 [--stock]   # resident memory over 10 renders
"""

import argparse
import gc
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import render_reports  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def context_for(case: str) -> dict:
    from agencies.models import Agency
    from assessments.models import FiscalYear
    from reports.selectors import report_context, report_get_or_default

    code, options = {
        "seed000": ("khao-samo-khon", {}),
        "dense": ("synthetic-table", {"columns": ["number", "measure", "steps", "period", "output", "outcome"]}),
    }[case]
    report = report_get_or_default(
        agency=Agency.objects.get(code=code), year=FiscalYear.objects.get(be_year=2567), kind="annual"
    )
    for key, value in options.items():
        setattr(report, key, value)
    return report_context(report=report)


def variants(context: dict) -> dict:
    import weasyprint
    from django.conf import settings
    from weasyprint.text.fonts import FontConfiguration

    from reports import pdf_patches, rendering, thai_text_layer

    html = rendering.render_html(context)
    data = [("report-data.json", b"{}")]

    def stock(**options):
        thai_text_layer.disable()
        pdf_patches.disable()
        try:
            font_config = FontConfiguration()
            document = weasyprint.HTML(
                string=html, base_url=str(settings.MEDIA_ROOT), url_fetcher=rendering.ProjectFilesFetcher()
            )
            if options:
                options["attachments"] = [weasyprint.Attachment(string=b"{}", name="report-data.json")]
            return document.write_pdf(
                stylesheets=rendering._stylesheets(context, font_config), font_config=font_config, **options
            )
        finally:
            thai_text_layer.enable()
            pdf_patches.enable()

    def chromium():
        directory = Path(tempfile.mkdtemp(prefix="ita-chromium-"))
        try:
            css = rendering._css(context)
            page = html.replace("</head>", f"<style>{css}</style></head>", 1)
            (directory / "report.html").write_text(page, encoding="utf-8")
            subprocess.run(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                 f"--user-data-dir={directory / 'profile'}", "--allow-file-access-from-files",
                 f"--print-to-pdf={directory / 'out.pdf'}", (directory / "report.html").as_uri()],
                check=True, capture_output=True, timeout=300,
            )  # fmt: skip
            return (directory / "out.pdf").read_bytes()
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    found = {
        "stock draft": lambda: stock(),
        # the same, above reports.pdf_patches.deep_stack: how much of the gain is CPython's stack
        "stock draft, deep stack": lambda: pdf_patches.deep_stack(stock),
        "portal draft, 1 process": lambda: rendering.render_pdf(context, processes=1),
        "portal draft, 2 processes": lambda: rendering.render_pdf(context, processes=2),
        "stock tagged PDF/A-3b": lambda: stock(pdf_tags=True, pdf_variant="pdf/a-3b"),
        "portal publishing": lambda: rendering.render_pdf(context, archival=True, attachments=data),
    }
    if os.path.exists(CHROMIUM):
        found["chromium print-to-pdf"] = chromium
    return found


BASELINE = {"portal publishing": "stock tagged PDF/A-3b"}  # else "stock draft"


def run(case: str, rounds: int) -> None:
    import pymupdf
    from django.conf import settings

    settings.REPORT_CHUNK_CACHE_DIR = "off"
    context = context_for(case)
    found = variants(context)
    pages = {}
    for name, render in found.items():  # warm-up: fonts, templates, the browser's disk cache
        pdf = render()
        with pymupdf.open(stream=pdf, filetype="pdf") as document:
            pages[name] = document.page_count
    times: dict[str, list[float]] = {name: [] for name in found}
    cpu: dict[str, list[float]] = {name: [] for name in found}
    for number in range(rounds):
        names = list(found)
        if number % 2:
            names.reverse()  # alternate the order: neither side always runs first
        for name in names:
            gc.collect()
            start, start_cpu = time.perf_counter(), cpu_seconds()
            found[name]()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(cpu_seconds() - start_cpu)
        print(f"  round {number + 1}: " + ", ".join(f"{name} {times[name][-1]:.2f}s" for name in found), flush=True)
    load = os.getloadavg()[0]
    print(f"\n{case}: {rounds} rounds, load average {load:.1f} on {os.cpu_count()} cores at the end")
    for label, measured in (("wall time", times), ("CPU time", cpu)):
        print(f"{label:28s} {'pages':>5s} {'× stock (median)':>17s} {'ratios':>32s} {'pages/s best':>12s}")
        for name in found:
            baseline = BASELINE.get(name, "stock draft")
            ratios = [b / t for b, t in zip(measured[baseline], measured[name], strict=True)]
            shown = " ".join(f"{r:.2f}" for r in ratios)
            print(
                f"{name:28s} {pages[name]:5d} {statistics.median(ratios):17.2f} {shown:>32s} "
                f"{pages[name] / min(measured[name]):12.1f}"
            )
        print()


def cpu_seconds() -> float:
    """CPU time of this process and of its children that ended (chunk renders, Chromium)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def memory(case: str, renders: int, stock: bool) -> None:
    """Resident memory of this process after each of ``renders`` drafts and publications."""
    from django.conf import settings

    from reports import rendering

    settings.REPORT_CHUNK_CACHE_DIR = "off"
    context = context_for(case)
    found = variants(context)
    page = os.sysconf("SC_PAGE_SIZE")
    sizes = []
    for _ in range(renders):
        if stock:
            found["stock draft"]()
            found["stock tagged PDF/A-3b"]()
        else:
            rendering.render_pdf(context)
            rendering.render_pdf(context, archival=True, attachments=[("report-data.json", b"{}")])
        gc.collect()
        with open("/proc/self/statm") as statm:
            sizes.append(int(statm.read().split()[1]) * page / 2**20)
    label = "stock WeasyPrint" if stock else "portal"
    print(f"{case}, {label}: resident MB after each draft + publication: " + " ".join(f"{size:.0f}" for size in sizes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--case", action="append", choices=["dense", "seed000"])
    parser.add_argument("--memory", type=int, metavar="N", help="instead: resident memory over N renders")
    parser.add_argument("--stock", action="store_true", help="with --memory: stock WeasyPrint's renders")
    args = parser.parse_args()
    if not (render_reports.SCRATCH / "bench.sqlite3").exists():
        render_reports.prepare()
    else:
        render_reports.setup_django()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # the scratch data may predate the latest migrations
    for case in args.case or ["dense", "seed000"]:
        if args.memory:
            memory(case, args.memory, args.stock)
        else:
            run(case, args.rounds)


if __name__ == "__main__":
    main()
