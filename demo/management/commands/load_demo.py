from django.core.management.base import BaseCommand

from demo.services import DEMO_PASSWORD, demo_load_all


class Command(BaseCommand):
    help = "โหลดข้อมูลตัวอย่าง: หน่วยงานตัวอย่าง 5 แห่งจากเอกสารจริง และผู้ใช้ตัวอย่างทุกบทบาท (เรียกซ้ำได้)"

    def handle(self, *args, **options):
        agencies = demo_load_all()
        for a in agencies:
            self.stdout.write(f"{a.code}: {a.name} — มาตรการ {a.measures.count()} รายการ")
        self.stdout.write(
            self.style.SUCCESS(f"โหลดข้อมูลตัวอย่างแล้ว {len(agencies)} หน่วยงาน (รหัสผ่านผู้ใช้ตัวอย่าง: {DEMO_PASSWORD})")
        )
