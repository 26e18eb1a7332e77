from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    from assessments import framework_data as f

    FiscalYear = apps.get_model("assessments", "FiscalYear")
    Tool = apps.get_model("assessments", "Tool")
    Indicator = apps.get_model("assessments", "Indicator")
    Issue = apps.get_model("assessments", "Issue")
    RatingBand = apps.get_model("assessments", "RatingBand")
    for be_year, bands in f.YEARS.items():
        year, created = FiscalYear.objects.get_or_create(
            be_year=be_year, defaults={"is_current": be_year == f.CURRENT_YEAR}
        )
        if not created:
            continue
        tools = {}
        for order, (code, name, weight) in enumerate(f.TOOLS):
            tools[code] = Tool.objects.create(year=year, code=code, name=name, weight=Decimal(weight), order=order)
        for number, tool, name in f.INDICATORS:
            Indicator.objects.create(year=year, tool=tools[tool], number=number, name=name)
        for number, title in f.ISSUES:
            Issue.objects.create(year=year, number=number, title=title)
        for order, (label, min_overall, min_tool, confirmed) in enumerate(bands):
            RatingBand.objects.create(
                year=year,
                label=label,
                min_overall=Decimal(min_overall),
                min_each_tool=Decimal(min_tool) if min_tool else None,
                order=order,
                confirmed=confirmed,
            )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
