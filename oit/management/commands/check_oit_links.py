"""Check the OIT external evidence links (cron: every night) and record the results."""

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from oit.services import link_checks_run


class Command(BaseCommand):
    help = "ตรวจลิงก์หลักฐาน OIT ภายนอกทุกลิงก์ (หรือของหน่วยงาน/ปีที่ระบุ) และบันทึกผลพร้อมเวลา"

    def add_arguments(self, parser):
        parser.add_argument("--agency", help="รหัสหน่วยงาน")
        parser.add_argument("--year", type=int, help="ปีงบประมาณ พ.ศ.")

    def handle(self, *args, agency=None, year=None, **options):
        target = None
        if agency:
            target = Agency.objects.filter(code=agency).first()
            if target is None:
                raise CommandError(f"ไม่พบหน่วยงาน {agency}")
        checks = link_checks_run(agency=target, be_year=year)
        for c in checks:
            state = "ใช้ได้" if c.ok else f"ใช้ไม่ได้: {c.problem}"
            self.stdout.write(f"{c.url} — {state}")
        failed = sum(1 for c in checks if not c.ok)
        self.stdout.write(f"ตรวจ {len(checks)} ลิงก์ ใช้ไม่ได้ {failed} ลิงก์")
