"""Photos survive a refused save (#13): kept on the server under a token for the person who picked
them (one day at most), shown as thumbnails, saved with the entry on the next try."""

import datetime
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from measures import photo_stash
from measures.models import Measure, Progress

from .conftest import login
from .test_progress import form, jpeg_with_gps, url

KSK = "khao-samo-khon"


@pytest.fixture
def measure(db):
    return Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()


def photo(name="ประชุม.jpg"):
    return SimpleUploadedFile(name, jpeg_with_gps(size=(800, 600)), content_type="image/jpeg")


def refused_with_photo(client, measure):
    """Send the form with a photo and a Gregorian date: refused, the photo kept."""
    r = client.post(
        url(measure), form(**{"completed_on": "31/03/2024", "photo-0-image": photo(), "photo-0-caption": "ประชุมชี้แจง"})
    )
    assert r.status_code == 200
    page = r.content.decode()
    token = re.search(r'name="photo_token" value="([^"]+)"', page).group(1)
    return page, token


def test_a_photo_picked_before_a_refused_save_is_saved_on_the_next_try(measure):
    staff = login("ksk-staff1")
    page, token = refused_with_photo(staff, measure)
    assert "ดูเหมือนเป็นปี ค.ศ." in page and "ภาพที่คุณเลือกไว้แล้ว ระบบเก็บไว้ให้" in page
    thumb = f"/a/{KSK}/photos/kept/{token}/0/"
    assert f'src="{thumb}"' in page and 'value="ประชุมชี้แจง"' in page
    assert not Progress.objects.filter(measure=measure, round="six_month").exists()
    shown = staff.get(thumb)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    # Only its person sees it.
    assert login("ksk-staff2").get(thumb).status_code == 404
    assert login("ksk-coord").get(thumb).status_code == 404
    # The date fixed, nothing picked again: saved with the photo and the caption as now written.
    data = form(photo_token=token, keep_photo="0", kept_caption_0="ประชุมชี้แจงเจ้าหน้าที่")
    assert staff.post(url(measure), data).status_code == 302
    saved = Progress.objects.get(measure=measure, round="six_month").photos.get()
    assert saved.caption == "ประชุมชี้แจงเจ้าหน้าที่" and saved.image and saved.print_image
    assert staff.get(thumb).status_code == 404  # dropped once saved
    assert default_storage.listdir(f"stash/{token}")[1] == []


def test_an_unticked_kept_photo_is_not_saved(measure):
    staff = login("ksk-staff1")
    _page, token = refused_with_photo(staff, measure)
    assert staff.post(url(measure), form(photo_token=token)).status_code == 302
    assert not Progress.objects.get(measure=measure, round="six_month").photos.exists()


def test_kept_photos_add_up_over_refused_tries_and_bad_files_are_named(measure):
    staff = login("ksk-staff1")
    _page, token = refused_with_photo(staff, measure)
    fake = SimpleUploadedFile("ไม่ใช่ภาพ.jpg", b"not an image", content_type="image/jpeg")
    r = staff.post(
        url(measure),
        form(
            completed_on="",
            photo_token=token,
            keep_photo="0",
            **{"photo-0-image": photo("สอง.jpg"), "photo-1-image": fake},
        ),
    )
    page = r.content.decode()
    assert "ภาพช่องที่ 2 (ไม่ใช่ภาพ.jpg): ไฟล์ที่อัปโหลดไม่ใช่ภาพที่อ่านได้" in page
    assert re.search(r'name="photo_token" value="([^"]+)"', page).group(1) == token
    assert f"/photos/kept/{token}/0/" in page and f"/photos/kept/{token}/1/" in page
    assert staff.post(url(measure), form(photo_token=token, keep_photo=["0", "1"])).status_code == 302
    assert Progress.objects.get(measure=measure, round="six_month").photos.count() == 2


def test_kept_photos_last_one_day(measure):
    staff = login("ksk-staff1")
    _page, token = refused_with_photo(staff, measure)
    later = timezone.now() + photo_stash.KEEP_FOR + datetime.timedelta(minutes=1)
    assert photo_stash.photo_stash_purge(now=later) == 1
    assert staff.get(f"/a/{KSK}/photos/kept/{token}/0/").status_code == 404
    assert staff.post(url(measure), form(photo_token=token, keep_photo="0")).status_code == 302
    assert not Progress.objects.get(measure=measure, round="six_month").photos.exists()


def test_the_form_shows_the_size_limit_and_tells_the_browser(measure, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 8 * 1024 * 1024
    page = login("ksk-staff1").get(url(measure)).content.decode()
    assert "ไฟล์ JPEG, PNG หรือ WebP ไม่เกิน 8.0\xa0MB ต่อภาพ" in page
    assert f'data-max-bytes="{8 * 1024 * 1024}"' in page and 'accept="image/jpeg,image/png,image/webp"' in page
