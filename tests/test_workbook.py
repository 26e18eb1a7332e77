"""The agency workbook: template and export, import with a preview, Thai errors, never a partial write.

Each bad input of the issue has its test; the round trip into a fresh database runs the real
management commands in a subprocess against a temporary SQLite file.
"""

import datetime
import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from agencies.models import Agency, Division
from assessments.models import AssessmentResult, FiscalYear, IndicatorScore, Question, QuestionScore, ToolScore
from measures.models import Activity, Measure, Progress
from measures.workbook import (
    DATA_SHEETS,
    H_ACTIVITY,
    H_BUDGET,
    H_COMPLETED,
    H_DIVISION,
    H_DIVISIONS,
    H_INDICATORS,
    H_ISSUE,
    H_MEASURE,
    H_ORDER,
    H_OUTPUT,
    H_ROUND,
    H_STATUS,
    H_TITLE,
    H_UNABLE_REASON,
    SHEET_ACTIVITIES,
    SHEET_DIVISIONS,
    SHEET_INFO,
    SHEET_MEASURES,
    SHEET_PROGRESS,
    SHEET_SCORES,
    workbook_export,
    workbook_import,
)
from sheets.preview import ERROR, NEW, UNCHANGED, preview_lines

from .conftest import login

ROOT = Path(__file__).resolve().parent.parent
KSK = "khao-samo-khon"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers ---------------------------------------------------------------------------------


def agency(code=KSK):
    return Agency.objects.get(code=code)


def year(be=2567):
    return FiscalYear.objects.get(be_year=be)


def export(code=KSK, be=2567, template=False) -> bytes:
    return workbook_export(agency=agency(code), year=year(be), template=template)


def load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def column(ws, header) -> int:
    for cell in ws[1]:
        if cell.value == header:
            return cell.column
    raise KeyError(header)


def first_empty_row(ws) -> int:
    for r in range(2, ws.max_row + 2):
        if all(c.value is None for c in ws[r]):
            return r
    return ws.max_row + 1


def put(ws, row: int, **values) -> int:
    """Set cells of a row by their headers."""
    for header, value in values.items():
        ws.cell(row=row, column=column(ws, header)).value = value  # (ws.cell(value=None) would not clear)
    return row


def add(ws, values: dict) -> int:
    return put(ws, first_empty_row(ws), **values)


def run(data: bytes, *, dry_run=True, code=KSK, be=2567, user=None, **kwargs):
    return workbook_import(agency=agency(code), year=year(be), file=data, dry_run=dry_run, user=user, **kwargs)


def snapshot() -> dict:
    """Every row an import may touch (and their history), to show that nothing was written."""
    out = {}
    for model in (Agency, Division, Measure, Activity, Progress, Question, AssessmentResult):
        out[model.__name__] = sorted(model.objects.values_list(), key=repr)
        if hasattr(model, "history"):
            out[f"{model.__name__}.history"] = model.history.count()
    for model in (ToolScore, IndicatorScore, QuestionScore):
        out[model.__name__] = sorted(model.objects.values_list(), key=repr)
    out["Measure.divisions"] = sorted(Measure.divisions.through.objects.values_list("measure_id", "division_id"))
    out["Measure.indicators"] = sorted(Measure.indicators.through.objects.values_list("measure_id", "indicator_id"))
    out["Activity.divisions"] = sorted(Activity.divisions.through.objects.values_list("activity_id", "division_id"))
    return out


def problems_text(preview) -> str:
    return "\n".join(str(p) for p in preview.problems)


def filled_template() -> bytes:
    """The template as a coordinator fills it: a new division, measure, activity, progress and scores."""
    wb = load(export(template=True))
    add(wb[SHEET_DIVISIONS], {H_ORDER: 6, H_DIVISION: "กองสวัสดิการสังคม"})
    add(
        wb[SHEET_MEASURES],
        {
            H_ORDER: 10,
            H_ISSUE: "7) กลไกและมาตรการในการแก้ไขและป้องกันการทุจริตภายในหน่วยงาน",
            H_INDICATORS: "5, 10",
            H_TITLE: "ประกาศเจตจำนงสุจริตของผู้บริหาร",
            H_DIVISIONS: "สำนักปลัด, กองสวัสดิการสังคม",
            H_BUDGET: 2500,
        },
    )
    add(wb[SHEET_ACTIVITIES], {H_MEASURE: 10, H_ACTIVITY: 1, "กิจกรรม": "จัดประชุมชี้แจงพนักงาน"})
    add(
        wb[SHEET_PROGRESS],
        {
            H_MEASURE: 10,
            H_ACTIVITY: 1,
            H_ROUND: "รอบ 6 เดือน",
            H_STATUS: "ดำเนินการแล้วเสร็จ",
            H_OUTPUT: "ประชุมชี้แจงพนักงานทุกกอง",
            H_COMPLETED: "15/03/2567",
        },
    )
    scores = wb[SHEET_SCORES]
    for row in scores.iter_rows(min_row=2):
        kind, code = row[0].value, row[1].value
        if kind == "ตัวชี้วัด" and code == 5:
            row[3].value = 95.5
    return save(wb)


