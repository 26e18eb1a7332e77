"""Reports: each demo agency's own layout, fonts, safe fetching, publishing with stable links."""

import hashlib
import subprocess

import pymupdf as fitz
import pytest

from agencies.models import Agency
from assessments.models import FiscalYear
from measures.models import EvidencePhoto, Plan, Progress
from reports import rendering, services
from reports.models import PublishedVersion, State
from reports.selectors import report_context, report_get_or_default

from .conftest import login

pytestmark = pytest.mark.slow


def render(code: str, year: int, kind: str, **layout) -> bytes:
    report = report_get_or_default(
        agency=Agency.objects.get(code=code), year=FiscalYear.objects.get(be_year=year), kind=kind
    )
    for k, v in layout.items():
        setattr(report, k, v)
    return rendering.render_pdf(report_context(report=report))


def text_of(pdf: bytes, tmp_path) -> str:
    """The text layer, block by block (a table cell's lines stay together)."""
    doc = fitz.open(stream=pdf, filetype="pdf")
    return "\n".join(block[4] for page in doc for block in page.get_text("blocks", sort=False))


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.django_db
def test_khao_samo_khon_annual_matches_seed_000(tmp_path):
    text = text_of(render("khao-samo-khon", 2567, "annual"), tmp_path)
    flat = squash(text)
    # The seed's own column titles (its "ปฎิบัติ" spelling included) and its "1. …" issue headings.
    for header in [
        "มาตรการ/กิจกรรมที่ดำเนินการ",
        "ขั้นตอน/วิธีปฎิบัติ",
        "สรุปผลการดำเนินงานตามมาตรการหรือกิจกรรม",
        "ผลลัพธ์หรือความสำเร็จ",
        "หน่วยงานผู้รับผิดชอบ",
    ]:
        assert header in flat, header
    assert "ประเด็นที่1" not in flat and "ผลการดำเนินการ(output)" not in flat
    assert "1.กระบวนการปฏิบัติงานที่โปร่งใสและมีประสิทธิภาพ" in flat
    assert "7.กลไกและมาตรการในการแก้ไขและป้องกันการทุจริตภายในหน่วยงาน" in flat
    # Year-over-year table under the seed's titles: ten indicators, overall and level as awarded.
    assert "ตารางเปรียบเทียบระดับค่าคะแนนโดยพิจารณาตามประเภทของตัวชี้วัด" in flat and "ปีพ.ศ.2566" in flat
    for number in ["97.92", "96.28", "73.75", "100.00", "89.00", "92.84", "+3.84"]:
        assert number in flat, number
    assert "คิดเป็น92.84คะแนนระดับการประเมินผ่านดี" in flat and "ข้อเสนอแนะเพิ่มเติม" in flat
    # Seed 000 puts each measure's photos after its rows under its own heading; no invented sentence.
    assert "ภาพประกอบผลการดำเนินงานตามมาตรการ" in flat and "ค่าเป้าหมาย" not in flat
    assert "1.จัดทำผังขั้นตอนและการลดขั้นตอนระยะเวลาการปฏิบัติงานตามอำนาจหน้าที่" in flat


@pytest.mark.django_db
def test_takhram_en_analysis_writes_narrative_from_the_table(tmp_path):
    text = squash(text_of(render("takhram-en", 2565, "analysis"), tmp_path))
    # Seed 002 prints Thai digits; its text said the lowest was 75.99 while its table said 77.02.
    assert "๘๗.๑๓" in text and "A" in text
    assert "จำนวน๘ตัวชี้วัด" in text  # strengths: above 80
    assert "จำนวน๒ตัวชี้วัด" in text  # weaknesses: below 80
    assert "คะแนนต่ำสุด๗๗.๐๒คะแนน(ตัวชี้วัดที่๗ประสิทธิภาพการสื่อสาร)" in text
    # The agency's own paragraphs (its sections) are printed as written, beside the computed lines.
    assert "คำนำ" in text and "สรุปได้ว่า" in text and "ผู้ตรวจประเมินมีข้อเสนอแนะ" in text
    for band in ["AA", "๙๕–๑๐๐", "F"]:
        assert band in text
    assert "E7" in text and "๗๘.๓๐" in text  # question-level table; codes keep their digits
    # The measures under the seed's own title; the seed ends with them (no score table added after).
    assert "มาตรการส่งเสริมคุณธรรมและความโปร่งใสประจำปี๒๕๖๖" in text
    assert "ตารางเปรียบเทียบผลการประเมินITAรายตัวชี้วัด" not in text


