from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from agencies.access import Access, with_access

from . import services
from .forms import ResultForm
from .models import AssessmentResult, FiscalYear


@with_access
def result_edit(request, access: Access, be_year: int):
    """The coordinator enters the year's scores as NACC announced them."""
    access.require_manage()
    year = get_object_or_404(FiscalYear.objects.select_related("copied_from"), be_year=be_year)
    result = (
        AssessmentResult.objects.filter(agency=access.agency, year=year)
        .prefetch_related("tool_scores__tool", "indicator_scores__indicator", "question_scores__question")
        .first()
    )
    initial = {}
    if result:
        initial = {"overall": result.overall, "level_awarded": result.level_awarded}
        initial |= {f"tool_{s.tool.code}": s.score for s in result.tool_scores.all()}
        initial |= {f"ind_{s.indicator.number}": s.score for s in result.indicator_scores.all()}
        initial |= {f"q_{s.question.code}": s.score for s in result.question_scores.all()}
    form = ResultForm(request.POST or None, initial=initial, year=year)
    if request.method == "POST" and form.is_valid():
        tools, indicators, questions = form.scores()
        services.result_save(
            agency=access.agency,
            year=year,
            overall=form.cleaned_data["overall"],
            level_awarded=form.cleaned_data["level_awarded"],
            tool_scores=tools,
            indicator_scores=indicators,
            question_scores=questions,
        )
        messages.success(request, f"บันทึกผลการประเมินปี {year.be_year} เรียบร้อยแล้ว")
        # Back to the page that sent the coordinator here (the score page links with ?next=);
        # this app does not name the pages above it.
        back = request.POST.get("next") or request.GET.get("next")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect("assessments:result_edit", code=access.agency.code, be_year=year.be_year)
    years = FiscalYear.objects.order_by("-be_year")
    return render(request, "assessments/result_form.html", {"form": form, "year": year, "years": years})
