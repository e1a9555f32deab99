"""The History page's Export section: the selected chats, the filtered chats or everything, as CSV,
Charla JSON or Markdown.

:func:`export_section` is all the page calls. It draws the format choice (``hist.format``), the
CSV options when CSV is chosen (``hist.safe``: safe for spreadsheets, on by default;
``hist.versions``: every version), a caption saying what the format holds, and three download
buttons (``hist.dl.chat``, ``hist.dl.filtered``, ``hist.dl.all``), each disabled when it would
export nothing.

Files are built only when a button is clicked (:func:`core.services.export.deferred_export`),
streamed from the database into a temporary file, from plain values captured now (the scope, the
format, the options, the language): Streamlit runs the builder later, in a thread without the
page's session. Names say what is inside (``charla-chat-12.json``, ``charla-all-2026-11-25.zip``).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.i18n import t
from core.services.export import (
    ExportFormat,
    ExportScope,
    deferred_export,
    download_name,
    mime_type,
)

FORMAT = "hist.format"
_LABELS = {
    ExportFormat.CSV: "transfer.format_csv",
    ExportFormat.JSON: "transfer.format_json",
    ExportFormat.MARKDOWN: "transfer.format_markdown",
}
_CAPTIONS = {
    ExportFormat.CSV: "transfer.caption_csv",
    ExportFormat.JSON: "transfer.caption_json",
    ExportFormat.MARKDOWN: "transfer.caption_markdown",
}


def _download(
    label: str,
    scope: ExportScope | None,
    fmt: ExportFormat,
    options: tuple[bool, str],
    key: str,
    help: str | None = None,
) -> None:
    safe, lang = options
    st.download_button(
        label,
        data=deferred_export(scope, fmt, safe=safe, lang=lang) if scope is not None else b"",
        file_name=download_name(fmt, scope) if scope is not None else f"charla.{fmt.value}",
        mime=mime_type(fmt, scope) if scope is not None else None,
        key=key,
        on_click="ignore",
        icon=":material/download:",
        disabled=scope is None,
        help=help,
    )


def _csv_options(lang: str) -> tuple[bool, bool]:
    with st.container(horizontal=True, key="hist-export-options"):
        safe = st.toggle(
            t("history.safe", lang), value=True, key="hist.safe", help=t("history.safe_help", lang)
        )
        versions = st.toggle(
            t("history.all_versions", lang),
            value=False,
            key="hist.versions",
            help=t("history.all_versions_help", lang),
        )
    return safe, versions


def export_section(
    selected_ids: Sequence[int],
    matching: ExportScope | None,
    matching_count: int,
    everything: int,
    lang: str,
) -> None:
    """Draw the Export section.

    ``selected_ids``: the chats selected on the page (the chat being read, or the table's
    selection); ``matching``: the scope of the chats the current filter shows
    (``ExportScope.matching(filter)``, or None when none match) and ``matching_count`` how many;
    ``everything``: how many chats there are.
    """
    st.subheader(t("transfer.export", lang), anchor=False)
    fmt = st.radio(
        t("transfer.format", lang),
        list(ExportFormat),
        key=FORMAT,
        horizontal=True,
        format_func=lambda value: t(_LABELS[ExportFormat(value)], lang),
    )
    fmt = ExportFormat(fmt or ExportFormat.CSV)
    st.caption(t(_CAPTIONS[fmt], lang))
    safe, versions = _csv_options(lang) if fmt is ExportFormat.CSV else (True, False)
    ids = list(dict.fromkeys(selected_ids))
    scopes = (
        ExportScope.chats(ids) if ids else None,
        matching if matching is not None and matching_count else None,
        ExportScope.everything() if everything else None,
    )
    chosen, filtered, all_chats = (s.with_versions(versions) if s else None for s in scopes)
    options = (safe, lang)
    if len(ids) > 1:
        selected_label = t("transfer.download_selected", lang, count=len(ids))
    else:
        selected_label = t("history.download_chat", lang)
    with st.container(horizontal=True, key="hist-downloads"):
        _download(
            selected_label,
            chosen,
            fmt,
            options,
            "hist.dl.chat",
            help=t("history.download_chat_help", lang) if not ids else None,
        )
        _download(
            t("history.download_filtered", lang, count=matching_count),
            filtered,
            fmt,
            options,
            "hist.dl.filtered",
        )
        _download(
            t("history.download_all", lang, count=everything),
            all_chats,
            fmt,
            options,
            "hist.dl.all",
        )
