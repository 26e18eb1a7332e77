"""Due dates, the coordinator's board (ติดตามการรายงานผล) and the reminders it and the scheduled
job queue: once per division, kind and day, delivered by the outbox to the fake SMTP server and
the fake LINE endpoint, and kept while the mail server is down."""

import datetime
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, Division
from assessments.models import FiscalYear
from measures import selectors_tracking as tracking
from measures import services_reminders as reminders
from measures.models import Measure, Progress, RoundSchedule
from notifications import delivery
from notifications.models import Channel, LineChannel, OutboundMessage
from notifications.services import contact_preference_set

from .conftest import login
from .fakes import FakeSMTP, free_port
from .test_notifications import KSK, LINE_ID, TOKEN, line, smtp, subject, user  # noqa: F401

# FY 2567 (1 ต.ค. 2566 – 30 ก.ย. 2567): the six-month round is due 30 เม.ย. 2567 by default.
DUE = datetime.date(2024, 4, 30)


def ksk():
    return Agency.objects.get(code=KSK)


def fy(be_year=2567):
    return FiscalYear.objects.get(be_year=be_year)


def ksk_messages(**filters):
    return OutboundMessage.objects.filter(agency__code=KSK, **filters)


def division(name):
    return Division.objects.get(agency__code=KSK, name=name)


# -- due dates ----------------------------------------------------------------------------------


def test_default_due_dates_from_the_year_else_30_april_and_31_october():
    year = FiscalYear(be_year=2567)
    assert tracking.round_default_dates(year=year, round="six_month") == (
        datetime.date(2024, 4, 1),
        datetime.date(2024, 4, 30),
        False,
    )
    assert tracking.round_default_dates(year=year, round="annual") == (
        datetime.date(2024, 10, 1),
        datetime.date(2024, 10, 31),
        False,
    )
    year.six_month_due, year.annual_due = datetime.date(2024, 5, 15), datetime.date(2024, 9, 20)
    assert tracking.round_default_dates(year=year, round="six_month")[1:] == (datetime.date(2024, 5, 15), True)
    # A due date before the usual opening day: the round opens on its due date at the latest.
    assert tracking.round_default_dates(year=year, round="annual") == (
        datetime.date(2024, 9, 20),
        datetime.date(2024, 9, 20),
        True,
    )


@pytest.mark.django_db
def test_the_coordinators_dates_override_the_years_for_their_agency_only():
    year = fy()
    year.six_month_due = datetime.date(2024, 5, 10)
    year.save()
    assert tracking.round_due_date(agency=ksk(), year=year, round="six_month") == datetime.date(2024, 5, 10)
    RoundSchedule.objects.create(
        agency=ksk(),
        year=year,
        round="six_month",
        opens_on=datetime.date(2024, 3, 15),
        due_on=datetime.date(2024, 4, 20),
    )
    window = tracking.round_window(agency=ksk(), year=year, round="six_month")
    assert (window.opens_on, window.due_on, window.source) == (
        datetime.date(2024, 3, 15),
        datetime.date(2024, 4, 20),
        "agency",
    )
    other = Agency.objects.get(code="pak-kran")
    assert tracking.round_due_date(agency=other, year=year, round="six_month") == datetime.date(2024, 5, 10)
    assert tracking.round_due_date(agency=ksk(), year=year, round="annual") == datetime.date(2024, 10, 31)


@pytest.mark.django_db
def test_the_coordinator_sets_the_dates_and_reminder_days_on_the_schedule_page():
    c = login("ksk-coord")
    url = reverse("measures:round_schedule", kwargs={"code": KSK}) + "?year=2567"
    r = c.post(url, {"year": "2567", "six_month_opens": "", "six_month_due": "15/05/2567", "days_before": "10, 3"})
    assert r.status_code == 302
    window = tracking.round_window(agency=ksk(), year=fy(), round="six_month")
    assert (window.opens_on, window.due_on) == (datetime.date(2024, 4, 1), datetime.date(2024, 5, 15))
    assert tracking.remind_days(agency=ksk()) == [10, 3]
    # Opening after the due date is refused, in Thai, and nothing changes.
    r = c.post(
        url, {"year": "2567", "six_month_opens": "20/05/2567", "six_month_due": "15/05/2567", "days_before": "1"}
    )
    assert r.status_code == 200 and "วันเริ่มรายงานต้องไม่อยู่หลังวันกำหนดส่ง" in r.content.decode()
    assert tracking.remind_days(agency=ksk()) == [10, 3]
    # Blank dates: the year's defaults again.
    assert c.post(url, {"year": "2567", "days_before": "7,1"}).status_code == 302
    assert not RoundSchedule.objects.filter(agency=ksk()).exists()
    board = c.get(reverse("measures:board", kwargs={"code": KSK}) + "?year=2567&round=six_month").content.decode()
    assert "กำหนดส่ง 30 เมษายน 2567" in board and "ค่าเริ่มต้นของระบบ" in board


