"""Division staff record progress through the web form: BE dates, photos, conflicts."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from agencies.access import access_for
from measures import services
from measures.models import Measure, Progress
from measures.rules import BUDGET_NOT_NEGATIVE, UNABLE_NEEDS_REASON

from .conftest import login

KSK = "khao-samo-khon"


def jpeg_with_gps(size=(4000, 3000), orientation=6) -> bytes:
    img = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x0112] = orientation  # rotate 90° on display
    exif[0x8825] = {1: "N", 2: (13.0, 45.0, 0.0), 3: "E", 4: (100.0, 30.0, 0.0)}  # GPS
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=90)
    return buf.getvalue()


def form(**overrides):
    data = {
        "status": "done",
        "output": "จัดทำผังขั้นตอนการปฏิบัติงานและเผยแพร่ทางเว็บไซต์แล้ว",
        "outcome": "ประชาชนได้รับความสะดวก ลดขั้นตอนการให้บริการ",
        "completed_on": "31/03/2567",
        "budget_spent": "1500",
        "photo-TOTAL_FORMS": "3",
        "photo-INITIAL_FORMS": "0",
        "link-TOTAL_FORMS": "2",
        "link-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


@pytest.fixture
def measure(db):
    return Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()


def url(m, rnd="six_month"):
    return f"/a/{KSK}/measures/{m.pk}/progress/{rnd}/"


def test_staff_record_six_month_progress_with_photo(measure):
    c = login("ksk-staff1")
    photo = SimpleUploadedFile("IMG_0001.JPG", jpeg_with_gps(), content_type="image/jpeg")
    r = c.post(
        url(measure),
        form(
            **{
                "photo-0-image": photo,
                "photo-0-caption": "ประชุมชี้แจงเจ้าหน้าที่",
                "link-0-url": "https://www.khaosamokhon.go.th/",
            }
        ),
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    p = Progress.objects.get(measure=measure, activity=None, round="six_month")
    assert (p.status, p.completed_on, p.budget_spent) == ("done", datetime.date(2024, 3, 31), 1500)
    assert p.updated_by.username == "ksk-staff1"
    photo = p.photos.get()
    assert photo.caption == "ประชุมชี้แจงเจ้าหน้าที่"
    with photo.image.open("rb") as fh, Image.open(fh) as img:
        assert img.format == "JPEG"
        assert img.size == (1200, 1600)  # EXIF orientation applied, then downscaled
        assert not img.getexif()  # no GPS, no metadata at all
    with photo.print_image.open("rb") as fh, Image.open(fh) as img:
        assert max(img.size) == 440  # the PDF's copy: ≤ 150 dpi at 7.5 cm
    assert p.links.get().url == "https://www.khaosamokhon.go.th/"
    # The detail page shows it, in พ.ศ.
    page = c.get(f"/a/{KSK}/measures/{measure.pk}/").content.decode()
    assert "31 มีนาคม 2567" in page and "ประชุมชี้แจงเจ้าหน้าที่" in page
    assert c.get(f"/a/{KSK}/photos/{photo.pk}/").status_code == 200
    # The form shows the stored date back in พ.ศ.
    assert 'value="31/03/2567"' in c.get(url(measure)).content.decode()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"completed_on": "31/03/2024"}, "ดูเหมือนเป็นปี ค.ศ."),
        ({"completed_on": ""}, "กรุณาระบุวันที่ดำเนินการแล้วเสร็จ"),
        ({"status": "unable", "completed_on": ""}, "สถานะ “ไม่สามารถดำเนินการได้” ต้องระบุเหตุที่ดำเนินการไม่ได้"),
        ({"link-0-url": "javascript:alert(1)"}, "URL"),
        ({"budget_spent": "-5"}, "งบประมาณต้องไม่ติดลบ"),
    ],
)
def test_bad_input_gets_thai_message_and_writes_nothing(measure, overrides, message):
    c = login("ksk-staff1")
    r = c.post(url(measure), form(**overrides))
    assert r.status_code == 200
    body = r.content.decode()
    assert message in body or ("ป้อน URL" in body and message == "URL"), body[:3000]
    assert not Progress.objects.filter(measure=measure, round="six_month").exists()


def test_not_an_image_is_refused_and_nothing_written(measure):
    c = login("ksk-staff1")
    fake = SimpleUploadedFile("photo.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", content_type="image/jpeg")
    r = c.post(url(measure), form(**{"photo-0-image": fake}))
    assert r.status_code == 200
    assert "ไม่ใช่ภาพที่อ่านได้" in r.content.decode()
    assert not Progress.objects.filter(measure=measure, round="six_month").exists()


def test_second_conflicting_save_is_refused_first_kept(measure):
    first, second = login("ksk-staff1"), login("ksk-coord")
    first.post(url(measure), form())
    p = Progress.objects.get(measure=measure, round="six_month")
    assert p.version == 1
    # Both open the form at version 1; the first saves, then the second.
    r1 = first.post(url(measure), form(version="1", output="งานของคนแรก"))
    assert r1.status_code == 302
    r2 = second.post(url(measure), form(version="1", output="งานของคนที่สอง", status="in_progress"))
    assert r2.status_code == 200
    assert "ระบบจึงไม่บันทึกทับ" in r2.content.decode()
    p.refresh_from_db()
    assert (p.output, p.version) == ("งานของคนแรก", 2)
    # The conflict page (ita_portal/edits.py, as every versioned form): their text beside the stored one.
    body = r2.content.decode()
    assert "ข้อมูลของคุณกับข้อมูลล่าสุดในระบบ" in body and "งานของคนที่สอง" in body and "งานของคนแรก" in body
    assert '<td class="pre">ดำเนินการแล้วเสร็จ</td>' in body  # a status by its Thai label


def test_two_first_entries_at_once_the_second_is_a_conflict_not_an_error(measure):
    """Both open an empty entry; the second's insert meets the first's row (on PostgreSQL, after waiting)."""
    first, second = login("ksk-staff1"), login("ksk-coord")
    assert first.post(url(measure), form(output="รายการแรก")).status_code == 302
    r = second.post(url(measure), form(output="รายการที่สอง"))
    assert r.status_code == 200 and "ระบบจึงไม่บันทึกทับ" in r.content.decode()
    assert Progress.objects.get(measure=measure, activity=None, round="six_month").output == "รายการแรก"


def test_a_reason_left_after_the_status_changed_is_dropped(measure):
    c = login("ksk-staff1")
    r = c.post(url(measure), form(unable_reason="no_budget", unable_note="ไม่ได้รับจัดสรร"))
    assert r.status_code == 302
    p = Progress.objects.get(measure=measure, activity=None, round="six_month")
    assert (p.status, p.unable_reason, p.unable_note) == ("done", "", "")


def test_the_service_refuses_what_the_form_refuses(measure):
    """progress_save applies the same rules (measures/rules.py), field by field, whoever calls it."""
    user = User.objects.get(username="ksk-staff1")
    access = access_for(user, measure.agency)
    with pytest.raises(services.ServiceError) as refused:
        services.progress_save(
            access=access,
            measure=measure,
            activity=None,
            round="six_month",
            data={"status": "unable", "budget_spent": Decimal("-1")},
            expected_version=None,
            user=user,
        )
    assert refused.value.fields == {"unable_reason": UNABLE_NEEDS_REASON, "budget_spent": BUDGET_NOT_NEGATIVE}
    assert not Progress.objects.filter(measure=measure, round="six_month").exists()


def test_too_long_text_returns_the_form_with_a_thai_message_and_the_text(measure):
    from ita_portal.fields import TEXT_LONG

    c = login("ksk-staff1")
    text = "ผลงาน" * (TEXT_LONG // 5) + "ท้ายข้อความ"
    r = c.post(url(measure), form(output=text))
    assert r.status_code == 200
    body = r.content.decode()
    assert f"ข้อความยาวเกิน {TEXT_LONG:,} ตัวอักษร (ยาว {len(text):,} ตัวอักษร)" in body
    assert "ท้ายข้อความ" in body  # the user's text is kept in the form
    assert not Progress.objects.filter(measure=measure, round="six_month").exists()


def test_text_length_is_a_database_constraint_too(measure):
    from django.db import IntegrityError, transaction

    from ita_portal.fields import TEXT_LONG

    p = Progress.objects.create(measure=measure, round="six_month", output="ok")
    with pytest.raises(IntegrityError), transaction.atomic():
        Progress.objects.filter(pk=p.pk).update(output="ก" * (TEXT_LONG + 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Measure.objects.filter(pk=measure.pk).update(title="ก" * 2_001)


def test_a_post_over_the_request_limit_gets_a_thai_page(measure, settings):
    c = login("ksk-staff1")
    r = c.post(url(measure), form(output="ก" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 3 + 10)))
    assert r.status_code == 400
    assert "ข้อมูลที่ส่งมามีขนาดใหญ่เกินไป" in r.content.decode()


def test_obstacles_are_kept_inside_the_agency_and_never_reach_a_report(measure):
    from agencies.models import Agency
    from assessments.models import FiscalYear
    from reports.selectors import context_json, report_context, report_get_or_default

    secret = "ปัญหาและอุปสรรค: งบประมาณไม่พอ ผู้รับจ้างทิ้งงาน"
    c = login("ksk-staff1")
    r = c.post(url(measure), form(obstacles=secret))
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Progress.objects.get(measure=measure, activity=None, round="six_month").obstacles == secret
    assert secret in login("ksk-coord").get(f"/a/{KSK}/measures/{measure.pk}/").content.decode()
    report = report_get_or_default(
        agency=Agency.objects.get(code=KSK), year=FiscalYear.objects.get(be_year=2567), kind="six_month"
    )
    data = context_json(report_context(report=report))  # what the PDF, the Word copy and the attachment hold
    assert "จัดทำผังขั้นตอนการปฏิบัติงาน" in data and "ผู้รับจ้างทิ้งงาน" not in data


def test_obstacles_are_bounded_in_thai(measure):
    r = login("ksk-staff1").post(url(measure), form(obstacles="ก" * 20_001))
    assert r.status_code == 200 and "ไม่เกิน" in r.content.decode()
    assert not Progress.objects.filter(
        measure=measure, activity=None, round="six_month", obstacles__startswith="กก"
    ).exists()
