"""Importing an agency workbook: every sheet in ONE transaction, in the order of DATA_SHEETS, so that
a sheet can refer to rows an earlier sheet of the same file creates; kept only when no row of any
sheet has a problem (and, when confirming, when the result is the one previewed). A preview runs
the same steps without writing anything and without a transaction."""

from __future__ import annotations

import re
import time
from contextlib import nullcontext

from django.db import transaction

from agencies.models import Agency, AgencyKind
from assessments.models import FiscalYear
from assessments.score_sheet import ScoreContext, import_score_rows
from assessments.score_sheet.columns import COL_AGENCY, COL_YEAR
from sheets.cells import clean_be_year, clean_int, clean_text, is_blank
from sheets.columns import column_letters, match_columns, missing_required
from sheets.preview import ERROR, NEW, UNCHANGED, Preview, PreviewRow, Problem, finish
from sheets.reading import Book, FileRefused, Table, add_table_problems
from sheets.resources import ChoiceWidget, run_resource
from sheets.writing import INSTRUCTIONS_SHEET, REFERENCE_SHEET

from .columns import (
    DATA_SHEETS,
    H_ACTIVITY,
    H_AGENCY_NAME,
    H_DISTRICT,
    H_KIND,
    H_MEASURE,
    H_ORDER,
    H_PROVINCE,
    KIND_ALIASES,
    SHEET_ACTIVITIES,
    SHEET_DIVISIONS,
    SHEET_INFO,
    SHEET_MEASURES,
    SHEET_PROGRESS,
    SHEET_QUESTIONS,
    SHEET_SCORES,
)
from .context import WorkbookContext
from .resources import (
    SHEET_COLUMNS,
    ActivityResource,
    DivisionResource,
    MeasureResource,
    ProgressResource,
    QuestionResource,
)


