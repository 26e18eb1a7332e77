from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from agencies.access import Access, with_access
from assessments.selectors import score_history_cached, year_numbers
from ita_portal.cache import agency_cached
from ita_portal.edits import StaleVersion, form_conflict, model_values, version_of

from . import photo_stash, selectors, services
from .forms import (
    ActivityForm,
    CopyYearForm,
    LinkFormSet,
    MeasureForm,
    PhotoFormSet,
    PlanForm,
    ProgressForm,
    WorkFilterForm,
)
from .models import Activity, EvidencePhoto, Measure, Plan, Round
from .selectors_tracking import round_window


def _list_url(access: Access, be_year: int) -> str:
    return f"{reverse('measures:list', kwargs={'code': access.agency.code})}?year={be_year}"


def _round(request) -> str:
    value = request.GET.get("round") or Round.SIX_MONTH
    return value if value in Round.values else Round.SIX_MONTH


def _page_content(access: Access, key: str, template: str, context) -> str:
    """A page's content rendered from context(), kept in the agency cache for the user's role.

    Rendering the tables costs more than reading them. The partials hold no form token and
    nothing personal beyond what access_key() distinguishes (role and divisions).
    """
    return agency_cached(
        agency=access.agency,
        key=f"page:{template}:{key}:{selectors.access_key(access)}",
        compute=lambda: render_to_string(template, {"access": access, **context()}),
    )


@with_access
def dashboard(request, access: Access):
    """The score page: every year's scores, the ten indicators across years, this year's progress."""
    year = selectors.year_get(be_year=request.GET.get("year"), agency=access.agency)
    rnd = _round(request)

    def context() -> dict:
        return {
            "year": year,
            "round": rnd,
            "rounds": selectors.ROUNDS,
            "history": score_history_cached(agency=access.agency),
            "summary": selectors.progress_summary(access=access, year=year, round=rnd),
            "years": year_numbers(),
            "chart_max": 100,
        }

    html = _page_content(access, f"{year.pk}:{rnd}", "measures/_dashboard.html", context)
    return render(request, "measures/dashboard.html", {"year": year, "content": html})


PAGE_SIZE = 25


def _filtered_page(request, access: Access, *, key: str, template: str, filters, rows, context: dict) -> str:
    """A list page's content: the rows that pass the filters, PAGE_SIZE to a page, with the filter
    form. The first page of the unfiltered list comes from the agency cache (with an unbound form:
    nothing of one person's request is kept for others, and no key is made of what was typed);
    searches and later pages are rendered afresh."""
    given = filters.filters()
    page_no = request.GET.get("page") or "1"
    query = {"year": context["year"].be_year, "round": context.get("round", ""), "q": given["q"]}
    query |= {"issue": given["issue_id"], "division": given["division_id"], "status": given["status"]}

    def full_context() -> dict:
        page = Paginator(rows(given), PAGE_SIZE).get_page(page_no)
        return {
            **context,
            "page": page,
            "filters": filters if any(given.values()) else filters.unbound(),
            "filtered": any(given.values()),
            "querystring": urlencode({k: v for k, v in query.items() if v}),
        }

    if any(given.values()) or page_no != "1":
        return render_to_string(template, {"access": access, **full_context()})
    return _page_content(access, key, template, full_context)


@with_access
def my_work(request, access: Access):
    year = selectors.year_get(be_year=request.GET.get("year"), agency=access.agency)
    rnd = _round(request)
    filters = WorkFilterForm(request.GET, agency=access.agency, year=year)

    # The round's due date (the agency's own or the year's) is read afresh and is part of the key.
    window = round_window(agency=access.agency, year=year, round=rnd)
    overdue = window.is_overdue(timezone.localdate())

    def rows(given: dict) -> list:
        items = selectors.work_items(access=access, year=year, round=rnd, only_mine=access.is_staff_member)
        return selectors.work_items_filter(items, **given)

    html = _filtered_page(
        request,
        access,
        key=f"{year.pk}:{rnd}:{window.opens_on}:{window.due_on}:{overdue}",
        template="measures/_my_work.html",
        filters=filters,
        rows=rows,
        context={
            "year": year,
            "years": year_numbers(),
            "round": rnd,
            "rounds": selectors.ROUNDS,
            "window": window,
            "overdue": overdue,
        },
    )
    return render(request, "measures/my_work.html", {"year": year, "content": html})