# -- the board ----------------------------------------------------------------------------------


def _some_progress():
    """Two of ksk's 2567 measures reported in the six-month round: one done, one in progress."""
    first, second = Measure.objects.filter(agency__code=KSK, year__be_year=2567).order_by("order", "id")[:2]
    staff = user("ksk-staff1")
    Progress.objects.create(measure=first, round="six_month", status="done", output="เสร็จ", updated_by=staff)
    Progress.objects.create(measure=second, round="six_month", status="in_progress", updated_by=staff)
    return first, second


@pytest.mark.django_db
def test_the_board_shows_each_item_and_division_with_its_state_overdue_first():
    done, in_progress = _some_progress()
    after_due = DUE + timedelta(days=3)
    board = tracking.board(agency=ksk(), year=fy(), round="six_month", today=after_due)
    states = [r.state for r in board.rows]
    n_divisions = {m.pk: m.divisions.count() for m in (done, in_progress)}
    assert states.count("done") == n_divisions[done.pk]
    assert states.count("in_progress") == n_divisions[in_progress.pk]
    # Not reported past the due date: overdue, and first; the reported ones after, done last.
    first_reported = states.index("in_progress")
    assert all(r.overdue and r.state == "not_reported" for r in board.rows[:first_reported])
    assert not any(r.overdue for r in board.rows[first_reported:])
    assert states[-1] == "done"
    assert board.rows[-1].progress.updated_by.username == "ksk-staff1"
    # Per division: every division is responsible for the two reported measures.
    palat = next(d for d in board.divisions if d.division.name == "สำนักปลัด")
    assert palat.counts["done"] == 1 and palat.counts["in_progress"] == 1 and palat.not_reported == 7
    assert palat.overdue and [u.username for u in palat.staff] == ["ksk-staff1"]
    # Before the due date nothing is overdue.
    assert not any(r.overdue for r in tracking.board(agency=ksk(), year=fy(), round="six_month", today=DUE).rows)

    page = login("ksk-coord").get(reverse("measures:board", kwargs={"code": KSK}) + "?year=2567&round=six_month")
    body = page.content.decode()
    assert page.status_code == 200 and "ติดตามการรายงานผล" in body
    for text in ("ยังไม่รายงาน", "อยู่ระหว่างดำเนินการ", "ดำเนินการแล้วเสร็จ", "เตือนทุกกองที่ยังไม่รายงาน", "ส่งเตือน"):
        assert text in body
    assert "เลยกำหนด" in body  # today (2569+) is long after 30 เม.ย. 2567


@pytest.mark.django_db
def test_the_board_reads_a_fixed_number_of_queries(django_assert_num_queries):
    first, _ = _some_progress()
    first.activities.create(order=1, title="กิจกรรมแรก")  # with an activity, its divisions are read too
    agency, year = ksk(), fy()
    with django_assert_num_queries(9):
        tracking.board(agency=agency, year=year, round="six_month", today=DUE)
    palat = division("สำนักปลัด")
    for i in range(5):
        m = Measure.objects.create(agency=agency, year=year, order=100 + i, title=f"มาตรการเพิ่ม {i}")
        m.divisions.set([palat])
        m.activities.create(order=1, title="กิจกรรม")
        Progress.objects.create(measure=m, round="six_month", status="done", updated_by=user("ksk-staff2"))
    with django_assert_num_queries(9):
        tracking.board(agency=agency, year=year, round="six_month", today=DUE)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["ksk-exec", "ksk-staff1", "ksk-viewer"])
def test_only_the_coordinator_sees_the_board(username):
    c = login(username)
    assert c.get(reverse("measures:board", kwargs={"code": KSK})).status_code == 403
    r = c.post(reverse("measures:board_remind", kwargs={"code": KSK}), {"year": "2567", "round": "six_month"})
    assert r.status_code == 403 and not ksk_messages().exists()


# -- reminders ----------------------------------------------------------------------------------


