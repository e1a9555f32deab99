"""Presets on SQLite and PostgreSQL: create, edit, duplicate, delete, one default; applied to a
chat and to a new chat (and what reaches the request); LM Studio ``*.preset.json`` import from
files and the CLI; the JSON export's round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import errors
from core.cli import main as cli
from core.conf.settings import reset_settings
from core.providers.llm_studio_api import reset_provider
from core.schemas import ChatSettings
from core.services import chats, presets
from core.services.chat import ChatService
from core.services.preset_files import parse_lmstudio
from devtools.servers import LlamaServer
from tests.fakes.fake_llm_server import FakeLLMServer

CODER = {
    "name": "Coder",
    "operation": {
        "fields": [
            {"key": "llm.prediction.systemPrompt", "value": "You write Python."},
            {"key": "llm.prediction.temperature", "value": 0.2},
            {"key": "llm.prediction.maxPredictedTokens", "value": {"checked": True, "value": 800}},
            {"key": "llm.prediction.topPSampling", "value": {"checked": True, "value": 0.9}},
            {"key": "llm.prediction.topKSampling", "value": 30},
            {"key": "llm.prediction.repeatPenalty", "value": {"checked": False, "value": 1.3}},
            {"key": "llm.prediction.stopStrings", "value": ["###"]},
            {"key": "llm.prediction.llama.cpuThreads", "value": 4},
        ]
    },
}


def preset_file(tmp_path: Path, data: object, name: str = "coder.preset.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_parse_lmstudio_maps_known_keys_and_lists_the_rest() -> None:
    data = parse_lmstudio(json.dumps(CODER), "coder.preset.json")
    assert data.name == "Coder"
    assert data.system_prompt == "You write Python."
    assert data.settings == ChatSettings(
        temperature=0.2, max_tokens=800, top_p=0.9, top_k=30, stop=("###",)
    )  # an unchecked value (repeat penalty) is not set
    assert data.skipped == ("llm.prediction.llama.cpuThreads",)
    nameless = parse_lmstudio(json.dumps({"operation": {"fields": []}}), "dir/Brief.preset.json")
    assert nameless.name == "Brief" and nameless.system_prompt is None
    for bad in ("{not json", "[]", '{"hello": 1}'):
        with pytest.raises(errors.InputError) as caught:
            parse_lmstudio(bad, "x.preset.json")
        assert caught.value.reason == "presets.not_a_preset"


def test_create_edit_duplicate_delete_and_one_default(db: str) -> None:
    coder = presets.create_preset("Coder", "You write Python.", ChatSettings(temperature=0.2))
    assert coder.settings == ChatSettings(temperature=0.2) and coder.source is None
    with pytest.raises(errors.InputError) as caught:
        presets.create_preset("coder", None, ChatSettings())  # names are unique, any case
    assert caught.value.reason == "presets.name_taken"
    with pytest.raises(errors.InputError) as caught:
        presets.create_preset("   ", None, ChatSettings())
    assert caught.value.reason == "presets.name_empty"
    with pytest.raises(errors.InputError):
        presets.create_preset("Hot", None, ChatSettings(temperature=9.0))
    # A model is not part of a preset: it is never stored.
    edited = presets.update_preset(
        coder.id, "Coder", "You write Rust.", ChatSettings(model="x", top_k=5)
    )
    assert edited.system_prompt == "You write Rust." and edited.settings == ChatSettings(top_k=5)

    copy = presets.duplicate_preset(coder.id)
    again = presets.duplicate_preset(coder.id)
    assert (copy.name, again.name) == ("Coder (copy)", "Coder (copy 2)")
    assert copy.system_prompt == edited.system_prompt and copy.settings == edited.settings
    assert [p.name for p in presets.list_presets()] == ["Coder", "Coder (copy)", "Coder (copy 2)"]

    presets.set_default(copy.id)
    presets.set_default(again.id)  # the default moves: never two
    assert [p.name for p in presets.list_presets() if p.is_default] == ["Coder (copy 2)"]
    assert presets.default_preset() == presets.get_preset(again.id)
    presets.set_default(None)
    assert presets.default_preset() is None

    presets.delete_preset(copy.id)
    with pytest.raises(errors.PresetNotFound):
        presets.get_preset(copy.id)
    assert len(presets.list_presets()) == 2


def test_applied_to_a_chat_and_to_new_chats_reaches_the_request(
    db: str, fake_server: FakeLLMServer
) -> None:
    chat_id = chats.new_chat("x", ChatSettings(model="qwen3-8b", temperature=0.9, seed=3))
    brief = presets.create_preset("Brief", "Answer in one line.", ChatSettings(temperature=0.1))
    summary = presets.apply_to_chat(chat_id, brief.id)
    # The preset's prompt and parameters over what the chat had: its model and seed stay.
    assert summary.own_settings
    assert summary.settings == ChatSettings(
        model="qwen3-8b", system_prompt="Answer in one line.", temperature=0.1, seed=3
    )
    ChatService().send(chat_id, "Hola").consume()
    sent = fake_server.requests[-1]["json"]
    assert sent["messages"][0] == {"role": "system", "content": "Answer in one line."}
    assert (sent["temperature"], sent["seed"], sent["model"]) == (0.1, 3, "qwen3-8b")

    assert presets.new_chat_settings() is None  # no default: new chats follow the defaults
    presets.set_default(brief.id)
    assert presets.new_chat_settings() == ChatSettings(
        system_prompt="Answer in one line.", temperature=0.1
    )
    other = presets.create_preset("Other", None, ChatSettings(top_p=0.5))
    picked = presets.new_chat_settings(other.id)  # the one picked for this chat wins
    assert picked is not None and picked.top_p == 0.5 and picked.temperature is None


@pytest.mark.engine
def test_a_preset_applied_to_a_chat_reaches_the_real_engine(
    db: str, llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real llama.cpp engine: the preset's system prompt is in the prompt the engine
    counted, and its max_tokens is obeyed."""
    monkeypatch.setenv("LM_STUDIO_URL", llama_server.url)
    reset_settings()
    reset_provider()
    service = ChatService()
    plain = chats.new_chat("plain", ChatSettings(temperature=0.0, seed=3, max_tokens=48))
    before = service.send(plain, "Name a fruit.").consume()
    prompt = "You are a terse assistant. " + "Always answer in a single short line. " * 20
    brief = presets.create_preset(
        "Terse", prompt, ChatSettings(temperature=0.0, seed=3, max_tokens=6)
    )
    chat_id = chats.new_chat("with the preset")
    presets.apply_to_chat(chat_id, brief.id)
    after = service.send(chat_id, "Name a fruit.").consume()
    assert before.status == after.status == "complete", after.error
    assert before.result is not None and after.result is not None
    assert after.result.prompt_tokens is not None and before.result.prompt_tokens is not None
    assert after.result.prompt_tokens - before.result.prompt_tokens > 100  # the system prompt
    assert after.result.completion_tokens is not None and after.result.completion_tokens <= 6
    answer = chats.open_chat(chat_id, 10).messages[-1]
    assert answer.params is not None and answer.params["max_tokens"] == 6