@with_access
def measure_list(request, access: Access):
    year = selectors.year_get(be_year=request.GET.get("year"), agency=access.agency)
    filters = WorkFilterForm(request.GET, agency=access.agency, year=year, with_status=False)

    def rows(given: dict) -> list:
        return selectors.measures_filter(selectors.measure_queryset(access=access, year=year), **given)

    html = _filtered_page(
        request,
        access,
        key=f"{year.pk}",
        template="measures/_measure_list.html",
        filters=filters,
        rows=rows,
        context={"year": year, "years": year_numbers()},
    )
    return render(request, "measures/measure_list.html", {"year": year, "content": html})


@with_access
def measure_detail(request, access: Access, pk: int):
    measure = selectors.measure_get_for_access(access=access, pk=pk)
    progress = {
        (p.activity_id, p.round): p
        for p in measure.progress.prefetch_related("photos", "links").select_related("updated_by")
    }
    rows = []
    for activity in [None, *measure.activities.all()]:
        rows.append(
            {
                "activity": activity,
                "can_edit": access.can_edit_progress(selectors.item_division_ids(measure, activity)),
                "rounds": [
                    (r, label, progress.get((activity.id if activity else None, r))) for r, label in Round.choices
                ],
            }
        )
    return render(request, "measures/measure_detail.html", {"measure": measure, "rows": rows})


@with_access
def progress_edit(request, access: Access, pk: int, round: str, aid: int | None = None):
    if round not in Round.values:
        raise Http404("ไม่พบรอบการรายงาน")
    measure = selectors.measure_get_for_access(access=access, pk=pk, with_indicators=False)
    activity = selectors.activity_get(measure=measure, pk=aid) if aid else None
    period = {"fiscal_year": measure.year.be_year, "round": round}  # the completion dates it takes
    form, conflict = None, []
    photo_token, photo_problems = "", []
    if request.method == "POST":
        # The form only validates: progress_save checks the user and reads the stored entry (locked).
        form = ProgressForm(request.POST, **period)
        photos = PhotoFormSet(request.POST, request.FILES, prefix="photo")
        links = LinkFormSet(request.POST, prefix="link")
        photo_token = request.POST.get("photo_token", "")
        kept = _kept_photos_ticked(request, access, photo_token)
        if form.is_valid() and photos.is_valid() and links.is_valid():
            new_photos = [services.NewPhoto(file=photo_stash.photo_stash_open(k), caption=k.caption) for k in kept] + [
                services.NewPhoto(file=f.cleaned_data["image"], caption=f.cleaned_data.get("caption", ""))
                for f in photos
                if f.cleaned_data.get("image")
            ]
            new_links = [
                (f.cleaned_data["url"], f.cleaned_data.get("label", "")) for f in links if f.cleaned_data.get("url")
            ]
            try:
                services.progress_save(
                    access=access,
                    measure=measure,
                    activity=activity,
                    round=round,
                    data={k: v for k, v in form.cleaned_data.items() if k not in ("version", "form_token")},
                    expected_version=form.cleaned_data.get("version"),
                    token=form.cleaned_data.get("form_token"),
                    new_photos=new_photos,
                    delete_photo_ids=[int(i) for i in request.POST.getlist("delete_photo") if i.isdigit()],
                    new_links=new_links,
                    delete_link_ids=[int(i) for i in request.POST.getlist("delete_link") if i.isdigit()],
                    user=request.user,
                )
            except services.ConflictError as exc:
                fresh = selectors.progress_get(measure=measure, activity=activity, round=round)
                conflict = _conflict(form, exc, fresh)
            except services.ServiceError as exc:
                if not exc.fields:
                    form.add_error(None, str(exc))
                for field, message in exc.fields.items():
                    form.add_error(field, message)
            else:
                photo_stash.photo_stash_drop(token=photo_token)
                messages.success(request, "บันทึกผลการดำเนินการเรียบร้อยแล้ว")
                return redirect("measures:detail", code=access.agency.code, pk=measure.pk)
        else:
            services.progress_edit_check(access=access, measure=measure, activity=activity)
        # Refused (the user may edit: checked above): keep the photos picked for the next try.
        refused = list(photos.non_form_errors())  # e.g. more photos than a form holds
        photo_token, photo_problems = _keep_refused_photos(request, access, photos, photo_token, kept)
        photos = PhotoFormSet(prefix="photo")  # a browser cannot refill a file box: the kept photos show above
        for message in refused:  # the fresh photo boxes cannot carry it: the error summary does
            form.add_error(None, message)
    else:
        services.progress_edit_check(access=access, measure=measure, activity=activity)
        photos = PhotoFormSet(prefix="photo")
        links = LinkFormSet(prefix="link")
    progress = selectors.progress_get(measure=measure, activity=activity, round=round)
    form = form or ProgressForm(instance=progress, **period)
    return render(
        request,
        "measures/progress_form.html",
        {
            "measure": measure,
            "activity": activity,
            "round": round,
            "round_label": Round(round).label,
            "progress": progress,
            "form": form,
            "photos": photos,
            "links": links,
            "photo_token": photo_token,
            "photo_problems": photo_problems,
            "conflict": conflict,
            "kept_photos": photo_stash.photo_stash_get(
                token=photo_token, user_id=request.user.pk, agency_id=access.agency.pk
            ),
            "max_photo_bytes": settings.EVIDENCE_MAX_UPLOAD_BYTES,
        },
    )


