"""The OIT evidence page: items as data per year, evidence per item, the public page and its
JSON/CSV/files, readiness, the link checker (fake servers on 127.0.0.1) and frozen snapshots."""

import csv
import hashlib
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pymupdf
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from PIL import Image

from agencies.models import Agency, Division
from assessments.models import FiscalYear
from oit import linkcheck
from oit.models import LinkCheck, OitEvidence, OitItem, OitSnapshot, Source
from reports import services as report_services
from reports.models import Report, State
from reports.selectors import approval_hash, report_context, report_get_or_default

from .conftest import login

KSK = "khao-samo-khon"
MANAGE = f"/a/{KSK}/oit/2566/"
PUBLIC = f"/p/{KSK}/2566/oit/"
STUB_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def item(code: str, be_year: int = 2566) -> OitItem:
    return OitItem.objects.get(year__be_year=be_year, code=code)


def publish(kind: str, be_year: int):
    """Publish a report of KSK with the worker's own service (a stub renderer)."""
    report = report_get_or_default(
        agency=Agency.objects.get(code=KSK), year=FiscalYear.objects.get(be_year=be_year), kind=kind
    )
    report.save()
    report.refresh_from_db()  # the hash is of the report as stored, as the approve service reads it
    # Approved on its current content (the approval is bound to it).
    Report.objects.filter(pk=report.pk).update(
        state=State.APPROVED, approved_hash=approval_hash(report_context(report=report))
    )
    report.refresh_from_db()
    return report_services.report_publish_render_and_store(report=report, user=None, render=lambda *a, **k: STUB_PDF)


def pdf_with(text: str) -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text(
        (72, 72), text, fontname="sarabun", fontfile=str(Path(settings.SARABUN_DIR) / "Sarabun-Regular.ttf")
    )
    doc.subset_fonts()
    data = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


def add_url(client, code="O1", title="หน้าโครงสร้าง", url="https://example.org/structure", **extra):
    return client.post(MANAGE, {"item": item(code).pk, "source": "url", "title": title, "url": url, **extra})


# ---------------------------------------------------------------------------- items as data


@pytest.mark.django_db
def test_the_2566_list_is_seeded_as_data():
    items = list(OitItem.objects.filter(year__be_year=2566).order_by("order"))
    assert len(items) == 43
    assert [i.code for i in items] == [f"O{n}" for n in range(1, 44)]
    assert item("O42").title == "มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน"
    assert item("O43").title == "การดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน"
    assert item("O10").sub_indicator == "9.1 ข้อมูลพื้นฐาน"
    assert item("O43").sub_indicator == "10.2 มาตรการภายใน"
    assert "ยังไม่ยืนยัน" in item("O13").criteria and "ยังไม่ยืนยัน" in item("O14").criteria
    assert "ยังไม่ยืนยัน" not in item("O15").criteria
    assert item("O12").period == "first_half"
    # The rule linking published reports: O43 ← this year's six-month or annual report,
    # O42 ← last year's analysis (it carries this year's measures).
    assert item("O43").auto_rules() == [("six_month", 2566), ("annual", 2566)]
    assert item("O42").auto_rules() == [("analysis", 2565)]


# ---------------------------------------------------------------------------- evidence


@pytest.mark.django_db
def test_coordinator_adds_and_removes_evidence_with_history():
    coord = login("ksk-coord")
    palat = Division.objects.get(agency__code=KSK, name="สำนักปลัด")
    r = add_url(coord, "O26", division=palat.pk)
    assert r.status_code == 302 and r["Location"].endswith("#O26")
    ev = OitEvidence.objects.get(agency__code=KSK, item=item("O26"))
    assert ev.url == "https://example.org/structure" and ev.division == palat and ev.added_by.username == "ksk-coord"
    page = coord.get(MANAGE).content.decode()
    assert 'id="O26"' in page and "https://example.org/structure" in page
    assert (
        f"&lt;iframe src=&quot;http://testserver{PUBLIC}&quot;" in page
        or f'iframe src="http://testserver{PUBLIC}"' in page
    )
    assert f'&lt;a href="http://testserver{PUBLIC}"&gt;การเปิดเผยข้อมูลสาธารณะ (OIT) ปี 2566&lt;/a&gt;' in page
    # Removal: gone from the page, kept in the history.
    r = coord.post(f"{MANAGE}evidence/{ev.pk}/remove/")
    assert r.status_code == 302
    assert not OitEvidence.objects.filter(pk=ev.pk).exists()
    assert [h.history_type for h in OitEvidence.history.filter(id=ev.pk).order_by("history_id")] == ["+", "-"]


