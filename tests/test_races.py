"""Concurrent requests on PostgreSQL: several people (threads, each with its own database
connection) send the same kind of save at the same moment. Exactly one wins; the others get a
Thai page, never a 500, and nothing is lost or duplicated (ita_portal/edits.py).

SQLite serialises every write, so these run in the PostgreSQL pass of .ci/run; the same rules
one request after another are in tests/test_edits.py, which runs on both. The tests commit
(transaction=True): tests/conftest.py runs them after the others, and each reloads the demo.
"""

import re
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client

from agencies.models import Agency, Division, Membership, Role
from assessments.models import AssessmentResult, FiscalYear
from measures.models import Activity, Measure, Progress

KSK = "khao-samo-khon"
PEOPLE = 4

pytestmark = [pytest.mark.races, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def coordinators():
    """PEOPLE coordinators of the demo's khao-samo-khon, each with a signed-in client."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises writes); run with DATABASE_URL=postgres://…")
    from demo.services import demo_load_all

    demo_load_all()
    agency = Agency.objects.get(code=KSK)
    clients = []
    for n in range(PEOPLE):
        user, _ = get_user_model().objects.get_or_create(username=f"race-coord-{n}", defaults={"first_name": f"คน{n}"})
        Membership.objects.get_or_create(user=user, agency=agency, defaults={"role": Role.COORDINATOR})
        c = Client()
        c.force_login(user)
        clients.append(c)
    return clients


def race(clients, url: str, forms: list[dict]) -> list:
    """POST forms[i] as clients[i], all released at once; the responses (an exception fails the test)."""
    start = threading.Barrier(len(forms))
    responses, errors = [None] * len(forms), []

    def run(i):
        try:
            start.wait()
            responses[i] = clients[i].post(url, forms[i])
        except Exception as exc:  # a 500 raises here (the test client re-raises the view's exception)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(forms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert all(r.status_code in (200, 302) for r in responses), [r.status_code for r in responses]
    return responses


def hidden(client, url: str) -> dict:
    body = client.get(url).content.decode()
    out = {}
    for name in ("version", "form_token"):
        found = re.search(rf'<input type="hidden" name="{name}"(?: value="([^"]*)")?', body)
        out[name] = (found.group(1) or "") if found else ""
    return out


def refused(response) -> bool:
    return response.status_code == 200 and "ระบบจึงไม่บันทึกทับ" in response.content.decode()


def test_same_measure_saved_by_four_at_once_one_wins_nothing_lost(coordinators):
    m = Measure.objects.filter(agency__code=KSK, divisions__isnull=False).distinct().first()
    pool = list(Division.objects.filter(agency__code=KSK).values_list("pk", flat=True))
    url = f"/a/{KSK}/measures/{m.pk}/edit/"
    # Each sends its own title and its own responsible division.
    forms = [
        hidden(c, url) | {"year": str(m.year.be_year), "title": f"ชื่อของคนที่ {i}", "divisions": [pool[i % len(pool)]]}
        for i, c in enumerate(coordinators)
    ]
    responses = race(coordinators, url, forms)
    winners = [i for i, r in enumerate(responses) if r.status_code == 302]
    assert len(winners) == 1 and all(refused(r) for r in responses if r.status_code != 302)
    m.refresh_from_db()
    # The winner's save whole, nothing of the others' mixed in.
    assert m.title == f"ชื่อของคนที่ {winners[0]}" and m.version == int(forms[0]["version"]) + 1
    assert list(m.divisions.values_list("pk", flat=True)) == [pool[winners[0] % len(pool)]]


def test_same_scores_saved_by_four_at_once_one_wins_no_score_deleted(coordinators):
    result = AssessmentResult.objects.get(agency__code=KSK, year__be_year=2567)
    scores = {f"ind_{s.indicator.number}": str(s.score) for s in result.indicator_scores.select_related("indicator")}
    url = f"/a/{KSK}/scores/2567/edit/"
    # The first sends the scores; the others a form with them cleared (saved, it would delete them).
    forms = [
        hidden(c, url) | {"overall": f"9{i}.00", "level_awarded": result.level_awarded} | (scores if i == 0 else {})
        for i, c in enumerate(coordinators)
    ]
    responses = race(coordinators, url, forms)
    winners = [i for i, r in enumerate(responses) if r.status_code == 302]
    assert len(winners) == 1 and all(refused(r) for r in responses if r.status_code != 302)
    result.refresh_from_db()
    assert str(result.overall) == f"9{winners[0]}.00"
    if winners == [0]:
        assert result.indicator_scores.count() == len(scores)


def test_double_submitted_create_forms_make_one_object(coordinators):
    c = coordinators[0]
    measure = Measure.objects.filter(agency__code=KSK).first()
    cases = [
        (f"/a/{KSK}/measures/new/?year=2567", {"year": "2567", "title": "สร้างพร้อมกัน"}, Measure, "title"),
        (f"/a/{KSK}/measures/{measure.pk}/activities/new/", {"title": "กิจกรรมพร้อมกัน"}, Activity, "title"),
        (f"/a/{KSK}/divisions/", {"name": "กองพร้อมกัน"}, Division, "name"),
    ]
    for url, data, model, field in cases:
        form = hidden(c, url) | data
        responses = race([c] * PEOPLE, url, [form] * PEOPLE)  # one person's form sent four times
        assert all(r.status_code == 302 for r in responses), url
        assert len({r["Location"] for r in responses}) == 1, url
        assert model.objects.filter(**{field: data[field]}).count() == 1, url


def test_different_new_measures_at_once_get_distinct_numbers(coordinators):
    url = f"/a/{KSK}/measures/new/?year=2567"
    before = Measure.objects.filter(agency__code=KSK, year__be_year=2567).count()
    forms = [hidden(c, url) | {"year": "2567", "title": f"มาตรการใหม่ {i}"} for i, c in enumerate(coordinators)]
    assert all(r.status_code == 302 for r in race(coordinators, url, forms))
    orders = list(Measure.objects.filter(agency__code=KSK, year__be_year=2567).values_list("order", flat=True))
    assert len(orders) == before + PEOPLE == len(set(orders))


def test_copy_year_at_once_copies_once(coordinators):
    Measure.objects.filter(agency__code=KSK, year__be_year=2569).delete()
    source = Measure.objects.filter(agency__code=KSK, year__be_year=2568).count()
    if source == 0:
        agency, year = Agency.objects.get(code=KSK), FiscalYear.objects.get(be_year=2568)
        for i in range(1, 6):
            Measure.objects.create(agency=agency, year=year, order=i, title=f"มาตรการต้นทาง {i}")
        source = 5
    url = f"/a/{KSK}/measures/copy-year/?year=2569"
    same = hidden(coordinators[0], url) | {"year": "2569", "from_year": "2568"}
    # Two sends of one form and two people's own forms, all at once.
    forms = [same, same] + [hidden(c, url) | {"year": "2569", "from_year": "2568"} for c in coordinators[2:]]
    clients = [coordinators[0]] * 2 + coordinators[2:]
    responses = race(clients, url, forms)
    assert Measure.objects.filter(agency__code=KSK, year__be_year=2569).count() == source
    for r in responses:
        assert r.status_code == 302 or "มีมาตรการอยู่แล้ว จึงไม่คัดลอกซ้ำ" in r.content.decode()


def test_first_progress_entries_at_once_one_wins(coordinators):
    m = Measure.objects.filter(agency__code=KSK, year__be_year=2567).first()
    Progress.objects.filter(measure=m).delete()
    url = f"/a/{KSK}/measures/{m.pk}/progress/six_month/"
    base = {"status": "in_progress", "photo-TOTAL_FORMS": "0", "photo-INITIAL_FORMS": "0"}
    base |= {"link-TOTAL_FORMS": "0", "link-INITIAL_FORMS": "0"}
    forms = [base | {"output": f"ผลของคนที่ {i}"} for i in range(PEOPLE)]
    responses = race(coordinators, url, forms)
    winners = [i for i, r in enumerate(responses) if r.status_code == 302]
    assert len(winners) == 1 and all(refused(r) for r in responses if r.status_code != 302)
    assert Progress.objects.get(measure=m, activity=None, round="six_month").output == f"ผลของคนที่ {winners[0]}"


def test_same_new_division_name_and_first_plan_at_once_one_wins_the_rest_told_in_thai(coordinators):
    url = f"/a/{KSK}/divisions/"
    forms = [hidden(c, url) | {"name": "กองที่ตั้งพร้อมกัน"} for c in coordinators]  # four people's own forms
    responses = race(coordinators, url, forms)
    assert Division.objects.filter(agency__code=KSK, name="กองที่ตั้งพร้อมกัน").count() == 1
    assert sum(r.status_code == 302 for r in responses) == 1
    assert all("มีกอง/สำนักชื่อ “กองที่ตั้งพร้อมกัน” อยู่แล้ว" in r.content.decode() for r in responses if r.status_code != 302)

    from measures.models import Plan

    Plan.objects.filter(agency__code=KSK, year__be_year=2567).delete()
    url = f"/a/{KSK}/measures/plan/?year=2567"
    forms = [hidden(c, url) | {"year": "2567", "intro": f"บทนำของคนที่ {i}"} for i, c in enumerate(coordinators)]
    responses = race(coordinators, url, forms)
    winners = [i for i, r in enumerate(responses) if r.status_code == 302]
    assert len(winners) == 1 and all(refused(r) for r in responses if r.status_code != 302)
    assert Plan.objects.get(agency__code=KSK, year__be_year=2567).intro == f"บทนำของคนที่ {winners[0]}"
