"""Safe rendering and hostile uploads.

Every free-text field of Measure, Activity, Progress, Plan, Report, EvidencePhoto (and the names of
divisions and the agency, the awarded level and the analysis remedies, which reach the report
too) gets its own hostile payload: <img src="http://127.0.0.1:…">, file:///etc/passwd, a data: URI
and CSS url()/@import. The PDF shows each one as text, and the renderer fetches nothing but the
bundled fonts and the report's own stored photos; the web pages escape them. Then the URL fetcher alone,
given raw hostile HTML (as if escaping had failed), still reaches neither the network nor a file
outside the project's own.
"""

import io
import socket
import threading

import pymupdf as fitz
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agencies.models import Agency, Division
from assessments.models import AssessmentResult, FiscalYear, IndicatorScore
from measures.models import Activity, EvidencePhoto, Measure, Plan, Progress
from reports import rendering
from reports.models import COLUMNS
from reports.selectors import report_context, report_get_or_default

from .conftest import login

KSK = "khao-samo-khon"


def hostile(tag: str, limit: int) -> str:
    """A payload that starts with a marker (to find it in the PDF's text) and fits the field."""
    full = (
        f'{tag} <img src="http://127.0.0.1:9/{tag}.png"> <img src="file:///etc/passwd?{tag}"> '
        f'<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=#{tag}"> '
        f'<style>@import url("http://127.0.0.1:9/{tag}.css"); * {{ background: url(file:///etc/passwd) }}</style> '
        f'<b style="background:url(http://127.0.0.1:9/{tag}-attr)">x</b> <link rel="attachment" href="file:///etc/passwd">'
    )
    for payload in (full, f'{tag} <img src="file:///etc/passwd">', f"{tag}<img src=/etc/p>"):
        if len(payload) <= limit:
            return payload
    raise AssertionError(f"no payload fits {limit}")


def _limit(model, field: str) -> int:
    return model._meta.get_field(field).max_length or 4000


def set_hostile(obj, fields: dict[str, str], markers: dict[str, str]) -> None:
    for name, tag in fields.items():
        setattr(obj, name, hostile(tag, _limit(type(obj), name)))
        markers[f"{type(obj).__name__}.{name}"] = tag
    obj.save()


@pytest.fixture
def hostile_agency(db):
    """KSK 2567 with a hostile value in every free-text field the report can show."""
    markers: dict[str, str] = {}
    agency = Agency.objects.get(code=KSK)
    year = FiscalYear.objects.get(be_year=2567)
    set_hostile(agency, {"name": "QAGN", "district": "QAGD", "province": "QAGP"}, markers)
    division = Division.objects.get(agency=agency, name="สำนักปลัด")
    set_hostile(division, {"name": "QDIV"}, markers)
    measure = Measure.objects.filter(agency=agency, year=year).order_by("order").first()
    set_hostile(
        measure,
        {
            "number": "QMNO",
            "focus": "QMFO",
            "title": "QMTI",
            "steps": "QMST",
            "period": "QMPE",
            "responsible_note": "QMRN",
            "monitoring": "QMMO",
        },
        markers,
    )
    activity = Activity.objects.create(measure=measure, order=1, title="x")
    set_hostile(activity, {"title": "QATI", "steps": "QAST", "period": "QAPE"}, markers)
    Progress.objects.filter(measure=measure, round="annual").delete()
    progress = Progress.objects.create(measure=measure, round="annual", status="done")
    set_hostile(progress, {"output": "QPOU", "outcome": "QPOC"}, markers)
    unable = Progress.objects.create(measure=measure, activity=activity, round="annual", status="unable")
    unable.unable_reason = "other"
    set_hostile(unable, {"unable_note": "QPUN"}, markers)
    photo = EvidencePhoto.objects.create(progress=progress)
    set_hostile(photo, {"caption": "QPHC"}, markers)
    plan, _ = Plan.objects.get_or_create(agency=agency, year=year)
    set_hostile(
        plan,
        {"intro": "QPLI", "recommendations": "QPLR", "signatory_name": "QPLS", "signatory_position": "QPLP"},
        markers,
    )
    result = AssessmentResult.objects.get(agency=agency, year=year)
    set_hostile(result, {"level_awarded": "QLVL"}, markers)
    # The 2566 analysis report lists 2567's measures and the remedies of 2566's weakest indicator.
    weakest = IndicatorScore.objects.filter(result__agency=agency, result__year__be_year=2566).order_by("score")
    set_hostile(weakest.first(), {"remedy": "QREM"}, markers)
    # The annual report: every column and its own title; its signatory is the plan's.
    annual = report_get_or_default(agency=agency, year=year, kind="annual")
    annual.columns = list(COLUMNS)
    annual.show_cover = annual.show_photos = annual.show_score_table = annual.show_score_chart = True
    annual.signatory_name = annual.signatory_position = ""
    set_hostile(annual, {"title": "QRTI"}, markers)
    analysis = report_get_or_default(agency=agency, year=FiscalYear.objects.get(be_year=2566), kind="analysis")
    set_hostile(analysis, {"signatory_name": "QRSN", "signatory_position": "QRSP"}, markers)
    return {"agency": agency, "year": year, "measure": measure, "activity": activity, "markers": markers}


