"""Importing score rows: a national score sheet, or the คะแนน sheet of an agency workbook.

Plain functions on the shared engine (``sheets``): read the rows, resolve their natural keys
(agency code, พ.ศ. year, tool code, indicator number, question code) through dicts loaded once
(``ScoreContext``), validate every cell with a Thai message, then write in bulk, with the
django-simple-history records written in bulk too. A dry run writes nothing: the preview is
computed from the rows and the dicts alone (a national sheet's preview runs outside any
transaction). An import runs inside the caller's transaction, which ``sheets.preview.finish``
keeps only for a valid, confirmed import.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import DatabaseError, transaction
from simple_history.utils import bulk_create_with_history

from ita_portal.cache import agency_data_touch
from ita_portal.edits import versions_bump
from sheets.bulk import update_values_with_history
from sheets.cells import clean_be_year, clean_decimal, clean_text, is_blank, leading_int
from sheets.columns import column_letters, fold, match_columns, missing_required
from sheets.preview import CHANGED, ERROR, NEW, UNCHANGED, Preview, PreviewRow, Problem, finish
from sheets.reading import Book, FileRefused, Table, add_table_problems
from sheets.writing import INSTRUCTIONS_SHEET, REFERENCE_SHEET

from ..models import AssessmentResult, IndicatorScore, QuestionScore, ToolScore
from .columns import (
    COL_AGENCY,
    COL_CODE,
    COL_KIND,
    COL_LEVEL,
    COL_REMEDY,
    COL_SCORE,
    COL_YEAR,
    INDICATOR,
    KIND_LABELS,
    KINDS,
    NATIONAL_COLUMNS,
    NATIONAL_SHEET,
    OVERALL,
    QUESTION,
    SCORE_MAX,
    TOOL,
    kind_of,
)
from .context import ScoreContext

BATCH = 1000  # rows per bulk write (and per history bulk write)


# ---------------------------------------------------------------------------------------------
# What each kind of score row holds


def _clean_score(ctx: ScoreContext, value, year_id: int | None):
    return clean_decimal(value, places=2, maximum=SCORE_MAX)


def _clean_remedy(ctx: ScoreContext, value, year_id: int | None):
    return clean_text(value, max_length=IndicatorScore._meta.get_field("remedy").max_length)


def _clean_level(ctx: ScoreContext, value, year_id: int | None):
    """ระดับที่ได้รับ: one of that year's rating bands (as the score form accepts)."""
    label = clean_text(value)
    if not label or year_id is None:
        return label
    labels = ctx.bands.get(year_id, [])
    if labels and label not in labels:
        folded = {fold(x): x for x in labels}
        if fold(label) in folded:
            return folded[fold(label)]
        raise ValueError(f"ระดับ “{label}” ไม่มีในเกณฑ์ปี {ctx.be_years[year_id]} (ใช้ได้: {', '.join(labels)})")
    return label


@dataclass(frozen=True)
class _Value:
    attr: str  # the model field
    column: str  # its header
    clean: Callable  # (ctx, cell, year_id or None) → value, or ValueError in Thai
    text: bool = False  # on a national sheet a blank cell keeps what is stored (ScoreContext.keep_blank_text)


@dataclass(frozen=True)
class _Kind:
    kind: str
    model: type
    target: str  # the score's foreign key to its tool, indicator or question ("" for the overall score)
    values: tuple[_Value, ...]

    def defaults(self) -> tuple:
        return tuple(self.model._meta.get_field(v.attr).get_default() for v in self.values)


_SCORE = _Value("score", COL_SCORE, _clean_score)
_REMEDY = _Value("remedy", COL_REMEDY, _clean_remedy, text=True)
KIND_SPECS = {
    OVERALL: _Kind(
        OVERALL,
        AssessmentResult,
        "",
        (_Value("overall", COL_SCORE, _clean_score), _Value("level_awarded", COL_LEVEL, _clean_level, text=True)),
    ),
    TOOL: _Kind(TOOL, ToolScore, "tool_id", (_SCORE,)),
    INDICATOR: _Kind(INDICATOR, IndicatorScore, "indicator_id", (_SCORE, _REMEDY)),
    QUESTION: _Kind(QUESTION, QuestionScore, "question_id", (_SCORE, _REMEDY)),
}


