"""Benchmark: preview and import a national score sheet of 8,000 synthetic agencies.

    python benchmarks/score_sheet.py                      # SQLite file in the temp folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ita_bench python benchmarks/score_sheet.py

8,000 agencies × 1 year × (overall + 3 tools + 10 indicators) = 112,000 rows. The agencies are
clearly synthetic (codes synthetic-00001…, names marked สังเคราะห์, is_synthetic=True) and are
created in the benchmark database only: without DATABASE_URL a throw-away SQLite file is used,
never the portal's own db.sqlite3. The database is migrated first.

Prints the seconds and rows per second of: writing the sheet, the preview (dry run), the import
into empty scores (all rows new), and a second import of the same file (all rows unchanged).
On SQLite, while each preview runs another connection tries a write every 20 ms without waiting,
and the benchmark prints how many were refused ("database is locked"): a preview holds no lock.
Not a timed test: the target (≤ 60 s each on the project's 2-core machine) is in the README.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ita_portal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-scratch-data-only-" + "k" * 40)  # never a production key
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(tempfile.gettempdir()) / 'ita_bench_score_sheet.sqlite3'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agencies", type=int, default=8000)
    parser.add_argument("--year", type=int, default=2567, help="fiscal year (พ.ศ.)")
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from agencies.models import Agency, AgencyKind
    from assessments.models import AssessmentResult, FiscalYear, Indicator, IndicatorScore, Tool, ToolScore
    from assessments.score_sheet import (
        COL_AGENCY,
        COL_AGENCY_NAME,
        COL_CODE,
        COL_KIND,
        COL_LEVEL,
        COL_SCORE,
        COL_YEAR,
        INDICATOR,
        KIND_LABELS,
        NATIONAL_HEADERS,
        OVERALL,
        TOOL,
        score_sheet_import,
        write_national_xlsx,
    )
    from sheets.writing import write_csv

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    call_command("migrate", verbosity=0)
    year = FiscalYear.objects.get(be_year=args.year)

    # Synthetic agencies (created once, kept between runs); their scores for the year removed.
    codes = [f"synthetic-{i:05d}" for i in range(1, args.agencies + 1)]
    have = (
        set(Agency.objects.filter(code__in=codes).values_list("code", flat=True))
        if len(codes) < 900
        else set(Agency.objects.filter(is_synthetic=True).values_list("code", flat=True))
    )
    Agency.objects.bulk_create(
        [
            Agency(
                code=code,
                kind=AgencyKind.SAO,
                name=f"อบต.สังเคราะห์ {code[-5:]} (ข้อมูลสังเคราะห์)",
                province="จังหวัดสังเคราะห์",
                is_synthetic=True,
            )
            for code in codes
            if code not in have
        ],
        batch_size=1000,
    )
    # Start from no scores: raw deletes (no history, no signals) of the synthetic agencies' rows only.
    synthetic_results = AssessmentResult.objects.filter(agency__is_synthetic=True, year=year)
    for model in (ToolScore, IndicatorScore):
        model.objects.filter(result__in=synthetic_results)._raw_delete(connection.alias)
    synthetic_results._raw_delete(connection.alias)

    tools = list(Tool.objects.filter(year=year).order_by("order"))
    indicators = list(Indicator.objects.filter(year=year).select_related("tool").order_by("number"))
    rng = random.Random(2567)

    def score() -> Decimal:
        return Decimal(rng.randint(6000, 10000)) / 100

    rows = []
    for code in codes:
        base = {COL_AGENCY: code, COL_AGENCY_NAME: f"อบต.สังเคราะห์ {code[-5:]}", COL_YEAR: args.year}
        ind = {i.number: score() for i in indicators}
        tool_scores = {
            t.code: (sum(ind[i.number] for i in indicators if i.tool_id == t.id) / 5).quantize(Decimal("0.01"))
            for t in tools
        }
        overall = score()
        rows.append({**base, COL_KIND: KIND_LABELS[OVERALL], COL_SCORE: overall, COL_LEVEL: None})
        rows += [{**base, COL_KIND: KIND_LABELS[TOOL], COL_CODE: c, COL_SCORE: s} for c, s in tool_scores.items()]
        rows += [{**base, COL_KIND: KIND_LABELS[INDICATOR], COL_CODE: n, COL_SCORE: s} for n, s in ind.items()]
    n = len(rows)

    def write(rows, name):
        t = time.perf_counter()
        data = write_csv(NATIONAL_HEADERS, rows) if args.format == "csv" else write_national_xlsx(rows, years=[year])
        path = Path(tempfile.gettempdir()) / f"{name}.{args.format}"
        path.write_bytes(data)
        print(f"sheet: {n:,} rows, {len(data) / 1e6:.1f} MB {args.format}, written in {time.perf_counter() - t:.1f} s")
        return path

    def run(label: str, path: Path, dry_run: bool) -> None:
        probe = _WriteProbe(connection.settings_dict["NAME"]) if dry_run and connection.vendor == "sqlite" else None
        t = time.perf_counter()
        preview = score_sheet_import(file=path, dry_run=dry_run, filename=path.name)
        s = time.perf_counter() - t
        print(f"{label:<36} {s:6.1f} s  {n / s:9,.0f} rows/s  ({preview.summary()})")
        if probe is not None:
            tried, refused = probe.stop()
            print(f"{'':<36} another connection's writes meanwhile: {tried} tried, {refused} refused (locked)")
        if not preview.ok:
            for p in preview.problems[:10]:
                print("  ", p)
            raise SystemExit(1)

    path = write(rows, "ita_bench_national")
    run("preview (dry run, all rows new)", path, True)
    run("import (all rows new)", path, False)
    run("import again (all rows unchanged)", path, False)
    changed = write(
        [{**r, COL_SCORE: r[COL_SCORE] - Decimal("0.01") if r[COL_SCORE] >= 1 else r[COL_SCORE]} for r in rows],
        "ita_bench_national_changed",
    )
    run("preview (dry run, all rows changed)", changed, True)
    run("import (all rows changed)", changed, False)
    stored = IndicatorScore.objects.filter(result__year=year, result__agency__is_synthetic=True)
    expected = next(r for r in rows if r[COL_KIND] == KIND_LABELS[INDICATOR] and r[COL_CODE] == 1)[COL_SCORE]
    first = stored.get(result__agency__code=codes[0], indicator__number=1).score
    assert first == expected - Decimal("0.01"), (first, expected)
    print(f"stored: {stored.count():,} indicator scores of synthetic agencies for {args.year} (checked)")
    return 0


class _WriteProbe:
    """A second SQLite connection that tries a tiny write every 20 ms, never waiting for the lock."""

    def __init__(self, path):
        import sqlite3
        import threading

        self.tried = self.refused = 0
        self.done = threading.Event()
        self.con = sqlite3.connect(str(path), timeout=0, isolation_level=None, check_same_thread=False)
        self.con.execute("CREATE TABLE IF NOT EXISTS bench_write_probe (n INTEGER)")
        self.thread = threading.Thread(target=self._loop, args=(sqlite3.OperationalError,))
        self.thread.start()

    def _loop(self, locked) -> None:
        while not self.done.wait(0.02):
            self.tried += 1
            try:
                self.con.execute("BEGIN IMMEDIATE")
                self.con.execute("INSERT INTO bench_write_probe VALUES (1)")
                self.con.execute("COMMIT")
            except locked:
                self.refused += 1

    def stop(self) -> tuple[int, int]:
        self.done.set()
        self.thread.join()
        self.con.close()
        return self.tried, self.refused


if __name__ == "__main__":
    raise SystemExit(main())
