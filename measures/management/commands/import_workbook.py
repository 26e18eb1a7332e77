"""python manage.py import_workbook FILE [--agency CODE] [--dry-run]

Prints the preview (every row's status and every problem, in Thai) and exits non-zero when the
file has any problem; then nothing is written. Run by an administrator: an agency or questions
that the file has and the database lacks are created (a fresh database after `migrate` only).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from measures.workbook import workbook_import
from sheets.preview import preview_lines


class Command(BaseCommand):
    help = "นำเข้าสมุดงาน (xlsx) ของหน่วยงาน: แสดงตัวอย่างทุกแถว และบันทึกเฉพาะเมื่อทั้งไฟล์ถูกต้อง"

    def add_arguments(self, parser):
        parser.add_argument("file", help="ไฟล์ .xlsx")
        parser.add_argument("--agency", help="รหัสหน่วยงานที่ไฟล์ต้องเป็นของ (ไม่ระบุ: ตามไฟล์)")
        parser.add_argument("--year", type=int, help="ปีงบประมาณ พ.ศ. ที่ไฟล์ต้องเป็นของ (ไม่ระบุ: ตามไฟล์)")
        parser.add_argument("--dry-run", action="store_true", help="ตรวจสอบและแสดงตัวอย่างเท่านั้น ไม่บันทึก")
        parser.add_argument("--user", help="ชื่อผู้ใช้ที่บันทึกในประวัติการแก้ไข")

    def handle(self, *args, file, agency, year, dry_run, user, **options):
        target = None
        if agency:
            target = Agency.objects.filter(code=agency).first()
            if target is None:
                raise CommandError(f"ไม่พบหน่วยงานรหัส “{agency}”")
        who = None
        if user:
            who = get_user_model().objects.filter(username=user).first()
            if who is None:
                raise CommandError(f"ไม่พบผู้ใช้ “{user}”")
        preview = workbook_import(
            agency=target, year=year, file=file, dry_run=dry_run, user=who, allow_reference_data=True
        )
        for line in preview_lines(preview, changes=options["verbosity"] >= 1):
            self.stdout.write(line)
        if not preview.ok:
            raise CommandError(f"พบข้อผิดพลาด {len(preview.problems):,} รายการ ไม่ได้บันทึกข้อมูลใดเลย")
