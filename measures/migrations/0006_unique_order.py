from django.db import migrations, models


class Migration(migrations.Migration):
    """Separate from 0005, which renumbers: PostgreSQL adds the constraints in a transaction of their own."""

    dependencies = [
        ("measures", "0005_versions_and_unique_order"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='activity',
            constraint=models.UniqueConstraint(fields=('measure', 'order'), name='uniq_activity_order'),
        ),
        migrations.AddConstraint(
            model_name='measure',
            constraint=models.UniqueConstraint(fields=('agency', 'year', 'order'), name='uniq_measure_order'),
        ),
    ]
