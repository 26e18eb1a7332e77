"""Object storage through the real protocol: an S3 server (moto's, started here on 127.0.0.1).

Every file the portal stores goes through Django's storage API: evidence photos and their print
copies, import uploads, the draft-PDF cache and published PDFs land in the bucket, nothing in
MEDIA_ROOT. The renderer reads photos from the bucket (in the worker's forked child), and the
PDFs it makes carry no path of the server. /readyz fails when the bucket cannot be reached.
Storage is configured by the same function production uses (settings.s3_storage).
"""

import io
import logging
import uuid

import boto3
import pymupdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from ita_portal import settings as project_settings
from measures.models import EvidencePhoto, Measure, Progress
from reports.models import PublishedVersion, RenderJob

from .conftest import login

pytestmark = pytest.mark.s3

KSK = "khao-samo-khon"


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server in a thread of this process, on a free port of 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    """A new bucket per test, made the default storage the way production settings do it."""
    env = {
        "AWS_ACCESS_KEY_ID": "ita-test",
        "AWS_SECRET_ACCESS_KEY": "ita-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",  # never ask a metadata service on the network
        "AWS_STORAGE_BUCKET_NAME": f"ita-{uuid.uuid4().hex[:12]}",
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=env["AWS_STORAGE_BUCKET_NAME"])
    settings.STORAGES = {**settings.STORAGES, "default": project_settings.s3_storage(env)}
    # The demo's files (its drawn photos) move into the bucket, as a deployment on S3 keeps them:
    # from here on nothing of the portal's is on local disk.
    root = settings.MEDIA_ROOT
    for path in media_files(settings):
        client.put_object(
            Bucket=env["AWS_STORAGE_BUCKET_NAME"], Key=path.relative_to(root).as_posix(), Body=path.read_bytes()
        )
        path.unlink()
    return Bucket(client, env["AWS_STORAGE_BUCKET_NAME"])


