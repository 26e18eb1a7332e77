"""The audit trail: every change is recorded with who, when and what, and coordinators and
executives read it at /a/<code>/audit/; published PDFs never change."""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, Division, Membership
from assessments.models import AssessmentResult, FiscalYear
from measures.models import Measure
from reports import services
from reports.models import ImmutableVersionError, PublishedVersion, Report, State
from reports.selectors import approval_hash, report_context, report_get_or_default

from .conftest import login

KSK = "khao-samo-khon"
AUDIT = f"/a/{KSK}/audit/"
STUB_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def entries(client, query=""):
    r = client.get(AUDIT + query)
    assert r.status_code == 200
    return r.context["entries"]


def find(items, *, kind, action=None, item=None):
    return [
        e
        for e in items
        if e.kind == kind and (action is None or e.action == action) and (item is None or item in e.item)
    ]


def changes(*entries):
    return {c.field: (c.old, c.new) for entry in entries for c in entry.changes}


def progress_form(**extra):
    return {
        "status": "in_progress",
        "output": "ร่างผังขั้นตอน",
        "photo-TOTAL_FORMS": "0",
        "photo-INITIAL_FORMS": "0",
        "link-TOTAL_FORMS": "0",
        "link-INITIAL_FORMS": "0",
        **extra,
    }


@pytest.mark.django_db
def test_progress_measures_roles_and_scores_are_recorded_with_who_and_what():
    staff, coord = login("ksk-staff1"), login("ksk-coord")
    # A measure created and renamed by the coordinator.
    r = coord.post(f"/a/{KSK}/measures/new/", {"title": "มาตรการตรวจประวัติ", "year": "2567"})
    measure = Measure.objects.get(title="มาตรการตรวจประวัติ")
    assert r.status_code == 302
    palat = Division.objects.get(agency__code=KSK, name="สำนักปลัด")
    coord.post(
        f"/a/{KSK}/measures/{measure.pk}/edit/",
        {"title": "มาตรการตรวจประวัติ (แก้ไข)", "divisions": [palat.pk], "version": measure.version},
    )
    # Progress recorded by division staff, then changed.
    url = f"/a/{KSK}/measures/{measure.pk}/progress/six_month/"
    assert staff.post(url, progress_form()).status_code == 302
    assert staff.post(url, progress_form(version="1", output="เผยแพร่ผังขั้นตอนแล้ว")).status_code == 302
    # Roles: the viewer becomes an executive; staff 2 gets a second division.
    viewer = Membership.objects.get(user__username="ksk-viewer")
    coord.post(f"/a/{KSK}/members/{viewer.pk}/", {"role": "executive", "position": "รองนายก"})
    staff2 = Membership.objects.get(user__username="ksk-staff2")
    chang = Division.objects.get(agency__code=KSK, name="กองช่าง")
    klang = Division.objects.get(agency__code=KSK, name="กองคลัง")
    coord.post(f"/a/{KSK}/members/{staff2.pk}/", {"role": "staff", "divisions": [klang.pk, chang.pk]})
    # Scores of a year.
    result = AssessmentResult.objects.filter(agency__code=KSK, year__be_year=2568).first()
    version = result.version if result else ""
    assert coord.post(f"/a/{KSK}/scores/2568/edit/", {"overall": "88.50", "version": version}).status_code == 302

    log = entries(login("ksk-exec"))
    created = find(log, kind="มาตรการ", action="สร้าง", item="มาตรการตรวจประวัติ")
    assert created and created[0].who.endswith("(ksk-coord)")
    # The fields and the divisions (an m2m change is a record of its own) of the same edit.
    renamed = changes(*find(log, kind="มาตรการ", action="แก้ไข", item="(แก้ไข)"))
    assert renamed["มาตรการ/กิจกรรม"] == ("มาตรการตรวจประวัติ", "มาตรการตรวจประวัติ (แก้ไข)")
    assert renamed["ผู้รับผิดชอบ"] == ("–", "สำนักปลัด")

    progress = find(log, kind="ผลการดำเนินการ", item="มาตรการตรวจประวัติ")
    assert [e.action for e in progress] == ["แก้ไข", "สร้าง"]  # newest first
    assert all(e.who.endswith("(ksk-staff1)") for e in progress)
    assert changes(progress[0])["ผลการดำเนินการ (output)"] == ("ร่างผังขั้นตอน", "เผยแพร่ผังขั้นตอนแล้ว")
    assert "version" not in str(progress[0].changes)  # bookkeeping is not shown

    role = find(log, kind="ผู้ใช้และบทบาท", item="ผู้บริหาร")[0]
    assert changes(role)["บทบาท"] == ("ผู้อ่านอย่างเดียว", "ผู้บริหาร")
    assert changes(role)["ตำแหน่ง"][1] == "รองนายก"
    divisions = [e for e in find(log, kind="ผู้ใช้และบทบาท") if "กอง/สำนัก" in changes(e)]
    assert divisions and changes(divisions[0])["กอง/สำนัก"] == ("กองคลัง", "กองคลัง, กองช่าง")

    score = find(log, kind="ผลการประเมิน", action="สร้าง", item="2568")
    assert score and score[0].who.endswith("(ksk-coord)")
    assert all(e.when for e in log)


