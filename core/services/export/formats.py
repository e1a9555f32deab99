"""The three export formats behind one set of entry points (the History page and the CLI use these).

- :class:`ExportFormat`: ``csv`` (:mod:`.csv_export`, one row per message, for spreadsheets and
  pandas), ``json`` (:mod:`.json_export`, Charla's lossless format), ``markdown``
  (:mod:`.markdown_export`, for reading: one ``.md`` for a single chat, else a ``.zip`` of them).
- :func:`write_export` writes any of them to an open binary file; :func:`export_file` to a path
  (atomically: see :func:`.writing.replace_atomically`); :func:`deferred_export` is the ``data=``
  callable of a download button (built on click, into an anonymous temporary file).
- :func:`download_name` and :func:`mime_type` say what the file is called and what it is.

Every format streams from the database (never the whole history in memory) and takes the same
:class:`~.scope.ExportScope`. ``safe`` and ``scope.all_versions`` only mean something for CSV: JSON
always holds every version, Markdown the versions shown; ``lang`` is the language of Markdown's
headings.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import BinaryIO

from sqlalchemy import Engine

from core.services.export import csv_export, json_export, markdown_export
from core.services.export.scope import ExportScope, file_name
from core.services.export.spool import deferred
from core.services.export.writing import Counts, replace_atomically


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"


def single_chat(scope: ExportScope) -> bool:
    """Whether ``scope`` is exactly one chat (Markdown is then one ``.md`` file, not a zip)."""
    return scope.chat_ids is not None and len(scope.chat_ids) == 1 and scope.filter is None


def extension(fmt: ExportFormat, scope: ExportScope) -> str:
    if fmt is ExportFormat.MARKDOWN:
        return "md" if single_chat(scope) else "zip"
    return fmt.value


def mime_type(fmt: ExportFormat, scope: ExportScope) -> str:
    if fmt is ExportFormat.CSV:
        return csv_export.MIME
    if fmt is ExportFormat.JSON:
        return json_export.MIME
    return markdown_export.MIME if single_chat(scope) else markdown_export.ZIP_MIME


def download_name(fmt: ExportFormat, scope: ExportScope, today: date | None = None) -> str:
    """``charla-chat-12.json``, ``charla-all-2026-11-25.zip``, … (see :func:`.scope.file_name`)."""
    if fmt is not ExportFormat.CSV:  # "-all-versions" only describes a CSV file
        scope = scope.with_versions(False)
    return file_name(scope, today, extension=extension(fmt, scope))


def write_export(
    target: BinaryIO,
    scope: ExportScope,
    fmt: ExportFormat,
    *,
    safe: bool = True,
    lang: str = "en",
    engine: Engine | None = None,
) -> Counts:
    """Write the export of ``scope`` in ``fmt`` to ``target``; returns what was written."""
    if fmt is ExportFormat.CSV:
        return Counts(None, csv_export.write_csv(target, scope, safe, engine=engine))
    if fmt is ExportFormat.JSON:
        return json_export.write_json(target, scope, engine=engine)
    return markdown_export.write_markdown(
        target, scope, lang, as_zip=not single_chat(scope), engine=engine
    )


def export_file(
    path: str | os.PathLike[str],
    scope: ExportScope,
    fmt: ExportFormat,
    *,
    safe: bool = True,
    lang: str = "en",
    engine: Engine | None = None,
) -> Counts:
    """Write the export to ``path`` (never left half-written); returns what was written."""
    return replace_atomically(
        path, lambda target: write_export(target, scope, fmt, safe=safe, lang=lang, engine=engine)
    )


def deferred_export(
    scope: ExportScope, fmt: ExportFormat, *, safe: bool = True, lang: str = "en"
) -> Callable[[], io.RawIOBase]:
    """The ``data=`` callable for ``st.download_button``: the export is made only on click, from
    the plain values captured now, into an anonymous temporary file (see
    :func:`.csv_export.deferred_csv` for why)."""
    return deferred(
        lambda target: write_export(target, scope, fmt, safe=safe, lang=lang),
        suffix="." + extension(fmt, scope),
    )
