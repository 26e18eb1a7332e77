"""National score sheets: one row per agency × year × (overall | tool | indicator | question) score.

The national pages live in assessments/urls_national.py; until ita_portal/urls.py includes them,
this module adds the include itself for its web tests (pytest's `urls` marker).
"""

import io
import os
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import include, path

import ita_portal.urls as project_urls
from agencies.models import Agency
from assessments.models import AssessmentResult, IndicatorScore, QuestionScore, ToolScore
from assessments.score_sheet import (
    COL_AGENCY,
    COL_AGENCY_NAME,
    COL_CODE,
    COL_KIND,
    COL_LEVEL,
    COL_REMEDY,
    COL_SCORE,
    COL_YEAR,
    NATIONAL_HEADERS,
    score_sheet_import,
)
from sheets.writing import write_csv

from .conftest import login

urlpatterns = list(project_urls.urlpatterns)
if not any(getattr(p, "namespace", None) == "national" for p in urlpatterns):
    urlpatterns.append(path("national/", include("assessments.urls_national")))
web = pytest.mark.urls(__name__)

KSK, NBB, TKE = "khao-samo-khon", "nong-bua-ban", "takhram-en"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def row(agency, year, kind, code=None, score=None, level=None, remedy=None, name=None):
    return {
        COL_AGENCY: agency,
        COL_AGENCY_NAME: name,
        COL_YEAR: year,
        COL_KIND: kind,
        COL_CODE: code,
        COL_SCORE: score,
        COL_LEVEL: level,
        COL_REMEDY: remedy,
    }