# --- export and template ----------------------------------------------------------------------


def test_export_then_import_changes_nothing(db):
    before = snapshot()
    preview = run(export(), dry_run=False)
    assert preview.ok, problems_text(preview)
    assert preview.counts[UNCHANGED] == len(preview.rows) > 30
    assert not preview.has_changes
    assert snapshot() == before


def test_template_lists_reference_values_as_dropdowns(db):
    c = login("ksk-coord")
    r = c.get(f"/a/{KSK}/workbook/template/?year=2567")
    assert r.status_code == 200 and r["Content-Type"] == XLSX
    wb = load(r.content)
    assert wb.sheetnames == ["คำอธิบาย", *DATA_SHEETS, "รายการอ้างอิง"]
    ref = wb["รายการอ้างอิง"]
    lists = {col[0].value: [c.value for c in col[1:] if c.value is not None] for col in ref.iter_cols()}
    assert len(lists["ประเด็น"]) == 7 and lists["ประเด็น"][0].startswith("1) กระบวนการปฏิบัติงาน")
    assert lists["ตัวชี้วัด"][3] == "4 การใช้ทรัพย์สินของราชการ" and len(lists["ตัวชี้วัด"]) == 10
    assert lists["สถานะ"] == ["ยังไม่ดำเนินการ", "อยู่ระหว่างดำเนินการ", "ดำเนินการแล้วเสร็จ", "ไม่สามารถดำเนินการได้"]
    assert "สำนักปลัด" in lists["กอง/สำนัก"]
    validations = {
        name: [(dv.formula1, str(dv.sqref)) for dv in wb[name].data_validations.dataValidation] for name in DATA_SHEETS
    }
    issue_col = openpyxl.utils.get_column_letter(column(wb[SHEET_MEASURES], H_ISSUE))
    status_col = openpyxl.utils.get_column_letter(column(wb[SHEET_PROGRESS], H_STATUS))
    assert any(f.startswith("'รายการอ้างอิง'!$A$2") and s.startswith(issue_col) for f, s in validations[SHEET_MEASURES])
    assert any("รายการอ้างอิง" in f and s.startswith(status_col) for f, s in validations[SHEET_PROGRESS])
    # Empty: no measures, activities or progress; headers in Thai.
    assert [c.value for c in wb[SHEET_MEASURES][1]][:3] == ["ลำดับ", "เลขที่", "ประเด็น"]
    assert wb[SHEET_MEASURES]["A2"].value is None and wb[SHEET_PROGRESS]["A2"].value is None
    assert wb[SHEET_INFO]["A2"].value == KSK and wb[SHEET_INFO]["F2"].value == 2567


def test_export_command_and_data_download(db, tmp_path):
    out = tmp_path / "ksk.xlsx"
    call_command("export_workbook", agency=KSK, year=2567, output=str(out), stdout=io.StringIO())
    wb = load(out.read_bytes())
    titles = [
        r[column(wb[SHEET_MEASURES], H_TITLE) - 1] for r in wb[SHEET_MEASURES].iter_rows(min_row=2, values_only=True)
    ]
    assert sum(1 for t in titles if t) == Measure.objects.filter(agency__code=KSK, year__be_year=2567).count() == 9
    scores = {(r[0], r[1]): r[3] for r in wb[SHEET_SCORES].iter_rows(min_row=2, values_only=True) if r[0]}
    assert scores[("คะแนนรวม", None)] == pytest.approx(92.84)
    # Executives read everything and may download; division staff may not.
    assert login("ksk-exec").get(f"/a/{KSK}/workbook/export/?year=2567").status_code == 200
    assert login("ksk-staff1").get(f"/a/{KSK}/workbook/export/?year=2567").status_code == 403
    assert login("nbb-coord").get(f"/a/{KSK}/workbook/export/?year=2567").status_code == 404
    with pytest.raises(CommandError, match="ค.ศ."):
        call_command("export_workbook", agency=KSK, year=2024, output=str(out))


# --- the web flow --------------------------------------------------------------------------


