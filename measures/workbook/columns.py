"""The agency workbook's sheets and headers (Thai, as people read them), and the accepted spellings."""

from assessments.score_sheet.columns import (
    COL_AGENCY,
    COL_CODE,
    COL_KIND,
    COL_LEVEL,
    COL_NAME,
    COL_REMEDY,
    COL_SCORE,
    COL_YEAR,
)
from sheets.columns import Column

from ..models import Round, Status

SHEET_INFO = "หน่วยงาน"
SHEET_DIVISIONS = "กอง-สำนัก"
SHEET_MEASURES = "มาตรการ"
SHEET_ACTIVITIES = "กิจกรรม"
SHEET_PROGRESS = "ผลการดำเนินการ"
SHEET_QUESTIONS = "ข้อคำถาม"
SHEET_SCORES = "คะแนน"
DATA_SHEETS = [
    SHEET_INFO,
    SHEET_DIVISIONS,
    SHEET_MEASURES,
    SHEET_ACTIVITIES,
    SHEET_PROGRESS,
    SHEET_QUESTIONS,
    SHEET_SCORES,
]

# Headers (Thai, as people read them)
H_KIND = "ประเภทหน่วยงาน"
H_AGENCY_NAME = "ชื่อหน่วยงาน"
H_DISTRICT = "อำเภอ"
H_PROVINCE = "จังหวัด"
H_ORDER = "ลำดับ"
H_DIVISION = "ชื่อกอง/สำนัก"
H_NUMBER = "เลขที่"
H_ISSUE = "ประเด็น"
H_TOOL = "แบบวัด"
H_INDICATORS = "ตัวชี้วัด"
H_FOCUS = "ประเด็นที่ต้องพัฒนา"
H_TITLE = "มาตรการ/กิจกรรม"
H_STEPS = "ขั้นตอนหรือวิธีการปฏิบัติ"
H_PERIOD = "ช่วงระยะเวลา"
H_DIVISIONS = "ผู้รับผิดชอบ (กอง/สำนัก)"
H_RESPONSIBLE_NOTE = "ผู้รับผิดชอบ (อื่นๆ)"
H_MONITORING = "แนวทางกำกับติดตาม/การรายงานผล"
H_BUDGET = "งบประมาณ (บาท)"
H_MEASURE = "ลำดับมาตรการ"
H_ACTIVITY = "ลำดับกิจกรรม"
H_ACTIVITY_TITLE = "กิจกรรม"
H_ITEM = "รายการ (แสดงเพื่ออ้างอิง)"
H_ROUND = "รอบการรายงาน"
H_STATUS = "สถานะ"
H_UNABLE_REASON = "เหตุที่ดำเนินการไม่ได้"
H_UNABLE_NOTE = "รายละเอียดเหตุผล"
H_OUTPUT = "ผลการดำเนินการ (output)"
H_OUTCOME = "ผลลัพธ์ (outcome)"
H_COMPLETED = "วันที่แล้วเสร็จ (วว/ดด/ปปปป พ.ศ.)"
H_SPENT = "งบประมาณที่ใช้ (บาท)"
H_QUESTION_CODE = "รหัสข้อ"
H_QUESTION_TEXT = "ข้อคำถาม"

MAX_BUDGET = 10**12 - 1

STATUS_ALIASES = {
    "ดำเนินการแล้ว": Status.DONE,
    "เสร็จ": Status.DONE,
    "แล้วเสร็จ": Status.DONE,
    "กำลังดำเนินการ": Status.IN_PROGRESS,
    "ไม่สามารถดำเนินการ": Status.UNABLE,
}
ROUND_ALIASES = {"6 เดือน": Round.SIX_MONTH, "12 เดือน": Round.ANNUAL, "ประจำปี": Round.ANNUAL, "รอบประจำปี": Round.ANNUAL}
KIND_ALIASES = {
    short: kind for kind, short in (("SAO", "อบต."), ("TM", "ทต."), ("MM", "ทม."), ("NM", "ทน."), ("PAO", "อบจ."))
}


INFO_COLUMNS = [
    Column(COL_AGENCY, required=True),
    Column(H_KIND, aliases=("ประเภท",)),
    Column(H_AGENCY_NAME),
    Column(H_DISTRICT),
    Column(H_PROVINCE),
    Column(COL_YEAR, required=True, aliases=("ปีงบประมาณ",)),
]
SCORE_COLUMNS = [
    Column(COL_KIND, required=True, aliases=("ประเภท",)),
    Column(COL_CODE),
    Column(COL_NAME, info=True),
    Column(COL_SCORE, required=True),
    Column(COL_LEVEL, aliases=("ระดับ",)),
    Column(COL_REMEDY),
]
SCORE_HEADERS = [c.header for c in SCORE_COLUMNS]
