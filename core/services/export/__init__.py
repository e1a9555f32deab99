"""Exporting the history: which chats (:mod:`.scope`), as CSV built by the database
(:mod:`.csv_sql`), streamed to a download or a file (:mod:`.csv_export`).

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
from core.services.export.scope import IDS_PER_QUERY, ExportScope, file_name

__all__ = [
    "BOM",
    "COLUMNS",
    "FORMULA_TRIGGERS",
    "IDS_PER_QUERY",
    "LINE_END",
    "MIME",
    "VERSION_COLUMNS",
    "ExportScope",
    "columns",
    "csv_bytes",
    "deferred_csv",
    "export_to_file",
    "file_name",
    "iter_csv",
    "neutralise",
]
