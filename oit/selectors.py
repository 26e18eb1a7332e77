"""Reads of the OIT pages: the index of a year (items and their evidence), readiness, snapshots.

Published reports answer the items whose rule (`OitItem.auto_kinds`) names their kind: the
index computes them from the published versions, nothing is copied.
"""

import datetime
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency
from assessments.models import FiscalYear
from ita_portal.thai import thai_date
from reports.models import Kind, PublishedVersion

from .models import LinkCheck, OitEvidence, OitItem, OitSnapshot, Source


@dataclass
class EvidenceRow:
    title: str
    source: str
    url: str
    auto: bool = False
    evidence: OitEvidence | None = None
    report_be_year: int | None = None
    division: str = ""
    sha256: str = ""
    problem: str = ""
    checked_at: datetime.datetime | None = None
    check_ok: bool | None = None

    @property
    def source_label(self) -> str:
        return Source(self.source).label


@dataclass
class ItemRow:
    item: OitItem
    evidence: list[EvidenceRow] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return any(not e.problem for e in self.evidence)

    @property
    def problems(self) -> list[str]:
        if not self.evidence:
            return ["ยังไม่มีหลักฐาน"]
        return [f"{e.title}: {e.problem}" for e in self.evidence if e.problem]


def fiscal_year_with_items(*, be_year: int) -> FiscalYear | None:
    return FiscalYear.objects.filter(be_year=be_year, oit_items__isnull=False).distinct().first()


def latest_year_with_items() -> FiscalYear | None:
    return FiscalYear.objects.filter(oit_items__isnull=False).distinct().order_by("-be_year").first()


def items_of_year(*, year: FiscalYear) -> list[OitItem]:
    return list(OitItem.objects.filter(year=year).select_related("year").order_by("order", "id"))


def public_agency(*, code: str) -> Agency | None:
    """The agency if it has published anything (a report version or OIT evidence); else None.

    Unknown agencies and agencies with nothing published look the same to the public.
    """
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        return None
    published = (
        PublishedVersion.objects.filter(report__agency=agency).exists()
        or OitEvidence.objects.filter(agency=agency).exists()
    )
    return agency if published else None


def _latest_checks() -> QuerySet[LinkCheck]:
    return LinkCheck.objects.filter(evidence=OuterRef("pk")).order_by("-checked_at", "-id")


def report_problem(*, item: OitItem, kind: str, be_year: int) -> str:
    """Why a published report of this kind and year does not answer the item ("" when it does).

    An item with a rule is answered by the reports its rule names (O42 of 2566: the analysis of
    2565, which carries the 2566 measures); an item without one by a report of its evidence year.
    """
    rules = item.auto_rules()
    if (kind, be_year) in rules or (not rules and be_year == item.evidence_be_year):
        return ""
    years = [y for k, y in rules if k == kind] or [item.evidence_be_year]
    if be_year not in years:
        return f"เป็นรายงานของปีงบประมาณ พ.ศ. {be_year} แต่ข้อนี้ต้องใช้หลักฐานของปี พ.ศ. {years[0]}"
    wanted = " หรือ ".join(dict.fromkeys(Kind(k).label for k, _y in rules))
    return f"{Kind(kind).label}ไม่ใช่หลักฐานของข้อนี้ (ข้อนี้ใช้{wanted})"


def evidence_problem(*, item: OitItem, evidence: OitEvidence, check_ok: bool | None, check_problem: str) -> str:
    """Why this evidence does not answer the item (empty when it does, as far as is known)."""
    if evidence.source == Source.REPORT:
        return report_problem(item=item, kind=evidence.report.kind, be_year=evidence.report.year.be_year)
    if evidence.source == Source.URL and check_ok is False:
        return f"ลิงก์ใช้ไม่ได้: {check_problem}"
    return ""


