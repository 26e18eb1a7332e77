"""The render queue is fair between agencies; a page view queues nothing; retries are capped."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from agencies.models import Agency
from assessments.models import FiscalYear
from reports import services, tasks
from reports.models import Kind, RenderJob
from reports.selectors_queue import render_job_next_id, render_job_pick_order

from .conftest import login

BASE = "/a/pak-kran/reports/2567/annual"
DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _queue(code: str, kind: str, be_year: int = 2567) -> RenderJob:
    return RenderJob.objects.create(
        agency=Agency.objects.get(code=code), year=FiscalYear.objects.get(be_year=be_year), kind=kind, purpose="preview"
    )


def _start(job: RenderJob) -> None:
    RenderJob.objects.filter(pk=job.pk).update(state="running", started_at=timezone.now())


def _finish(job: RenderJob, state: str = "failed") -> None:
    RenderJob.objects.filter(pk=job.pk).update(state=state, finished_at=timezone.now())


@pytest.mark.django_db
def test_another_agencys_draft_waits_behind_at_most_one_render_of_a_flooding_agency():
    flood = [_queue("pak-kran", kind) for kind in Kind.values]  # slow or pathological, queued first
    flood += [_queue("pak-kran", kind, 2566) for kind in Kind.values]
    draft = _queue("khao-samo-khon", Kind.ANNUAL)  # queued last

    # Two workers free: one takes the flood's oldest, the other the draft, not the flood's second.
    assert render_job_next_id() == flood[0].pk
    _start(flood[0])
    assert render_job_next_id() == draft.pk
    # The order is round-robin between agencies, the flood's own jobs keeping their order.
    assert render_job_pick_order() == [draft.pk] + [j.pk for j in flood[1:]]


@pytest.mark.django_db
def test_one_worker_takes_the_waiting_agency_after_a_failed_render_and_its_retry():
    flood = [_queue("pak-kran", kind) for kind in Kind.values]
    assert render_job_next_id() == flood[0].pk
    _start(flood[0])
    draft = _queue("khao-samo-khon", Kind.ANNUAL)
    _finish(flood[0])  # the render overran and failed; the agency queues it again at once
    retry = _queue("pak-kran", Kind.ANNUAL)
    assert render_job_next_id() == draft.pk  # A's last render started later than B's none
    _start(draft)
    _finish(draft, "done")
    assert render_job_pick_order() == [flood[1].pk, flood[2].pk, retry.pk]


@pytest.mark.django_db
def test_the_worker_renders_in_fair_order_through_the_real_queue(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    """Tasks are first-in first-out; each renders the fairest job and hands its own over."""
    settings.TASKS = DB_BACKEND

    class Fake:  # no fork, no PDF: only the order matters here
        peak_rss_kb = 1

        def __call__(self, context, **options):
            return b"%PDF-fake"

    monkeypatch.setattr(tasks, "IsolatedRenderer", Fake)
    with django_capture_on_commit_callbacks(execute=True):
        flood = [
            services.render_job_request(report=_report("pak-kran", kind), purpose="preview") for kind in Kind.values
        ]
        draft = services.render_job_request(report=_report("khao-samo-khon", Kind.ANNUAL), purpose="preview")
    task_order = list(DBTaskResult.objects.order_by("enqueued_at").values_list("id", flat=True))
    assert len(task_order) == 4
    for task_id in task_order:  # what db_worker does: the oldest task first
        tasks.run_next(str(task_id))
    jobs = {j.pk: j for j in RenderJob.objects.all()}
    assert all(j.state == "done" for j in jobs.values())
    by_start = sorted(jobs.values(), key=lambda j: (j.started_at, j.pk))
    assert [j.pk for j in by_start][:2] == [flood[0].pk, draft.pk]
    # Every job was rendered by exactly one task, and no queued job is left on a finished task.
    assert len({j.task_id for j in jobs.values()}) == 4


def _report(code: str, kind: str):
    from reports.selectors import report_get_or_default

    return report_get_or_default(
        agency=Agency.objects.get(code=code), year=FiscalYear.objects.get(be_year=2567), kind=kind
    )


@pytest.mark.django_db
def test_opening_a_draft_preview_queues_nothing_and_queueing_needs_a_post_with_csrf(settings):
    settings.TASKS = DB_BACKEND
    c = login("pkr-coord")
    r = c.get(f"{BASE}/preview.pdf")
    assert r.status_code == 200 and "สร้างฉบับร่าง" in r.content.decode()
    assert not RenderJob.objects.exists() and not DBTaskResult.objects.exists()

    strict = Client(enforce_csrf_checks=True)
    strict.cookies = c.cookies
    assert strict.post(f"{BASE}/preview.pdf").status_code == 403
    assert not RenderJob.objects.exists()

    assert c.post(f"{BASE}/preview.pdf").status_code == 302
    assert RenderJob.objects.filter(agency__code="pak-kran", purpose="preview", state="queued").count() == 1


def _fail_current_draft(c: Client) -> str:
    c.post(f"{BASE}/preview.pdf")
    job = RenderJob.objects.filter(agency__code="pak-kran", purpose="preview").order_by("-id").first()
    _finish(job)
    return job.data_hash


@pytest.mark.django_db
def test_only_the_coordinator_may_retry_a_failed_draft_and_only_a_few_times(settings):
    settings.TASKS = DB_BACKEND  # queued, never rendered: the test fails the jobs itself
    settings.REPORT_RENDER_MAX_RETRIES = 2
    coord, exec_ = login("pkr-coord"), login("pkr-exec")
    _fail_current_draft(coord)

    page = exec_.get(f"{BASE}/preview.pdf").content.decode()
    assert "สร้างรายงานไม่สำเร็จ" in page and "ลองสร้างใหม่" not in page
    r = exec_.post(f"{BASE}/preview.pdf", follow=True)
    assert "เฉพาะผู้ประสานงาน ITA" in r.content.decode()
    assert RenderJob.objects.count() == 1  # the executive's retry queued nothing

    assert "ลองสร้างใหม่" in coord.get(f"{BASE}/preview.pdf").content.decode()
    _fail_current_draft(coord)  # retry 1
    _fail_current_draft(coord)  # retry 2
    assert RenderJob.objects.count() == 3
    r = coord.post(f"{BASE}/preview.pdf", follow=True)
    assert "ไม่สำเร็จครบ 3 ครั้งแล้ว" in r.content.decode()
    assert RenderJob.objects.count() == 3 and not RenderJob.objects.filter(state__in=RenderJob.ACTIVE).exists()


@pytest.mark.django_db
def test_the_sweeper_gives_a_queued_job_whose_task_finished_a_new_task(settings, django_capture_on_commit_callbacks):
    """A task that rendered another agency's job in its turn must not leave its own job stranded."""
    settings.TASKS = DB_BACKEND
    with django_capture_on_commit_callbacks(execute=True):
        job = services.render_job_request(report=_report("pak-kran", Kind.ANNUAL), purpose="preview")
    job.refresh_from_db()
    DBTaskResult.objects.filter(id=job.task_id).update(status="SUCCESSFUL", finished_at=timezone.now())
    old = job.task_id
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep_render_jobs", stdout=io.StringIO())
    job.refresh_from_db()
    assert job.state == "queued" and job.task_id and job.task_id != old
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"