def test_coordinator_uploads_previews_and_confirms(db):
    c = login("ksk-coord")
    page = c.get(f"/a/{KSK}/measures/?year=2567").content.decode()
    assert f"/a/{KSK}/workbook/?year=2567" in page  # the coordinator's action link
    data = filled_template()
    before = snapshot()
    r = c.post(f"/a/{KSK}/workbook/?year=2567", {"year": "2567", "file": _upload("ksk.xlsx", data)})
    assert r.status_code == 302, r.content.decode()[:3000]
    token = r["Location"].rstrip("/").rsplit("/", 1)[1]
    entry = c.session["imports"][token]
    assert entry["path"] == f"imports/{token}.xlsx" and default_storage.exists(entry["path"])
    r = c.get(r["Location"])
    html = r.content.decode()
    assert r.status_code == 200
    assert "ใหม่" in html and "ไม่เปลี่ยนแปลง" in html and "ยืนยันนำเข้า" in html
    assert "มาตรการลำดับ 10" in html and "กองสวัสดิการสังคม" in html
    assert snapshot() == before  # a preview writes nothing
    digest = r.context["digest"]
    r = c.post(f"/a/{KSK}/workbook/import/{token}/", {"action": "confirm", "digest": digest})
    assert r.status_code == 302, r.content.decode()[:3000]
    assert not default_storage.exists(entry["path"]) and token not in c.session.get("imports", {})
    m = Measure.objects.get(agency__code=KSK, year__be_year=2567, order=10)
    assert m.title == "ประกาศเจตจำนงสุจริตของผู้บริหาร" and m.issue.number == 7 and m.budget == Decimal("2500")
    assert sorted(i.number for i in m.indicators.all()) == [5, 10]
    assert sorted(d.name for d in m.divisions.all()) == ["กองสวัสดิการสังคม", "สำนักปลัด"]
    activity = m.activities.get()
    p = Progress.objects.get(measure=m, activity=activity, round="six_month")
    assert (p.status, p.completed_on, p.updated_by.username) == ("done", datetime.date(2024, 3, 15), "ksk-coord")
    assert p.history.first().history_user.username == "ksk-coord"
    score = IndicatorScore.objects.get(result__agency__code=KSK, result__year__be_year=2567, indicator__number=5)
    assert score.score == Decimal("95.50")
    # …and it shows where people look: the measure list, the measure page, the score page.
    assert "ประกาศเจตจำนงสุจริตของผู้บริหาร" in c.get(f"/a/{KSK}/measures/?year=2567").content.decode()
    detail = c.get(f"/a/{KSK}/measures/{m.pk}/").content.decode()
    assert "ประชุมชี้แจงพนักงานทุกกอง" in detail and "15 มีนาคม 2567" in detail
    assert "95.50" in c.get(f"/a/{KSK}/?year=2567").content.decode()
    form = c.get(f"/a/{KSK}/measures/{m.pk}/activities/{activity.pk}/progress/six_month/").content.decode()
    assert "15/03/2567" in form


def _upload(name, data, content_type=XLSX):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def test_preview_shows_thai_errors_and_confirm_writes_nothing(db):
    wb = load(export())
    ms = wb[SHEET_MEASURES]
    put(ms, 2, **{H_DIVISIONS: "กองไม่มีจริง"})
    put(ms, 3, **{H_INDICATORS: "11"})
    c = login("ksk-coord")
    r = c.post(f"/a/{KSK}/workbook/?year=2567", {"year": "2567", "file": _upload("bad.xlsx", save(wb))})
    token = r["Location"].rstrip("/").rsplit("/", 1)[1]
    before = snapshot()
    r = c.get(r["Location"])
    html = r.content.decode()
    assert "ไม่พบกอง/สำนัก “กองไม่มีจริง”" in html
    assert "แผ่นงาน “มาตรการ” แถว 2 คอลัมน์ J (ผู้รับผิดชอบ (กอง/สำนัก))" in html
    assert "ไม่พบตัวชี้วัด “11” ในปีงบประมาณ 2567" in html
    assert "ยืนยันนำเข้า" not in html and "อัปโหลดไฟล์ที่แก้ไขแล้ว" in html
    # Forcing a confirm anyway writes nothing.
    r = c.post(f"/a/{KSK}/workbook/import/{token}/", {"action": "confirm", "digest": r.context["digest"]})
    assert r.status_code == 200 and snapshot() == before


def test_confirm_refuses_when_data_changed_since_preview(db):
    wb = load(export())
    ps = wb[SHEET_PROGRESS]
    put(ps, 2, **{H_STATUS: "อยู่ระหว่างดำเนินการ"})
    c = login("ksk-coord")
    r = c.post(f"/a/{KSK}/workbook/?year=2567", {"year": "2567", "file": _upload("ksk.xlsx", save(wb))})
    preview_url = r["Location"]
    digest = c.get(preview_url).context["digest"]
    # Someone records the same item in between.
    m = Measure.objects.get(agency__code=KSK, year__be_year=2567, order=1)
    Progress.objects.create(measure=m, round="six_month", status="done", output="บันทึกโดยเจ้าหน้าที่")
    r = c.post(preview_url, {"action": "confirm", "digest": digest})
    assert r.status_code == 200
    assert "ข้อมูลในระบบเปลี่ยนไปหลังจากที่คุณตรวจสอบ" in r.content.decode()
    assert Progress.objects.get(measure=m, round="six_month", activity=None).status == "done"


def test_only_coordinators_import(db):
    data = export()
    for user, expected in (("ksk-viewer", 403), ("ksk-exec", 403), ("ksk-staff1", 403), ("nbb-coord", 404)):
        r = login(user).post(f"/a/{KSK}/workbook/?year=2567", {"year": "2567", "file": _upload("k.xlsx", data)})
        assert r.status_code == expected, user
    # A token belongs to the session that uploaded it.
    r = login("ksk-coord").post(f"/a/{KSK}/workbook/?year=2567", {"year": "2567", "file": _upload("k.xlsx", data)})
    assert login("ksk-coord").get(r["Location"]).status_code == 404


