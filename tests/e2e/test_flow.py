"""The year's work in a real browser: staff record progress with a photo; the coordinator
submits the report, the executive approves and publishes it; the public page links the PDF.
And two people saving the same progress entry: the second is refused, the first kept."""

import io
import re

from PIL import Image

from measures.models import Measure, Progress
from reports.models import PublishedVersion, RenderJob

from .conftest import E2E, KSK

pytestmark = E2E


def jpeg_file(tmp_path):
    path = tmp_path / "ประชุม.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 110, 160)).save(buf, "JPEG", quality=85)
    path.write_bytes(buf.getvalue())
    return path


def test_record_submit_approve_publish(people, tmp_path):
    # Division staff (สำนักปลัด) record the six-month progress of their first measure, with a photo.
    staff = people("ksk-staff1")
    page = staff.page
    with page.expect_navigation():
        page.get_by_role("link", name="งานของฉัน").click()
    with page.expect_navigation():
        page.get_by_role("link", name="บันทึกผล").first.click()
    assert "/progress/six_month/" in page.url
    page.get_by_label("ดำเนินการแล้วเสร็จ").check()
    page.get_by_label("ผลการดำเนินการ (output)").fill("จัดประชุมชี้แจงขั้นตอนการให้บริการแก่เจ้าหน้าที่ทุกกอง")
    page.get_by_label("ผลลัพธ์ (outcome)").fill("ประชาชนได้รับบริการรวดเร็วขึ้น")
    page.get_by_label("วันที่แล้วเสร็จ (พ.ศ.)").fill("15/03/2567")
    page.locator("#id_photo-0-image").set_input_files(str(jpeg_file(tmp_path)))
    page.locator("#id_photo-0-caption").fill("ประชุมชี้แจงเจ้าหน้าที่")
    with page.expect_navigation():
        page.get_by_role("button", name="บันทึก", exact=True).click()
    assert "บันทึกผลการดำเนินการเรียบร้อยแล้ว" in page.content()
    assert "15 มีนาคม 2567" in page.content()
    photo = page.get_by_role("img", name="ประชุมชี้แจงเจ้าหน้าที่")
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")
    measure_id = int(re.search(r"/measures/(\d+)/", page.url).group(1))
    saved = Progress.objects.get(measure_id=measure_id, activity=None, round="six_month")
    assert saved.status == "done" and saved.photos.count() == 1 and saved.updated_by.username == "ksk-staff1"

    # The coordinator submits the annual report to the executive.
    coord = people("ksk-coord")
    coord.goto(f"/a/{KSK}/reports/2567/annual/")
    with coord.page.expect_navigation():
        coord.page.get_by_role("button", name="เสนอผู้บริหาร").click()
    assert "เสนอรายงานต่อผู้บริหารแล้ว" in coord.page.content()

    # The executive approves, then publishes (the archival PDF is rendered by the task runner).
    exec_ = people("ksk-exec")
    exec_.goto(f"/a/{KSK}/reports/2567/annual/")
    with exec_.page.expect_navigation():
        exec_.page.get_by_role("button", name="อนุมัติ").click()
    assert "อนุมัติรายงานแล้ว" in exec_.page.content()
    # Publishing cannot be undone: the page asks first.
    asked = []
    exec_.page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    with exec_.page.expect_navigation():
        exec_.page.get_by_role("button", name="เผยแพร่").click()
    assert asked and "แก้ไขหรือลบไม่ได้" in asked[0]
    version = PublishedVersion.objects.filter(report__agency__code=KSK, report__year__be_year=2567).first()
    jobs = list(RenderJob.objects.filter(agency__code=KSK).values_list("purpose", "state", "error"))
    assert version is not None, jobs
    exec_.page.reload()
    assert version.sha256 in exec_.page.content()

    # Anyone: the public page links the PDF, which is the published file.
    public = people()
    public.goto(f"/p/{KSK}/")
    link = public.page.get_by_role("link", name=re.compile("รายงานผลการดำเนินการประจำปี ปีงบประมาณ พ.ศ. 2567"))
    href = link.get_attribute("href")
    assert href == f"/p/{KSK}/2567/annual.pdf"
    pdf = public.page.request.get(public.base + href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["x-content-sha256"] == version.sha256


def test_second_conflicting_save_is_refused_and_the_first_kept(people):
    measure = Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()
    url = f"/a/{KSK}/measures/{measure.pk}/progress/annual/"
    first, second = people("ksk-staff1"), people("ksk-coord")
    # Both open the same entry before either saves.
    first.goto(url)
    second.goto(url)
    for person, text in ((first, "ผลงานของเจ้าหน้าที่"), (second, "ผลงานของผู้ประสานงาน")):
        person.page.get_by_label("อยู่ระหว่างดำเนินการ").check()
        person.page.get_by_label("ผลการดำเนินการ (output)").fill(text)
    with first.page.expect_navigation():
        first.page.get_by_role("button", name="บันทึก", exact=True).click()
    assert "บันทึกผลการดำเนินการเรียบร้อยแล้ว" in first.page.content()
    with second.page.expect_navigation():
        second.page.get_by_role("button", name="บันทึก", exact=True).click()
    alert = second.page.get_by_role("alert")
    assert "ระบบจึงไม่บันทึกทับ" in alert.inner_text()
    # The second person's text is still in the form to copy; the first person's work is stored.
    assert second.page.get_by_label("ผลการดำเนินการ (output)").input_value() == "ผลงานของผู้ประสานงาน"
    stored = Progress.objects.get(measure=measure, activity=None, round="annual")
    assert stored.output == "ผลงานของเจ้าหน้าที่" and stored.updated_by.username == "ksk-staff1"
