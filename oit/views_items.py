"""The national staff's pages for a year's OIT list: /national/years/<year>/oit/ (beside the
fiscal-year pages of assessments, which this app may name but not the other way round).

Who: the rule of the fiscal-years pages (assessments' `years_require_admin`: Django staff and
users with a national oversight scope). Every change is kept in the items' history.
"""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments.models import FiscalYear
from assessments.services_years import years_require_admin
from reports.models import Kind

from . import services_items
from .forms_items import ItemsCopyForm, OitItemForm
from .models import OitItem
from .services import ServiceError


def _year(be_year: int) -> FiscalYear:
    return get_object_or_404(FiscalYear, be_year=be_year)


def _copy_sources(year: FiscalYear) -> list[int]:
    return list(
        FiscalYear.objects.filter(oit_items__isnull=False)
        .exclude(pk=year.pk)
        .distinct()
        .order_by("-be_year")
        .values_list("be_year", flat=True)
    )


def years(request):
    years_require_admin(request.user)
    rows = FiscalYear.objects.annotate(n_items=Count("oit_items")).order_by("-be_year")
    return render(request, "oit/national_years.html", {"years": rows})


def items(request, be_year: int):
    years_require_admin(request.user)
    year = _year(be_year)
    rows = list(
        OitItem.objects.filter(year=year)
        .select_related("predecessor__year", "year")
        .annotate(n_evidence=Count("evidence"))
        .order_by("order", "id")
    )
    for item in rows:
        item.rule_labels = [f"{Kind(kind).label} ปี {be_year}" for kind, be_year in item.auto_rules()]
    sources = [] if rows else _copy_sources(year)
    context = {"year": year, "items": rows, "copy_form": ItemsCopyForm(years=sources) if sources else None}
    return render(request, "oit/national_items.html", context)


@require_POST
def items_copy(request, be_year: int):
    years_require_admin(request.user)
    year = _year(be_year)
    form = ItemsCopyForm(request.POST, years=_copy_sources(year))
    if not form.is_valid():
        messages.error(request, "กรุณาเลือกปีที่มีรายการข้อ OIT")
        return redirect("oit:national_items", be_year=be_year)
    try:
        copied = services_items.oit_items_copy(source=_year(form.cleaned_data["source"]), target=year)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"คัดลอก {len(copied)} ข้อจากปี {form.cleaned_data['source']} แล้ว")
    return redirect("oit:national_items", be_year=be_year)


def _item_form(request, year: FiscalYear, item: OitItem | None):
    form = OitItemForm(request.POST or None, year=year, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            if item is None:
                item = services_items.oit_item_create(year=year, data=form.item_data())
            else:
                item = services_items.oit_item_update(item=item, data=form.item_data())
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"บันทึกข้อ {item.code} ของปี {year.be_year} แล้ว")
            return redirect(reverse("oit:national_items", args=[year.be_year]) + f"#{item.code}")
    return render(request, "oit/national_item_form.html", {"year": year, "item": item, "form": form})


def item_add(request, be_year: int):
    years_require_admin(request.user)
    return _item_form(request, _year(be_year), None)


def item_edit(request, be_year: int, pk: int):
    years_require_admin(request.user)
    year = _year(be_year)
    return _item_form(request, year, get_object_or_404(OitItem, pk=pk, year=year))


@require_POST
def item_move(request, be_year: int, pk: int):
    years_require_admin(request.user)
    item = get_object_or_404(OitItem, pk=pk, year__be_year=be_year)
    step = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if step is None:
        messages.error(request, "กรุณาเลือกเลื่อนขึ้นหรือเลื่อนลง")
    else:
        services_items.oit_item_move(item=item, step=step)
    return redirect(reverse("oit:national_items", args=[be_year]) + f"#{item.code}")


@require_POST
def item_delete(request, be_year: int, pk: int):
    years_require_admin(request.user)
    item = get_object_or_404(OitItem, pk=pk, year__be_year=be_year)
    try:
        services_items.oit_item_delete(item=item)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"นำข้อ {item.code} ออกจากรายการปี {be_year} แล้ว")
    return redirect("oit:national_items", be_year=be_year)
