"""No lost and no duplicated edit (ita_portal/edits.py): two coordinators who open the same form,
double-submitted create forms, a double copy-year, and the order number unique within its group.

The same rules under truly concurrent requests on PostgreSQL: tests/test_races.py.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import Client

from agencies.models import Agency, Division, Membership, Role
from assessments.models import AssessmentResult, FiscalYear, IndicatorScore
from ita_portal.models import FormSubmission
from measures.models import Activity, Measure, Plan

from .conftest import login

KSK = "khao-samo-khon"
STALE = "มีผู้อื่นบันทึกรายการนี้หลังจากที่คุณเปิดแบบฟอร์ม"


def second_coordinator() -> Client:
    """Another coordinator of the same agency (the demo has one per agency)."""
    user = get_user_model().objects.create_user("ksk-coord2", first_name="ผู้ประสานงาน", last_name="คนที่สอง")
    Membership.objects.create(user=user, agency=Agency.objects.get(code=KSK), role=Role.COORDINATOR)
    c = Client()
    c.force_login(user)
    return c


def hidden(page, name: str) -> str:
    """A hidden field's value as the form page carries it ('' when it has none)."""
    found = re.search(rf'<input type="hidden" name="{name}"(?: value="([^"]*)")?', page.content.decode())
    assert found, f"no hidden {name}"
    return found.group(1) or ""


def opened(client, url: str) -> dict:
    page = client.get(url)
    assert page.status_code == 200
    return {"version": hidden(page, "version"), "form_token": hidden(page, "form_token")}


@pytest.fixture
def ksk_measure(db):
    m = Measure.objects.filter(agency__code=KSK, year__be_year=2567, divisions__isnull=False).distinct().first()
    assert m is not None and m.divisions.exists()
    return m


@pytest.mark.django_db
def test_stale_measure_save_is_refused_and_nothing_is_lost(ksk_measure):
    first, second = login("ksk-coord"), second_coordinator()
    url = f"/a/{KSK}/measures/{ksk_measure.pk}/edit/"
    base = {"year": "2567"}
    seen1, seen2 = opened(first, url), opened(second, url)
    assert seen1["version"] == seen2["version"] == str(ksk_measure.version)
    divisions = sorted(ksk_measure.divisions.values_list("pk", flat=True))
    r1 = first.post(url, base | seen1 | {"title": "ชื่อของคนแรก", "divisions": divisions})
    assert r1.status_code == 302
    # The second saves a form opened before: a different title and no division ticked.
    r2 = second.post(url, base | seen2 | {"title": "ชื่อของคนที่สอง"})
    body = r2.content.decode()
    assert r2.status_code == 200 and STALE in body
    # Their text stays in the form and beside the stored one; the form now carries the stored version.
    assert "ชื่อของคนที่สอง" in body and "ชื่อของคนแรก" in body and "ข้อมูลล่าสุดในระบบ" in body
    assert hidden(r2, "version") == str(ksk_measure.version + 1)
    m = Measure.objects.get(pk=ksk_measure.pk)
    assert m.title == "ชื่อของคนแรก" and m.version == ksk_measure.version + 1
    assert sorted(m.divisions.values_list("pk", flat=True)) == divisions  # no assignment removed
    # Saving again from the conflict page (having read the stored values) is a deliberate overwrite.
    again = {k: v for k, v in r2.context["form"].data.items() if k != "csrfmiddlewaretoken"}
    assert second.post(url, again).status_code == 302
    assert Measure.objects.get(pk=ksk_measure.pk).title == "ชื่อของคนที่สอง"


@pytest.mark.django_db
def test_an_edit_without_its_version_is_refused(ksk_measure):
    r = login("ksk-coord").post(f"/a/{KSK}/measures/{ksk_measure.pk}/edit/", {"title": "ไม่มีรุ่น"})
    assert r.status_code == 200 and STALE in r.content.decode()
    assert Measure.objects.get(pk=ksk_measure.pk).title != "ไม่มีรุ่น"


