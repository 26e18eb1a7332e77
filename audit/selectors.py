"""Reads for the agency's audit trail: who changed what, when, from django-simple-history records.

Every historical record of the agency's objects (the agency, divisions, memberships and roles,
plans, measures, activities, progress, photos, links, scores, reports and their state changes) and
every published version, newest first. The list is one UNION query, paginated; a page's rows are
then read with one query per kind of record, their previous versions with one more, and the names
they refer to with one per related table: a fixed number of queries per page whatever the size of
the history.

It is a top app because it reads every app's models (apps depend one way:
audit, reports → measures → assessments → agencies).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models
from django.db.models import F, IntegerField, Subquery, Value
from simple_history.utils import get_m2m_reverse_field_name

from agencies.models import AccountEvent, Agency, Division, Membership
from assessments.models import AssessmentResult, IndicatorScore, QuestionScore, ToolScore
from ita_portal import thai
from measures.models import Activity, EvidenceLink, EvidencePhoto, Measure, Plan, Progress, Round
from oit.models import OitEvidence
from reports.models import Kind, PublishedVersion, Report

PAGE_SIZE = 50
ACTIONS = {"+": "สร้าง", "~": "แก้ไข", "-": "ลบ"}
# Bookkeeping fields that change on every save and say nothing to a reader.
SKIP_FIELDS = {"version", "updated_at", "updated_by", "print_image", "uploaded_at", "copied_from"}


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    model: type[models.Model] | None  # None: published versions and account events (not history tables)


SOURCES = [
    Source("agency", "หน่วยงาน", Agency),
    Source("division", "กอง/สำนัก", Division),
    Source("membership", "ผู้ใช้และบทบาท", Membership),
    Source("plan", "บทนำ ข้อเสนอแนะ และผู้ลงนาม", Plan),
    Source("measure", "มาตรการ", Measure),
    Source("activity", "กิจกรรม", Activity),
    Source("progress", "ผลการดำเนินการ", Progress),
    Source("photo", "ภาพหลักฐาน", EvidencePhoto),
    Source("link", "ลิงก์หลักฐาน", EvidenceLink),
    Source("result", "ผลการประเมิน", AssessmentResult),
    Source("tool_score", "คะแนนรายแบบวัด", ToolScore),
    Source("indicator_score", "คะแนนรายตัวชี้วัด", IndicatorScore),
    Source("question_score", "คะแนนรายข้อคำถาม", QuestionScore),
    Source("report", "รายงาน", Report),
    Source("oit_evidence", "หลักฐาน OIT", OitEvidence),
    Source("published", "รายงานที่เผยแพร่", None),
    Source("account", "บัญชีผู้ใช้ (รหัสผ่าน อีเมล การปลดล็อก)", None),
]
BY_KEY = {s.key: s for s in SOURCES}


def _history_querysets(agency: Agency) -> dict[str, models.QuerySet]:
    """Each source's records that belong to the agency, including those of deleted objects."""
    measure_ids = Measure.history.filter(agency_id=agency.id).values("id")
    progress_ids = Progress.history.filter(measure_id__in=Subquery(measure_ids)).values("id")
    result_ids = AssessmentResult.history.filter(agency_id=agency.id).values("id")
    return {
        "agency": Agency.history.filter(id=agency.id),
        "division": Division.history.filter(agency_id=agency.id),
        "membership": Membership.history.filter(agency_id=agency.id),
        "plan": Plan.history.filter(agency_id=agency.id),
        "measure": Measure.history.filter(agency_id=agency.id),
        "activity": Activity.history.filter(measure_id__in=Subquery(measure_ids)),
        "progress": Progress.history.filter(measure_id__in=Subquery(measure_ids)),
        "photo": EvidencePhoto.history.filter(progress_id__in=Subquery(progress_ids)),
        "link": EvidenceLink.history.filter(progress_id__in=Subquery(progress_ids)),
        "result": AssessmentResult.history.filter(agency_id=agency.id),
        "tool_score": ToolScore.history.filter(result_id__in=Subquery(result_ids)),
        "indicator_score": IndicatorScore.history.filter(result_id__in=Subquery(result_ids)),
        "question_score": QuestionScore.history.filter(result_id__in=Subquery(result_ids)),
        "report": Report.history.filter(agency_id=agency.id),
        "oit_evidence": OitEvidence.history.filter(agency_id=agency.id),
        "published": PublishedVersion.objects.filter(report__agency_id=agency.id),
        "account": AccountEvent.objects.filter(agency_id=agency.id),
    }