def test_which_reminders_fall_on_a_day():
    window = tracking.RoundWindow(FiscalYear(be_year=2567), "six_month", datetime.date(2024, 4, 1), DUE, "default")

    def kinds(day):
        return reminders.reminder_kinds(window=window, days_before=[7, 1], today=day)

    assert kinds(datetime.date(2024, 4, 1)) == ["opening"]
    assert kinds(DUE - timedelta(days=7)) == kinds(DUE - timedelta(days=1)) == ["before"]
    assert kinds(DUE - timedelta(days=2)) == kinds(DUE) == []
    assert kinds(DUE + timedelta(days=1)) == kinds(DUE + timedelta(days=8)) == ["overdue"]
    assert kinds(DUE + timedelta(days=2)) == []
    assert kinds(DUE + timedelta(days=1 + 7 * reminders.OVERDUE_WEEKS)) == ["overdue"]
    assert kinds(DUE + timedelta(days=1 + 7 * (reminders.OVERDUE_WEEKS + 1))) == []
    assert reminders.reminder_kinds(window=window, days_before=[0], today=DUE) == ["before"]


@pytest.mark.django_db
def test_the_scheduled_job_queues_each_reminder_once_however_often_it_runs():
    _some_progress()
    day = DUE - timedelta(days=7)
    first = reminders.reminders_send_due(today=day)
    staff_messages = ksk_messages(dedupe_key__contains=":before:")
    # Each division's staff (ksk-staff1: สำนักปลัด, ksk-staff2: กองคลัง) once.
    assert sorted(staff_messages.values_list("recipient__username", flat=True)) == ["ksk-staff1", "ksk-staff2"]
    assert first.queued >= 2
    again = reminders.reminders_send_due(today=day)
    assert again.queued == 0 and again.already == first.queued
    assert staff_messages.count() == 2
    # The same through the command cron runs.
    out = StringIO()
    call_command("send_reminders", "--date", "23/04/2567", stdout=out)
    assert "queued 0" in out.getvalue() and staff_messages.count() == 2
    message = staff_messages.get(recipient__username="ksk-staff1")
    assert message.subject.startswith("แจ้งเตือน: อีก 7 วันครบกำหนดส่งรายงานผลการดำเนินการรอบ 6 เดือน ปีงบประมาณ 2567")
    assert "มาตรการ/กิจกรรมที่ยังไม่ได้บันทึกผล" in message.body and "จำนวน 7 รายการ" in message.body
    assert "/a/khao-samo-khon/my-work/?year=2567&round=six_month" in message.body
    # A day with nothing due queues nothing.
    assert reminders.reminders_send_due(today=DUE - timedelta(days=3)).queued == 0


@pytest.mark.django_db
def test_a_division_that_reported_everything_is_not_reminded():
    # Progress is per item: every demo measure reported; one more that only กองคลัง answers for, not.
    for m in Measure.objects.filter(agency__code=KSK, year__be_year=2567):
        for target in list(m.activities.all()) or [None]:
            Progress.objects.create(measure=m, activity=target, round="six_month", status="done")
    extra = Measure.objects.create(agency=ksk(), year=fy(), order=50, title="มาตรการของกองคลัง")
    extra.divisions.set([division("กองคลัง")])
    reminders.reminders_send_due(today=DUE + timedelta(days=1))
    assert not ksk_messages(recipient__username="ksk-staff1").exists()
    assert ksk_messages(recipient__username="ksk-staff2", dedupe_key__contains=":overdue:").count() == 1


@pytest.mark.django_db
def test_an_overdue_reminder_reaches_the_mail_server_and_line(smtp, line):  # noqa: F811
    user("ksk-staff1", email="staff1@example.org")
    staff2 = user("ksk-staff2", email="staff2@example.org")
    user("ksk-coord", email="coord@example.org")
    LineChannel.objects.create(agency=ksk(), access_token=TOKEN)
    contact_preference_set(user=staff2, channel=Channel.LINE, line_user_id=LINE_ID)

    reminders.reminders_send_due(today=DUE + timedelta(days=1))
    delivery.outbox_deliver_due()

    mails = {m["To"]: m for m in smtp.messages}
    staff_mail = mails["staff1@example.org"]
    assert subject(staff_mail).startswith("เลยกำหนดส่งรายงานผลการดำเนินการรอบ 6 เดือน ปีงบประมาณ 2567 มาแล้ว 1 วัน")
    assert "เรียน เจ้าหน้าที่สำนักปลัด" in staff_mail.get_content()
    coord_mail = mails["coord@example.org"]
    assert "กอง/สำนักที่ยังบันทึกผลไม่ครบ" in coord_mail.get_content() and "กองคลัง" in coord_mail.get_content()
    [call] = [c for c in line.calls if c.body["to"] == LINE_ID]
    text = call.body["messages"][0]["text"]
    assert text.startswith("เลยกำหนดส่ง") and "เรียน เจ้าหน้าที่กองคลัง" in text
    assert ksk_messages(recipient__username="ksk-staff2").get().status == OutboundMessage.Status.SENT


