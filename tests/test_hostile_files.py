"""Hostile files are refused cheaply: measured in a child process (peak RSS from os.wait4, and the
seconds of the check itself), so that a regression shows as a number, not a slow or killed suite.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from measures.models import Measure, Progress

from .conftest import login
from .hostile import measure_child, png_bomb

KSK = "khao-samo-khon"
MAX_RSS_MB = 300
MAX_SECONDS = 1.0

FIGURES: dict[str, tuple[float, float]] = {}  # name → (rss MB, seconds), printed with -s


def check_in_child(name: str, code: str, files: dict[str, bytes]) -> dict:
    run = measure_child(code, files=files)
    assert run["returncode"] == 0, run["stderr"]
    print(f"{name}: peak RSS {run['rss_mb']:.0f} MB, check {run['seconds']:.3f} s")
    assert run["rss_mb"] < MAX_RSS_MB, (name, run["rss_mb"])
    assert run["seconds"] < MAX_SECONDS, (name, run["seconds"])
    return run["result"]


PHOTO_CHECK = """
from django.core.files.uploadedfile import SimpleUploadedFile
from measures import services
data = open(FILES["bomb.png"], "rb").read()
try:
    services.photo_process(upload=SimpleUploadedFile("bomb.png", data, content_type="image/png"))
    RESULT = "accepted"
except services.ServiceError as exc:
    RESULT = str(exc)
"""


def test_png_bomb_refused_by_pixel_count_before_decoding():
    bomb = png_bomb(13000, 13000)
    assert len(bomb) < 1024 * 1024  # a small file …
    message = check_in_child("png 13000×13000", PHOTO_CHECK, {"bomb.png": bomb})  # … refused cheaply
    assert message.startswith("ภาพมีขนาดใหญ่เกินไป (")
    assert "ล้านพิกเซล; สูงสุด 40 ล้านพิกเซล)" in message


def test_pixels_just_over_the_limit_are_refused_with_the_count(settings):
    from measures import services

    settings.PHOTO_MAX_PIXELS = 1_000_000
    buf = io.BytesIO()
    Image.new("RGB", (1100, 1000), "white").save(buf, "PNG")
    with pytest.raises(services.ServiceError) as exc:
        services.photo_process(upload=SimpleUploadedFile("a.png", buf.getvalue()))
    assert str(exc.value) == "ภาพมีขนาดใหญ่เกินไป (1.1 ล้านพิกเซล; สูงสุด 1 ล้านพิกเซล)"


def _png(size) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, "PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


def _progress_form(**extra):
    data = {
        "status": "in_progress",
        "output": "ข้อความ",
        "outcome": "",
        "photo-TOTAL_FORMS": "3",
        "photo-INITIAL_FORMS": "0",
        "link-TOTAL_FORMS": "2",
        "link-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


@pytest.fixture
def measure(db):
    return Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()


def test_photos_of_one_save_are_bounded_together(measure, settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000
    settings.PHOTO_MAX_TOTAL_PIXELS = 2_000_000
    c = login("ksk-staff1")
    photos = {f"photo-{i}-image": _png((1000, 900)) for i in range(3)}  # 0.9 MP each, 2.7 MP together
    r = c.post(f"/a/{KSK}/measures/{measure.pk}/progress/six_month/", _progress_form(**photos))
    assert r.status_code == 200
    assert "ภาพที่แนบรวมกันมีขนาดใหญ่เกินไป (2.7 ล้านพิกเซล; สูงสุด 2 ล้านพิกเซลต่อครั้ง)" in r.content.decode()
    assert not Progress.objects.filter(measure=measure, round="six_month").exists()


def test_more_photos_than_a_form_holds_are_refused(measure, settings):
    c = login("ksk-staff1")
    n = settings.PHOTO_MAX_PER_FORM + 1
    photos = {f"photo-{i}-image": _png((10, 10)) for i in range(n)}
    r = c.post(
        f"/a/{KSK}/measures/{measure.pk}/progress/six_month/",
        _progress_form(**{"photo-TOTAL_FORMS": str(n)}, **photos),
    )
    assert r.status_code == 200
    assert f"แนบภาพได้ครั้งละไม่เกิน {settings.PHOTO_MAX_PER_FORM} ภาพ" in r.content.decode()
    assert not Progress.objects.filter(measure=measure, round="six_month").exists()


def test_pillow_guard_follows_the_setting(settings):
    from django.conf import settings as conf

    assert Image.MAX_IMAGE_PIXELS == conf.PHOTO_MAX_PIXELS
