from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from agencies.access import Access, with_access
from ita_portal.edits import StaleVersion, form_conflict

from . import services
from .forms import ResultForm
from .models import AssessmentResult, FiscalYear


@with_access
def result_edit(request, access: Access, be_year: int):
    """The coordinator enters the year's scores as NACC announced them."""
    access.require_manage()
    year = get_object_or_404(FiscalYear.objects.select_related("copied_from"), be_year=be_year)
    result = _result_get(agency=access.agency, year=year)
    form = ResultForm(
        request.POST or None, initial=_result_values(result), year=year, version=result.version if result else None
    )
    conflict = []
    if request.method == "POST" and form.is_valid():
        tools, indicators, questions = form.scores()
        try:
            services.result_save(
                agency=access.agency,
                year=year,
                overall=form.cleaned_data["overall"],
                level_awarded=form.cleaned_data["level_awarded"],
                tool_scores=tools,
                indicator_scores=indicators,
                question_scores=questions,
                expected_version=form.cleaned_data["version"],
                token=form.cleaned_data["form_token"],
            )
        except StaleVersion as exc:
            form.add_error(None, str(exc))
            fresh = _result_get(agency=access.agency, year=year)
            conflict = form_conflict(form, current=_result_values(fresh), version=fresh.version if fresh else None)
        else:
            messages.success(request, f"บันทึกผลการประเมินปี {year.be_year} เรียบร้อยแล้ว")
            # Back to the page that sent the coordinator here (the score page links with ?next=);
            # this app does not name the pages above it.
            back = request.POST.get("next") or request.GET.get("next")
            if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                return redirect(back)
            return redirect("assessments:result_edit", code=access.agency.code, be_year=year.be_year)
    years = FiscalYear.objects.order_by("-be_year")
    context = {"form": form, "year": year, "years": years, "conflict": conflict}
    return render(request, "assessments/result_form.html", context)


def _result_get(*, agency, year):
    return (
        AssessmentResult.objects.filter(agency=agency, year=year)
        .prefetch_related("tool_scores__tool", "indicator_scores__indicator", "question_scores__question")
        .first()
    )


def _result_values(result) -> dict:
    """The stored result as the form's fields (initial values, and the "stored" side of a conflict)."""
    if result is None:
        return {}
    values = {"overall": result.overall, "level_awarded": result.level_awarded}
    values |= {f"tool_{s.tool.code}": s.score for s in result.tool_scores.all()}
    values |= {f"ind_{s.indicator.number}": s.score for s in result.indicator_scores.all()}
    values |= {f"q_{s.question.code}": s.score for s in result.question_scores.all()}
    return values
