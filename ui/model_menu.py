"""The chat's compact model menu (beside its title), the note that an answer will load its model,
and the preset picker of a chat not yet started.

- :func:`model_menu`: a popover with the load/unload controls (only on servers that load on
  request: :mod:`ui.model_controls`) and the presets, to apply one to this chat. Drawn only when
  it has something to offer.
- :func:`jit_notice`: when the model the next answer uses is known not to be loaded, one line says
  that the first answer loads it (and may take a while), so the wait is not a silent one. It reads
  the sidebar's cached connection check: no request of its own.
- :func:`new_chat_preset`: on the empty chat page, which preset the chat about to start gets
  (the default preset, preselected); :func:`new_chat_settings` reads it when the first message is
  sent.
"""

from __future__ import annotations

import streamlit as st

from core.errors import CharlaError, NotFound
from core.i18n import error_text, t
from core.schemas import ChatSettings
from core.services import model_control, presets, server
from ui import state
from ui.model_controls import model_controls
from ui.presets_editor import preset_label
from ui.render import model_label
from ui.sidebar import current_connection_status

NONE = 0  # "No preset" in the pickers (preset ids start at 1)
NEW_CHAT_KEY = "draft.preset"


def jit_notice(lang: str) -> None:
    status = current_connection_status()
    if status.ok and status.model and status.loaded is False:
        st.caption(
            t("models.jit_notice", lang, model=model_label(status.model)),
            help=status.model,
        )


def _apply_preset(chat_id: int, lang: str) -> None:
    chosen = st.session_state.get(f"chatpreset.{chat_id}")
    if not chosen:
        return
    try:
        name = presets.get_preset(int(chosen)).name
        presets.apply_to_chat(chat_id, int(chosen))
    except CharlaError as exc:
        state.flash(error_text(exc, lang), error=True)
        return
    st.session_state.pop("chatset.source", None)  # the chat's settings dialog shows them anew
    state.flash(t("presets.applied", lang, name=name))


def model_menu(chat_id: int, lang: str) -> None:
    """The popover beside the chat's title: load/unload models, apply a preset."""
    records = presets.list_presets()
    # Asked only of a server the (cached) badge check reached: a server that does not answer
    # would otherwise cost a connection attempt per endpoint on every run of the page.
    can_load = current_connection_status().ok and model_control.can_load()
    if not records and not can_load:
        return
    with st.popover(
        t("models.menu", lang), icon=":material/memory:", key=f"model-menu-{chat_id}",
        type="tertiary",
    ):  # fmt: skip
        if can_load:
            try:
                model_controls(server.list_models(), lang, prefix="chatmodel")
            except CharlaError as exc:
                st.caption(error_text(exc, lang))
        if records:
            by_id = {p.id: p for p in records}
            st.selectbox(
                t("presets.pick", lang), [NONE, *by_id], key=f"chatpreset.{chat_id}",
                format_func=lambda i: t("presets.no_default", lang) if i == NONE
                else preset_label(by_id[i], lang),
            )  # fmt: skip
            st.button(
                t("presets.apply", lang), key=f"chatpreset-apply-{chat_id}",
                on_click=_apply_preset, args=(chat_id, lang),
            )  # fmt: skip


def new_chat_preset(lang: str) -> None:
    """The preset picker of the chat about to start (the default preset preselected)."""
    records = presets.list_presets()
    if not records:
        st.session_state.pop(NEW_CHAT_KEY, None)
        return
    by_id = {p.id: p for p in records}
    if st.session_state.get(NEW_CHAT_KEY) not in (NONE, *by_id):
        default = next((p.id for p in records if p.is_default), NONE)
        st.session_state[NEW_CHAT_KEY] = default
    st.selectbox(
        t("presets.for_new_chat", lang), [NONE, *by_id], key=NEW_CHAT_KEY,
        format_func=lambda i: t("presets.no_default", lang) if i == NONE
        else preset_label(by_id[i], lang),
    )  # fmt: skip


def new_chat_settings() -> ChatSettings | None:
    """The settings of the chat about to start: the preset picked for it, else (picker not
    drawn, or its preset deleted meanwhile) the default preset; None: it follows the defaults."""
    chosen = st.session_state.get(NEW_CHAT_KEY)
    if chosen == NONE:
        return None
    try:
        return presets.new_chat_settings(int(chosen) if chosen else None)
    except NotFound:
        return presets.new_chat_settings()
