"""The settings page's model controls and presets, and the chat's model menu, with AppTest.

Load/unload against the fake LM Studio 0.4 server (request bodies checked, the reported load time
shown, a failure said in one sentence); no controls on the real llama.cpp engine nor on an older
LM Studio; presets created, duplicated, made default, applied, deleted and imported from an
LM Studio file through the page; the chat's notice that the first answer loads the model."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.schemas import ChatSettings
from core.services import presets
from core.services.chats import get_chat, new_chat
from devtools.servers import LlamaServer
from tests.fakes.lmstudio_native import OUT_OF_MEMORY
from tests.ui.conftest import reset_process_state, texts

V1 = [{"flavor": "lmstudio-v1"}]


def keys(at: Any) -> set[str]:
    return {b.key for b in at.button if b.key}


@pytest.mark.parametrize("fake_server", V1, indirect=True)
def test_load_with_a_context_length_then_unload(fake: Any, page: Any) -> None:
    fake.load_time = 3.5
    at = page("settings").run()
    picker = at.selectbox(key="models.model")
    assert picker.options[:2] == [
        "smollm2-135m-instruct · HuggingFaceTB · llama · Q4_1 · 1.0 GB · up to 8,192 tokens · "
        "loaded, 4,096 tokens of context",
        "qwen3-8b · qwen · qwen3 · Q4_K_M · 1.0 GB · up to 32,768 tokens · not loaded",
    ]
    assert at.button(key="models-unload").disabled is False  # smollm2 is loaded
    picker.set_value("qwen3-8b").run()
    assert at.button(key="models-unload").disabled is True
    at.number_input(key="models.context.qwen3-8b").set_value(16384).run()
    at.button(key="models-load").click().run()
    assert fake.lifecycle_requests == [
        {"path": "/api/v1/models/load", "json": {"model": "qwen3-8b", "context_length": 16384}}
    ]
    assert at.toast[0].value == "qwen3-8b loaded in 3.5 s."
    assert (
        "qwen3-8b · qwen · qwen3 · Q4_K_M · 1.0 GB · up to 32,768 tokens · loaded, 16,384 tokens"
        " of context" in at.selectbox(key="models.model").options
    )

    at.button(key="models-unload").click().run()
    assert fake.lifecycle_requests[-1]["json"] == {"instance_id": "qwen3-8b"}
    assert at.toast[0].value == "qwen3-8b unloaded."


@pytest.mark.parametrize("fake_server", V1, indirect=True)
def test_a_load_that_does_not_fit_is_one_sentence(fake: Any, page: Any) -> None:
    fake.load_faults.append(OUT_OF_MEMORY)
    at = page("settings").run()
    at.selectbox(key="models.model").set_value("qwen3-8b").run()
    at.button(key="models-load").click().run()
    assert not at.exception
    assert "could not load 'qwen3-8b': not enough memory" in at.error[0].value
    assert "Traceback" not in texts(at)


@pytest.mark.parametrize("fake_server", [{"flavor": "lmstudio-v0"}], indirect=True)
def test_no_controls_on_a_server_without_load_endpoints(fake: Any, page: Any) -> None:
    at = page("settings").run()
    assert "models-load" not in keys(at) and "Models" not in [s.value for s in at.subheader]


@pytest.mark.engine
def test_no_controls_on_the_real_engine(
    llama_server: LlamaServer, app_db: None, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LM_STUDIO_URL", llama_server.url)
    reset_process_state()
    at = page("settings").run()
    assert not at.exception
    assert "models-load" not in keys(at) and not [
        s for s in at.selectbox if s.key == "models.model"
    ]
    assert llama_server.model in str(at.selectbox(key="set.model").options)  # the list is there
    chat_id = new_chat("x")
    at = page("chat", chat=str(chat_id)).run()
    assert not at.exception
    assert "chatmodel-load" not in keys(at) and "chatmodel-unload" not in keys(at)


@pytest.mark.parametrize("fake_server", V1, indirect=True)
def test_the_chat_model_menu_loads_a_model_and_applies_a_preset(fake: Any, page: Any) -> None:
    brief = presets.create_preset("Brief", "One line.", ChatSettings(top_k=7))
    chat_id = new_chat("x")
    at = page("chat", chat=str(chat_id)).run()
    at.selectbox(key="chatmodel.model").set_value("qwen3-8b").run()
    at.button(key="chatmodel-load").click().run()
    assert fake.lifecycle_requests[-1]["json"] == {"model": "qwen3-8b", "context_length": 8192}
    assert at.toast[0].value == "qwen3-8b loaded in 1.2 s."
    at.selectbox(key=f"chatpreset.{chat_id}").set_value(brief.id)
    at.button(key=f"chatpreset-apply-{chat_id}").click().run()
    assert get_chat(chat_id).settings.top_k == 7
    assert at.toast[0].value == "Preset “Brief” applied to this chat."


def test_presets_created_duplicated_made_default_and_deleted(fake: Any, page: Any) -> None:
    at = page("settings").run()
    assert at.selectbox(key="preset.pick").value == 0  # "New preset"
    at.text_input(key="preset.name").input("Brief")
    at.text_area(key="preset.system_prompt").input("One line.")
    at.checkbox(key="preset.temperature.server").uncheck().run()
    at.slider(key="preset.temperature").set_value(0.3)
    at.button(key="preset-create").click().run()
    (brief,) = presets.list_presets()
    assert (brief.name, brief.system_prompt, brief.settings) == (
        "Brief", "One line.", ChatSettings(temperature=0.3),
    )  # fmt: skip
    assert at.toast[0].value == "Preset “Brief” created."
    assert at.selectbox(key="preset.pick").value == brief.id  # the new one is shown

    at.text_input(key="preset.name").input("")
    at.button(key="preset-save").click().run()
    assert "The preset has no name" in at.error[0].value
    assert presets.get_preset(brief.id).name == "Brief"  # nothing stored

    at.button(key="preset-duplicate").click().run()
    assert [p.name for p in presets.list_presets()] == ["Brief", "Brief (copy)"]
    at.toggle(key=f"preset.default.{presets.list_presets()[1].id}").set_value(True).run()
    assert presets.default_preset() is not None
    assert presets.default_preset().name == "Brief (copy)"  # type: ignore[union-attr]
    at.button(key="preset-delete").click().run()
    assert [p.name for p in presets.list_presets()] == ["Brief"]
    assert at.selectbox(key="preset.pick").value == 0


def test_apply_a_preset_to_the_open_chat_and_import_lmstudio_files(fake: Any, page: Any) -> None:
    chat_id = new_chat("x")
    coder = {"name": "Coder", "operation": {"fields": [
        {"key": "llm.prediction.systemPrompt", "value": "You write Python."},
        {"key": "llm.prediction.temperature", "value": 0.2},
        {"key": "llm.prediction.llama.cpuThreads", "value": 4}]}}  # fmt: skip
    at = page("settings", chat=str(chat_id)).run()
    at.file_uploader(key="preset.upload").set_value(
        [("coder.preset.json", json.dumps(coder).encode(), "application/json")]
    ).run()
    at.button(key="preset-import").click().run()
    assert "Imported 1 preset: Coder." in at.toast[0].value
    assert "llm.prediction.llama.cpuThreads" in at.toast[0].value
    (stored,) = presets.list_presets()
    at.selectbox(key="preset.pick").set_value(stored.id).run()
    assert at.text_input(key="preset.name").value == "Coder"
    assert at.text_area(key="preset.system_prompt").value == "You write Python."
    at.button(key="preset-apply").click().run()
    chat = get_chat(chat_id)
    assert chat.own_settings and chat.settings.system_prompt == "You write Python."
    assert chat.settings.temperature == 0.2

    at.file_uploader(key="preset.upload").set_value(
        [("notes.preset.json", b"{not json", "application/json")]
    ).run()
    at.button(key="preset-import").click().run()
    assert "notes.preset.json is not an LM Studio preset" in at.error[0].value


def test_a_new_chat_starts_from_the_default_preset(fake: Any, page: Any) -> None:
    brief = presets.create_preset("Brief", "One line.", ChatSettings(temperature=0.1))
    presets.set_default(brief.id)
    at = page("chat").run()
    assert at.selectbox(key="draft.preset").value == brief.id
    at.chat_input(key="prompt").set_value("Hola").run()
    sent = fake.requests[-1]["json"]
    assert sent["messages"][0] == {"role": "system", "content": "One line."}
    assert sent["temperature"] == 0.1


@pytest.mark.parametrize("fake_server", [{"flavor": "lmstudio-v0"}], indirect=True)
def test_the_chat_says_the_first_answer_will_load_the_model(fake: Any, page: Any) -> None:
    chat_id = new_chat("x", ChatSettings(model="qwen3-8b"))  # not loaded
    at = page("chat", chat=str(chat_id)).run()
    assert "qwen3-8b is not loaded: the first answer loads it" in texts(at)
    loaded = new_chat("y", ChatSettings(model="smollm2-135m-instruct"))
    at = page("chat", chat=str(loaded)).run()
    assert "the first answer loads it" not in texts(at)
