"""The ITA framework is data per year: administrators edit it here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ita_portal.edits import VersionedAdminMixin

from .models import AssessmentResult, FiscalYear, Indicator, IndicatorScore, Issue, Question, RatingBand, Tool


class ToolInline(admin.TabularInline):
    model = Tool
    extra = 0


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


class RatingBandInline(admin.TabularInline):
    model = RatingBand
    extra = 0


class IssueInline(admin.TabularInline):
    model = Issue
    extra = 0


@admin.register(FiscalYear)
class FiscalYearAdmin(admin.ModelAdmin):
    list_display = ["be_year", "confirmed", "copied_from", "is_current", "target_score", "six_month_due", "annual_due"]
    inlines = [ToolInline, IndicatorInline, RatingBandInline, IssueInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["code", "year", "tool", "indicator", "text"]
    list_filter = ["year", "tool__code"]
    search_fields = ["code", "text"]


class IndicatorScoreInline(admin.TabularInline):
    model = IndicatorScore
    extra = 0


@admin.register(AssessmentResult)
class AssessmentResultAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ["agency", "year", "overall", "level_awarded"]
    list_filter = ["year"]
    search_fields = ["agency__name", "agency__code"]
    inlines = [IndicatorScoreInline]
