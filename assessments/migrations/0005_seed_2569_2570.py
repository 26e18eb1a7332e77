"""Open 2569 and 2570 as unconfirmed copies of the 2568 framework (2570 copies 2569, itself a copy
of 2568, so that each year's questions, indicators and tools name their predecessor of the year
before). The same copy the national years page runs (assessments.services_years.framework_copy)."""

from types import SimpleNamespace

from django.db import migrations


def seed(apps, schema_editor):
    from assessments.services_years import framework_copy

    names = ("FiscalYear", "Tool", "Indicator", "Question", "RatingBand", "Issue")
    models = SimpleNamespace(**{n: apps.get_model("assessments", n) for n in names})
    for be_year in (2569, 2570):
        source = models.FiscalYear.objects.filter(be_year=be_year - 1).first()
        if source is None or models.FiscalYear.objects.filter(be_year=be_year).exists():
            continue
        framework_copy(source=source, be_year=be_year, models=models)


def unseed(apps, schema_editor):
    FiscalYear = apps.get_model("assessments", "FiscalYear")
    FiscalYear.objects.filter(be_year__in=(2569, 2570), confirmed=False, results__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0004_year_copies")]
    operations = [migrations.RunPython(seed, unseed)]
