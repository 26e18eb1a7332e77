"""Queries and server time per page on the scale database, across many agencies and users.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ita_scale   # after generate_synthetic
    .venv/bin/python benchmarks/page_queries.py --agencies 50

Signs in synthetic users with Django's test client (no HTTP, no gunicorn), requests each agency
page twice per agency (the "first visit" computes what the agency cache keeps; this process's
cache starts empty), each oversight page once per user and year, and prints per page: the
smallest and largest number of queries, and the median and worst time in the view. The tests pin the counts on
small data (tests/test_queries.py, test_oversight.py, test_synthetic.py); this shows them on the
full 8,000 agencies × 5 years.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ita_portal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-scratch-data-only-" + "k" * 40)  # never a production key
# As benchmarks/load/run.sh serves it: production settings over plain http, synthetic rows counted.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("OVERSIGHT_INCLUDE_SYNTHETIC", "1")
os.environ.setdefault("STATIC_ROOT", "/tmp/ita-scale-static")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("set DATABASE_URL to the scale database (never the project's db.sqlite3)")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # hashed names, as in production
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from agencies.models import Agency

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    codes = list(Agency.objects.filter(is_synthetic=True).values_list("code", flat=True))
    if not codes:
        sys.exit("no synthetic agencies: run generate_synthetic first")
    rng = random.Random(args.seed)
    sample = rng.sample(codes, min(args.agencies, len(codes)))
    users = get_user_model().objects

    agency_pages = {
        "score page": "/a/{code}/",
        "score page, 2567 annual": "/a/{code}/?year=2567&round=annual",
        "my work (staff)": "/a/{code}/my-work/",
        "measure list": "/a/{code}/measures/",
        "public report list": "/p/{code}/",
    }
    oversight_pages = {
        "oversight summary": "/oversight/?year={year}",
        "oversight summary, SAO": "/oversight/?year={year}&kind=SAO",
        "oversight ranking p.3": "/oversight/ranking/?year={year}&page=3",
    }
    results: dict[str, list[tuple[int, float]]] = {}

    def hit(client, name, url):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            ms = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            sys.exit(f"{url}: HTTP {response.status_code}")
        results.setdefault(name, []).append((len(ctx.captured_queries), ms))

    clients = {}
    for code in sample:
        c = clients[code] = Client()
        c.force_login(users.get(username=f"{code}-staff"))
        c.get("/login/")  # the session, outside the figures
        for name, url in agency_pages.items():
            # The first visit computes what the agency cache then keeps (a fresh process: empty).
            hit(c, f"{name}, first visit", url.format(code=code))
    for code in sample:
        for name, url in agency_pages.items():
            hit(clients[code], name, url.format(code=code))
    overseers = ["syn-national", *[f"syn-prov-{n:02d}" for n in rng.sample(range(1, 78), 10)]]
    for username in overseers:
        c = Client()
        c.force_login(users.get(username=username))
        for year in (2565, 2566, 2567, 2568):
            for name, url in oversight_pages.items():
                hit(c, name, url.format(year=year))

    print(f"{len(sample)} agencies of {len(codes):,}; {len(overseers)} oversight users × 4 years")
    print(f"{'page':<38} {'queries':<9} {'median ms':<10} {'max ms':<8} n")
    for name, rows in results.items():
        counts = sorted({q for q, _ in rows})
        spread = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
        times = [ms for _, ms in rows]
        print(f"{name:<38} {spread:<9} {statistics.median(times):<10.1f} {max(times):<8.1f} {len(rows)}")


if __name__ == "__main__":
    main()
