"""`load_demo --publish`: the demo agency's reports published with the real renderer and its 2566
OIT page given evidence of each kind, ready to show on a fresh clone (idempotent)."""

import io

import pymupdf
import pytest
from django.core.management import call_command
from django.test import Client

from agencies.models import Agency
from demo.publish import NACC_URL, demo_publish_oit
from oit.models import OitEvidence, Source
from reports.models import PublishedVersion, State

from .conftest import login

KSK = "khao-samo-khon"


@pytest.mark.slow
@pytest.mark.django_db
def test_the_publish_step_gives_the_demo_agency_a_public_oit_page_and_readiness_problems():
    agency = Agency.objects.get(code=KSK)
    added = demo_publish_oit(agency=agency)
    assert sorted(e.source for e in added) == [Source.FILE, Source.REPORT, Source.URL]
    # The demo data has one report (the 2567 annual): published through submit, approve and render.
    version = PublishedVersion.objects.get(report__agency=agency)
    assert (version.report.kind, version.report.year.be_year, version.report.state) == ("annual", 2567, State.PUBLISHED)
    with version.pdf.open("rb") as fh, pymupdf.open(stream=fh.read(), filetype="pdf") as doc:
        assert agency.name in "".join(page.get_text() for page in doc)  # the real renderer's PDF
    # Running it again (the command, as scripts/start.sh does) adds nothing.
    out = io.StringIO()
    call_command("load_demo", "--publish", stdout=out)
    assert f"{KSK}: หน้า OIT /p/{KSK}/2566/oit/ — เพิ่มหลักฐาน 0 รายการ" in out.getvalue()
    assert demo_publish_oit(agency=agency) == []
    assert PublishedVersion.objects.filter(report__agency__code="pak-kran").count() == 1
    assert OitEvidence.objects.filter(agency__code="pak-kran").count() == 3
    assert PublishedVersion.objects.filter(report__agency=agency).count() == 1
    assert OitEvidence.objects.filter(agency=agency).count() == 3
    for code in ("takhram-en", "ubon-pao"):
        assert f"{code}: หน้า OIT /p/{code}/2566/oit/ — เพิ่มหลักฐาน 2 รายการ" in out.getvalue()
        assert PublishedVersion.objects.filter(report__agency__code=code).count() == 1
        # An uploaded PDF and an external link; no report was added by hand.
        assert sorted(OitEvidence.objects.filter(agency__code=code).values_list("source", flat=True)) == [
            Source.FILE,
            Source.URL,
        ]

    public = Client()
    page = public.get(f"/p/{KSK}/2566/oit/")
    assert page.status_code == 200
    html = page.content.decode()
    uploaded = OitEvidence.objects.get(agency=agency, source=Source.FILE)
    file_url = f"/p/{KSK}/2566/oit/files/{uploaded.pk}.pdf"
    for text in ("O42", "O43", "/p/khao-samo-khon/2567/annual.pdf", file_url, NACC_URL):
        assert text in html, text
    pdf = public.get(f"/p/{KSK}/2567/annual.pdf")
    assert pdf.status_code == 200 and b"".join(pdf).startswith(b"%PDF-")
    assert public.get(file_url).content.startswith(b"%PDF-")

    check = login("ksk-coord").get(f"/a/{KSK}/oit/2566/check/")
    assert check.status_code == 200
    text = check.content.decode()
    assert "ยังไม่มีหลักฐาน" in text  # e.g. O1
    assert "เป็นรายงานของปีงบประมาณ พ.ศ. 2567 แต่ข้อนี้ต้องใช้หลักฐานของปี พ.ศ. 2566" in text  # O43

    # takhram-en (seed 002: the analysis of 2565 with the 2566 measures) answers O42 of 2566, and
    # ubon-pao (seed 004: the six-month report of 2566) O43, by the items' rules, not by hand.
    for code, item, url in (
        ("takhram-en", "O42", "/p/takhram-en/2565/analysis.pdf"),
        ("ubon-pao", "O43", "/p/ubon-pao/2566/six_month.pdf"),
    ):
        items = {i["code"]: i for i in public.get(f"/p/{code}/2566/oit.json").json()["items"]}
        auto = [e for i in items.values() for e in i["evidence"] if e["automatic"]]
        assert [e["url"] for e in items[item]["evidence"]] == [f"http://127.0.0.1:8000{url}"], code
        assert len(auto) == 1 and auto[0]["automatic"], code
        assert url in public.get(f"/p/{code}/2566/oit/").content.decode()
        pdf = public.get(url)
        assert pdf.status_code == 200 and b"".join(pdf).startswith(b"%PDF-")
        coord = login(f"{'tke' if code == 'takhram-en' else 'ubn'}-coord")
        check = coord.get(f"/a/{code}/oit/2566/check/")
        # Ready: the automatic item, the uploaded PDF (O2) and the link never checked (O6).
        assert check.context["ready"] == 3, code
        assert item not in {row.item.code for row in check.context["not_ready"]}, code
    text = public.get("/p/takhram-en/2566/oit/").content.decode()
    assert "รายงานการวิเคราะห์ผลการประเมิน ปีงบประมาณ พ.ศ. 2565 และมาตรการส่งเสริมคุณธรรม" in text
    # A second run (the reports are published now: nothing is rendered) adds nothing anywhere.
    again = io.StringIO()
    call_command("load_demo", "--publish", stdout=again)
    for code in ("khao-samo-khon", "pak-kran", "takhram-en", "ubon-pao"):
        assert f"{code}: หน้า OIT /p/{code}/2566/oit/ — เพิ่มหลักฐาน 0 รายการ" in again.getvalue()
    assert PublishedVersion.objects.filter(report__agency__code__in=("takhram-en", "ubon-pao")).count() == 2


@pytest.mark.django_db
def test_load_demo_without_publish_publishes_nothing():
    call_command("load_demo", stdout=io.StringIO())
    assert not PublishedVersion.objects.filter(report__agency__code=KSK).exists()
    assert not OitEvidence.objects.filter(agency__code=KSK).exists()