def test_cancel_deletes_the_upload(db):
    c = login("ksk-coord")
    r = c.post(f"/a/{KSK}/workbook/?year=2567", {"year": "2567", "file": _upload("k.xlsx", export())})
    token = r["Location"].rstrip("/").rsplit("/", 1)[1]
    path = c.session["imports"][token]["path"]
    assert c.post(r["Location"], {"action": "cancel"}).status_code == 302
    assert not default_storage.exists(path)


# --- round trip into a fresh database ---------------------------------------------------------


def _manage(*args, db_url: str):
    env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "ita_portal.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def cells(data: bytes) -> dict:
    wb = load(data)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


@pytest.mark.slow
def test_round_trip_into_a_fresh_database(db, tmp_path):
    """export → import into a database that has only run `migrate` → export: the same cells."""
    db_url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    r = _manage("migrate", "--noinput", db_url=db_url)
    assert r.returncode == 0, r.stderr
    exported = {}
    for code, be in ((KSK, 2567), ("takhram-en", 2565), ("ubon-pao", 2566)):
        original = exported[code] = export(code, be)
        path = tmp_path / f"{code}-{be}.xlsx"
        path.write_bytes(original)
        r = _manage("import_workbook", str(path), db_url=db_url)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "บันทึกข้อมูลแล้ว" in r.stdout
        again = tmp_path / f"{code}-{be}-again.xlsx"
        r = _manage("export_workbook", "--agency", code, "--year", str(be), "--output", str(again), db_url=db_url)
        assert r.returncode == 0, r.stderr
        assert cells(again.read_bytes()) == cells(original), code
    # takhram-en 2565 carries question scores: the questions came with the workbook.
    assert any(row[0] == "ข้อคำถาม" and row[3] is not None for row in cells(exported["takhram-en"])[SHEET_SCORES])


def test_command_prints_preview_and_fails_on_errors(db, tmp_path):
    wb = load(export())
    put(wb[SHEET_MEASURES], 2, **{H_BUDGET: "สองพันบาท"})
    path = tmp_path / "bad.xlsx"
    path.write_bytes(save(wb))
    out = io.StringIO()
    before = snapshot()
    with pytest.raises(CommandError, match="ไม่ได้บันทึกข้อมูลใดเลย"):
        call_command("import_workbook", str(path), agency=KSK, stdout=out)
    text = out.getvalue()
    assert "แผ่นงาน “มาตรการ” แถว 2 คอลัมน์ M (งบประมาณ (บาท)): “สองพันบาท” ไม่ใช่ตัวเลข" in text
    assert "มาตรการ แถว 3" in text and "ไม่เปลี่ยนแปลง" in text  # every row's status
    assert snapshot() == before
    path.write_bytes(export())
    out = io.StringIO()
    call_command("import_workbook", str(path), "--dry-run", stdout=out)
    assert "ไม่ได้บันทึก (ตรวจสอบอย่างเดียว)" in out.getvalue()


# --- never a partial write --------------------------------------------------------------------


def test_failed_import_leaves_the_database_identical(db):
    """Many valid new and changed rows, one bad cell in the last sheet: nothing at all is written."""
    wb = load(filled_template())
    put(wb[SHEET_PROGRESS], 2, **{H_COMPLETED: "31/13/2567"})
    before = snapshot()
    preview = run(save(wb), dry_run=False, user=None)
    assert not preview.ok and not preview.written
    assert preview.counts[NEW] >= 3 and preview.counts["changed"] >= 1
    assert [str(p) for p in preview.problems] == [
        "แผ่นงาน “ผลการดำเนินการ” แถว 2 คอลัมน์ J (วันที่แล้วเสร็จ (วว/ดด/ปปปป พ.ศ.)): ไม่มีวันที่ 31/13/2567 ในปฏิทิน"
    ]
    assert snapshot() == before


# --- bad input, one by one: a Thai message with its place, and nothing written ------------------


def expect_problem(data: bytes, *fragments: str, code=KSK, be=2567):
    before = snapshot()
    preview = run(data, dry_run=False, code=code, be=be)
    text = problems_text(preview)
    assert not preview.ok and not preview.written, text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    assert snapshot() == before
    return preview


