"""Phone-first (#13): every page of every role fits a 390×844 phone and a 1366×768 laptop without
scrolling sideways, each form's primary action can be reached and lies inside the viewport, axe
finds nothing serious at either size; the compact header's menu button works with the keyboard;
the score chart stays inside its box; and a division's staff can record progress on a phone with
the keyboard alone.

With E2E_SCREENSHOTS=<folder> the phone screenshots of งานของฉัน, the progress form and the score
page are written there (docs/screenshots/ holds the ones the README shows)."""

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.urls import resolve

from agencies.models import Membership
from measures.models import Activity, Measure, Progress
from oit.models import OitItem

from .conftest import E2E, KSK, ROOT, UBN, publish_oit_page
from .test_accessibility import NOT_SCANNED_HERE, focus_is_visible, make_national_staff, project_url_names, tab_to

pytestmark = E2E

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}

# The action a person came to a form for: the first submit button of the page's main form.
PRIMARY_ACTION = "main form[method=post] button[type=submit]:not(.secondary):not(.danger)"


def pages_by_role(oit_page: str) -> dict[str | None, list[str]]:
    o42 = OitItem.objects.get(year__be_year=2566, code="O42")
    measure = Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()
    activity = Activity.objects.create(measure=measure, order=1, title="ประชุมชี้แจงเจ้าหน้าที่")
    viewer = Membership.objects.get(user__username="ksk-viewer")
    a, m = f"/a/{KSK}", f"/a/{KSK}/measures/{measure.pk}"
    make_national_staff()
    return {
        None: [
            "/login/",
            f"/p/{KSK}/",
            f"/p/{KSK}/embed/",
            "/password-reset/",
            "/password-reset/sent/",
            "/password-reset/MQ/not-a-token/",
            "/password-reset/done/",
            "/invitation/1:forged:token/",  # a wrong or spent invitation link: 404, in Thai
            f"/p/{KSK}/2566/oit/",  # the public OIT page's 404 (nothing published in this test)
            oit_page,  # ubon-pao's, with evidence of each kind (tests/e2e/conftest.py)
        ],
        "ksk-staff1": [
            f"{a}/my-work/",
            f"{a}/",
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
            f"{a}/divisions/",
            f"{a}/members/",
            f"{a}/members/new/",
            f"{a}/members/invite/",
            f"{a}/members/{viewer.pk}/",
            f"{a}/members/{viewer.pk}/password/",
            f"{a}/profile/",
            f"{a}/outbox/",
            f"{a}/outbox/line/",
            f"{a}/board/?year=2567&round=six_month",
            f"{a}/board/remind/?year=2567&round=six_month",
            f"{a}/board/schedule/?year=2567",
            f"{a}/oit/2566/",
            f"{a}/oit/2566/check/",
            f"{a}/measures/new/",
            f"{m}/edit/",
            f"{m}/activities/new/",
            f"{m}/activities/{activity.pk}/edit/",
            f"{a}/measures/plan/",
            f"{a}/measures/copy-year/",
            f"{a}/scores/2567/edit/",
            f"{a}/reports/2567/annual/",
            f"{a}/reports/2567/annual/sections/",
            f"{a}/reports/2567/analysis/sections/",
            f"{a}/workbook/",
            f"{a}/audit/",
            "/a/pak-kran/",  # 404, in Thai
        ],
        "ksk-exec": [f"{a}/", f"{a}/reports/2567/six_month/", f"{a}/reports/2567/analysis/"],
        "lopburi-office": [
            "/",
            "/oversight/",
            "/oversight/ranking/",
            "/oversight/oit/?year=2566",
            "/oversight/executives/",
            f"{a}/",
        ],
        "national-office": [
            "/oversight/?year=2567&kind=SAO",
            "/oversight/ranking/?year=2567&page=2",
            "/national/oit/",
            "/national/years/2566/oit/",
            "/national/years/2570/oit/",  # no list yet: the copy form
            "/national/years/2566/oit/add/",
            f"/national/years/2566/oit/{o42.pk}/",
        ],
        "ita-admin": ["/national/scores/", "/national/years/", "/national/years/2570/", "/national/years/2568/"],
    }


def expected_statuses(user: str | None, url: str) -> set[int]:
    if user == "ksk-staff1" and url.endswith("/members/"):
        return {403}
    if "pak-kran" in url or "/invitation/" in url:
        return {404}
    if url.startswith(f"/p/{UBN}/"):  # published in the test (tests/e2e/conftest.py)
        return {200}
    if url.startswith("/p/"):  # public pages: 404 (in Thai) while the agency has published nothing
        return {200, 404}
    return {200}


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


