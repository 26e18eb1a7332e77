"""The page caches (ita_portal/cache.py) never show data older than the database.

Each scenario changes the agency's data in one of the ways the portal does (a model save from a
service or the admin, a many-to-many change, a cascade delete, a bulk score import, a bulk write
that bypasses signals, a framework edit) after the pages were served and kept, then checks that
every page (and every shared cached read) equals the same page computed afresh, and that the
change was visible at all. Each scenario runs twice: with the commit hooks run, as in production
(tokens replaced after the commit), and without (a test case's transaction never commits: tokens
replaced at the next read).
"""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, AgencyKind, Division
from assessments import selectors as score_selectors
from assessments.models import AssessmentResult, FiscalYear, Indicator, Issue, RatingBand
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
from assessments.services_years import fiscal_year_framework_save, fiscal_year_open
from ita_portal import cache as page_cache
from ita_portal.cache import agency_cached, agency_data_touch
from ita_portal.models import CacheVersion
from measures import selectors
from measures.models import Activity, Measure, Progress, Status
from reports.models import Kind, Report
from reports.selectors import report_context

from .conftest import login

KSK = "khao-samo-khon"


PAGES = [
    f"/a/{KSK}/?year=2567",
    f"/a/{KSK}/?year=2567&round=annual",
    f"/a/{KSK}/my-work/?year=2567",
    f"/a/{KSK}/measures/?year=2567",
    f"/a/{KSK}/?year=2569",  # an unconfirmed year: its banner
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
        "history": score_selectors.score_history_cached(agency=agency),
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


def change_year_target():
    year = FiscalYear.objects.get(be_year=2567)
    year.target_score = Decimal("91")
    year.save()


def rename_bands():
    with transaction.atomic():  # as the admin saves: the framework's token replaced once
        for band in RatingBand.objects.filter(year__be_year=2567):
            band.label = f"{band.label} (เกณฑ์ใหม่)"
            band.save()


def open_year():
    """A year opened from the portal: every page's year selector offers it."""
    fiscal_year_open(source=FiscalYear.objects.get(be_year=2570))


def confirm_year():
    """2569's framework confirmed on its page: the banner goes."""
    year = FiscalYear.objects.get(be_year=2569)
    fiscal_year_framework_save(
        year=year,
        target_score=year.target_score,
        six_month_due=None,
        annual_due=None,
        confirmed=True,
        tools={},
        indicators={},
        questions=[],
    )


def bulk_update_scores():
    """A bulk write that bypasses signals names the agencies it changed itself."""
    agency = Agency.objects.get(code=KSK)
    with transaction.atomic():
        AssessmentResult.objects.filter(agency=agency, year__be_year=2567).update(level_awarded="ไม่ผ่าน")
        agency_data_touch(agency_ids=[agency.pk])


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
        bulk_update_scores,
        rename_indicator,
        rename_issue,
        change_year_target,
        open_year,
        confirm_year,
        rename_bands,
    ],
)
@pytest.mark.parametrize("username", ["ksk-staff1", "ksk-coord"])
@pytest.mark.parametrize("commit_hooks", [True, False], ids=["hooks-run", "no-hooks"])
def test_cached_pages_follow_every_change(change, username, commit_hooks, django_capture_on_commit_callbacks):
    before = fresh(username)
    assert reads(username) == before  # now from the cache
    if commit_hooks:
        with django_capture_on_commit_callbacks(execute=True):
            change()
        assert not page_cache._take_pending(), "a token left to replace after the commit"
    else:
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
    assert agency_cached(agency=agency, key="k", compute=lambda: calls.append(1) or "w") == "w"
    assert calls == [1, 1]
    with django_assert_num_queries(0):  # the tokens kept on the agency until this process replaces one
        assert agency_cached(agency=agency, key="k", compute=lambda: calls.append(1) or "x") == "w"


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
    assert score_selectors.score_history_cached(agency=agency) == before


@pytest.mark.django_db
def test_a_change_committed_after_a_rolled_back_savepoint_replaces_the_token(django_capture_on_commit_callbacks):
    """Hooks registered inside a savepoint that rolls back are dropped; the next change's are not."""
    agency = Agency.objects.get(code=KSK)
    before = reads("ksk-coord")
    token = CacheVersion.objects.filter(scope=agency.pk).values_list("token", flat=True).first()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            with pytest.raises(RuntimeError), transaction.atomic():
                rename_division()
                raise RuntimeError("rolled back")
            change_progress()
    assert not page_cache._take_pending()
    assert CacheVersion.objects.get(scope=agency.pk).token != token
    after = reads("ksk-coord")
    assert after == fresh("ksk-coord")
    assert after != before
    assert "สำนักปลัด (เปลี่ยนชื่อ)" not in str(after)


