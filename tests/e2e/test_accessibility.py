"""Accessibility: every staff and public page passes axe-core (no serious or critical violation),
and division staff can log in and record progress with the keyboard alone."""

from urllib.parse import urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, resolve

from agencies.models import Membership
from measures.models import Activity, Measure, Progress
from oit.models import OitItem

from .conftest import E2E, KSK, publish_oit_page

pytestmark = E2E

# Named URLs that are not HTML pages, or are scanned by another test here; every other named
# URL of the project must be among the pages test_every_page_passes_axe scans.
NOT_SCANNED_HERE = {
    "logout": "POST only",
    "agencies:division_edit": "POST only (the divisions page edits in place)",
    "agencies:member_remove": "POST only",
    "agencies:member_unlock": "POST only",
    "notifications:retry": "POST only",
    "measures:delete": "POST only",
    "measures:activity_delete": "POST only",
    "reports:action": "POST only",
    "oversight:executive_decide": "POST only (the executives page holds its forms)",
    "national:year_open": "POST only (the years page holds its form)",
    "measures:photo": "an image",
    "measures:kept_photo": "an image",
    "measures:workbook_template": "an .xlsx file",
    "measures:workbook_export": "an .xlsx file",
    "national:score_sheet_template": "an .xlsx file",
    "national:score_sheet_export": "an .xlsx or .csv file",
    "oversight:download": "an .xlsx or .csv file",
    "reports:preview": "a PDF",
    "reports:docx": "a .docx file",
    "reports:public_pdf": "a PDF",
    "reports:public_pdf_version": "a PDF",
    "ops:healthz": "plain text for probes",
    "ops:readyz": "plain text for probes",
    "oit:index": "a redirect to oit:manage (scanned)",
    "oit:remove": "POST only",
    "oit:freeze": "POST only",
    "oit:public_json": "a JSON file",
    "oit:public_csv": "a CSV file",
    "oit:public_file": "a PDF or an image",
    "oit:snapshot_file": "a PDF or an image (a snapshot's copy)",
    "oit:snapshot": "the template of oit:public (scanned), from a stored index",
    "oit:national_items_copy": "POST only (the year's OIT page holds its form)",
    "oit:national_item_move": "POST only",
    "oit:national_item_delete": "POST only",
    "measures:workbook_preview": "test_upload_previews_pass_axe",
    "national:score_sheet_preview": "test_upload_previews_pass_axe",
}


def project_url_names(resolver=None, namespace="") -> set[str]:
    names = set()
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":  # Django's own admin, not our pages
                continue
            names |= project_url_names(p, f"{namespace}{p.namespace}:" if p.namespace else namespace)
        elif isinstance(p, URLPattern) and p.name:
            names.add(f"{namespace}{p.name}")
    return names