def audit_entries(agency: Agency, *, only: str | None = None):
    """(row id, date, source index) of the agency's records, newest first: one UNION query."""
    parts = []
    for i, (key, qs) in enumerate(_history_querysets(agency).items()):
        if only and key != only:
            continue
        if key == "published":
            qs = qs.annotate(hid=F("id"), hdate=F("published_at"))
        elif key == "account":
            qs = qs.annotate(hid=F("id"), hdate=F("created_at"))
        else:
            qs = qs.annotate(hid=F("history_id"), hdate=F("history_date"))
        qs = qs.annotate(src=Value(i, output_field=IntegerField())).order_by()
        parts.append(qs.values_list("hid", "hdate", "src"))
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return combined.order_by("-hdate", "-hid")


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    when: object
    who: str
    action: str
    kind: str
    item: str
    changes: list[Change] = field(default_factory=list)
    note: str = ""


class _Names:
    """Names of related rows, read in one query per related model for the whole page."""

    def __init__(self):
        self.wanted: dict[type, set] = defaultdict(set)
        self.found: dict[type, dict] = {}

    def want(self, model, pk):
        if pk is not None:
            self.wanted[model].add(pk)

    def load(self):
        for model, pks in self.wanted.items():
            self.found[model] = model._default_manager.in_bulk(list(pks))

    def name(self, model, pk) -> str:
        if pk is None:
            return "–"
        obj = self.found.get(model, {}).get(pk)
        if obj is None:
            return f"(ถูกลบแล้ว) #{pk}"
        return _short(_object_name(obj))


def _object_name(obj) -> str:
    if hasattr(obj, "get_full_name"):
        return obj.get_full_name() or obj.get_username()
    if isinstance(obj, Measure | Activity):
        return obj.title
    return str(obj)


def _short(text, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _value(f: models.Field, value, names: _Names) -> str:
    if value is None or value == "":
        return "–"
    if getattr(f, "choices", None):
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.ForeignKey):
        return names.name(f.related_model, value)
    if isinstance(f, models.BooleanField):
        return "ใช่" if value else "ไม่ใช่"
    if isinstance(f, models.DateTimeField):
        return _short(value)
    if isinstance(f, models.DateField):
        return thai.thai_date(value, short=True)
    if isinstance(f, models.FileField):
        return "ไฟล์ " + str(value).rsplit("/", 1)[-1]
    return _short(value)


# The related row that names a record of a source (a progress entry by its measure, …).
LABEL_FK = {
    "membership": "user",
    "progress": "measure",
    "tool_score": "tool",
    "indicator_score": "indicator",
    "question_score": "question",
}


def _related(key: str, name: str):
    return BY_KEY[key].model._meta.get_field(name).related_model


def _label_name(key: str, rec, names: "_Names") -> str:
    name = LABEL_FK[key]
    return names.name(_related(key, name), getattr(rec, f"{name}_id"))


def _item(key: str, rec, names: _Names, years: dict) -> str:
    if key == "agency":
        return rec.name
    if key == "division":
        return rec.name
    if key == "membership":
        role = dict(Membership._meta.get_field("role").flatchoices).get(rec.role, rec.role)
        return f"{_label_name(key, rec, names)} · {role}"
    if key == "plan":
        return f"ปีงบประมาณ {years.get(rec.year_id, '')}"
    if key in ("measure", "activity"):
        return _short(rec.title or getattr(rec, "focus", "") or f"#{rec.id}")
    if key == "progress":
        label = Round(rec.round).label if rec.round in Round.values else rec.round
        return f"{label} · {_label_name(key, rec, names)}"
    if key == "photo":
        return _short(rec.caption or "ภาพ")
    if key == "link":
        return _short(rec.label or rec.url)
    if key == "result":
        return f"ปีงบประมาณ {years.get(rec.year_id, '')}"
    if key == "tool_score":
        return f"แบบวัด {_label_name(key, rec, names)}"
    if key == "indicator_score":
        return _label_name(key, rec, names)
    if key == "question_score":
        return f"ข้อ {_label_name(key, rec, names)}"
    if key == "report":
        kind = Kind(rec.kind).label if rec.kind in Kind.values else rec.kind
        return f"{kind} ปี {years.get(rec.year_id, '')}"
    return str(rec)


def _m2m_accessor(history_model, f) -> str:
    """The reverse accessor from a historical record to its rows of an m2m field's history
    (prefetchable, unlike the record's `divisions` property)."""
    for rel in history_model._meta.related_objects:
        if rel.related_model.__name__ == f"{history_model.__name__}_{f.name}":
            return rel.get_accessor_name()
    raise LookupError(f.name)


def _m2m_ids(rec, f) -> set:
    reverse = get_m2m_reverse_field_name(f)
    return {getattr(row, f"{reverse}_id") for row in getattr(rec, _m2m_accessor(type(rec), f)).all()}


