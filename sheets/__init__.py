"""Spreadsheets in and out: the portal's plumbing for xlsx and csv files, below every app.

Modules, by concern:

- ``reading``: refuse a file early (size, kind, zip bomb), then read sheets into plain ``Table``s;
- ``columns``: Thai headers, their accepted spellings, required columns (``Column``, ``match_columns``);
- ``cells``: one cell value to Python, or a ``ValueError`` in Thai (``clean_text``, ``clean_decimal``…);
- ``preview``: what an import would do or did, row by row (``Problem``, ``Preview``, ``finish``);
- ``resources``: django-import-export building blocks for model-shaped sheets (``SheetResource``);
- ``bulk``: set-based updates that keep django-simple-history records;
- ``writing``: csv and xlsx output (styles, the reference-list sheet);
- ``uploads`` and ``views``: the two-step web upload (store under a token, preview, confirm or cancel).

Every import built on it keeps three promises: a file is refused whole, before it is parsed, when
it is too large or not a workbook; every problem is a Thai message that names its place (sheet,
row, column); nothing is written unless the whole file is valid (one ``transaction.atomic()``
per file, rolled back by ``preview.finish`` on any problem); a preview (dry run) writes nothing
and opens no transaction (``SheetResource.preview_only``), so on SQLite it takes no write lock.

This package knows no app of the portal: it imports only Django, openpyxl, tablib,
django-import-export, django-simple-history, pythainlp and ``ita_portal.thai``.
"""
