"""What every page shares: the process's cached resources, the UI language and the selected chat.

- :func:`boot` runs :func:`core.bootstrap.start` once per process (``st.cache_resource``); the
  entry file calls it before anything is drawn, and pages call it too so that each page file also
  runs on its own (``AppTest.from_file("pages/chat.py")``). It is a cache hit after the first run.
- :func:`chat_service` is one :class:`~core.services.chat.ChatService` for the process: it holds no
  per-user state (the provider and database sessions are created per call), so every session can
  share it.
- :func:`lang` reads the language chosen on the settings page (app setting ``"language"``), falling
  back to ``APP_LANGUAGE``. It is one primary-key lookup per rerun, so a change made in one tab is
  seen by the next rerun of every other tab.
- The selected chat lives in ``st.session_state`` and in the URL (``?chat=12``), so a chat can be
  bookmarked, reloaded, and opened from the History page with
  ``st.switch_page("pages/chat.py", query_params={"chat": id})``. The URL wins when both are set.

``st.session_state`` only holds UI state (selection, drafts, window sizes); the database stays the
source of truth.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import streamlit as st

from core import bootstrap
from core.conf.settings import Settings
from core.errors import CharlaError, InputError
from core.i18n import error_text
from core.services import chats, settings
from core.services.chat import ChatService

CHAT_PARAM = "chat"  # URL query parameter with the selected chat id
MESSAGE_PARAM = "msg"  # URL query parameter: a message to show and highlight (ui.jump)
_CHAT_STATE = "chat_id"


@st.cache_resource(show_spinner=False)
def boot() -> Settings:
    """Validate the configuration and migrate the database, once per process.

    Raises :class:`core.errors.ConfigError`; ``st.cache_resource`` does not cache exceptions, so
    the next rerun tries again after the user fixes ``.env`` (a restart is still needed to reread it).
    """
    return bootstrap.start()


@st.cache_resource(show_spinner=False)
def chat_service() -> ChatService:
    """The process-wide chat service (stateless apart from the provider it looks up per call)."""
    return ChatService()


def lang() -> str:
    """The UI language: the one saved on the settings page, else ``APP_LANGUAGE``."""
    return settings.language()


def set_lang(code: str) -> None:
    """Save the UI language for every session (an app setting, like the generation defaults)."""
    # Not a language of ours (a stale widget value): keep the current one.
    with contextlib.suppress(InputError):
        settings.set_language(code)


def _parse_id(raw: object) -> int | None:
    try:
        value = int(str(raw))
    except ValueError:
        return None
    return value if value > 0 else None


def current_chat_id() -> int | None:
    """The selected chat if it still exists (URL first, then this session's selection)."""
    from_url = _parse_id(st.query_params.get(CHAT_PARAM)) if CHAT_PARAM in st.query_params else None
    chat_id = from_url if from_url is not None else st.session_state.get(_CHAT_STATE)
    if chat_id is None:
        return None
    if not chats.chat_exists(chat_id):  # deleted (here, in another tab, or an old bookmark)
        select_chat(None)
        return None
    if from_url is None or st.session_state.get(_CHAT_STATE) != chat_id:
        select_chat(chat_id)
    return int(chat_id)


def selected_chat_id() -> int | None:
    """The selection as stored, without checking the database (for pages that only pass it on)."""
    from_url = _parse_id(st.query_params.get(CHAT_PARAM)) if CHAT_PARAM in st.query_params else None
    return from_url if from_url is not None else st.session_state.get(_CHAT_STATE)


def select_chat(chat_id: int | None) -> None:
    """Make ``chat_id`` the selected chat (``None``: no chat, the next message starts one)."""
    st.session_state[_CHAT_STATE] = chat_id
    if st.query_params.get(CHAT_PARAM) != str(chat_id):  # another chat: a search's target goes
        st.query_params.pop(MESSAGE_PARAM, None)
    if chat_id is None:
        st.query_params.pop(CHAT_PARAM, None)
    else:
        st.query_params[CHAT_PARAM] = str(chat_id)


_FLASH = "flash"


def flash(text: str, *, error: bool = False) -> None:
    """A short confirmation (a toast) or an error (a red box) to show once, after the next rerun
    (drawn before ``st.rerun()`` it would be lost with the run that drew it)."""
    st.session_state[_FLASH] = (text, error)


def attempted(action: Callable[[], object], lang: str) -> bool:
    """Run a callback's ``action``; False when the core refused it (a chat or message gone in
    another tab, a name too long), its sentence flashed in ``lang`` as an error."""
    try:
        action()
    except CharlaError as exc:
        flash(error_text(exc, lang), error=True)
        return False
    return True


def show_flash() -> None:
    found = st.session_state.pop(_FLASH, None)
    if not found:
        return
    text, error = found
    if error:
        st.error(text, icon=":material/error:")
    else:
        st.toast(text, icon=":material/check:")
