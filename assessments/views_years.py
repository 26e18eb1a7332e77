"""Fiscal years from the portal: the list, opening the next year from a year's framework, and the
edit page of a year's framework (editable until confirmed).

Who: Django superusers/staff and users with a national oversight scope
(assessments.services_years.years_require_admin); nobody needs the Django admin for this.
"""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import services_years
from .forms_years import YearFrameworkForm, YearOpenForm
from .models import FiscalYear, Indicator, Question, Tool


def year_list(request):
    services_years.years_require_admin(request.user)
    years = (
        FiscalYear.objects.select_related("copied_from")
        .annotate(n_questions=Count("questions", distinct=True), n_indicators=Count("indicators", distinct=True))
        .order_by("-be_year")
    )
    return render(request, "assessments/years.html", {"years": years, "form": YearOpenForm()})


@require_POST
def year_open(request):
    services_years.years_require_admin(request.user)
    form = YearOpenForm(request.POST)
    if form.is_valid():
        source = get_object_or_404(FiscalYear, be_year=form.cleaned_data["source"])
        try:
            year = services_years.fiscal_year_open(source=source)
        except services_years.ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"เปิดปีงบประมาณ {year.be_year} จากกรอบการประเมินปี {source.be_year} แล้ว")
            return redirect("national:year_edit", be_year=year.be_year)
    else:
        messages.error(request, "กรุณาเลือกปีที่จะใช้เป็นต้นแบบ")
    return redirect("national:years")


def year_edit(request, be_year: int):
    services_years.years_require_admin(request.user)
    year = get_object_or_404(FiscalYear.objects.select_related("copied_from"), be_year=be_year)
    tools = Tool.objects.filter(year=year).order_by("order", "id")
    indicators = Indicator.objects.filter(year=year).select_related("tool").order_by("number")
    questions = Question.objects.filter(year=year).select_related("tool").order_by("tool__order", "id")
    form = YearFrameworkForm(request.POST or None, year=year, tools=tools, indicators=indicators, questions=questions)
    if request.method == "POST" and year.confirmed:
        messages.error(request, f"กรอบการประเมินปี {year.be_year} ยืนยันแล้ว จึงแก้ไขไม่ได้")
        return redirect("national:year_edit", be_year=year.be_year)
    if request.method == "POST" and form.is_valid():
        try:
            services_years.fiscal_year_framework_save(
                year=year,
                target_score=form.cleaned_data["target_score"],
                six_month_due=form.cleaned_data["six_month_due"],
                annual_due=form.cleaned_data["annual_due"],
                confirmed=form.cleaned_data["confirmed"],
                tools=form.tool_values(),
                indicators=form.indicator_values(),
                questions=form.question_rows(),
            )
        except services_years.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"บันทึกกรอบการประเมินปี {year.be_year} เรียบร้อยแล้ว")
            return redirect("national:year_edit", be_year=year.be_year)
    return render(request, "assessments/year_edit.html", {"year": year, "form": form})
