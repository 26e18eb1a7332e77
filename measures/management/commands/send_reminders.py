"""Queue today's reporting reminders (round opening, days before the due date, overdue).

python manage.py send_reminders                 # once, e.g. from cron every morning
python manage.py send_reminders --loop 3600     # every hour (scripts/start.sh)
python manage.py send_reminders --date 30/04/2567   # as if it were that day (พ.ศ.)

Safe to run as often as wanted: each reminder has a dedupe key per division, kind and day, so
it is queued once; the outbox sender (send_outbox, deliver_outbox) delivers it.
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from ita_portal.thai import BEDateError, parse_be_date
from measures.services_reminders import reminders_send_due

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "ส่งการแจ้งเตือนการรายงานผลของวันนี้เข้ากล่องข้อความขาออก (เปิดรอบ ก่อนครบกำหนด และเลยกำหนด)"

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=0, help="run again every this many seconds")
        parser.add_argument("--date", default="", help="the day to compute, วว/ดด/ปปปป (พ.ศ.); default today")

    def handle(self, *args, loop: float, date: str, **options):
        try:
            today = parse_be_date(date) if date else None
        except BEDateError as exc:
            raise CommandError(str(exc)) from exc
        stop = []
        if loop:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.append(True))
        while True:
            if not loop:
                summary = reminders_send_due(today=today)
            else:
                close_old_connections()
                try:
                    summary = reminders_send_due(today=today)
                except Exception:  # noqa: BLE001 - logged; the next round tries again
                    logger.exception("send_reminders round failed")
                    summary = None
            if summary and (options["verbosity"] > 1 or summary.queued or not loop):
                self.stdout.write(str(summary))
            if not loop:
                return
            waited = 0.0
            while waited < loop and not stop:
                time.sleep(min(0.5, loop - waited))
                waited += 0.5
            if stop:
                return
