"""A year's OIT list edited by national staff (/national/years/<year>/oit/), and the list carried
over when a year is opened on /national/years/ (assessments' signal, connected by oit)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from agencies.models import Agency
from assessments.models import FiscalYear
from assessments.services_years import fiscal_year_open
from oit.models import OitEvidence, OitItem

from .conftest import login

pytestmark = pytest.mark.django_db
ITEMS = "/national/years/2570/oit/"


def national() -> Client:
    return login("national-office")


def codes(be_year: int) -> list[str]:
    return list(OitItem.objects.filter(year__be_year=be_year).order_by("order", "id").values_list("code", flat=True))


def item_form(**extra) -> dict:
    return {"code": "O44", "title": "ข้อใหม่ทดสอบ", "criteria": "", "sub_indicator": "", "period": "current", **extra}


# ---------------------------------------------------------------------------- opening a year


def test_opening_a_year_copies_the_oit_list_of_the_year_it_opens_from_once():
    y2570 = FiscalYear.objects.get(be_year=2570)
    fiscal_year_open(source=y2570)  # 2571 from 2570, which has no list
    # 2570 has no OIT list: 2571 starts from the nearest earlier one (2566), each item mapped.
    y2571 = FiscalYear.objects.get(be_year=2571)
    assert codes(2571) == codes(2566) and len(codes(2571)) == 43
    for new in OitItem.objects.filter(year=y2571).select_related("predecessor__year"):
        assert (new.predecessor.year.be_year, new.predecessor.code) == (2566, new.code)
    assert OitItem.objects.get(year=y2571, code="O42").auto_rules() == [("analysis", 2570)]
    # Give 2570 a list of its own: opening 2571 again is refused and copies nothing more.
    c = national()
    assert c.post(f"{ITEMS}copy/", {"source": "2566"}).status_code == 302
    assert len(codes(2570)) == 43
    r = c.post("/national/years/open/", {"source": "2570"}, follow=True)
    assert OitItem.objects.filter(year=y2571).count() == 43
    # A year opened from a year with a list copies that year's list (the page's own path).
    FiscalYear.objects.filter(be_year=2571).delete()
    r = c.post("/national/years/open/", {"source": "2570"})
    assert r.status_code == 302 and r["Location"] == "/national/years/2571/"
    y2571 = FiscalYear.objects.get(be_year=2571)
    assert {i.predecessor.year_id for i in OitItem.objects.filter(year=y2571).select_related("predecessor")} == {
        y2570.pk
    }
    assert OitItem.objects.filter(year=y2571).count() == 43


def test_the_copy_step_is_idempotent_and_keeps_an_edited_list():
    from oit.services_items import oit_items_copy_on_year_open

    y2566, y2570 = FiscalYear.objects.get(be_year=2566), FiscalYear.objects.get(be_year=2570)
    assert len(oit_items_copy_on_year_open(year=y2570, source=y2566)) == 43
    OitItem.objects.filter(year=y2570, code="O1").update(title="แก้ไขแล้ว")
    assert oit_items_copy_on_year_open(year=y2570, source=y2566) == []
    assert OitItem.objects.filter(year=y2570).count() == 43
    assert OitItem.objects.get(year=y2570, code="O1").title == "แก้ไขแล้ว"


def test_a_failing_copy_leaves_no_half_opened_year(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("oit.services_items.oit_items_copy", broken)
    with pytest.raises(RuntimeError):
        fiscal_year_open(source=FiscalYear.objects.get(be_year=2570))
    assert not FiscalYear.objects.filter(be_year=2571).exists()


# ---------------------------------------------------------------------------- the editing page


def test_national_staff_start_edit_reorder_and_remove_a_years_items():
    c = national()
    page = c.get(ITEMS).content.decode()
    assert "ยังไม่มีรายการข้อ OIT" in page and "ปีงบประมาณ 2566" in page
    assert c.post(f"{ITEMS}copy/", {"source": "2566"}).status_code == 302
    assert "O42" in c.get(ITEMS).content.decode()
    # Copying twice is refused with a Thai message.
    r = c.post(f"{ITEMS}copy/", {"source": "2566"}, follow=True)
    assert "มีรายการข้อ OIT แล้ว" in r.content.decode() and len(codes(2570)) == 43

    # Renumber and retitle O42 (as NACC did in a 2569 list): its rule and predecessor kept.
    o42 = OitItem.objects.get(year__be_year=2570, code="O42")
    form = c.get(f"{ITEMS}{o42.pk}/").context["form"]
    assert (form.initial["code"], form.initial["rules"]) == ("O42", ["analysis:-1"])
    r = c.post(
        f"{ITEMS}{o42.pk}/",
        item_form(
            code="O50",
            title="การนำผลการประเมิน ITA ไปสู่การพัฒนาองค์กร",
            sub_indicator="มาตรการภายใน",
            predecessor=o42.predecessor_id,
            rules=["analysis:-1"],
        ),
    )
    assert r.status_code == 302 and r["Location"] == f"{ITEMS}#O50", r.context["form"].errors
    o42.refresh_from_db()
    assert (o42.code, o42.predecessor.code, o42.auto_rules()) == ("O50", "O42", [("analysis", 2569)])
    assert o42.history.first().history_user.username == "national-office"
    # A code already used in the year is refused; nothing changes.
    r = c.post(f"{ITEMS}{o42.pk}/", item_form(code="O1", title="ซ้ำ"))
    assert r.status_code == 200 and "ปีงบประมาณ 2570 มีข้อ O1 อยู่แล้ว" in r.content.decode()
    assert OitItem.objects.get(pk=o42.pk).code == "O50"
    r = c.post(f"{ITEMS}{o42.pk}/", item_form(code="O 1<", title="x"))
    assert "รหัสข้อต้องขึ้นต้นด้วยตัวอักษรภาษาอังกฤษ" in r.content.decode()

    # Add one at the end, move it up, remove it.
    r = c.post(f"{ITEMS}add/", item_form(period="first_half", rules=["six_month:0"]))
    assert r.status_code == 302 and codes(2570)[-1] == "O44"
    new = OitItem.objects.get(year__be_year=2570, code="O44")
    assert (new.period, new.auto_rules(), new.predecessor) == ("first_half", [("six_month", 2570)], None)
    assert c.post(f"{ITEMS}{new.pk}/move/", {"direction": "up"}).status_code == 302
    assert codes(2570)[-2:] == ["O44", "O43"]
    assert list(OitItem.objects.filter(year__be_year=2570).order_by("order").values_list("order", flat=True)) == list(
        range(1, 45)
    )
    c.post(f"{ITEMS}{new.pk}/move/", {"direction": "down"})
    assert codes(2570)[-2:] == ["O43", "O44"]
    assert c.post(f"{ITEMS}{new.pk}/delete/").status_code == 302
    assert "O44" not in codes(2570)


def test_an_item_with_evidence_is_not_removed():
    c = national()
    o1 = OitItem.objects.get(year__be_year=2566, code="O1")
    OitEvidence.objects.create(
        agency=Agency.objects.get(code="khao-samo-khon"), item=o1, source="url", title="โครงสร้าง", url="https://e.org/"
    )
    r = c.post(f"/national/years/2566/oit/{o1.pk}/delete/", follow=True)
    assert "ข้อ O1 มีหลักฐานของหน่วยงานแล้ว 1 รายการ จึงนำออกไม่ได้" in r.content.decode()
    assert OitItem.objects.filter(pk=o1.pk).exists()


@pytest.mark.parametrize(
    "who, status",
    [("ksk-coord", 403), ("lopburi-office", 403), ("national-office", 200), ("django-staff", 200)],
)
def test_only_national_staff_edit_oit_lists(who, status):
    if who == "django-staff":
        c = Client()
        c.force_login(get_user_model().objects.create_user("oit-admin", password="x-Long-pass-2570", is_staff=True))
    else:
        c = login(who)
    o1 = OitItem.objects.get(year__be_year=2566, code="O1")
    for url in (
        "/national/oit/",
        "/national/years/2566/oit/",
        "/national/years/2566/oit/add/",
        f"/national/years/2566/oit/{o1.pk}/",
    ):
        assert c.get(url).status_code == status, url
    c.post(f"/national/years/2566/oit/{o1.pk}/", item_form(code="O1", title="เปลี่ยนชื่อ"))
    assert (OitItem.objects.get(pk=o1.pk).title == "เปลี่ยนชื่อ") == (status == 200)
    # The national overview leads there; a province's does not.
    overview = c.get("/oversight/").content.decode() if who.endswith("office") else ""
    assert ("/national/oit/" in overview) == (who == "national-office")
