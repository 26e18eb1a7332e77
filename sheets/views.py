"""The second step of a web import, written once: preview the stored upload, then confirm or cancel.

A page of an app gives what is its own (who may do it, which upload, the import function, the
template, where to go next); ``import_preview`` does the rest the same way for every import:

- ``action=cancel``: the upload is deleted, nothing is written;
- no action: a dry run, rendered with the rows, the problems and the preview's digest; the file
  is parsed once per upload: the preview is kept in the cache under the upload's token (for as long
  as the upload) and a later visit of the page shows it without reading the file again;
- ``action=confirm`` with that digest: the import runs for real and is kept only when the file is
  still valid and still does what the person saw (else the preview is shown again, with why).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render

from .preview import UNCHANGED, Preview
from .uploads import UPLOAD_MAX_AGE, upload_discard, upload_open


def preview_key(token: str) -> str:
    return f"sheets:preview:{token}"


CANCELLED = "ยกเลิกการนำเข้าแล้ว ไม่ได้บันทึกข้อมูลใด"
MISSING = "ไม่พบไฟล์ที่อัปโหลดไว้ (อาจหมดอายุหรือถูกยกเลิกแล้ว) กรุณาอัปโหลดใหม่"


def import_preview(
    request,
    token: str,
    *,
    entry: dict,
    run_import: Callable[..., Preview],
    template: str,
    back_url: str,
    done_url: str,
    done_message: str,
    stale_message: str,
    context: dict | None = None,
    changed_rows_only: bool = False,
    row_limit: int | None = None,
    problem_limit: int | None = None,
) -> HttpResponse:
    """Preview, confirm or cancel the upload ``entry`` (from ``sheets.uploads.upload_get``).

    run_import(file=, dry_run=, user=, filename=, expected_digest=) → Preview does the import.
    back_url: after a cancel or when the stored file is gone; done_url and done_message (followed
    by the preview's summary): after a confirmed import. The template gets the preview, its rows
    (only the new, changed and error rows with changed_rows_only; at most row_limit), its problems
    (at most problem_limit), rows_hidden, problems_hidden, digest, token, entry and ``context``.
    """
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "cancel":
        upload_discard(request, token)
        cache.delete(preview_key(token))
        messages.info(request, CANCELLED)
        return redirect(back_url)
    confirm = action == "confirm"
    preview = None if confirm else cache.get(preview_key(token))
    if preview is None:
        try:
            with upload_open(entry) as f:
                preview = run_import(
                    file=f,
                    dry_run=not confirm,
                    user=request.user,
                    filename=entry["name"],
                    expected_digest=request.POST.get("digest") if confirm else None,
                )
        except FileNotFoundError:
            upload_discard(request, token)
            cache.delete(preview_key(token))
            messages.error(request, MISSING)
            return redirect(back_url)
        if not preview.written:
            cache.set(preview_key(token), preview, int(UPLOAD_MAX_AGE.total_seconds()))
    if confirm and preview.written:
        upload_discard(request, token)
        cache.delete(preview_key(token))
        messages.success(request, f"{done_message}: {preview.summary()}")
        return redirect(done_url)
    if confirm and preview.stale:
        messages.error(request, stale_message)
    rows = preview.sorted_rows()
    if changed_rows_only:
        rows = [r for r in rows if r.status != UNCHANGED]
    problems = preview.problems
    return render(
        request,
        template,
        {
            "preview": preview,
            "rows": rows[:row_limit] if row_limit is not None else rows,
            "rows_hidden": max(len(rows) - row_limit, 0) if row_limit is not None else 0,
            "problems": problems[:problem_limit] if problem_limit is not None else problems,
            "problems_hidden": max(len(problems) - problem_limit, 0) if problem_limit is not None else 0,
            "digest": preview.digest(),
            "token": token,
            "entry": entry,
            **(context or {}),
        },
    )