def test_wrong_types(db):
    wb = load(export())
    put(wb[SHEET_MEASURES], 2, **{H_BUDGET: "สองพัน"})
    put(wb[SHEET_MEASURES], 3, **{H_ORDER: "สาม"})
    put(wb[SHEET_PROGRESS], 2, **{H_STATUS: "เสร็จเรียบร้อย"})
    scores = wb[SHEET_SCORES]
    scores["D2"] = "เก้าสิบ"
    scores["D5"] = 101
    scores["D6"] = 88.123
    expect_problem(
        save(wb),
        "แผ่นงาน “มาตรการ” แถว 2 คอลัมน์ M (งบประมาณ (บาท)): “สองพัน” ไม่ใช่ตัวเลข",
        "แผ่นงาน “มาตรการ” แถว 3 คอลัมน์ A (ลำดับ): ต้องเป็นเลขจำนวนเต็ม (ได้ “สาม”)",
        "แผ่นงาน “ผลการดำเนินการ” แถว 2 คอลัมน์ E (สถานะ): ไม่รู้จัก “เสร็จเรียบร้อย” (ใช้ได้: ยังไม่ดำเนินการ",
        "แผ่นงาน “คะแนน” แถว 2 คอลัมน์ D (คะแนน): “เก้าสิบ” ไม่ใช่ตัวเลข",
        "แผ่นงาน “คะแนน” แถว 5 คอลัมน์ D (คะแนน): 101.00 มากกว่าที่รับได้ (สูงสุด 100)",
        "แผ่นงาน “คะแนน” แถว 6 คอลัมน์ D (คะแนน): 88.123 มีทศนิยมเกิน 2 ตำแหน่ง",
    )


def test_unknown_agency_division_indicator_and_question(db):
    wb = load(export())
    wb[SHEET_INFO]["A2"] = "nong-bua-ban"
    expect_problem(save(wb), "แผ่นงาน “หน่วยงาน” แถว 2 คอลัมน์ A (รหัสหน่วยงาน): ไฟล์นี้เป็นของหน่วยงานรหัส “nong-bua-ban”")
    wb = load(export())
    add(wb[SHEET_ACTIVITIES], {H_MEASURE: 1, H_ACTIVITY: 1, "กิจกรรม": "อบรม", H_DIVISIONS: "กองการประปา"})
    put(wb[SHEET_MEASURES], 4, **{H_INDICATORS: "ตัวชี้วัดที่ 12"})
    add(wb[SHEET_SCORES], {"ประเภทคะแนน": "ข้อคำถาม", "รหัส": "Z99", "คะแนน": 50})
    add(wb["ข้อคำถาม"], {"รหัสข้อ": "I99", "แบบวัด": "IIT", "ข้อคำถาม": "ข้อคำถามที่ไม่มีในระบบ"})
    expect_problem(
        save(wb),
        "แผ่นงาน “กิจกรรม” แถว 2 คอลัมน์ F (ผู้รับผิดชอบ (กอง/สำนัก)): ไม่พบกอง/สำนัก “กองการประปา”",
        "แผ่นงาน “มาตรการ” แถว 4 คอลัมน์ E (ตัวชี้วัด): ไม่พบตัวชี้วัด “ตัวชี้วัดที่ 12” ในปีงบประมาณ 2567",
        "คอลัมน์ B (รหัส): ไม่พบข้อคำถาม “Z99” ในปีงบประมาณ 2567",
        "แผ่นงาน “ข้อคำถาม” แถว 2 คอลัมน์ A (รหัสข้อ): ไม่มีข้อคำถาม “I99” ในปีงบประมาณ 2567",
    )
    wb = load(export())
    add(wb[SHEET_PROGRESS], {H_MEASURE: 42, H_ROUND: "รอบ 12 เดือน", H_STATUS: "ดำเนินการแล้วเสร็จ"})
    expect_problem(save(wb), "คอลัมน์ A (ลำดับมาตรการ): ไม่พบมาตรการลำดับ 42")


def test_duplicate_keys(db):
    wb = load(export())
    put(wb[SHEET_MEASURES], 3, **{H_ORDER: 1})
    add(wb[SHEET_DIVISIONS], {H_DIVISION: "กองคลัง"})
    scores = wb[SHEET_SCORES]
    add(scores, {"ประเภทคะแนน": "ตัวชี้วัด", "รหัส": 4, "คะแนน": 90})
    expect_problem(
        save(wb),
        "แผ่นงาน “มาตรการ” แถว 3 คอลัมน์ A (ลำดับ): ข้อมูลซ้ำกับแถว 2",
        "แผ่นงาน “กอง-สำนัก” แถว 7 คอลัมน์ B (ชื่อกอง/สำนัก): ข้อมูลซ้ำกับแถว 3",
        "ข้อมูลซ้ำกับแถว 9",
    )


