"""How the workbook's sheets look: column widths and formats, drop-down lists, the instructions."""

from __future__ import annotations

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from agencies.models import Agency, AgencyKind
from assessments.models import FiscalYear, RatingBand
from assessments.score_sheet.columns import (
    COL_AGENCY,
    COL_CODE,
    COL_KIND,
    COL_LEVEL,
    COL_NAME,
    COL_REMEDY,
    COL_SCORE,
    COL_YEAR,
    KIND_LABELS,
)
from sheets.writing import HEADER_FILL, HEADER_FONT, KEY_FILL, REFERENCE_SHEET, WRAP, xlsx_row

from ..models import Round, Status, UnableReason
from .columns import (
    H_ACTIVITY,
    H_ACTIVITY_TITLE,
    H_AGENCY_NAME,
    H_BUDGET,
    H_COMPLETED,
    H_DISTRICT,
    H_DIVISION,
    H_DIVISIONS,
    H_FOCUS,
    H_INDICATORS,
    H_ISSUE,
    H_ITEM,
    H_KIND,
    H_MEASURE,
    H_MONITORING,
    H_NUMBER,
    H_ORDER,
    H_OUTCOME,
    H_OUTPUT,
    H_PERIOD,
    H_PROVINCE,
    H_QUESTION_CODE,
    H_QUESTION_TEXT,
    H_RESPONSIBLE_NOTE,
    H_ROUND,
    H_SPENT,
    H_STATUS,
    H_STEPS,
    H_TITLE,
    H_TOOL,
    H_UNABLE_NOTE,
    H_UNABLE_REASON,
    SHEET_ACTIVITIES,
    SHEET_DIVISIONS,
    SHEET_INFO,
    SHEET_MEASURES,
    SHEET_PROGRESS,
    SHEET_QUESTIONS,
    SHEET_SCORES,
)
from .context import WorkbookContext

TEXT, NUMBER, SCORE, MONEY, DATE = "@", "0", "0.00", "#,##0.00", "@"
# header → (width, number format, wrap)
LAYOUT = {
    COL_AGENCY: (22, TEXT, False),
    H_KIND: (26, TEXT, False),
    H_AGENCY_NAME: (40, TEXT, False),
    H_DISTRICT: (18, TEXT, False),
    H_PROVINCE: (18, TEXT, False),
    COL_YEAR: (12, NUMBER, False),
    H_ORDER: (8, NUMBER, False),
    H_DIVISION: (40, TEXT, False),
    H_NUMBER: (8, TEXT, False),
    H_ISSUE: (30, TEXT, True),
    H_TOOL: (9, TEXT, False),
    H_INDICATORS: (12, TEXT, False),
    H_FOCUS: (30, TEXT, True),
    H_TITLE: (45, TEXT, True),
    H_STEPS: (45, TEXT, True),
    H_PERIOD: (18, TEXT, True),
    H_DIVISIONS: (28, TEXT, True),
    H_RESPONSIBLE_NOTE: (20, TEXT, True),
    H_MONITORING: (30, TEXT, True),
    H_BUDGET: (14, MONEY, False),
    H_MEASURE: (10, NUMBER, False),
    H_ACTIVITY: (10, NUMBER, False),
    H_ACTIVITY_TITLE: (45, TEXT, True),
    H_ITEM: (40, TEXT, True),
    H_ROUND: (14, TEXT, False),
    H_STATUS: (22, TEXT, False),
    H_UNABLE_REASON: (24, TEXT, False),
    H_UNABLE_NOTE: (24, TEXT, True),
    H_OUTPUT: (45, TEXT, True),
    H_OUTCOME: (40, TEXT, True),
    H_COMPLETED: (16, DATE, False),
    H_SPENT: (14, MONEY, False),
    H_QUESTION_CODE: (9, TEXT, False),
    H_QUESTION_TEXT: (60, TEXT, True),
    COL_KIND: (12, TEXT, False),
    COL_CODE: (8, TEXT, False),
    COL_NAME: (50, TEXT, True),
    COL_SCORE: (9, SCORE, False),
    COL_LEVEL: (16, TEXT, False),
    COL_REMEDY: (45, TEXT, True),
}

