"""Oversight pages: a province or the country for one year, aggregated by the database."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency
from assessments.models import AssessmentResult, FiscalYear, IndicatorScore
from reports import oversight
from reports.models import Kind, PublishedVersion, Report, State

from .conftest import login


@pytest.fixture(autouse=True)
def _no_summary_cache(settings):
    settings.OVERSIGHT_CACHE_SECONDS = 0


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_only_users_with_an_oversight_scope():
    c = login("ksk-coord")
    assert c.get("/oversight/").status_code == 403
    assert c.get("/oversight/ranking/").status_code == 403


@pytest.mark.django_db
def test_home_sends_oversight_users_to_their_overview():
    r = login("national-office").get("/")
    assert r.status_code == 302 and r["Location"] == "/oversight/"
    page = login("national-office").get("/oversight/").content.decode()
    assert "ภาพรวมผลการประเมิน ITA" in page and "ภาพรวมการกำกับดูแล" in page  # the nav link


@pytest.mark.django_db
def test_province_office_reads_its_province_only():
    c = login("lopburi-office")
    r = c.get("/oversight/?province=อุบลราชธานี&year=2567")  # outside the scope: ignored
    assert r.status_code == 200
    assert r.context["filters"].province == "ลพบุรี"
    assert r.context["s"].agencies == Agency.objects.filter(province="ลพบุรี", is_synthetic=False).count() == 1
    ranking = c.get("/oversight/ranking/?year=2567")
    codes = {row.agency.code for row in ranking.context["page"]}
    assert codes <= {"khao-samo-khon"}


@pytest.mark.django_db
def test_national_figures_match_the_rows():
    year = FiscalYear.objects.get(be_year=2567)
    rows = list(AssessmentResult.objects.filter(year=year, overall__isnull=False, agency__is_synthetic=False))
    assert rows, "the demo has 2567 scores"
    # Publish a six-month report for one agency, so that the count is not trivially zero.
    report = Report.objects.create(agency=rows[0].agency, year=year, kind=Kind.SIX_MONTH, state=State.PUBLISHED)
    PublishedVersion.objects.create(report=report, version=1, pdf="x.pdf", sha256="0" * 64, size=1, data_hash="-")
    PublishedVersion.objects.create(report=report, version=2, pdf="y.pdf", sha256="1" * 64, size=1, data_hash="-")

    r = login("national-office").get("/oversight/?year=2567")
    s = r.context["s"]
    assert s.agencies == Agency.objects.filter(is_synthetic=False).count()
    assert s.scored == len(rows)
    assert s.mean.quantize(Decimal("0.01")) == (sum(x.overall for x in rows) / len(rows)).quantize(Decimal("0.01"))
    assert s.passing == sum(1 for x in rows if x.overall >= 85)
    assert sum(b["count"] for b in s.distribution) == len(rows)
    assert sum(level["count"] for level in s.levels) == len(rows)
    assert s.published_six_month == 1 and s.published_annual == 0  # two versions, one agency
    means = [i["mean"] for i in s.indicators]
    assert means == sorted(means) and len(means) == len({i.indicator_id for i in IndicatorScore.objects.filter(
        result__in=rows
    )})  # fmt: skip
    page = r.content.decode()
    for text in ["การกระจายของคะแนนรวม", "ผ่านเกณฑ์ 85 คะแนนขึ้นไป", "ตัวชี้วัดที่กลุ่มหน่วยงานยังอ่อน", "เผยแพร่รายงานแล้ว"]:
        assert text in page


@pytest.mark.django_db
def test_ranking_shares_ranks_on_ties_and_pages(monkeypatch):
    monkeypatch.setattr(oversight, "RANKING_PAGE_SIZE", 1)
    year = FiscalYear.objects.get(be_year=2567)
    rows = list(AssessmentResult.objects.filter(year=year, overall__isnull=False, agency__is_synthetic=False))
    extra = Agency.objects.exclude(results__year=year).filter(is_synthetic=False).first()
    AssessmentResult.objects.create(agency=extra, year=year, overall=rows[0].overall, level_awarded="ผ่าน")
    c = login("national-office")
    seen = []
    for n in range(1, len(rows) + 2):
        page = c.get(f"/oversight/ranking/?year=2567&page={n}").context["page"]
        seen += [(r.rank, r.overall) for r in page]
    assert len(seen) == len(rows) + 1
    assert [o for _, o in seen] == sorted((o for _, o in seen), reverse=True)
    ranks = {}
    for rank, overall in seen:
        ranks.setdefault(overall, set()).add(rank)
    assert all(len(v) == 1 for v in ranks.values())  # ties share one rank
    assert c.get("/oversight/ranking/?year=2567&kind=PAO").context["page"].paginator.count <= 1


@pytest.mark.django_db
def test_synthetic_agencies_are_left_out_unless_asked(settings):
    call_command("generate_synthetic", agencies=6, years=1, alongside_real=True, stdout=open("/dev/null", "w"))
    real = Agency.objects.filter(is_synthetic=False).count()
    c = login("national-office")
    assert c.get("/oversight/").context["s"].agencies == real
    settings.OVERSIGHT_INCLUDE_SYNTHETIC = True
    assert c.get("/oversight/").context["s"].agencies == real + 6


@pytest.mark.django_db
def test_fixed_query_count_whatever_the_number_of_agencies(settings):
    settings.OVERSIGHT_INCLUDE_SYNTHETIC = True
    c = login("national-office")
    urls = [
        "/oversight/",
        "/oversight/?year=2567",
        "/oversight/?province=ลพบุรี",
        "/oversight/?province=ลพบุรี&district=ท่าวุ้ง&kind=SAO",
        "/oversight/ranking/?year=2567",
        "/oversight/ranking/?year=2567&province=ลพบุรี",
        "/oversight/ranking/?year=2567&page=2",
    ]
    for url in urls:
        c.get(url)  # warm caches (content types, sessions)
    before = {url: count(c, url) for url in urls}
    call_command("generate_synthetic", agencies=60, years=2, alongside_real=True, stdout=open("/dev/null", "w"))
    after = {url: count(c, url) for url in urls}
    assert before == after
    assert max(after.values()) <= 15, after
    assert c.get("/oversight/ranking/?year=2567&page=2").context["page"].paginator.count > 50  # now more than one page


@pytest.mark.django_db
def test_summary_is_cached_for_a_while(settings):
    settings.OVERSIGHT_CACHE_SECONDS = 60
    from django.core.cache import cache

    cache.clear()
    c = login("national-office")
    first = count(c, "/oversight/?year=2566")
    second = count(c, "/oversight/?year=2566")
    assert second < first
    cache.clear()


@pytest.mark.django_db
def test_ranking_page_is_cached_with_its_rows_and_pagination(settings, monkeypatch):
    monkeypatch.setattr(oversight, "RANKING_PAGE_SIZE", 2)
    c = login("national-office")

    def shown(url):
        page = c.get(url).context["page"]
        rows = [(r.rank, r.agency.code, r.overall, r.six, r.annual) for r in page]
        return rows, page.number, page.paginator.count, page.paginator.num_pages, page.has_next()

    urls = [
        "/oversight/ranking/?year=2567&page=2",
        "/oversight/ranking/?year=2567&page=99",
        "/oversight/ranking/?year=2567&page=x",
    ]
    fresh = {url: shown(url) for url in urls}  # OVERSIGHT_CACHE_SECONDS = 0 here
    settings.OVERSIGHT_CACHE_SECONDS = 60
    from django.core.cache import cache

    cache.clear()
    for url in urls:
        first_queries = count(c, url)
        assert shown(url) == fresh[url]  # from the cache
        assert count(c, url) < first_queries
    assert fresh[urls[1]][1] == fresh[urls[1]][3]  # beyond the last page: the last, as before
    assert fresh[urls[2]][1] == 1