def _shown(value) -> str:
    if value is None or value == "":
        return "(ว่าง)"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


# ---------------------------------------------------------------------------------------------
# Writes, in batches; none on a dry run


class _Writes:
    """Rows of one kind to create, update and delete, written every BATCH rows with their history.
    On a dry run nothing is kept (not even the instances)."""

    def __init__(self, spec: _Kind, *, ctx: ScoreContext, preview: Preview, sheet: str, user, reason, dry_run):
        self.spec, self.ctx, self.preview, self.sheet = spec, ctx, preview, sheet
        self.user, self.reason, self.dry_run = user, reason, dry_run
        self.creates: list = []
        self.updates: list = []
        self.deletes: list[int] = []

    def create(self, key: tuple, values: tuple) -> None:
        if not self.dry_run:
            self._add(self.creates, self._instance(key, values))

    def update(self, key: tuple, values: tuple, *, pk: int, result_id: int) -> None:
        if not self.dry_run:
            self._add(self.updates, self._instance(key, values, pk=pk, result_id=result_id))

    def delete(self, pk: int) -> None:
        if not self.dry_run:
            self._add(self.deletes, pk)

    def _instance(self, key: tuple, values: tuple, *, pk=None, result_id=None):
        spec = self.spec
        fields = {v.attr: value for v, value in zip(spec.values, values)}
        agency_id, year_id, target_id = key
        if spec.kind == OVERALL:
            return AssessmentResult(id=pk, agency_id=agency_id, year_id=year_id, **fields)
        if result_id is None:
            result = self.ctx.results.get((agency_id, year_id))
            result_id = result[0] if result else None
        return spec.model(id=pk, result_id=result_id, **{spec.target: target_id}, **fields)

    def _add(self, bucket: list, item) -> None:
        bucket.append(item)
        if len(bucket) >= BATCH:
            self.flush()

    def _results_touched_bump(self) -> None:
        """Score forms opened on a result this batch changes see a conflict instead of saving over it."""
        if self.spec.model is AssessmentResult:
            touched = {r.pk for r in self.updates}
        else:
            touched = {i.result_id for i in self.creates + self.updates}
            if self.deletes:
                touched |= set(self.spec.model.objects.filter(pk__in=self.deletes).values_list("result_id", flat=True))
        versions_bump(AssessmentResult, touched - {None})

    def flush(self) -> None:
        if not (self.creates or self.updates or self.deletes):
            return
        model = self.spec.model
        try:
            with transaction.atomic():  # a savepoint: a failed batch leaves the transaction usable
                self._results_touched_bump()
                if self.creates:
                    created = bulk_create_with_history(
                        self.creates,
                        model,
                        batch_size=BATCH,
                        default_user=self.user,
                        default_change_reason=self.reason,
                    )
                    if model is AssessmentResult:  # the other kinds' rows refer to these results
                        for r in created:
                            self.ctx.results[(r.agency_id, r.year_id)] = [r.pk, r.overall, r.level_awarded]
                if self.updates:
                    update_values_with_history(
                        self.updates,
                        model,
                        fields=[v.attr for v in self.spec.values],
                        batch_size=BATCH,
                        user=self.user,
                        reason=self.reason,
                    )
                if self.deletes:
                    model.objects.filter(pk__in=self.deletes).delete()
        except DatabaseError as e:
            self.preview.add_problem(Problem(f"บันทึกข้อมูลไม่สำเร็จ: {e}", sheet=self.sheet))
        finally:
            self.creates, self.updates, self.deletes = [], [], []


# ---------------------------------------------------------------------------------------------
# Rows of one kind


def _row_label(kind: str, ctx: ScoreContext, row: dict) -> str:
    try:
        parts = [clean_text(row.get(COL_AGENCY)) if ctx.agency is None else "", clean_text(row.get(COL_YEAR))]
        code = clean_text(row.get(COL_CODE)) if kind != OVERALL else ""
    except ValueError:
        return ""
    parts.append(f"{KIND_LABELS[kind]} {code}".strip())
    return " · ".join(p for p in parts if p)


