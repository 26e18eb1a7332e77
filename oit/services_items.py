"""Writes of a year's OIT list (the items as data): a year started from another year's list, and
the national staff's edits — items added, changed, moved and removed.

Who may do this is decided by the views (assessments' `years_require_admin`, the rule of the
fiscal-years pages); these functions write. The list is data per year (docs/domain.md §8): NACC
renumbers and regroups, so each item may name the item of an earlier year it continues.
"""

import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from assessments.models import FiscalYear
from reports.models import Kind

from .models import OitItem, Period
from .services import ServiceError

CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9.\-]{0,9}$")  # O1 … O43: also the page's anchor (#O26)
RULE_OFFSETS = (0, -1)


@dataclass
class ItemData:
    code: str
    title: str
    criteria: str = ""
    sub_indicator: str = ""
    period: str = Period.CURRENT
    predecessor: OitItem | None = None
    auto_kinds: list | None = None


def source_year_for(*, target: FiscalYear) -> FiscalYear | None:
    """The year a new list starts from: the nearest earlier year that has a list."""
    return (
        FiscalYear.objects.filter(be_year__lt=target.be_year, oit_items__isnull=False)
        .distinct()
        .order_by("-be_year")
        .first()
    )


@transaction.atomic
def oit_items_copy(*, source: FiscalYear, target: FiscalYear) -> list[OitItem]:
    """Start a year's OIT list from another year's: each item copied with `predecessor` set.

    The copy is a starting point to edit on the national OIT page (NACC changes the list from
    year to year). Refused when the target already has a list, so nothing is copied twice.
    """
    FiscalYear.objects.select_for_update().get(pk=target.pk)  # two copies at once: one waits, then refuses
    if OitItem.objects.filter(year=target).exists():
        raise ServiceError(f"ปีงบประมาณ {target.be_year} มีรายการข้อ OIT แล้ว")
    items = list(OitItem.objects.filter(year=source).order_by("order", "id"))
    if not items:
        raise ServiceError(f"ปีงบประมาณ {source.be_year} ยังไม่มีรายการข้อ OIT")
    return [
        OitItem.objects.create(
            year=target,
            code=i.code,
            order=i.order,
            title=i.title,
            criteria=i.criteria,
            sub_indicator=i.sub_indicator,
            period=i.period,
            auto_kinds=i.auto_kinds,
            predecessor=i,
        )
        for i in items
    ]


def oit_items_copy_on_year_open(*, year: FiscalYear, source: FiscalYear, **_signal) -> list[OitItem]:
    """A year opened on /national/years/ (assessments' `fiscal_year_opened`): its OIT list starts
    as a copy of the list it was opened from, or of the nearest earlier list when that year has
    none. Idempotent: a year that has a list keeps it."""
    if OitItem.objects.filter(year=year).exists():
        return []
    if not OitItem.objects.filter(year=source).exists():
        source = source_year_for(target=year)
    if source is None:
        return []
    return oit_items_copy(source=source, target=year)


def _clean(*, year: FiscalYear, data: ItemData, item: OitItem | None) -> ItemData:
    data.code = (data.code or "").strip()
    data.title = " ".join((data.title or "").split())
    if not CODE_RE.match(data.code):
        raise ServiceError("รหัสข้อต้องขึ้นต้นด้วยตัวอักษรภาษาอังกฤษ ตามด้วยตัวเลข เช่น O26 (ไม่เกิน 10 ตัวอักษร)")
    if not data.title:
        raise ServiceError("กรุณาระบุชื่อข้อ")
    taken = OitItem.objects.filter(year=year, code__iexact=data.code)
    if item is not None:
        taken = taken.exclude(pk=item.pk)
    if taken.exists():
        raise ServiceError(f"ปีงบประมาณ {year.be_year} มีข้อ {data.code} อยู่แล้ว")
    if data.period not in Period.values:
        raise ServiceError("กรุณาเลือกช่วงเวลาของหลักฐาน")
    if data.predecessor is not None and data.predecessor.year.be_year >= year.be_year:
        raise ServiceError("ข้อที่ตรงกันต้องเป็นข้อของปีก่อนหน้า")
    rules = []
    for rule in data.auto_kinds or []:
        if rule.get("kind") not in Kind.values or rule.get("year_offset") not in RULE_OFFSETS:
            raise ServiceError("กฎการเชื่อมรายงานอัตโนมัติไม่ถูกต้อง")
        if rule not in rules:
            rules.append({"kind": rule["kind"], "year_offset": rule["year_offset"]})
    data.auto_kinds = rules
    return data


def _write(item: OitItem, data: ItemData) -> OitItem:
    item.code, item.title, item.criteria = data.code, data.title, (data.criteria or "").strip()
    item.sub_indicator, item.period = (data.sub_indicator or "").strip(), data.period
    item.predecessor, item.auto_kinds = data.predecessor, data.auto_kinds
    item.save()
    return item


@transaction.atomic
def oit_item_create(*, year: FiscalYear, data: ItemData) -> OitItem:
    """Add an item at the end of the year's list."""
    FiscalYear.objects.select_for_update().get(pk=year.pk)
    data = _clean(year=year, data=data, item=None)
    last = OitItem.objects.filter(year=year).aggregate(n=Max("order"))["n"] or 0
    return _write(OitItem(year=year, order=last + 1), data)


@transaction.atomic
def oit_item_update(*, item: OitItem, data: ItemData) -> OitItem:
    FiscalYear.objects.select_for_update().get(pk=item.year_id)
    item = OitItem.objects.select_related("year").get(pk=item.pk)
    return _write(item, _clean(year=item.year, data=data, item=item))


@transaction.atomic
def oit_item_move(*, item: OitItem, step: int) -> None:
    """Move an item one place up (step -1) or down (+1); the year's order is renumbered 1…n."""
    FiscalYear.objects.select_for_update().get(pk=item.year_id)
    items = list(OitItem.objects.filter(year_id=item.year_id).order_by("order", "id"))
    i = next(n for n, it in enumerate(items) if it.pk == item.pk)
    j = i + (1 if step > 0 else -1)
    if 0 <= j < len(items):
        items[i], items[j] = items[j], items[i]
    for order, it in enumerate(items, start=1):
        if it.order != order:
            it.order = order
            it.save(update_fields=["order"])


@transaction.atomic
def oit_item_delete(*, item: OitItem) -> None:
    """Remove an item no agency has used; next year's items that continued it keep no predecessor."""
    FiscalYear.objects.select_for_update().get(pk=item.year_id)
    used = item.evidence.count()
    if used:
        raise ServiceError(f"ข้อ {item.code} มีหลักฐานของหน่วยงานแล้ว {used} รายการ จึงนำออกไม่ได้")
    item.delete()
