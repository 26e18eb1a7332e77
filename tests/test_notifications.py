"""The outbox: messages reach a real SMTP server and the LINE push endpoint (both fakes on
127.0.0.1), wait and retry while a server is down, are queued once per dedupe key, and are
never sent by a web request."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency
from notifications import delivery
from notifications.models import Channel, ContactPreference, LineChannel, OutboundMessage
from notifications.services import ServiceError, contact_preference_set, outbox_enqueue

from .conftest import login
from .fakes import FakeLine, FakeSMTP, free_port
from .test_tasks import db_queue  # noqa: F401 - the real django-tasks-db queue, run in-process

KSK = "khao-samo-khon"
LINE_ID = "U" + "0123456789abcdef" * 2
TOKEN = "line-token-" + "x" * 40 + "-end1"


@pytest.fixture
def smtp(settings):
    server = FakeSMTP().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    settings.DEFAULT_FROM_EMAIL = "ITA Portal <ita@example.org>"
    yield server
    server.stop()


@pytest.fixture
def line(settings):
    server = FakeLine().start()
    settings.LINE_API_BASE = server.base
    settings.LINE_TIMEOUT = 5
    yield server
    server.stop()


def user(username: str, **fields):
    u = get_user_model().objects.get(username=username)
    for k, v in fields.items():
        setattr(u, k, v)
    u.save()
    return u


def subject(mail) -> str:
    return str(mail["Subject"]).strip()  # a long Thai subject is folded into encoded words


def ksk():
    return Agency.objects.get(code=KSK)


@pytest.mark.django_db
def test_a_message_reaches_both_the_mail_server_and_line(smtp, line):
    coord = user("ksk-coord", email="coord@example.org")
    staff = user("ksk-staff1", email="staff1@example.org")
    LineChannel.objects.create(agency=ksk(), access_token=TOKEN)
    contact_preference_set(user=staff, channel=Channel.LINE, line_user_id=LINE_ID)

    by_mail = outbox_enqueue(recipient=coord, agency=ksk(), subject="แจ้งเตือน: ส่งผลการดำเนินการ", body="ครบกำหนด 31 มี.ค.")
    by_line = outbox_enqueue(recipient=staff, agency=ksk(), subject="แจ้งเตือน", body="กรุณารายงานผลรอบ 6 เดือน")
    assert (by_mail.channel, by_mail.address) == (Channel.EMAIL, "coord@example.org")
    assert (by_line.channel, by_line.address) == (Channel.LINE, LINE_ID)

    summary = delivery.outbox_deliver_due()
    assert (summary.sent, summary.retrying, summary.failed) == (2, 0, 0)

    [mail] = smtp.messages
    assert mail["To"] == "coord@example.org" and "ita@example.org" in mail["From"]
    assert subject(mail) == "แจ้งเตือน: ส่งผลการดำเนินการ"
    assert "ครบกำหนด 31 มี.ค." in mail.get_content()
    assert mail["X-ITA-Outbox-Id"] == str(by_mail.uuid)

    [call] = line.calls
    assert call.path == "/v2/bot/message/push"
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.headers["X-Line-Retry-Key"] == str(by_line.uuid)
    assert call.body == {"to": LINE_ID, "messages": [{"type": "text", "text": "แจ้งเตือน\n\nกรุณารายงานผลรอบ 6 เดือน"}]}

    for m in (by_mail, by_line):
        m.refresh_from_db()
        assert m.status == OutboundMessage.Status.SENT and m.sent_at and m.attempts == 1 and not m.last_error


@pytest.mark.django_db
def test_mail_server_down_keeps_the_message_queued_and_delivers_it_when_back(settings):
    port = free_port()  # nothing listens here yet
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    coord = user("ksk-coord", email="coord@example.org")
    message = outbox_enqueue(recipient=coord, agency=ksk(), subject="เรื่องทดสอบ", body="ข้อความ")

    started = timezone.now()
    assert delivery.outbox_deliver_due(now=started).retrying == 1
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED and message.attempts == 1
    assert message.last_error.startswith("ส่งอีเมลไม่สำเร็จ: ConnectionRefusedError")
    assert message.next_attempt_at == started + timedelta(minutes=1)
    # Not due yet: a sender running again at once leaves it alone.
    assert delivery.outbox_deliver_due(now=started + timedelta(seconds=30)).retrying == 0

    server = FakeSMTP(port).start()
    try:
        summary = delivery.outbox_deliver_due(now=started + timedelta(minutes=1, seconds=1))
    finally:
        server.stop()
    assert summary.sent == 1
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT and message.attempts == 2 and message.last_error == ""
    assert [subject(m) for m in server.messages] == ["เรื่องทดสอบ"]


@pytest.mark.django_db
def test_retries_back_off_then_give_up_and_the_coordinator_sees_it_and_resends(settings, smtp):
    settings.OUTBOX_MAX_ATTEMPTS = 6
    settings.EMAIL_PORT = free_port()  # the server is "down"
    coord = user("ksk-coord", email="coord@example.org")
    message = outbox_enqueue(recipient=coord, agency=ksk(), subject="ไม่มีวันถึง", body="ข้อความ")
    now = timezone.now()
    waits = []
    for _ in range(6):
        delivery.outbox_deliver_due(now=now)
        message.refresh_from_db()
        if message.status == OutboundMessage.Status.FAILED:
            break
        waits.append(message.next_attempt_at - now)
        now = message.next_attempt_at
    minutes = [int(w.total_seconds() // 60) for w in waits]
    assert minutes == [1, 5, 30, 120, 360]  # then capped at 6 h
    assert message.status == OutboundMessage.Status.FAILED and message.attempts == 6
    assert delivery.retry_delay(9) == timedelta(hours=6)

    page = login("ksk-coord").get(reverse("notifications:outbox", kwargs={"code": KSK}))
    body = page.content.decode()
    assert "ส่งไม่สำเร็จ" in body and "ConnectionRefusedError" in body and "ไม่มีวันถึง" in body
    # Resent by the coordinator: queued again and, with the server back, delivered.
    settings.EMAIL_PORT = smtp.port
    c = login("ksk-coord")
    r = c.post(reverse("notifications:retry", kwargs={"code": KSK, "pk": message.pk}))
    assert r.status_code == 302
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED and message.attempts == 0
    assert delivery.outbox_deliver_due().sent == 1
    assert [subject(m) for m in smtp.messages] == ["ไม่มีวันถึง"]


@pytest.mark.django_db
def test_line_errors_are_retried_with_the_same_retry_key_and_409_counts_as_delivered(line):
    staff = user("ksk-staff1")
    LineChannel.objects.create(agency=ksk(), access_token=TOKEN)
    ContactPreference.objects.create(user=staff, channel=Channel.LINE, line_user_id=LINE_ID)
    message = outbox_enqueue(recipient=staff, agency=ksk(), subject="", body="ทดสอบ LINE")
    line.statuses = [500, 409]
    now = timezone.now()
    delivery.outbox_deliver_due(now=now)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED
    assert message.last_error == "LINE ตอบกลับรหัส 500: fake error 500"
    delivery.outbox_deliver_due(now=message.next_attempt_at)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert [c.headers["X-Line-Retry-Key"] for c in line.calls] == [str(message.uuid)] * 2
    assert line.calls[0].body["messages"] == [{"type": "text", "text": "ทดสอบ LINE"}]


@pytest.mark.django_db
def test_line_unreachable_is_an_error_in_thai(settings):
    settings.LINE_API_BASE = f"http://127.0.0.1:{free_port()}"
    staff = user("ksk-staff1")
    LineChannel.objects.create(agency=ksk(), access_token=TOKEN)
    ContactPreference.objects.create(user=staff, channel=Channel.LINE, line_user_id=LINE_ID)
    message = outbox_enqueue(recipient=staff, agency=ksk(), subject="s", body="b")
    delivery.outbox_deliver_due()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED and message.last_error.startswith("ติดต่อ LINE ไม่ได้")


@pytest.mark.django_db
def test_line_choice_falls_back_to_email_without_the_agencys_line_account():
    staff = user("ksk-staff1", email="staff1@example.org")
    ContactPreference.objects.create(user=staff, channel=Channel.LINE, line_user_id=LINE_ID)
    message = outbox_enqueue(recipient=staff, agency=ksk(), subject="s", body="b")
    assert (message.channel, message.address) == (Channel.EMAIL, "staff1@example.org")


@pytest.mark.django_db
def test_a_dedupe_key_queues_the_same_reminder_once():
    coord = user("ksk-coord", email="coord@example.org")
    first = outbox_enqueue(recipient=coord, agency=ksk(), subject="เตือน", body="1", dedupe_key="due:42:2567-03-31")
    again = outbox_enqueue(recipient=coord, agency=ksk(), subject="เตือน", body="2", dedupe_key="due:42:2567-03-31")
    assert again.pk == first.pk
    assert OutboundMessage.objects.filter(dedupe_key="due:42:2567-03-31").count() == 1
    other = outbox_enqueue(recipient=coord, agency=ksk(), subject="เตือน", body="3", dedupe_key="due:43:2567-03-31")
    assert other.pk != first.pk


@pytest.mark.django_db
def test_a_claimed_message_is_not_sent_by_a_second_sender(smtp):
    coord = user("ksk-coord", email="coord@example.org")
    message = outbox_enqueue(recipient=coord, agency=ksk(), subject="s", body="b")
    now = timezone.now()
    claimed = delivery._claim(message.pk, message.next_attempt_at, now)
    assert claimed is not None
    assert delivery.outbox_deliver_due(now=now).sent == 0  # leased to the first sender
    assert smtp.messages == []
    # The first sender died: after the lease the message is sent by another.
    assert delivery.outbox_deliver_due(now=now + delivery.LEASE).sent == 1
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_web_request_only_queues_and_the_worker_task_delivers(
    smtp,
    db_queue,  # noqa: F811
    settings,
    django_capture_on_commit_callbacks,
):
    """The password-reset form queues the mail and a deliver_outbox task; the SMTP server gets
    nothing until the worker runs the task."""
    from django.test import Client
    from django_tasks_db.models import DBTaskResult

    user("ksk-viewer", email="viewer@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        r = Client().post(reverse("password_reset"), {"email": "viewer@example.org"})
    assert r.status_code == 302
    assert smtp.messages == []
    message = OutboundMessage.objects.get(recipient__username="ksk-viewer")
    assert message.status == OutboundMessage.Status.QUEUED and message.sensitive
    assert DBTaskResult.objects.filter(task_path="notifications.tasks.deliver_outbox").count() == 1
    db_queue()  # scripts/worker.sh's db_worker, in this process
    assert len(smtp.messages) == 1
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert "password-reset" not in message.body and message.body == delivery.ERASED


@pytest.mark.django_db
def test_send_outbox_command_delivers_due_messages(smtp):
    coord = user("ksk-coord", email="coord@example.org")
    outbox_enqueue(recipient=coord, agency=ksk(), subject="จากคำสั่ง", body="b", kick=False)
    from io import StringIO

    out = StringIO()
    call_command("send_outbox", stdout=out)
    assert "sent 1, retrying 0, failed 0" in out.getvalue()
    assert [subject(m) for m in smtp.messages] == ["จากคำสั่ง"]


@pytest.mark.django_db
def test_line_token_is_stored_and_shown_masked():
    c = login("ksk-coord")
    url = reverse("notifications:line_channel", kwargs={"code": KSK})
    assert c.post(url, {"access_token": TOKEN}).status_code == 302
    assert LineChannel.objects.get(agency=ksk()).access_token == TOKEN
    for page in (c.get(url), c.get(reverse("notifications:outbox", kwargs={"code": KSK}))):
        body = page.content.decode()
        assert TOKEN not in body and "line" in body and "end1" in body and "••••" in body
    # Blank keeps the token; "remove" deletes it.
    assert c.post(url, {"access_token": ""}).status_code == 302
    assert LineChannel.objects.get(agency=ksk()).access_token == TOKEN
    assert c.post(url, {"access_token": "", "remove": "on"}).status_code == 302
    assert not LineChannel.objects.filter(agency=ksk()).exists()


@pytest.mark.django_db
def test_the_outbox_page_lists_only_the_agencys_messages_and_never_their_text():
    coord = user("ksk-coord", email="coord@example.org")
    other = user("pkr-coord", email="pkr@example.org")
    outbox_enqueue(recipient=coord, agency=ksk(), subject="ของเขาสมอคอน", body="ความลับ-ksk")
    outbox_enqueue(recipient=other, agency=Agency.objects.get(code="pak-kran"), subject="ของปากกราน", body="x")
    body = login("ksk-coord").get(reverse("notifications:outbox", kwargs={"code": KSK})).content.decode()
    assert "ของเขาสมอคอน" in body and "ของปากกราน" not in body and "ความลับ-ksk" not in body
    assert "กล่องข้อความขาออก" in body


@pytest.mark.django_db
def test_contact_preference_rules_in_thai():
    staff = user("ksk-staff1", email="")
    with pytest.raises(ServiceError, match="LINE user ID ต้องขึ้นต้นด้วย U"):
        contact_preference_set(user=staff, channel=Channel.LINE, line_user_id="not-an-id")
    with pytest.raises(ServiceError, match="กรุณากรอกอีเมล"):
        contact_preference_set(user=staff, channel=Channel.EMAIL, line_user_id="")