def _row_key(kind: str, ctx: ScoreContext, row: dict) -> tuple[tuple | None, dict[str, str]]:
    """(agency id, year id, target id or None), or the problems by column that keep it from being read."""
    errors: dict[str, str] = {}
    agency_id = year_id = target_id = None
    try:
        agency_id = ctx.agency_id(row.get(COL_AGENCY))
    except ValueError as e:
        errors[COL_AGENCY] = str(e)
    try:
        year_id = ctx.year_id(row.get(COL_YEAR))
    except ValueError as e:
        errors[COL_YEAR] = str(e)
    if year_id is not None:
        try:
            target_id = ctx.target_id(kind, year_id, row.get(COL_CODE))
        except ValueError as e:
            errors[COL_CODE] = str(e)
    if kind != OVERALL and not is_blank(row.get(COL_LEVEL)):
        errors[COL_LEVEL] = "ระบุระดับได้เฉพาะแถว “คะแนนรวม”"
    if kind in (OVERALL, TOOL) and not is_blank(row.get(COL_REMEDY)):
        errors[COL_REMEDY] = f"แถว “{KIND_LABELS[kind]}” ไม่มีแนวทางการแก้ไข (ใส่ได้ที่ตัวชี้วัดและข้อคำถาม)"
    if kind in (INDICATOR, QUESTION) and is_blank(row.get(COL_SCORE)) and not is_blank(row.get(COL_REMEDY)):
        errors[COL_SCORE] = "มีแนวทางการแก้ไขแต่ไม่มีคะแนน กรุณากรอกคะแนน"
    return (None if errors else (agency_id, year_id, target_id)), errors


def _stored(spec: _Kind, ctx: ScoreContext) -> dict[tuple, tuple[int, int, tuple]]:
    """(agency id, year id, target id) → (id, result id, stored values) of the loaded rows."""
    if spec.kind == OVERALL:
        return {(a, y, None): (v[0], v[0], (v[1], v[2])) for (a, y), v in ctx.results.items()}
    by_result = {v[0]: (a, y) for (a, y), v in ctx.results.items()}
    out = {}
    for (result_id, target_id), (pk, score, remedy) in ctx.scores.get(spec.model, {}).items():
        pair = by_result.get(result_id)
        if pair is not None:
            out[(*pair, target_id)] = (pk, result_id, (score, remedy)[: len(spec.values)])
    return out


def _import_kind(
    spec: _Kind,
    rows: list[tuple[int, list]],
    *,
    headers: list[str],
    ctx: ScoreContext,
    preview: Preview,
    sheet: str,
    letters: dict[str, str],
    writes: _Writes,
) -> None:
    stored = _stored(spec, ctx)
    defaults = spec.defaults()
    seen: dict[tuple, int] = {}

    def add(number, key_label, status, *, changes=(), errors=None):
        problems = [
            Problem(message, sheet=sheet, row=number, column=column, letter=letters.get(column, ""))
            for column, message in (errors or {}).items()
        ]
        preview.add_row(PreviewRow(sheet, number, key_label, status, tuple(changes), problems))

    for number, values in rows:
        row = dict(zip(headers, values))
        label = _row_label(spec.kind, ctx, row)
        key, errors = _row_key(spec.kind, ctx, row)
        if key is None:
            for v in spec.values:  # the values' own problems too, so that a row is fixed in one go
                if v.column in row and v.column not in errors:
                    try:
                        v.clean(ctx, row[v.column], None)
                    except ValueError as e:
                        errors[v.column] = str(e)
            add(number, label, ERROR, errors=errors)
            continue
        first = seen.setdefault(key, number)
        if first != number:
            message = f"ข้อมูลซ้ำกับแถว {first} (คอลัมน์หลักมีค่าเดียวกัน) กรุณาลบหรือแก้แถวใดแถวหนึ่ง"
            add(number, label, ERROR, errors={COL_AGENCY: message})
            continue
        found = stored.get(key)
        before = found[2] if found else (None,) * len(spec.values)
        if found and spec.target and COL_SCORE in row and is_blank(row[COL_SCORE]):
            # A blank score on a row whose score exists removes it (as the score form does).
            writes.delete(found[0])
            add(number, label, CHANGED, changes=(f"{COL_SCORE}: {_shown(before[0])} → (ลบ)",))
            continue
        after = list(before if found else defaults)
        for i, v in enumerate(spec.values):
            if v.column not in row or (v.text and ctx.keep_blank_text and is_blank(row[v.column])):
                continue
            try:
                after[i] = v.clean(ctx, row[v.column], key[1])
            except ValueError as e:
                errors[v.column] = str(e)
        if errors:
            add(number, label, ERROR, errors=errors)
            continue
        after = tuple(after)
        if (not found and all(a in (None, "") for a in after)) or (found and after == before):
            add(number, label, UNCHANGED)  # a blank row for a score that does not exist, or as stored
        elif found:
            writes.update(key, after, pk=found[0], result_id=found[1])
            changes = [
                f"{v.column}: {_shown(b)} → {_shown(a)}" for v, b, a in zip(spec.values, before, after) if a != b
            ]
            add(number, label, CHANGED, changes=changes)
        else:
            writes.create(key, after)
            add(number, label, NEW)
    writes.flush()