@pytest.mark.django_db
def test_ubon_pao_six_month_prints_the_seed_tables_words(tmp_path):
    """Seed 004: its column titles, the tool line inside the focus cell, nothing it did not write."""
    text = squash(text_of(render("ubon-pao", 2566, "six_month"), tmp_path))
    assert "รอบ๖เดือน(เดือนตุลาคม๒๕๖๕-มีนาคม๒๕๖๖)" in text  # the cover, as the seed words it
    assert "1ตุลาคม2565–31มีนาคม2566" not in text  # no computed period line
    assert "เครื่องมือการประเมินIITตัวชี้วัดการใช้งบประมาณ" in text and "เครื่องมือการประเมินOIT" in text
    assert "แบบวัดIIT" not in text  # no group headings the seed does not print
    assert "ดำเนินการแล้วเสร็จเมื่อวันที่18เมษายน2566" in text
    for header in [
        "ประเด็นที่ต้องปรับปรุงแก้ไข/ประเด็นที่ต้องพัฒนา",
        "ผู้รับผิดชอบ",
        "ขั้นตอนหรือวิธีการ/มาตรการ",
        "การรายงานผลและการกำกับติดตาม",
        "กำหนดเวลาแล้วเสร็จ/ผลการดำเนินการ",
    ]:
        assert header in text


@pytest.mark.django_db
def test_layout_options_thai_digits_and_columns(tmp_path):
    text = squash(
        text_of(
            render("pak-kran", 2567, "annual", thai_digits=True, columns=["number", "measure", "outcome"]), tmp_path
        )
    )
    assert "หน้า๒" in text  # page numbers in Thai digits
    assert "๒๕๖๗" in text and "2567" not in text
    # The chosen columns under seed 003's own titles; the column left out is not printed.
    assert "ผลลัพธ์หรือความสำเร็จของการดำเนินการ" in text and "สรุปผลการดำเนินการตามมาตรการหรือกิจกรรม" not in text
    assert "ลำดับที่" in text  # a column the seed does not title keeps the default header


@pytest.mark.django_db
def test_only_the_bundled_sarabun_is_embedded(tmp_path):
    doc = fitz.open(stream=render("khao-samo-khon", 2567, "annual"), filetype="pdf")
    fonts = {f[3] for page in doc for f in page.get_fonts()}
    assert fonts and all("Sarabun" in name for name in fonts), fonts


def test_fetcher_refuses_everything_but_project_files(settings):
    fetcher = rendering.ProjectFilesFetcher()
    for url in [
        "http://127.0.0.1:9/x.png",
        "https://example.com/a.css",
        "file:///etc/passwd",
        "data:image/png;base64,AAAA",
        f"file://{settings.SARABUN_DIR}/../../../../etc/passwd",
    ]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    fetcher.fetch((settings.SARABUN_DIR / "Sarabun-Regular.ttf").as_uri())


@pytest.mark.django_db
def test_user_text_is_escaped_and_never_fetched(tmp_path, monkeypatch):
    hostile = (
        '<img src="http://127.0.0.1:9/x"> <img src="file:///etc/passwd"> '
        '<style>@import url(http://127.0.0.1:9/a.css)</style> <img src="data:image/png;base64,AAAA">'
    )
    ksk = Agency.objects.get(code="khao-samo-khon")
    Plan.objects.filter(agency=ksk, year__be_year=2567).update(recommendations=hostile)
    Progress.objects.filter(measure__agency=ksk, round="annual").update(output=hostile)
    fetched = []
    original = rendering.ProjectFilesFetcher.fetch
    monkeypatch.setattr(
        rendering.ProjectFilesFetcher,
        "fetch",
        lambda self, url, headers=None: fetched.append(url) or original(self, url, headers),
    )
    text = text_of(render("khao-samo-khon", 2567, "annual"), tmp_path)
    assert "http://127.0.0.1:9/x" in squash(text)  # printed as text
    # Only the fonts and the report's own (demo) photos, by their storage names.
    photos = {f"ita-media:{p.print_image.name}" for p in EvidencePhoto.objects.filter(progress__measure__agency=ksk)}
    assert photos and all((url.startswith("file://") and "Sarabun" in url) or url in photos for url in fetched), fetched


