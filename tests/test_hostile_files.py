"""Hostile files are refused cheaply: measured in a child process (peak RSS from os.wait4, and the
seconds of the check itself), so that a regression shows as a number, not a slow or killed suite.
"""

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from measures.models import Measure, Progress

from .conftest import login
from .hostile import measure_child, png_bomb, xlsx

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


BOOK_CHECK = """
from sheets.reading import Book, FileRefused
try:
    with Book(FILES["book.xlsx"], accept_csv=False) as book:
        for name in book.sheet_names:
            book.read(name)
    RESULT = "read"
except FileRefused as exc:
    RESULT = str(exc)
"""


def _rows(n: int, *, header_end: str = "XFD"):
    yield (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>ชื่อ</t></is></c>'
        f'<c r="{header_end}1" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    for r in range(2, n + 1):
        yield f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>มาตรการ {r}</t></is></c></row>'


def test_header_reaching_xfd_with_12000_rows_is_refused():
    message = check_in_child("header to XFD, 12,000 rows", BOOK_CHECK, {"book.xlsx": xlsx(_rows(12000))})
    assert "มีข้อมูลถึงคอลัมน์ที่ 16,384 เกินกว่าที่รับได้ (200 คอลัมน์)" in message


def test_declared_dimension_beyond_the_limits_is_refused_before_the_rows():
    book = xlsx(_rows(3, header_end="B"), dimension="A1:XFD12000")
    message = check_in_child("dimension A1:XFD12000", BOOK_CHECK, {"book.xlsx": book})
    assert "คอลัมน์ที่ 16,384" in message


def test_a_column_past_xfd_is_refused():
    message = check_in_child("column past XFD", BOOK_CHECK, {"book.xlsx": xlsx(_rows(5, header_end="AAAA"))})
    assert "เกินกว่าที่รับได้ (200 คอลัมน์)" in message


def test_too_many_rows_and_cells_are_refused(settings):
    from sheets.reading import Book, FileRefused

    settings.IMPORT_MAX_ROWS = 100
    with pytest.raises(FileRefused, match="มีถึงแถวที่ 101 เกินกว่าที่รับได้ \\(100 แถว\\)"):
        with Book(xlsx(_rows(200, header_end="B")), accept_csv=False) as book:
            book.read(book.sheet_names[0])
    settings.IMPORT_MAX_ROWS = 500_000
    settings.IMPORT_MAX_CELLS = 150
    with pytest.raises(FileRefused, match="เกิน 150 เซลล์"):
        with Book(xlsx(_rows(200, header_end="B")), accept_csv=False) as book:
            book.read(book.sheet_names[0])


def _shared_strings_bomb() -> bytes:
    """~4 MB on disk, shared strings expanding to ~400 MB (a ratio under the zip-bomb guard's)."""
    rnd = random.Random(1)
    block = "".join(f"<si><t>{'ก' * 600}{rnd.getrandbits(32):08x}</t></si>" for _ in range(2000))
    target = 380 * 1024 * 1024

    def parts():
        n = 0
        while n < target:
            yield block
            n += len(block.encode())

    return xlsx(['<row r="1"><c r="A1" t="s"><v>0</v></c></row>'], shared_strings=parts(), level=1)


def test_shared_strings_expanding_to_400_mb_are_refused_from_the_zip_directory():
    bomb = _shared_strings_bomb()
    assert len(bomb) < 5 * 1024 * 1024
    message = check_in_child("shared strings 4 MB → 383 MB", BOOK_CHECK, {"book.xlsx": bomb})
    assert message.startswith("ข้อความในไฟล์นี้ขยายออกได้ 383 MB เกินกว่าที่รับได้ (32 MB)")


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe\x41",  # UTF-16 with an odd byte
        b"\xef\xbb\xbf\xe0\xb8",  # a UTF-8 BOM then a cut character
        "ชื่อ\n".encode("cp874") + b"\xdb\xfc\n",  # bytes neither UTF-8 nor cp874
        b"a,b\n1,\x00\n",  # a NUL byte
    ],
)
def test_odd_csv_encodings_are_refused_in_thai(raw):
    from sheets.reading import Book, FileRefused

    with pytest.raises(FileRefused):
        with Book(raw, accept_csv=True) as book:
            book.read(book.sheet_names[0])