def _kept_photos_ticked(request, access: Access, token: str) -> list[photo_stash.KeptPhoto]:
    """The photos kept from an earlier refused try that are still ticked, with their captions now."""
    ticked = {int(i) for i in request.POST.getlist("keep_photo") if i.isdigit()}
    kept = photo_stash.photo_stash_get(token=token, user_id=request.user.pk, agency_id=access.agency.pk)
    return [
        photo_stash.KeptPhoto(
            token=k.token, index=k.index, caption=request.POST.get(f"kept_caption_{k.index}", "")[:500]
        )
        for k in kept
        if k.index in ticked
    ]


def _keep_refused_photos(request, access: Access, photos, token: str, kept) -> tuple[str, list[str]]:
    """A refused save: keep the photos just picked with those still ticked; say which files could
    not be kept (not an image, too large)."""
    uploads = [
        (slot, f.files[f"{f.prefix}-image"], f.data.get(f"{f.prefix}-caption", "")[:500])
        for slot, f in enumerate(photos)
        if f"{f.prefix}-image" in f.files
    ]
    token, problems = photo_stash.photo_stash_update(
        token=token,
        user_id=request.user.pk,
        agency_id=access.agency.pk,
        keep={k.index for k in kept},
        captions={k.index: k.caption for k in kept},
        uploads=uploads,
    )
    names = {slot: upload.name for slot, upload, _caption in uploads}
    return token, [f"ภาพช่องที่ {slot + 1} ({names[slot]}): {message}" for slot, message in problems.items()]


@with_access
def kept_photo(request, access: Access, token: str, index: int):
    """A photo kept after a refused save, for the person who picked it only."""
    for kept in photo_stash.photo_stash_get(token=token, user_id=request.user.pk, agency_id=access.agency.pk):
        if kept.index == index:
            return FileResponse(photo_stash.photo_stash_open(kept), content_type="image/jpeg")
    raise Http404("ไม่พบภาพ")


@with_access
def photo(request, access: Access, photo_id: int):
    """Evidence photos are served through the agency's access check, not as public media."""
    item = get_object_or_404(
        EvidencePhoto.objects.select_related("progress__measure"),
        pk=photo_id,
        progress__measure__agency=access.agency,
    )
    selectors.measure_get_for_access(access=access, pk=item.progress.measure_id)
    if not item.image:
        raise Http404("ไม่มีไฟล์ภาพ")
    return FileResponse(item.image.open("rb"), content_type="image/jpeg")


def _conflict(form, exc: Exception, fresh) -> list:
    """A stale save: the refusal on the form, the user's values beside the stored ones (none when gone)."""
    form.add_error(None, str(exc))
    if fresh is None:
        return []
    return form_conflict(
        form,
        current=model_values(fresh, form.fields),
        version=fresh.version if fresh is not None else None,
    )


def _or_none(get):
    try:
        return get()
    except Http404:
        return None


@with_access
def measure_edit(request, access: Access, pk: int | None = None):
    access.require_manage()
    if pk:
        measure = selectors.measure_get_for_access(access=access, pk=pk)
        year = measure.year
    else:
        year = selectors.year_get(be_year=request.GET.get("year") or request.POST.get("year"), agency=access.agency)
        measure = Measure(agency=access.agency, year=year)
    form = MeasureForm(request.POST or None, instance=measure, agency=access.agency, year=year)
    conflict = []
    if request.method == "POST" and form.is_valid():
        try:
            m = services.measure_save(
                access=access,
                measure=form.save(commit=False),
                divisions=form.cleaned_data["divisions"],
                indicators=form.cleaned_data["indicators"],
                expected_version=form.cleaned_data["version"],
                token=form.cleaned_data["form_token"],
            )
        except StaleVersion as exc:
            fresh = _or_none(lambda: selectors.measure_get_for_access(access=access, pk=pk)) if pk else None
            conflict = _conflict(form, exc, fresh)
        else:
            messages.success(request, "บันทึกมาตรการเรียบร้อยแล้ว")
            return redirect("measures:detail", code=access.agency.code, pk=m.pk)
    context = {"form": form, "measure": measure, "year": year, "conflict": conflict}
    return render(request, "measures/measure_form.html", context)