def test_gregorian_years_and_dates_refused_be_dates_accepted(db):
    wb = load(export())
    wb[SHEET_INFO]["F2"] = 2024
    expect_problem(save(wb), "แผ่นงาน “หน่วยงาน” แถว 2 คอลัมน์ F (ปีงบประมาณ (พ.ศ.)): ปี 2024 ดูเหมือนเป็นปี ค.ศ.")
    wb = load(export())
    put(wb[SHEET_PROGRESS], 2, **{H_STATUS: "ดำเนินการแล้วเสร็จ", H_COMPLETED: "30/09/2024"})
    expect_problem(
        save(wb),
        "แผ่นงาน “ผลการดำเนินการ” แถว 2 คอลัมน์ J (วันที่แล้วเสร็จ (วว/ดด/ปปปป พ.ศ.)): ปี 2024 ดูเหมือนเป็นปี ค.ศ. "
        "กรุณากรอกปี พ.ศ. (เช่น 2567)",
    )
    # "15/03/2567" as text, in Thai digits, and a date cell where 15/02/2567 was typed as a date
    # (six-month rows: their dates lie in 1 ต.ค. 2566 – 31 มี.ค. 2567, measures/rules.py).
    wb = load(export())
    ps = wb[SHEET_PROGRESS]
    put(ps, 2, **{H_STATUS: "ดำเนินการแล้วเสร็จ", H_COMPLETED: "15/03/2567"})
    put(ps, 4, **{H_STATUS: "ดำเนินการแล้วเสร็จ", H_COMPLETED: "๓๑/๐๓/๒๕๖๗"})
    put(ps, 6, **{H_STATUS: "ดำเนินการแล้วเสร็จ", H_COMPLETED: datetime.datetime(2567, 2, 15)})
    preview = run(save(wb), dry_run=False)
    assert preview.ok, problems_text(preview)
    dates = sorted(
        Progress.objects.filter(measure__agency__code=KSK, completed_on__isnull=False).values_list(
            "completed_on", flat=True
        )
    )
    assert dates == [datetime.date(2024, 2, 15), datetime.date(2024, 3, 15), datetime.date(2024, 3, 31)]
    # A six-month row dated after its round (and its 30 days' grace) is refused, with the range.
    wb = load(export())
    put(wb[SHEET_PROGRESS], 2, **{H_STATUS: "ดำเนินการแล้วเสร็จ", H_COMPLETED: "30/09/2567"})
    expect_problem(
        save(wb),
        "แผ่นงาน “ผลการดำเนินการ” แถว 2 คอลัมน์ J (วันที่แล้วเสร็จ (วว/ดด/ปปปป พ.ศ.)): วันที่แล้วเสร็จของรอบ 6 เดือน "
        "ปีงบประมาณ 2567 ต้องอยู่ระหว่าง 1 ตุลาคม 2566 ถึง 30 เมษายน 2567",
    )


def test_unable_needs_a_reason(db):
    wb = load(export())
    put(wb[SHEET_PROGRESS], 2, **{H_STATUS: "ไม่สามารถดำเนินการได้"})
    expect_problem(save(wb), "คอลัมน์ F (เหตุที่ดำเนินการไม่ได้): สถานะ “ไม่สามารถดำเนินการได้” ต้องระบุเหตุ")
    wb = load(export())
    put(wb[SHEET_PROGRESS], 2, **{H_STATUS: "ไม่สามารถดำเนินการได้", H_UNABLE_REASON: "ไม่ได้รับงบประมาณ"})
    assert run(save(wb), dry_run=False).ok
    p = Progress.objects.get(measure__agency__code=KSK, measure__order=1, round="six_month")
    assert (p.status, p.unable_reason) == ("unable", "no_budget")


def test_done_needs_a_completion_date_like_the_web_form(db):
    """The same rule as the progress form (measures.rules): a row that says "done" anew gives a date;
    a transcribed "done" without a date that the file leaves unchanged is kept."""
    wb = load(export())
    put(wb[SHEET_PROGRESS], 2, **{H_STATUS: "ดำเนินการแล้วเสร็จ", H_COMPLETED: None})
    expect_problem(save(wb), "กรุณาระบุวันที่ดำเนินการแล้วเสร็จ")
    put(wb[SHEET_PROGRESS], 2, **{H_STATUS: "ดำเนินการแล้วเสร็จ", H_COMPLETED: "31/03/2567"})
    assert run(save(wb), dry_run=False).ok
    p = Progress.objects.get(measure__agency__code=KSK, measure__order=1, round="six_month")
    Progress.objects.filter(pk=p.pk).update(completed_on=None)  # as a transcribed report has it
    assert run(export(), dry_run=True).ok


def test_blank_rows_skipped_hidden_rows_refused(db):
    wb = load(export())
    ms = wb[SHEET_MEASURES]
    ms.insert_rows(4, amount=2)  # two blank rows between measures
    preview = run(save(wb), dry_run=True)
    assert preview.ok, problems_text(preview)
    assert "แผ่นงาน “มาตรการ”: ข้ามแถวว่าง 2 แถว" in preview.notes
    wb = load(export())
    wb[SHEET_MEASURES].row_dimensions[5].hidden = True
    expect_problem(save(wb), "แผ่นงาน “มาตรการ” แถว 5: แถวนี้ถูกซ่อนไว้")


