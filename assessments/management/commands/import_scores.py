"""python manage.py import_scores FILE [--dry-run]

A national score sheet (xlsx or csv): one row per agency × year × (overall | tool | indicator |
question) score, agencies matched by code. Prints the preview and exits non-zero on any problem;
then nothing is written.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from assessments.score_sheet import score_sheet_import
from sheets.preview import preview_lines


class Command(BaseCommand):
    help = "นำเข้าคะแนน ITA ระดับประเทศ/จังหวัด (xlsx หรือ csv) บันทึกเฉพาะเมื่อทั้งไฟล์ถูกต้อง"

    def add_arguments(self, parser):
        parser.add_argument("file", help="ไฟล์ .xlsx หรือ .csv")
        parser.add_argument("--dry-run", action="store_true", help="ตรวจสอบและแสดงตัวอย่างเท่านั้น ไม่บันทึก")
        parser.add_argument("--user", help="ชื่อผู้ใช้ที่บันทึกในประวัติการแก้ไข")

    def handle(self, *args, file, dry_run, user, **options):
        who = None
        if user:
            who = get_user_model().objects.filter(username=user).first()
            if who is None:
                raise CommandError(f"ไม่พบผู้ใช้ “{user}”")
        preview = score_sheet_import(file=file, dry_run=dry_run, user=who)
        verbosity = options["verbosity"]
        # Thousands of rows: list the rows that change only with -v 2, every row with -v 3.
        lines = preview_lines(preview, rows=verbosity >= 2, limit=None if verbosity >= 3 else 1000)
        for line in lines:
            self.stdout.write(line)
        if not preview.ok:
            raise CommandError(f"พบข้อผิดพลาด {len(preview.problems):,} รายการ ไม่ได้บันทึกข้อมูลใดเลย")
