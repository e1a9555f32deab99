"""The frame every page runs in: start-up, access, the navigation, the connection badge.

Normally ``streamlit_app.py`` runs the frame (:func:`navigate`) and then the page. A page can also
run *without* the entry file, and must then protect itself (:func:`page_setup`, its first line):

- ``AppTest.from_file("pages/chat.py")`` runs a page alone (tests);
- Streamlit's legacy multipage mode (see below) runs a page file directly on the first request of a
  process.

**Why a URL could show "Page not found", and what this module does about it.** Two causes, both
seen in Chromium (``tests/e2e/test_browser_frame.py`` opens every page by its URL):

1. *The default page has no name of its own.* Streamlit serves the ``default=True`` page at ``/``
   and matches a requested path against each page's *public* ``url_path``, which is ``""`` for the
   default page whatever ``url_path`` it was given. So ``/chat`` (a bookmark, a link, the address
   the legacy mode shows) matched nothing: ``st.navigation`` sent "Page not found" and ran the
   default page under the dialog. Fix, with public API only: :func:`app_pages` also registers a
   hidden page at ``/chat`` that switches to the chat page at ``/``, keeping the query string
   (``/chat?chat=12`` opens chat 12). One address per page; the sidebar highlights "Chat".
2. *The legacy ``pages/`` mode.* Streamlit 1.67 decides once per process, when the first session
   starts, whether the app is a legacy multipage app: it is if a ``pages/`` folder sits beside the
   entry file (ours must keep that name), until ``st.navigation`` runs for the first time. Until
   then a request runs ``_mpa_v1`` instead of the entry file: ``/history`` runs ``pages/history.py``
   directly (no password check, a sidebar of file names), and a screen that stopped before the
   entry file's ``st.navigation`` (the password prompt, a configuration error) left that list of
   file names on screen. So the entry file calls ``st.navigation`` on *every* path, with the
   navigation hidden until the user may see the pages; and a page that finds itself running in
   the legacy mode leaves it the public way, by calling ``st.navigation`` itself (documented: it
   turns ``pages/`` discovery off for the process), then reruns so that the entry file runs and
   opens the same page. Noticing the legacy mode needs Streamlit's flag
   ``PagesManager.uses_pages_directory`` (read only: 1.67 has no public way to ask); should it
   disappear, the page still runs the frame's checks itself (as under AppTest): never a page
   without them.

:func:`framed` marks the page run that the entry file starts (a thread-local flag: each session's
script runs in its own thread).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from core.conf.settings import Settings
from core.errors import ConfigError
from core.i18n import LANGUAGES, error_text, t
from ui import identity, state
from ui.access import access_granted, require_access
from ui.sidebar import connection_badge

if TYPE_CHECKING:
    from streamlit.navigation.page import StreamlitPage

PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"
CHAT_ALIAS = "chat"  # the chat page is served at "/"; "/chat" leads there

_local = threading.local()


# The pages beside the chat page, in the navigation's order: file (in pages/), title, icon, URL path.
FILE_PAGES = {
    "history": ("app.page_history", ":material/history:"),
    "compare": ("compare.page", ":material/compare_arrows:"),
    "insights": ("insights.page", ":material/insights:"),
    "settings": ("app.page_settings", ":material/tune:"),
}


def page_of(name: str, lang: str) -> StreamlitPage:
    """The page ``name`` (a file of ``pages/``) as ``st.page_link`` and ``st.switch_page`` take it.

    A page object works whether or not the entry file registered the pages (a page run alone by
    AppTest has no navigation, and a path such as ``"pages/chat.py"`` would not be found)."""
    if name == "chat":
        return st.Page(
            PAGES_DIR / "chat.py",
            title=t("app.page_chat", lang),
            icon=":material/chat:",
            url_path="",  # the default page is served at "/" whatever its url_path says
            default=True,
        )
    title, icon = FILE_PAGES[name]
    return st.Page(PAGES_DIR / f"{name}.py", title=t(title, lang), icon=icon, url_path=name)


def app_pages(lang: str, *, admin: bool = False) -> list[StreamlitPage]:
    """The app's pages for ``st.navigation``: titles, icons, URL paths (and the users page for an
    admin, ``CHARLA_ADMINS``).

    Paths are absolute, so the list is the same whichever script is Streamlit's main one (the entry
    file, or a page file in the legacy mode).
    """
    chat = page_of("chat", lang)

    def open_chat() -> None:
        st.switch_page(chat, query_params=st.query_params.to_dict())

    hidden = st.Page(
        open_chat, title=t("app.page_chat", lang), url_path=CHAT_ALIAS, visibility="hidden"
    )
    pages = [chat, hidden, *(page_of(name, lang) for name in FILE_PAGES)]
    if admin:
        users = PAGES_DIR / "users.py"
        pages.append(
            st.Page(
                users, title=t("users.page_title", lang), icon=":material/group:", url_path="users"
            )
        )
    return pages


def _hide_navigation(lang: str) -> None:
    """Before a screen that shows no page: navigation on (so Streamlit leaves the legacy mode for
    good), but nothing to click."""
    st.navigation(app_pages(lang), position="hidden")


def _boot(*, entry: bool) -> tuple[Settings, str]:
    """Boot once per process; on a configuration error show it and stop."""
    try:
        settings = state.boot()
    except ConfigError as exc:
        # The language setting itself may be what is wrong: read it leniently.
        fallback = os.environ.get("APP_LANGUAGE", "en").strip().lower()
        fallback = fallback if fallback in LANGUAGES else "en"
        if entry:
            _hide_navigation(fallback)
        st.error(f"{t('app.start_failed', fallback)} {error_text(exc, fallback)}")
        st.stop()
    # Who is this, before any page reads a chat (ui.identity): the sign-in page, or a refusal,
    # is all a session without an identity sees in multi-user mode.
    identity.install()
    if identity.identify(settings, settings.language) is None:
        if entry:
            _hide_navigation(settings.language)
        st.stop()
    return settings, state.lang()


def navigate() -> tuple[StreamlitPage, str]:
    """The entry file's frame: boot, the access check, ``st.navigation``.

    Returns the page to run and the UI language; stops the run (with the reason, or the password
    prompt, drawn) when nothing may be shown.
    """
    settings, lang = _boot(entry=True)
    allowed = access_granted(settings, lang)
    owner = identity.current()
    admin = owner is not None and owner.is_admin
    page = st.navigation(app_pages(lang, admin=admin), position="sidebar" if allowed else "hidden")
    if not allowed:
        st.stop()
    identity.account(settings, owner, lang)
    return page, lang


def start() -> tuple[Settings, str]:
    """A page run alone: boot and the access check; stops the run with a message on failure.

    Returns the settings and the UI language.
    """
    settings, lang = _boot(entry=False)
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


def _in_legacy_pages_mode() -> bool:
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without it: the page runs the checks itself
        return False
    return getattr(PagesManager, "uses_pages_directory", None) is True


def _leave_legacy_pages_mode() -> None:
    """If Streamlit runs this page in the legacy ``pages/`` mode, leave it and rerun."""
    if _in_legacy_pages_mode():
        # The titles do not matter: this navigation is hidden and the rerun replaces it at once.
        _hide_navigation("en")
        st.rerun()


def page_setup() -> str:
    """First line of every page; returns the UI language."""
    if getattr(_local, "active", False):
        return state.lang()
    _leave_legacy_pages_mode()
    _, lang = start()  # run alone (AppTest, or legacy mode): do the entry file's checks here
    connection_badge(lang)
    return lang
