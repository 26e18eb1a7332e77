from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ita_portal.edits import StaleVersion, version_of

from . import selectors, services
from .access import Access, with_access
from .forms import AgencyProfileForm, DivisionForm, MemberFilterForm, MemberForm, NewMemberForm
from .models import Agency, Division, Membership
from .services_accounts import account_reaches_beyond


@with_access
def divisions(request, access: Access):
    access.require_manage()
    form = DivisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.division_create(
                access=access, name=form.cleaned_data["name"], token=form.cleaned_data["form_token"]
            )
        except (services.ServiceError, StaleVersion) as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, "เพิ่มกอง/สำนักเรียบร้อยแล้ว")
            return redirect("agencies:divisions", code=access.agency.code)
    items = Division.objects.for_agency(access.agency)
    return render(request, "agencies/divisions.html", {"form": form, "divisions": items})


@require_POST
@with_access
def division_edit(request, access: Access, pk: int):
    access.require_manage()
    division = get_object_or_404(Division, pk=pk, agency=access.agency)
    try:
        if request.POST.get("action") == "delete":
            services.division_delete(
                access=access, division=division, expected_version=version_of(request.POST.get("version"))
            )
            messages.success(request, "ลบกอง/สำนักเรียบร้อยแล้ว")
        else:
            services.division_rename(
                access=access,
                division=division,
                name=request.POST.get("name", ""),
                expected_version=version_of(request.POST.get("version")),
            )
            messages.success(request, "แก้ไขชื่อกอง/สำนักเรียบร้อยแล้ว")
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("agencies:divisions", code=access.agency.code)


MEMBERS_PAGE_SIZE = 25


@with_access
def members(request, access: Access):
    access.require_manage()
    filters = MemberFilterForm(request.GET, agency=access.agency)
    given = filters.filters()
    items = selectors.members_filter(selectors.members_of(agency=access.agency), **given)
    page = Paginator(items, MEMBERS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(
        {k: v for k, v in {"q": given["q"], "role": given["role"], "division": given["division_id"]}.items() if v}
    )
    locked = selectors.locked_usernames(usernames=[m.user.username for m in page])
    context = {
        "page": page,
        "filters": filters,
        "filtered": any(given.values()),
        "querystring": query,
        "locked": locked,
    }
    return render(request, "agencies/members.html", context)


@with_access
def member_edit(request, access: Access, pk: int | None = None):
    access.require_manage()
    membership = get_object_or_404(Membership, pk=pk, agency=access.agency) if pk else None
    form_class = MemberForm if membership else NewMemberForm
    email_locked = account_reaches_beyond(membership=membership) if membership else ""
    form = form_class(request.POST or None, instance=membership, agency=access.agency, email_locked=email_locked)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if membership:
                services.member_update(
                    access=access,
                    membership=membership,
                    role=data["role"],
                    position=data["position"],
                    divisions=data["divisions"],
                    email=None if email_locked else data["email"],
                    actor=request.user,
                    expected_version=data["version"],
                )
            else:
                services.member_create(
                    access=access,
                    username=data["username"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    password=data["password"],
                    role=data["role"],
                    position=data["position"],
                    divisions=data["divisions"],
                    email=data["email"],
                    actor=request.user,
                )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "บันทึกผู้ใช้เรียบร้อยแล้ว")
            return redirect("agencies:members", code=access.agency.code)
    return render(request, "agencies/member_form.html", {"form": form, "membership": membership})


@require_POST
@with_access
def member_remove(request, access: Access, pk: int):
    access.require_manage()
    membership = get_object_or_404(Membership, pk=pk, agency=access.agency)
    try:
        services.member_remove(access=access, membership=membership)
        messages.success(request, "นำผู้ใช้ออกจากหน่วยงานแล้ว")
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("agencies:members", code=access.agency.code)


@with_access
def profile(request, access: Access):
    """The agency's profile: its coordinator reads and edits it."""
    access.require_manage()
    form = AgencyProfileForm(request.POST or None, instance=Agency.objects.get(pk=access.agency.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.agency_profile_update(access=access, data=form.cleaned_data)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "บันทึกข้อมูลหน่วยงานเรียบร้อยแล้ว")
            return redirect("agencies:profile", code=access.agency.code)
    return render(request, "agencies/profile.html", {"form": form})
