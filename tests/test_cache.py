"""The page caches (agencies/cache.py) never show data older than the database.

Each scenario changes the agency's data in one of the ways the portal does (a model save from a
service or the admin, a many-to-many change, a cascade delete, a bulk score import, a framework
edit) after the pages were served and kept, then checks that every page (and every shared cached
read) equals the same page computed afresh, and that the change was visible at all.
"""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache
from django.db import transaction

from agencies.cache import agency_cached, agency_data_touch
from agencies.models import Agency, Division
from assessments import selectors as score_selectors
from assessments.models import FiscalYear, Indicator, Issue
from assessments.score_sheet import (
    COL_AGENCY,
    COL_CODE,
    COL_KIND,
    COL_SCORE,
    COL_YEAR,
    NATIONAL_HEADERS,
    score_sheet_import,
)
from assessments.services import result_save
from measures import selectors
from measures.models import Activity, Measure, Progress, Status

from .conftest import login

KSK = "khao-samo-khon"


PAGES = [
    f"/a/{KSK}/?year=2567",
    f"/a/{KSK}/?year=2567&round=annual",
    f"/a/{KSK}/my-work/?year=2567",
    f"/a/{KSK}/measures/?year=2567",
]


def reads(username: str) -> dict:
    """What the cached pages show (their <main>), and the reads the pages share, as served now."""
    client = login(username)
    pages = {}
    for url in PAGES:
        html = client.get(url).content.decode()
        pages[url] = html[html.index("<main") : html.index("</main>")]  # the rest holds a form token
    agency = Agency.objects.get(code=KSK)
    return {
        "pages": pages,
        "year_default": selectors.year_default(agency=agency),
        "history": score_selectors.score_history(agency=agency),
    }


def fresh(username: str) -> dict:
    """The same, computed afresh."""
    cache.clear()
    return reads(username)


def _measure() -> Measure:
    return (
        Measure.objects.filter(agency__code=KSK, year__be_year=2567, divisions__name="สำนักปลัด")
        .order_by("order")
        .first()
    )


def change_progress():
    m = _measure()
    p, _ = Progress.objects.get_or_create(measure=m, activity=None, round="six_month")
    p.status = Status.UNABLE if p.status != Status.UNABLE else Status.DONE
    p.save()


def add_activity():
    m = _measure()
    a = Activity.objects.create(measure=m, order=99, title="กิจกรรมที่เพิ่มภายหลัง")
    a.divisions.set([Division.objects.get(agency__code=KSK, name="กองคลัง")])


def change_measure_divisions():
    _measure().divisions.set([Division.objects.get(agency__code=KSK, name="กองคลัง")])


def rename_division():
    d = Division.objects.get(agency__code=KSK, name="สำนักปลัด")
    d.name = "สำนักปลัด (เปลี่ยนชื่อ)"
    d.save()


def delete_measure():
    _measure().delete()


def save_scores():
    agency = Agency.objects.get(code=KSK)
    year = FiscalYear.objects.get(be_year=2567)
    result_save(
        agency=agency,
        year=year,
        overall=Decimal("93.50"),
        level_awarded="ผ่านดี",
        tool_scores={},
        indicator_scores={i: Decimal("93.50") for i in Indicator.objects.filter(year=year)},
    )


def import_score_sheet():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "คะแนน"
    ws.append(NATIONAL_HEADERS)
    values = {COL_AGENCY: KSK, COL_YEAR: 2567, COL_KIND: "ตัวชี้วัด", COL_CODE: 1, COL_SCORE: 71.25}
    ws.append([values.get(h) for h in NATIONAL_HEADERS])
    buf = io.BytesIO()
    wb.save(buf)
    preview = score_sheet_import(file=buf.getvalue(), dry_run=False)
    assert preview.ok, preview


def rename_indicator():
    i = Indicator.objects.filter(year__be_year=2568, number=1).first()
    i.name = "การปฏิบัติหน้าที่ (ชื่อใหม่)"
    i.save()


def rename_issue():
    m = _measure()
    issue = Issue.objects.get(pk=m.issue_id)
    issue.title = "ประเด็นที่เปลี่ยนชื่อ"
    issue.save()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        change_progress,
        add_activity,
        change_measure_divisions,
        rename_division,
        delete_measure,
        save_scores,
        import_score_sheet,
        rename_indicator,
        rename_issue,
    ],
)
@pytest.mark.parametrize("username", ["ksk-staff1", "ksk-coord"])
def test_cached_pages_follow_every_change(change, username):
    before = fresh(username)
    assert reads(username) == before  # now from the cache
    change()
    after = reads(username)
    assert after == fresh(username), change.__name__
    assert after != before, f"{change.__name__} changed nothing the pages show"


@pytest.mark.django_db
def test_second_read_is_served_from_the_cache(django_assert_num_queries):
    agency = Agency.objects.get(code=KSK)
    calls = []
    assert agency_cached(agency=agency, key="k", compute=lambda: calls.append(1) or "v") == "v"
    assert agency_cached(agency=agency, key="k", compute=lambda: calls.append(1) or "v") == "v"
    assert calls == [1]
    agency_data_touch(agency_ids=[agency.pk])
    agency.refresh_from_db()
    assert agency_cached(agency=agency, key="k", compute=lambda: calls.append(1) or "w") == "w"
    assert calls == [1, 1]


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_cached_trace():
    agency = Agency.objects.get(code=KSK)
    year = FiscalYear.objects.get(be_year=2567)
    before = score_selectors.score_history(agency=agency)
    with pytest.raises(RuntimeError), transaction.atomic():
        save_scores()
        # Under the token read before the change (the one a rollback brings back): computed, not kept.
        inside = score_selectors.score_history(agency=agency)
        assert inside.year(2567).overall == Decimal("93.50")
        raise RuntimeError("rolled back")
    agency = Agency.objects.get(code=KSK)
    assert score_selectors.score_history(agency=agency) == before
    assert score_selectors.score_history(agency=agency).year(year.be_year).overall != Decimal("93.50")


@pytest.mark.django_db
def test_each_change_draws_a_new_token():
    agency = Agency.objects.get(code=KSK)
    tokens = set()
    for _ in range(5):
        agency_data_touch(agency_ids=[agency.pk])
        tokens.add(Agency.objects.get(pk=agency.pk).data_version)
    assert len(tokens) == 5


@pytest.mark.django_db
def test_score_page_kept_whole_shows_a_change_at_once_and_keeps_roles_apart():
    from .conftest import login

    coord, exec_ = login("ksk-coord"), login("ksk-exec")
    url = f"/a/{KSK}/?year=2567"
    first = coord.get(url).content.decode()
    assert "บันทึกคะแนนปี 2567" in first  # the coordinator's edit button
    assert "บันทึกคะแนนปี 2567" not in exec_.get(url).content.decode()  # not the coordinator's page
    assert "93.50" not in first
    save_scores()
    assert "93.50" in coord.get(url).content.decode()
    assert "93.50" in exec_.get(url).content.decode()