@pytest.mark.django_db
def test_report_submission_approval_and_publication_are_recorded(monkeypatch, settings):
    coord, exec_ = login("ksk-coord"), login("ksk-exec")
    base = f"/a/{KSK}/reports/2567/annual"
    coord.post(f"{base}/submit/")
    exec_.post(f"{base}/approve/")
    report = Report.objects.get(agency__code=KSK, year__be_year=2567, kind="annual")
    assert report.state == State.APPROVED
    # The worker's part of publishing, with a stub renderer (tests/test_reports.py renders for real).
    user = Membership.objects.get(user__username="ksk-exec").user
    version = services.report_publish_render_and_store(report=report, user=user, render=lambda *a, **k: STUB_PDF)
    log = entries(coord)
    states = [changes(e).get("สถานะ") for e in find(log, kind="รายงาน", action="แก้ไข")]
    assert ("ฉบับร่าง", "เสนอผู้บริหารแล้ว") in states
    assert ("เสนอผู้บริหารแล้ว", "ผู้บริหารอนุมัติแล้ว") in states
    assert ("ผู้บริหารอนุมัติแล้ว", "เผยแพร่แล้ว") in states
    approval = next(e for e in find(log, kind="รายงาน") if changes(e).get("สถานะ", ("", ""))[1] == "ผู้บริหารอนุมัติแล้ว")
    assert approval.who.endswith("(ksk-exec)")
    submission = next(e for e in find(log, kind="รายงาน") if changes(e).get("สถานะ", ("", ""))[1] == "เสนอผู้บริหารแล้ว")
    assert submission.who.endswith("(ksk-coord)")
    # The worker has no request: the state change still names who published.
    to_published = next(e for e in find(log, kind="รายงาน") if changes(e).get("สถานะ", ("", ""))[1] == "เผยแพร่แล้ว")
    assert to_published.who.endswith("(ksk-exec)")
    published = find(log, kind="รายงานที่เผยแพร่", action="เผยแพร่")[0]
    assert published.who.endswith("(ksk-exec)") and "ฉบับที่ 1" in published.item
    assert version.sha256 in published.note
    # Filtering by kind of record.
    only_reports = entries(coord, "?type=report")
    assert only_reports and {e.kind for e in only_reports} == {"รายงาน"}


@pytest.mark.django_db
def test_the_audit_shows_only_the_agencys_own_records():
    pkr = login("pkr-coord")
    m = Measure.objects.filter(agency__code="pak-kran").first()
    pkr.post(f"/a/pak-kran/measures/{m.pk}/edit/", {"title": "ชื่อของปากกรานที่ต้องไม่รั่ว", "version": m.version})
    assert Measure.objects.get(pk=m.pk).title == "ชื่อของปากกรานที่ต้องไม่รั่ว"
    body = login("ksk-coord").get(AUDIT).content.decode()
    assert "ชื่อของปากกรานที่ต้องไม่รั่ว" not in body
    assert "ชื่อของปากกรานที่ต้องไม่รั่ว" in pkr.get("/a/pak-kran/audit/").content.decode()
    for page in range(1, 4):
        for e in entries(login("ksk-coord"), f"?page={page}"):
            assert "ปากกราน" not in e.item


@pytest.mark.django_db
def test_only_coordinators_and_executives_read_it_and_see_the_link():
    for user in ("ksk-coord", "ksk-exec"):
        c = login(user)
        assert c.get(AUDIT).status_code == 200
        assert AUDIT in c.get(f"/a/{KSK}/").content.decode()
    for user in ("ksk-staff1", "ksk-viewer", "lopburi-office"):
        c = login(user)
        assert c.get(AUDIT).status_code == 403, user
        assert AUDIT not in c.get(f"/a/{KSK}/my-work/").content.decode()
    assert login("pkr-coord").get(AUDIT).status_code == 404


@pytest.mark.django_db
def test_a_page_costs_the_same_number_of_queries_whatever_the_history():
    coord = login("ksk-coord")
    measure = Measure.objects.filter(agency__code=KSK).first()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert coord.get(AUDIT).status_code == 200
        return len(ctx.captured_queries)

    def edit(n):
        for i in range(n):
            version = Measure.objects.get(pk=measure.pk).version
            coord.post(f"/a/{KSK}/measures/{measure.pk}/edit/", {"title": f"ชื่อรอบที่ {i}", "version": version})

    edit(60)  # a full first page of the same kind of records
    first = count()
    edit(120)
    assert count() == first
    # Whatever the mix of kinds on a page: at most ~3 queries per kind, plus names and the page.
    assert count() <= 60


@pytest.mark.django_db
def test_published_versions_never_change():
    report = report_get_or_default(
        agency=Agency.objects.get(code=KSK), year=FiscalYear.objects.get(be_year=2567), kind="annual"
    )
    report.save()
    # Approved on its current content (the approval is bound to it).
    Report.objects.filter(pk=report.pk).update(
        state=State.APPROVED, approved_hash=approval_hash(report_context(report=report))
    )
    report.refresh_from_db()
    v1 = services.report_publish_render_and_store(report=report, user=None, render=lambda *a, **k: STUB_PDF)
    with v1.pdf.open("rb") as fh:
        first = fh.read()
    assert hashlib.sha256(first).hexdigest() == v1.sha256
    v1.sha256 = "f" * 64
    with pytest.raises(ImmutableVersionError):
        v1.save()
    with pytest.raises(ImmutableVersionError):
        PublishedVersion.objects.get(pk=v1.pk).delete()
    # Publishing again is a new version; the first file and its hash stay as they were.
    # Approved on its current content (the approval is bound to it).
    Report.objects.filter(pk=report.pk).update(
        state=State.APPROVED, approved_hash=approval_hash(report_context(report=report))
    )
    report.refresh_from_db()
    v2 = services.report_publish_render_and_store(
        report=report, user=None, render=lambda *a, **k: STUB_PDF.replace(b"%%EOF", b"% v2\n%%EOF")
    )
    stored = PublishedVersion.objects.get(pk=v1.pk)
    assert v2.version == 2 and stored.pdf.name != v2.pdf.name
    with stored.pdf.open("rb") as fh:
        assert fh.read() == first
    assert stored.sha256 == hashlib.sha256(first).hexdigest()
