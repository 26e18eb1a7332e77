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
    from reports.demo import DEMO_PASSWORD

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
