"""The History page's Import section: chats from ChatGPT, LM Studio, Open WebUI or Charla.

:func:`import_section` is all the page calls. A file uploader takes several files at once (JSON
files or zips: the format is told from the content, never the name); **Import** reads them with
:func:`core.services.importers.import_uploads`, drawing a progress bar (conversations done / total)
as it goes. The uploader is then emptied (a new widget key) and the page reruns, so the table
above shows the new chats, and the section shows the summary kept in ``st.session_state``: chats
and messages added, conversations already here, and every problem, file by file, in the reader's
language.

Nothing is imported by merely choosing files: Streamlit keeps uploaded files across reruns, and
an import on every rerun would be wasted work (harmless, as importing twice adds nothing, but
slow). Uploads are limited by Streamlit (``server.maxUploadSize``, 200 MB by default); the caption
says so and points to ``python -m core.cli import`` for larger exports, which streams from disk.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.i18n import t
from core.services.importers import ImportReport, import_uploads

_UPLOADS = "hist.import.uploads"  # + a generation number: a new one empties the uploader
_GENERATION = "hist.import.generation"
_REPORT = "hist.import.report"
RUN = "hist.import.run"


def _summary(report: ImportReport, lang: str) -> None:
    """What the last import did: totals, each file, each problem."""
    total = report.conversations
    st.progress(1.0, text=t("transfer.progress", lang, done=total, total=total))
    show = st.warning if report.problems else st.success
    show(report.summary(lang), icon=":material/upload_file:")
    for file in report.files:
        st.caption(
            t(
                "transfer.file_summary",
                lang,
                name=file.name,
                chats=file.chats,
                messages=file.messages,
                duplicates=file.duplicates,
            )
        )
    if report.problems:
        st.markdown("\n".join(f"- {_literal(p.text(lang))}" for p in report.problems))


def _literal(text: str) -> str:
    """A problem's sentence as Markdown text (file names and titles may hold * or _)."""
    for mark in ("\\", "*", "_", "`", "[", "]", "<", ">", "#"):
        text = text.replace(mark, "\\" + mark)
    return text


def _run(files: list[Any], lang: str) -> ImportReport:
    bar = st.progress(0.0, text=t("transfer.importing", lang))

    def progress(done: int, total: int) -> None:
        counts = t("transfer.progress", lang, done=done, total=total)
        bar.progress(done / total if total else 1.0, text=counts)

    return import_uploads([(file.name, file.getvalue()) for file in files], progress=progress)


def import_section(lang: str) -> None:
    """Draw the Import section (uploader, Import button, progress, summary of the last import)."""
    st.subheader(t("transfer.import", lang), anchor=False)
    limit = int(st.get_option("server.maxUploadSize"))
    st.caption(t("transfer.import_caption", lang, limit=limit))
    generation = int(st.session_state.get(_GENERATION, 0))
    files = st.file_uploader(
        t("transfer.upload", lang),
        accept_multiple_files=True,
        key=f"{_UPLOADS}.{generation}",
        help=t("transfer.upload_help", lang),
    )
    chosen = list(files or [])
    if st.button(
        t("transfer.import_button", lang),
        key=RUN,
        type="primary",
        icon=":material/upload:",
        disabled=not chosen,
    ):
        st.session_state[_REPORT] = _run(chosen, lang)
        st.session_state[_GENERATION] = generation + 1
        st.rerun()
    report = st.session_state.get(_REPORT)
    if isinstance(report, ImportReport):
        _summary(report, lang)
