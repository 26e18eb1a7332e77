"""What an import would do (a dry run) or did: every row's status and every problem, in Thai."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction


@dataclass(frozen=True)
class Problem:
    """Something that stops the import, in Thai, with where it is."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""  # the header
    letter: str = ""  # the column letter (A, B, …)

    @property
    def where(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"แผ่นงาน “{self.sheet}”")
        if self.row:
            parts.append(f"แถว {self.row}")
        if self.letter and self.column:
            parts.append(f"คอลัมน์ {self.letter} ({self.column})")
        elif self.letter or self.column:
            parts.append(f"คอลัมน์ {self.letter or self.column}")
        return " ".join(parts)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


NEW, CHANGED, UNCHANGED, ERROR = "new", "changed", "unchanged", "error"
STATUS_LABELS = {NEW: "ใหม่", CHANGED: "เปลี่ยนแปลง", UNCHANGED: "ไม่เปลี่ยนแปลง", ERROR: "ผิดพลาด"}
STATUS_BADGES = {
    NEW: "status-done",
    CHANGED: "status-in_progress",
    UNCHANGED: "status-not_started",
    ERROR: "status-unable",
}


@dataclass
class PreviewRow:
    sheet: str
    row: int
    key: str
    status: str
    changes: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def badge_class(self) -> str:
        """Colours of portal.css: green new, amber changed, grey unchanged, red error."""
        return STATUS_BADGES[self.status]


@dataclass
class Preview:
    """What an import would do (dry run) or did: every row's status and every problem."""

    title: str
    filename: str = ""
    sheets: list[str] = field(default_factory=list)  # in the order rows are shown
    rows: list[PreviewRow] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = True
    written: bool = False
    stale: bool = False  # the database changed since the preview the user confirmed
    seconds: float = 0.0
    context: dict = field(default_factory=dict)  # e.g. agency, year

    def add_problem(self, problem: Problem) -> None:
        self.file_problems.append(problem)

    def add_row(self, row: PreviewRow) -> None:
        self.rows.append(row)

    def sorted_rows(self) -> list[PreviewRow]:
        order = {name: i for i, name in enumerate(self.sheets)}
        return sorted(self.rows, key=lambda r: (order.get(r.sheet, 99), r.row))

    @property
    def problems(self) -> list[Problem]:
        order = {name: i for i, name in enumerate(self.sheets)}
        row_problems = [p for r in self.rows for p in r.problems]
        row_problems.sort(key=lambda p: (order.get(p.sheet, 99), p.row or 0, p.letter))
        return [*self.file_problems, *row_problems]

    @property
    def ok(self) -> bool:
        return not self.file_problems and not any(r.status == ERROR for r in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.rows)
        return {s: c.get(s, 0) for s in STATUS_LABELS}

    def count_items(self) -> list[tuple[str, str, int, str]]:
        """(status, label, count, badge class) for templates."""
        c = self.counts
        return [(s, STATUS_LABELS[s], c[s], STATUS_BADGES[s]) for s in STATUS_LABELS]

    def counts_by_sheet(self) -> list[tuple[str, dict[str, int]]]:
        per: dict[str, Counter] = defaultdict(Counter)
        for r in self.rows:
            per[r.sheet][r.status] += 1
        return [(s, {k: per[s].get(k, 0) for k in STATUS_LABELS}) for s in self.sheets if s in per]

    @property
    def has_changes(self) -> bool:
        return any(r.status in (NEW, CHANGED) for r in self.rows)

    @property
    def rows_per_second(self) -> float:
        return len(self.rows) / self.seconds if self.seconds else 0.0

    def digest(self) -> str:
        """A fingerprint of what the import does: the confirm step refuses to write something else."""
        h = hashlib.sha256()
        for r in self.sorted_rows():
            h.update(f"{r.sheet}\x1f{r.row}\x1f{r.key}\x1f{r.status}\x1f{'|'.join(r.changes)}\x1e".encode())
        for p in self.problems:
            h.update(str(p).encode())
        return h.hexdigest()

    def summary(self) -> str:
        c = self.counts
        return (
            f"ทั้งหมด {len(self.rows):,} แถว: ใหม่ {c[NEW]:,} · เปลี่ยนแปลง {c[CHANGED]:,} · "
            f"ไม่เปลี่ยนแปลง {c[UNCHANGED]:,} · ผิดพลาด {c[ERROR]:,}"
        )


def preview_lines(preview: Preview, *, rows: bool = True, changes: bool = True, limit: int | None = None) -> list[str]:
    """The preview as plain text lines (management commands print these)."""
    mode = "ตรวจสอบอย่างเดียว ไม่บันทึก" if preview.dry_run else "นำเข้า"
    lines = [f"{preview.title}: {preview.filename or '-'} ({mode})"]
    if rows:
        shown = preview.sorted_rows()
        if limit is not None:
            shown = [r for r in shown if r.status != UNCHANGED][:limit]
        for r in shown:
            lines.append(f"  {r.sheet} แถว {r.row:<6} {r.status_label:<16} {r.key}")
            if changes:
                lines.extend(f"      {c}" for c in r.changes)
    for note in preview.notes:
        lines.append(f"หมายเหตุ: {note}")
    problems = preview.problems
    if problems:
        lines.append(f"ข้อผิดพลาด {len(problems):,} รายการ:")
        lines.extend(f"  - {p}" for p in problems)
    for sheet, c in preview.counts_by_sheet():
        lines.append(
            f"  {sheet}: ใหม่ {c[NEW]:,} · เปลี่ยนแปลง {c[CHANGED]:,} · ไม่เปลี่ยนแปลง {c[UNCHANGED]:,} · ผิดพลาด {c[ERROR]:,}"
        )
    lines.append(f"สรุป: {preview.summary()}")
    if preview.written:
        lines.append("บันทึกข้อมูลแล้ว")
    elif preview.stale:
        lines.append("ไม่ได้บันทึก: ข้อมูลในระบบเปลี่ยนไปหลังจากที่ตรวจสอบ กรุณาตรวจสอบตัวอย่างใหม่อีกครั้ง")
    elif not preview.ok:
        lines.append("ไม่ได้บันทึกข้อมูลใดเลย เพราะมีข้อผิดพลาด กรุณาแก้ไขไฟล์แล้วนำเข้าใหม่")
    else:
        lines.append("ไม่ได้บันทึก (ตรวจสอบอย่างเดียว)")
    rate = f" ({preview.rows_per_second:,.0f} แถว/วินาที)" if preview.seconds else ""
    lines.append(f"เวลา {preview.seconds:.1f} วินาที{rate}")
    return lines


def finish(preview: Preview, *, dry_run: bool, expected_digest: str | None = None) -> None:
    """Inside the import's transaction: keep the writes only for a real, valid, confirmed import."""
    preview.dry_run = dry_run
    if expected_digest and preview.ok and preview.digest() != expected_digest:
        preview.stale = True
    if dry_run or not preview.ok or preview.stale:
        transaction.set_rollback(True)
        preview.written = False
    else:
        preview.written = True
