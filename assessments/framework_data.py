"""The ITA framework for the fiscal years we know, as stated in docs (domain.md §2–4).

Used once, by the data migration that seeds it; afterwards the rows are the truth and an
administrator edits them. Nothing in the logic reads these constants.
"""

TOOLS = [
    ("IIT", "แบบวัดการรับรู้ของผู้มีส่วนได้ส่วนเสียภายใน", "30"),
    ("EIT", "แบบวัดการรับรู้ของผู้มีส่วนได้ส่วนเสียภายนอก", "30"),
    ("OIT", "แบบตรวจการเปิดเผยข้อมูลสาธารณะ", "40"),
]

INDICATORS = [
    (1, "IIT", "การปฏิบัติหน้าที่"),
    (2, "IIT", "การใช้งบประมาณ"),
    (3, "IIT", "การใช้อำนาจ"),
    (4, "IIT", "การใช้ทรัพย์สินของราชการ"),
    (5, "IIT", "การแก้ไขปัญหาการทุจริต"),
    (6, "EIT", "คุณภาพการดำเนินงาน"),
    (7, "EIT", "ประสิทธิภาพการสื่อสาร"),
    (8, "EIT", "การปรับปรุงการทำงาน"),
    (9, "OIT", "การเปิดเผยข้อมูล"),
    (10, "OIT", "การป้องกันการทุจริต"),
]

ISSUES = [
    (1, "กระบวนการปฏิบัติงานที่โปร่งใสและมีประสิทธิภาพ"),
    (2, "การให้บริการและระบบ E-Service"),
    (3, "ช่องทางและรูปแบบการประชาสัมพันธ์เผยแพร่ข้อมูลข่าวสารภาครัฐ"),
    (4, "กระบวนการกำกับดูแลการใช้ทรัพย์สินของราชการ"),
    (5, "กระบวนการสร้างความโปร่งใสในการใช้งบประมาณและการจัดซื้อจัดจ้าง"),
    (6, "กระบวนการควบคุม ตรวจสอบการใช้อำนาจ และการบริหารงานบุคคล"),
    (7, "กลไกและมาตรการในการแก้ไขและป้องกันการทุจริตภายในหน่วยงาน"),
]

# (label, min_overall, min_each_tool, confirmed)
LETTER_BANDS = [
    ("AA", "95", None, True),
    ("A", "85", None, True),
    ("B", "75", None, True),
    ("C", "65", None, True),
    ("D", "55", None, True),
    ("E", "50", None, True),
    ("F", "0", None, True),
]
PASS_BANDS = [
    ("ผ่านดีเยี่ยม", "95", "95", False),  # the per-tool part is unconfirmed
    ("ผ่านดี", "85", "85", True),
    ("ผ่าน", "85", None, True),
    ("ต้องปรับปรุง", "70", None, False),
    ("ต้องปรับปรุงโดยด่วน", "0", None, False),
]

YEARS = {2565: LETTER_BANDS, 2566: PASS_BANDS, 2567: PASS_BANDS, 2568: PASS_BANDS}
CURRENT_YEAR = 2568