@pytest.mark.django_db
def test_only_the_coordinator_writes_and_other_agencies_are_404():
    ev = OitEvidence.objects.create(
        agency=Agency.objects.get(code=KSK), item=item("O1"), source=Source.URL, title="x", url="https://example.org/"
    )
    for user in ("ksk-exec", "ksk-viewer", "lopburi-office"):
        c = login(user)
        assert c.get(MANAGE).status_code == 200
        assert add_url(c).status_code == 403
        assert c.post(f"{MANAGE}evidence/{ev.pk}/remove/").status_code == 403
    staff = login("ksk-staff1")
    assert staff.get(MANAGE).status_code == 403
    assert staff.get(f"{MANAGE}check/").status_code == 403
    other = login("pkr-coord")
    assert other.get(MANAGE).status_code == 404
    assert other.post(f"{MANAGE}evidence/{ev.pk}/remove/").status_code == 404
    # Another agency's evidence id under one's own code: 404, nothing removed.
    assert login("pkr-coord").post(f"/a/pak-kran/oit/2566/evidence/{ev.pk}/remove/").status_code == 404
    assert OitEvidence.objects.filter(pk=ev.pk).exists()
    assert OitEvidence.objects.count() == 1
    # A year without an OIT list.
    assert login("ksk-coord").get(f"/a/{KSK}/oit/2567/").status_code == 404


@pytest.mark.django_db
def test_evidence_refuses_bad_links_foreign_divisions_and_unpublished_reports():
    coord = login("ksk-coord")
    r = add_url(coord, url="ftp://example.org/file.pdf")
    assert r.status_code == 200 and "http:// หรือ https://" in r.content.decode()
    r = add_url(coord, url="javascript:alert(1)")
    assert r.status_code == 200
    foreign = Division.objects.filter(agency__code="pak-kran").first()
    assert add_url(coord, division=foreign.pk).status_code == 200
    report = report_get_or_default(
        agency=Agency.objects.get(code=KSK), year=FiscalYear.objects.get(be_year=2566), kind="annual"
    )
    report.save()
    r = coord.post(MANAGE, {"item": item("O43").pk, "source": "report", "title": "รายงาน", "report": report.pk})
    assert r.status_code == 200  # not published: not a choice
    assert not OitEvidence.objects.exists()


