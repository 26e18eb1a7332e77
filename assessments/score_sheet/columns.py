"""The national score sheet's columns and kinds of score (also the agency workbook's คะแนน sheet)."""

from decimal import Decimal

from sheets.columns import Column, fold

COL_AGENCY = "รหัสหน่วยงาน"
COL_AGENCY_NAME = "ชื่อหน่วยงาน"
COL_YEAR = "ปีงบประมาณ (พ.ศ.)"
COL_KIND = "ประเภทคะแนน"
COL_CODE = "รหัส"
COL_NAME = "ชื่อ"
COL_SCORE = "คะแนน"
COL_LEVEL = "ระดับที่ได้รับ"
COL_REMEDY = "แนวทางการแก้ไข"

OVERALL, TOOL, INDICATOR, QUESTION = "overall", "tool", "indicator", "question"
KINDS = (OVERALL, TOOL, INDICATOR, QUESTION)
KIND_LABELS = {OVERALL: "คะแนนรวม", TOOL: "แบบวัด", INDICATOR: "ตัวชี้วัด", QUESTION: "ข้อคำถาม"}
_KIND_LOOKUP = {
    **{fold(label): kind for kind, label in KIND_LABELS.items()},
    **{fold(kind): kind for kind in KINDS},
    fold("รวม"): OVERALL,
    fold("ภาพรวม"): OVERALL,
    fold("คะแนนภาพรวม"): OVERALL,
    fold("ข้อ"): QUESTION,
    fold("คำถาม"): QUESTION,
}

SCORE_MAX = Decimal("100")

NATIONAL_COLUMNS = [
    Column(COL_AGENCY, required=True, aliases=("รหัส อปท.", "agency_code", "agency")),
    Column(COL_AGENCY_NAME, info=True, aliases=("ชื่อ อปท.",)),
    Column(COL_YEAR, required=True, aliases=("ปีงบประมาณ", "ปี พ.ศ.", "ปี", "year")),
    Column(COL_KIND, required=True, aliases=("ประเภท", "kind")),
    Column(COL_CODE, aliases=("code", "รหัสแบบวัด/ตัวชี้วัด/ข้อ")),
    Column(COL_SCORE, required=True, aliases=("score",)),
    Column(COL_LEVEL, aliases=("ระดับ", "level")),
    Column(COL_REMEDY, aliases=("remedy",)),
]
NATIONAL_HEADERS = [c.header for c in NATIONAL_COLUMNS]
NATIONAL_SHEET = "คะแนน"


def kind_of(value) -> str | None:
    return _KIND_LOOKUP.get(fold(value))