def _evidence_queryset() -> QuerySet[OitEvidence]:
    latest = _latest_checks()
    return (
        OitEvidence.objects.select_related("report__year", "division", "item__year")
        .annotate(
            check_ok=Subquery(latest.values("ok")[:1]),
            check_problem=Subquery(latest.values("problem")[:1]),
            checked_at=Subquery(latest.values("checked_at")[:1]),
        )
        .order_by("item__order", "added_at", "id")
    )


def _auto_years(items: list[OitItem]) -> set[int]:
    return {y for item in items for _kind, y in item.auto_rules()}


def _published_latest(*, agencies, years: set[int]) -> dict[tuple[int, str, int], PublishedVersion]:
    """(agency id, kind, be_year) → latest published version (one query)."""
    found: dict[tuple[int, str, int], PublishedVersion] = {}
    if not years:
        return found
    versions = (
        PublishedVersion.objects.filter(report__agency__in=agencies, report__year__be_year__in=years)
        .select_related("report__year")
        .order_by("-version")
    )
    for v in versions:
        found.setdefault((v.report.agency_id, v.report.kind, v.report.year.be_year), v)
    return found


def _report_url(code: str, be_year: int, kind: str) -> str:
    return reverse("reports:public_pdf", kwargs={"code": code, "be_year": be_year, "kind": kind})


def file_url(evidence: OitEvidence) -> str:
    return reverse(
        "oit:public_file",
        kwargs={
            "code": evidence.agency.code,
            "be_year": evidence.item.year.be_year,
            "pk": evidence.pk,
            "ext": evidence.file_ext,
        },
    )


def _row(agency: Agency, item: OitItem, ev: OitEvidence) -> EvidenceRow:
    ev.agency = agency
    row = EvidenceRow(
        title=ev.title,
        source=ev.source,
        url="",
        evidence=ev,
        division=ev.division.name if ev.division else "",
        checked_at=getattr(ev, "checked_at", None),
        check_ok=getattr(ev, "check_ok", None),
        problem=evidence_problem(
            item=item, evidence=ev, check_ok=getattr(ev, "check_ok", None), check_problem=ev.check_problem or ""
        ),
    )
    if ev.source == Source.REPORT:
        row.report_be_year = ev.report.year.be_year
        row.url = _report_url(agency.code, ev.report.year.be_year, ev.report.kind)
    elif ev.source == Source.FILE:
        row.url = file_url(ev)
        row.sha256 = ev.file_sha256
    else:
        row.url = ev.url
    return row


def auto_title(kind: str, be_year: int) -> str:
    title = f"{Kind(kind).label} ปีงบประมาณ พ.ศ. {be_year}"
    if kind == Kind.ANALYSIS:  # the analysis of a year carries the next year's measures (docs/domain.md §4)
        title += f" และมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ปีงบประมาณ พ.ศ. {be_year + 1}"
    return title


def _auto_rows(agency: Agency, item: OitItem, published: dict) -> list[EvidenceRow]:
    rows = []
    for kind, be_year in item.auto_rules():
        v = published.get((agency.id, kind, be_year))
        if v is not None:
            rows.append(
                EvidenceRow(
                    title=auto_title(kind, be_year),
                    source=Source.REPORT,
                    url=_report_url(agency.code, be_year, kind),
                    auto=True,
                    report_be_year=be_year,
                    sha256=v.sha256,
                )
            )
    return rows


def oit_index(*, agency: Agency, year: FiscalYear) -> list[ItemRow]:
    """Every item of the year in order with its evidence: 3 queries whatever the size."""
    items = items_of_year(year=year)
    published = _published_latest(agencies=[agency.id], years=_auto_years(items))
    by_item: dict[int, list[OitEvidence]] = {}
    for ev in _evidence_queryset().filter(agency=agency, item__year=year):
        by_item.setdefault(ev.item_id, []).append(ev)
    return [
        ItemRow(
            item=item,
            evidence=_auto_rows(agency, item, published) + [_row(agency, item, ev) for ev in by_item.get(item.id, [])],
        )
        for item in items
    ]