def pdf_text(pdf: bytes) -> str:
    doc = fitz.open(stream=pdf, filetype="pdf")
    return "".join("".join(page.get_text().split()) for page in doc)


@pytest.mark.slow
def test_every_free_text_field_is_text_in_the_pdf_and_never_fetched(hostile_agency, monkeypatch, settings):
    fetched = []
    original = rendering.ProjectFilesFetcher.fetch
    monkeypatch.setattr(
        rendering.ProjectFilesFetcher,
        "fetch",
        lambda self, url, headers=None: fetched.append(url) or original(self, url, headers),
    )
    agency = hostile_agency["agency"]
    text = ""
    for be_year, kind in ((2567, "annual"), (2566, "analysis")):
        report = report_get_or_default(agency=agency, year=FiscalYear.objects.get(be_year=be_year), kind=kind)
        context = report_context(report=report)
        html = rendering.render_html(context)
        assert '<img src="http://127.0.0.1' not in html and "<style>@import" not in html, kind
        assert '<link rel="attachment"' not in html and 'style="background:url(http' not in html, kind
        text += pdf_text(rendering.render_pdf(context))
    missing = {field: tag for field, tag in hostile_agency["markers"].items() if tag not in text}
    assert not missing, f"fields not in the PDF: {missing}"
    assert "<imgsrc=" in text  # printed as text, not interpreted
    assert "root:x:0:0" not in text
    allowed = (settings.SARABUN_DIR.as_uri(), rendering.MEDIA_SCHEME + ":")
    assert fetched and all(url.startswith(allowed) for url in fetched), fetched


@pytest.mark.django_db
def test_every_free_text_field_is_escaped_in_the_pages(hostile_agency):
    from django.core.files.base import ContentFile

    from reports.models import PublishedVersion, Report

    m, a = hostile_agency["measure"], hostile_agency["activity"]
    # the public list answers only for an agency that has published (the same 404 otherwise)
    report, _ = Report.objects.get_or_create(agency=m.agency, year=m.year, kind="annual")
    published = PublishedVersion(report=report, version=1, sha256="0" * 64, size=9, data_hash="0" * 64)
    published.pdf.save("r.pdf", ContentFile(b"%PDF-1.7\n"), save=True)
    pages = {
        "ksk-coord": [
            f"/a/{KSK}/",
            f"/a/{KSK}/measures/?year=2567",
            f"/a/{KSK}/measures/{m.pk}/",
            f"/a/{KSK}/measures/{m.pk}/edit/",
            f"/a/{KSK}/measures/{m.pk}/progress/annual/",
            f"/a/{KSK}/measures/{m.pk}/activities/{a.pk}/progress/annual/",
            f"/a/{KSK}/measures/{m.pk}/activities/{a.pk}/edit/",
            f"/a/{KSK}/measures/plan/?year=2567",
            f"/a/{KSK}/my-work/?year=2567&round=annual",
            f"/a/{KSK}/divisions/",
            f"/a/{KSK}/members/",
            f"/a/{KSK}/reports/",
            f"/a/{KSK}/reports/2567/annual/",
            f"/a/{KSK}/reports/2566/analysis/",
            f"/a/{KSK}/scores/2567/edit/",
            f"/a/{KSK}/audit/",
            f"/p/{KSK}/",
            f"/p/{KSK}/embed/",
        ],
        "ksk-staff1": [f"/a/{KSK}/my-work/?year=2567&round=annual"],
        "lopburi-office": ["/", "/oversight/", "/oversight/ranking/?year=2567"],
    }
    shown = set()
    for user, urls in pages.items():
        c = login(user)
        for url in urls:
            r = c.get(url, follow=True)
            assert r.status_code == 200, url
            body = r.content.decode()
            for raw in ('<img src="http://127.0.0.1', '<img src="file:', "<style>@import", 'style="background:url'):
                assert raw not in body, (url, raw)
            shown |= {tag for tag in hostile_agency["markers"].values() if tag in body}
    # Every field is shown on some page (escaped), so the check above covered it; the remedies
    # are entered through the score workbook, not shown on a page.
    not_shown = {f: t for f, t in hostile_agency["markers"].items() if t not in shown}
    assert set(not_shown) <= {"IndicatorScore.remedy"}, not_shown


