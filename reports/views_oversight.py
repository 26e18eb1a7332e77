"""Oversight pages: a province, a district or the country at a glance, for one fiscal year."""

from django.conf import settings
from django.shortcuts import render

from . import oversight


def _common(request):
    scope = oversight.scope_for_user(user=request.user)
    filters, year, choices = oversight.filters_parse(scope=scope, params=request.GET)
    return scope, filters, year, choices


def oversight_summary(request):
    scope, filters, year, choices = _common(request)
    data = oversight.summary_cached(scope=scope, filters=filters, year=year)
    return render(
        request,
        "reports/oversight.html",
        {
            "scope": scope,
            "filters": filters,
            "year": year,
            "choices": choices,
            "s": data,
            "cache_minutes": max(1, settings.OVERSIGHT_CACHE_SECONDS // 60),
            # The rendered tables are kept as long as the summary they show (0: not at all).
            "cache_seconds": settings.OVERSIGHT_CACHE_SECONDS if data.key else 0,
            "oversight_nav": True,
            "include_synthetic": oversight._include_synthetic(),
        },
    )


def oversight_ranking(request):
    scope, filters, year, choices = _common(request)
    page = oversight.ranking_cached(scope=scope, filters=filters, year=year, page=request.GET.get("page"))
    return render(
        request,
        "reports/oversight_ranking.html",
        {
            "scope": scope,
            "filters": filters,
            "year": year,
            "choices": choices,
            "page": page,
            "oversight_nav": True,
            "include_synthetic": oversight._include_synthetic(),
        },
    )