def _diff(key: str, rec, prev, names: _Names) -> list[Change]:
    model = BY_KEY[key].model
    changes = []
    for f in model._meta.concrete_fields:
        if f.name in SKIP_FIELDS or f.primary_key or not f.editable:
            continue
        old, new = getattr(prev, f.attname), getattr(rec, f.attname)
        if old != new:
            changes.append(Change(str(f.verbose_name), _value(f, old, names), _value(f, new, names)))
    for f in rec._history_m2m_fields:
        old, new = _m2m_ids(prev, f), _m2m_ids(rec, f)
        if old != new:
            old_names, new_names = ({names.name(f.related_model, i) for i in ids} for ids in (old, new))
            changes.append(
                Change(str(f.verbose_name), ", ".join(sorted(old_names)) or "–", ", ".join(sorted(new_names)) or "–")
            )
    return changes


def _want_diff_names(key: str, rec, prev, names: _Names) -> None:
    model = BY_KEY[key].model
    for f in model._meta.concrete_fields:
        if isinstance(f, models.ForeignKey) and f.name not in SKIP_FIELDS:
            for r in (rec, prev):
                if r is not None:
                    names.want(f.related_model, getattr(r, f.attname))
    for f in rec._history_m2m_fields:
        for r in (rec, prev):
            if r is not None:
                for pk in _m2m_ids(r, f):
                    names.want(f.related_model, pk)


def audit_entries_for_page(rows) -> list[Entry]:
    """Turn a page of (row id, date, source index) into readable entries."""
    from assessments.models import FiscalYear

    keys = [s.key for s in SOURCES]
    by_source: dict[str, list[int]] = defaultdict(list)
    for hid, _date, src in rows:
        by_source[keys[src]].append(hid)
    records: dict[tuple[str, int], object] = {}
    previous: dict[tuple[str, int], object] = {}
    names = _Names()
    for key, ids in by_source.items():
        if key == "published":
            qs = PublishedVersion.objects.filter(id__in=ids).select_related("report__year", "published_by")
            for v in qs:
                records[(key, v.id)] = v
            continue
        if key == "account":
            for e in AccountEvent.objects.filter(id__in=ids).select_related("actor", "user"):
                records[(key, e.id)] = e
            continue
        model = BY_KEY[key].model
        history_model = model.history.model
        m2m = [_m2m_accessor(history_model, f) for f in getattr(history_model, "_history_m2m_fields", [])]
        recs = list(model.history.filter(history_id__in=ids).select_related("history_user").prefetch_related(*m2m))
        for r in recs:
            records[(key, r.history_id)] = r
        changed = [r for r in recs if r.history_type == "~"]
        if changed:
            latest = max(r.history_date for r in changed)
            candidates = defaultdict(list)
            for c in (
                model.history.filter(id__in={r.id for r in changed}, history_date__lte=latest)
                .order_by("history_date", "history_id")
                .prefetch_related(*m2m)
            ):
                candidates[c.id].append(c)
            for r in changed:
                earlier = [
                    c for c in candidates[r.id] if (c.history_date, c.history_id) < (r.history_date, r.history_id)
                ]
                if earlier:
                    previous[(key, r.history_id)] = earlier[-1]
        for r in recs:
            if key in LABEL_FK:
                names.want(_related(key, LABEL_FK[key]), getattr(r, f"{LABEL_FK[key]}_id"))
            if r.history_type == "~":
                _want_diff_names(key, r, previous.get((key, r.history_id)), names)
    names.load()
    years = dict(FiscalYear.objects.values_list("id", "be_year"))
    entries = []
    for hid, _date, src in rows:
        key = keys[src]
        rec = records.get((key, hid))
        if rec is None:
            continue
        if key == "published":
            entries.append(
                Entry(
                    when=rec.published_at,
                    who=_who(rec.published_by),
                    action="เผยแพร่",
                    kind=BY_KEY[key].label,
                    item=f"{rec.report.get_kind_display()} ปี {rec.report.year.be_year} ฉบับที่ {rec.version}",
                    note=f"SHA-256 {rec.sha256}",
                )
            )
            continue
        if key == "account":
            entries.append(
                Entry(
                    when=rec.created_at,
                    who=_who(rec.actor),
                    action=rec.get_action_display(),
                    kind=BY_KEY[key].label,
                    item=_who(rec.user) if rec.user else rec.username,
                    note=rec.note,
                )
            )
            continue
        entry = Entry(
            when=rec.history_date,
            who=_who(rec.history_user),
            action=ACTIONS.get(rec.history_type, rec.history_type),
            kind=BY_KEY[key].label,
            item=_item(key, rec, names, years),
        )
        if rec.history_type == "~":
            prev = previous.get((key, hid))
            entry.changes = _diff(key, rec, prev, names) if prev is not None else []
            if not entry.changes:
                entry.note = "บันทึกซ้ำโดยไม่มีการเปลี่ยนแปลงข้อมูล" if prev is not None else ""
        if rec.history_change_reason:
            entry.note = _short(rec.history_change_reason)
        entries.append(entry)
    return entries


def _who(user) -> str:
    if user is None:
        return "ระบบ"
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()
