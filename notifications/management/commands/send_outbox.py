"""Deliver the outbox's due messages: once (cron), or every N seconds with --loop.

python manage.py send_outbox              # once, e.g. from cron every minute
python manage.py send_outbox --loop 30    # forever, every 30 s (scripts/start.sh, systemd)
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from notifications.delivery import outbox_deliver_due

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "ส่งข้อความในกล่องข้อความขาออกที่ถึงเวลาส่ง (อีเมลและ LINE) และกำหนดเวลาส่งใหม่ให้ข้อความที่ส่งไม่สำเร็จ"

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=0, help="run again every this many seconds")
        parser.add_argument("--limit", type=int, default=500)

    def handle(self, *args, loop: float, limit: int, **options):
        stop = []
        if loop:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.append(True))
        while True:
            if not loop:
                summary = outbox_deliver_due(limit=limit)
            else:
                # A long-lived loop: a fresh connection when the old one broke (database restarted),
                # and an error in one round is logged, not fatal.
                close_old_connections()
                try:
                    summary = outbox_deliver_due(limit=limit)
                except Exception:  # noqa: BLE001
                    logger.exception("send_outbox round failed")
                    summary = None
            if summary and (options["verbosity"] > 1 or summary.sent or summary.retrying or summary.failed):
                self.stdout.write(str(summary))
            if not loop:
                return
            waited = 0.0
            while waited < loop and not stop:
                time.sleep(min(0.5, loop - waited))
                waited += 0.5
            if stop:
                return