def test_formulas_and_merged_cells_refused(db):
    wb = load(export())
    wb[SHEET_MEASURES]["M2"] = "=1000*2"
    wb[SHEET_SCORES]["D3"] = "=AVERAGE(D14:D18)"
    expect_problem(
        save(wb),
        "แผ่นงาน “มาตรการ” แถว 2 คอลัมน์ M (งบประมาณ (บาท)): เซลล์ M2 เป็นสูตร (=1000*2) ระบบรับเฉพาะค่า",
        "แผ่นงาน “คะแนน” แถว 3 คอลัมน์ D (คะแนน): เซลล์ D3 เป็นสูตร",
    )
    wb = load(export())
    wb[SHEET_MEASURES].merge_cells("J2:J4")
    expect_problem(save(wb), "แผ่นงาน “มาตรการ” แถว 2 คอลัมน์ J (ผู้รับผิดชอบ (กอง/สำนัก)): เซลล์ J2:J4 ถูกผสาน (Merge)")


def test_wrong_or_missing_sheets_and_columns(db):
    wb = load(export())
    wb[SHEET_PROGRESS].title = "ผลการดำเนินงาน"
    expect_problem(save(wb), "แผ่นงาน “ผลการดำเนินการ”: ไม่พบแผ่นงาน “ผลการดำเนินการ”")
    wb = load(export())
    del wb[SHEET_ACTIVITIES]
    expect_problem(save(wb), "ไม่พบแผ่นงาน “กิจกรรม”")
    wb = load(export())
    wb[SHEET_MEASURES]["G1"] = "ชื่อโครงการ"
    expect_problem(
        save(wb),
        "แผ่นงาน “มาตรการ” แถว 1 คอลัมน์ G (ชื่อโครงการ): ไม่รู้จักคอลัมน์ “ชื่อโครงการ”",
        "แผ่นงาน “มาตรการ” แถว 1: ไม่พบคอลัมน์ “มาตรการ/กิจกรรม”",
    )


def test_a_file_for_another_year_is_refused(db):
    expect_problem(export(be=2567), "ไฟล์นี้เป็นของปีงบประมาณ 2567 แต่กำลังนำเข้าปี 2566", be=2566)


def test_too_large_file_refused_before_parsing(db, settings):
    big = b"PK\x03\x04" + os.urandom(1024) * (50 * 1024)  # 50 MB that is not even a valid zip
    expect_problem(big, "ไฟล์มีขนาด 50 MB ใหญ่เกินกว่าที่รับได้ (20 MB)")
    c = login("ksk-coord")
    r = c.post(f"/a/{KSK}/workbook/?year=2567", {"year": "2567", "file": _upload("big.xlsx", big)})
    assert r.status_code == 200 and "ใหญ่เกินกว่าที่รับได้ (20 MB)" in r.content.decode()
    assert not default_storage.exists("imports") or not default_storage.listdir("imports")[1]
    settings.IMPORT_MAX_UPLOAD_BYTES = 10 * 1024
    expect_problem(export(), "ใหญ่เกินกว่าที่รับได้ (10 KB)")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "ไฟล์นี้เป็นPDF ไม่ใช่สมุดงาน Excel"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "ไฟล์นี้เป็นภาพ PNG"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "Excel รุ่นเก่า (.xls)"),
        (b"PK\x03\x04" + bytes(64), "ไฟล์ .xlsx นี้เสียหาย"),
        ("ลำดับ,มาตรการ\n1,ทดสอบ\n".encode(), "สมุดงานของหน่วยงานมีหลายแผ่นงาน จึงต้องเป็นไฟล์ .xlsx"),
        (bytes(range(256)) * 4, "ไม่ใช่สมุดงาน Excel (.xlsx) หรือไฟล์ CSV"),
    ],
)
def test_not_a_workbook(db, data, fragment):
    expect_problem(data, fragment)


def test_a_docx_renamed_xlsx(db):
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    expect_problem(buf.getvalue(), "ไฟล์นี้เป็นเอกสาร Word")


# --- what an import does to existing rows ----------------------------------------------------


def test_changes_are_listed_and_progress_version_bumped(db):
    m = Measure.objects.get(agency__code=KSK, year__be_year=2567, order=1)
    p = Progress.objects.get(measure=m, round="annual")
    version = p.version
    wb = load(export())
    ps = wb[SHEET_PROGRESS]
    row = next(r for r in range(2, ps.max_row + 1) if ps.cell(r, 1).value == 1 and ps.cell(r, 4).value == "รอบ 12 เดือน")
    put(ps, row, **{H_STATUS: "ดำเนินการแล้วเสร็จ", H_COMPLETED: "30/09/2567"})
    put(wb[SHEET_MEASURES], 2, **{H_INDICATORS: "1, 9"})
    coord = get_user_model().objects.get(username="ksk-coord")
    preview = run(save(wb), dry_run=False, user=coord)
    assert preview.ok and preview.written, problems_text(preview)
    changed = {r.key: r.changes for r in preview.rows if r.status == "changed"}
    assert changed["มาตรการ 1 · รอบ 12 เดือน"] == (
        "สถานะ: (ว่าง) → ดำเนินการแล้วเสร็จ",
        "วันที่แล้วเสร็จ (วว/ดด/ปปปป พ.ศ.): (ว่าง) → 30/09/2567",
    )
    assert any(c.startswith("ตัวชี้วัด: (ว่าง) → 1, 9") for c in next(v for k, v in changed.items() if "มาตรการลำดับ 1" in k))
    p.refresh_from_db()
    assert (p.status, p.version, p.updated_by) == ("done", version + 1, coord)
    assert p.history.first().history_user == coord
    lines = preview_lines(preview)
    assert any("เปลี่ยนแปลง" in line and "รอบ 12 เดือน" in line for line in lines)