class Bucket:
    def __init__(self, client, name: str):
        self.client, self.name = client, name

    def keys(self, prefix: str = "") -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(o["Key"] for o in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


def media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def png(width=800, height=600) -> bytes:
    img = Image.new("RGB", (width, height), (30, 140, 60))
    for x in range(0, width, 40):
        for y in range(height):
            img.putpixel((x, y), (250, 250, 250))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def palat_measure() -> Measure:
    return Measure.objects.filter(agency__code=KSK, year__be_year=2567, divisions__name="สำนักปลัด").order_by("order")[0]


def upload_photo(measure: Measure, caption: str) -> EvidencePhoto:
    """Division staff record the annual round with a photo through the web form."""
    c = login("ksk-staff1")
    Progress.objects.filter(measure=measure, activity=None, round="annual").delete()
    r = c.post(
        f"/a/{KSK}/measures/{measure.pk}/progress/annual/",
        {
            "status": "done",
            "output": "ผลงานที่มีภาพ",
            "completed_on": "30/09/2567",
            "photo-TOTAL_FORMS": "1",
            "photo-INITIAL_FORMS": "0",
            "link-TOTAL_FORMS": "0",
            "link-INITIAL_FORMS": "0",
            "photo-0-image": SimpleUploadedFile("กิจกรรม.png", png(), content_type="image/png"),
            "photo-0-caption": caption,
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    return EvidencePhoto.objects.get(progress__measure=measure, progress__round="annual", caption=caption)


def test_photos_and_their_print_copies_are_objects_in_the_bucket(db, bucket, settings):
    photo = upload_photo(palat_measure(), "ภาพในบัคเก็ต")
    keys = bucket.keys("evidence/")
    assert photo.image.name in keys and photo.print_image.name in keys
    assert photo.image.name.startswith(f"evidence/{KSK}/2567/")
    assert media_files(settings) == []
    with Image.open(io.BytesIO(bucket.read(photo.print_image.name))) as img:
        assert img.format == "JPEG" and max(img.size) == 440
    # Served through the access-checked view, read back from the bucket.
    r = login("ksk-staff1").get(f"/a/{KSK}/photos/{photo.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == bucket.read(photo.image.name)
    assert Client().get(f"/a/{KSK}/photos/{photo.pk}/").status_code == 302  # anonymous: login first


def test_import_uploads_wait_in_the_bucket(db, bucket, settings):
    from .test_workbook import _upload, filled_template

    c = login("ksk-coord")
    r = c.post(f"/a/{KSK}/workbook/?year=2567", {"year": "2567", "file": _upload("ksk.xlsx", filled_template())})
    assert r.status_code == 302, r.content.decode()[:2000]
    token = r["Location"].rstrip("/").rsplit("/", 1)[1]
    assert bucket.keys("imports/") == [f"imports/{token}.xlsx"]
    assert c.get(r["Location"]).status_code == 200  # the preview reads it back from the bucket
    assert media_files(settings) == []


def pdf_images(pdf: bytes) -> list[tuple[int, int]]:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    return [(img[2], img[3]) for page in doc for img in page.get_images(full=True)]


def pdf_all_bytes(pdf: bytes) -> bytes:
    """Every object and (decompressed) stream of the PDF, attachments included."""
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    parts = []
    for xref in range(1, doc.xref_length()):
        parts.append(doc.xref_object(xref, compressed=False).encode())
        if doc.xref_is_stream(xref):
            try:
                parts.append(doc.xref_stream(xref))
            except RuntimeError:  # an image stream that cannot be decoded as such
                parts.append(doc.xref_stream_raw(xref))
    for name in doc.embfile_names():
        parts.append(doc.embfile_get(name))
    return b"\n".join(parts)


@pytest.mark.slow
def test_draft_and_publish_render_photos_from_the_bucket(db, bucket, settings, django_capture_on_commit_callbacks):
    """The whole flow on S3: upload, draft rendered by a worker's forked child, publish, public PDF."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    photo = upload_photo(palat_measure(), "ภาพประกอบจากบัคเก็ต")
    base = f"/a/{KSK}/reports/2567/annual"
    coord, exec_ = login("ksk-coord"), login("ksk-exec")

    with django_capture_on_commit_callbacks(execute=True):
        assert coord.post(f"{base}/preview.pdf").status_code == 302  # queued; the worker renders it
    job = RenderJob.objects.get(agency__code=KSK, purpose=RenderJob.Purpose.PREVIEW)
    assert job.state == RenderJob.JobState.DONE, job.error
    r = coord.get(f"{base}/preview.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    draft = r.content
    assert (440, 330) in pdf_images(draft)  # the print copy, read from the bucket by the renderer
    assert job.pdf_path in bucket.keys("reports/cache/") and bucket.read(job.pdf_path) == draft

    coord.post(f"{base}/submit/")
    exec_.post(f"{base}/approve/")
    with django_capture_on_commit_callbacks(execute=True):
        exec_.post(f"{base}/publish/")
    version = PublishedVersion.objects.get(report__agency__code=KSK, report__year__be_year=2567, report__kind="annual")
    published = bucket.read(version.pdf.name)
    assert version.pdf.name.startswith(f"reports/{KSK}/2567/annual-v1-")
    public = Client().get(f"/p/{KSK}/2567/annual.pdf")
    assert public.status_code == 200 and public.content == published
    assert (440, 330) in pdf_images(published)

    # No server path in either PDF: photos are named by storage name, the renderer's URL is private.
    for pdf in (draft, published):
        everything = pdf_all_bytes(pdf)
        for server_path in (str(settings.MEDIA_ROOT), str(settings.BASE_DIR), "file://", "/tmp/"):
            assert server_path.encode() not in everything, server_path
    data = pymupdf.open(stream=published, filetype="pdf").embfile_get("report-data.json").decode()
    assert f'"name": "{photo.print_image.name}"' in data
    assert media_files(settings) == []


def test_readyz_checks_the_bucket(db, bucket, settings):
    assert Client().get("/readyz").status_code == 200
    settings.STORAGES = {
        **settings.STORAGES,
        "default": project_settings.s3_storage(
            {"AWS_STORAGE_BUCKET_NAME": "ita-no-such-bucket", "AWS_S3_ENDPOINT_URL": bucket.client.meta.endpoint_url}
        ),
    }
    r = Client().get("/readyz")
    assert r.status_code == 503 and r.content == b"not ready\n"


def _text_and_images(pdf: bytes) -> tuple[list[str], list[bytes]]:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    texts = [page.get_text() for page in doc]
    images = [doc.xref_stream_raw(img[0]) for page in doc for img in page.get_images(full=True)]
    return texts, images


@pytest.mark.slow
def test_a_report_renders_the_same_from_the_bucket_as_from_local_storage(db, settings, request):
    """The same photo and data, once on local disk and once in the bucket: the same text on every
    page and the same image bytes in the PDF."""
    from agencies.models import Agency
    from assessments.models import FiscalYear
    from reports.rendering import render_pdf
    from reports.selectors import report_context, report_get_or_default

    settings.REPORT_CHUNK_CACHE_DIR = str(settings.MEDIA_ROOT.parent / "chunks")

    def render() -> bytes:
        report = report_get_or_default(
            agency=Agency.objects.get(code=KSK), year=FiscalYear.objects.get(be_year=2567), kind="annual"
        )
        report.show_photos = True
        return render_pdf(report_context(report=report), processes=1)

    upload_photo(palat_measure(), "ภาพเดียวกันสองที่เก็บ")
    local = render()
    assert media_files(settings), "the local render read its photo from MEDIA_ROOT"

    bucket = request.getfixturevalue("bucket")  # from here on, the default storage is the bucket
    upload_photo(palat_measure(), "ภาพเดียวกันสองที่เก็บ")
    assert bucket.keys("photos/") or bucket.keys()
    from_bucket = render()

    local_text, local_images = _text_and_images(local)
    bucket_text, bucket_images = _text_and_images(from_bucket)
    assert "ภาพเดียวกันสองที่เก็บ" in "".join(local_text)
    assert bucket_text == local_text
    assert local_images and bucket_images == local_images
