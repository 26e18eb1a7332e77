"""The upload between the two steps of a web import (upload → preview → confirm or cancel).

The file is kept in Django's default storage (imports/<uuid>.<ext>, shared by every app server:
the bucket, or a shared MEDIA_ROOT), its token in the user's session with what it is for (``kind`` and
e.g. the agency); it is deleted once confirmed or cancelled, uploads left behind are purged after a
day, and a session keeps at most MAX_PENDING_PER_SESSION (each within the size limit).
The size limit is checked here before a file is stored, and again by the reader.
"""

import contextlib
import datetime
import os
import uuid

from django import forms
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import Http404
from django.utils import timezone

UPLOAD_DIR = "imports"
UPLOAD_MAX_AGE = datetime.timedelta(days=1)
MAX_PENDING_PER_SESSION = 5  # a session's uploads awaiting confirmation; the oldest goes first
SESSION_KEY = "imports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def max_upload_bytes() -> int:
    """Largest file accepted (setting IMPORT_MAX_UPLOAD_BYTES, default 20 MB)."""
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))


def size_label(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def too_large(size: int) -> str | None:
    """The Thai refusal of a file of this size, or None when it is accepted."""
    limit = max_upload_bytes()
    if size <= limit:
        return None
    return (
        f"ไฟล์มีขนาด {size_label(size)} ใหญ่เกินกว่าที่รับได้ ({size_label(limit)}) กรุณาแบ่งเป็นหลายไฟล์ หรือลบแผ่นงานและรูปภาพที่ไม่ใช้"
    )


def upload_check(file) -> None:
    """Refuse a file over the size limit before it is stored or parsed (Thai ValidationError)."""
    refusal = too_large(file.size)
    if refusal:
        raise forms.ValidationError(refusal)
    if file.size == 0:
        raise forms.ValidationError("ไฟล์ว่างเปล่า")


def upload_store(request, file, *, kind: str, **meta) -> str:
    """Keep the upload in shared storage under imports/<uuid>.<ext>; its token goes in the session.

    A new upload of the same kind and meta (``year`` aside) replaces the one being previewed.
    """
    purge_old_uploads()
    token = uuid.uuid4().hex
    ext = os.path.splitext(file.name or "")[1].lower().lstrip(".")
    if not ext.isalnum() or len(ext) > 5:
        ext = "dat"
    path = default_storage.save(f"{UPLOAD_DIR}/{token}.{ext}", file)
    pending = request.session.get(SESSION_KEY, {})
    for old_token, entry in list(pending.items()):
        if entry.get("kind") == kind and all(entry.get(k) == v for k, v in meta.items() if k != "year"):
            pending.pop(old_token)
            with contextlib.suppress(OSError, NotImplementedError):
                default_storage.delete(entry["path"])
    while len(pending) >= MAX_PENDING_PER_SESSION:  # bounded: at most this many files per session
        entry = pending.pop(next(iter(pending)))
        with contextlib.suppress(OSError, NotImplementedError):
            default_storage.delete(entry["path"])
    pending[token] = {"kind": kind, "path": path, "name": os.path.basename(file.name or "")[:200], **meta}
    request.session[SESSION_KEY] = pending
    return token


def upload_get(request, token: str, *, kind: str, **meta) -> dict:
    """The session's pending upload for this token (404 for another user's or another agency's)."""
    entry = request.session.get(SESSION_KEY, {}).get(str(token))
    if not entry or entry.get("kind") != kind or any(entry.get(k) != v for k, v in meta.items()):
        raise Http404("ไม่พบไฟล์ที่อัปโหลด")
    return entry


@contextlib.contextmanager
def upload_open(entry: dict):
    with default_storage.open(entry["path"], "rb") as f:
        yield f


def upload_discard(request, token: str) -> None:
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.pop(str(token), None)
    request.session[SESSION_KEY] = pending
    if entry:
        with contextlib.suppress(OSError, NotImplementedError):
            default_storage.delete(entry["path"])


def purge_old_uploads() -> None:
    """Best effort: delete uploads nobody confirmed within a day."""
    try:
        _, files = default_storage.listdir(UPLOAD_DIR)
    except (OSError, NotImplementedError):
        return
    cutoff = timezone.now() - UPLOAD_MAX_AGE
    for name in files:
        path = f"{UPLOAD_DIR}/{name}"
        with contextlib.suppress(OSError, NotImplementedError):
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