def test_emptied_score_cell_removes_the_score(db):
    wb = load(export())
    scores = wb[SHEET_SCORES]
    row = next(
        r for r in range(2, scores.max_row + 1) if scores.cell(r, 1).value == "ตัวชี้วัด" and scores.cell(r, 2).value == 1
    )
    scores.cell(row, 4).value = None
    preview = run(save(wb), dry_run=False)
    assert preview.ok
    assert not IndicatorScore.objects.filter(
        result__agency__code=KSK, result__year__be_year=2567, indicator__number=1
    ).exists()
    assert [(r.key, r.changes) for r in preview.rows if r.status == "changed"] == [
        ("2567 · ตัวชี้วัด 1", ("คะแนน: 96.28 → (ลบ)",))
    ]


def test_error_rows_have_status_error_and_other_rows_keep_theirs(db):
    wb = load(export())
    put(wb[SHEET_MEASURES], 2, **{H_TITLE: None, "ประเด็นที่ต้องพัฒนา": None})
    preview = run(save(wb), dry_run=True)
    statuses = {(r.sheet, r.row): r.status for r in preview.rows}
    assert statuses[(SHEET_MEASURES, 2)] == ERROR and statuses[(SHEET_MEASURES, 3)] == UNCHANGED
    assert (
        "แผ่นงาน “มาตรการ” แถว 2 คอลัมน์ G (มาตรการ/กิจกรรม): กรุณากรอกชื่อมาตรการ/กิจกรรม (หรืออย่างน้อยประเด็นที่ต้องพัฒนา)"
        in problems_text(preview)
    )


def test_the_preview_is_computed_once_per_upload(db):
    """A second visit of the preview page shows the stored preview: the file is not read again
    (here it is even gone) and the import's queries are not run again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = login("ksk-coord")
    r = c.post(f"/a/{KSK}/workbook/?year=2567", {"year": "2567", "file": _upload("ksk.xlsx", filled_template())})
    url = r["Location"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    with CaptureQueriesContext(connection) as first:
        r1 = c.get(url)
    default_storage.delete(c.session["imports"][token]["path"])
    with CaptureQueriesContext(connection) as second:
        r2 = c.get(url)
    assert r2.status_code == 200
    assert r2.context["digest"] == r1.context["digest"]
    assert not any("measures_" in q["sql"] for q in second.captured_queries)
    assert len(second.captured_queries) < len(first.captured_queries)
    # confirming reads the file again (gone here): nothing is written, the upload is forgotten
    r = c.post(url, {"action": "confirm", "digest": r1.context["digest"]})
    assert r.status_code == 302 and token not in c.session.get("imports", {})


def test_formula_like_texts_leave_as_text_and_come_back_unchanged(db):
    """A progress text "=1+1" (and the like) is exported as a text cell, never a formula, and the
    export re-imports with no change: the stored value stays "=1+1"."""
    texts = {"output": "=1+1", "outcome": "+66 81 234 5678"}
    p = Progress.objects.filter(measure__agency__code=KSK, measure__year__be_year=2567).first()
    Progress.objects.filter(pk=p.pk).update(**texts)
    m = Measure.objects.get(pk=p.measure_id)
    Measure.objects.filter(pk=m.pk).update(monitoring="@SUM(A1)")
    data = export()
    cells = [c for ws in load(data).worksheets for row in ws.iter_rows() for c in row]
    risky = [c for c in cells if c.value in ("=1+1", "+66 81 234 5678", "@SUM(A1)")]
    assert len(risky) == 3
    assert all(c.data_type == "s" and c.quotePrefix for c in risky)
    assert not any(c.data_type == "f" for c in cells)
    before = snapshot()
    preview = run(data, dry_run=False)
    assert preview.ok, problems_text(preview)
    assert not preview.has_changes
    assert snapshot() == before
    p.refresh_from_db()
    assert (p.output, p.outcome) == ("=1+1", "+66 81 234 5678")


def test_too_long_text_in_the_workbook_is_a_thai_row_error(db):
    from ita_portal.fields import TEXT_SHORT

    wb = load(filled_template())
    put(wb[SHEET_MEASURES], 2, **{H_TITLE: "ก" * (TEXT_SHORT + 1)})
    preview = run(save(wb))
    assert not preview.ok
    assert f"ข้อความยาวเกิน {TEXT_SHORT:,} ตัวอักษร (ยาว {TEXT_SHORT + 1:,} ตัวอักษร)" in problems_text(preview)
