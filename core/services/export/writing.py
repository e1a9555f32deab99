"""What the export writers share: a buffered UTF-8 output, the counts they return, and writing a
file so that it is never seen half-written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, TypeVar

T = TypeVar("T")

CHUNK_CHARS: Final = 64 * 1024  # text gathered before one write to the file


@dataclass(frozen=True)
class Counts:
    """How much an export wrote."""

    chats: int | None  # None: not counted (the CSV export counts lines, that is messages)
    messages: int


class Output:
    """Text written to a binary file as UTF-8, about :data:`CHUNK_CHARS` at a time.

    The writers produce many small pieces (a line per message); gathering them spares a system call
    per piece on an unbuffered file (the download spool is a raw ``FileIO``) while keeping memory to
    one chunk.
    """

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= CHUNK_CHARS:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self._target.write("".join(self._parts).encode("utf-8"))
            self._parts.clear()
            self._size = 0


def replace_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], T]) -> T:
    """Run ``write`` on a temporary file beside ``path``, then rename it to ``path``: the path
    holds either its previous file or the complete new one, never a half-written export (a failed
    export removes its temporary file). Returns what ``write`` returned."""
    target = Path(path)
    descriptor, name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    try:
        with open(descriptor, "wb") as handle:
            result = write(handle)
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return result