def test_lmstudio_import_from_files_and_the_cli(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "config-presets"
    folder.mkdir()
    preset_file(folder, CODER)
    preset_file(folder, {"name": "Poet", "operation": {"fields": [
        {"key": "llm.prediction.systemPrompt", "value": "Rhyme."}]}}, "poet.preset.json")  # fmt: skip
    (folder / "notes.txt").write_text("not a preset")  # not *.preset.json: not read

    assert cli(["presets", "import", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Imported 2 presets: Coder, Poet." in out
    assert "llm.prediction.llama.cpuThreads" in out  # what was left out is said
    stored = {p.name: p for p in presets.list_presets()}
    assert stored["Coder"].settings.max_tokens == 800 and stored["Coder"].source == "lmstudio"

    # The same file again adds nothing; a changed one with the same name gets a free name.
    report = presets.import_lmstudio([("coder.preset.json", json.dumps(CODER).encode())])
    assert report.added == () and report.unchanged == ("Coder",)
    changed = {**CODER, "operation": {"fields": [
        {"key": "llm.prediction.temperature", "value": 1.0}]}}  # fmt: skip
    report = presets.import_lmstudio([("coder.preset.json", json.dumps(changed).encode())])
    assert report.added == ("Coder (imported)",)

    bad = preset_file(tmp_path, ["nope"], "bad.preset.json")
    assert cli(["presets", "import", str(bad), str(folder / "coder.preset.json")]) == 1
    assert "bad.preset.json is not an LM Studio preset" in capsys.readouterr().err
    assert len(presets.list_presets()) == 3  # all or nothing
    assert cli(["presets", "list"]) == 0
    assert capsys.readouterr().out.split("\n")[:3] == ["Coder", "Poet", "Coder (imported)"]


def test_json_export_round_trip(db: str) -> None:
    coder = presets.create_preset("Coder", "Python.", ChatSettings(temperature=0.2, stop=("x",)))
    presets.set_default(coder.id)
    presets.create_preset("Plain", None, ChatSettings())
    exported = presets.presets_to_json()
    assert exported == [
        {"name": "Coder", "system_prompt": "Python.", "is_default": True,
         "settings": {"temperature": 0.2, "stop": ["x"]}},
        {"name": "Plain", "system_prompt": None, "is_default": False, "settings": {}},
    ]  # fmt: skip
    json.dumps(exported)  # JSON-ready
    for preset in presets.list_presets():
        presets.delete_preset(preset.id)
    report = presets.presets_from_json(exported)
    assert report.added == ("Coder", "Plain")
    assert presets.presets_to_json() == exported  # the default comes back too
    assert presets.presets_from_json(exported).unchanged == ("Coder", "Plain")
    with pytest.raises(errors.InputError):
        presets.presets_from_json([{"system_prompt": "no name"}])