@pytest.mark.django_db
def test_photos_reach_the_pdf_through_the_storage_api_and_no_server_path(monkeypatch, settings):
    """The renderer asks for each photo by its storage name; the PDF names no file of the server."""
    from .test_storage_s3 import palat_measure, pdf_all_bytes, pdf_images, upload_photo

    photo = upload_photo(palat_measure(), "ภาพผ่านที่เก็บไฟล์")
    fetched = []
    original = rendering.ProjectFilesFetcher.fetch
    monkeypatch.setattr(
        rendering.ProjectFilesFetcher,
        "fetch",
        lambda self, url, headers=None: fetched.append(url) or original(self, url, headers),
    )
    pdf = render("khao-samo-khon", 2567, "annual")
    assert f"ita-media:{photo.print_image.name}" in fetched
    assert all(url.startswith("ita-media:") or "Sarabun" in url for url in fetched), fetched
    assert (440, 330) in pdf_images(pdf)
    everything = pdf_all_bytes(pdf)
    for server_path in (str(settings.MEDIA_ROOT), str(settings.BASE_DIR), "file://"):
        assert server_path.encode() not in everything, server_path


@pytest.mark.django_db
def test_unchanged_report_is_served_from_storage(monkeypatch):
    report = report_get_or_default(
        agency=Agency.objects.get(code="pak-kran"), year=FiscalYear.objects.get(be_year=2567), kind="annual"
    )
    calls = []
    real = services.render_pdf
    monkeypatch.setattr(services, "render_pdf", lambda ctx, **kw: calls.append(1) or real(ctx, **kw))
    first, h1 = services.report_render(report=report)
    second, h2 = services.report_render(report=report)
    assert first == second and h1 == h2 and len(calls) == 1
    Progress.objects.filter(measure__agency__code="pak-kran").update(outcome="เปลี่ยนแล้ว")
    _, h3 = services.report_render(report=report)
    assert h3 != h1 and len(calls) == 2


@pytest.mark.django_db
def test_submit_approve_publish_and_stable_public_links(tmp_path, settings, django_capture_on_commit_callbacks):
    # Publishing is a worker's job: the immediate backend runs it when the request commits.
    # tests/test_tasks.py exercises the real queue (django-tasks-db and its worker).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    coord, exec_ = login("pkr-coord"), login("pkr-exec")
    base = "/a/pak-kran/reports/2567/annual"
    assert login("pkr-staff1").post(f"{base}/submit/").status_code == 403
    coord.post(f"{base}/submit/")
    coord.post(f"{base}/approve/")  # a coordinator cannot approve
    report = report_get_or_default(
        agency=Agency.objects.get(code="pak-kran"), year=FiscalYear.objects.get(be_year=2567), kind="annual"
    )
    assert report.state == State.SUBMITTED
    exec_.post(f"{base}/approve/")
    with django_capture_on_commit_callbacks(execute=True):
        exec_.post(f"{base}/publish/")
    v1 = PublishedVersion.objects.get(report__agency__code="pak-kran", version=1)
    from django.test import Client

    anon = Client()
    r = anon.get("/p/pak-kran/2567/annual.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    pdf = b"".join(r.streaming_content) if r.streaming else r.content
    assert hashlib.sha256(pdf).hexdigest() == v1.sha256
    assert "/p/pak-kran/2567/annual.pdf" in anon.get("/p/pak-kran/").content.decode()
    assert anon.get("/p/pak-kran/embed/").status_code == 200
    # Published files: PDF/A-3b, tagged, metadata, /Lang th, the data attached; qpdf is happy.
    path = tmp_path / "v1.pdf"
    path.write_bytes(pdf)
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0
    doc = fitz.open(path)
    assert doc.metadata["author"] == "องค์การบริหารส่วนตำบลปากกราน"
    assert doc.metadata["title"].startswith("รายงานผลการดำเนินการ") and "2567" in doc.metadata["subject"]
    catalog = doc.pdf_catalog()
    assert doc.xref_get_key(catalog, "Lang") == ("string", "th")
    assert doc.xref_get_key(catalog, "StructTreeRoot")[0] == "xref"
    assert b"pdfaid:part" in pdf or b"pdfaid" in doc.get_xml_metadata().encode()
    assert "report-data.json" in doc.embfile_names()
    # Publishing again makes version 2 and keeps version 1 untouched.
    coord.post(f"{base}/submit/")
    exec_.post(f"{base}/approve/")
    with django_capture_on_commit_callbacks(execute=True):
        exec_.post(f"{base}/publish/")
    assert PublishedVersion.objects.filter(report=v1.report).count() == 2
    old = anon.get("/p/pak-kran/2567/annual/v1.pdf")
    assert hashlib.sha256(old.content).hexdigest() == v1.sha256
    latest = PublishedVersion.objects.get(report=v1.report, version=2)
    assert anon.get("/p/pak-kran/2567/annual.pdf")["ETag"] == f'"{latest.sha256}"'


@pytest.mark.django_db
def test_other_agency_cannot_touch_reports():
    assert login("ksk-coord").get("/a/pak-kran/reports/").status_code == 404
    assert login("ksk-coord").post("/a/pak-kran/reports/2567/annual/submit/").status_code == 404
