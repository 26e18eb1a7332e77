"""Start a year's OIT list from another year's (each item names its predecessor); edit it on the national OIT page."""

from django.core.management.base import BaseCommand, CommandError

from assessments.models import FiscalYear
from oit.services import ServiceError
from oit.services_items import oit_items_copy


class Command(BaseCommand):
    help = "คัดลอกรายการข้อ OIT จากปีหนึ่งไปเป็นจุดเริ่มต้นของอีกปี (แต่ละข้อชี้ไปยังข้อเดิมของปีก่อน)"

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", type=int, required=True, help="ปีต้นทาง (พ.ศ.)")
        parser.add_argument("--to", dest="target", type=int, required=True, help="ปีปลายทาง (พ.ศ.)")

    def handle(self, *args, source, target, **options):
        years = {y.be_year: y for y in FiscalYear.objects.filter(be_year__in=[source, target])}
        for be_year in (source, target):
            if be_year not in years:
                raise CommandError(f"ไม่พบปีงบประมาณ {be_year}")
        try:
            items = oit_items_copy(source=years[source], target=years[target])
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"คัดลอก {len(items)} ข้อ จากปี {source} ไปปี {target}")