@pytest.mark.django_db
def test_stale_activity_save_is_refused(ksk_measure):
    activity = Activity.objects.create(measure=ksk_measure, order=90, title="กิจกรรมเดิม")
    palat = Division.objects.get(agency__code=KSK, name="สำนักปลัด")
    activity.divisions.set([palat])
    first, second = login("ksk-coord"), second_coordinator()
    url = f"/a/{KSK}/measures/{ksk_measure.pk}/activities/{activity.pk}/edit/"
    seen1, seen2 = opened(first, url), opened(second, url)
    assert first.post(url, seen1 | {"title": "กิจกรรมของคนแรก", "divisions": [palat.pk]}).status_code == 302
    r2 = second.post(url, seen2 | {"title": "กิจกรรมของคนที่สอง"})
    assert r2.status_code == 200 and STALE in r2.content.decode() and "กิจกรรมของคนที่สอง" in r2.content.decode()
    activity.refresh_from_db()
    assert activity.title == "กิจกรรมของคนแรก" and list(activity.divisions.all()) == [palat]


@pytest.mark.django_db
def test_stale_plan_save_is_refused():
    first, second = login("ksk-coord"), second_coordinator()
    url = f"/a/{KSK}/measures/plan/?year=2567"
    seen1, seen2 = opened(first, url), opened(second, url)
    assert first.post(url, seen1 | {"year": "2567", "intro": "บทนำของคนแรก"}).status_code == 302
    r2 = second.post(url, seen2 | {"year": "2567", "intro": "บทนำของคนที่สอง"})
    assert r2.status_code == 200 and STALE in r2.content.decode() and "บทนำของคนที่สอง" in r2.content.decode()
    assert Plan.objects.get(agency__code=KSK, year__be_year=2567).intro == "บทนำของคนแรก"


@pytest.mark.django_db
def test_two_first_plans_of_a_year_the_second_is_refused():
    Plan.objects.filter(agency__code=KSK, year__be_year=2567).delete()
    first, second = login("ksk-coord"), second_coordinator()
    url = f"/a/{KSK}/measures/plan/?year=2567"
    seen1, seen2 = opened(first, url), opened(second, url)
    assert seen1["version"] == ""
    assert first.post(url, seen1 | {"year": "2567", "intro": "แผนแรก"}).status_code == 302
    r2 = second.post(url, seen2 | {"year": "2567", "intro": "แผนที่สอง"})
    assert r2.status_code == 200 and "แผนที่สอง" in r2.content.decode()
    assert Plan.objects.get(agency__code=KSK, year__be_year=2567).intro == "แผนแรก"


def _scores(result: AssessmentResult) -> dict:
    return {f"ind_{s.indicator.number}": str(s.score) for s in result.indicator_scores.select_related("indicator")}


@pytest.mark.django_db
def test_stale_score_save_is_refused_and_deletes_no_score():
    result = AssessmentResult.objects.get(agency__code=KSK, year__be_year=2567)
    before = _scores(result)
    assert before
    first, second = login("ksk-coord"), second_coordinator()
    url = f"/a/{KSK}/scores/2567/edit/"
    seen1, seen2 = opened(first, url), opened(second, url)
    level = result.level_awarded
    r1 = first.post(url, seen1 | before | {"overall": "93.00", "level_awarded": level})
    assert r1.status_code == 302
    # The second's form has the indicator scores cleared: saved, it would delete them.
    r2 = second.post(url, seen2 | {"overall": "70.00", "level_awarded": level})
    assert r2.status_code == 200 and STALE in r2.content.decode()
    body = r2.content.decode()
    # Only what differs is listed: the overall score, and the indicator scores the second cleared.
    assert '<td class="pre">70.00</td><td class="pre">93.00</td>' in body
    first_score = next(iter(before.values()))
    assert f'<td class="pre">—</td><td class="pre">{first_score}</td>' in body
    assert body.count('<tr><th scope="row">') == 1 + len(before)
    result.refresh_from_db()
    assert str(result.overall) == "93.00" and _scores(result) == before
    assert IndicatorScore.objects.filter(result=result).count() == len(before)


