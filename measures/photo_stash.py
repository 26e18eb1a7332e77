"""Photos kept between a refused save and the next try (#13).

When the progress form is refused (a bad date, a conflict), the photos it carried are decoded and
kept in the default storage under a random token, so that the person does not have to pick them
again: the form sends the token back and shows the kept photos as thumbnails. A kept photo belongs
to the user and agency that sent it, and is dropped once the entry is saved, or after KEEP_FOR.

Files: stash/<token>/meta.json and stash/<token>/<n>.jpg (already processed: oriented, without
metadata, downscaled, so what is kept is what would be stored).
"""

import datetime
import json
import re
import secrets
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

KEEP_FOR = datetime.timedelta(days=1)
ROOT = "stash"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class KeptPhoto:
    token: str
    index: int
    caption: str

    @property
    def path(self) -> str:
        return f"{ROOT}/{self.token}/{self.index}.jpg"


def _meta_path(token: str) -> str:
    return f"{ROOT}/{token}/meta.json"


def _read_meta(token: str) -> dict | None:
    if not token or not _TOKEN_RE.match(token) or not default_storage.exists(_meta_path(token)):
        return None
    with default_storage.open(_meta_path(token), "rb") as f:
        return json.loads(f.read().decode())


def _write_meta(token: str, meta: dict) -> None:
    if default_storage.exists(_meta_path(token)):
        default_storage.delete(_meta_path(token))
    default_storage.save(_meta_path(token), ContentFile(json.dumps(meta).encode()))


def photo_stash_get(*, token: str, user_id: int, agency_id: int) -> list[KeptPhoto]:
    """The photos kept under the token for this user and agency; none when the token is unknown,
    someone else's, or older than KEEP_FOR."""
    meta = _read_meta(token)
    if meta is None or meta["user"] != user_id or meta["agency"] != agency_id:
        return []
    if timezone.now() - datetime.datetime.fromisoformat(meta["created"]) > KEEP_FOR:
        return []
    return [KeptPhoto(token=token, index=i["index"], caption=i["caption"]) for i in meta["items"]]


def photo_stash_add(*, token: str | None, user_id: int, agency_id: int, photos: list[tuple[ContentFile, str]]) -> str:
    """Keep processed photos (JPEG bytes, caption) under the token, or a new one; returns the token.
    Kept photos older than KEEP_FOR, of anyone, are removed on the way."""
    photo_stash_purge()
    meta = _read_meta(token or "")
    if meta is None or meta["user"] != user_id or meta["agency"] != agency_id:
        token = secrets.token_urlsafe(24)
        meta = {"user": user_id, "agency": agency_id, "created": timezone.now().isoformat(), "items": []}
    next_index = max((i["index"] for i in meta["items"]), default=-1) + 1
    for offset, (content, caption) in enumerate(photos):
        kept = KeptPhoto(token=token, index=next_index + offset, caption=caption)
        default_storage.save(kept.path, ContentFile(content.read() if hasattr(content, "read") else content))
        meta["items"].append({"index": kept.index, "caption": caption})
    _write_meta(token, meta)
    return token


def photo_stash_keep_only(*, token: str, indexes: set[int], captions: dict[int, str]) -> None:
    """Drop the kept photos the person unticked, and note the captions they now gave."""
    meta = _read_meta(token)
    if meta is None:
        return
    for item in meta["items"]:
        if item["index"] not in indexes:
            default_storage.delete(KeptPhoto(token=token, index=item["index"], caption="").path)
    meta["items"] = [
        {**item, "caption": captions.get(item["index"], item["caption"])}
        for item in meta["items"]
        if item["index"] in indexes
    ]
    _write_meta(token, meta)


def photo_stash_open(photo: KeptPhoto) -> ContentFile:
    """The kept photo's bytes, as an upload would give them (the file itself is closed)."""
    with default_storage.open(photo.path, "rb") as f:
        return ContentFile(f.read(), name=f"{photo.index}.jpg")


def photo_stash_drop(*, token: str) -> None:
    meta = _read_meta(token)
    if meta is None:
        return
    for item in meta["items"]:
        default_storage.delete(KeptPhoto(token=token, index=item["index"], caption="").path)
    default_storage.delete(_meta_path(token))


def photo_stash_purge(*, now: datetime.datetime | None = None) -> int:
    """Remove kept photos older than KEEP_FOR; returns how many tokens went."""
    now = now or timezone.now()
    try:
        tokens, _files = default_storage.listdir(ROOT)
    except FileNotFoundError:
        return 0
    gone = 0
    for token in tokens:
        meta = _read_meta(token)
        if meta is not None and now - datetime.datetime.fromisoformat(meta["created"]) <= KEEP_FOR:
            continue
        _dirs, files = default_storage.listdir(f"{ROOT}/{token}")
        for name in files:
            default_storage.delete(f"{ROOT}/{token}/{name}")
        gone += 1
    return gone


def photo_stash_update(
    *,
    token: str,
    user_id: int,
    agency_id: int,
    keep: set[int],
    captions: dict[int, str],
    uploads: list[tuple[int, object, str]],
) -> tuple[str, dict[int, str]]:
    """After a refused save: keep the ticked photos already kept (with their captions now), and
    add the photos just sent (slot, file, caption). Returns the token and, per slot, why a file
    could not be kept (not an image, too large)."""
    from .services import ServiceError, photo_process

    kept = photo_stash_get(token=token, user_id=user_id, agency_id=agency_id)
    if kept:
        photo_stash_keep_only(token=token, indexes=keep & {k.index for k in kept}, captions=captions)
    else:
        token = ""
    processed, problems = [], {}
    for slot, upload, caption in uploads:
        try:
            processed.append((photo_process(upload=upload), caption))
        except ServiceError as exc:
            problems[slot] = str(exc)
    if processed or token:
        token = photo_stash_add(token=token or None, user_id=user_id, agency_id=agency_id, photos=processed)
    return token, problems
