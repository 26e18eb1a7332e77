"""An approval holds for the content the executive approved: a change to the measures, progress,
scores, words or layout afterwards cannot be published on it (issue 16, item 4)."""

import pytest

from agencies.access import access_for
from agencies.models import Agency
from assessments.models import FiscalYear
from measures.models import Measure
from reports import services
from reports.models import PublishedVersion, RenderJob, Report, ReportEvent, State
from reports.selectors import report_get_or_default

from .conftest import login
from .test_notifications import user

CODE = "pak-kran"
BASE = f"/a/{CODE}/reports/2567/annual"
STUB_PDF = b"%PDF-1.4\n%stub\n"


def report() -> Report:
    return Report.objects.get(agency__code=CODE, year__be_year=2567, kind="annual")


def approve(coord, executive) -> None:
    coord.post(f"{BASE}/submit/")
    executive.post(f"{BASE}/approve/")
    assert report().state == State.APPROVED


def a_measure() -> Measure:
    return Measure.objects.filter(agency__code=CODE, year__be_year=2567).order_by("order", "id").first()


@pytest.mark.django_db
def test_a_measure_changed_after_approval_cannot_be_published_until_approved_again(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    coord, executive = login("pkr-coord"), login("pkr-exec")
    approve(coord, executive)
    assert len(report().approved_hash) == 64
    Measure.objects.filter(pk=a_measure().pk).update(title="มาตรการที่แก้ไขหลังผู้บริหารอนุมัติ")

    r = executive.post(f"{BASE}/publish/", follow=True)
    page = r.content.decode()
    assert "แก้ไขหลังจากผู้บริหารอนุมัติ" in page and "ขออนุมัติใหม่" in page
    assert not RenderJob.objects.filter(agency__code=CODE, purpose=RenderJob.Purpose.PUBLISH).exists()
    assert not PublishedVersion.objects.filter(report__agency__code=CODE).exists()
    again = report()
    assert (again.state, again.approved_by, again.approved_hash) == (State.DRAFT, None, "")
    event = again.events.first()
    assert (event.action, event.user.username) == (ReportEvent.Action.APPROVAL_VOIDED, "pkr-exec")
    assert "แก้ไขหลังอนุมัติ" in executive.get(f"{BASE}/").content.decode()  # in the history table

    # Approved again on the new content: it publishes.
    approve(coord, executive)
    r = report()
    services.report_publish_check(access=access_for(user("pkr-exec"), r.agency), report=r)
    version = services.report_publish_render_and_store(report=r, user=user("pkr-exec"), render=lambda *a, **k: STUB_PDF)
    assert version.version == 1 and report().state == State.PUBLISHED


@pytest.mark.django_db
def test_the_worker_refuses_content_changed_after_approval_and_returns_the_report_to_draft():
    """The check the worker makes itself: a change between the publish request and the render."""
    agency = Agency.objects.get(code=CODE)
    r = report_get_or_default(agency=agency, year=FiscalYear.objects.get(be_year=2567), kind="annual")
    executive = user("pkr-exec")
    services.report_submit(access=access_for(user("pkr-coord"), agency), report=r)
    services.report_approve(access=access_for(executive, agency), report=r, user=executive)
    r.labels = {**(r.labels or {}), "score_heading": "ตารางคะแนนที่แก้ไขหลังอนุมัติ"}  # the layout and words count too
    r.save()
    rendered = []
    with pytest.raises(services.ServiceError, match="ขออนุมัติใหม่"):
        services.report_publish_render_and_store(
            report=r, user=executive, render=lambda *a, **k: rendered.append(1) or STUB_PDF
        )
    assert rendered == [] and not PublishedVersion.objects.filter(report=r).exists()
    assert report().state == State.DRAFT
    assert report().events.filter(action=ReportEvent.Action.APPROVAL_VOIDED).count() == 1


@pytest.mark.django_db
def test_unchanged_content_publishes_on_its_approval():
    agency = Agency.objects.get(code=CODE)
    r = report_get_or_default(agency=agency, year=FiscalYear.objects.get(be_year=2567), kind="annual")
    executive = user("pkr-exec")
    services.report_submit(access=access_for(user("pkr-coord"), agency), report=r)
    services.report_approve(access=access_for(executive, agency), report=r, user=executive)
    r.save()  # saving without a change does not void it
    version = services.report_publish_render_and_store(report=r, user=executive, render=lambda *a, **k: STUB_PDF)
    assert version.version == 1 and not r.events.filter(action=ReportEvent.Action.APPROVAL_VOIDED).exists()


WARNING = "มีการแก้ไขหลังผู้บริหารอนุมัติ ต้องเสนอขออนุมัติใหม่ก่อนเผยแพร่"
PUBLISH_BUTTON = f'action="{BASE}/publish/"'


@pytest.mark.django_db
def test_the_report_page_warns_of_a_change_after_approval_before_anyone_presses_publish():
    coord, executive = login("pkr-coord"), login("pkr-exec")
    approve(coord, executive)
    for client in (coord, executive):  # approved and unchanged: publish offered, no warning
        page = client.get(f"{BASE}/").content.decode()
        assert PUBLISH_BUTTON in page and WARNING not in page
    Measure.objects.filter(pk=a_measure().pk).update(steps="ขั้นตอนที่แก้ไขหลังผู้บริหารอนุมัติ")

    page = coord.get(f"{BASE}/").content.decode()
    assert WARNING in page and PUBLISH_BUTTON not in page
    assert f'action="{BASE}/approve/"' not in page  # the coordinator cannot approve
    page = executive.get(f"{BASE}/").content.decode()
    assert WARNING in page and PUBLISH_BUTTON not in page
    assert "อนุมัติฉบับที่แก้ไขแล้ว" in page and f'action="{BASE}/approve/"' in page
    assert report().state == State.APPROVED  # opening the page changes nothing

    # The executive approves the new content: the warning goes and publishing is offered again.
    executive.post(f"{BASE}/approve/")
    r = report()
    assert r.state == State.APPROVED and r.events.first().action == ReportEvent.Action.APPROVED
    page = coord.get(f"{BASE}/").content.decode()
    assert WARNING not in page and PUBLISH_BUTTON in page
    services.report_publish_check(access=access_for(user("pkr-coord"), r.agency), report=r)  # holds: no refusal


@pytest.mark.django_db
def test_an_unchanged_approved_report_is_not_approved_twice():
    coord, executive = login("pkr-coord"), login("pkr-exec")
    approve(coord, executive)
    before = report().events.count()
    r = executive.post(f"{BASE}/approve/", follow=True)
    assert "รายงานฉบับนี้ผู้บริหารอนุมัติแล้ว" in r.content.decode()
    assert report().events.count() == before
