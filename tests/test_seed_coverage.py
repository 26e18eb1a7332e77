"""The seed-coverage benchmark repairs the seeds' extraction damage by generic rules, and no more."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from seed_coverage import clean, coverage  # noqa: E402


def test_markup_the_extractor_wrote_is_dropped():
    assert clean('<p>1. สอบถาม (Q&amp;A)</p> <ol style="list-style-type: none"><li>(1)</li></ol>') == "1.สอบถาม(Q&A)(1)"
    assert clean("## ผลลัพธ์ความสำเร็จ") == "ผลลัพธ์ความสำเร็จ"


def test_a_space_before_aa_is_read_as_sara_am_or_aa_by_the_dictionary():
    assert clean("การด าเนินการ ประจ าปี") == "การดำเนินการประจำปี"  # ำ extracted as a space and า
    # A justified line spread letter by letter: the า there is า, but a split ำ inside stays ำ.
    assert clean("ผู้ บ ริ ห า ร ก า กั บ ติ ด ต า ม ก า ร") == "ผู้บริหารกำกับติดตามการ"
    assert clean("ส านั กป ลั ดองค์ ก าร") == "สำนักปลัดองค์การ"


def test_marks_put_one_letter_late_go_back_in_the_seed_only():
    for damaged, real in [
        ("-หนว่ยตรวจสอบภายใน", "-หน่วยตรวจสอบภายใน"),
        ("การทจุริตภายในหน่วยงาน", "การทุจริตภายในหน่วยงาน"),
        ("การดำเนินการใหผู้้บริหารทราบ", "การดำเนินการให้ผู้บริหารทราบ"),
        ("จัดเกบ็ภาษีนอกสถานที่", "จัดเก็บภาษีนอกสถานที่"),
    ]:
        assert clean(damaged, damaged=True) == real
        assert clean(damaged) != real  # our own text layer is measured as it is
    for text in ["เพิ่มขึ้นทุกปี", "งบประมาณที่เบิกจ่าย", "ตัวชี้วัดการใช้ทรัพย์สินของราชการ"]:
        assert clean(text, damaged=True) == text


def test_coverage_counts_what_we_do_not_print_as_missing():
    seed = "ขั้นตอนหรือวิธีการ/มาตรการ\tจัดทำประมวลจริยธรรมสำหรับเจ้าหน้าที่ของหน่วยงาน"
    ours = "ขั้นตอนหรือวิธีการปฏิบัติ\nจัดทำประมวลจริยธรรม\nสำหรับเจ้าหน้าที่ของหน่วยงาน"
    missing: list[str] = []
    share = coverage(seed, ours, missing)
    assert missing == ["⟦ขั้นตอนหรือวิธีการ/มาตรการ⟧"]  # a short cell counts only whole
    assert share == len("จัดทำประมวลจริยธรรมสำหรับเจ้าหน้าที่ของหน่วยงาน") / len(clean(seed.replace("\t", "")))
