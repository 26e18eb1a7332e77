"""A report's review: submitted, sent back with a comment (kept and shown), approved, published;
each step queues a notice to the people concerned (executives or coordinators)."""

import pytest
from django.urls import reverse

from agencies.access import access_for
from agencies.models import Agency
from assessments.models import FiscalYear
from notifications.models import OutboundMessage
from reports import services
from reports.models import COMMENT_MAX, Report, ReportEvent, State
from reports.selectors import report_get_or_default

from .conftest import login
from .test_notifications import KSK, user

COMMENT = "ตารางผลการดำเนินการยังไม่ครบ กรุณาเพิ่มภาพกิจกรรมประชุมประชาคม"


def action_url(action: str) -> str:
    return reverse("reports:action", kwargs={"code": KSK, "be_year": 2567, "kind": "annual", "action": action})


def detail_url() -> str:
    return reverse("reports:detail", kwargs={"code": KSK, "be_year": 2567, "kind": "annual"})


def report() -> Report:
    return Report.objects.get(agency__code=KSK, year__be_year=2567, kind="annual")


def notices(username: str):
    return OutboundMessage.objects.filter(agency__code=KSK, recipient__username=username)


@pytest.mark.django_db
def test_the_executive_sends_a_report_back_with_a_comment_the_coordinator_sees_it_and_is_told():
    coord, executive = login("ksk-coord"), login("ksk-exec")
    assert coord.post(action_url("submit")).status_code == 302
    assert report().state == State.SUBMITTED
    [to_exec] = notices("ksk-exec")
    assert to_exec.subject == "รายงานผลการดำเนินการประจำปี ปีงบประมาณ 2567 เสนอให้ผู้บริหารพิจารณา"
    assert f"/a/{KSK}/reports/2567/annual/" in to_exec.body

    page = executive.get(detail_url()).content.decode()
    assert "ส่งกลับเพื่อแก้ไข" in page and 'name="comment"' in page
    r = executive.post(action_url("send_back"), {"comment": f"  {COMMENT}  "}, follow=True)
    assert "ส่งรายงานกลับเป็นฉบับร่างเพื่อแก้ไขแล้ว" in r.content.decode()
    assert report().state == State.DRAFT
    event = report().events.first()
    assert (event.action, event.user.username, event.comment) == (ReportEvent.Action.SENT_BACK, "ksk-exec", COMMENT)

    [to_coord] = notices("ksk-coord")
    assert to_coord.subject == "รายงานผลการดำเนินการประจำปี ปีงบประมาณ 2567 ถูกส่งกลับเพื่อแก้ไข"
    assert COMMENT in to_coord.body and "ส่งกลับเพื่อแก้ไขโดย ผู้บริหาร (ตัวอย่าง)" in to_coord.body
    assert notices("ksk-exec").count() == 1  # not told of their own step

    page = coord.get(detail_url()).content.decode()
    assert "ส่งกลับเพื่อแก้ไข</strong> โดย ผู้บริหาร (ตัวอย่าง) เมื่อ" in page and COMMENT in page
    assert "ประวัติการพิจารณา" in page and "เสนอผู้บริหาร" in page

    # Submitted again and approved: the coordinators are told; the old comment is history only.
    coord.post(action_url("submit"))
    executive.post(action_url("approve"))
    assert report().state == State.APPROVED
    assert notices("ksk-coord").filter(subject__endswith="ได้รับอนุมัติแล้ว").count() == 1
    page = coord.get(detail_url()).content.decode()
    assert "ส่งกลับเพื่อแก้ไข</strong> โดย" not in page and COMMENT in page  # in the history table


@pytest.mark.django_db
def test_a_comment_is_required_and_bounded_and_only_a_proposed_report_goes_back():
    executive = login("ksk-exec")
    login("ksk-coord").post(action_url("submit"))
    for comment, error in [
        ("   ", "กรุณาระบุเหตุผลหรือสิ่งที่ต้องแก้ไขก่อนส่งกลับ"),
        ("ก" * (COMMENT_MAX + 1), f"ความเห็นยาวเกิน {COMMENT_MAX:,} ตัวอักษร"),
    ]:
        r = executive.post(action_url("send_back"), {"comment": comment}, follow=True)
        assert error in r.content.decode()
        assert report().state == State.SUBMITTED
    assert not report().events.filter(action=ReportEvent.Action.SENT_BACK).exists()
    executive.post(action_url("send_back"), {"comment": COMMENT})
    r = executive.post(action_url("send_back"), {"comment": COMMENT}, follow=True)  # a draft now
    assert "ส่งกลับได้เฉพาะรายงานที่เสนอผู้บริหาร" in r.content.decode()
    # Division staff and viewers may not.
    Report.objects.filter(pk=report().pk).update(state=State.SUBMITTED)
    for username in ("ksk-staff1", "ksk-viewer"):
        assert login(username).post(action_url("send_back"), {"comment": COMMENT}).status_code == 403
    assert report().state == State.SUBMITTED


@pytest.mark.django_db
def test_the_coordinator_withdraws_a_report_and_the_executives_are_told():
    login("ksk-coord").post(action_url("submit"))
    r = login("ksk-coord").post(action_url("send_back"), {"comment": "ขอแก้ไขตัวเลขงบประมาณก่อน"})
    assert r.status_code == 302 and report().state == State.DRAFT
    assert notices("ksk-exec").filter(subject__endswith="ถูกส่งกลับเพื่อแก้ไข").count() == 1
    assert not notices("ksk-coord").exists()


@pytest.mark.django_db
def test_publishing_tells_the_coordinators():
    agency = Agency.objects.get(code=KSK)
    r = report_get_or_default(agency=agency, year=FiscalYear.objects.get(be_year=2567), kind="annual")
    executive = user("ksk-exec")
    access = access_for(executive, agency)
    services.report_submit(access=access_for(user("ksk-coord"), agency), report=r)
    services.report_approve(access=access, report=r, user=executive)
    services.report_publish_render_and_store(report=r, user=executive, render=lambda *a, **k: b"%PDF-1.4\n%stub\n")
    assert [e.action for e in r.events.all()] == ["published", "approved", "submitted"]
    assert r.events.get(action="submitted").user.username == "ksk-coord"
    assert notices("ksk-coord").filter(subject__endswith="เผยแพร่แล้ว").count() == 1