def workbook_import(
    *,
    agency: Agency | None,
    year: FiscalYear | int | None,
    file,
    dry_run: bool,
    user=None,
    filename: str = "",
    expected_digest: str | None = None,
    allow_reference_data: bool = False,
) -> Preview:
    """Import an agency workbook; the preview says what each row does (or did).

    agency / year: the agency and fiscal year the file must be for (None: as the file says).
    allow_reference_data: create the agency and questions the file has and the database lacks
    (the command line, for an administrator; never from the web).
    Everything happens in ONE transaction, kept only when dry_run is False and no row of any
    sheet has a problem (and, with expected_digest, when the result is the one previewed).
    A dry run writes nothing and opens no transaction (except with allow_reference_data).
    """
    started = time.monotonic()
    preview = Preview(title="นำเข้าสมุดงานของหน่วยงาน", filename=filename, sheets=list(DATA_SHEETS), dry_run=dry_run)
    tables: dict[str, Table] = {}
    try:
        with Book(file, accept_csv=False, name=filename) as book:
            preview.filename = preview.filename or book.name
            names = book.sheet_names
            for sheet in DATA_SHEETS:
                if sheet in names:
                    tables[sheet] = book.read(sheet)
                else:
                    preview.add_problem(
                        Problem(
                            f"ไม่พบแผ่นงาน “{sheet}” (ไฟล์มีแผ่นงาน: {', '.join(names)}) กรุณาใช้แม่แบบจากระบบ "
                            "และอย่าเปลี่ยนชื่อหรือลบแผ่นงาน",
                            sheet=sheet,
                        )
                    )
            for name in names:
                if name not in DATA_SHEETS and name not in (INSTRUCTIONS_SHEET, REFERENCE_SHEET):
                    preview.notes.append(f"แผ่นงาน “{name}” ไม่ได้อยู่ในแม่แบบ ระบบไม่ได้อ่าน")
    except FileRefused as exc:
        preview.add_problem(Problem(str(exc)))
        preview.seconds = time.monotonic() - started
        return preview

    structural = False
    for sheet, table in tables.items():
        problems = match_columns(table, SHEET_COLUMNS[sheet])
        for p in problems:
            preview.add_problem(p)
        structural = structural or missing_required(problems) or not table.headers
    if preview.file_problems and (structural or len(tables) < len(DATA_SHEETS)):
        for table in tables.values():
            add_table_problems(table, preview)
        preview.seconds = time.monotonic() - started
        return preview

    reason = f"นำเข้าสมุดงาน {preview.filename}"[:100]
    # A preview only reads, outside any transaction (on SQLite a transaction takes the write lock at
    # once, and a 20,000-row preview held it for ~100 s). Only the administrator's command-line
    # preview that may create reference data (an agency, questions) still writes and rolls back.
    read_only = dry_run and not allow_reference_data
    with nullcontext() if read_only else transaction.atomic():
        target = _import_info(tables[SHEET_INFO], preview, agency=agency, year=year, allow_create=allow_reference_data)
        if target is None:
            for sheet in DATA_SHEETS[1:]:
                add_table_problems(tables[sheet], preview)
            if not read_only:
                transaction.set_rollback(True)
            preview.seconds = time.monotonic() - started
            return preview
        agency, fiscal_year = target
        preview.context = {"agency": agency, "year": fiscal_year}
        wctx = WorkbookContext(agency=agency, year=fiscal_year, allow_reference_data=allow_reference_data)
        kwargs = {"wctx": wctx, "user": user, "reason": reason, "preview_only": read_only}

        def run(sheet, resource_class):
            table = tables[sheet]
            skip = add_table_problems(table, preview, label=None)
            letters = column_letters(table.headers)
            rows = [(n, v) for n, v in table.rows if n not in skip]
            run_resource(
                resource_class(**kwargs),
                sheet=sheet,
                headers=table.headers,
                rows=rows,
                preview=preview,
                letters=letters,
            )
            return table

        run(SHEET_DIVISIONS, DivisionResource)
        wctx.load_divisions()
        measures = run(SHEET_MEASURES, MeasureResource)
        wctx.failed_measures = _failed(preview, measures, (H_ORDER,))
        wctx.load_measures()
        activities = run(SHEET_ACTIVITIES, ActivityResource)
        wctx.failed_activities = _failed(preview, activities, (H_MEASURE, H_ACTIVITY))
        wctx.load_measures()
        run(SHEET_PROGRESS, ProgressResource)
        run(SHEET_QUESTIONS, QuestionResource)

        scores = tables[SHEET_SCORES]
        skip = add_table_problems(scores, preview)
        letters = column_letters(scores.headers)
        scores = Table(
            sheet=scores.sheet,
            headers=[*scores.headers, COL_AGENCY, COL_YEAR],
            rows=[(n, [*v, agency.code, fiscal_year.be_year]) for n, v in scores.rows],
        )
        import_score_rows(
            table=scores,
            ctx=ScoreContext(agency=agency),
            preview=preview,
            user=user,
            reason=reason,
            skip=skip,
            letters=letters,
            dry_run=dry_run,
        )
        preview.notes.extend(dict.fromkeys(wctx.notes))
        if read_only:
            preview.dry_run, preview.written = True, False
        else:
            finish(preview, dry_run=dry_run, expected_digest=expected_digest)
    preview.seconds = time.monotonic() - started
    return preview


def _failed(preview: Preview, table: Table, key_headers: tuple[str, ...]) -> dict:
    """Keys of the rows of a sheet that have errors → their row number (to explain later errors)."""
    error_rows = {r.row for r in preview.rows if r.sheet == table.sheet and r.status == ERROR}
    idx = [table.headers.index(h) if h in table.headers else None for h in key_headers]
    out = {}
    for number, values in table.rows:
        if number not in error_rows:
            continue
        try:
            key = tuple(clean_int(values[i]) if i is not None else None for i in idx)
        except ValueError:
            continue
        out[key[0] if len(key) == 1 else key] = number
    return out