def xlsx(rows, headers=NATIONAL_HEADERS, title="คะแนน", edit=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
    if edit:
        edit(wb, ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def sample_rows():
    return [
        row(KSK, 2568, "คะแนนรวม", score=94.10, level="ผ่านดี"),
        row(KSK, 2568, "แบบวัด", "IIT", 93.5),
        row(KSK, 2568, "ตัวชี้วัด", 1, 96.0),
        row(KSK, 2568, "ตัวชี้วัด", 7, 88.25, remedy="เพิ่มช่องทางประชาสัมพันธ์"),
        row(NBB, 2568, "ตัวชี้วัด", 10, 100),
        row(KSK, 2567, "คะแนนรวม", score=92.84, level="ผ่านดี"),  # as stored: unchanged
        row(KSK, 2567, "ตัวชี้วัด", 1, 97.00),  # stored 96.28: changed
        row(TKE, 2565, "ข้อคำถาม", "E7", 78.30),  # the seed's question score: unchanged
    ]


def snapshot() -> dict:
    out = {}
    for model in (AssessmentResult, ToolScore, IndicatorScore, QuestionScore):
        out[model.__name__] = sorted(model.objects.values_list(), key=repr)
        out[f"{model.__name__}.history"] = model.history.count()
    return out


def problems(preview) -> str:
    return "\n".join(str(p) for p in preview.problems)


def expect_problem(data: bytes, *fragments, filename=""):
    before = snapshot()
    preview = score_sheet_import(file=data, dry_run=False, filename=filename)
    text = problems(preview)
    assert not preview.ok and not preview.written, text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    assert snapshot() == before
    return preview


# --- statuses, writes, guarantees -------------------------------------------------------------


def test_preview_then_import(db):
    data = xlsx(sample_rows())
    before = snapshot()
    preview = score_sheet_import(file=data, dry_run=True, filename="scores.xlsx")
    assert preview.ok, problems(preview)
    statuses = {r.key: r.status for r in preview.rows}
    assert statuses == {
        f"{KSK} · 2568 · คะแนนรวม": "new",
        f"{KSK} · 2568 · แบบวัด IIT": "new",
        f"{KSK} · 2568 · ตัวชี้วัด 1": "new",
        f"{KSK} · 2568 · ตัวชี้วัด 7": "new",
        f"{NBB} · 2568 · ตัวชี้วัด 10": "new",
        f"{KSK} · 2567 · คะแนนรวม": "unchanged",
        f"{KSK} · 2567 · ตัวชี้วัด 1": "changed",
        f"{TKE} · 2565 · ข้อคำถาม E7": "unchanged",
    }
    assert next(r for r in preview.rows if r.status == "changed").changes == ("คะแนน: 96.28 → 97.00",)
    assert snapshot() == before  # a preview writes nothing
    preview = score_sheet_import(file=data, dry_run=False, filename="scores.xlsx")
    assert preview.written
    ksk = AssessmentResult.objects.get(agency__code=KSK, year__be_year=2568)
    assert (ksk.overall, ksk.level_awarded) == (Decimal("94.10"), "ผ่านดี")
    assert ksk.tool_scores.get().score == Decimal("93.50")
    assert ksk.indicator_scores.get(indicator__number=7).remedy == "เพิ่มช่องทางประชาสัมพันธ์"
    nbb = AssessmentResult.objects.get(agency__code=NBB, year__be_year=2568)
    assert nbb.overall is None and nbb.indicator_scores.get().score == 100
    assert ksk.history.first().history_change_reason == "นำเข้าคะแนนจากไฟล์ scores.xlsx"
    changed = IndicatorScore.objects.get(result__agency__code=KSK, result__year__be_year=2567, indicator__number=1)
    assert changed.score == Decimal("97.00") and changed.history.first().history_type == "~"
    assert changed.history.first().score == Decimal("97.00")
    level = AssessmentResult.objects.get(agency__code=KSK, year__be_year=2567)
    assert (level.overall, level.level_awarded) == (Decimal("92.84"), "ผ่านดี")
    # Imported again: every row unchanged, nothing written.
    before = snapshot()
    again = score_sheet_import(file=data, dry_run=False)
    assert again.counts == {"new": 0, "changed": 0, "unchanged": 8, "error": 0}
    assert snapshot() == before
    # The score page shows the imported year.
    page = login("ksk-exec").get(f"/a/{KSK}/").content.decode()
    assert "94.10" in page and "2568" in page


def test_blank_score_removes_it_and_other_scores_stay(db):
    preview = score_sheet_import(file=xlsx([row(KSK, 2567, "ตัวชี้วัด", 1)]), dry_run=False)
    assert preview.written and preview.rows[0].changes == ("คะแนน: 96.28 → (ลบ)",)
    result = AssessmentResult.objects.get(agency__code=KSK, year__be_year=2567)
    assert not result.indicator_scores.filter(indicator__number=1).exists()
    assert result.indicator_scores.count() == 9 and result.overall == Decimal("92.84")
    # An emptied overall is removed too; on a national sheet a blank level keeps the awarded one.
    preview = score_sheet_import(file=xlsx([row(KSK, 2567, "คะแนนรวม")]), dry_run=False)
    assert preview.written and preview.rows[0].changes == ("คะแนน: 92.84 → (ว่าง)",)
    result.refresh_from_db()
    assert (result.overall, result.level_awarded) == (None, "ผ่านดี")


def test_failed_import_leaves_the_database_identical(db):
    rows = [row(f"{code}", 2568, "ตัวชี้วัด", n, 80 + n) for code in (KSK, NBB, TKE) for n in range(1, 11)]
    rows.append(row("ubon-pao", 2568, "ตัวชี้วัด", 11, 90))
    before = snapshot()
    preview = score_sheet_import(file=xlsx(rows), dry_run=False)
    assert not preview.written and preview.counts["new"] == 30 and preview.counts["error"] == 1
    assert problems(preview) == ("แผ่นงาน “คะแนน” แถว 32 คอลัมน์ E (รหัส): ไม่พบตัวชี้วัด “11” ในปีงบประมาณ 2568 (มีตัวชี้วัดที่ 1–10)")
    assert snapshot() == before


@web
def test_export_of_a_year_imports_back_unchanged(db):
    c = _staff()
    r = c.get("/national/scores/export/?year=2567&format=xlsx")
    assert r.status_code == 200 and r["Content-Type"] == XLSX
    ws = openpyxl.load_workbook(io.BytesIO(r.content))["คะแนน"]
    assert [c.value for c in ws[1]] == NATIONAL_HEADERS
    preview = score_sheet_import(file=r.content, dry_run=True)
    assert preview.ok and preview.counts["unchanged"] == len(preview.rows) >= 11
    r = c.get("/national/scores/export/?year=2565&format=csv")
    assert r.content.startswith("\ufeff".encode())
    preview = score_sheet_import(file=r.content, dry_run=True, filename="2565.csv")
    assert preview.ok and preview.counts["unchanged"] == len(preview.rows) > 18


# --- the web flow, and who may use it -------------------------------------------------------------


def _staff(superuser=False):
    User = get_user_model()
    user = User.objects.create_user("nacc-admin", password="x", is_staff=True, is_superuser=superuser)
    client = Client()
    client.force_login(user)
    return client


@web
def test_staff_upload_preview_confirm(db):
    c = _staff()
    assert "ดาวน์โหลดแม่แบบ" in c.get("/national/scores/").content.decode()
    data = xlsx(sample_rows())
    r = c.post("/national/scores/", {"file": SimpleUploadedFile("scores.xlsx", data, content_type=XLSX)})
    assert r.status_code == 302
    token = r["Location"].rstrip("/").rsplit("/", 1)[1]
    stored = c.session["imports"][token]["path"]
    assert stored == f"imports/{token}.xlsx" and default_storage.exists(stored)
    r = c.get(r["Location"])
    html = r.content.decode()
    assert "ใหม่ 5" in html and "เปลี่ยนแปลง 1" in html and "ไม่เปลี่ยนแปลง 2" in html
    assert "คะแนน: 96.28 → 97.00" in html and "ยืนยันนำเข้า 6 แถว" in html
    assert not AssessmentResult.objects.filter(year__be_year=2568).exists()
    r = c.post(f"/national/scores/import/{token}/", {"action": "confirm", "digest": r.context["digest"]})
    assert r.status_code == 302 and not default_storage.exists(stored)
    assert AssessmentResult.objects.filter(year__be_year=2568).count() == 2


@web
def test_national_pages_are_for_superusers_and_staff_only(db):
    for username in ("ksk-coord", "national-office", "lopburi-office"):
        assert login(username).get("/national/scores/").status_code == 403, username
        assert login(username).get("/national/scores/template/").status_code == 403, username
    superuser = _staff(superuser=True)
    r = superuser.get("/national/scores/template/")
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["คะแนน", "รายการอ้างอิง"]
    assert [c.value for c in wb["คะแนน"][1]] == NATIONAL_HEADERS
    kinds = wb["คะแนน"].data_validations.dataValidation[0]
    assert "รายการอ้างอิง" in kinds.formula1 and str(kinds.sqref).startswith("D2")


@web
def test_web_refuses_a_50_mb_file_before_storing_it(db):
    c = _staff()
    big = os.urandom(1024) * (50 * 1024)
    r = c.post("/national/scores/", {"file": SimpleUploadedFile("big.csv", big, content_type="text/csv")})
    assert r.status_code == 200
    assert "ไฟล์มีขนาด 50 MB ใหญ่เกินกว่าที่รับได้ (20 MB)" in r.content.decode()
    assert not default_storage.exists("imports") or not default_storage.listdir("imports")[1]


# --- CSV from Thai Excel ---------------------------------------------------------------------


def test_csv_saved_by_thai_excel_in_cp874(db):
    text = "\r\n".join(
        [
            ",".join(NATIONAL_HEADERS),
            f"{KSK},องค์การบริหารส่วนตำบลเขาสมอคอน,2568,คะแนนรวม,,94.10,ผ่านดี,",
            f"{KSK},องค์การบริหารส่วนตำบลเขาสมอคอน,2568,ตัวชี้วัด,7,88.25,,ปรับปรุงการสื่อสาร",
        ]
    )
    preview = score_sheet_import(file=text.encode("cp874"), dry_run=False, filename="scores.csv")
    assert preview.written, problems(preview)
    assert any("cp874" in note for note in preview.notes)
    score = IndicatorScore.objects.get(result__agency__code=KSK, result__year__be_year=2568)
    assert (score.score, score.remedy) == (Decimal("88.25"), "ปรับปรุงการสื่อสาร")


def test_csv_utf8_with_bom_and_thai_digits(db):
    data = write_csv(NATIONAL_HEADERS, [row(KSK, "๒๕๖๘", "ตัวชี้วัด", "๔", "๙๐.๕๐")])
    preview = score_sheet_import(file=data, dry_run=False)
    assert preview.written, problems(preview)
    assert IndicatorScore.objects.get(result__year__be_year=2568, indicator__number=4).score == Decimal("90.50")


# --- bad input: a Thai message with its place, nothing written -------------------------------------


def test_unknown_agency_tool_indicator_question_and_year(db):
    expect_problem(
        xlsx(
            [
                row("no-such-agency", 2568, "ตัวชี้วัด", 1, 90),
                row(KSK, 2568, "แบบวัด", "XIT", 90),
                row(KSK, 2568, "ตัวชี้วัด", 12, 90),
                row(KSK, 2568, "ข้อคำถาม", "Q1", 90),
                row(KSK, 2599, "คะแนนรวม", score=90),
            ]
        ),
        "แผ่นงาน “คะแนน” แถว 2 คอลัมน์ A (รหัสหน่วยงาน): ไม่พบหน่วยงานรหัส “no-such-agency” ในระบบ",
        "แถว 3 คอลัมน์ E (รหัส): ไม่พบแบบวัด “XIT” ในปีงบประมาณ 2568 (มี: IIT, EIT, OIT)",
        "แถว 4 คอลัมน์ E (รหัส): ไม่พบตัวชี้วัด “12” ในปีงบประมาณ 2568",
        "แถว 5 คอลัมน์ E (รหัส): ไม่พบข้อคำถาม “Q1” ในปีงบประมาณ 2568",
        "แถว 6 คอลัมน์ C (ปีงบประมาณ (พ.ศ.)): ไม่มีปีงบประมาณ 2599 ในระบบ",
    )


def test_gregorian_year_refused(db):
    expect_problem(
        xlsx([row(KSK, 2024, "คะแนนรวม", score=90)]),
        "แผ่นงาน “คะแนน” แถว 2 คอลัมน์ C (ปีงบประมาณ (พ.ศ.)): ปี 2024 ดูเหมือนเป็นปี ค.ศ. กรุณากรอกปี พ.ศ. (เช่น 2567)",
    )


def test_wrong_types_and_values(db):
    expect_problem(
        xlsx(
            [
                row(KSK, 2568, "ตัวชี้วัด", 1, "เก้าสิบ"),
                row(KSK, 2568, "ตัวชี้วัด", 2, 100.5),
                row(KSK, 2568, "ตัวชี้วัด", 3, 88.125),
                row(KSK, 2568, "คะแนนสุทธิ", 3, 88),
                row(KSK, 2568, "คะแนนรวม", score=90, level="ดีมาก"),
                row(KSK, 2568, "แบบวัด", "IIT", 90, level="ผ่าน"),
                row(KSK, 2568, "ตัวชี้วัด", 5, None, remedy="ควรปรับปรุง"),
            ]
        ),
        "แถว 2 คอลัมน์ F (คะแนน): “เก้าสิบ” ไม่ใช่ตัวเลข",
        "แถว 3 คอลัมน์ F (คะแนน): 100.50 มากกว่าที่รับได้ (สูงสุด 100)",
        "แถว 4 คอลัมน์ F (คะแนน): 88.125 มีทศนิยมเกิน 2 ตำแหน่ง",
        "แถว 5 คอลัมน์ D (ประเภทคะแนน): ไม่รู้จักประเภทคะแนน “คะแนนสุทธิ”",
        "แถว 6 คอลัมน์ G (ระดับที่ได้รับ): ระดับ “ดีมาก” ไม่มีในเกณฑ์ปี 2568 (ใช้ได้: ผ่านดีเยี่ยม, ผ่านดี, ผ่าน",
        "แถว 7 คอลัมน์ G (ระดับที่ได้รับ): ระบุระดับได้เฉพาะแถว “คะแนนรวม”",
        "แถว 8 คอลัมน์ F (คะแนน): มีแนวทางการแก้ไขแต่ไม่มีคะแนน",
    )


def test_duplicate_rows(db):
    expect_problem(
        xlsx(
            [row(KSK, 2568, "ตัวชี้วัด", 1, 90), row(KSK, 2568, "คะแนนรวม", score=91), row(KSK, "2568", "ตัวชี้วัด", "1", 92)]
        ),
        "แผ่นงาน “คะแนน” แถว 4: ข้อมูลซ้ำกับแถว 2",
    )


def test_missing_and_unknown_columns(db):
    headers = [COL_AGENCY, COL_YEAR, COL_KIND, COL_CODE, "หมายเหตุ"]
    expect_problem(
        xlsx([{COL_AGENCY: KSK, COL_YEAR: 2568, COL_KIND: "ตัวชี้วัด", COL_CODE: 1}], headers=headers),
        "แผ่นงาน “คะแนน” แถว 1 คอลัมน์ E (หมายเหตุ): ไม่รู้จักคอลัมน์ “หมายเหตุ”",
        "แผ่นงาน “คะแนน” แถว 1: ไม่พบคอลัมน์ “คะแนน”",
    )


def test_formulas_merged_cells_hidden_and_blank_rows(db):
    def edit(wb, ws):
        ws["F3"] = "=AVERAGE(F2:F2)"
        ws.merge_cells("A4:A5")
        ws.row_dimensions[6].hidden = True

    rows = [row(KSK, 2568, "ตัวชี้วัด", n, 90) for n in range(1, 6)]
    expect_problem(
        xlsx(rows, edit=edit),
        "แผ่นงาน “คะแนน” แถว 3 คอลัมน์ F (คะแนน): เซลล์ F3 เป็นสูตร (=AVERAGE(F2:F2)) ระบบรับเฉพาะค่า",
        "แผ่นงาน “คะแนน” แถว 4 คอลัมน์ A (รหัสหน่วยงาน): เซลล์ A4:A5 ถูกผสาน (Merge)",
        "แผ่นงาน “คะแนน” แถว 6: แถวนี้ถูกซ่อนไว้",
    )

    def blanks(wb, ws):
        ws.insert_rows(3, amount=3)

    preview = score_sheet_import(file=xlsx(rows[:2], edit=blanks), dry_run=True)
    assert preview.ok and len(preview.rows) == 2
    assert preview.notes == ["แผ่นงาน “คะแนน”: ข้ามแถวว่าง 3 แถว"]


def test_wrong_sheet_and_files_that_are_not_workbooks(db):
    def second(wb, ws):
        wb.create_sheet("อื่น ๆ")

    expect_problem(xlsx([row(KSK, 2568, "ตัวชี้วัด", 1, 90)], title="Sheet1", edit=second), "ไม่พบแผ่นงาน “คะแนน” ในไฟล์")
    expect_problem(b"%PDF-1.4\n", "ไฟล์นี้เป็นPDF ไม่ใช่สมุดงาน Excel")
    expect_problem(bytes(range(256)) * 8, "ไฟล์นี้ไม่ใช่สมุดงาน Excel (.xlsx) หรือไฟล์ CSV ที่ระบบอ่านได้")
    expect_problem(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "Excel รุ่นเก่า (.xls)")
    expect_problem(b"PK\x03\x04" + bytes(64), "ไฟล์ .xlsx นี้เสียหาย")


def test_a_50_mb_file_is_refused_before_parsing(db, tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:
        f.write((",".join(NATIONAL_HEADERS) + "\n").encode())
        f.write(b"x" * (50 * 1024 * 1024))
    expect_problem(path, "ไฟล์มีขนาด 50 MB ใหญ่เกินกว่าที่รับได้ (20 MB)")


# --- the command -------------------------------------------------------------------------------


def test_import_scores_command(db, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([row(KSK, 2568, "ตัวชี้วัด", 1, 90), row(KSK, 2024, "ตัวชี้วัด", 2, 90)]))
    out = io.StringIO()
    with pytest.raises(CommandError, match="พบข้อผิดพลาด 1 รายการ ไม่ได้บันทึกข้อมูลใดเลย"):
        call_command("import_scores", str(bad), stdout=out)
    assert "แผ่นงาน “คะแนน” แถว 3 คอลัมน์ C (ปีงบประมาณ (พ.ศ.)): ปี 2024 ดูเหมือนเป็นปี ค.ศ." in out.getvalue()
    assert not AssessmentResult.objects.filter(year__be_year=2568).exists()
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx(sample_rows()))
    out = io.StringIO()
    call_command("import_scores", str(good), "--dry-run", stdout=out)
    assert "สรุป: ทั้งหมด 8 แถว: ใหม่ 5 · เปลี่ยนแปลง 1 · ไม่เปลี่ยนแปลง 2 · ผิดพลาด 0" in out.getvalue()
    assert not AssessmentResult.objects.filter(year__be_year=2568).exists()
    out = io.StringIO()
    call_command("import_scores", str(good), stdout=out, verbosity=2)
    assert "บันทึกข้อมูลแล้ว" in out.getvalue() and "คะแนน: 96.28 → 97.00" in out.getvalue()
    assert Agency.objects.get(code=KSK).results.filter(year__be_year=2568).exists()


def test_formula_like_remedy_is_text_in_xlsx_and_csv_and_imports_back_unchanged(db):
    s = IndicatorScore.objects.filter(result__agency__code="khao-samo-khon", result__year__be_year=2567).first()
    IndicatorScore.objects.filter(pk=s.pk).update(remedy='=HYPERLINK("http://x")')
    c = _staff()
    xlsx_data = c.get("/national/scores/export/?year=2567&format=xlsx").content
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_data))["คะแนน"]
    cells = [cell for row in ws.iter_rows() for cell in row if cell.value == '=HYPERLINK("http://x")']
    assert len(cells) == 1 and cells[0].data_type == "s" and cells[0].quotePrefix
    csv_data = c.get("/national/scores/export/?year=2567&format=csv").content
    assert "'=HYPERLINK(" in csv_data.decode("utf-8-sig")
    for data, name in ((xlsx_data, "x.xlsx"), (csv_data, "x.csv")):
        preview = score_sheet_import(file=data, dry_run=False, filename=name)
        assert preview.ok and not preview.has_changes, problems(preview)
    s.refresh_from_db()
    assert s.remedy == '=HYPERLINK("http://x")'


def test_write_csv_neutralises_every_formula_start():
    data = write_csv(["a"], [{"a": v} for v in ("=1", "+1", "-1", "@1", "\tx", "\rx", "ok")]).decode("utf-8-sig")
    assert data.split("\r\n")[1:8] == ["'=1", "'+1", "'-1", "'@1", "'\tx", '"\'\rx"', "ok"]


def test_the_preview_only_reads_and_holds_no_transaction(db):
    """On SQLite a transaction takes the write lock when it begins: a preview must open none."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    data = xlsx(sample_rows() + [row(NBB, 2567, "คะแนนรวม", score=90)])  # a new result too
    with CaptureQueriesContext(connection) as queries:
        preview = score_sheet_import(file=data, dry_run=True, filename="scores.xlsx")
    assert preview.ok and preview.has_changes and not preview.written, problems(preview)
    statements = [q["sql"].lstrip().split(None, 1)[0].upper() for q in queries.captured_queries]
    assert statements and set(statements) == {"SELECT"}, sorted(set(statements))