# What a finger taps (text links inside sentences and tables aside): 44 CSS pixels high at least.
TAP_TARGETS = (
    "button, .btn, select, summary, header nav a, .tabs a, label.plain, form ul li label,"
    " input:not([type=hidden]):not([type=radio]):not([type=checkbox]):not(.file-box)"
)


def small_tap_targets(page) -> list[str]:
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter(el => el.offsetParent !== null && el.getBoundingClientRect().height < 43.5)
            .map(el => el.outerHTML.slice(0, 80))""",
        TAP_TARGETS,
    )


def primary_action_problem(page) -> str | None:
    """Scroll to the page's primary action; say what is wrong if it is not fully in the viewport."""
    button = page.locator(PRIMARY_ACTION).first
    if not button.count():
        return None
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    size = page.viewport_size
    if box is None:
        return "not shown"
    # Half a pixel of slack: scrolling to an element may leave it a fraction of a pixel past the edge.
    inside = box["x"] >= 0 and box["y"] >= -0.5 and box["x"] + box["width"] <= size["width"]
    inside = inside and box["y"] + box["height"] <= size["height"] + 0.5
    return None if inside else f"outside the viewport: {box}"


def test_every_page_fits_a_phone_and_a_laptop(people, monkeypatch):
    pages = pages_by_role(publish_oit_page(monkeypatch))
    scanned = {resolve(urlsplit(url).path).view_name for urls in pages.values() for url in urls}
    missing = project_url_names() - scanned - set(NOT_SCANNED_HERE)
    assert not missing, f"pages this test does not visit: {sorted(missing)}"
    problems = {}
    for user, urls in pages.items():
        person = people(user)
        for size in (PHONE, LAPTOP):
            person.page.set_viewport_size(size)
            for url in urls:
                where = f"{user or 'anonymous'} {size['width']}×{size['height']} {url}"
                response = person.goto(url)
                assert response.status in expected_statuses(user, url), (where, response.status)
                if overflow := sideways_overflow(person.page):
                    problems[where] = f"scrolls sideways by {overflow} px"
                if problem := primary_action_problem(person.page):
                    problems[where] = f"primary action {problem}"
                if size == PHONE and (small := small_tap_targets(person.page)):
                    problems[where] = f"touch targets under 44 px: {small}"
                if violations := person.axe():
                    problems[where] = violations
    assert not problems, "\n".join(f"{where}: {problem}" for where, problem in problems.items())


def test_the_menu_button_opens_and_closes_the_menu_with_the_keyboard(people):
    person = people("ksk-coord")
    page = person.page
    page.set_viewport_size(PHONE)
    person.goto(f"/a/{KSK}/measures/")
    button = page.get_by_role("button", name="เมนู")
    my_work = page.get_by_role("link", name="งานของฉัน")
    assert button.get_attribute("aria-expanded") == "false" and not my_work.is_visible()
    # The header is one row: the brand and the button.
    header = page.locator("header.top").bounding_box()
    assert header["height"] < 80, header
    tab_to(page, "el.classList.contains('menu-toggle')")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true" and my_work.is_visible()
    # The page's own item is the one highlighted.
    assert page.locator("nav a[aria-current=page]").all_inner_texts() == ["มาตรการ"]
    for link in page.locator("header nav a").all():
        assert link.bounding_box()["height"] >= 44
    assert page.get_by_role("button", name="ออกจากระบบ").bounding_box()["height"] >= 44
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false" and not my_work.is_visible()
    assert page.evaluate("() => document.activeElement.classList.contains('menu-toggle')")
    page.keyboard.press("Space")
    assert my_work.is_visible()
    # On a laptop the whole menu shows and there is no button.
    page.set_viewport_size(LAPTOP)
    assert not button.is_visible() and my_work.is_visible()


def test_the_score_chart_stays_inside_its_box(people):
    person = people("ksk-exec")
    for size in (PHONE, {"width": 320, "height": 640}, LAPTOP):
        person.page.set_viewport_size(size)
        person.goto(f"/a/{KSK}/")
        box = person.page.locator(".score-chart").bounding_box()
        card = person.page.locator(".card", has=person.page.locator(".score-chart")).bounding_box()
        bars = [b.bounding_box() for b in person.page.locator(".chart .bar").all()]
        labels = [lb.bounding_box() for lb in person.page.locator(".chart-labels div").all()]
        assert len(bars) == len(labels) >= 2
        assert box["x"] + box["width"] <= card["x"] + card["width"]
        for bar, label in zip(bars, labels, strict=True):
            assert box["x"] <= bar["x"] and bar["x"] + bar["width"] <= box["x"] + box["width"], (size, bar, box)
            assert abs((bar["x"] + bar["width"] / 2) - (label["x"] + label["width"] / 2)) < 2  # label under bar