def _import_info(
    table: Table, preview: Preview, *, agency: Agency | None, year, allow_create: bool
) -> tuple[Agency, FiscalYear] | None:
    """The หน่วยงาน sheet: which agency and year the file is for. Never changes an existing agency."""
    sheet = table.sheet
    for p in table.problems:
        preview.add_problem(p)
    rows = table.rows
    if not rows:
        preview.add_problem(Problem("ไม่พบข้อมูลหน่วยงานในแถวที่ 2", sheet=sheet, row=2))
        return None
    number, values = rows[0]
    for extra, _ in rows[1:]:
        preview.add_row(
            PreviewRow(
                sheet=sheet,
                row=extra,
                key="",
                status=ERROR,
                problems=[Problem("แผ่นงานหน่วยงานต้องมีข้อมูลแถวเดียว (แถว 2)", sheet=sheet, row=extra)],
            )
        )
    if number in table.row_problems:
        preview.add_row(PreviewRow(sheet=sheet, row=number, key="", status=ERROR, problems=table.row_problems[number]))
        return None
    row = dict(zip(table.headers, values))
    letters = column_letters(table.headers)
    problems = []

    def problem(column, message):
        problems.append(Problem(message, sheet=sheet, row=number, column=column, letter=letters.get(column, "")))

    code = clean_text(row.get(COL_AGENCY))
    be_year = None
    try:
        be_year = clean_be_year(row.get(COL_YEAR))
    except ValueError as e:
        problem(COL_YEAR, str(e))
    fiscal_year = None
    if be_year is not None:
        fiscal_year = FiscalYear.objects.filter(be_year=be_year).first()
        if fiscal_year is None:
            known = ", ".join(str(y) for y in FiscalYear.objects.values_list("be_year", flat=True))
            problem(COL_YEAR, f"ไม่มีปีงบประมาณ {be_year} ในระบบ (มี: {known})")
    if year is not None and fiscal_year is not None:
        expected = year.be_year if isinstance(year, FiscalYear) else int(year)
        if expected != fiscal_year.be_year:
            problem(
                COL_YEAR,
                f"ไฟล์นี้เป็นของปีงบประมาณ {fiscal_year.be_year} แต่กำลังนำเข้าปี {expected} "
                "กรุณาเลือกปีให้ตรงกับไฟล์ หรือใช้ไฟล์ของปีที่ถูกต้อง",
            )
    status, key = UNCHANGED, code
    if not code:
        if agency is None:
            problem(COL_AGENCY, "กรุณาระบุรหัสหน่วยงาน")
        code = agency.code if agency is not None else ""
    if agency is not None:
        if code.casefold() != agency.code.casefold():
            problem(COL_AGENCY, f"ไฟล์นี้เป็นของหน่วยงานรหัส “{code}” ไม่ใช่ “{agency.code}” ({agency.name})")
    elif code:
        agency = Agency.objects.filter(code=code).first() or Agency.objects.filter(code__iexact=code).first()
        if agency is None and not allow_create:
            problem(COL_AGENCY, f"ไม่พบหน่วยงานรหัส “{code}” ในระบบ")
        elif agency is None:
            kind_widget = ChoiceWidget(AgencyKind.choices, aliases=KIND_ALIASES, blank=None)
            try:
                kind = kind_widget.clean(row.get(H_KIND))
            except ValueError as e:
                problem(H_KIND, str(e))
                kind = None
            name = clean_text(row.get(H_AGENCY_NAME))
            if not name:
                problem(H_AGENCY_NAME, "กรุณากรอกชื่อหน่วยงาน (สร้างหน่วยงานใหม่จากไฟล์)")
            if not re.fullmatch(r"[-a-zA-Z0-9_]+", code):
                problem(COL_AGENCY, "รหัสหน่วยงานใช้ได้เฉพาะตัวอักษรอังกฤษ ตัวเลข - และ _")
            if not problems:
                agency = Agency.objects.create(
                    code=code,
                    kind=kind,
                    name=name,
                    district=clean_text(row.get(H_DISTRICT)),
                    province=clean_text(row.get(H_PROVINCE)),
                )
                status = NEW
    if agency is not None and status == UNCHANGED:
        differs = [
            h
            for h, value in ((H_AGENCY_NAME, agency.name), (H_DISTRICT, agency.district), (H_PROVINCE, agency.province))
            if h in row and not is_blank(row.get(h)) and clean_text(row.get(h)) != value
        ]
        if differs:
            preview.notes.append(
                f"แผ่นงาน “{sheet}”: {', '.join(differs)} ในไฟล์ต่างจากในระบบ ระบบไม่เปลี่ยนข้อมูลหน่วยงานจากไฟล์"
            )
    preview.add_row(
        PreviewRow(
            sheet=sheet,
            row=number,
            key=f"{key} · ปีงบประมาณ {be_year or ''}".strip(),
            status=ERROR if problems else status,
            problems=problems,
        )
    )
    if problems or agency is None or fiscal_year is None:
        return None
    return agency, fiscal_year
