"""The checks every page runs behind: start-up, access, the connection badge.

Normally ``streamlit_app.py`` runs them and then the page (``st.navigation``). A page can also run
*without* the entry file, and must then protect itself:

- ``AppTest.from_file("pages/chat.py")`` runs a page alone (tests);
- Streamlit's legacy multipage mode: because ``pages/`` sits beside the entry file, a fresh server
  process treats that folder as pages until ``st.navigation`` has run once. The very first request
  of a process for ``/chat`` or ``/settings`` would then run the page directly — skipping the
  password, with a sidebar of file names. Such a run turns that mode off (what ``st.navigation``
  itself does; Streamlit 1.67 has no public switch for it) and reruns, so the entry file runs and
  opens the same page. Should that private flag ever change, the page still runs the checks
  itself (as under AppTest): never a page without them.

:func:`framed` marks the page run that the entry file starts (a thread-local flag: each session's
script runs in its own thread), and :func:`page_setup` is the first line of every page.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from core.conf.settings import Settings
from core.errors import ConfigError
from core.i18n import LANGUAGES, error_text, t
from ui import state
from ui.access import require_access
from ui.sidebar import connection_badge

_local = threading.local()


def start() -> tuple[Settings, str]:
    """Boot (once per process), then the access check; stops the run with a message on failure.

    Returns the settings and the UI language.
    """
    try:
        settings = state.boot()
    except ConfigError as exc:
        # The language setting itself may be what is wrong: read it leniently.
        fallback = os.environ.get("APP_LANGUAGE", "en").strip().lower()
        fallback = fallback if fallback in LANGUAGES else "en"
        st.error(f"{t('app.start_failed', fallback)} {error_text(exc, fallback)}")
        st.stop()
    lang = state.lang()
    require_access(settings, lang)
    return settings, lang


@contextmanager
def framed() -> Iterator[None]:
    """Around ``page.run()`` in the entry file: the page knows the checks already ran."""
    _local.active = True
    try:
        yield
    finally:
        _local.active = False


def _leave_legacy_pages_mode() -> None:
    """If Streamlit runs this page in legacy ``pages/`` mode, turn that mode off and rerun."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without it: the page still runs the checks itself
        return
    if getattr(PagesManager, "uses_pages_directory", None) is True:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_setup() -> str:
    """First line of every page; returns the UI language."""
    if getattr(_local, "active", False):
        return state.lang()
    _leave_legacy_pages_mode()
    _, lang = start()  # run alone (AppTest, or legacy mode): do the entry file's checks here
    connection_badge(lang)
    return lang
