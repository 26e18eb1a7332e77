"""A report's review in the browser: the coordinator proposes it, the executive sends it back
with a comment, and the coordinator sees who sent it back, when and why, and is told by e-mail."""

from django.contrib.auth import get_user_model
from django.core import mail

from notifications.delivery import outbox_deliver_due
from reports.models import Report, State

from .conftest import E2E, KSK

pytestmark = E2E

COMMENT = "กรุณาเพิ่มภาพประกอบกิจกรรมประชุมประชาคม และแก้ชื่อผู้ลงนาม"
REPORT = f"/a/{KSK}/reports/2567/annual/"


def test_the_executive_sends_a_report_back_with_a_comment_and_the_coordinator_sees_it(people, settings):
    # Web requests only queue; the sender (here, this test) delivers.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    get_user_model().objects.filter(username="ksk-coord").update(email="coord@example.org")
    coordinator = people("ksk-coord")
    coordinator.goto(REPORT)
    with coordinator.page.expect_navigation():
        coordinator.page.get_by_role("button", name="เสนอผู้บริหาร").click()
    assert "เสนอรายงานต่อผู้บริหารแล้ว" in coordinator.page.content()

    executive = people("ksk-exec")
    page = executive.page
    executive.goto(REPORT)
    page.get_by_text("ส่งกลับเพื่อแก้ไข", exact=True).click()  # opens the disclosure
    page.get_by_label("เหตุผลหรือสิ่งที่ต้องแก้ไข").fill(COMMENT)
    with page.expect_navigation():
        page.get_by_role("button", name="ส่งกลับพร้อมความเห็น").click()
    assert "ส่งรายงานกลับเป็นฉบับร่างเพื่อแก้ไขแล้ว" in page.content()
    assert Report.objects.get(agency__code=KSK, year__be_year=2567, kind="annual").state == State.DRAFT

    coordinator.goto(REPORT)
    note = coordinator.page.get_by_role("note")
    text = note.inner_text()
    assert "ส่งกลับเพื่อแก้ไข โดย ผู้บริหาร (ตัวอย่าง) เมื่อ" in text and COMMENT in text
    assert "ฉบับร่าง" in coordinator.page.content()
    assert coordinator.axe() == []

    outbox_deliver_due()
    [notice] = [m for m in mail.outbox if m.to == ["coord@example.org"]]
    assert notice.subject.endswith("ถูกส่งกลับเพื่อแก้ไข") and COMMENT in notice.body
