"""Odd requests get plain answers: huge ids, probing the public pages, scores out of range."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from agencies.models import Agency
from assessments.models import AssessmentResult, ToolScore
from reports.models import PublishedVersion

from .conftest import login

KSK = "khao-samo-khon"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/a/{code}/measures/99999999999999999999/",
        "/a/{code}/measures/9223372036854775808/progress/annual/",
        "/a/{code}/scores/99999999999999999999/edit/",
    ],
)
def test_ids_beyond_the_database_are_not_found(path):
    r = login("ksk-coord").get(path.format(code=KSK))
    assert r.status_code == 404


@pytest.mark.django_db
def test_public_pages_do_not_tell_which_codes_exist():
    silent = Agency.objects.exclude(id__in=PublishedVersion.objects.values("report__agency_id")).first()
    assert silent is not None
    anon = Client()
    unknown = anon.get("/p/no-such-agency/")
    unpublished = anon.get(f"/p/{silent.code}/")
    assert unknown.status_code == unpublished.status_code == 404
    assert unknown.content == unpublished.content
    embed_unknown, embed_silent = anon.get("/p/no-such-agency/embed/"), anon.get(f"/p/{silent.code}/embed/")
    assert embed_unknown.status_code == embed_silent.status_code == 404
    assert embed_unknown.content == embed_silent.content


@pytest.mark.django_db
def test_version_zero_is_not_the_latest():
    from django.core.files.base import ContentFile

    from assessments.models import FiscalYear
    from reports.models import Report

    report, _ = Report.objects.get_or_create(
        agency=Agency.objects.get(code=KSK), year=FiscalYear.objects.get(be_year=2567), kind="annual"
    )
    v = PublishedVersion(report=report, version=1, sha256="0" * 64, size=9, data_hash="0" * 64)
    v.pdf.save("r.pdf", ContentFile(b"%PDF-1.7\n"), save=True)
    base = f"/p/{KSK}/2567/annual"
    anon = Client()
    assert anon.get(f"{base}.pdf").status_code == 200
    assert anon.get(f"{base}/v1.pdf").status_code == 200
    assert anon.get(f"{base}/v0.pdf").status_code == 404


@pytest.mark.django_db
def test_scores_out_of_range_are_refused_by_the_database():
    from assessments.models import Tool

    result = AssessmentResult.objects.first()
    score = ToolScore.objects.create(result=result, tool=Tool.objects.filter(year=result.year_id).first(), score=50)
    with pytest.raises(IntegrityError), transaction.atomic():
        ToolScore.objects.filter(pk=score.pk).update(score=Decimal("100.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        AssessmentResult.objects.filter(pk=result.pk).update(overall=Decimal("-1"))


@pytest.mark.django_db
def test_a_score_with_three_decimals_gets_a_thai_message():
    from assessments.forms import ResultForm
    from assessments.models import FiscalYear

    form = ResultForm(data={"overall": "85.125"}, year=FiscalYear.objects.get(be_year=2567))
    assert not form.is_valid()
    assert form.errors["overall"] == ["คะแนนมีทศนิยมได้ไม่เกิน 2 ตำแหน่ง (เช่น 85.25)"]


def test_thai_digits_leave_character_references_alone():
    from reports.rendering import thai_digits_html

    html = '<p title="a1">it&#x27;s 12 &amp; 3&#39;</p>'
    assert thai_digits_html(html) == '<p title="a1">it&#x27;s ๑๒ &amp; ๓&#39;</p>'


def test_media_is_never_served_by_url_even_with_debug(settings):
    import importlib

    import ita_portal.urls as project_urls

    settings.DEBUG = True
    try:
        importlib.reload(project_urls)
        assert not any("media" in str(p.pattern) for p in project_urls.urlpatterns)
    finally:
        settings.DEBUG = False
        importlib.reload(project_urls)


def test_a_session_keeps_a_bounded_number_of_uploads(settings, tmp_path):
    from types import SimpleNamespace

    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sheets.uploads import MAX_PENDING_PER_SESSION, upload_store

    request = SimpleNamespace(session={})
    for n in range(MAX_PENDING_PER_SESSION + 3):
        upload_store(request, SimpleUploadedFile(f"f{n}.xlsx", b"PK\x03\x04x"), kind="test", target=str(n))
    pending = request.session["imports"]
    assert len(pending) == MAX_PENDING_PER_SESSION
    assert [e["name"] for e in pending.values()] == [f"f{n}.xlsx" for n in range(3, MAX_PENDING_PER_SESSION + 3)]
    assert len(default_storage.listdir("imports")[1]) == MAX_PENDING_PER_SESSION