def test_every_page_passes_axe(people, monkeypatch):
    oit_page = publish_oit_page(monkeypatch)
    o42 = OitItem.objects.get(year__be_year=2566, code="O42")
    measure = Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()
    activity = Activity.objects.create(measure=measure, order=1, title="ประชุมชี้แจงเจ้าหน้าที่")
    viewer = Membership.objects.get(user__username="ksk-viewer")
    a, m = f"/a/{KSK}", f"/a/{KSK}/measures/{measure.pk}"
    pages = {
        None: [
            "/login/",
            f"/p/{KSK}/",
            f"/p/{KSK}/embed/",
            f"/p/{KSK}/2566/oit/",  # the public OIT page's 404 (nothing published in this test)
            oit_page,  # ubon-pao's, with evidence of each kind (tests/e2e/conftest.py)
            "/password-reset/",
            "/password-reset/sent/",
            "/password-reset/MQ/not-a-token/",  # the link is spent or wrong: in Thai
            "/password-reset/done/",
            "/invitation/1:forged:token/",  # a wrong or spent invitation link: in Thai
        ],
        "ksk-staff1": [
            f"{a}/",
            f"{a}/my-work/",
            f"{a}/measures/",
            f"{m}/",
            f"{m}/progress/six_month/",
            f"{m}/activities/{activity.pk}/progress/annual/",
            f"{a}/reports/",
            f"{a}/members/",  # 403, in Thai
            "/account/",
            "/account/password/",
            "/account/password/done/",
        ],
        "ksk-coord": [
            f"{a}/",
            f"{a}/divisions/",
            f"{a}/members/",
            f"{a}/members/new/",
            f"{a}/members/invite/",
            f"{a}/members/{viewer.pk}/",
            f"{a}/members/{viewer.pk}/password/",
            f"{a}/outbox/",
            f"{a}/outbox/line/",
            f"{a}/board/?year=2567&round=six_month",
            f"{a}/board/remind/?year=2567&round=six_month",
            f"{a}/board/schedule/?year=2567",
            f"{a}/measures/new/",
            f"{m}/edit/",
            f"{m}/activities/new/",
            f"{m}/activities/{activity.pk}/edit/",
            f"{a}/measures/plan/",
            f"{a}/measures/copy-year/",
            f"{a}/measures/copy-year/?year=2570",
            f"{a}/profile/",
            f"{a}/scores/2567/edit/",
            f"{a}/reports/2567/annual/",
            f"{a}/reports/2567/annual/sections/",
            f"{a}/reports/2567/analysis/sections/",
            f"{a}/workbook/",
            f"{a}/audit/",
            f"{a}/oit/2566/",
            f"{a}/oit/2566/check/",
            "/a/pak-kran/",  # 404, in Thai
        ],
        "ksk-exec": [
            f"{a}/",
            f"{a}/reports/",
            f"{a}/reports/2567/annual/",
            f"{a}/reports/2567/six_month/",
            f"{a}/reports/2567/analysis/",
        ],
        "lopburi-office": [
            "/",
            "/oversight/",
            "/oversight/ranking/",
            "/oversight/oit/?year=2566",
            "/oversight/executives/",  # with an executive awaiting confirmation (make_national_staff)
            f"{a}/",
        ],
        "ita-admin": ["/national/scores/", "/national/years/", "/national/years/2570/", "/national/years/2568/"],
        "national-office": [
            "/oversight/?year=2567&kind=SAO",
            "/oversight/ranking/?year=2567&page=2",
            "/national/oit/",
            "/national/years/2566/oit/",
            "/national/years/2570/oit/",  # no list yet: the copy form
            "/national/years/2566/oit/add/",
            f"/national/years/2566/oit/{o42.pk}/",
        ],
    }
    make_national_staff()
    scanned = {resolve(urlsplit(url).path).view_name for urls in pages.values() for url in urls}
    missing = project_url_names() - scanned - set(NOT_SCANNED_HERE)
    assert not missing, f"pages no accessibility scan visits: {sorted(missing)}"
    found = {}
    for user, urls in pages.items():
        person = people(user)
        for url in urls:
            response = person.goto(url)
            assert response.status in ((200,) if url == oit_page else (200, 403, 404)), (url, response.status)
            if response.status == 403:
                assert "ไม่มีสิทธิ์เข้าถึงหน้านี้" in person.page.content()
            if response.status == 404 and url.endswith("/embed/"):
                # The framed list answers unknown and unpublished agencies alike (no probing), and
                # stays a tidy Thai box inside the agency's own website.
                assert "ยังไม่มีรายงานที่เผยแพร่" in person.page.content()
            elif response.status == 404 and "/invitation/" in url:
                assert "ลิงก์คำเชิญนี้ใช้ไม่ได้" in person.page.content()
            elif response.status == 404:
                assert "ไม่พบหน้าที่ต้องการ" in person.page.content()
            violations = person.axe()
            if violations:
                found[f"{user or 'anonymous'} {url}"] = violations
    assert not found, found


def test_the_lockout_page_passes_axe(people):
    person = people()
    for _ in range(5):
        person.login("ksk-viewer", "wrong-password")
    assert "ระงับการเข้าสู่ระบบชั่วคราว" in person.page.content()
    assert person.axe() == []


