"""Background rendering: web requests queue, workers render in a limited child, sweepers repair."""

import datetime
import io
import time

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from agencies.models import Agency
from assessments.models import FiscalYear
from reports import services, tasks
from reports.models import Kind, PublishedVersion, RenderJob, Report, State
from reports.selectors import report_get_or_default

from .conftest import login

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
BASE = "/a/pak-kran/reports/2567/annual"


@pytest.fixture
def db_queue(settings, monkeypatch):
    """The real queue: django-tasks-db rows, run by its worker in this process."""
    settings.TASKS = DB_BACKEND
    from django_tasks_db.management.commands import db_worker

    # The worker closes stale connections between tasks; here that would end the test's transaction.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run_worker():
        db_worker.Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="pytest-worker",
            excluded_queue_names=[],
        ).run()

    return run_worker


def _report(code="pak-kran", year=2567, kind="annual"):
    return report_get_or_default(
        agency=Agency.objects.get(code=code), year=FiscalYear.objects.get(be_year=year), kind=kind
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_preview_is_queued_then_rendered_by_a_real_worker(db_queue, monkeypatch, django_capture_on_commit_callbacks):
    def no_inline_render(*args, **kwargs):
        raise AssertionError("a web request rendered a PDF")

    c = login("pkr-coord")
    with monkeypatch.context() as m:  # the web requests must not render; the worker will
        m.setattr(services, "render_pdf", no_inline_render)
        with django_capture_on_commit_callbacks(execute=True):
            r = c.post(f"{BASE}/preview.pdf")
        assert r.status_code == 302
        r = c.get(f"{BASE}/preview.pdf")
        assert r.status_code == 202 and r["Refresh"] == "3"
        assert "กำลังสร้างรายงาน" in r.content.decode()
        job = RenderJob.objects.get(agency__code="pak-kran", purpose="preview")
        assert job.state == "queued" and job.task_id
        task_row = DBTaskResult.objects.get(id=job.task_id)
        assert task_row.status == "READY"
        with django_capture_on_commit_callbacks(execute=True):
            assert c.post(f"{BASE}/preview.pdf").status_code == 302  # asking again: the same job
        assert RenderJob.objects.filter(agency__code="pak-kran").count() == 1

    db_queue()
    job.refresh_from_db()
    task_row.refresh_from_db()
    assert job.state == "done", job.error
    assert task_row.status == "SUCCESSFUL" and task_row.return_value["job"] == job.pk
    assert job.peak_rss_kb and job.peak_rss_kb > 10_000  # measured in the render child
    r = c.get(f"{BASE}/preview.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")


@pytest.mark.slow
@pytest.mark.django_db
def test_publish_through_the_real_queue(db_queue, django_capture_on_commit_callbacks):
    coord, exec_ = login("pkr-coord"), login("pkr-exec")
    coord.post(f"{BASE}/submit/")
    exec_.post(f"{BASE}/approve/")
    with django_capture_on_commit_callbacks(execute=True):
        r = exec_.post(f"{BASE}/publish/", follow=True)
    assert "กำลังสร้างไฟล์ PDF ฉบับเผยแพร่" in r.content.decode()
    assert not PublishedVersion.objects.filter(report__agency__code="pak-kran").exists()  # not in the request
    assert "รอคิว" in exec_.get(f"{BASE}/").content.decode()
    db_queue()
    v = PublishedVersion.objects.get(report__agency__code="pak-kran", report__kind="annual")
    assert v.version == 1 and Report.objects.get(pk=v.report_id).state == State.PUBLISHED
    job = RenderJob.objects.get(agency__code="pak-kran", purpose="publish")
    assert job.state == "done" and job.version_id == v.pk
    assert "ฉบับที่ 1" in exec_.get(f"{BASE}/").content.decode()


@pytest.mark.django_db
def test_publish_is_refused_before_approval_without_queueing():
    r = login("pkr-exec").post(f"{BASE}/publish/", follow=True)
    assert "ต้องได้รับอนุมัติจากผู้บริหารก่อนเผยแพร่" in r.content.decode()
    assert not RenderJob.objects.exists()


def _job(purpose="preview", **fields) -> RenderJob:
    report = _report()
    return RenderJob.objects.create(agency=report.agency, year=report.year, kind=report.kind, purpose=purpose, **fields)


@pytest.mark.django_db
def test_a_render_past_its_time_limit_is_killed_and_the_job_fails():
    job = _job()

    def slow(context, **options):
        time.sleep(30)

    start = time.monotonic()
    with pytest.raises(tasks.RenderLimitExceeded):
        tasks.run_job(job.pk, renderer=tasks.IsolatedRenderer(timeout=1, render=slow))
    assert time.monotonic() - start < 10
    job.refresh_from_db()
    assert job.state == "failed" and "นานเกิน 1 วินาที" in job.error and job.attempts == 1


@pytest.mark.django_db
def test_a_render_past_its_memory_limit_is_stopped_and_the_job_fails():
    job = _job()

    def greedy(context, **options):
        blocks = []
        for _ in range(64):
            blocks.append(bytearray(64 * 1024 * 1024))  # 4 GiB in all, far past the limit
        return b""

    with pytest.raises(tasks.RenderLimitExceeded):
        tasks.run_job(job.pk, renderer=tasks.IsolatedRenderer(timeout=60, memory_mb=256, render=greedy))
    job.refresh_from_db()
    assert job.state == "failed" and "หน่วยความจำ" in job.error


@pytest.mark.django_db
def test_renderer_errors_reach_the_user_in_thai(django_capture_on_commit_callbacks, settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    def broken(context, **options):
        raise ValueError("fonts missing")

    c = login("pkr-coord")
    with monkeypatch.context() as m:
        m.setattr(tasks.rendering, "render_pdf", broken)  # looked up in the render child
        with django_capture_on_commit_callbacks(execute=True):
            c.post(f"{BASE}/preview.pdf")
    job = RenderJob.objects.get(agency__code="pak-kran")
    assert job.state == "failed" and "สร้างรายงานไม่สำเร็จ" in job.error and "fonts missing" in job.error
    r = c.get(f"{BASE}/preview.pdf")  # the same data failed: say so, offer to try again
    page = r.content.decode()
    assert r.status_code == 202 and "สร้างรายงานไม่สำเร็จ" in page and "ลองสร้างใหม่" in page
    assert "Refresh" not in r
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"{BASE}/preview.pdf")
    assert r.status_code == 302
    assert RenderJob.objects.filter(agency__code="pak-kran").count() == 2
    assert c.get(f"{BASE}/preview.pdf").status_code == 200  # rendered by the immediate backend


@pytest.mark.django_db
def test_sweeper_requeues_jobs_of_dead_workers_and_enqueues_lost_ones(settings, django_capture_on_commit_callbacks):
    settings.TASKS = DB_BACKEND
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.REPORT_RENDER_TIMEOUT + 3600)
    stale_task = DBTaskResult.objects.create(
        args_kwargs={"args": [0], "kwargs": {}}, task_path="reports.tasks.render_report", backend_name="default"
    )
    DBTaskResult.objects.filter(pk=stale_task.pk).update(status="RUNNING", started_at=long_ago)
    retry = _job(state="running", started_at=long_ago, attempts=1, task_id=str(stale_task.id))
    other = _job(purpose="publish", state="running", started_at=long_ago, attempts=settings.REPORT_RENDER_MAX_ATTEMPTS)
    lost = RenderJob.objects.create(
        agency=Agency.objects.get(code="khao-samo-khon"), year=retry.year, kind=Kind.ANNUAL, purpose="preview"
    )
    RenderJob.objects.filter(pk=lost.pk).update(created_at=long_ago)
    fresh = RenderJob.objects.create(
        agency=Agency.objects.get(code="ubon-pao"), year=retry.year, kind=Kind.ANNUAL, purpose="preview"
    )
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep_render_jobs", stdout=out)
    for job in (retry, other, lost, fresh):
        job.refresh_from_db()
    stale_task.refresh_from_db()
    assert stale_task.status == "FAILED" and "StaleTask" in stale_task.exception_class_path
    assert retry.state == "queued" and retry.task_id and retry.task_id != str(stale_task.id)
    assert other.state == "failed" and "ผู้ประมวลผลหยุดทำงาน" in other.error
    assert lost.state == "queued" and lost.task_id  # its on-commit hand-over was lost: enqueued now
    assert fresh.task_id == ""  # too young to be called lost
    assert "requeued 1, failed 1, orphans enqueued 1" in out.getvalue()


@pytest.mark.django_db
def test_render_all_queues_one_job_per_agency(settings, django_capture_on_commit_callbacks):
    settings.TASKS = DB_BACKEND
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("render_all", year=2567, kind="annual", stdout=out)
    n = Agency.objects.count()
    jobs = RenderJob.objects.filter(year__be_year=2567, kind="annual", purpose="preview")
    assert jobs.count() == n and all(j.task_id for j in jobs)
    assert DBTaskResult.objects.filter(status="READY").count() == n
    with django_capture_on_commit_callbacks(execute=True):
        call_command("render_all", year=2567, kind="annual", stdout=out)  # already queued: nothing new
    assert jobs.count() == n and DBTaskResult.objects.count() == n
    with django_capture_on_commit_callbacks(execute=True):
        call_command("render_all", year=2567, kind="six-month", limit=2, stdout=out)
    assert RenderJob.objects.filter(kind="six_month").count() == 2
