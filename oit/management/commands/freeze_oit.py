"""Freeze the OIT pages of a year as the assessors see them (cron on the assessment date)."""

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from assessments.models import FiscalYear
from oit.services import oit_snapshot_create


class Command(BaseCommand):
    help = "บันทึกภาพหน้า OIT ของปีที่ระบุ (ทุกหน่วยงานที่มีหลักฐาน หรือหน่วยงานที่ระบุ)"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="ปีงบประมาณ พ.ศ.")
        parser.add_argument("--agency", help="รหัสหน่วยงาน")

    def handle(self, *args, year, agency=None, **options):
        fy = FiscalYear.objects.filter(be_year=year).first()
        if fy is None:
            raise CommandError(f"ไม่พบปีงบประมาณ {year}")
        agencies = Agency.objects.filter(code=agency) if agency else Agency.objects.filter(oit_evidence__item__year=fy)
        for a in agencies.distinct().order_by("code"):
            snapshot = oit_snapshot_create(agency=a, year=fy)
            self.stdout.write(f"{a.code} {year}: ฉบับที่ {snapshot.number}")
