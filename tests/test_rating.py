"""Rating rules as data, checked on the seeds' own numbers."""

from decimal import Decimal as D

import pytest

from agencies.models import Agency
from assessments.models import FiscalYear
from assessments.selectors import score_history
from assessments.services import rating_candidates, rating_compute


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


@pytest.mark.django_db
@pytest.mark.parametrize("year", [2566, 2567, 2568])
def test_a_pass_level_without_tool_scores_is_undecided_not_a_mismatch(year):
    """A published 95.81 ผ่านดี entered with its overall score only: the per-tool bands cannot be
    decided, so the level is one of three and ผ่านดี is not flagged."""
    assert rating_compute(bands=bands(year), overall=D("95.81"), tool_scores=[]) is None
    assert rating_candidates(bands=bands(year), overall=D("95.81"), tool_scores=[]) == ["ผ่านดีเยี่ยม", "ผ่านดี", "ผ่าน"]
    assert rating_candidates(bands=bands(year), overall=D("86"), tool_scores=[]) == ["ผ่านดี", "ผ่าน"]
    assert rating_candidates(bands=bands(year), overall=D("84.99"), tool_scores=[]) == ["ต้องปรับปรุง"]


@pytest.mark.django_db
def test_a_2566_result_without_tool_scores_says_it_cannot_be_decided(as_user):
    from assessments.models import AssessmentResult

    agency = Agency.objects.get(code="ubon-pao")
    AssessmentResult.objects.filter(agency=agency).delete()
    AssessmentResult.objects.create(
        agency=agency, year=FiscalYear.objects.get(be_year=2566), overall=D("95.81"), level_awarded="ผ่านดี"
    )
    y66 = score_history(agency=agency).year(2566)
    assert y66.tools == {} and y66.level_undecided and not y66.level_mismatch and y66.level_computed is None
    page = as_user("ubn-coord").get("/a/ubon-pao/").content.decode()
    assert "ไม่สามารถตัดสินได้หากไม่มีคะแนนรายเครื่องมือ" in page and "ไม่ตรงกับที่ประกาศ" not in page

    # An awarded level the overall score rules out is still a mismatch.
    AssessmentResult.objects.filter(agency=agency).update(level_awarded="ต้องปรับปรุง")
    assert score_history(agency=agency).year(2566).level_mismatch
