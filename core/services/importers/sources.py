"""What an import reads: files, folders and zips, turned into :class:`Document`\\ s, safely.

Whatever a person hands over — a path for the CLI, an upload on the page — becomes a list of
documents, each a name (``export.zip › conversations.json``), a size and a way to open it as a
binary stream. Nothing is ever extracted to disk:

- a **folder** is walked (sub-folders too: LM Studio keeps its folders of chats), every regular
  file in name order; symbolic links are not followed;
- a **zip** (recognised by its first bytes, not its name) is read member by member, in memory, by
  name (``ZipFile.open``): a member's path is never used as a path, so a name like ``../x`` cannot
  write anywhere. Such a zip is refused all the same, as is one that would expand far beyond its
  size, before anything is read from it:

  - a member name that climbs out of the archive (``..``), is absolute or has a drive letter;
  - a member that expands more than :data:`MAX_RATIO` times its compressed size (zip bombs reach
    thousands; real exports, JSON and images, stay under 20), once past :data:`RATIO_FLOOR`;
  - more than :data:`MAX_MEMBERS` members, or members adding up to more than
    :data:`MAX_IMPORT_BYTES` (``ZipFile`` never reads a member past its declared size, so the
    declared sizes are a real bound).

- any file, or everything a zip expands to, may hold at most :data:`MAX_IMPORT_BYTES` (2 GiB: a
  ChatGPT export of many years fits; the page's uploads are limited further by Streamlit,
  200 MB by default).

Inside a zip or a folder (``contained``), a file that is not a chat export (ChatGPT's
``chat.html``, images, ``user.json``) is passed over without a word; named on its own, it is a
problem. Problems here are :class:`~core.errors.InputError`\\ s with a ``transfer.*`` text.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from core.errors import InputError

MAX_IMPORT_BYTES: Final = 2 * 1024**3
MAX_RATIO: Final = 100
RATIO_FLOOR: Final = 1024**2  # a member smaller than this may compress as well as it likes
MAX_MEMBERS: Final = 100_000
ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members; an empty zip
SEPARATOR: Final = " › "  # between a zip's or a folder's name and a member's

Opener = Callable[[], AbstractContextManager[IO[bytes]]]


@dataclass(frozen=True)
class Document:
    name: str
    size: int
    open: Opener
    contained: bool = False  # inside a zip or a folder: passed over quietly if not an export


def human_size(size: int) -> str:
    """``1536`` → ``"1.5 KB"``; ``2 * 1024**3`` → ``"2 GB"`` (binary units, as file managers)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.3g} {unit}"
        value /= 1024
    return f"{value:.3g} GB"  # pragma: no cover - the loop returns


def _too_large(size: int) -> InputError:
    return InputError(
        "transfer.too_large", size=human_size(size), limit=human_size(MAX_IMPORT_BYTES)
    )


def unsafe_member(name: str) -> bool:
    """A member name that would point outside the archive if it were ever used as a path."""
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts


def _open_path(path: Path) -> Opener:
    def opener() -> AbstractContextManager[IO[bytes]]:
        return open(path, "rb")

    return opener


def _open_bytes(data: bytes) -> Opener:
    @contextmanager
    def opener() -> Iterator[IO[bytes]]:
        with io.BytesIO(data) as stream:  # shares ``data``: no copy
            yield stream

    return opener


def _head(opener: Opener) -> bytes:
    with opener() as stream:
        return stream.read(4)


def _zip_documents(name: str, opener: Opener) -> list[Document]:
    """The members of a zip as documents, after the safety checks (InputError if it fails one)."""
    try:
        with opener() as stream, zipfile.ZipFile(stream) as box:
            members = [info for info in box.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise InputError("transfer.zip_bad", why=str(exc)) from None
    if len(members) > MAX_MEMBERS:
        raise InputError("transfer.zip_too_many", count=len(members), limit=MAX_MEMBERS)
    total = 0
    for info in members:
        if unsafe_member(info.filename):
            raise InputError("transfer.zip_unsafe_name", member=info.filename)
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise InputError(
                "transfer.zip_bomb", member=info.filename, ratio=round(ratio), limit=MAX_RATIO
            )
        total += info.file_size
    if total > MAX_IMPORT_BYTES:
        raise _too_large(total)
    return [
        Document(f"{name}{SEPARATOR}{info.filename}", info.file_size, _member(opener, info), True)
        for info in sorted(members, key=lambda info: info.filename)
        if not info.flag_bits & 0x1  # encrypted members cannot be read: left out
    ]


def _member(opener: Opener, info: zipfile.ZipInfo) -> Opener:
    @contextmanager
    def open_member() -> Iterator[IO[bytes]]:
        with opener() as stream, zipfile.ZipFile(stream) as box, box.open(info) as member:
            yield member

    return open_member


def _documents(name: str, size: int, opener: Opener, contained: bool) -> list[Document]:
    """One file: itself, or its members if it is a zip."""
    if size > MAX_IMPORT_BYTES:
        raise _too_large(size)
    if _head(opener) in ZIP_MAGIC:
        return _zip_documents(name, opener)
    return [Document(name, size, opener, contained)]


Found = tuple[list[Document], list[tuple[str, InputError]]]  # documents, and files refused


def from_bytes(name: str, data: bytes) -> Found:
    """An uploaded file (or a zip of them)."""
    try:
        return _documents(name, len(data), _open_bytes(data), contained=False), []
    except InputError as exc:
        return [], [(name, exc)]


def from_path(path: str | os.PathLike[str]) -> Found:
    """A file, a zip or a folder named on the command line; in a folder, a file that cannot be
    read or a zip that fails the checks is refused alone."""
    root = Path(path)
    try:
        if not root.is_dir():
            return _documents(str(path), root.stat().st_size, _open_path(root), False), []
        found: list[Document] = []
        refused: list[tuple[str, InputError]] = []
        for folder, subfolders, files in os.walk(root):
            subfolders.sort()
            for file in sorted(files):
                member = Path(folder) / file
                shown = f"{root.name}{SEPARATOR}{member.relative_to(root)}"
                if member.is_symlink() or not member.is_file():
                    continue
                try:
                    size = member.stat().st_size
                    found += _documents(shown, size, _open_path(member), contained=True)
                except InputError as exc:
                    refused.append((shown, exc))
                except OSError as exc:
                    refused.append((shown, _unreadable(exc)))
        return found, refused
    except FileNotFoundError:
        return [], [(str(path), InputError("transfer.not_found"))]
    except InputError as exc:
        return [], [(str(path), exc)]
    except OSError as exc:
        return [], [(str(path), _unreadable(exc))]


def _unreadable(exc: OSError) -> InputError:
    return InputError("transfer.unreadable", why=exc.strerror or str(exc))
