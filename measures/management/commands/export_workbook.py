"""python manage.py export_workbook --agency CODE --year BE_YEAR --output FILE.xlsx [--template]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from assessments.models import FiscalYear
from measures.workbook import workbook_export


class Command(BaseCommand):
    help = "ส่งออกสมุดงาน (xlsx) ของหน่วยงานสำหรับปีงบประมาณหนึ่ง หรือแม่แบบเปล่า"

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="รหัสหน่วยงาน เช่น khao-samo-khon")
        parser.add_argument("--year", required=True, type=int, help="ปีงบประมาณ พ.ศ. เช่น 2567")
        parser.add_argument("--output", required=True, help="ไฟล์ปลายทาง .xlsx")
        parser.add_argument("--template", action="store_true", help="แม่แบบเปล่า (มีรายการให้เลือก) แทนข้อมูลปัจจุบัน")

    def handle(self, *args, agency, year, output, template, **options):
        found = Agency.objects.filter(code=agency).first()
        if found is None:
            raise CommandError(f"ไม่พบหน่วยงานรหัส “{agency}”")
        if year < 2400:
            raise CommandError(f"ปี {year} ดูเหมือนเป็นปี ค.ศ. กรุณาระบุปี พ.ศ. (เช่น {year + 543})")
        fiscal_year = FiscalYear.objects.filter(be_year=year).first()
        if fiscal_year is None:
            raise CommandError(f"ไม่มีปีงบประมาณ {year} ในระบบ")
        data = workbook_export(agency=found, year=fiscal_year, template=template)
        Path(output).write_bytes(data)
        what = "แม่แบบ" if template else "สมุดงาน"
        self.stdout.write(f"บันทึก{what}ของ {found.name} ปีงบประมาณ {year} ที่ {output} ({len(data):,} ไบต์)")
