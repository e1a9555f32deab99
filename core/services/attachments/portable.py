"""Attachments in exports and imports: what the JSON and Markdown exports write for a message's
files, and how an import stores them back.

- JSON, self-contained: each attachment as :func:`to_json` with ``embed=True`` — its name, kind,
  MIME type, size, SHA-256 and the bytes in base64 (``data_base64``); a document also carries the
  text the model read (``text``), so a reader of the file needs no PDF library.
- JSON in a zip: ``embed=False`` writes ``path`` instead, the file's place in the zip
  (:func:`archive_path`: ``attachments/<sha256>.<ext>``, one file per distinct content, as stored).
- Markdown: :func:`markdown_link`, a link (an image link for an image) to that same path.
- Import: :func:`from_json` turns one exported item (with ``data_base64``, or the bytes read from the
  zip's ``path``) back into a :class:`NewAttachment`: a document is read again (its text comes
  from its bytes, checked as an upload is), an image already in PNG or JPEG and small enough is
  kept as it is (re-encoding it would change its bytes, and so its identity), any other is
  re-encoded. :func:`attach_to_message` stores them for a message in the importer's transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from core.conf.db import session_scope
from core.errors import InputError
from core.repositories.attachments import AttachmentRepository, NewAttachment
from core.schemas import AttachmentRecord
from core.services.attachments.images import MAX_SIDE
from core.services.attachments.reading import prepare
from core.services.context import IMAGE_CONTEXT_BYTES

_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "application/pdf": "pdf",
    "text/markdown": "md",
    "text/csv": "csv",
    "application/json": "json",
}


def archive_path(record: AttachmentRecord, folder: str = "attachments") -> str:
    """Where the file goes in an export's zip: named by its content, so it is written once."""
    dot = record.name.rsplit(".", 1)
    extension = _EXTENSIONS.get(record.mime) or (dot[1].lower() if len(dot) == 2 else "bin")
    return f"{folder}/{record.sha256}.{extension}"


def to_json(
    record: AttachmentRecord, data: bytes, text: str | None = None, *, embed: bool = True
) -> dict[str, Any]:
    """One attachment of a message, for the JSON export (see the module docstring)."""
    item: dict[str, Any] = {
        "name": record.name,
        "kind": record.kind,
        "mime": record.mime,
        "size": record.size,
        "sha256": record.sha256,
    }
    if record.is_image:
        item.update(width=record.width, height=record.height)
    if text is not None:
        item["text"] = text
    if embed:
        item["data_base64"] = base64.b64encode(data).decode("ascii")
    else:
        item["path"] = archive_path(record)
    return item


def markdown_link(record: AttachmentRecord, folder: str = "attachments") -> str:
    """A Markdown link to the file in the export's folder (an image link for an image)."""
    label = record.name.replace("[", "(").replace("]", ")")
    link = f"[{label}]({archive_path(record, folder)})"
    return f"!{link}" if record.is_image else link


Exported = tuple[AttachmentRecord, bytes, str | None]  # the record, its bytes, a document's text


def export_data(message_ids: Iterable[int]) -> dict[int, list[Exported]]:
    """The attachments of these messages with their bytes (and a document's text), by message
    id, for an export: ``to_json(*item)`` for each."""
    with session_scope() as db:
        repo = AttachmentRepository(db)
        result: dict[int, list[Exported]] = {}
        for message_id, records in repo.for_messages(message_ids).items():
            items: list[Exported] = []
            for record in records:
                found = repo.data(record.id)
                if found is not None:
                    text = None if record.is_image else repo.text(record.id)
                    items.append((record, found[1], text))
            result[message_id] = items
    return result


def _kept_image(name: str, data: bytes) -> NewAttachment | None:
    """An exported image stored as it is, when it is already what Charla would send."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    if fmt not in ("PNG", "JPEG") or max(width, height) > MAX_SIDE:
        return None
    return NewAttachment(
        name=name,
        kind="image",
        mime=f"image/{fmt.lower()}",
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        text=None,
        width=width,
        height=height,
        context_bytes=IMAGE_CONTEXT_BYTES,
    )


def from_json(item: Mapping[str, Any], data: bytes | None = None) -> NewAttachment:
    """An exported attachment made storable again (``data``: its bytes, when read from a zip's
    ``path`` rather than ``data_base64``). InputError when it cannot be used."""
    name = str(item.get("name") or "file")
    if data is None:
        try:
            data = base64.b64decode(str(item.get("data_base64") or ""), validate=True)
        except (binascii.Error, ValueError):
            raise InputError("input.file_type_unsupported", name=name) from None
    if item.get("kind") == "image":
        kept = _kept_image(name, data)
        if kept is not None:
            return kept
    mime = item.get("mime")
    return prepare(name, data, str(mime) if mime else None)


def attach_to_message(db: Session, message_id: int, items: Sequence[NewAttachment]) -> None:
    """Store ``items`` for an imported message, in the importer's transaction."""
    AttachmentRepository(db).attach(message_id, items)