@pytest.mark.django_db
def test_double_submitted_score_form_saves_once():
    AssessmentResult.objects.filter(agency__code=KSK, year__be_year=2568).delete()
    c = login("ksk-coord")
    url = f"/a/{KSK}/scores/2568/edit/"
    form = opened(c, url) | {"overall": "91.50", "level_awarded": "ผ่านดี"} | {f"ind_{n}": "90" for n in range(1, 11)}
    assert c.post(url, form).status_code == 302
    assert c.post(url, form).status_code == 302  # the same form again: the first save stands
    assert AssessmentResult.objects.filter(agency__code=KSK, year__be_year=2568).count() == 1
    # A second person's first entry, opened before the first one saved, is refused.
    r = second_coordinator().post(url, {"version": "", "overall": "50.00"})
    assert r.status_code == 200 and STALE in r.content.decode()
    assert str(AssessmentResult.objects.get(agency__code=KSK, year__be_year=2568).overall) == "91.50"


@pytest.mark.django_db
def test_double_submitted_measure_form_creates_one_measure():
    c = login("ksk-coord")
    url = f"/a/{KSK}/measures/new/?year=2567"
    form = opened(c, url) | {"year": "2567", "title": "มาตรการที่ส่งสองครั้ง"}
    assert form["version"] == "" and len(form["form_token"]) == 32
    r1, r2 = c.post(url, form), c.post(url, form)
    assert r1.status_code == r2.status_code == 302 and r1["Location"] == r2["Location"]
    assert Measure.objects.filter(title="มาตรการที่ส่งสองครั้ง").count() == 1
    # Sent again after the measure it made was deleted: a Thai message, nothing made.
    Measure.objects.filter(title="มาตรการที่ส่งสองครั้ง").delete()
    r3 = c.post(url, form)
    assert r3.status_code == 200 and "รายการที่สร้างจากแบบฟอร์มนี้ถูกลบไปแล้ว" in r3.content.decode()
    assert not Measure.objects.filter(title="มาตรการที่ส่งสองครั้ง").exists()
    # A new form has a new token: a second measure of the same title is a deliberate one.
    assert c.post(url, opened(c, url) | {"year": "2567", "title": "มาตรการที่ส่งสองครั้ง"}).status_code == 302
    assert c.post(url, opened(c, url) | {"year": "2567", "title": "มาตรการที่ส่งสองครั้ง"}).status_code == 302
    assert Measure.objects.filter(title="มาตรการที่ส่งสองครั้ง").count() == 2


@pytest.mark.django_db
def test_double_submitted_activity_and_division_forms_create_one_each(ksk_measure):
    c = login("ksk-coord")
    url = f"/a/{KSK}/measures/{ksk_measure.pk}/activities/new/"
    form = opened(c, url) | {"title": "กิจกรรมที่ส่งสองครั้ง"}
    r1, r2 = c.post(url, form), c.post(url, form)
    assert r1.status_code == r2.status_code == 302
    assert Activity.objects.filter(title="กิจกรรมที่ส่งสองครั้ง").count() == 1
    url = f"/a/{KSK}/divisions/"
    page = c.get(url)
    form = {"form_token": hidden(page, "form_token"), "name": "กองที่ส่งสองครั้ง"}
    r1, r2 = c.post(url, form), c.post(url, form)
    assert r1.status_code == r2.status_code == 302
    assert Division.objects.filter(agency__code=KSK, name="กองที่ส่งสองครั้ง").count() == 1


@pytest.mark.django_db
def test_new_activity_takes_the_next_free_number_after_a_delete(ksk_measure):
    ksk_measure.activities.all().delete()
    for n in (1, 2, 3):
        Activity.objects.create(measure=ksk_measure, order=n, title=f"กิจกรรม {n}")
    Activity.objects.filter(measure=ksk_measure, order=1).delete()
    c = login("ksk-coord")
    url = f"/a/{KSK}/measures/{ksk_measure.pk}/activities/new/"
    assert c.post(url, opened(c, url) | {"title": "กิจกรรมใหม่"}).status_code == 302
    assert Activity.objects.get(title="กิจกรรมใหม่", measure=ksk_measure).order == 4


@pytest.mark.django_db
def test_stale_division_rename_is_refused_with_both_names():
    division = Division.objects.get(agency__code=KSK, name="กองช่าง")
    first, second = login("ksk-coord"), second_coordinator()
    url = f"/a/{KSK}/divisions/{division.pk}/"
    seen = str(division.version)
    assert first.post(url, {"action": "rename", "name": "กองช่างโยธา", "version": seen}).status_code == 302
    r = second.post(url, {"action": "rename", "name": "กองการช่าง", "version": seen}, follow=True)
    body = r.content.decode()
    assert "ไม่บันทึกทับ" in body and "กองช่างโยธา" in body and "กองการช่าง" in body
    division.refresh_from_db()
    assert division.name == "กองช่างโยธา"


