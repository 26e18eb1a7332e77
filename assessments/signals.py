"""What this app tells the apps above it, which it may not import (the layer contract).

`fiscal_year_opened` is sent by `services_years.fiscal_year_open` inside its transaction, once per
opened year, with `year` (the new FiscalYear) and `source` (the year it was copied from). Receivers
carry over what the higher apps keep per year (oit: the year's OIT list); an exception in one
rolls the whole opening back, so a year is never half opened.
"""

from django.dispatch import Signal

fiscal_year_opened = Signal()
