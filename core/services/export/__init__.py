"""Exporting the history: which chats (:mod:`.scope`), in which format (:mod:`.formats`): CSV built
by the database (:mod:`.csv_sql`, :mod:`.csv_export`), Charla's lossless JSON
(:mod:`.json_export`) or Markdown (:mod:`.markdown_export`), all streamed from the database
(:mod:`.records` reads chats with their messages) to a download or a file.

Pages and the CLI import from here.
"""

from __future__ import annotations

from core.services.export.csv_export import (
    BOM,
    LINE_END,
    MIME,
    csv_bytes,
    deferred_csv,
    export_to_file,
    iter_csv,
)
from core.services.export.csv_sql import (
    COLUMNS,
    FORMULA_TRIGGERS,
    VERSION_COLUMNS,
    columns,
    neutralise,
)
from core.services.export.formats import (
    ExportFormat,
    deferred_export,
    download_name,
    export_file,
    mime_type,
    single_chat,
    write_export,
)
from core.services.export.scope import IDS_PER_QUERY, ExportScope, file_name
from core.services.export.writing import Counts

__all__ = [
    "BOM",
    "COLUMNS",
    "FORMULA_TRIGGERS",
    "IDS_PER_QUERY",
    "LINE_END",
    "MIME",
    "VERSION_COLUMNS",
    "Counts",
    "ExportFormat",
    "ExportScope",
    "columns",
    "csv_bytes",
    "deferred_csv",
    "deferred_export",
    "download_name",
    "export_file",
    "export_to_file",
    "file_name",
    "iter_csv",
    "mime_type",
    "neutralise",
    "single_chat",
    "write_export",
]
