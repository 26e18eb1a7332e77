"""Pages run a fixed number of queries whatever the data size."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, Division
from assessments.models import AssessmentResult, FiscalYear, Indicator, Question, QuestionScore, Tool
from assessments.services import result_save
from measures.models import Activity, EvidencePhoto, Measure, Progress
from reports.selectors import report_context, report_get_or_default

from .conftest import login
from .test_progress import form as progress_form
from .test_progress import jpeg_with_gps

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


# --- writes and reports: exact counts ----------------------------------------------------------


def progress_url(measure) -> str:
    return f"/a/{KSK}/measures/{measure.pk}/progress/six_month/"


def photo_upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_with_gps(size=(400, 300)), content_type="image/jpeg")


@pytest.mark.django_db
def test_progress_save_queries(django_assert_num_queries, django_capture_on_commit_callbacks):
    """Session, user, access (3), the measure with its divisions and activities (3), then the
    writes: the entry (inside a savepoint, so that a second person's first entry at the same moment
    is a conflict rather than a 500) and its history, the photo and its history, and the cache token
    after the commit. Saving again claims the stored version (one UPDATE) and counts its photos."""
    measure = Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()
    client = login("ksk-staff1")
    client.get(progress_url(measure))  # warm what is not ours (content types)
    with django_assert_num_queries(18), django_capture_on_commit_callbacks(execute=True):
        r = client.post(progress_url(measure), progress_form(**{"photo-0-image": photo_upload("a.jpg")}))
    assert r.status_code == 302
    with django_assert_num_queries(18), django_capture_on_commit_callbacks(execute=True):
        r = client.post(progress_url(measure), progress_form(version="1", **{"photo-0-image": photo_upload("b.jpg")}))
    assert r.status_code == 302
    progress = Progress.objects.get(measure=measure, activity=None, round="six_month")
    assert (progress.version, progress.photos.count()) == (2, 2)


def grow_report(agency, year, round: str, n: int) -> None:
    """n more measures in a report: each with divisions, indicators, an activity, and progress
    with a photo for the measure and for the activity."""
    divisions = list(Division.objects.filter(agency=agency)[:2])
    indicators = list(Indicator.objects.filter(year=year)[:2])
    for i in range(n):
        m = Measure.objects.create(agency=agency, year=year, order=1000 + Measure.objects.count(), title=f"เพิ่ม {i}")
        m.divisions.set(divisions)
        m.indicators.set(indicators)
        a = Activity.objects.create(measure=m, title=f"กิจกรรม {i}")
        a.divisions.set(divisions[:1])
        for activity in (None, a):
            p = Progress.objects.create(measure=m, activity=activity, round=round, status="in_progress")
            EvidencePhoto.objects.create(progress=p, caption=f"ภาพ {i}")


def grow_questions(result: AssessmentResult, n: int) -> None:
    tool = Tool.objects.filter(year=result.year).first()
    indicator = Indicator.objects.filter(year=result.year).first()
    start = Question.objects.count()
    for i in range(start, start + n):
        q = Question.objects.create(year=result.year, tool=tool, indicator=indicator, code=f"Z{i}", text=f"ข้อ {i}")
        QuestionScore.objects.create(result=result, question=q, score=50)


# Measures (with divisions, indicators and their tools, activities and theirs, the round's progress
# and its photos: 7), the plan, the score table's history (7) and the chart's (every year, 7).
# The analysis adds the next year (its measures), the result with its indicator and question
# scores (3), the year's bands and tools; its computed level comes from the table's history.
# +1 since reports have sections of their own (reports_reportsection), one query whatever their number.
REPORT_QUERIES = {"annual": 23, "six_month": 22, "analysis": 29}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, be_year, kind", [(KSK, 2567, "annual"), (KSK, 2567, "six_month"), ("takhram-en", 2565, "analysis")]
)
def test_report_context_queries_do_not_grow(code, be_year, kind, django_assert_num_queries):
    agency, year = Agency.objects.get(code=code), FiscalYear.objects.get(be_year=be_year)
    report = report_get_or_default(agency=agency, year=year, kind=kind)
    report.show_photos = report.show_score_table = report.show_score_chart = True
    measures_year = year if kind != "analysis" else FiscalYear.objects.get(be_year=be_year + 1)
    round = "six_month" if kind == "six_month" else "annual"
    result = AssessmentResult.objects.filter(agency=agency, year=year).first()
    grow_report(agency, measures_year, round, 2)  # every prefetch has rows
    with django_assert_num_queries(REPORT_QUERIES[kind]):
        before = report_context(report=report)
    grow_report(agency, measures_year, round, 20)
    if result is not None:
        grow_questions(result, 30)
    with django_assert_num_queries(REPORT_QUERIES[kind]):
        after = report_context(report=report)
    assert after["measure_count"] == before["measure_count"] + 20
    if kind == "analysis":
        questions = [q for t in after["analysis"]["by_tool"] for q in t["questions"]]
        assert sum(q["code"].startswith("Z") for q in questions) == 30  # scored 50: all to improve


@pytest.mark.django_db
def test_report_page_checks_the_approval_in_a_fixed_number_of_queries():
    """An approved report's page builds its context once to tell whether the approval still holds
    (reports.selectors.approval_outdated): a fixed number of queries on top of the submitted
    report's page, whatever the report's size. Nobody else pays: drafts and submitted reports,
    viewers and staff never build it here."""
    agency, year = Agency.objects.get(code=KSK), FiscalYear.objects.get(be_year=2567)
    coord, executive = login("ksk-coord"), login("ksk-exec")
    url = f"/a/{KSK}/reports/2567/annual/"
    grow_report(agency, year, "annual", 2)  # every prefetch has rows
    coord.post(f"{url}submit/")
    coord.get(url)  # warm what is not ours (content types, sessions)
    submitted = count(coord, url)
    executive.post(f"{url}approve/")
    approved = count(coord, url)
    grow_report(agency, year, "annual", 20)
    changed = count(coord, url)  # now outdated: the warning, the same queries
    assert "มีการแก้ไขหลังผู้บริหารอนุมัติ" in coord.get(url).content.decode()
    # The page (10), and once approved the report's context (17 for this report's layout).
    assert (submitted, approved, changed) == (10, 27, 27)