@pytest.mark.django_db
def test_a_done_draft_whose_pdf_is_gone_offers_a_new_draft_not_a_failure(settings):
    settings.TASKS = DB_BACKEND
    c = login("pkr-coord")
    c.post(f"{BASE}/preview.pdf")
    job = RenderJob.objects.get(agency__code="pak-kran", purpose="preview")
    _finish(job, "done")  # rendered, but its file is not in storage (purged, another bucket)
    r = c.get(f"{BASE}/preview.pdf")
    page = r.content.decode()
    assert r.status_code == 200 and "สร้างฉบับร่าง" in page and "ไม่สำเร็จ" not in page


@pytest.mark.django_db
def test_a_failing_publication_is_retried_only_a_few_times_after_its_approval(settings):
    settings.TASKS = DB_BACKEND  # queued, never rendered: the test fails the jobs itself
    settings.REPORT_RENDER_MAX_RETRIES = 1
    coord, exec_ = login("pkr-coord"), login("pkr-exec")
    coord.post(f"{BASE}/submit/")
    exec_.post(f"{BASE}/approve/")
    for _ in range(2):  # the first try and one retry
        exec_.post(f"{BASE}/publish/")
        _finish(RenderJob.objects.filter(agency__code="pak-kran", purpose="publish").latest("id"))
    r = exec_.post(f"{BASE}/publish/", follow=True)
    assert "ไม่สำเร็จครบ 2 ครั้งแล้ว" in r.content.decode()
    assert RenderJob.objects.filter(purpose="publish").count() == 2
    assert not RenderJob.objects.filter(state__in=RenderJob.ACTIVE).exists()
