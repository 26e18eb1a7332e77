"""Repair render jobs whose worker died, and queue jobs whose hand-over to the queue was lost.

    python manage.py sweep_render_jobs            # run by scripts/worker.sh between recycles, or cron

- A job still "running" longer than REPORT_RENDER_TIMEOUT + grace: its worker is gone (a live
  worker kills a render at the timeout). It is queued again while it has attempts left, else it
  fails; its task row, if still running, is marked failed.
- A job "queued" with no task for longer than --orphan-after: its on-commit hand-over was lost
  (the web process died between commit and enqueue). It is enqueued.
- A job "queued" whose task has already finished (a worker took another agency's job in its
  turn, reports/selectors_queue.py, and the hand-over of task ids was lost): it is enqueued again.
- Finished jobs older than --prune-days are deleted.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from reports.models import RenderJob
from reports.services import render_job_enqueue


class StaleTask(Exception):
    """A task whose worker stopped while it was running."""


def _task_rows():
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the backend's app is not installed
        return None
    return DBTaskResult


class Command(BaseCommand):
    help = "ซ่อมงานสร้างรายงานที่ค้าง (ผู้ประมวลผลหยุดทำงาน) และส่งงานที่ตกคิวเข้าคิวใหม่"

    def add_arguments(self, parser):
        parser.add_argument("--grace", type=int, default=60, help="seconds past the render timeout")
        parser.add_argument("--orphan-after", type=int, default=120, help="seconds a queued job may lack a task")
        parser.add_argument("--prune-days", type=int, default=30)

    def handle(self, *args, grace: int, orphan_after: int, prune_days: int, **opts):
        now = timezone.now()
        stale_before = now - datetime.timedelta(seconds=settings.REPORT_RENDER_TIMEOUT + grace)
        DBTaskResult = _task_rows()
        requeued = failed = orphans = finished = 0

        for job in RenderJob.objects.filter(state=RenderJob.JobState.RUNNING, started_at__lt=stale_before):
            with transaction.atomic():
                if DBTaskResult is not None and job.task_id:
                    for row in DBTaskResult.objects.select_for_update().filter(id=job.task_id, status="RUNNING"):
                        row.set_failed(StaleTask(f"render job {job.pk}: worker stopped"))
                if job.attempts < settings.REPORT_RENDER_MAX_ATTEMPTS:
                    n = RenderJob.objects.filter(pk=job.pk, state=RenderJob.JobState.RUNNING).update(
                        state=RenderJob.JobState.QUEUED, started_at=None, task_id=""
                    )
                    if n:
                        transaction.on_commit(lambda pk=job.pk: render_job_enqueue(pk))
                        requeued += 1
                else:
                    failed += RenderJob.objects.filter(pk=job.pk, state=RenderJob.JobState.RUNNING).update(
                        state=RenderJob.JobState.FAILED,
                        finished_at=now,
                        error="ผู้ประมวลผลหยุดทำงานระหว่างสร้างรายงานหลายครั้ง กรุณาลองใหม่หรือแจ้งผู้ดูแลระบบ",
                    )

        # Other tasks left running by a dead worker (not tied to a render job).
        if DBTaskResult is not None:
            for row in DBTaskResult.objects.filter(status="RUNNING", started_at__lt=stale_before):
                with transaction.atomic():
                    locked = DBTaskResult.objects.select_for_update(skip_locked=True).filter(pk=row.pk).first()
                    if locked is not None and locked.status == "RUNNING":
                        locked.set_failed(StaleTask("worker stopped"))

        orphan_before = now - datetime.timedelta(seconds=orphan_after)
        for job_id in RenderJob.objects.filter(
            state=RenderJob.JobState.QUEUED, task_id="", created_at__lt=orphan_before
        ).values_list("id", flat=True):
            render_job_enqueue(job_id)
            orphans += 1

        if DBTaskResult is not None:
            queued = dict(
                RenderJob.objects.filter(state=RenderJob.JobState.QUEUED)
                .exclude(task_id="")
                .values_list("task_id", "id")
            )
            done_tasks = DBTaskResult.objects.filter(id__in=list(queued), status__in=["SUCCESSFUL", "FAILED"])
            for task_id in done_tasks.values_list("id", flat=True):
                job_id = queued[str(task_id)]
                if RenderJob.objects.filter(pk=job_id, state=RenderJob.JobState.QUEUED, task_id=str(task_id)).update(
                    task_id=""
                ):
                    render_job_enqueue(job_id)
                    finished += 1

        pruned, _ = RenderJob.objects.filter(
            state__in=[RenderJob.JobState.DONE, RenderJob.JobState.FAILED],
            finished_at__lt=now - datetime.timedelta(days=prune_days),
        ).delete()
        self.stdout.write(
            f"requeued {requeued}, failed {failed}, orphans enqueued {orphans}, "
            f"queued-but-finished re-enqueued {finished}, pruned {pruned}"
        )