def tab_to(page, condition: str, limit: int = 200) -> None:
    """Press Tab until the focused element satisfies the JS condition (on `el`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({condition}); }}"):
            return
    raise AssertionError(f"Tab never reached an element where {condition}")


def focus_is_visible(page) -> bool:
    return page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0; }"
    )


def test_progress_can_be_recorded_with_the_keyboard_alone(people):
    from demo.services import DEMO_PASSWORD

    person = people()
    page = person.page
    person.goto("/login/")  # the user name field has the focus
    page.keyboard.type("ksk-staff1")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "el.textContent.trim() === 'งานของฉัน'")
    assert focus_is_visible(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/my-work/" in page.url
    tab_to(page, "el.tagName === 'A' && el.textContent.trim() === 'บันทึกผล'")
    assert focus_is_visible(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/progress/six_month/" in page.url
    tab_to(page, "el.name === 'status'")
    page.keyboard.press("ArrowDown")  # ยังไม่ดำเนินการ → อยู่ระหว่างดำเนินการ
    assert page.evaluate("() => document.querySelector('input[name=status]:checked').value") == "in_progress"
    tab_to(page, "el.name === 'output'")
    page.keyboard.type("บันทึกด้วยแป้นพิมพ์อย่างเดียว")
    tab_to(page, "el.name === 'budget_spent'")
    page.keyboard.type("2500")
    tab_to(page, "el.tagName === 'BUTTON' && el.type === 'submit' && el.textContent.trim() === 'บันทึก'")
    assert focus_is_visible(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "บันทึกผลการดำเนินการเรียบร้อยแล้ว" in page.content()
    saved = Progress.objects.get(output="บันทึกด้วยแป้นพิมพ์อย่างเดียว")
    assert saved.status == "in_progress" and saved.budget_spent == 2500 and saved.updated_by.username == "ksk-staff1"


def make_national_staff():
    """The national score sheets are for Django staff (no portal role): one such user."""
    from django.contrib.auth import get_user_model

    from demo.services import DEMO_PASSWORD

    get_user_model().objects.create_user("ita-admin", password=DEMO_PASSWORD, is_staff=True)
    # And an executive a coordinator set up, awaiting the oversight office (oversight:executives).
    user = get_user_model().objects.create_user(f"{KSK}.new-exec", first_name="สมชาย", last_name="ใจดี")
    Membership.objects.create(
        user=user,
        agency_id=Membership.objects.get(user__username="ksk-coord").agency_id,
        role="executive",
        position="นายกองค์การบริหารส่วนตำบล",
        needs_confirmation=True,
    )


def upload_and_scan(person, *, page: str, export: str, file, lands_on: str) -> None:
    """Download the export from `page`, upload it back through the page's form, scan the preview."""
    person.goto(page)
    exported = person.page.request.get(person.base + export)
    assert exported.status == 200, (export, exported.status)
    file.write_bytes(exported.body())
    person.page.locator("input[type=file]").set_input_files(str(file))
    with person.page.expect_navigation():
        person.page.get_by_role("button", name="อัปโหลดและตรวจสอบ").click()
    assert lands_on in person.page.url
    assert person.axe() == []


def test_upload_previews_pass_axe(people, tmp_path):
    """The two previews a file upload leads to, reached through the real forms."""
    upload_and_scan(
        people("ksk-coord"),
        page=f"/a/{KSK}/workbook/?year=2567",
        export=f"/a/{KSK}/workbook/export/?year=2567",
        file=tmp_path / "สมุดงาน.xlsx",
        lands_on="/workbook/import/",
    )
    make_national_staff()
    upload_and_scan(
        people("ita-admin"),
        page="/national/scores/",
        export="/national/scores/export/?year=2567&format=xlsx",
        file=tmp_path / "คะแนน.xlsx",
        lands_on="/national/scores/import/",
    )
