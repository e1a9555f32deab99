"""What the settings form edits — the defaults, or one chat's own settings — and saving it.

Every chat either follows the defaults or has complete settings of its own. The settings page lets
the person pick which the form edits (:func:`pick_scope`: the defaults, or any of the recent chats,
the open one first) and says in plain words what saving will do; a chat's own settings dialog on
the chat page uses the same :func:`editor` with the scope fixed to that chat.

Saving checks the whole form first (:func:`core.services.settings.check`): a refused value is
explained in a red box and nothing is stored or announced as saved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import streamlit as st

from core.errors import CharlaError
from core.i18n import error_text, t
from core.schemas import ChatSettings, ChatSummary
from core.services import chats, server
from core.services import settings as settings_service
from core.services.server import ModelInfo
from core.vocab import DEFAULT_SYSTEM_PROMPT
from ui import settings_form, state
from ui.sidebar import forget_connection_status

RECENT = 30  # chats offered in the scope picker
DEFAULTS = 0  # the picker's value for "the defaults" (chat ids start at 1; None would be "empty")


@dataclass(frozen=True)
class Scope:
    """The defaults (``chat_id`` None) or one chat."""

    chat_id: int | None = None
    title: str = ""
    own: bool = False  # the chat has settings of its own


def chat_scope(chat_id: int, lang: str) -> Scope:
    summary = chats.get_chat(chat_id)
    return Scope(chat_id, summary.title or t("chat.untitled", lang), summary.own_settings)


def pick_scope(lang: str) -> Scope:
    """The "Settings for" box: the defaults, or one of the recent chats (the open one first)."""
    current = state.current_chat_id()
    recent = [chat for chat in chats.list_chats(limit=RECENT) if chat.id != current]
    if current is not None:
        recent.insert(0, chats.get_chat(current))

    def label(chat: ChatSummary) -> str:
        title = chat.title or t("chat.untitled", lang)
        key = "settings.scope_chat_own" if chat.own_settings else "settings.scope_chat"
        return t(key, lang, title=title)

    labels = {DEFAULTS: t("settings.scope_defaults", lang)} | {c.id: label(c) for c in recent}
    if st.session_state.get("set.scope") not in labels:
        st.session_state["set.scope"] = DEFAULTS  # a chat deleted meanwhile
    chosen = st.selectbox(
        t("settings.scope", lang), list(labels), key="set.scope", format_func=labels.__getitem__
    )
    return Scope() if chosen == DEFAULTS else chat_scope(int(chosen), lang)


def _shown(scope: Scope) -> ChatSettings:
    """What the form starts from: exactly what the scope's next request would carry."""
    if scope.chat_id is not None and scope.own:
        return chats.get_chat(scope.chat_id).settings
    saved = settings_service.saved_defaults()
    if saved.system_prompt is None:  # never saved: the default prompt is sent
        saved = replace(saved, system_prompt=DEFAULT_SYSTEM_PROMPT)
    return saved


def _save(scope: Scope, form: settings_form.Form, models: Sequence[ModelInfo], lang: str) -> None:
    checked = settings_service.check(settings_form.read(form), models)
    if scope.chat_id is None:
        settings_service.save_defaults(checked)
        done = "settings.saved_defaults"
    else:
        settings_service.save_chat_settings(scope.chat_id, checked)
        done = "settings.saved_chat"
    state.flash(t(done, lang))


def _reset(scope: Scope, lang: str) -> None:
    assert scope.chat_id is not None
    settings_service.reset_chat_settings(scope.chat_id)
    state.flash(t("settings.chat_reset", lang))


def editor(
    scope: Scope,
    models: Sequence[ModelInfo],
    lang: str,
    *,
    prefix: str,
    after_save: Callable[[], None] | None = None,
) -> None:
    """Say what the form edits, draw it, and save or reset it (then ``after_save``)."""
    if scope.chat_id is None:
        st.info(t("settings.editing_defaults", lang), icon=":material/tune:")
    elif scope.own:
        st.info(t("settings.editing_own", lang, title=scope.title), icon=":material/chat:")
    else:
        st.info(t("settings.editing_follows", lang, title=scope.title), icon=":material/chat:")
    form = settings_form.Form(prefix)
    source = "defaults" if scope.chat_id is None else f"chat-{scope.chat_id}-{scope.own}"
    settings_form.load(form, _shown(scope), source)
    settings_form.widgets(
        form, models, lang, configured_model=server.server_info().configured_model
    )

    with st.container(horizontal=True, key=f"{prefix}-actions"):
        save = st.button(
            t("settings.save_defaults" if scope.chat_id is None else "settings.save_chat", lang),
            key=f"{prefix}-save",
            type="primary",
            icon=":material/save:",
        )
        reset = scope.own and st.button(t("settings.reset_chat", lang), key=f"{prefix}-reset")
    if not (save or reset):
        return
    try:
        if reset:
            _reset(scope, lang)
        else:
            _save(scope, form, models, lang)
    except CharlaError as exc:
        st.error(error_text(exc, lang), icon=":material/block:")
        return
    state.chat_service().invalidate_defaults()
    forget_connection_status()
    st.session_state.pop(form.key("source"), None)  # fill the form again from what is stored
    if after_save is not None:
        after_save()
    st.rerun()