# ---------------------------------------------------------------------------------------------
# A table of score rows, and a national score sheet


def import_score_rows(
    *,
    table: Table,
    ctx: ScoreContext,
    preview: Preview,
    user=None,
    reason: str = "",
    skip: set[int] = frozenset(),
    letters: dict[str, str] | None = None,
    dry_run: bool = False,
) -> None:
    """Import a table of score rows (headers already canonical) inside the caller's transaction.

    Rows are dispatched by kind and duplicates refused; then the overall scores are imported (they
    create their results), the results the other rows need are created in bulk, and the tool,
    indicator and question scores follow.
    """
    idx = {h: i for i, h in enumerate(table.headers) if h}
    letters = letters if letters is not None else column_letters(table.headers)
    sheet = table.sheet

    def cell(values, col):
        i = idx.get(col)
        return values[i] if i is not None else None

    by_kind: dict[str, list] = {k: [] for k in KINDS}
    seen: dict[tuple, int] = {}
    pairs: set[tuple[int, int]] = set()
    year_ids: set[int] = set()
    touched: set[int] = set()
    for number, values in table.rows:
        if number in skip:
            continue
        raw_kind = cell(values, COL_KIND)
        kind = kind_of(raw_kind)
        agency_raw, year_raw, code_raw = cell(values, COL_AGENCY), cell(values, COL_YEAR), cell(values, COL_CODE)
        if kind is None:
            message = (
                "กรุณาระบุประเภทคะแนน"
                if is_blank(raw_kind)
                else f"ไม่รู้จักประเภทคะแนน “{clean_text(raw_kind)}” (ใช้ได้: {' / '.join(KIND_LABELS.values())})"
            )
            preview.add_row(
                PreviewRow(
                    sheet=sheet,
                    row=number,
                    key=" · ".join(p for p in (clean_text(agency_raw), clean_text(year_raw)) if p),
                    status=ERROR,
                    problems=[
                        Problem(message, sheet=sheet, row=number, column=COL_KIND, letter=letters.get(COL_KIND, ""))
                    ],
                )
            )
            continue
        try:
            year_key = clean_be_year(year_raw)
        except ValueError:
            year_key = clean_text(year_raw)
        if kind == OVERALL:
            code_key = ""
        elif kind == INDICATOR:
            code_key = leading_int(code_raw) if leading_int(code_raw) is not None else clean_text(code_raw)
        else:
            code_key = clean_text(code_raw).upper().replace(" ", "")
        dup_key = (clean_text(agency_raw).casefold(), year_key, kind, code_key)
        first = seen.get(dup_key)
        if first is not None:
            preview.add_row(
                PreviewRow(
                    sheet=sheet,
                    row=number,
                    key=" · ".join(p for p in (clean_text(agency_raw), str(year_key), KIND_LABELS[kind]) if p),
                    status=ERROR,
                    problems=[
                        Problem(
                            f"ข้อมูลซ้ำกับแถว {first} (หน่วยงาน ปี ประเภทคะแนน และรหัสเดียวกัน) กรุณาลบแถวใดแถวหนึ่ง",
                            sheet=sheet,
                            row=number,
                        )
                    ],
                )
            )
            continue
        seen[dup_key] = number
        by_kind[kind].append((number, values))
        try:
            touched.add(ctx.agency_id(agency_raw))
        except ValueError:
            pass  # reported with its column when the row is read
        try:
            y = ctx.year_id(year_raw)
            year_ids.add(y)
            if not all(is_blank(cell(values, c)) for c in (COL_SCORE, COL_LEVEL, COL_REMEDY)):
                pairs.add((ctx.agency_id(agency_raw), y))
        except ValueError:
            pass  # reported with its column when the row is read

    ctx.load_existing(year_ids)
    for kind in KINDS:
        if kind == TOOL:
            # Overall rows created their results; the other rows' results are created here.
            ctx.create_results(pairs, dry_run=dry_run, user=user, reason=reason)
        spec = KIND_SPECS[kind]
        writes = _Writes(spec, ctx=ctx, preview=preview, sheet=sheet, user=user, reason=reason, dry_run=dry_run)
        _import_kind(
            spec,
            by_kind[kind],
            headers=table.headers,
            ctx=ctx,
            preview=preview,
            sheet=sheet,
            letters=letters,
            writes=writes,
        )
    if not dry_run and preview.has_changes:
        # The rows were written in bulk, without the signals that keep the page caches fresh.
        agency_data_touch(agency_ids=touched)


