"""Never lose work (#13): text typed into the progress form survives a session that expired
meanwhile (kept in the browser, put back after logging in again, with a notice), and goes once
the form is saved or its person logs out."""

from django.contrib.sessions.models import Session as DjangoSession

from measures.models import Measure, Progress

from .conftest import E2E, KSK
from .test_mobile import PHONE

pytestmark = E2E

OUTPUT = "ผลการดำเนินการ (output)"


def progress_url() -> str:
    measure = Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()
    return f"/a/{KSK}/measures/{measure.pk}/progress/six_month/"


def test_text_typed_before_the_session_expired_comes_back_after_logging_in(people):
    from demo.services import DEMO_PASSWORD

    person = people("ksk-staff1")
    page = person.page
    page.set_viewport_size(PHONE)
    url = progress_url()
    person.goto(url)
    page.get_by_label("อยู่ระหว่างดำเนินการ").check()
    page.get_by_label(OUTPUT).fill("ข้อความยาวที่พิมพ์บนโทรศัพท์ก่อนหมดเวลา")
    page.get_by_label("ผลลัพธ์ (outcome)").fill("ผลลัพธ์ที่ไม่อยากพิมพ์ใหม่")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('ita-draft:'))")
    DjangoSession.objects.all().delete()  # the session expires while the form is open
    with page.expect_navigation():
        page.get_by_role("button", name="บันทึก", exact=True).click()
    assert "/login/" in page.url
    assert "เข้าสู่ระบบอีกครั้งแล้วระบบจะนำกลับมาใส่ในแบบฟอร์มให้" in page.get_by_role("status").first.inner_text()
    assert not Progress.objects.filter(output__startswith="ข้อความยาว").exists()
    page.get_by_label("ชื่อผู้ใช้").fill("ksk-staff1")
    page.get_by_label("รหัสผ่าน").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="เข้าสู่ระบบ").click()
    assert page.url.endswith(url)
    assert page.get_by_label(OUTPUT).input_value() == "ข้อความยาวที่พิมพ์บนโทรศัพท์ก่อนหมดเวลา"
    assert page.get_by_label("ผลลัพธ์ (outcome)").input_value() == "ผลลัพธ์ที่ไม่อยากพิมพ์ใหม่"
    assert page.get_by_label("อยู่ระหว่างดำเนินการ").is_checked()
    notice = page.locator(".draft-notice")
    assert "ยังไม่ได้บันทึก" in notice.inner_text() and notice.get_attribute("role") == "status"
    assert person.axe() == []
    # Saved: the draft goes, and the form opens with what is stored, without a notice.
    with page.expect_navigation():
        page.get_by_role("button", name="บันทึก", exact=True).click()
    assert "บันทึกผลการดำเนินการเรียบร้อยแล้ว" in page.content()
    assert Progress.objects.get(output="ข้อความยาวที่พิมพ์บนโทรศัพท์ก่อนหมดเวลา").outcome == "ผลลัพธ์ที่ไม่อยากพิมพ์ใหม่"
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('ita-draft:'))") == []
    person.goto(url)
    assert not page.locator(".draft-notice").count()


def test_a_draft_can_be_discarded_and_logging_out_removes_drafts(people):
    person = people("ksk-staff1")
    page = person.page
    url = progress_url()
    person.goto(url)
    page.get_by_label(OUTPUT).fill("ฉบับร่างที่ไม่ต้องการ")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('ita-draft:'))")
    person.goto(url)
    assert page.get_by_label(OUTPUT).input_value() == "ฉบับร่างที่ไม่ต้องการ"
    with page.expect_navigation():
        page.get_by_role("button", name="ไม่ใช้ข้อความนี้").click()
    assert page.get_by_label(OUTPUT).input_value() == ""
    page.get_by_label(OUTPUT).fill("อีกฉบับ")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('ita-draft:'))")
    with page.expect_navigation():
        page.get_by_role("button", name="ออกจากระบบ").click()
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('ita-draft:'))") == []


def jpeg(path, size=(1200, 900), noise=False):
    import io
    import os

    from PIL import Image

    img = (
        Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
        if noise
        else Image.new("RGB", size, (30, 110, 160))
    )
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    path.write_bytes(buf.getvalue())
    return str(path)


