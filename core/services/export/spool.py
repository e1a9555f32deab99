"""Where a download is built: an anonymous temporary file that frees itself once read.

Every export format streams into one of these, never into memory: the database rows and the
file's bytes pass through in small pieces, and only the finished file sits on disk until
Streamlit reads it to serve the download.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from typing import BinaryIO

from core.identity import acting_as, current_owner_id


class Spool(io.FileIO):
    """An anonymous temporary file that closes itself once it has been read whole.

    Streamlit reads a download's file object once (``seek(0)``, ``read()``) and never closes it;
    closing here frees the descriptor and the disk space at once instead of at garbage collection.
    """

    @classmethod
    def create(cls, suffix: str) -> Spool:
        descriptor, name = tempfile.mkstemp(prefix="charla-export-", suffix=suffix)
        os.unlink(name)  # anonymous: the space is freed when the descriptor is closed
        return cls(descriptor, "w+b")

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if size is None or size < 0:
            self.close()
        return data or b""


def deferred(write: Callable[[BinaryIO], object], *, suffix: str) -> Callable[[], io.RawIOBase]:
    """The ``data=`` callable of a ``st.download_button``: ``write`` runs only on click, into a
    :class:`Spool`, which is handed to Streamlit rewound (and closed if ``write`` fails).

    The click is served in a thread that does not carry the session's owner, so the owner of the
    page that offered the download is taken now and acted as then (everything is *mine*)."""
    owner = current_owner_id()

    def build() -> io.RawIOBase:
        spool = Spool.create(suffix)
        try:
            with acting_as(owner):
                write(spool)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool

    return build
