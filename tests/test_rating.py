"""Rating rules as data, checked on the seeds' own numbers."""

from decimal import Decimal as D

import pytest

from agencies.models import Agency
from assessments.models import FiscalYear
from assessments.selectors import score_history
from assessments.services import rating_compute


def bands(year):
    return list(FiscalYear.objects.get(be_year=year).rating_bands.all())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "year, overall, tools, expected",
    [
        (2565, "87.13", [], "A"),  # seed 002
        (2565, "95.00", [], "AA"),
        (2565, "84.99", [], "B"),
        (2565, "49.99", [], "F"),
        (2566, "89.00", ["93.53", "90.64", "84.38"], "ผ่าน"),  # seed 000: OIT below 85
        (2567, "92.84", ["91.22", "95.87", "91.78"], "ผ่านดี"),  # seed 000
        (2567, "96.00", ["96", "95", "99"], "ผ่านดีเยี่ยม"),
        (2567, "96.00", ["96", "94.99", "99"], "ผ่านดี"),
        (2568, "84.99", ["90", "90", "90"], "ต้องปรับปรุง"),
        (2568, "69.99", [], "ต้องปรับปรุงโดยด่วน"),
    ],
)
def test_rating_compute_per_year(year, overall, tools, expected):
    assert rating_compute(bands=bands(year), overall=D(overall), tool_scores=[D(t) for t in tools]) == expected


@pytest.mark.django_db
def test_rules_are_data_not_code():
    """Changing a band in the database changes the result: nothing is hard-coded."""
    band = FiscalYear.objects.get(be_year=2565).rating_bands.get(label="A")
    band.min_overall = D("88")
    band.save()
    assert rating_compute(bands=bands(2565), overall=D("87.13"), tool_scores=[]) == "B"


@pytest.mark.django_db
def test_seed_levels_computed_from_indicators_match_awarded():
    """Seed 000 prints indicators only; tool scores are derived and give the awarded levels."""
    history = score_history(agency=Agency.objects.get(code="khao-samo-khon"))
    y66, y67 = history.year(2566), history.year(2567)
    assert (y66.overall, y66.level_awarded, y66.level_computed) == (D("89.00"), "ผ่าน", "ผ่าน")
    assert (y67.overall, y67.level_awarded, y67.level_computed) == (D("92.84"), "ผ่านดี", "ผ่านดี")
    assert y66.tools == {"IIT": D("93.53"), "EIT": D("90.64"), "OIT": D("84.38")}
    assert y66.tools_derived == {"IIT", "EIT", "OIT"}
    assert y67.change == D("3.84")
    assert not y66.level_mismatch and not y67.level_mismatch
    seed002 = score_history(agency=Agency.objects.get(code="takhram-en")).year(2565)
    assert (seed002.level_awarded, seed002.level_computed) == ("A", "A")


@pytest.mark.django_db
def test_mismatch_with_awarded_level_is_shown(as_user):
    from assessments.models import AssessmentResult

    result = AssessmentResult.objects.get(agency__code="khao-samo-khon", year__be_year=2567)
    result.level_awarded = "ผ่านดีเยี่ยม"
    result.save()
    y67 = score_history(agency=result.agency).year(2567)
    assert y67.level_mismatch
    page = as_user("ksk-exec").get("/a/khao-samo-khon/").content.decode()
    assert "ไม่ตรงกับที่ประกาศ" in page