@require_POST
@with_access
def measure_delete(request, access: Access, pk: int):
    measure = selectors.measure_get_for_access(access=access, pk=pk)
    year = measure.year.be_year
    try:
        services.measure_delete(
            access=access, measure=measure, expected_version=version_of(request.POST.get("version"))
        )
    except StaleVersion as exc:
        messages.error(request, str(exc))
        return redirect("measures:detail", code=access.agency.code, pk=measure.pk)
    messages.success(request, "ลบมาตรการเรียบร้อยแล้ว")
    return redirect(_list_url(access, year))


@with_access
def activity_edit(request, access: Access, pk: int, aid: int | None = None):
    access.require_manage()
    measure = selectors.measure_get_for_access(access=access, pk=pk)
    activity = selectors.activity_get(measure=measure, pk=aid) if aid else Activity(measure=measure)
    form = ActivityForm(request.POST or None, instance=activity, agency=access.agency)
    conflict = []
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_save(
                access=access,
                activity=form.save(commit=False),
                divisions=form.cleaned_data["divisions"],
                expected_version=form.cleaned_data["version"],
                token=form.cleaned_data["form_token"],
            )
        except StaleVersion as exc:
            fresh = _or_none(lambda: selectors.activity_get(measure=measure, pk=aid)) if aid else None
            conflict = _conflict(form, exc, fresh)
        else:
            messages.success(request, "บันทึกกิจกรรมเรียบร้อยแล้ว")
            return redirect("measures:detail", code=access.agency.code, pk=measure.pk)
    context = {"form": form, "measure": measure, "activity": activity, "conflict": conflict}
    return render(request, "measures/activity_form.html", context)


@require_POST
@with_access
def activity_delete(request, access: Access, pk: int, aid: int):
    measure = selectors.measure_get_for_access(access=access, pk=pk)
    activity = selectors.activity_get(measure=measure, pk=aid)
    try:
        services.activity_delete(
            access=access, activity=activity, expected_version=version_of(request.POST.get("version"))
        )
    except StaleVersion as exc:
        messages.error(request, str(exc))
        return redirect("measures:activity_edit", code=access.agency.code, pk=measure.pk, aid=activity.pk)
    messages.success(request, "ลบกิจกรรมเรียบร้อยแล้ว")
    return redirect("measures:detail", code=access.agency.code, pk=measure.pk)


@with_access
def copy_year(request, access: Access):
    access.require_manage()
    year = selectors.year_get(be_year=request.GET.get("year") or request.POST.get("year"), agency=access.agency)
    source_default = selectors.year_last_with_measures(agency=access.agency, before=year)
    form = CopyYearForm(request.POST or None, initial={"from_year": source_default or year.be_year - 1})
    if request.method == "POST" and form.is_valid():
        try:
            source = selectors.year_get(be_year=form.cleaned_data["from_year"])
            count = services.measures_copy_year(
                access=access, from_year=source, to_year=year, token=form.cleaned_data["form_token"]
            )
        except (services.ServiceError, StaleVersion, Http404) as exc:
            form.add_error(None, str(exc))
        else:
            if count:
                messages.success(request, f"คัดลอกมาตรการ {count} รายการ จากปี {source.be_year} มายังปี {year.be_year} แล้ว")
            else:  # the same form sent twice: the first copy stands
                messages.success(request, f"คัดลอกมาตรการจากปี {source.be_year} มายังปี {year.be_year} แล้ว")
            return redirect(_list_url(access, year.be_year))
    return render(request, "measures/copy_year.html", {"form": form, "year": year})


@with_access
def plan_edit(request, access: Access):
    access.require_manage()
    year = selectors.year_get(be_year=request.GET.get("year") or request.POST.get("year"), agency=access.agency)
    plan = Plan.objects.filter(agency=access.agency, year=year).first() or Plan(agency=access.agency, year=year)
    form = PlanForm(request.POST or None, instance=plan)
    conflict = []
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_save(
                access=access,
                plan=form.save(commit=False),
                expected_version=form.cleaned_data["version"],
                token=form.cleaned_data["form_token"],
            )
        except StaleVersion as exc:
            conflict = _conflict(form, exc, Plan.objects.filter(agency=access.agency, year=year).first())
        else:
            messages.success(request, "บันทึกข้อมูลประกอบรายงานเรียบร้อยแล้ว")
            return redirect(_list_url(access, year.be_year))
    return render(request, "measures/plan_form.html", {"form": form, "year": year, "conflict": conflict})
