from django.core.management.base import BaseCommand

from demo.publish import demo_publish_all
from demo.services import DEMO_PASSWORD, demo_load_all


class Command(BaseCommand):
    help = "โหลดข้อมูลตัวอย่าง: หน่วยงานตัวอย่าง 5 แห่งจากเอกสารจริง และผู้ใช้ตัวอย่างทุกบทบาท (เรียกซ้ำได้)"

    def add_arguments(self, parser):
        parser.add_argument(
            "--publish",
            action="store_true",
            help="เผยแพร่รายงานตัวอย่าง (สร้าง PDF จริง) และใส่หลักฐาน OIT ปี 2566 ให้หน่วยงานตัวอย่าง",
        )

    def handle(self, *args, **options):
        agencies = demo_load_all()
        for a in agencies:
            self.stdout.write(f"{a.code}: {a.name} — มาตรการ {a.measures.count()} รายการ")
        if options["publish"]:
            for agency, added in demo_publish_all():
                self.stdout.write(f"{agency.code}: หน้า OIT /p/{agency.code}/2566/oit/ — เพิ่มหลักฐาน {len(added)} รายการ")
        self.stdout.write(
            self.style.SUCCESS(f"โหลดข้อมูลตัวอย่างแล้ว {len(agencies)} หน่วยงาน (รหัสผ่านผู้ใช้ตัวอย่าง: {DEMO_PASSWORD})")
        )