def score_sheet_import(
    *,
    file,
    dry_run: bool,
    user=None,
    filename: str = "",
    expected_digest: str | None = None,
) -> Preview:
    """Import a national score sheet (xlsx or csv). One transaction; written only when all is valid."""
    started = time.monotonic()
    preview = Preview(title="นำเข้าคะแนนระดับประเทศ", filename=filename, dry_run=dry_run)
    try:
        with Book(file, accept_csv=True, name=filename) as book:
            preview.filename = preview.filename or book.name
            preview.notes.extend(book.notes)
            names = book.sheet_names
            if NATIONAL_SHEET in names:
                name = NATIONAL_SHEET
            else:
                data_sheets = [n for n in names if n not in (REFERENCE_SHEET, INSTRUCTIONS_SHEET)]
                if len(data_sheets) != 1:
                    raise FileRefused(
                        f"ไม่พบแผ่นงาน “{NATIONAL_SHEET}” ในไฟล์ (มีแผ่นงาน: {', '.join(names)}) "
                        "กรุณาตั้งชื่อแผ่นงานคะแนนว่า “คะแนน” หรือให้ไฟล์มีแผ่นงานเดียว"
                    )
                name = data_sheets[0]
            table = book.read(name)
    except FileRefused as exc:
        preview.add_problem(Problem(str(exc)))
        preview.seconds = time.monotonic() - started
        return preview
    preview.sheets = [table.sheet]
    structure = match_columns(table, NATIONAL_COLUMNS)
    for p in structure:
        preview.add_problem(p)
    skip = add_table_problems(
        table, preview, label=lambda v: " · ".join(clean_text(x) for x in v[:3] if not is_blank(x))
    )
    if not table.headers or missing_required(structure):
        preview.seconds = time.monotonic() - started
        return preview
    reason = f"นำเข้าคะแนนจากไฟล์ {preview.filename}"[:100]
    if dry_run:
        # The preview only reads (a dry run writes nothing, see _Writes and create_results), so it
        # runs outside any transaction: on SQLite every transaction takes the write lock when it
        # begins (IMMEDIATE), and a long preview inside one would stop every other agency's saves.
        import_score_rows(table=table, ctx=ScoreContext(), preview=preview, skip=skip, dry_run=True)
        preview.dry_run, preview.written = True, False
    else:
        with transaction.atomic():
            ctx = ScoreContext()
            import_score_rows(table=table, ctx=ctx, preview=preview, user=user, reason=reason, skip=skip)
            finish(preview, dry_run=False, expected_digest=expected_digest)
    preview.seconds = time.monotonic() - started
    return preview