@pytest.mark.django_db
def test_each_change_draws_a_new_token():
    agency = Agency.objects.get(code=KSK)
    tokens = set()
    for _ in range(5):
        agency_data_touch(agency_ids=[agency.pk])
        tokens.add(CacheVersion.objects.get(scope=agency.pk).token)
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


def _writes(queries: list[dict], table: str = "") -> list[str]:
    """The statements that wrote (to `table`, if named), in order."""
    return [
        q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE")) and f'"{table}' in q["sql"]
    ]


@pytest.mark.django_db
def test_a_framework_edit_writes_the_same_whatever_the_number_of_agencies(django_capture_on_commit_callbacks):
    def edit(name: str) -> list[dict]:
        indicator = Indicator.objects.get(year__be_year=2568, number=1)
        with CaptureQueriesContext(connection) as ctx:
            with django_capture_on_commit_callbacks(execute=True), transaction.atomic():  # as the admin saves
                indicator.name = name
                indicator.save()
        return ctx.captured_queries

    agencies = Agency.objects.count()
    few = edit("การปฏิบัติหน้าที่ (ก่อน)")
    new = Agency.objects.bulk_create(
        Agency(code=f"cache-{i:02d}", kind=AgencyKind.SAO, name=f"อบต.ทดสอบ {i}") for i in range(50)
    )
    assert Agency.objects.count() == agencies + 50
    kept = agency_cached(agency=new[0], key="k", compute=lambda: "before")
    many = edit("การปฏิบัติหน้าที่ (หลัง)")

    assert len(_writes(many)) == len(_writes(few)) == 2  # the indicator and one token
    assert [sql.split()[0] for sql in _writes(many)].count("UPDATE") == 1  # the indicator itself
    assert len(_writes(many, "ita_portal_cacheversion")) == 1
    assert not _writes(many, "agencies_agency")
    assert kept == "before"
    agency = Agency.objects.get(pk=new[0].pk)
    assert agency_cached(agency=agency, key="k", compute=lambda: "after") == "after"


@pytest.mark.django_db
def test_a_progress_save_with_photos_replaces_the_token_once_after_the_commit(django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .test_progress import form, jpeg_with_gps

    measure = _measure()
    client = login("ksk-staff1")
    photos = {
        f"photo-{i}-image": SimpleUploadedFile(f"IMG_{i}.JPG", jpeg_with_gps((800, 600)), content_type="image/jpeg")
        for i in range(2)
    }
    with CaptureQueriesContext(connection) as ctx:
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(f"/a/{KSK}/measures/{measure.pk}/progress/six_month/", form(**photos))
            during = list(ctx.captured_queries)  # the request, its transaction committed; hooks not run yet
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Progress.objects.get(measure=measure, activity=None, round="six_month").photos.count() == 2

    queries = [q["sql"] for q in ctx.captured_queries]
    token_writes = [i for i, sql in enumerate(queries) if sql.startswith('INSERT INTO "ita_portal_cacheversion"')]
    assert len(token_writes) == 1  # one statement for the whole save
    assert not _writes(during, "ita_portal_cacheversion")  # none inside the transaction
    assert not _writes(ctx.captured_queries, "agencies_agency")  # the agency row is never locked
    photo_rows = [i for i, sql in enumerate(queries) if sql.startswith('INSERT INTO "measures_evidencephoto"')]
    assert len(photo_rows) == 2 and token_writes[0] > max(photo_rows)


class _NoCache:
    def __getattr__(self, name):
        raise AssertionError(f"a report read the page cache ({name})")


@pytest.mark.django_db
def test_reports_never_read_through_the_cache(monkeypatch):
    """A bulk write that names no agency (QuerySet.update) leaves the kept score page as it was;
    a report built right after shows the change: it read the database, not the cache."""
    coord = login("ksk-coord")
    url = f"/a/{KSK}/?year=2567"
    assert "12.34" not in coord.get(url).content.decode()  # the score page, now kept
    agency = Agency.objects.get(code=KSK)
    AssessmentResult.objects.filter(agency=agency, year__be_year=2567).update(overall=Decimal("12.34"))
    assert "12.34" not in coord.get(url).content.decode()  # served from the cache, as kept

    monkeypatch.setattr(page_cache, "cache", _NoCache())
    year = FiscalYear.objects.get(be_year=2567)
    for kind in (Kind.ANNUAL, Kind.ANALYSIS):
        report = Report(agency=agency, year=year, kind=kind, show_score_table=True, show_score_chart=True)
        ctx = report_context(report=report)
        chart = {y["be_year"]: y["overall"] for y in ctx["chart"]["years"]}
        assert chart[2567] == Decimal("12.34"), kind
        if kind == Kind.ANALYSIS:
            assert ctx["analysis"]["overall"] == Decimal("12.34")