class Listener:
    """A TCP socket on 127.0.0.1 that counts connections: any fetch of the network shows here."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.mark.slow
def test_the_fetcher_alone_holds_against_raw_hostile_html(settings, tmp_path):
    """Escaping aside: raw HTML and CSS naming the network, /etc/passwd, data: URIs, a path that
    climbs out of MEDIA_ROOT, a symlink in MEDIA_ROOT to /etc/passwd, and stored files by the
    renderer's own scheme that are not the report's photos — nothing is read."""
    import weasyprint

    media = settings.MEDIA_ROOT
    (media / "evidence").mkdir(parents=True, exist_ok=True)
    (media / "evil.png").symlink_to("/etc/passwd")
    (media / "evidence" / "evil.jpg").symlink_to("/etc/passwd")
    stored = rendering.MEDIA_SCHEME
    listener = Listener()
    net = f"http://127.0.0.1:{listener.port}"
    html = f"""<html><head>
    <link rel="stylesheet" href="{net}/a.css">
    <link rel="attachment" href="file:///etc/passwd">
    <style>@import url("{net}/b.css"); @font-face {{ font-family: X; src: url("{net}/f.ttf"); }}
    body {{ background: url("{net}/bg.png"); }} p {{ background: url(file:///etc/passwd); }}</style></head>
    <body><p>text</p>
    <img src="{net}/i.png"><img src="file:///etc/passwd"><img src="data:image/png;base64,iVBORw0KGgo=">
    <img src="{media.as_uri()}/../../../../etc/passwd"><img src="evil.png"><img src="{(media / "evil.png").as_uri()}">
    <img src="{stored}:evidence/evil.jpg"><img src="{stored}:../../../../etc/passwd"><img src="{stored}:/etc/passwd">
    <img src="{stored}:evidence/ok.jpg/../evil.jpg"><img src="{stored}:evidence%2Fevil.jpg">
    <object data="{net}/o.svg"></object><embed src="file:///etc/passwd">
    <a rel="attachment" href="{net}/att.txt">a</a><a rel="attachment" href="file:///etc/passwd">b</a>
    <svg width="10" height="10"><image href="{net}/s.png" width="10" height="10"/></svg>
    <iframe src="{net}/frame"></iframe>
    </body></html>"""
    try:
        fetcher = rendering.ProjectFilesFetcher(media_names={"evidence/ok.jpg"})
        pdf = weasyprint.HTML(string=html, base_url=str(media), url_fetcher=fetcher).write_pdf()
    finally:
        listener.close()
    assert listener.hits == 0
    assert fetcher._storage is None  # no stored file was even opened: none is the report's photo
    assert b"root:x:0:0" not in pdf
    assert fitz.open(stream=pdf, filetype="pdf").embfile_count() == 0


# ------------------------------------------------------------------------------------------------
# Uploads: decoded as images whatever their name says; SVG and HTML are refused, nothing written.


def progress_post(**extra):
    return {
        "status": "in_progress",
        "photo-TOTAL_FORMS": "1",
        "photo-INITIAL_FORMS": "0",
        "link-TOTAL_FORMS": "1",
        "link-INITIAL_FORMS": "0",
        **extra,
    }


@pytest.fixture
def palat_measure(db):
    return Measure.objects.filter(agency__code=KSK, divisions__name="สำนักปลัด").order_by("order").first()


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(document.cookie)</script><image href="file:///etc/passwd"/></svg>'
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(
    "name, content_type, data",
    [
        ("evidence.svg", "image/svg+xml", SVG),
        ("evidence.png", "image/png", SVG),  # an SVG that says it is a PNG
        ("evidence.html", "text/html", HTML),
        ("evidence.jpg", "image/jpeg", HTML),  # HTML that says it is a JPEG
        ("evidence.htm", "image/jpeg", b"\xff\xd8\xff\xe0" + HTML),  # a JPEG signature, then HTML
    ],
)
def test_svg_and_html_uploads_are_refused_and_nothing_is_written(palat_measure, name, content_type, data):
    c = login("ksk-staff1")
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    r = c.post(
        f"/a/{KSK}/measures/{palat_measure.pk}/progress/six_month/",
        progress_post(**{"photo-0-image": upload, "photo-0-caption": "หลักฐาน"}),
    )
    assert r.status_code == 200
    assert "ไม่ใช่ภาพที่อ่านได้" in r.content.decode()
    assert not Progress.objects.filter(measure=palat_measure, round="six_month").exists()
    assert not EvidencePhoto.objects.filter(caption="หลักฐาน").exists()


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd", "ftp://example.com/a"],
)
def test_evidence_links_must_be_http(palat_measure, url):
    c = login("ksk-staff1")
    r = c.post(f"/a/{KSK}/measures/{palat_measure.pk}/progress/six_month/", progress_post(**{"link-0-url": url}))
    assert r.status_code == 200
    assert not Progress.objects.filter(measure=palat_measure, round="six_month").exists()


def test_a_stored_photo_is_served_as_a_jpeg_that_cannot_be_sniffed(palat_measure):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 128, 0)).save(buf, "PNG")
    c = login("ksk-staff1")
    r = c.post(
        f"/a/{KSK}/measures/{palat_measure.pk}/progress/six_month/",
        progress_post(**{"photo-0-image": SimpleUploadedFile("a.png", buf.getvalue(), content_type="image/png")}),
    )
    assert r.status_code == 302
    photo = EvidencePhoto.objects.get(progress__measure=palat_measure, progress__round="six_month")
    r = c.get(f"/a/{KSK}/photos/{photo.pk}/")
    body = b"".join(r.streaming_content)
    assert r["Content-Type"] == "image/jpeg" and r["X-Content-Type-Options"] == "nosniff"
    assert body.startswith(b"\xff\xd8")  # re-encoded as JPEG, whatever was sent