def test_a_photo_picked_before_a_bad_date_is_saved_without_picking_it_again(people, tmp_path):
    person = people("ksk-staff1")
    page = person.page
    page.set_viewport_size(PHONE)
    url = progress_url()
    person.goto(url)
    page.get_by_label("ดำเนินการแล้วเสร็จ").check()
    page.get_by_label(OUTPUT).fill("ประชุมชี้แจงเจ้าหน้าที่ทุกกอง")
    page.get_by_label("วันที่แล้วเสร็จ (พ.ศ.)").fill("15/3/2024")  # a Gregorian year
    page.locator("#id_photo-0-image").set_input_files(jpeg(tmp_path / "ประชุม.jpg"))
    page.locator("#id_photo-0-caption").fill("ภาพการประชุม")
    with page.expect_navigation():
        page.get_by_role("button", name="บันทึก", exact=True).click()
    # Refused: the page opens on what to fix, the focus there, one message for the date.
    summary = page.locator("[data-error-summary]")
    assert page.evaluate("() => document.activeElement.hasAttribute('data-error-summary')")
    assert summary.bounding_box()["y"] < PHONE["height"]
    assert summary.get_by_role("link").all_inner_texts() == [
        "วันที่แล้วเสร็จ (พ.ศ.): ปี 2024 ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น 2567)"
    ]
    summary.get_by_role("link").click()
    assert page.evaluate("() => document.activeElement.id") == "id_completed_on"
    # The photo is kept, shown, with its caption; nothing was saved.
    kept = page.get_by_role("img", name="ภาพที่เลือกไว้ 1: ภาพการประชุม")
    assert kept.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.get_by_label("ใช้ภาพนี้").is_checked()
    assert not Progress.objects.filter(output="ประชุมชี้แจงเจ้าหน้าที่ทุกกอง").exists()
    assert person.axe() == []
    # Fix the date, save: the photo goes with it without being picked again.
    page.get_by_label("วันที่แล้วเสร็จ (พ.ศ.)").fill("15/3/2567")
    with page.expect_navigation():
        page.get_by_role("button", name="บันทึก", exact=True).click()
    assert "บันทึกผลการดำเนินการเรียบร้อยแล้ว" in page.content()
    saved = Progress.objects.get(output="ประชุมชี้แจงเจ้าหน้าที่ทุกกอง")
    assert [p.caption for p in saved.photos.all()] == ["ภาพการประชุม"]
    shown = page.get_by_role("img", name="ภาพการประชุม")
    shown.scroll_into_view_if_needed()  # loading="lazy"
    shown.evaluate("img => img.decode()")
    assert shown.evaluate("img => img.complete && img.naturalWidth > 0")


def test_photos_are_checked_in_the_browser_and_several_go_in_one_pick(people, tmp_path, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 200_000
    person = people("ksk-staff1")
    page = person.page
    person.goto(progress_url())
    assert "ไม่เกิน 195.3 KB ต่อภาพ" in page.locator("#photo-limits").inner_text().replace("\xa0", " ")
    first = page.locator("#id_photo-0-image")
    # Too large: refused before sending, in Thai, the box emptied.
    first.set_input_files(jpeg(tmp_path / "ใหญ่.jpg", size=(1600, 1200), noise=True))
    alert = page.locator(".photo-problem")
    assert "ใหญ่เกินกำหนด" in alert.inner_text() and alert.get_attribute("role") == "alert"
    assert first.evaluate("el => el.files.length") == 0
    # Four photos in one pick: one per slot, a fourth slot added.
    files = [jpeg(tmp_path / f"ภาพ{i}.jpg", size=(400, 300)) for i in range(4)]
    first.set_input_files(files)
    counts = page.locator("input[type=file][data-max-bytes]").evaluate_all("els => els.map(el => el.files.length)")
    assert counts == [1, 1, 1, 1]
    assert page.locator("input[name=photo-TOTAL_FORMS]").input_value() == "4"
    assert "แนบแล้ว 4 ภาพ" in page.locator("#photo-placed").inner_text()
    page.get_by_label("อยู่ระหว่างดำเนินการ").check()
    page.get_by_label(OUTPUT).fill("แนบภาพหลายภาพในครั้งเดียว")
    with page.expect_navigation():
        page.get_by_role("button", name="บันทึก", exact=True).click()
    assert "บันทึกผลการดำเนินการเรียบร้อยแล้ว" in page.content()
    assert Progress.objects.get(output="แนบภาพหลายภาพในครั้งเดียว").photos.count() == 4


def test_a_draft_is_not_offered_to_someone_else_on_the_same_browser(people):
    from demo.services import DEMO_PASSWORD

    person = people("ksk-staff1")
    page = person.page
    url = progress_url()
    person.goto(url)
    page.get_by_label(OUTPUT).fill("ร่างของเจ้าหน้าที่")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('ita-draft:'))")
    DjangoSession.objects.all().delete()  # left without logging out; the session ends
    person.goto("/login/")
    page.get_by_label("ชื่อผู้ใช้").fill("ksk-coord")
    page.get_by_label("รหัสผ่าน").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="เข้าสู่ระบบ").click()
    person.goto(url)
    assert page.get_by_label(OUTPUT).input_value() == ""
    assert not page.locator(".draft-notice").count()