def _copy_source(c, n: int) -> FiscalYear:
    """KSK with n measures in 2568 and none in 2569."""
    Measure.objects.filter(agency__code=KSK, year__be_year__in=[2568, 2569]).delete()
    agency, y2568 = Agency.objects.get(code=KSK), FiscalYear.objects.get(be_year=2568)
    for i in range(1, n + 1):
        Measure.objects.create(agency=agency, year=y2568, order=i, title=f"มาตรการต้นทาง {i}")
    return FiscalYear.objects.get(be_year=2569)


@pytest.mark.django_db
def test_double_copy_year_copies_once():
    c = login("ksk-coord")
    target = _copy_source(c, 5)
    url = f"/a/{KSK}/measures/copy-year/?year=2569"
    form = opened(c, url) | {"year": "2569", "from_year": "2568"}
    r1, r2 = c.post(url, form), c.post(url, form)
    assert r1.status_code == r2.status_code == 302
    assert Measure.objects.filter(agency__code=KSK, year=target).count() == 5
    # A second form (another token) is refused with a Thai message.
    r3 = c.post(url, opened(c, url) | {"year": "2569", "from_year": "2568"})
    assert r3.status_code == 200 and "มีมาตรการอยู่แล้ว จึงไม่คัดลอกซ้ำ" in r3.content.decode()
    assert Measure.objects.filter(agency__code=KSK, year=target).count() == 5
    assert FormSubmission.objects.filter(kind="copy_year", object_id=target.pk).count() == 1


@pytest.mark.django_db
def test_order_numbers_are_unique_within_their_group(ksk_measure):
    with pytest.raises(IntegrityError), transaction.atomic():
        Measure.objects.create(agency=ksk_measure.agency, year=ksk_measure.year, order=ksk_measure.order, title="ซ้ำ")
    Activity.objects.create(measure=ksk_measure, order=77, title="ก")
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.create(measure=ksk_measure, order=77, title="ข")
    # The same numbers in another year or another measure are fine.
    other_year = FiscalYear.objects.exclude(pk=ksk_measure.year_id).first()
    Measure.objects.create(agency=ksk_measure.agency, year=other_year, order=ksk_measure.order + 500, title="อื่น")


