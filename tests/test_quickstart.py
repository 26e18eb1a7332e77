"""The quick start does the main job: a draft waits for a worker, and says so when none comes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reports.models import RenderJob

from .conftest import login

BASE = "/a/pak-kran/reports/2567/annual"
NOTICE = "ยังไม่มีตัวประมวลผลรับงาน"


@pytest.mark.django_db
def test_the_waiting_page_says_when_no_worker_took_the_job_within_a_minute(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # queued; no worker runs
    c = login("pkr-coord")
    c.post(f"{BASE}/preview.pdf")
    r = c.get(f"{BASE}/preview.pdf")
    assert r.status_code == 202 and "กำลังสร้างรายงาน" in r.content.decode()
    assert NOTICE not in r.content.decode()  # just queued: a worker has a minute to take it
    job = RenderJob.objects.get(agency__code="pak-kran", purpose="preview")

    RenderJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=61))
    body = c.get(f"{BASE}/preview.pdf").content.decode()
    assert NOTICE in body and "scripts/worker.sh" in body

    # Taken by a worker (running), however long ago it was queued: no notice.
    RenderJob.objects.filter(pk=job.pk).update(state=RenderJob.JobState.RUNNING, started_at=timezone.now())
    assert NOTICE not in c.get(f"{BASE}/preview.pdf").content.decode()