# drop-down list (name in the reference sheet) per sheet and header; multi-valued columns warn only
DROPDOWNS = {
    (SHEET_INFO, H_KIND): ("ประเภทหน่วยงาน", True),
    (SHEET_MEASURES, H_ISSUE): ("ประเด็น", True),
    (SHEET_MEASURES, H_TOOL): ("แบบวัด", True),
    (SHEET_MEASURES, H_INDICATORS): ("ตัวชี้วัด", False),
    (SHEET_MEASURES, H_DIVISIONS): ("กอง/สำนัก", False),
    (SHEET_ACTIVITIES, H_DIVISIONS): ("กอง/สำนัก", False),
    (SHEET_PROGRESS, H_ROUND): ("รอบการรายงาน", True),
    (SHEET_PROGRESS, H_STATUS): ("สถานะ", True),
    (SHEET_PROGRESS, H_UNABLE_REASON): ("เหตุที่ดำเนินการไม่ได้", True),
    (SHEET_QUESTIONS, H_TOOL): ("แบบวัด", True),
    (SHEET_QUESTIONS, H_INDICATORS): ("ตัวชี้วัด", True),
    (SHEET_SCORES, COL_KIND): ("ประเภทคะแนน", True),
    (SHEET_SCORES, COL_LEVEL): ("ระดับ", True),
}
TEMPLATE_EMPTY_ROWS = 200
KEY_HEADERS = {COL_AGENCY, COL_YEAR, H_ORDER, H_MEASURE, H_ACTIVITY, H_ROUND, H_QUESTION_CODE, COL_KIND, COL_CODE}


def reference_lists(wctx: WorkbookContext) -> dict[str, list[str]]:
    year = wctx.year
    return {
        "ประเด็น": [str(i) for i in sorted(wctx.issues.values(), key=lambda i: i.number)],
        "แบบวัด": [t.code for t in sorted(wctx.tools.values(), key=lambda t: t.order)],
        "ตัวชี้วัด": [f"{i.number} {i.name}" for i in sorted(wctx.indicators.values(), key=lambda i: i.number)],
        "สถานะ": list(Status.labels),
        "รอบการรายงาน": list(Round.labels),
        "เหตุที่ดำเนินการไม่ได้": list(UnableReason.labels),
        "กอง/สำนัก": [d.name for d in wctx.divisions.values()],
        "ประเภทคะแนน": list(KIND_LABELS.values()),
        "ระดับ": list(RatingBand.objects.filter(year=year).order_by("order").values_list("label", flat=True)),
        "ประเภทหน่วยงาน": list(AgencyKind.labels),
    }


def write_data_sheet(ws, name: str, headers: list[str], rows: list) -> None:
    """A data sheet: headers (key columns in orange), the rows, then empty formatted rows to fill."""
    ws.append(xlsx_row(ws, headers))
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = KEY_FILL if (cell.value in KEY_HEADERS and name != SHEET_DIVISIONS) else HEADER_FILL
        cell.alignment = WRAP
    for values in rows:
        ws.append(xlsx_row(ws, [None if v == "" else v for v in values]))
    ws.freeze_panes = "A2"
    empty = TEMPLATE_EMPTY_ROWS if name != SHEET_INFO else 0
    last = len(rows) + 1 + empty
    for col, header in enumerate(headers, start=1):
        width, fmt, wrap = LAYOUT.get(header, (20, TEXT, False))
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = width
        for r in range(2, last + 1):
            cell = ws.cell(row=r, column=col)
            cell.number_format = fmt
            if wrap:
                cell.alignment = WRAP


def add_dropdowns(ws, name: str, headers: list[str], *, last: int, ranges: dict[str, str]) -> None:
    """The drop-down lists of a data sheet's columns, down to row ``last``."""
    for (sheet, header), (list_name, strict) in DROPDOWNS.items():
        if sheet != name or header not in headers or list_name not in ranges:
            continue
        letter = get_column_letter(headers.index(header) + 1)
        dv = DataValidation(
            type="list",
            formula1=ranges[list_name],
            allow_blank=True,
            showErrorMessage=strict,
            errorTitle=header,
            error=f"กรุณาเลือก{header}จากรายการ (ดูแผ่นงาน “{REFERENCE_SHEET}”)",
            showInputMessage=not strict,
            promptTitle=header,
            prompt="เลือกจากรายการ หรือพิมพ์หลายค่าคั่นด้วยจุลภาค (,)" if not strict else None,
        )
        ws.add_data_validation(dv)
        dv.add(f"{letter}2:{letter}{last}")