def index_document(*, agency: Agency, year: FiscalYear, rows: list[ItemRow]) -> dict:
    """The index as JSON-ready data (public JSON, CSV and snapshots); links are absolute."""

    def absolute(url: str) -> str:
        return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url

    return {
        "agency": {"code": agency.code, "name": agency.name},
        "fiscal_year": year.be_year,
        "items": [
            {
                "code": r.item.code,
                "order": r.item.order,
                "title": r.item.title,
                "sub_indicator": r.item.sub_indicator,
                "period": r.item.period,
                "period_label": r.item.get_period_display(),
                "evidence_year": r.item.evidence_be_year,
                "anchor": f"{settings.SITE_URL}{reverse('oit:public', args=[agency.code, year.be_year])}#{r.item.code}",
                "evidence": [
                    {
                        "title": e.title,
                        "source": e.source,
                        "source_label": e.source_label,
                        "url": absolute(e.url),
                        "automatic": e.auto,
                        **({"sha256": e.sha256} if e.sha256 else {}),
                    }
                    for e in r.evidence
                ],
            }
            for r in rows
        ],
    }


def readiness_summary(rows: list[ItemRow]) -> tuple[int, int]:
    return sum(1 for r in rows if r.ready), len(rows)


def readiness_by_agency(*, agencies: QuerySet[Agency], year: FiscalYear) -> dict[int, tuple[int, int]]:
    """agency id → (items ready, items of the year), by the rule of `ItemRow.ready` (3 queries)."""
    items = items_of_year(year=year)
    if not items:
        return {}
    by_id = {i.id: i for i in items}
    ready: dict[int, set[int]] = {}
    evidence = _evidence_queryset().filter(agency__in=agencies, item__year=year)
    for ev in evidence:
        item = by_id[ev.item_id]
        if not evidence_problem(item=item, evidence=ev, check_ok=ev.check_ok, check_problem=ev.check_problem or ""):
            ready.setdefault(ev.agency_id, set()).add(item.id)
    published = _published_latest(agencies=agencies, years=_auto_years(items))
    for agency_id, kind, be_year in published:
        for item in items:
            if (kind, be_year) in item.auto_rules():
                ready.setdefault(agency_id, set()).add(item.id)
    return {agency_id: (len(ids), len(items)) for agency_id, ids in ready.items()}


def url_evidence_to_check(*, agency: Agency | None = None, be_year: int | None = None) -> QuerySet[OitEvidence]:
    qs = OitEvidence.objects.filter(source=Source.URL).select_related("item__year")
    if agency is not None:
        qs = qs.filter(agency=agency)
    if be_year is not None:
        qs = qs.filter(item__year__be_year=be_year)
    return qs.order_by("id")


def snapshots_of(*, agency: Agency, year: FiscalYear) -> list[OitSnapshot]:
    return list(OitSnapshot.objects.filter(agency=agency, year=year).order_by("-number"))


def snapshot_find(
    *, agency: Agency, year: FiscalYear, number: int | None = None, as_of: datetime.date | None = None
) -> OitSnapshot | None:
    qs = OitSnapshot.objects.filter(agency=agency, year=year)
    if number is not None:
        return qs.filter(number=number).first()
    end = datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time.min)
    return qs.filter(created_at__lt=timezone.make_aware(end)).order_by("-number").first()


def snapshot_document(snapshot: OitSnapshot) -> dict:
    with default_storage.open(snapshot.path, "rb") as fh:
        return json.loads(fh.read().decode("utf-8"))


def snapshot_file(snapshot: OitSnapshot, *, key: str) -> tuple[dict, bytes] | None:
    """A file frozen with the snapshot ("<pk>.<ext>"): its entry and the bytes of the snapshot's copy."""
    entry = snapshot_document(snapshot).get("files", {}).get(key)
    if not entry:
        return None
    with default_storage.open(entry["path"], "rb") as fh:
        return entry, fh.read()


def snapshot_label(snapshot: OitSnapshot) -> str:
    return f"ฉบับที่ {snapshot.number} บันทึกเมื่อ {thai_date(timezone.localtime(snapshot.created_at).date())}"
