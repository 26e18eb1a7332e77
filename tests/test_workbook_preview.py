"""The workbook preview writes nothing and opens no transaction (on SQLite a transaction takes the
write lock when it begins), and still says what the real import then does, row for row."""

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from measures.models import Activity, Measure
from measures.workbook import (
    H_ACTIVITY,
    H_DIVISION,
    H_DIVISIONS,
    H_MEASURE,
    H_ORDER,
    H_ROUND,
    H_STATUS,
    H_TITLE,
    SHEET_ACTIVITIES,
    SHEET_DIVISIONS,
    SHEET_MEASURES,
    SHEET_PROGRESS,
)
from sheets.preview import CHANGED, NEW

from .test_workbook import KSK, add, column, export, load, problems_text, put, run, save, snapshot


def _file_with_references_to_new_rows() -> bytes:
    """New division, measure, activities and progress, and existing rows that refer to the new ones."""
    wb = load(export())
    add(wb[SHEET_DIVISIONS], {H_ORDER: 6, H_DIVISION: "กองสวัสดิการสังคม"})
    add(wb[SHEET_MEASURES], {H_ORDER: 10, H_TITLE: "มาตรการใหม่", H_DIVISIONS: "สำนักปลัด, กองสวัสดิการสังคม"})
    add(wb[SHEET_ACTIVITIES], {H_MEASURE: 10, H_ACTIVITY: 1, "กิจกรรม": "จัดประชุมชี้แจงพนักงาน"})
    add(wb[SHEET_PROGRESS], {H_MEASURE: 10, H_ACTIVITY: 1, H_ROUND: "รอบ 6 เดือน", H_STATUS: "ยังไม่ดำเนินการ"})
    measures = wb[SHEET_MEASURES]
    first = next(r for r in range(2, measures.max_row + 1) if measures.cell(r, column(measures, "ลำดับ")).value == 1)
    put(measures, first, **{H_DIVISIONS: "กองสวัสดิการสังคม", H_TITLE: "ชื่อมาตรการที่แก้ในไฟล์"})
    m1 = Measure.objects.get(agency__code=KSK, year__be_year=2567, order=1)
    position = m1.activities.count() + 1  # a new activity of an existing measure
    add(wb[SHEET_ACTIVITIES], {H_MEASURE: 1, H_ACTIVITY: position, "กิจกรรม": "กิจกรรมใหม่ของมาตรการเดิม"})
    add(wb[SHEET_ACTIVITIES], {H_MEASURE: 10, H_ACTIVITY: 2, "กิจกรรม": "กิจกรรมที่สองของมาตรการใหม่"})
    add(wb[SHEET_PROGRESS], {H_MEASURE: 1, H_ACTIVITY: position, H_ROUND: "รอบ 6 เดือน", H_STATUS: "อยู่ระหว่างดำเนินการ"})
    add(wb[SHEET_PROGRESS], {H_MEASURE: 10, H_ACTIVITY: 2, H_ROUND: "รอบ 6 เดือน", H_STATUS: "อยู่ระหว่างดำเนินการ"})
    return save(wb)


def test_the_workbook_preview_only_reads_and_the_import_does_what_it_said(db):
    data = _file_with_references_to_new_rows()
    before = snapshot()
    with CaptureQueriesContext(connection) as queries:
        preview = run(data, dry_run=True)
    statements = [q["sql"].lstrip().split(None, 1)[0].upper() for q in queries.captured_queries]
    assert statements and set(statements) == {"SELECT"}, sorted(set(statements))  # no SAVEPOINT either
    assert preview.ok and not preview.written, problems_text(preview)
    assert snapshot() == before
    shown = {(r.sheet, r.row): (r.status, r.changes) for r in preview.rows}
    assert sum(1 for status, _ in shown.values() if status == NEW) >= 7
    measure_1 = next(r for r in preview.rows if r.sheet == SHEET_MEASURES and r.key.startswith("มาตรการลำดับ 1:"))
    assert measure_1.status == CHANGED
    assert any(c.startswith(f"{H_DIVISIONS}:") and c.endswith("→ กองสวัสดิการสังคม") for c in measure_1.changes), (
        measure_1.changes
    )

    # Confirming runs the real import: the same rows, statuses and changes (the digest), all written.
    coord = get_user_model().objects.get(username="ksk-coord")
    done = run(data, dry_run=False, user=coord, expected_digest=preview.digest())
    assert done.written and not done.stale, problems_text(done)
    assert {(r.sheet, r.row): (r.status, r.changes) for r in done.rows} == shown
    m1 = Measure.objects.get(agency__code=KSK, year__be_year=2567, order=1)
    assert [d.name for d in m1.divisions.all()] == ["กองสวัสดิการสังคม"]
    assert m1.activities.last().title == "กิจกรรมใหม่ของมาตรการเดิม" and m1.activities.last().progress.exists()
    m10 = Measure.objects.get(agency__code=KSK, year__be_year=2567, order=10)
    assert list(m10.activities.values_list("title", flat=True)) == ["จัดประชุมชี้แจงพนักงาน", "กิจกรรมที่สองของมาตรการใหม่"]
    assert Activity.objects.get(title="กิจกรรมที่สองของมาตรการใหม่").progress.get().status == "in_progress"


def test_a_preview_with_errors_reads_only_too(db):
    wb = load(_file_with_references_to_new_rows())
    add(wb[SHEET_PROGRESS], {H_MEASURE: 10, H_ACTIVITY: 7, H_ROUND: "รอบ 6 เดือน", H_STATUS: "อยู่ระหว่างดำเนินการ"})
    with CaptureQueriesContext(connection) as queries:
        preview = run(save(wb), dry_run=True)
    assert {q["sql"].lstrip().split(None, 1)[0].upper() for q in queries.captured_queries} == {"SELECT"}
    assert not preview.ok and "ไม่พบกิจกรรมที่ 7 ของมาตรการลำดับ 10" in problems_text(preview)
