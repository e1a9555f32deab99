"""Presets on the settings page: pick one (or "New preset"), edit its name, system prompt and
generation settings with the settings form, and create, save, duplicate, delete it; make it the
default for new chats; apply it to the open chat; import LM Studio ``*.preset.json`` files.

The form is :mod:`ui.settings_form` without the model (a preset does not choose a model), under
the key prefix ``preset``; it is filled from the picked preset once per pick, and again after a
save. Every refusal (empty or taken name, a value out of range, a file that is not a preset) is
one sentence in a red box, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from core.errors import CharlaError
from core.i18n import error_text, t
from core.schemas import ChatSettings, PresetRecord
from core.services import presets
from core.services.server import ModelInfo
from ui import settings_form, state

NEW = 0  # the picker's "New preset" (preset ids start at 1)
FORM = settings_form.Form("preset")
_PENDING = "preset.pending_pick"  # the preset to show after the rerun (one just created)


def preset_label(preset: PresetRecord, lang: str) -> str:
    return t("presets.default_mark", lang, name=preset.name) if preset.is_default else preset.name


def _fill(preset: PresetRecord | None, source: str) -> None:
    settings_form.load(FORM, preset.as_settings() if preset else ChatSettings(), source)
    if st.session_state.get("preset.name.source") != source:
        st.session_state["preset.name"] = preset.name if preset else ""
        st.session_state["preset.name.source"] = source


def _refill() -> None:
    """Fill the form again from what is stored, at the next run."""
    for key in (FORM.key("source"), "preset.name.source"):
        st.session_state.pop(key, None)


Outcome = tuple[str, int | None]  # the confirmation, and the preset to show next (None: same)


def _act(action: Callable[[], Outcome]) -> None:
    """Run an action; on success flash its confirmation and rerun, else say why in red."""
    try:
        done, show = action()
    except CharlaError as exc:
        st.error(error_text(exc, state.lang()), icon=":material/block:")
        return
    if show is not None:
        st.session_state[_PENDING] = show
    _refill()
    state.flash(done)
    st.rerun()


def _buttons(preset: PresetRecord | None, lang: str) -> None:
    read = settings_form.read(FORM)
    name = str(st.session_state.get("preset.name") or "")
    prompt = read.system_prompt or None  # empty: the preset leaves the chat's prompt alone

    def create() -> Outcome:
        made = presets.create_preset(name, prompt, read)
        return t("presets.created", lang, name=made.name), made.id

    if preset is None:
        if st.button(t("presets.create", lang), key="preset-create", type="primary"):
            _act(create)
        return

    def save() -> Outcome:
        return t(
            "presets.saved", lang, name=presets.update_preset(preset.id, name, prompt, read).name
        ), None

    def duplicate() -> Outcome:
        copy = presets.duplicate_preset(preset.id)
        return t("presets.duplicated", lang, name=copy.name), copy.id

    def delete() -> Outcome:
        presets.delete_preset(preset.id)
        return t("presets.deleted", lang, name=preset.name), NEW

    chat_id = state.current_chat_id()

    def apply() -> Outcome:
        assert chat_id is not None
        presets.apply_to_chat(chat_id, preset.id)
        st.session_state.pop("set.source", None)  # the settings form shows the chat's new values
        return t("presets.applied", lang, name=preset.name), None

    with st.container(horizontal=True, key="preset-actions"):
        actions = {
            save: st.button(t("presets.save", lang), key="preset-save", type="primary"),
            duplicate: st.button(t("presets.duplicate", lang), key="preset-duplicate"),
            delete: st.button(t("presets.delete", lang), key="preset-delete"),
            apply: chat_id is not None and st.button(t("presets.apply", lang), key="preset-apply"),
        }
    for action, pressed in actions.items():
        if pressed:
            _act(action)


def _default(preset: PresetRecord, lang: str) -> None:
    def toggle() -> None:
        chosen = st.session_state[f"preset.default.{preset.id}"]
        presets.set_default(preset.id if chosen else None)
        key = "presets.default_set" if chosen else "presets.default_cleared"
        state.flash(t(key, lang, name=preset.name))

    st.session_state[f"preset.default.{preset.id}"] = preset.is_default
    st.toggle(t("presets.make_default", lang), key=f"preset.default.{preset.id}", on_change=toggle)


def _importer(lang: str) -> None:
    files = st.file_uploader(
        t("presets.import", lang), type=["json"], accept_multiple_files=True,
        key="preset.upload", help=t("presets.import_help", lang),
    )  # fmt: skip
    if not files or not st.button(t("presets.import_button", lang), key="preset-import"):
        return
    try:
        report = presets.import_lmstudio([(f.name, f.getvalue()) for f in files])
    except CharlaError as exc:
        st.error(error_text(exc, lang), icon=":material/block:")
        return
    lines = []
    if report.added:
        lines.append(t("presets.imported", lang, count=len(report.added),
                       names=", ".join(report.added)))  # fmt: skip
    if report.unchanged:
        lines.append(t("presets.import_unchanged", lang, names=", ".join(report.unchanged)))
    if report.skipped_keys:
        lines.append(t("presets.import_skipped", lang, keys=", ".join(report.skipped_keys)))
    state.flash(" ".join(lines))
    st.rerun()


def presets_section(models: Sequence[ModelInfo], lang: str) -> None:
    """Draw the presets section of the settings page."""
    st.caption(t("presets.help", lang))
    records = {p.id: p for p in presets.list_presets()}
    pending = st.session_state.pop(_PENDING, None)
    if pending is not None:
        st.session_state["preset.pick"] = pending
    if st.session_state.get("preset.pick") not in (NEW, *records):
        st.session_state["preset.pick"] = NEW  # deleted meanwhile
    picked = st.selectbox(
        t("presets.pick", lang), [NEW, *records], key="preset.pick",
        format_func=lambda i: t("presets.new", lang) if i == NEW else preset_label(records[i], lang),
    )  # fmt: skip
    preset = records.get(picked)
    _fill(preset, f"preset-{picked}")
    st.text_input(t("presets.name", lang), key="preset.name", max_chars=100)
    if preset is not None:
        _default(preset, lang)
    settings_form.widgets(FORM, models, lang, with_model=False)
    _buttons(preset, lang)
    _importer(lang)