INSTRUCTIONS = [
    "สมุดงานมาตรการส่งเสริมคุณธรรมและความโปร่งใส (ITA) ของหน่วยงาน",
    "",
    "วิธีใช้",
    "1. กรอกข้อมูลในแผ่นงาน กอง-สำนัก, มาตรการ, กิจกรรม, ผลการดำเนินการ และคะแนน (แถวแรกของทุกแผ่นงานคือหัวคอลัมน์ ห้ามแก้ไข)",
    "2. อย่าเปลี่ยนชื่อแผ่นงาน อย่าผสานเซลล์ (Merge) อย่าซ่อนแถว และอย่าใช้สูตร ให้กรอกเป็นค่า",
    "3. บันทึกเป็นไฟล์ .xlsx แล้วอัปโหลดที่หน้า “นำเข้า/ส่งออกสมุดงาน” ระบบจะแสดงตัวอย่างทุกแถวก่อนบันทึก",
    "   ถ้ามีข้อผิดพลาดแม้แถวเดียว ระบบจะไม่บันทึกข้อมูลใดเลย ให้แก้ตามข้อความที่ระบุแผ่นงาน แถว และคอลัมน์ แล้วอัปโหลดใหม่",
    "",
    "คอลัมน์สีส้มคือคอลัมน์หลักที่ระบบใช้จับคู่ข้อมูลเดิม",
    "- มาตรการ: “ลำดับ” 1, 2, 3, … ลำดับเดิมคือมาตรการเดิม (แก้ไข) ลำดับใหม่คือมาตรการใหม่",
    "- กิจกรรม: “ลำดับมาตรการ” + “ลำดับกิจกรรม” (กิจกรรมที่ 1, 2, … ของมาตรการนั้น)",
    "- ผลการดำเนินการ: “ลำดับมาตรการ” + “ลำดับกิจกรรม” (เว้นว่าง = ผลของมาตรการเอง) + “รอบการรายงาน”",
    "- คะแนน: “ประเภทคะแนน” + “รหัส” (แบบวัด IIT/EIT/OIT, เลขตัวชี้วัด, รหัสข้อคำถาม)",
    "ข้อมูลที่ไม่มีในไฟล์จะคงไว้ตามเดิม (การนำเข้าไม่ลบมาตรการ) ยกเว้นคะแนนที่ลบค่าออกจากช่องคะแนน",
    "",
    "รูปแบบข้อมูล",
    "- ปีและวันที่เป็น พ.ศ. เสมอ วันที่กรอกเป็น วว/ดด/ปปปป เช่น 30/09/2567 (ระบบไม่รับปี ค.ศ. เช่น 2024)",
    "- สถานะ: ยังไม่ดำเนินการ / อยู่ระหว่างดำเนินการ / ดำเนินการแล้วเสร็จ / ไม่สามารถดำเนินการได้ (ต้องระบุเหตุ)",
    "- ตัวชี้วัดและผู้รับผิดชอบใส่ได้หลายค่า คั่นด้วยจุลภาค เช่น 1, 4 หรือ สำนักปลัด, กองคลัง",
    "- ชื่อกอง/สำนักต้องตรงกับแผ่นงาน กอง-สำนัก (เพิ่มกอง/สำนักใหม่ได้ในแผ่นงานนั้น)",
    "- คะแนน 0–100 ทศนิยมไม่เกิน 2 ตำแหน่ง; ข้อคำถามเป็นข้อมูลกลาง เพิ่มได้โดยผู้ดูแลระบบเท่านั้น",
    "- รายการให้เลือกอยู่ในแผ่นงาน “รายการอ้างอิง”",
]


def write_instructions(ws, *, agency: Agency, year: FiscalYear) -> None:
    ws.column_dimensions["A"].width = 120
    ws.append(xlsx_row(ws, [f"{agency.name} · ปีงบประมาณ {year.be_year}"]))
    ws["A1"].font = Font(bold=True, size=14)
    for line in INSTRUCTIONS:
        ws.append(xlsx_row(ws, [line or None]))
    ws["A2"].font = Font(bold=True)