@pytest.mark.django_db
def test_with_the_mail_server_down_a_reminder_waits_in_the_outbox_and_goes_when_it_is_back(settings):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    user("ksk-staff1", email="staff1@example.org")
    reminders.reminders_send_due(today=DUE + timedelta(days=8))
    message = ksk_messages(recipient__username="ksk-staff1").get()
    started = timezone.now()
    delivery.outbox_deliver_due(now=started)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED and "ConnectionRefusedError" in message.last_error

    server = FakeSMTP(port).start()
    try:
        delivery.outbox_deliver_due(now=started + timedelta(minutes=1, seconds=1))
    finally:
        server.stop()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT and message.attempts == 2
    [mail] = [m for m in server.messages if m["To"] == "staff1@example.org"]
    assert "มาแล้ว 8 วัน" in subject(mail)


@pytest.mark.django_db
def test_send_reminder_from_the_board_confirms_then_queues_once_a_day():
    c = login("ksk-coord")
    url = reverse("measures:board_remind", kwargs={"code": KSK})
    palat = division("สำนักปลัด")
    page = c.get(url, {"year": "2567", "round": "six_month", "division": palat.pk}).content.decode()
    assert "ยืนยันการส่งเตือน" in page and "สำนักปลัด: ยังไม่รายงาน 9 จาก 9 รายการ" in page
    assert "กองคลัง" not in page
    assert not ksk_messages().exists()  # GET only asks

    data = {"year": "2567", "round": "six_month", "division": palat.pk}
    r = c.post(url, data, follow=True)
    assert "ส่งเตือนแล้ว 1 ข้อความ" in r.content.decode()
    [message] = ksk_messages()
    assert message.recipient.username == "ksk-staff1" and message.subject.startswith("ผู้ประสานงาน ITA ขอให้บันทึก")
    r = c.post(url, data, follow=True)
    assert "วันนี้ส่งเตือนกอง/สำนักนี้ไปแล้ว" in r.content.decode() and ksk_messages().count() == 1
    # Every division not yet reported: กองคลัง too (the others have no staff in the demo).
    c.post(url, {"year": "2567", "round": "six_month"})
    assert sorted(ksk_messages().values_list("recipient__username", flat=True)) == ["ksk-staff1", "ksk-staff2"]


@pytest.mark.django_db
def test_another_agencys_division_is_not_found_and_nothing_is_queued():
    other = Division.objects.filter(agency__code="pak-kran").first()
    c = login("ksk-coord")
    url = reverse("measures:board_remind", kwargs={"code": KSK})
    assert c.get(url, {"year": "2567", "round": "six_month", "division": other.pk}).status_code == 404
    assert c.post(url, {"year": "2567", "round": "six_month", "division": other.pk}).status_code == 404
    assert c.post(url, {"year": "2567", "round": "six_month", "division": "x"}).status_code == 404
    assert not ksk_messages().exists()


@pytest.mark.django_db
def test_the_worker_task_runs_the_same_job():
    from measures.tasks import send_reminders

    result = send_reminders.call()
    assert set(result) == {"queued", "already"}


@pytest.mark.django_db
def test_the_round_opening_notice_goes_to_every_responsible_division_even_when_reported():
    _some_progress()
    reminders.reminders_send_due(today=datetime.date(2024, 4, 1))
    opening = ksk_messages(dedupe_key__contains=":opening:")
    assert sorted(opening.values_list("recipient__username", flat=True)) == ["ksk-staff1", "ksk-staff2"]
    message = opening.get(recipient__username="ksk-staff1")
    assert message.subject == "เปิดให้บันทึกรายงานผลการดำเนินการรอบ 6 เดือน ปีงบประมาณ 2567 (กำหนดส่ง 30 เมษายน 2567)"
    assert "มาตรการ/กิจกรรมที่กองรับผิดชอบ" in message.body and "จำนวน 9 รายการ" in message.body


@pytest.mark.django_db
def test_my_work_shows_the_rounds_due_date_and_a_new_one_at_once():
    staff = login("ksk-staff1")
    url = reverse("measures:my_work", kwargs={"code": KSK}) + "?year=2567&round=six_month"
    body = staff.get(url).content.decode()
    assert "กำหนดส่งผลรอบ 6 เดือน: <strong>30 เมษายน 2567</strong>" in body and "เลยกำหนดแล้ว" in body
    login("ksk-coord").post(
        reverse("measures:round_schedule", kwargs={"code": KSK}),
        {"year": "2567", "six_month_due": "15/05/2567", "days_before": "7, 1"},
    )
    assert "<strong>15 พฤษภาคม 2567</strong>" in staff.get(url).content.decode()  # not the cached page
