"""Benchmark: does previewing a large agency workbook stop other people's saves on SQLite?

    python benchmarks/workbook_preview.py              # SQLite file in the temp folder
    python benchmarks/workbook_preview.py --measures 200

One synthetic agency (code synthetic-workbook, name marked สังเคราะห์, is_synthetic=True) in a
throw-away SQLite file (never the portal's own db.sqlite3), migrated first. Its workbook has
--measures new measures, 4 activities each, and progress for 2 rounds of every measure and
activity (1,333 measures: about 20,000 rows). While the preview (dry run) runs, another connection
tries a tiny write every 20 ms without waiting (score_sheet.py's probe) and the benchmark prints
how many were refused ("database is locked"). Not a timed test: figures go in the README/report.
"""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(os.environ.get("ITA_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ita_portal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-scratch-data-only-" + "k" * 40)  # never a production key
DB = Path(tempfile.gettempdir()) / "ita_bench_workbook_preview.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measures", type=int, default=1333)
    parser.add_argument("--year", type=int, default=2567, help="fiscal year (พ.ศ.)")
    args = parser.parse_args()

    import django

    django.setup()
    import openpyxl
    from django.core.management import call_command
    from django.db import connection

    from agencies.models import Agency, AgencyKind
    from assessments.models import FiscalYear
    from measures.models import Measure
    from measures.workbook import (
        H_ACTIVITY,
        H_MEASURE,
        H_ORDER,
        H_ROUND,
        H_STATUS,
        H_TITLE,
        SHEET_ACTIVITIES,
        SHEET_MEASURES,
        SHEET_PROGRESS,
        workbook_export,
        workbook_import,
    )

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from score_sheet import _WriteProbe

    print(f"database: {connection.vendor} ({DB}); code from {ROOT}")
    call_command("migrate", verbosity=0)
    year = FiscalYear.objects.get(be_year=args.year)
    agency, _ = Agency.objects.get_or_create(
        code="synthetic-workbook",
        defaults={"kind": AgencyKind.SAO, "name": "อบต.สังเคราะห์ (ข้อมูลสังเคราะห์)", "is_synthetic": True},
    )
    Measure.objects.filter(agency=agency).delete()  # every row of the file is new

    t = time.perf_counter()
    wb = openpyxl.load_workbook(io.BytesIO(workbook_export(agency=agency, year=year, template=True)))

    def sheet_writer(name):
        ws = wb[name]
        headers = [c.value for c in ws[1]]
        return lambda values: ws.append([values.get(h) for h in headers])

    measure, activity, progress = (sheet_writer(s) for s in (SHEET_MEASURES, SHEET_ACTIVITIES, SHEET_PROGRESS))
    rows = 0
    for m in range(1, args.measures + 1):
        measure({H_ORDER: m, H_TITLE: f"มาตรการสังเคราะห์ที่ {m}"})
        rows += 1
        for a in range(1, 5):
            activity({H_MEASURE: m, H_ACTIVITY: a, "กิจกรรม": f"กิจกรรมสังเคราะห์ {m}.{a}"})
            rows += 1
        for a in (None, 1, 2, 3, 4):
            for rnd in ("รอบ 6 เดือน", "รอบ 12 เดือน"):
                progress({H_MEASURE: m, H_ACTIVITY: a, H_ROUND: rnd, H_STATUS: "อยู่ระหว่างดำเนินการ"})
                rows += 1
    buf = io.BytesIO()
    wb.save(buf)
    print(f"workbook: {rows:,} rows, {len(buf.getvalue()) / 1e3:,.0f} KB, written in {time.perf_counter() - t:.1f} s")

    probe = _WriteProbe(DB)
    t = time.perf_counter()
    preview = workbook_import(agency=agency, year=year, file=io.BytesIO(buf.getvalue()), dry_run=True)
    s = time.perf_counter() - t
    tried, refused = probe.stop()
    print(f"preview (dry run): {s:.1f} s, {preview.summary()}")
    print(f"another connection's writes meanwhile: {tried} tried, {refused} refused (locked)")
    for p in preview.problems[:5]:
        print("  ", p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
