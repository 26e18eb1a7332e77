"""Background rendering: every PDF is made by a worker process, never inside a web request.

Web requests create a RenderJob and enqueue `render_report` when their transaction commits
(services.render_job_request). A worker (`scripts/worker.sh`: django-tasks-db's `db_worker`,
recycled after N jobs) runs the task, which takes the queued job that is fairest between
agencies (selectors_queue), not necessarily the one it was queued for. It reads the report's
context from the database, then forks a child that only renders (rendering.render_pdf touches
no database) under an address-space and CPU-time limit, and a wall-clock limit enforced by the
parent. A child that overruns is killed; the job fails with a Thai message and the worker goes
on. `sweep_render_jobs` repairs jobs whose worker died.
"""

import logging
import os
import resource
import select
import signal
import tempfile
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from . import rendering
from .models import RenderJob
from .selectors_queue import render_job_next_id

logger = logging.getLogger(__name__)

# Exit codes of the render child.
_OK, _ERROR, _MEMORY = 0, 2, 3


class RenderLimitExceeded(Exception):
    """The render ran past its time or memory limit and was stopped."""


class RenderFailed(Exception):
    """The renderer raised; the message is the renderer's."""


def _address_space() -> int:
    """This process's virtual size in bytes (what RLIMIT_AS counts)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * resource.getpagesize()


def _limits(timeout: int, memory_mb: int) -> None:
    """Applied in the child only: the worker itself keeps its own limits.

    The memory limit is what the render may add to the address space it inherits from the worker:
    a process with many threads (a threaded dev server, a test run) starts far larger than a
    worker, and the render's own growth is what must be bounded.
    """
    memory = _address_space() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (timeout, timeout + 5))


def _wait(pid: int, timeout: float):
    """Wait for the child for at most `timeout` seconds: (status, rusage, timed_out)."""
    deadline = time.monotonic() + timeout
    pidfd = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = None
    try:
        while True:
            wpid, status, usage = os.wait4(pid, os.WNOHANG)
            if wpid:
                return status, usage, False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                _, status, usage = os.wait4(pid, 0)
                return status, usage, True
            if pidfd is not None:
                select.select([pidfd], [], [], remaining)
            else:
                time.sleep(min(0.02, remaining))
    finally:
        if pidfd is not None:
            os.close(pidfd)


class IsolatedRenderer:
    """render_pdf in a forked child with limits; remembers the child's peak memory (KB)."""

    def __init__(self, *, timeout: int | None = None, memory_mb: int | None = None, render=None):
        self.timeout = timeout or settings.REPORT_RENDER_TIMEOUT
        self.memory_mb = memory_mb or settings.REPORT_RENDER_MEMORY_MB
        self.render = render  # for tests; None = rendering.render_pdf, looked up in the child
        self.peak_rss_kb: int | None = None

    def __call__(self, context: dict, **options) -> bytes:
        fd, out_path = tempfile.mkstemp(prefix="ita-render-", suffix=".pdf")
        os.close(fd)
        err_path = out_path + ".err"
        pid = os.fork()
        if pid == 0:  # the child: render, write the file, leave without running any cleanup
            code = _ERROR
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                _limits(self.timeout, self.memory_mb)
                pdf = (self.render or rendering.render_pdf)(context, **options)
                with open(out_path, "wb") as fh:
                    fh.write(pdf)
                code = _OK
            except MemoryError:
                code = _MEMORY
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                try:
                    with open(err_path, "w", encoding="utf-8") as fh:
                        fh.write(f"{type(exc).__name__}: {exc}"[:2000])
                except BaseException:  # noqa: BLE001
                    pass
            finally:
                os._exit(code)
        try:
            status, usage, timed_out = _wait(pid, self.timeout)
            self.peak_rss_kb = usage.ru_maxrss
            if timed_out or (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU):
                raise RenderLimitExceeded(f"สร้างรายงานนานเกิน {self.timeout} วินาที ระบบจึงหยุดการสร้าง")
            if os.WIFSIGNALED(status):
                raise RenderLimitExceeded(
                    f"การสร้างรายงานหยุดกลางคัน (สัญญาณ {os.WTERMSIG(status)}) อาจใช้หน่วยความจำเกิน {self.memory_mb} MB"
                )
            code = os.WEXITSTATUS(status)
            if code == _MEMORY:
                raise RenderLimitExceeded(f"สร้างรายงานใช้หน่วยความจำเกินกำหนด ({self.memory_mb} MB) ระบบจึงหยุดการสร้าง")
            if code != _OK:
                message = ""
                if os.path.exists(err_path):
                    with open(err_path, encoding="utf-8") as fh:
                        message = fh.read()
                raise RenderFailed(message or f"การสร้างรายงานล้มเหลว (รหัส {code})")
            with open(out_path, "rb") as fh:
                return fh.read()
        finally:
            for path in (out_path, err_path):
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass


def _claim(job_id: int) -> RenderJob | None:
    claimed = RenderJob.objects.filter(pk=job_id, state=RenderJob.JobState.QUEUED).update(
        state=RenderJob.JobState.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return RenderJob.objects.select_related("agency", "year", "requested_by").get(pk=job_id)


def _user_message(exc: BaseException) -> str:
    from .services import ServiceError

    if isinstance(exc, RenderLimitExceeded | ServiceError):
        return str(exc)
    if isinstance(exc, RenderFailed | rendering.ReportRenderError):
        return f"สร้างรายงานไม่สำเร็จ: {exc}"
    return "สร้างรายงานไม่สำเร็จ เกิดข้อผิดพลาดภายในระบบ กรุณาลองใหม่หรือแจ้งผู้ดูแลระบบ"


def run_job(job_id: int, *, renderer: IsolatedRenderer | None = None, task_id: str = "") -> dict:
    """Render one job; the task below and tests call this. `task_id`: the task that renders it,
    when that task was queued for another job (run_next)."""
    from . import services
    from .selectors import report_get_or_default

    job = _claim(job_id)
    if job is None:  # done, failed or claimed by another worker meanwhile
        return {"job": job_id, "skipped": True}
    if task_id:
        _take_turn(task_id, job_id)
    renderer = renderer or IsolatedRenderer()
    try:
        report = report_get_or_default(agency=job.agency, year=job.year, kind=job.kind)
        updates = {}
        if job.purpose == RenderJob.Purpose.PUBLISH:
            version = services.report_publish_render_and_store(report=report, user=job.requested_by, render=renderer)
            updates = {"version": version, "data_hash": version.data_hash, "pdf_path": version.pdf.name}
        else:
            _, digest, path = services.report_render_cached(report=report, render=renderer)
            updates = {"data_hash": digest, "pdf_path": path}
    except BaseException as exc:
        RenderJob.objects.filter(pk=job.pk).update(
            state=RenderJob.JobState.FAILED,
            error=_user_message(exc),
            finished_at=timezone.now(),
            peak_rss_kb=renderer.peak_rss_kb,
        )
        logger.warning("render job %s failed: %s", job.pk, exc)
        raise
    RenderJob.objects.filter(pk=job.pk).update(
        state=RenderJob.JobState.DONE,
        error="",
        finished_at=timezone.now(),
        peak_rss_kb=renderer.peak_rss_kb,
        **updates,
    )
    worker_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"job": job_id, "peak_rss_kb": renderer.peak_rss_kb, "worker_peak_rss_kb": worker_rss}


def _take_turn(task_id: str, job_id: int) -> None:
    """This task renders `job_id`, queued for another task: swap the two jobs' task ids.

    The job this task was queued for keeps waiting, now on the other job's task (still queued),
    so the sweeper's rule "a queued job's task must not have finished" stays true.
    """
    with transaction.atomic():
        taken = RenderJob.objects.filter(pk=job_id).values_list("task_id", flat=True).first() or ""
        RenderJob.objects.filter(task_id=task_id, state=RenderJob.JobState.QUEUED).exclude(pk=job_id).update(
            task_id=taken
        )
        RenderJob.objects.filter(pk=job_id).update(task_id=task_id)


def run_next(task_id: str = "", *, renderer: IsolatedRenderer | None = None) -> dict:
    """Render the queued job that is next in the fair order (selectors_queue), not simply the
    job this task was queued for: every job has one task, and every task renders one job."""
    for _ in range(5):  # another worker may claim the same job first: pick again
        job_id = render_job_next_id()
        if job_id is None:
            return {"skipped": True}
        result = run_job(job_id, renderer=renderer, task_id=task_id)
        if not result.get("skipped"):
            return result
    return {"skipped": True}


@task(queue_name="default", takes_context=True)
def render_report(context, job_id: int) -> dict:
    # job_id is the job this task was queued for; the worker takes whichever job is fairest.
    return run_next(str(context.task_result.id))
