"""Fiscal years from the portal: opening a year from the previous year's framework, editing it until
it is confirmed, the banner of an unconfirmed year, and copying measures along the year mapping."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from agencies.models import OversightScope
from assessments.models import FiscalYear, Indicator, Issue, Question, RatingBand, Tool
from measures.models import Measure

from .conftest import login

pytestmark = pytest.mark.django_db
KSK = "khao-samo-khon"
NOTICE = "กรอบการประเมินปีนี้ยังไม่ยืนยัน — คัดลอกจากปี"


def admin_client() -> Client:
    user = get_user_model().objects.create_user("years-admin", password="x-Long-pass-2570", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def add_questions(year: FiscalYear) -> list[Question]:
    """The seeds have no questions: give the year two, one per indicator of IIT and OIT."""
    i1 = Indicator.objects.get(year=year, number=1)
    i9 = Indicator.objects.get(year=year, number=9)
    return [
        Question.objects.create(year=year, tool=i1.tool, indicator=i1, code="I1", text="ข้อคำถามที่หนึ่ง"),
        Question.objects.create(year=year, tool=i9.tool, indicator=i9, code="O1", text="ข้อคำถามโอไอที"),
    ]


def test_2569_and_2570_are_seeded_as_unconfirmed_copies():
    y2568, y2569, y2570 = (FiscalYear.objects.get(be_year=n) for n in (2568, 2569, 2570))
    assert y2568.confirmed and y2568.copied_from is None
    assert not y2569.confirmed and y2569.copied_from == y2568
    assert not y2570.confirmed and y2570.copied_from == y2569
    for year in (y2569, y2570):
        assert year.tools.count() == y2568.tools.count() == 3
        assert year.indicators.count() == y2568.indicators.count() == 10
        assert year.issues.count() == y2568.issues.count()
        assert year.rating_bands.count() == y2568.rating_bands.count()
    # Each year's indicators name their predecessor of the year before.
    for indicator in Indicator.objects.filter(year=y2570).select_related("predecessor__year"):
        assert indicator.predecessor.year == y2569 and indicator.predecessor.number == indicator.number
    assert y2569.unconfirmed_notice == "กรอบการประเมินปีนี้ยังไม่ยืนยัน — คัดลอกจากปี 2568"


def test_opening_2571_from_2570_copies_everything_and_maps_predecessors():
    y2570 = FiscalYear.objects.get(be_year=2570)
    FiscalYear.objects.filter(pk=y2570.pk).update(
        six_month_due=datetime.date(2027, 4, 30), annual_due=datetime.date(2027, 10, 31), target_score=Decimal("88")
    )
    questions = add_questions(y2570)
    c = admin_client()
    page = c.get("/national/years/").content.decode()
    assert "เปิดปีงบประมาณใหม่" in page and "2570 → เปิดปี 2571" in page
    r = c.post("/national/years/open/", {"source": "2570"})
    assert r.status_code == 302 and r["Location"] == "/national/years/2571/"
    y2571 = FiscalYear.objects.get(be_year=2571)
    assert (y2571.confirmed, y2571.copied_from_id, y2571.target_score) == (False, y2570.pk, Decimal("88"))
    assert (y2571.six_month_due, y2571.annual_due) == (datetime.date(2028, 4, 30), datetime.date(2028, 10, 31))
    # Tools with weights, indicators with their tools, questions with their indicators: each maps back.
    for old in Tool.objects.filter(year=y2570):
        new = Tool.objects.get(year=y2571, code=old.code)
        assert (new.name, new.weight, new.order, new.predecessor_id) == (old.name, old.weight, old.order, old.pk)
    for old in Indicator.objects.filter(year=y2570):
        new = Indicator.objects.get(year=y2571, number=old.number)
        assert (new.name, new.tool.code, new.predecessor_id) == (old.name, old.tool.code, old.pk)
        assert new.tool.year_id == y2571.pk
    for old in questions:
        new = Question.objects.get(year=y2571, code=old.code)
        assert (new.text, new.predecessor_id, new.indicator.predecessor_id) == (old.text, old.pk, old.indicator_id)
        assert new.indicator.year_id == new.tool.year_id == y2571.pk
    bands = lambda y: list(  # noqa: E731
        RatingBand.objects.filter(year=y).order_by("order").values_list("label", "min_overall", "min_each_tool")
    )
    assert bands(y2571) == bands(y2570) and bands(y2571)
    issues = lambda y: list(Issue.objects.filter(year=y).values_list("number", "title"))  # noqa: E731
    assert issues(y2571) == issues(y2570) and len(issues(y2571)) == 7
    # A year opens once.
    r = c.post("/national/years/open/", {"source": "2570"}, follow=True)
    assert FiscalYear.objects.filter(be_year=2571).count() == 1
    assert "กรุณาเลือกปีที่จะใช้เป็นต้นแบบ" in r.content.decode()


def edit_data(year: FiscalYear, **extra) -> dict:
    data = {"target_score": str(year.target_score), "six_month_due": "", "annual_due": ""}
    for t in year.tools.all():
        data |= {f"tool_{t.pk}_name": t.name, f"tool_{t.pk}_weight": str(t.weight)}
    for i in year.indicators.all():
        data |= {f"ind_{i.pk}_name": i.name, f"ind_{i.pk}_tool": str(i.tool_id)}
    for q in year.questions.all():
        data |= {f"q_{q.pk}_code": q.code, f"q_{q.pk}_text": q.text, f"q_{q.pk}_indicator": str(q.indicator_id or "")}
    return data | extra


def test_editing_a_years_framework_until_it_is_confirmed():
    year = FiscalYear.objects.get(be_year=2570)
    q1, q2 = add_questions(year)
    iit, eit, oit = (Tool.objects.get(year=year, code=c) for c in ("IIT", "EIT", "OIT"))
    i3 = Indicator.objects.get(year=year, number=3)
    c = admin_client()
    page = c.get("/national/years/2570/").content.decode()
    assert "กรอบการประเมินปีนี้ยังไม่ยืนยัน — คัดลอกจากปี 2569" in page and "บันทึกกรอบการประเมิน" in page
    data = edit_data(
        year,
        target_score="87.5",
        six_month_due="30/04/2570",
        annual_due="31/10/2570",
        **{
            f"tool_{iit.pk}_weight": "25",
            f"tool_{eit.pk}_weight": "35",
            f"tool_{oit.pk}_name": "แบบตรวจการเปิดเผยข้อมูลสาธารณะ (ปรับปรุง)",
            f"ind_{i3.pk}_name": "การใช้อำนาจ (ปรับปรุง)",
            f"q_{q1.pk}_code": "I1A",
            f"q_{q1.pk}_indicator": str(i3.pk),
            f"q_{q2.pk}_delete": "on",
            "q_new0_code": "E9",
            "q_new0_text": "ข้อคำถามใหม่ของปี 2570",
            "q_new0_indicator": str(Indicator.objects.get(year=year, number=7).pk),
        },
    )
    r = c.post("/national/years/2570/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    year.refresh_from_db()
    assert (year.target_score, year.confirmed) == (Decimal("87.5"), False)
    assert (year.six_month_due, year.annual_due) == (datetime.date(2027, 4, 30), datetime.date(2027, 10, 31))
    assert Tool.objects.get(pk=iit.pk).weight == 25 and Tool.objects.get(pk=eit.pk).weight == 35
    assert Tool.objects.get(pk=oit.pk).name.endswith("(ปรับปรุง)")
    assert Indicator.objects.get(pk=i3.pk).name == "การใช้อำนาจ (ปรับปรุง)"
    q1.refresh_from_db()
    assert (q1.code, q1.indicator_id) == ("I1A", i3.pk)
    assert not Question.objects.filter(pk=q2.pk).exists()
    new = Question.objects.get(year=year, code="E9")
    assert new.tool.code == "EIT" and new.predecessor is None
    # Weights that do not add up to 100 are refused, in Thai, and nothing is written.
    r = c.post("/national/years/2570/", edit_data(year, **{f"tool_{iit.pk}_weight": "50"}))
    assert r.status_code == 200 and "รวมกันต้องเท่ากับร้อยละ 100" in r.content.decode()
    assert Tool.objects.get(pk=iit.pk).weight == 25
    # Confirmed: the banner goes, and the framework no longer changes.
    assert c.post("/national/years/2570/", edit_data(year, confirmed="on")).status_code == 302
    year.refresh_from_db()
    assert year.confirmed and year.unconfirmed_notice == ""
    r = c.post("/national/years/2570/", edit_data(year, target_score="50"), follow=True)
    assert "ยืนยันแล้ว จึงแก้ไขไม่ได้" in r.content.decode()
    year.refresh_from_db()
    assert year.target_score == Decimal("87.5")


@pytest.mark.parametrize(
    "who, status",
    [
        ("anonymous", 302),
        ("ksk-coord", 403),
        ("ksk-exec", 403),
        ("lopburi-office", 403),  # a province's oversight office
        ("national-office", 200),  # the national oversight scope
        ("django-staff", 200),
    ],
)
def test_who_may_open_and_edit_years(who, status):
    if who == "anonymous":
        c = Client()
    elif who == "django-staff":
        c = admin_client()
    else:
        c = login(who)
    if who == "national-office":
        assert OversightScope.objects.filter(user__username=who, province="", district="").exists()
    for url in ("/national/years/", "/national/years/2570/"):
        assert c.get(url).status_code == status, url
    r = c.post("/national/years/open/", {"source": "2570"})
    opened = FiscalYear.objects.filter(be_year=2571).exists()
    assert opened == (status == 200), r.status_code
    r = c.post("/national/years/2570/", edit_data(FiscalYear.objects.get(be_year=2570), target_score="91"))
    assert (FiscalYear.objects.get(be_year=2570).target_score == 91) == (status == 200)


def test_unconfirmed_banner_wherever_the_years_rules_are_used():
    c = login("ksk-coord")
    notice = "กรอบการประเมินปีนี้ยังไม่ยืนยัน — คัดลอกจากปี 2568"
    for url in (
        f"/a/{KSK}/?year=2569",  # score page
        f"/a/{KSK}/scores/2569/edit/",  # score entry form
        f"/a/{KSK}/reports/?year=2569",  # reports page
        f"/a/{KSK}/measures/copy-year/?year=2569",
    ):
        r = c.get(url)
        assert r.status_code == 200 and notice in r.content.decode(), url
    for url in (f"/a/{KSK}/?year=2568", f"/a/{KSK}/scores/2568/edit/", f"/a/{KSK}/reports/?year=2568"):
        assert NOTICE not in c.get(url).content.decode(), url


def test_coordinator_starts_2569_and_2570_from_last_years_measures_with_indicators_mapped():
    c = login("ksk-coord")
    # The empty year offers to start from last year's measures.
    page = c.get(f"/a/{KSK}/measures/?year=2569").content.decode()
    assert "เริ่มปีใหม่จากมาตรการปีที่แล้ว" in page
    assert c.get(f"/a/{KSK}/measures/copy-year/?year=2570").status_code == 200
    # 2570's indicator 1 is renumbered: the copy follows the predecessor, not the number.
    y2570 = FiscalYear.objects.get(be_year=2570)
    Indicator.objects.filter(year=y2570, number=1).update(number=11)
    # The demo's measures name no indicators: give two of 2567's some.
    first, second = Measure.objects.filter(agency__code=KSK, year__be_year=2567).order_by("order")[:2]
    first.indicators.set(Indicator.objects.filter(year__be_year=2567, number__in=(1, 9)))
    second.indicators.set(Indicator.objects.filter(year__be_year=2567, number=6))
    for source, target in ((2567, 2568), (2568, 2569), (2569, 2570)):
        r = c.post(f"/a/{KSK}/measures/copy-year/?year={target}", {"year": str(target), "from_year": str(source)})
        assert r.status_code == 302 and r["Location"].endswith(f"?year={target}"), r.content.decode()[:1500]
    old = Measure.objects.filter(agency__code=KSK, year__be_year=2569).prefetch_related("indicators")
    new = Measure.objects.filter(agency__code=KSK, year__be_year=2570).prefetch_related("indicators__predecessor")
    assert new.count() == old.count() == 9
    pairs = {m.copied_from_id: m for m in new}
    mapped = 0
    for m in old:
        n = pairs[m.pk]
        assert {i.predecessor_id for i in n.indicators.all()} == {i.pk for i in m.indicators.all()}
        assert all(i.year_id == y2570.pk for i in n.indicators.all())
        mapped += len(n.indicators.all())
        if any(i.number == 1 for i in m.indicators.all()):
            assert 11 in {i.number for i in n.indicators.all()}
    assert mapped == 3
    assert all(m.tool is None or m.tool.year_id == y2570.pk for m in new.select_related("tool"))


def test_national_oversight_reaches_the_years_page_from_its_overview():
    assert "/national/years/" in login("national-office").get("/oversight/").content.decode()
    assert "/national/years/" not in login("lopburi-office").get("/oversight/").content.decode()
