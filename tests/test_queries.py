"""Pages run a fixed number of queries whatever the data size."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Division
from assessments.models import AssessmentResult, FiscalYear, Indicator
from assessments.services import result_save
from measures.models import Activity, Measure, Progress

from .conftest import login

KSK = "khao-samo-khon"


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, url
    return len(ctx.captured_queries)


def grow(n: int):
    """Add n measures (each with activities and progress) and a year of scores."""
    divisions = list(Division.objects.filter(agency__code=KSK))
    base = Measure.objects.filter(agency__code=KSK).first()
    for i in range(n):
        m = Measure.objects.create(
            agency=base.agency,
            year=base.year,
            order=Measure.objects.count() + 100,
            title=f"มาตรการเพิ่ม {i}",
            issue=base.issue,
        )
        m.divisions.set(divisions[:2])
        a = Activity.objects.create(measure=m, title=f"กิจกรรม {i}")
        a.divisions.set(divisions[:1])
        Progress.objects.create(measure=m, activity=a, round="six_month", status="in_progress")
    year = FiscalYear.objects.get(be_year=2568)
    if not AssessmentResult.objects.filter(agency=base.agency, year=year).exists():
        result_save(
            agency=base.agency,
            year=year,
            overall=95,
            level_awarded="ผ่านดีเยี่ยม",
            tool_scores={},
            indicator_scores={i: 95 for i in Indicator.objects.filter(year=year)},
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "user, url",
    [
        ("ksk-exec", f"/a/{KSK}/"),
        ("ksk-exec", f"/a/{KSK}/?year=2567&round=annual"),
        ("ksk-staff1", f"/a/{KSK}/my-work/"),
        ("ksk-coord", f"/a/{KSK}/my-work/?year=2567"),
        ("ksk-coord", f"/a/{KSK}/measures/?year=2567"),
    ],
)
def test_fixed_query_count(user, url):
    client = login(user)
    grow(2)  # so that every prefetch has rows to fetch
    client.get(url)  # warm what is not ours (content types, sessions)
    cache.clear()
    cold = count(client, url)
    warm = count(client, url)  # the page's reads kept under the agency's data version
    grow(30)
    changed = count(client, url)  # the data changed: everything is read again
    warm_after = count(client, url)
    assert cold == changed, f"{url}: {cold} queries before, {changed} after adding data"
    assert warm == warm_after, f"{url}: {warm} queries from the cache before, {warm_after} after"
    assert warm < cold < 25
