"""Fill a scratch database with clearly synthetic agencies for scale tests.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ita_scale \\
        python manage.py generate_synthetic --agencies 8000 --years 5

What is generated and how it is marked: demo/synthetic.py (agencies, users, years) and
demo/synthetic_content.py (measures, progress, scores, reports). It refuses the project's own
db.sqlite3 and any database that holds real agencies (the demo) unless --alongside-real is given
(tests only).
"""

import random
import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from demo import synthetic
from demo.synthetic_content import synthetic_content_create
from ita_portal.cache import agency_data_touch_all


class Command(BaseCommand):
    help = "สร้างหน่วยงานสังเคราะห์ (ข้อมูลทดสอบขนาดใหญ่) พร้อมมาตรการ ความก้าวหน้า คะแนน และรายงาน"

    def add_arguments(self, parser):
        parser.add_argument("--agencies", type=int, required=True)
        parser.add_argument("--years", type=int, default=5, help="the last K fiscal years, ending at the current one")
        parser.add_argument("--measures", type=int, default=8, help="mean measures per agency and year (5–12)")
        parser.add_argument("--seed", type=int, default=2568)
        parser.add_argument("--chunk", type=int, default=250, help="agencies per transaction")
        parser.add_argument("--password", default=synthetic.DEFAULT_PASSWORD, help="password of every synthetic user")
        parser.add_argument("--no-users", action="store_true", help="skip per-agency users")
        parser.add_argument("--alongside-real", action="store_true", help="allow real agencies (tests only)")

    def handle(self, *args, agencies: int, years: int, measures: int, seed: int, chunk: int, **opts):
        if agencies < 1 or years < 1:
            raise CommandError("--agencies and --years must be at least 1")
        started = time.monotonic()
        rng = random.Random(seed)
        try:
            synthetic.synthetic_database_check(alongside_real=opts["alongside_real"])
            with transaction.atomic():
                fiscal_years = synthetic.synthetic_years_ensure(count=years, log=self.stdout.write)
        except synthetic.SyntheticError as exc:
            raise CommandError(str(exc)) from exc
        frameworks = synthetic.synthetic_frameworks(years=fiscal_years)
        current = max(fy.be_year for fy in fiscal_years)
        password = make_password(opts["password"])  # hashed once, shared by every synthetic user
        pdf_sha = synthetic.synthetic_placeholder_pdf()
        synthetic.synthetic_oversight_users_create(password=password)
        totals: dict[str, int] = {}
        for start in range(0, agencies, chunk):
            n = min(chunk, agencies - start)
            with transaction.atomic():
                made, divisions = synthetic.synthetic_agencies_create(rng=rng, start=start, n=n)
                counts = {"agencies": n, "divisions": sum(len(d) for d in divisions.values())}
                if not opts["no_users"]:
                    counts["users"] = synthetic.synthetic_users_create(
                        agencies=made, divisions=divisions, password=password
                    )
                counts.update(
                    synthetic_content_create(
                        rng=rng,
                        agencies=made,
                        divisions=divisions,
                        frameworks=frameworks,
                        current=current,
                        mean_measures=measures,
                        pdf_sha=pdf_sha,
                    )
                )
            for k, v in counts.items():
                totals[k] = totals.get(k, 0) + v
            self.stdout.write(f"  {start + n:>6}/{agencies} หน่วยงาน ({time.monotonic() - started:6.1f} s)")
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                cursor.execute("ANALYZE")
        summary = ", ".join(f"{k} {v:,}" for k, v in totals.items())
        agency_data_touch_all()  # written in bulk, without the signals that keep page caches fresh
        self.stdout.write(self.style.SUCCESS(f"เสร็จใน {time.monotonic() - started:.1f} s: {summary}"))
