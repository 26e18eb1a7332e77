"""Edits outside the web forms move versions too: a Django admin save (so a form opened before it
gets the conflict page), and a delete is refused when the row changed since the page was shown."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from agencies.models import Agency, Division
from measures.models import Activity, Measure, Progress

from .conftest import login
from .test_edits import KSK, STALE, opened


@pytest.fixture
def ksk_measure(db):
    return Measure.objects.filter(agency__code=KSK, year__be_year=2567, divisions__isnull=False).distinct().first()


def _admin() -> Client:
    user = get_user_model().objects.create_superuser("site-admin", password="x")
    c = Client()
    c.force_login(user)
    return c


def _value(value):
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list | tuple):
        return [getattr(v, "pk", v) for v in value]
    return "" if value is None else getattr(value, "pk", value)


def _admin_post_data(page) -> dict:
    """What the admin change page would send unchanged: the form's values and each inline's."""
    form = page.context["adminform"].form
    data = {name: _value(form[name].value()) for name in form.fields}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()})
        for f in formset.forms:
            data.update({f.add_prefix(name): _value(f[name].value()) for name in f.fields})
    return {k: v for k, v in data.items() if v != ""}


@pytest.mark.django_db
def test_an_admin_save_moves_the_version_and_a_form_opened_before_gets_the_conflict(ksk_measure):
    coord = login("ksk-coord")
    url = f"/a/{KSK}/measures/{ksk_measure.pk}/edit/"
    seen = opened(coord, url)
    activity = ksk_measure.activities.order_by("order", "id").first() or Activity.objects.create(
        measure=ksk_measure, order=1, title="กิจกรรมเดิม"
    )
    activity_url = f"/a/{KSK}/measures/{ksk_measure.pk}/activities/{activity.pk}/edit/"
    activity_seen = opened(coord, activity_url)

    admin = _admin()
    admin_url = f"/admin/measures/measure/{ksk_measure.pk}/change/"
    data = _admin_post_data(admin.get(admin_url))
    data["title"] = "ชื่อที่ผู้ดูแลระบบแก้"
    row = next(k for k, v in data.items() if k.endswith("-id") and str(v) == str(activity.pk)).removesuffix("-id")
    data[f"{row}-title"] = "กิจกรรมที่ผู้ดูแลระบบแก้"  # an inline edit moves the activity's version
    r = admin.post(admin_url, data)
    assert r.status_code == 302, r.content.decode()[:2000]
    m, a = Measure.objects.get(pk=ksk_measure.pk), Activity.objects.get(pk=activity.pk)
    assert (m.title, m.version) == ("ชื่อที่ผู้ดูแลระบบแก้", ksk_measure.version + 1)
    assert (a.title, a.version) == ("กิจกรรมที่ผู้ดูแลระบบแก้", activity.version + 1)

    r = coord.post(url, {"year": "2567"} | seen | {"title": "ชื่อจากแบบฟอร์มเก่า"})
    assert r.status_code == 200 and STALE in r.content.decode()
    r = coord.post(activity_url, activity_seen | {"title": "กิจกรรมจากแบบฟอร์มเก่า"})
    assert r.status_code == 200 and STALE in r.content.decode()
    assert Measure.objects.get(pk=m.pk).title == "ชื่อที่ผู้ดูแลระบบแก้"
    assert Activity.objects.get(pk=a.pk).title == "กิจกรรมที่ผู้ดูแลระบบแก้"


@pytest.mark.django_db
def test_an_admin_progress_save_moves_its_version():
    p = Progress.objects.filter(measure__agency__code=KSK).first()
    admin = _admin()
    admin_url = f"/admin/measures/progress/{p.pk}/change/"
    data = _admin_post_data(admin.get(admin_url)) | {"output": "ผลที่ผู้ดูแลระบบแก้"}
    assert admin.post(admin_url, data).status_code == 302
    p2 = Progress.objects.get(pk=p.pk)
    assert (p2.output, p2.version) == ("ผลที่ผู้ดูแลระบบแก้", p.version + 1)


DELETE_STALE = "มีผู้อื่นแก้ไขรายการนี้หลังจากที่คุณเปิดหน้า ระบบจึงยังไม่ลบ"


@pytest.mark.django_db
def test_a_stale_measure_delete_is_refused(ksk_measure):
    coord = login("ksk-coord")
    page = coord.get(f"/a/{KSK}/measures/{ksk_measure.pk}/").content.decode()
    assert f'<input type="hidden" name="version" value="{ksk_measure.version}">' in page  # the delete form's
    edit = f"/a/{KSK}/measures/{ksk_measure.pk}/edit/"
    divisions = list(ksk_measure.divisions.values_list("pk", flat=True))
    assert (
        coord.post(edit, opened(coord, edit) | {"year": "2567", "title": "แก้แล้ว", "divisions": divisions}).status_code
        == 302
    )
    delete = f"/a/{KSK}/measures/{ksk_measure.pk}/delete/"
    for sent in ({"version": ksk_measure.version}, {}):  # the page's old version, or none
        r = coord.post(delete, sent, follow=True)
        assert DELETE_STALE in r.content.decode()
        assert Measure.objects.filter(pk=ksk_measure.pk).exists()
    r = coord.post(delete, {"version": ksk_measure.version + 1}, follow=True)
    assert "ลบมาตรการเรียบร้อยแล้ว" in r.content.decode()
    assert not Measure.objects.filter(pk=ksk_measure.pk).exists()


@pytest.mark.django_db
def test_a_stale_activity_delete_is_refused(ksk_measure):
    activity = Activity.objects.create(measure=ksk_measure, order=90, title="กิจกรรมเดิม")
    coord = login("ksk-coord")
    edit = f"/a/{KSK}/measures/{ksk_measure.pk}/activities/{activity.pk}/edit/"
    seen = opened(coord, edit)
    assert coord.post(edit, seen | {"title": "กิจกรรมที่แก้แล้ว"}).status_code == 302
    delete = f"/a/{KSK}/measures/{ksk_measure.pk}/activities/{activity.pk}/delete/"
    r = coord.post(delete, {"version": seen["version"]}, follow=True)
    assert DELETE_STALE in r.content.decode()
    assert Activity.objects.get(pk=activity.pk).title == "กิจกรรมที่แก้แล้ว"
    page = coord.get(edit).content.decode()
    assert f'<input type="hidden" name="version" value="{activity.version + 1}">' in page
    assert coord.post(delete, {"version": activity.version + 1}).status_code == 302
    assert not Activity.objects.filter(pk=activity.pk).exists()


@pytest.mark.django_db
def test_a_stale_division_delete_is_refused():
    division = Division.objects.create(agency=Agency.objects.get(code=KSK), name="กองที่จะลบ", order=98)
    first, second = login("ksk-coord"), login("ksk-coord")
    url = f"/a/{KSK}/divisions/{division.pk}/"
    shown = str(division.version)
    assert first.post(url, {"action": "rename", "name": "กองที่เปลี่ยนชื่อแล้ว", "version": shown}).status_code == 302
    r = second.post(url, {"action": "delete", "version": shown}, follow=True)
    assert DELETE_STALE in r.content.decode()
    assert Division.objects.get(pk=division.pk).name == "กองที่เปลี่ยนชื่อแล้ว"
    second.post(url, {"action": "delete", "version": str(division.version + 1)})
    assert not Division.objects.filter(pk=division.pk).exists()
