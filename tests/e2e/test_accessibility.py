"""Accessibility: every staff and public page passes axe-core (no serious or critical violation),
and division staff can log in and record progress with the keyboard alone."""

from agencies.models import Membership
from measures.models import Activity, Measure, Progress

from .conftest import E2E, KSK

pytestmark = E2E


def test_every_page_passes_axe(people):
    measure = Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()
    activity = Activity.objects.create(measure=measure, order=1, title="ประชุมชี้แจงเจ้าหน้าที่")
    viewer = Membership.objects.get(user__username="ksk-viewer")
    a, m = f"/a/{KSK}", f"/a/{KSK}/measures/{measure.pk}"
    pages = {
        None: ["/login/", f"/p/{KSK}/", f"/p/{KSK}/embed/"],
        "ksk-staff1": [
            f"{a}/",
            f"{a}/my-work/",
            f"{a}/measures/",
            f"{m}/",
            f"{m}/progress/six_month/",
            f"{m}/activities/{activity.pk}/progress/annual/",
            f"{a}/reports/",
            f"{a}/members/",  # 403, in Thai
        ],
        "ksk-coord": [
            f"{a}/",
            f"{a}/divisions/",
            f"{a}/members/",
            f"{a}/members/new/",
            f"{a}/members/{viewer.pk}/",
            f"{a}/measures/new/",
            f"{m}/edit/",
            f"{m}/activities/new/",
            f"{m}/activities/{activity.pk}/edit/",
            f"{a}/measures/plan/",
            f"{a}/measures/copy-year/",
            f"{a}/scores/2567/edit/",
            f"{a}/reports/2567/annual/",
            f"{a}/workbook/",
            f"{a}/audit/",
            "/a/pak-kran/",  # 404, in Thai
        ],
        "ksk-exec": [f"{a}/", f"{a}/reports/", f"{a}/reports/2567/annual/"],
        "lopburi-office": ["/", "/oversight/", "/oversight/ranking/"],
    }
    found = {}
    for user, urls in pages.items():
        person = people(user)
        for url in urls:
            response = person.goto(url)
            assert response.status in (200, 403, 404), (url, response.status)
            if response.status == 403:
                assert "ไม่มีสิทธิ์เข้าถึงหน้านี้" in person.page.content()
            if response.status == 404:
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
    from reports.demo import DEMO_PASSWORD

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
