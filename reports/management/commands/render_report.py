import argparse

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from assessments.models import FiscalYear
from reports.docx_export import render_docx
from reports.models import COLUMNS, Grouping
from reports.rendering import render_pdf
from reports.selectors import report_context, report_get_or_default

KINDS = {"annual": "annual", "six-month": "six_month", "analysis": "analysis"}


class Command(BaseCommand):
    help = "เรนเดอร์รายงานฉบับร่างเป็น PDF หรือ DOCX จากข้อมูลปัจจุบัน (ใช้รูปแบบที่หน่วยงานบันทึกไว้ หรือค่าที่ระบุ)"

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="รหัสหน่วยงาน เช่น khao-samo-khon")
        parser.add_argument("--year", required=True, type=int, help="ปีงบประมาณ พ.ศ. ที่รายงานกล่าวถึง")
        parser.add_argument("--kind", required=True, choices=sorted(KINDS))
        parser.add_argument("--output", required=True, help="ไฟล์ .pdf หรือ .docx (Word แก้ไขได้)")
        parser.add_argument("--grouping", choices=Grouping.values)
        parser.add_argument("--columns", help="คั่นด้วยจุลภาค จาก: " + ",".join(COLUMNS))
        parser.add_argument("--thai-digits", action="store_true", default=None)
        parser.add_argument("--arabic-digits", dest="thai_digits", action="store_false")
        parser.add_argument("--no-cover", action="store_true")
        parser.add_argument("--photos", action=argparse.BooleanOptionalAction)
        parser.add_argument("--score-table", action=argparse.BooleanOptionalAction)
        parser.add_argument("--score-chart", action=argparse.BooleanOptionalAction)

    def handle(self, *args, **o):
        if o["year"] < 2400:
            raise CommandError(f"--year {o['year']} ดูเหมือนเป็นปี ค.ศ. กรุณาใช้ปี พ.ศ. (เช่น {o['year'] + 543})")
        agency = Agency.objects.filter(code=o["agency"]).first()
        if agency is None:
            raise CommandError(f"ไม่พบหน่วยงานรหัส {o['agency']}")
        year = FiscalYear.objects.filter(be_year=o["year"]).first()
        if year is None:
            raise CommandError(f"ไม่พบปีงบประมาณ {o['year']}")
        report = report_get_or_default(agency=agency, year=year, kind=KINDS[o["kind"]])
        if o["grouping"]:
            report.grouping = o["grouping"]
        if o["columns"]:
            cols = [c.strip() for c in o["columns"].split(",")]
            unknown = [c for c in cols if c not in COLUMNS]
            if unknown:
                raise CommandError(f"ไม่รู้จักคอลัมน์: {', '.join(unknown)}")
            report.columns = cols
        if o["thai_digits"] is not None:
            report.thai_digits = o["thai_digits"]
        if o["no_cover"]:
            report.show_cover = False
        for opt, field in (
            ("photos", "show_photos"),
            ("score_table", "show_score_table"),
            ("score_chart", "show_score_chart"),
        ):
            if o[opt] is not None:
                setattr(report, field, o[opt])
        context = report_context(report=report)
        data = render_docx(context) if o["output"].lower().endswith(".docx") else render_pdf(context)
        with open(o["output"], "wb") as fh:
            fh.write(data)
        self.stdout.write(self.style.SUCCESS(f"{o['output']}: {len(data):,} ไบต์"))
