"""generate_synthetic: clearly marked scale data, kept apart from the demo."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, Membership, OversightScope
from assessments.models import AssessmentResult, FiscalYear, IndicatorScore
from demo.synthetic import DEFAULT_PASSWORD, SYNTHETIC_MARK
from measures.models import Measure, Progress
from reports.models import PublishedVersion, Report, State


def generate(**options) -> str:
    out = io.StringIO()
    call_command("generate_synthetic", stdout=out, alongside_real=True, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_refuses_a_database_with_real_agencies():
    with pytest.raises(CommandError, match="หน่วยงานจริง"):
        call_command("generate_synthetic", agencies=3, years=1, stdout=io.StringIO())
    assert not Agency.objects.filter(is_synthetic=True).exists()


@pytest.mark.django_db
def test_refuses_to_run_twice():
    generate(agencies=2, years=1)
    with pytest.raises(CommandError, match="มีข้อมูลสังเคราะห์อยู่แล้ว"):
        generate(agencies=2, years=1)


@pytest.mark.django_db
def test_generates_marked_agencies_with_measures_progress_and_scores():
    real_before = {a.code: a.name for a in Agency.objects.filter(is_synthetic=False)}
    results_before = AssessmentResult.objects.count()
    generate(agencies=9, years=5, measures=6)
    synthetic = list(Agency.objects.filter(is_synthetic=True).order_by("code"))
    assert [a.code for a in synthetic] == [f"syn-{i:05d}" for i in range(1, 10)]
    assert all(SYNTHETIC_MARK in a.name for a in synthetic)
    assert {a.code: a.name for a in Agency.objects.filter(is_synthetic=False)} == real_before  # demo untouched
    years = list(FiscalYear.objects.order_by("-be_year").values_list("be_year", flat=True)[:5])
    assert len(years) == 5  # the seeded 2565–2568 and one earlier year for the history
    assert AssessmentResult.objects.count() - results_before == 9 * 5
    assert IndicatorScore.objects.filter(result__agency__is_synthetic=True).count() == 9 * 5 * 10
    for r in AssessmentResult.objects.filter(agency__is_synthetic=True):
        assert 0 <= r.overall <= 100 and r.level_awarded
    assert Measure.objects.filter(agency__is_synthetic=True).count() >= 9 * 5 * 3
    assert Progress.objects.filter(measure__agency__is_synthetic=True, round="annual").exists()
    assert Report.objects.filter(agency__is_synthetic=True, state=State.PUBLISHED).exists()
    assert Membership.objects.filter(agency__is_synthetic=True).count() == 9 * 2
    assert OversightScope.objects.filter(user__username="syn-national", province="").exists()


@pytest.mark.django_db
def test_synthetic_users_log_in_and_work():
    generate(agencies=3, years=2)
    c = Client()
    r = c.post("/login/", {"username": "syn-00002-staff", "password": DEFAULT_PASSWORD})
    assert r.status_code == 302
    page = c.get("/a/syn-00002/my-work/")
    assert page.status_code == 200 and SYNTHETIC_MARK in page.content.decode()
    assert c.get("/a/syn-00001/my-work/").status_code == 404  # another synthetic agency
    national = Client()
    national.post("/login/", {"username": "syn-national", "password": DEFAULT_PASSWORD})
    assert national.get("/oversight/").status_code == 200


@pytest.mark.django_db
def test_public_report_list_runs_a_fixed_number_of_queries():
    generate(agencies=1, years=2)
    agency = Agency.objects.get(code="syn-00001")
    c = Client()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert c.get("/p/syn-00001/").status_code == 200
        return len(ctx.captured_queries)

    c.get("/p/syn-00001/")
    before = count()
    for report in Report.objects.filter(agency=agency):
        for v in range(2, 6):
            PublishedVersion.objects.create(
                report=report,
                version=v,
                pdf="reports/synthetic/placeholder.pdf",
                sha256="0" * 64,
                size=1,
                data_hash="-",
            )
    assert count() == before
