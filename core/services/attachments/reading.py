"""Turning an uploaded file into an attachment: what kind it is, its text, its limits.

Documents are recognised by their extension (``ACCEPTED_EXTENSIONS``: text, Markdown, code, CSV,
JSON, PDF), images by their content (Pillow reads the header: a ``.png`` that is a JPEG is fine;
a ``.png`` that is not an image is refused). A document's bytes are kept as uploaded and its text is
what the model reads: UTF-8 (with or without a BOM), else UTF-16 with a BOM, else Windows-1252
(which decodes any byte, for old Western files); a file with NUL bytes is not text. A PDF's text is
extracted page by page with ``pypdf``; an encrypted PDF is opened with the empty password (many
"protected" PDFs only restrict printing), and refused when it needs a real one.

Every refusal is an :class:`~core.errors.InputError` naming the file, raised before anything is
stored or sent.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable
from typing import Final

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError, PyPdfError

from core.errors import InputError
from core.repositories.attachments import NewAttachment
from core.services.attachments.content import IMAGE_CONTEXT_BYTES, document_block
from core.services.attachments.images import reencode
from core.text import MAX_MESSAGE_CHARS, storable

log = logging.getLogger("charla.attachments")

MAX_FILE_BYTES: Final = 10 * 1024 * 1024  # per file, as uploaded
MAX_FILES: Final = 10  # per message
IMAGE_EXTENSIONS: Final = ("png", "jpg", "jpeg", "webp", "gif")
TEXT_EXTENSIONS: Final = (
    "txt", "text", "md", "markdown", "rst", "csv", "tsv", "json", "jsonl", "yaml", "yml", "toml",
    "xml", "html", "htm", "css", "scss", "js", "mjs", "ts", "tsx", "jsx", "py", "pyi", "ipynb",
    "java", "kt", "scala", "c", "h", "cc", "cpp", "hpp", "cs", "go", "rs", "rb", "php", "swift",
    "m", "r", "jl", "lua", "pl", "sh", "bash", "zsh", "ps1", "bat", "sql", "ini", "cfg", "conf",
    "env", "log", "tex", "bib", "dart", "vue", "svelte", "el", "hs", "ex", "exs", "erl", "clj",
    "dockerfile", "makefile", "gitignore", "srt", "vtt", "diff", "patch",
)  # fmt: skip
ACCEPTED_EXTENSIONS: Final = (*TEXT_EXTENSIONS, "pdf", *IMAGE_EXTENSIONS)


def extension(name: str) -> str:
    """The lower-case extension of ``name`` ("Makefile" counts as "makefile")."""
    base = name.rsplit("/", 1)[-1].lower()
    return base.rsplit(".", 1)[-1] if "." in base else base


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def decode_text(name: str, data: bytes) -> str:
    """The text of a text file (see the module docstring for the encodings tried)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data:
        raise InputError("input.file_type_unsupported", name=name)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return storable(text)


def pdf_text(name: str, data: bytes) -> str:
    """The text of a PDF's pages, separated by blank lines."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError("input.pdf_protected", name=name)
        pages = [page.extract_text() or "" for page in reader.pages]
    except FileNotDecryptedError:
        raise InputError("input.pdf_protected", name=name) from None
    except (PyPdfError, PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        log.info("PDF %r unreadable: %s", name, exc)
        raise InputError("input.pdf_unreadable", name=name) from None
    text = storable("\n\n".join(page.strip() for page in pages).strip())
    if not text:
        raise InputError("input.pdf_no_text", name=name)
    return text


def prepare(name: str, data: bytes, mime: str | None = None) -> NewAttachment:
    """An uploaded file made ready to store and send; InputError if it cannot be used."""
    name = (name or "file").strip() or "file"
    if len(data) > MAX_FILE_BYTES:
        raise InputError(
            "input.file_too_large",
            name=name,
            size=_megabytes(len(data)),
            limit=_megabytes(MAX_FILE_BYTES),
        )
    kind = extension(name)
    if kind in IMAGE_EXTENSIONS or (mime or "").startswith("image/"):
        image = reencode(name, data)
        return NewAttachment(
            name=name,
            kind="image",
            mime=image.mime,
            data=image.data,
            sha256=hashlib.sha256(image.data).hexdigest(),
            text=None,
            width=image.width,
            height=image.height,
            context_bytes=IMAGE_CONTEXT_BYTES,
        )
    if kind == "pdf" or mime == "application/pdf":
        text, stored_mime = pdf_text(name, data), "application/pdf"
    elif kind in TEXT_EXTENSIONS or (mime or "").startswith("text/"):
        text, stored_mime = decode_text(name, data), mime or "text/plain"
    else:
        raise InputError("input.file_type_unsupported", name=name)
    if len(text) > MAX_MESSAGE_CHARS:
        raise InputError(
            "input.file_text_too_long", name=name, length=len(text), limit=MAX_MESSAGE_CHARS
        )
    return NewAttachment(
        name=name,
        kind="document",
        mime=stored_mime[:100],
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        text=text,
        width=None,
        height=None,
        context_bytes=len(document_block(name, text).encode("utf-8")),
    )


def prepare_all(files: Iterable[tuple[str, bytes, str | None]]) -> list[NewAttachment]:
    """Every (name, bytes, MIME type) prepared, in order; the first refusal is raised."""
    files = list(files)
    if len(files) > MAX_FILES:
        raise InputError("input.too_many_files", count=len(files), limit=MAX_FILES)
    return [prepare(name, data, mime) for name, data, mime in files]
