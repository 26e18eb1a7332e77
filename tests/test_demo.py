"""The demo holds the seeds' content, in real Thai words, and loads idempotently."""

import re
from decimal import Decimal as D

import pytest
from django.apps import apps

from agencies.models import Agency
from assessments.models import AssessmentResult, QuestionScore
from demo.services import demo_load_all
from measures.models import Measure, Progress

CODES = {"khao-samo-khon", "nong-bua-ban", "takhram-en", "pak-kran", "ubon-pao"}
# Extraction damage: a consonant then a space then SARA AA (lost SARA AM), tone mark before a vowel.
DAMAGE = [re.compile(r"[ก-ฮ] า"), re.compile("เพ่ือ"), re.compile("ท่ี"), re.compile(r"[่-๋][ิ-ื]")]


@pytest.mark.django_db
def test_five_agencies_with_their_codes():
    assert set(Agency.objects.real().values_list("code", flat=True)) >= CODES
    ksk = Agency.objects.get(code="khao-samo-khon")
    assert (ksk.name, ksk.district, ksk.province) == ("องค์การบริหารส่วนตำบลเขาสมอคอน", "ท่าวุ้ง", "ลพบุรี")
    assert Agency.objects.get(code="takhram-en").name == "องค์การบริหารส่วนตำบลตะคร้ำเอน"
    assert Agency.objects.get(code="ubon-pao").kind == "PAO"


@pytest.mark.django_db
def test_seed_content_and_scores():
    ksk = Agency.objects.get(code="khao-samo-khon")
    assert Measure.objects.filter(agency=ksk, year__be_year=2567).count() == 9
    assert set(Measure.objects.filter(agency=ksk).values_list("issue__number", flat=True)) == set(range(1, 8))
    results = {r.year.be_year: r for r in AssessmentResult.objects.filter(agency=ksk)}
    assert (results[2566].overall, results[2566].level_awarded) == (D("89.00"), "ผ่าน")
    assert (results[2567].overall, results[2567].level_awarded) == (D("92.84"), "ผ่านดี")
    assert results[2567].indicator_scores.count() == 10
    tke = AssessmentResult.objects.get(agency__code="takhram-en", year__be_year=2565)
    assert (tke.overall, tke.level_awarded) == (D("87.13"), "A")
    assert QuestionScore.objects.get(result=tke, question__code="E7").score == D("78.30")
    assert QuestionScore.objects.get(result=tke, question__code="O10").score == D("0")
    ubon = Progress.objects.filter(measure__agency__code="ubon-pao", round="six_month")
    assert ubon.count() == 8 and {p.status for p in ubon} == {"done"}
    assert str(ubon.order_by("measure__order").first().completed_on) == "2023-04-18"


@pytest.mark.django_db
def test_no_extraction_damage_in_any_text():
    bad = []
    for model in [
        apps.get_model(m)
        for m in (
            "measures.Measure",
            "measures.Activity",
            "measures.Progress",
            "measures.Plan",
            "measures.EvidencePhoto",
            "assessments.Question",
            "assessments.QuestionScore",
            "assessments.IndicatorScore",
        )
    ]:
        text_fields = [f.name for f in model._meta.fields if f.get_internal_type() in ("TextField", "CharField")]
        for row in model.objects.values(*text_fields):
            for name, value in row.items():
                for pattern in DAMAGE:
                    if value and pattern.search(value):
                        bad.append((model.__name__, name, pattern.pattern, pattern.search(value).group()))
    assert not bad, bad[:10]


@pytest.mark.django_db
def test_load_demo_is_idempotent():
    def snapshot():
        return (
            Agency.objects.count(),
            Measure.objects.count(),
            Progress.objects.count(),
            AssessmentResult.objects.count(),
        )

    before = snapshot()
    demo_load_all()
    assert snapshot() == before


@pytest.mark.django_db
def test_demo_photos_are_drawn_pictures_marked_as_demo_at_their_own_ratio():
    from PIL import Image

    from measures.models import EvidencePhoto

    photos = list(EvidencePhoto.objects.filter(progress__measure__agency__code="khao-samo-khon"))
    assert len(photos) == 9  # one per caption seed 000 prints
    ratios = set()
    for photo in photos:
        for field in (photo.image, photo.print_image):
            with field.open("rb") as f, Image.open(f) as img:
                assert img.format == "JPEG"
                ratios.add(round(img.width / img.height, 2))
    assert len(ratios) == 2 and min(ratios) < 1 < max(ratios)  # landscape and portrait both shown
    names = [p.image.name for p in photos]
    demo_load_all()  # a reload draws them again and removes the old files
    assert not any(EvidencePhoto._meta.get_field("image").storage.exists(name) for name in names)
