"""Queue a draft PDF of one report for every agency (or a subset), for the workers to render.

    python manage.py render_all --year 2567 --kind annual
    python manage.py render_all --year 2567 --kind six-month --province ลพบุรี --limit 100

Jobs are created in bulk and handed to the task queue when the transaction commits; an agency
whose report is already queued or running is skipped. Workers (scripts/worker.sh) do the rest.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agencies.models import Agency
from assessments.models import FiscalYear
from reports.models import Kind, RenderJob
from reports.services import render_job_enqueue

KINDS = {"annual": Kind.ANNUAL, "six-month": Kind.SIX_MONTH, "analysis": Kind.ANALYSIS}


class Command(BaseCommand):
    help = "ส่งงานสร้างรายงาน (ฉบับร่าง PDF) ของทุกหน่วยงานเข้าคิว ให้ผู้ประมวลผลเบื้องหลังสร้าง"

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, type=int, help="ปีงบประมาณ พ.ศ.")
        parser.add_argument("--kind", required=True, choices=sorted(KINDS))
        parser.add_argument("--province", default="")
        parser.add_argument("--limit", type=int, default=0, help="at most this many agencies (benchmarks)")
        parser.add_argument("--real-only", action="store_true", help="leave synthetic agencies out")

    def handle(self, *args, year: int, kind: str, province: str, limit: int, real_only: bool, **opts):
        fy = FiscalYear.objects.filter(be_year=year).first()
        if fy is None:
            raise CommandError(f"ไม่พบปีงบประมาณ {year}")
        kind = KINDS[kind]
        agencies = Agency.objects.order_by("id")
        if province:
            agencies = agencies.filter(province=province)
        if real_only:
            agencies = agencies.filter(is_synthetic=False)
        ids = list(agencies.values_list("id", flat=True)[: limit or None])
        started = time.monotonic()
        with transaction.atomic():
            RenderJob.objects.bulk_create(
                [RenderJob(agency_id=i, year=fy, kind=kind, purpose=RenderJob.Purpose.PREVIEW) for i in ids],
                batch_size=2000,
                ignore_conflicts=True,  # an active job for the same report already exists
            )
            queued = list(
                RenderJob.objects.filter(
                    agency_id__in=ids,
                    year=fy,
                    kind=kind,
                    purpose=RenderJob.Purpose.PREVIEW,
                    state=RenderJob.JobState.QUEUED,
                    task_id="",
                ).values_list("id", flat=True)
            )

            def enqueue_all():
                for job_id in queued:
                    render_job_enqueue(job_id)

            transaction.on_commit(enqueue_all)
        self.stdout.write(
            self.style.SUCCESS(
                f"ส่งเข้าคิว {len(queued):,} งาน จาก {len(ids):,} หน่วยงาน ({time.monotonic() - started:.1f} s)"
            )
        )