@pytest.mark.django_db
def test_workbook_import_with_activity_rows_in_any_order_keeps_numbers_unique(ksk_measure):
    """The sheet numbers activities by position; stored orders with a gap (after a delete) and rows
    listed out of order must not make two activities share a number on the way."""
    from measures.workbook import SHEET_ACTIVITIES

    from .test_workbook import column, export, load, run, save

    ksk_measure.activities.all().delete()
    for n in (1, 2, 3):
        Activity.objects.create(measure=ksk_measure, order=n, title=f"กิจกรรม {n}")
    Activity.objects.filter(measure=ksk_measure, order=1).delete()  # stored orders 2 and 3: positions 1 and 2
    wb = load(export(be=ksk_measure.year.be_year))
    ws = wb[SHEET_ACTIVITIES]
    first, second = [r for r in ws.iter_rows(min_row=2) if r[0].value == ksk_measure.order]
    for a, b in zip(first, second):  # position 2's row first
        a.value, b.value = b.value, a.value
    title = column(ws, "กิจกรรม") - 1
    for r in (first, second):
        r[title].value = f"{r[title].value} (แก้ไข)"
    preview = run(save(wb), dry_run=False, be=ksk_measure.year.be_year)
    assert not preview.problems, [str(p) for p in preview.problems]
    assert list(ksk_measure.activities.order_by("order").values_list("order", "title")) == [
        (2, "กิจกรรม 2 (แก้ไข)"),
        (3, "กิจกรรม 3 (แก้ไข)"),
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_renumbers_duplicate_order_numbers_before_making_them_unique():
    """Data from before the constraint (a double-submitted form, a double copy-year) is renumbered:
    the first of each number (by id) keeps it, the others go to the end; activities become 1, 2, 3."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("measures", "0004_bounded_text")])
    apps = executor.loader.project_state([("measures", "0004_bounded_text")]).apps
    OldAgency, OldYear = apps.get_model("agencies", "Agency"), apps.get_model("assessments", "FiscalYear")
    OldMeasure, OldActivity = apps.get_model("measures", "Measure"), apps.get_model("measures", "Activity")
    agency = OldAgency.objects.create(code="renumber-test", name="อบต.ทดสอบ", kind="SAO")
    year = OldYear.objects.get(be_year=2567)
    made = [
        OldMeasure.objects.create(agency=agency, year=year, order=o, title=f"ม{i}")
        for i, o in enumerate([1, 2, 2, 3, 3])
    ]
    for o in (0, 0, 5):
        OldActivity.objects.create(measure=made[0], order=o, title=f"ก{o}")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    orders = dict(Measure.objects.filter(agency__code="renumber-test").values_list("title", "order"))
    assert orders == {"ม0": 1, "ม1": 2, "ม2": 4, "ม3": 3, "ม4": 5}
    assert sorted(Activity.objects.filter(measure_id=made[0].pk).values_list("order", flat=True)) == [1, 2, 3]


@pytest.mark.django_db
def test_a_score_form_opened_before_a_score_sheet_import_is_refused():
    """The national import changes a result's scores in bulk: a form opened before it is stale."""
    from assessments.score_sheet import score_sheet_import

    from .test_score_sheet import row, xlsx

    c = login("ksk-coord")
    url = f"/a/{KSK}/scores/2567/edit/"
    seen = opened(c, url)
    preview = score_sheet_import(file=xlsx([row(KSK, 2567, "ตัวชี้วัด", 1, score="66.66")]), dry_run=False)
    assert not preview.problems, [str(p) for p in preview.problems]
    result = AssessmentResult.objects.get(agency__code=KSK, year__be_year=2567)
    assert str(result.indicator_scores.get(indicator__number=1).score) == "66.66"
    r = c.post(url, seen | {"overall": "80.00", "ind_1": "99.00"})
    assert r.status_code == 200 and STALE in r.content.decode()
    assert str(result.indicator_scores.get(indicator__number=1).score) == "66.66"


@pytest.mark.django_db
def test_form_tokens_are_forgotten_after_a_week(django_capture_on_commit_callbacks):
    import datetime

    from django.utils import timezone

    from ita_portal.edits import TOKEN_DAYS, form_token, submission_claim

    old = FormSubmission.objects.create(token=form_token(), kind="measure", object_id=1)
    FormSubmission.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=TOKEN_DAYS + 1))
    recent = FormSubmission.objects.create(token=form_token(), kind="measure", object_id=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert submission_claim(token=form_token(), kind="measure") is None
    assert not FormSubmission.objects.filter(pk=old.pk).exists()
    assert FormSubmission.objects.filter(pk=recent.pk).exists()


@pytest.mark.django_db
def test_a_double_clicked_edit_saves_once_and_the_second_click_is_not_a_conflict(ksk_measure):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from measures.models import Progress

    from .test_progress import form as progress_form
    from .test_progress import jpeg_with_gps

    c = login("ksk-coord")
    url = f"/a/{KSK}/measures/{ksk_measure.pk}/edit/"
    form = opened(c, url) | {"year": "2567", "title": "แก้ไขแล้วกดสองครั้ง"}
    r1, r2 = c.post(url, form), c.post(url, form)
    assert r1.status_code == r2.status_code == 302
    assert Measure.objects.get(pk=ksk_measure.pk).version == ksk_measure.version + 1
    # Progress with a photo, sent twice: one entry, one photo.
    Progress.objects.filter(measure=ksk_measure).delete()
    url = f"/a/{KSK}/measures/{ksk_measure.pk}/progress/six_month/"
    token = opened(c, url)["form_token"]
    for _ in range(2):
        photo = SimpleUploadedFile("IMG_0001.JPG", jpeg_with_gps(), content_type="image/jpeg")
        r = c.post(url, progress_form(form_token=token, **{"photo-0-image": photo}))
        assert r.status_code == 302
    p = Progress.objects.get(measure=ksk_measure, activity=None, round="six_month")
    assert (p.version, p.photos.count()) == (1, 1)
