"""Oversight pages: a province or the country for one year, aggregated by the database."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency
from assessments.models import AssessmentResult, FiscalYear, IndicatorScore
from oversight import selectors
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
    monkeypatch.setattr(selectors, "RANKING_PAGE_SIZE", 1)
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
    monkeypatch.setattr(selectors, "RANKING_PAGE_SIZE", 2)
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


@pytest.mark.django_db
@pytest.mark.parametrize("target", [Decimal("90"), Decimal("87.50")])
def test_the_pass_mark_is_the_years_target(target):
    year = FiscalYear.objects.get(be_year=2567)
    year.target_score = target
    year.save()
    # Scores on both sides of 85 and of the target, for the agencies the demo leaves unscored.
    unscored = Agency.objects.filter(is_synthetic=False).exclude(results__year=year, results__overall__isnull=False)
    for agency, overall in zip(unscored, ["84.00", "86.00", "88.00", "91.00"]):
        AssessmentResult.objects.update_or_create(agency=agency, year=year, defaults={"overall": Decimal(overall)})
    rows = list(AssessmentResult.objects.filter(year=year, overall__isnull=False, agency__is_synthetic=False))
    c = login("national-office")
    r = c.get("/oversight/?year=2567")
    s = r.context["s"]
    assert s.target == target
    assert s.passing == sum(1 for x in rows if x.overall >= target) != sum(1 for x in rows if x.overall >= 85)
    # The distribution splits at the target: every band is wholly above or wholly below it.
    lows = [b["low"] for b in s.distribution]
    assert target in lows and sum(b["count"] for b in s.distribution) == len(rows)
    assert [b["below"] for b in s.distribution] == [low < target for low in lows]
    below_bands = sum(b["count"] for b in s.distribution if b["below"])
    assert below_bands == sum(1 for x in rows if x.overall < target)
    scores = IndicatorScore.objects.filter(result__in=rows)
    for i in s.indicators:
        mine = [x.score for x in scores if x.indicator.number == i["number"] and x.score is not None]
        assert i["below"] == sum(1 for v in mine if v < target)
        assert i["mean_below"] == (i["mean"] < target)
    shown = f"{target:.0f}" if target == target.to_integral_value() else f"{target:.2f}"
    page = r.content.decode()
    assert f"ผ่านเกณฑ์ {shown} คะแนนขึ้นไป" in page and f"หน่วยงานที่ต่ำกว่า {shown}" in page
    assert "85 คะแนน" not in page and "ต่ำกว่า 85<" not in page
    if shown == "87.50":
        assert {"87.50–89.99", "85–87.49"} <= {b["label"] for b in s.distribution}
    ranking = c.get("/oversight/ranking/?year=2567")
    assert all(row.below == (row.overall < target) for row in ranking.context["page"])
    assert f"ต่ำกว่าเป้าหมาย {shown} คะแนน" in ranking.content.decode()


@pytest.mark.django_db
def test_the_default_target_keeps_the_familiar_bands():
    s = login("national-office").get("/oversight/?year=2567").context["s"]
    assert [b["label"] for b in s.distribution] == [
        "95–100",
        "90–94.99",
        "85–89.99",
        "80–84.99",
        "75–79.99",
        "70–74.99",
        "60–69.99",
        "50–59.99",
        "ต่ำกว่า 50",
    ]
    assert [b["below"] for b in s.distribution] == [False] * 3 + [True] * 6


def _province_select(body: str) -> str:
    return re.search(r'<select name="province">(.*?)</select>', body, re.S).group(1)


@pytest.mark.django_db
def test_an_agency_without_a_province_never_breaks_the_province_filter():
    # The demo has one (pak-kran); one more, so the test does not lean on the seeds.
    Agency.objects.create(code="no-place", kind="SAO", name="อบต.ไม่ระบุที่ตั้ง", province="", district="")
    c = login("national-office")
    r = c.get("/oversight/?year=2567")
    select = _province_select(r.content.decode())
    # The national filter opens on "all provinces": one empty choice, nothing else selected.
    assert select.count('value=""') == 1 and '<option value="">ทุกจังหวัด</option>' in select
    assert "selected" not in select
    assert r.context["filters"].province == "" and "" not in r.context["choices"].provinces
    assert r.context["s"].agencies == Agency.objects.filter(is_synthetic=False).count()
    # The agency without a province is counted under "ไม่ระบุ", not linked to a blank filter.
    body = r.content.decode()
    assert '<th scope="row">ไม่ระบุ</th>' in body and "province=&amp;" not in body
    # A blank province in the query is "all"; a real one still filters.
    assert c.get("/oversight/?year=2567&province=").context["s"].agencies == r.context["s"].agencies
    lop = c.get("/oversight/?year=2567&province=ลพบุรี")
    assert lop.context["filters"].province == "ลพบุรี" and lop.context["s"].agencies == 1
    assert 'value="ลพบุรี" selected' in _province_select(lop.content.decode())
    ranking = c.get("/oversight/ranking/?year=2567&province=")
    assert ranking.status_code == 200 and "selected" not in _province_select(ranking.content.decode())


@pytest.mark.django_db
def test_a_province_office_with_an_agency_without_a_district():
    Agency.objects.create(code="lop-x", kind="SAO", name="อบต.ไม่ระบุอำเภอ", province="ลพบุรี", district="")
    r = login("lopburi-office").get("/oversight/?year=2567")
    assert r.status_code == 200 and r.context["filters"].province == "ลพบุรี"
    assert r.context["choices"].districts == ["ท่าวุ้ง"] and not r.context["choices"].all_provinces
    body = r.content.decode()
    assert "ทุกจังหวัด" not in _province_select(body) and 'value="ลพบุรี" selected' in _province_select(body)
    district = re.search(r'<select name="district">(.*?)</select>', body, re.S).group(1)
    assert district.count('value=""') == 1 and "selected" not in district