@pytest.mark.django_db
def test_uploads_are_size_checked_content_sniffed_and_stored_under_ascii_names(settings):
    coord = login("ksk-coord")

    def upload(name, content, title="คำสั่งแต่งตั้ง"):
        f = SimpleUploadedFile(name, content, content_type="application/pdf")
        return coord.post(MANAGE, {"item": item("O24").pk, "source": "file", "title": title, "upload": f})

    # Not a PDF/JPEG/PNG whatever its name and claimed type.
    r = upload("report.pdf", b"<html><script>alert(1)</script></html>")
    assert r.status_code == 200 and "PDF, JPEG หรือ PNG" in r.content.decode()
    # A PNG header with nothing behind it.
    assert upload("x.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40).status_code == 200
    # Too big.
    settings.OIT_MAX_UPLOAD_BYTES = 1000
    r = upload("big.pdf", b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n")
    assert r.status_code == 200 and "ใหญ่เกิน" in r.content.decode()
    assert not OitEvidence.objects.exists()
    settings.OIT_MAX_UPLOAD_BYTES = 1024 * 1024
    pdf = pdf_with("ปีงบประมาณ 2566")
    assert upload("คำสั่ง ที่ 1.pdf", pdf, title='คำสั่ง "แต่งตั้ง" 2566').status_code == 302
    assert upload("photo.jpeg", png(), title="ภาพกิจกรรม").status_code == 302  # sniffed: a PNG
    ev_pdf, ev_png = OitEvidence.objects.order_by("id")
    assert ev_pdf.file.name.isascii() and ev_pdf.file.name.endswith(".pdf")
    assert ev_png.file_ext == "png" and ev_png.file.name.endswith(".png")
    assert ev_pdf.file_sha256 == hashlib.sha256(pdf).hexdigest()
    # Served at a stable ASCII URL, the Thai title in Content-Disposition (RFC 5987).
    anon = Client()
    r = anon.get(f"/p/{KSK}/2566/oit/files/{ev_pdf.pk}.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content == pdf
    disposition = r["Content-Disposition"]
    assert disposition.startswith(f'inline; filename="O24-{ev_pdf.pk}.pdf"')
    assert "filename*=UTF-8''" + quote("คำสั่ง แต่งตั้ง 2566.pdf", safe="") in disposition
    assert r["X-Content-SHA256"] == ev_pdf.file_sha256
    assert anon.get(f"/p/{KSK}/2566/oit/files/{ev_png.pk}.png")["Content-Type"] == "image/png"
    # The wrong extension, another agency's code, another year: the same 404.
    assert anon.get(f"/p/{KSK}/2566/oit/files/{ev_pdf.pk}.png").status_code == 404
    assert anon.get(f"/p/pak-kran/2566/oit/files/{ev_pdf.pk}.pdf").status_code == 404
    assert anon.get(f"/p/{KSK}/2565/oit/files/{ev_pdf.pk}.pdf").status_code == 404


# ---------------------------------------------------------------------------- public page


@pytest.mark.django_db
def test_public_page_anchors_json_and_csv(client):
    coord = login("ksk-coord")
    add_url(coord, "O26", title="รายงานผลการบริหารบุคคล", url="https://example.org/hr")
    add_url(coord, "O7", title='=HYPERLINK("http://evil","x")', url="https://example.org/news")
    add_url(coord, "O8", title="-2+3", url="https://example.org/qa")
    r = client.get(PUBLIC)
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="O26"' in html and 'id="O1"' in html and 'id="O43"' in html
    assert html.index('id="O1"') < html.index('id="O2"') < html.index('id="O43"')
    assert 'href="https://example.org/hr"' in html
    assert "/login/" not in html and "/a/" not in html  # nothing public leads to the login page
    assert 'name="viewport"' in html and 'lang="th"' in html
    # The page may be embedded in the agency's own website.
    assert "X-Frame-Options" not in r and "frame-ancestors *" in r["Content-Security-Policy"]
    assert "iframe" not in html  # the snippet is on the coordinator's page only
    data = client.get(f"/p/{KSK}/2566/oit.json").json()
    assert data["fiscal_year"] == 2566 and data["agency"]["code"] == KSK
    assert len(data["items"]) == 43
    o26 = next(i for i in data["items"] if i["code"] == "O26")
    assert o26["anchor"].endswith(f"{PUBLIC}#O26")
    assert o26["evidence"] == [
        {
            "title": "รายงานผลการบริหารบุคคล",
            "source": "url",
            "source_label": "ลิงก์ภายนอก",
            "url": "https://example.org/hr",
            "automatic": False,
        }
    ]
    r = client.get(f"/p/{KSK}/2566/oit.csv")
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "รหัสข้อ"
    by_code = {row[0]: row for row in rows[1:]}
    assert len(by_code) == 43
    assert by_code["O7"][4] == '\'=HYPERLINK("http://evil","x")'
    assert by_code["O8"][4] == "'-2+3"
    assert by_code["O26"][6] == "https://example.org/hr"


@pytest.mark.django_db
def test_unknown_agency_and_agency_with_nothing_published_get_the_same_404(client):
    assert not OitEvidence.objects.filter(agency__code="nong-bua-ban").exists()
    unknown = client.get("/p/no-such-agency/2566/oit/")
    silent = client.get("/p/nong-bua-ban/2566/oit/")
    assert unknown.status_code == silent.status_code == 404
    assert unknown.content == silent.content
    assert b"/login/" not in unknown.content
    for suffix in ("oit.json", "oit.csv"):
        a, b = client.get(f"/p/no-such-agency/2566/{suffix}"), client.get(f"/p/nong-bua-ban/2566/{suffix}")
        assert a.status_code == b.status_code == 404 and a.content == b.content


@pytest.mark.django_db
def test_published_reports_are_linked_to_items_automatically(client):
    publish("annual", 2566)
    publish("analysis", 2565)
    publish("annual", 2567)  # another year: answers nothing of 2566
    data = client.get(f"/p/{KSK}/2566/oit.json").json()
    items = {i["code"]: i for i in data["items"]}
    assert [e["url"] for e in items["O43"]["evidence"]] == [f"http://127.0.0.1:8000/p/{KSK}/2566/annual.pdf"]
    assert items["O43"]["evidence"][0]["automatic"] is True
    assert [e["url"] for e in items["O42"]["evidence"]] == [f"http://127.0.0.1:8000/p/{KSK}/2565/analysis.pdf"]
    assert sum(len(i["evidence"]) for i in data["items"]) == 2
    assert not OitEvidence.objects.exists()  # computed, not copied
    # The link is the stable one: it serves the latest published PDF.
    assert client.get(f"/p/{KSK}/2566/annual.pdf").content == STUB_PDF
    check = login("ksk-coord").get(f"{MANAGE}check/")
    assert check.context["ready"] == 2 and check.context["total"] == 43


# ---------------------------------------------------------------------------- readiness


@pytest.mark.django_db
def test_readiness_lists_missing_evidence_wrong_period_and_failing_links(settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    publish("annual", 2567)
    coord = login("ksk-coord")
    wrong = Report.objects.get(agency__code=KSK, year__be_year=2567, kind="annual")
    r = coord.post(MANAGE, {"item": item("O43").pk, "source": "report", "title": "รายงานประจำปี", "report": wrong.pk})
    assert r.status_code == 302
    add_url(coord, "O1", url="https://example.org/broken")
    add_url(coord, "O2", url="https://example.org/fine")
    broken = OitEvidence.objects.get(url="https://example.org/broken")
    LinkCheck.objects.create(
        evidence=broken, url=broken.url, ok=False, status_code=404, problem="เว็บไซต์ตอบกลับ HTTP 404"
    )
    fine = OitEvidence.objects.get(url="https://example.org/fine")
    LinkCheck.objects.create(evidence=fine, url=fine.url, ok=True, status_code=200)
    r = coord.get(f"{MANAGE}check/")
    html = r.content.decode()
    assert r.context["ready"] == 1  # O2 only
    problems = {row.item.code: row.problems for row in r.context["not_ready"]}
    assert problems["O3"] == ["ยังไม่มีหลักฐาน"]
    assert "ปีงบประมาณ พ.ศ. 2567" in problems["O43"][0] and "ปี พ.ศ. 2566" in problems["O43"][0]
    assert "HTTP 404" in problems["O1"][0]
    assert "O2" not in problems and "ตรวจสอบความพร้อม" in html
    # The button only queues the checker: nothing is fetched in the request.
    with_tasks = DBTaskResult.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        r = coord.post(f"{MANAGE}check/")
    assert r.status_code == 302
    assert DBTaskResult.objects.count() == with_tasks + 1
    assert LinkCheck.objects.count() == 2
    assert login("ksk-viewer").post(f"{MANAGE}check/").status_code == 403
    # Oversight: readiness per agency.
    page = login("lopburi-office").get("/oversight/oit/?year=2566")
    assert page.status_code == 200
    counts = {a.code: c for a, c in page.context["rows"]}
    assert counts[KSK] == (1, 43)
    assert f"/a/{KSK}/oit/2566/check/" in page.content.decode()


@pytest.mark.django_db
def test_a_report_added_by_hand_is_judged_by_the_items_rule():
    """O42 of 2566 is answered by the analysis of 2565 (it carries the 2566 measures): added by
    hand it is no "wrong year"; the analysis of 2566 under O43 is the wrong kind of report."""
    publish("analysis", 2565)
    publish("analysis", 2566)
    coord = login("ksk-coord")
    for code, be_year, title in (("O42", 2565, "วิเคราะห์ 2565"), ("O43", 2566, "วิเคราะห์ 2566")):
        report = Report.objects.get(agency__code=KSK, year__be_year=be_year, kind="analysis")
        r = coord.post(MANAGE, {"item": item(code).pk, "source": "report", "title": title, "report": report.pk})
        assert r.status_code == 302
    rows = {row.item.code: row for row in coord.get(f"{MANAGE}check/").context["rows"]}
    assert [(e.title, e.auto, e.problem) for e in rows["O42"].evidence][1:] == [("วิเคราะห์ 2565", False, "")]
    assert rows["O43"].problems == [
        "วิเคราะห์ 2566: รายงานการวิเคราะห์ผลการประเมินไม่ใช่หลักฐานของข้อนี้"
        " (ข้อนี้ใช้รายงานผลการดำเนินการรอบ 6 เดือน หรือ รายงานผลการดำเนินการประจำปี)"
    ]
    counts = {a.code: c for a, c in login("lopburi-office").get("/oversight/oit/?year=2566").context["rows"]}
    assert counts[KSK] == (1, 43)  # O42, not O43


# ---------------------------------------------------------------------------- link checker


def _pdf_2566():
    return pdf_with("รายงานผล ปีงบประมาณ พ.ศ. 2566")


class FakeSite:
    """Web pages the checker meets, on 127.0.0.1; records each request's User-Agent."""

    def __init__(self):
        self.agents = []
        outer = self
        # Built once: the server must answer well within the checker's time limit.
        routes = {
            "/ok.pdf": (200, "application/pdf", _pdf_2566()),
            "/thai-digits.pdf": (200, "application/pdf", pdf_with("ปี ๒๕๖๖")),
            "/old.pdf": (200, "application/pdf", pdf_with("ปีงบประมาณ พ.ศ. 2560")),
            "/page": (200, "text/html; charset=utf-8", "<p>ข่าว</p>".encode()),
            "/file.exe": (200, "application/x-msdownload", b"MZ" + b"\0" * 10),
            "/big.pdf": (200, "application/pdf", b"%PDF-1.4\n" + b"0" * 30_000),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.agents.append(self.headers.get("User-Agent"))
                route = routes.get(self.path)
                if self.path in ("/big-stream", "/trickle"):  # no Content-Length: read until closed
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    try:
                        for _ in range(40):
                            self.wfile.write(b"x" * (1000 if self.path == "/big-stream" else 1))
                            self.wfile.flush()
                            if self.path == "/trickle":
                                time.sleep(0.2)
                    except OSError:  # the checker hung up: what it should do
                        pass
                    return
                if self.path == "/slow":
                    time.sleep(4)
                    route = (200, "text/html", b"late")
                if self.path.startswith("/to?"):
                    self.send_response(302)
                    self.send_header("Location", parse_qs(urlsplit(self.path).query)["url"][0])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, ctype, body = route or (404, "text/html", b"not found")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:  # the checker stopped reading at the size limit
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site(settings):
    settings.OIT_LINKCHECK_ALLOW_PRIVATE = ["127.0.0.1/32"]
    settings.OIT_LINKCHECK_TIMEOUT = 1.5
    settings.OIT_LINKCHECK_MAX_BYTES = 20_000
    s = FakeSite()
    yield s
    s.close()


def test_link_checker_results_against_fake_servers(site):
    ok = linkcheck.check_url(site.url("/ok.pdf"), be_year=2566)
    assert ok.ok and ok.status_code == 200 and ok.content_type == "application/pdf" and ok.size > 0
    assert linkcheck.check_url(site.url("/thai-digits.pdf"), be_year=2566).ok
    assert linkcheck.check_url(site.url("/page"), be_year=2566).ok
    old = linkcheck.check_url(site.url("/old.pdf"), be_year=2566)
    assert not old.ok and "2566" in old.problem
    missing = linkcheck.check_url(site.url("/missing"), be_year=2566)
    assert not missing.ok and missing.status_code == 404 and "404" in missing.problem
    exe = linkcheck.check_url(site.url("/file.exe"), be_year=2566)
    assert not exe.ok and "application/x-msdownload" in exe.problem
    big = linkcheck.check_url(site.url("/big.pdf"), be_year=2566)
    assert not big.ok and "ใหญ่เกิน" in big.problem
    stream = linkcheck.check_url(site.url("/big-stream"), be_year=2566)
    assert not stream.ok and "ใหญ่เกิน" in stream.problem
    trickle = linkcheck.check_url(site.url("/trickle"), be_year=2566)
    assert not trickle.ok and "ไม่ทันเวลา" in trickle.problem
    started = time.monotonic()
    slow = linkcheck.check_url(site.url("/slow"), be_year=2566)
    assert not slow.ok and "ไม่ทันเวลา" in slow.problem and time.monotonic() - started < 3
    assert set(site.agents) == {linkcheck.USER_AGENT} and linkcheck.USER_AGENT.startswith("ITA-Portal-LinkCheck/1.0")


def test_redirects_are_followed_hop_by_hop_and_private_hops_refused(site, settings):
    port = site.server.server_address[1]
    # A redirect to an allowed address is followed; the final URL is recorded.
    hop = linkcheck.check_url(site.url("/to?" + urlencode({"url": f"http://127.0.0.1:{port}/ok.pdf"})), be_year=2566)
    assert hop.ok and hop.final_url == site.url("/ok.pdf")
    before = len(site.agents)
    for target in ("http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data/", "http://127.0.0.2/"):
        result = linkcheck.check_url(site.url("/to?" + urlencode({"url": target})), be_year=2566)
        assert not result.ok and "เครือข่ายภายใน" in result.problem, target
    assert len(site.agents) == before + 3  # only the first hops were requested
    result = linkcheck.check_url(site.url("/to?" + urlencode({"url": "file:///etc/passwd"})), be_year=2566)
    assert not result.ok and "http" in result.problem
    # In production (private addresses not allowed) even the first hop is never connected to.
    settings.OIT_LINKCHECK_ALLOW_PRIVATE = False
    before = len(site.agents)
    refused = linkcheck.check_url(site.url("/ok.pdf"), be_year=2566)
    assert not refused.ok and "เครือข่ายภายใน" in refused.problem
    assert len(site.agents) == before
    assert not linkcheck.check_url("http://localhost:1/", be_year=2566).ok


@pytest.mark.django_db
def test_check_oit_links_command_records_each_result_with_its_time(site, settings):
    agency = Agency.objects.get(code=KSK)
    for code, path in (("O1", "/ok.pdf"), ("O2", "/missing")):
        OitEvidence.objects.create(agency=agency, item=item(code), source=Source.URL, title=code, url=site.url(path))
    out = io.StringIO()
    call_command("check_oit_links", "--agency", KSK, "--year", "2566", stdout=out)
    checks = {c.evidence.item.code: c for c in LinkCheck.objects.select_related("evidence__item")}
    assert checks["O1"].ok and checks["O1"].status_code == 200
    assert not checks["O2"].ok and checks["O2"].status_code == 404
    assert all(timezone.now() - c.checked_at < timezone.timedelta(minutes=1) for c in checks.values())
    assert "ตรวจ 2 ลิงก์ ใช้ไม่ได้ 1 ลิงก์" in out.getvalue()
    page = login("ksk-coord").get(f"{MANAGE}check/").content.decode()
    assert "HTTP 404" in page and "ใช้ได้" in page
    # The same check as a task (what the page's button queues), run by the immediate backend.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from oit.tasks import check_oit_links

    result = check_oit_links.enqueue(agency_id=agency.id, be_year=2566)
    assert result.return_value == {"checked": 2, "failed": 1}
    assert LinkCheck.objects.count() == 4


# ---------------------------------------------------------------------------- snapshots


@pytest.mark.django_db
def test_a_frozen_page_stays_as_the_assessors_saw_it(client):
    coord = login("ksk-coord")
    add_url(coord, "O1", title="โครงสร้างเดิม", url="https://example.org/old")
    f = SimpleUploadedFile("a.pdf", pdf_with("2566"), content_type="application/pdf")
    coord.post(MANAGE, {"item": item("O2").pk, "source": "file", "title": "ผู้บริหาร", "upload": f})
    assert coord.post(f"{MANAGE}freeze/").status_code == 302
    snap = OitSnapshot.objects.get(agency__code=KSK, year__be_year=2566)
    with default_storage.open(snap.path, "rb") as fh:
        stored = fh.read()
    assert hashlib.sha256(stored).hexdigest() == snap.sha256
    frozen = json.loads(stored)
    file_entry = next(i for i in frozen["items"] if i["code"] == "O2")["evidence"][0]
    assert file_entry["sha256"] == OitEvidence.objects.get(title="ผู้บริหาร").file_sha256
    # Later edits change the live page, not the snapshot.
    old = OitEvidence.objects.get(title="โครงสร้างเดิม")
    coord.post(f"{MANAGE}evidence/{old.pk}/remove/")
    add_url(coord, "O1", title="โครงสร้างใหม่", url="https://example.org/new")
    live = client.get(PUBLIC).content.decode()
    assert "โครงสร้างใหม่" in live and "โครงสร้างเดิม" not in live
    for url in (f"{PUBLIC}snapshot/1/", f"{PUBLIC}?as_of={timezone.localdate().isoformat()}"):
        r = client.get(url)
        assert r.status_code == 200, url
        page = r.content.decode()
        assert "โครงสร้างเดิม" in page and "โครงสร้างใหม่" not in page and snap.sha256 in page
    with default_storage.open(snap.path, "rb") as fh:
        assert fh.read() == stored
    # Before the first snapshot, and a snapshot that does not exist: 404.
    assert client.get(f"{PUBLIC}?as_of=2000-01-01").status_code == 404
    assert client.get(f"{PUBLIC}snapshot/9/").status_code == 404
    assert client.get(f"{PUBLIC}?as_of=not-a-date").status_code == 404
    # Only the coordinator freezes.
    assert login("ksk-exec").post(f"{MANAGE}freeze/").status_code == 403
    # The command freezes on a date (cron on the assessment day).
    call_command("freeze_oit", "--year", "2566", stdout=io.StringIO())
    assert OitSnapshot.objects.filter(agency__code=KSK, year__be_year=2566).count() == 2


@pytest.mark.django_db
def test_a_frozen_page_keeps_its_files_byte_identical_after_the_evidence_changes(client):
    coord = login("ksk-coord")
    add_url(coord, "O1", title="โครงสร้าง", url="https://example.org/structure")  # the page stays public
    original = pdf_with("2566 original")
    f = SimpleUploadedFile("a.pdf", original, content_type="application/pdf")
    coord.post(MANAGE, {"item": item("O2").pk, "source": "file", "title": "ผู้บริหาร", "upload": f})
    evidence = OitEvidence.objects.get(title="ผู้บริหาร")
    assert coord.post(f"{MANAGE}freeze/").status_code == 302
    snap = OitSnapshot.objects.get(agency__code=KSK, year__be_year=2566)
    frozen_file = f"{PUBLIC}snapshot/{snap.number}/files/{evidence.pk}.pdf"
    page_before = client.get(f"{PUBLIC}snapshot/{snap.number}/")
    assert frozen_file in page_before.content.decode()
    file_before = client.get(frozen_file)
    assert file_before.status_code == 200 and file_before.content == original
    assert file_before["X-Content-SHA256"] == hashlib.sha256(original).hexdigest()
    # The stored file is overwritten with other bytes, then the evidence and its file are removed.
    with default_storage.open(evidence.file.name, "wb") as fh:
        fh.write(pdf_with("2566 replaced"))
    assert client.get(f"{PUBLIC}files/{evidence.pk}.pdf").content != original
    coord.post(f"{MANAGE}evidence/{evidence.pk}/remove/")
    default_storage.delete(evidence.file.name)
    assert client.get(f"{PUBLIC}files/{evidence.pk}.pdf").status_code == 404
    page_after = client.get(f"{PUBLIC}snapshot/{snap.number}/")
    file_after = client.get(frozen_file)
    assert page_after.status_code == 200 and page_after.content == page_before.content
    assert file_after.status_code == 200 and file_after.content == file_before.content == original
    assert file_after["Content-Disposition"] == file_before["Content-Disposition"]
    # A file the snapshot did not freeze: 404.
    assert client.get(f"{PUBLIC}snapshot/{snap.number}/files/{evidence.pk + 999}.pdf").status_code == 404


@pytest.mark.django_db
def test_evidence_changes_are_in_the_agency_audit_trail():
    coord = login("ksk-coord")
    add_url(coord, "O9", title="เพจเฟซบุ๊กของหน่วยงาน", url="https://example.org/fb")
    ev = OitEvidence.objects.get(title="เพจเฟซบุ๊กของหน่วยงาน")
    coord.post(f"{MANAGE}evidence/{ev.pk}/remove/")
    entries = coord.get(f"/a/{KSK}/audit/?type=oit_evidence").context["entries"]
    assert [e.action for e in entries] == ["ลบ", "สร้าง"]
    assert all(e.who.endswith("(ksk-coord)") for e in entries)


@pytest.mark.django_db
def test_the_menu_link_opens_the_newest_year_with_a_list():
    coord = login("ksk-coord")
    r = coord.get(f"/a/{KSK}/oit/")
    assert r.status_code == 302 and r["Location"] == MANAGE
    assert 'href="/a/khao-samo-khon/oit/"' in coord.get(MANAGE).content.decode()
    assert login("ksk-staff1").get(f"/a/{KSK}/oit/").status_code == 403


@pytest.mark.django_db
def test_public_index_reads_a_fixed_number_of_queries(client, django_assert_num_queries):
    publish("annual", 2566)
    coord = login("ksk-coord")
    add_url(coord, "O1")

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/p/{KSK}/2566/oit.json").status_code == 200
        return len(ctx.captured_queries)

    first = count()
    for n in range(2, 12):
        add_url(coord, f"O{n}", title=f"หลักฐาน {n}", url=f"https://example.org/{n}")
    with django_assert_num_queries(first):
        client.get(f"/p/{KSK}/2566/oit.json")
    # agency, published?, year, items, published versions, evidence with the last link checks
    assert first == 6


@pytest.mark.django_db
def test_a_later_year_starts_from_a_copy_with_predecessors():
    out = io.StringIO()
    call_command("copy_oit_items", "--from", "2566", "--to", "2567", stdout=out)
    assert "คัดลอก 43 ข้อ" in out.getvalue()
    o43 = item("O43", 2567)
    assert o43.predecessor == item("O43") and o43.auto_rules() == [("six_month", 2567), ("annual", 2567)]
    assert item("O42", 2567).auto_rules() == [("analysis", 2566)]
    with pytest.raises(CommandError, match="มีรายการข้อ OIT แล้ว"):
        call_command("copy_oit_items", "--from", "2566", "--to", "2567", stdout=out)
    # The menu now opens the newest year's list.
    assert login("ksk-coord").get(f"/a/{KSK}/oit/")["Location"] == f"/a/{KSK}/oit/2567/"