def test_the_chart_prints(people):
    """Browsers drop background colours when printing unless told not to: the bars must stay."""
    person = people("ksk-exec")
    person.goto(f"/a/{KSK}/")
    person.page.emulate_media(media="print")
    adjust = person.page.locator(".chart .bar").first.evaluate("el => getComputedStyle(el).printColorAdjust")
    assert adjust == "exact"
    assert not person.page.locator("header.top").is_visible()
    assert person.page.locator(".score-chart").is_visible()


def test_progress_on_a_phone_with_the_keyboard_alone(people):
    from demo.services import DEMO_PASSWORD

    person = people()
    page = person.page
    page.set_viewport_size(PHONE)
    person.goto("/login/")
    page.wait_for_function("() => document.activeElement.id === 'id_username'")  # autofocus
    page.keyboard.type("ksk-staff1")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "el.classList.contains('menu-toggle')")
    page.keyboard.press("Enter")
    tab_to(page, "el.textContent.trim() === 'งานของฉัน'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "el.tagName === 'A' && el.textContent.trim() === 'บันทึกผล'")
    assert focus_is_visible(page)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/progress/six_month/" in page.url
    tab_to(page, "el.name === 'status'")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # ดำเนินการแล้วเสร็จ
    tab_to(page, "el.name === 'output'")
    page.keyboard.type("บันทึกบนโทรศัพท์ด้วยแป้นพิมพ์")
    # The date through the lists: day, month by its Thai name, พ.ศ. year.
    tab_to(page, "el.id === 'id_completed_on-day'")
    page.keyboard.type("15")
    tab_to(page, "el.id === 'id_completed_on-month'")
    for _ in range(3):  # – → มกราคม → กุมภาพันธ์ → มีนาคม
        page.keyboard.press("ArrowDown")
    assert page.locator("#id_completed_on-month option:checked").inner_text() == "มีนาคม"
    tab_to(page, "el.id === 'id_completed_on-year'")
    page.keyboard.type("2567")
    assert page.get_by_label("วันที่แล้วเสร็จ (พ.ศ.)").input_value() == "15/03/2567"
    tab_to(page, "el.tagName === 'BUTTON' && el.type === 'submit' && el.textContent.trim() === 'บันทึก'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "บันทึกผลการดำเนินการเรียบร้อยแล้ว" in page.content()
    saved = Progress.objects.get(output="บันทึกบนโทรศัพท์ด้วยแป้นพิมพ์")
    assert saved.status == "done" and saved.completed_on.isoformat() == "2024-03-15"


def test_phone_screenshots(people):
    """The three pages staff use most, as a phone shows them; written where E2E_SCREENSHOTS says."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    person = people("ksk-staff1")
    page = person.page
    page.set_viewport_size(PHONE)
    measure = Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()
    shots = {
        "my-work-390.png": f"/a/{KSK}/my-work/",
        "progress-form-390.png": f"/a/{KSK}/measures/{measure.pk}/progress/six_month/",
        "score-page-390.png": f"/a/{KSK}/",
    }
    for name, url in shots.items():
        person.goto(url)
        page.evaluate("() => document.fonts.ready")
        png = page.screenshot(full_page=True)
        assert len(png) > 10_000
        if folder:
            target = Path(folder) if Path(folder).is_absolute() else ROOT / folder
            target.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(png)


def test_upload_previews_fit_a_phone(people, tmp_path):
    """The two previews a file upload leads to, reached through the real forms, on a phone."""
    for username, page, export, name, lands_on in (
        (
            "ksk-coord",
            f"/a/{KSK}/workbook/?year=2567",
            f"/a/{KSK}/workbook/export/?year=2567",
            "สมุดงาน.xlsx",
            "/workbook/import/",
        ),
        (
            "ita-admin",
            "/national/scores/",
            "/national/scores/export/?year=2567&format=xlsx",
            "คะแนน.xlsx",
            "/national/scores/import/",
        ),
    ):
        if username == "ita-admin":
            make_national_staff()
        person = people(username)
        person.page.set_viewport_size(PHONE)
        person.goto(page)
        exported = person.page.request.get(person.base + export)
        (tmp_path / name).write_bytes(exported.body())
        person.page.locator("input[type=file]").set_input_files(str(tmp_path / name))
        with person.page.expect_navigation():
            person.page.get_by_role("button", name="อัปโหลดและตรวจสอบ").click()
        assert lands_on in person.page.url
        assert sideways_overflow(person.page) == 0, person.page.url
        assert primary_action_problem(person.page) is None
        assert person.axe() == []
