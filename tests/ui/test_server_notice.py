"""When no model server answers (issue 9, section 3), headless with AppTest.

- The empty chat page says so next to the chat input, and how to fix it (LM Studio's server, or
  ``make demo``); nothing when a server answers. It reuses the badge's cached check: no request of
  its own.
- Under ``make demo`` (``CHARLA_DEMO=1``) every "nothing answers" — the badge, the chat's error (as
  shown and as stored), the settings page's test, the notice — says the demo's engine stopped and to
  restart ``make demo``, never "start LM Studio".
- ``CHARLA_DEMO`` is a validated setting, and ``scripts/demo.py`` sets it for the app exactly when
  it started the bundled engine (checked without starting anything).

The autouse ``isolated_env`` points ``LM_STUDIO_URL`` at a port where nothing listens.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from core.conf.settings import load_settings
from core.errors import ConfigError, ServerUnreachable
from core.i18n import stored_error_text
from devtools.servers import LlamaServer
from tests.ui.conftest import PROJECT_ROOT, reset_process_state, stored_messages, texts
from ui import sidebar

DEAD = "http://127.0.0.1:9"
NO_SERVER = f"No model server answers at {DEAD}. Start LM Studio's server"
DEMO_STOPPED = f"The demo's bundled model engine at {DEAD} has stopped"
DEMO_STOPPED_ES = f"El motor de modelo incluido en la demo, en {DEAD}, se ha detenido"


def notice(at: Any) -> str:
    """The notice's text, or "" when the page shows none."""
    return "\n".join(info.value for info in at.info)


def badge(at: Any) -> str:
    return "\n".join([m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption])


def send(at: Any, text: str) -> Any:
    at.chat_input(key="prompt").set_value(text).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch, app_db: None) -> None:
    """The app as ``make demo`` runs it, with its engine gone."""
    monkeypatch.setenv("CHARLA_DEMO", "1")
    reset_process_state()


# --- the notice -----------------------------------------------------------------------------------
def test_the_empty_chat_page_says_no_server_answers_and_what_to_do(app_db: None, page: Any) -> None:
    at = page("app").run()
    assert not at.exception
    assert at.title[0].value == "New chat" and at.chat_input
    shown = notice(at)
    assert shown.startswith(NO_SERVER)
    assert "(Developer tab → *Start server*)" in shown
    assert "run `make demo` to try Charla with a small bundled model" in shown
    assert "demo's bundled model engine" not in texts(at)


def test_no_notice_when_the_server_answers(fake: Any, page: Any) -> None:
    at = page("chat").run()
    assert not at.exception
    assert at.title[0].value == "New chat"
    assert notice(at) == ""
    assert "No model server answers" not in texts(at)


def test_the_notice_makes_no_request_of_its_own(
    app_db: None, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str | None] = []
    check = sidebar.server.check

    def counted(model: str | None = None) -> Any:
        calls.append(model)
        return check(model)

    monkeypatch.setattr(sidebar.server, "check", counted)
    at = page("app").run()
    assert notice(at).startswith(NO_SERVER)  # the notice and the badge both drawn …
    assert "Not connected" in badge(at)
    assert len(calls) == 1  # … from one check
    at.run()
    assert len(calls) == 1  # and the next run reuses it while it is fresh


def test_the_notice_speaks_spanish(
    app_db: None, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_LANGUAGE", "es")
    reset_process_state()
    at = page("app").run()
    shown = notice(at)
    assert shown.startswith(f"Ningún servidor de modelos responde en {DEAD}.")
    assert "`make demo`" in shown
    assert "No model server" not in texts(at)


def test_the_notice_is_only_on_the_empty_chat_page(app_db: None, page: Any) -> None:
    at = send(page("chat").run(), "Anyone?")  # a chat now exists and is shown
    assert at.error  # the failed answer says why …
    assert notice(at) == ""  # … and the notice is gone


# --- without the demo: LM Studio, or make demo ----------------------------------------------------
def test_without_the_demo_the_advice_is_lm_studio_or_make_demo(app_db: None, page: Any) -> None:
    at = page("app").run()
    assert "Start LM Studio" in badge(at) and "`make demo`" in badge(at)

    at = send(page("chat").run(), "Is anyone there?")
    error = at.error[0].value
    assert error.startswith(f"Cannot reach the model server at {DEAD}. Start LM Studio")
    assert "`make demo` runs Charla with a small bundled model" in error
    (_user, answer) = stored_messages()
    assert answer.error_code == "error.server_unreachable"


# --- under make demo: the engine stopped, restart make demo ---------------------------------------
def test_under_the_demo_the_badge_and_the_notice_say_the_engine_stopped(
    demo: None, page: Any
) -> None:
    at = page("app").run()
    assert not at.exception
    assert DEMO_STOPPED in badge(at)
    assert notice(at).startswith(DEMO_STOPPED)
    assert "run `make demo` again" in notice(at)
    assert "LM Studio" not in texts(at)


def test_under_the_demo_the_chat_error_says_so_as_shown_and_as_stored(
    demo: None, page: Any
) -> None:
    at = send(page("chat").run(), "Still there?")
    error = at.error[0].value
    assert error.startswith(DEMO_STOPPED)
    assert "Stop the app (Ctrl-C where `make demo` runs) and run `make demo` again." in error
    assert "LM Studio" not in texts(at)
    (user, answer) = stored_messages()
    assert (user.content, answer.status) == ("Still there?", "error")
    # Stored as a code with its parameters, so it reads the same later, in either language.
    assert answer.error_code == "error.demo_engine_stopped"
    assert answer.error_params["demo"] is True
    assert stored_error_text(answer.error_code, answer.error_params, answer.error, "en") == error
    spanish = stored_error_text(answer.error_code, answer.error_params, answer.error, "es")
    assert spanish.startswith(DEMO_STOPPED_ES) and "LM Studio" not in spanish
    # A later run draws the stored answer with the same sentence.
    at.run()
    assert at.error[0].value == error


def test_under_the_demo_the_settings_page_test_says_so(demo: None, page: Any) -> None:
    at = page("settings").run()
    assert DEMO_STOPPED in badge(at)  # the model list is not available: the badge says why
    at.button(key="test-connection").click().run()
    assert at.error[0].value.startswith(DEMO_STOPPED)
    assert "LM Studio" not in at.error[0].value


def test_under_the_demo_in_spanish(demo: None, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_LANGUAGE", "es")
    reset_process_state()
    at = page("app").run()
    assert DEMO_STOPPED_ES in badge(at)
    assert notice(at).startswith(DEMO_STOPPED_ES)
    assert "vuelve a ejecutar `make demo`" in notice(at)
    assert "LM Studio" not in texts(at)


def test_the_demo_flag_only_changes_nothing_answering() -> None:
    usual = ServerUnreachable("refused", url=DEAD)
    demo = ServerUnreachable("refused", url=DEAD, demo=True)
    assert usual.stored[0] == "error.server_unreachable" and not usual.demo
    assert demo.stored == (
        "error.demo_engine_stopped",
        {"detail": "refused", "demo": True, "url": DEAD, "model": ""},
    )
    assert str(demo).startswith(DEMO_STOPPED)


# --- the setting and scripts/demo.py --------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("YES", True), (" on ", True), ("0", False), ("off", False),
     ("", False)],
)  # fmt: skip
def test_charla_demo_is_a_yes_no_setting(raw: str, expected: bool, tmp_path: Path) -> None:
    settings = load_settings(environ={"CHARLA_DEMO": raw}, env_file=tmp_path / "none.env")
    assert settings.demo is expected


def test_a_wrong_charla_demo_stops_the_app_naming_the_key(
    tmp_path: Path, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"CHARLA_DEMO": "maybe"}, env_file=tmp_path / "none.env")
    assert info.value.key == "CHARLA_DEMO"
    monkeypatch.setenv("CHARLA_DEMO", "maybe")
    reset_process_state()
    at = page("app").run()
    (error,) = at.error
    assert error.value.startswith("Charla cannot start. Configuration key CHARLA_DEMO is wrong")


def load_demo_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("charla_demo", PROJECT_ROOT / "scripts/demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class NotStarted(LlamaServer):
    """The engine as ``make demo`` would hold it, without starting anything."""

    def __init__(self, port: int) -> None:
        super().__init__(port=port)
        self.port = port
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_demo_script_tells_the_app_it_runs_on_the_bundled_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo = load_demo_script()
    monkeypatch.setenv("LM_STUDIO_URL", "http://127.0.0.1:1234")
    monkeypatch.setenv("LM_STUDIO_MODEL", "qwen/qwen3-8b")
    engine = NotStarted(1234)
    seen: list[dict[str, str]] = []
    monkeypatch.setattr(demo, "server_answers", lambda base_url: False)
    monkeypatch.setattr(demo, "start_engine", lambda port: engine if port == 1234 else None)
    monkeypatch.setattr(demo, "run_app", lambda env: seen.append(env) or 0)

    assert demo.main() == 0
    (env,) = seen
    assert env["CHARLA_DEMO"] == "1"
    assert env["LM_STUDIO_URL"] == "http://127.0.0.1:1234"
    assert env["LM_STUDIO_MODEL"] == engine.model  # not the model set for LM Studio
    assert engine.stopped  # stopping the app stops the engine it started
    assert load_settings(environ=env, env_file=PROJECT_ROOT / "no.env").demo is True


@pytest.mark.parametrize("why", ["a server answers", "the engine cannot start"])
def test_demo_script_without_its_engine_leaves_the_usual_advice(
    why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = load_demo_script()
    monkeypatch.setenv("CHARLA_DEMO", "1")  # even if someone set it by hand
    seen: list[dict[str, str]] = []
    monkeypatch.setattr(demo, "server_answers", lambda base_url: why == "a server answers")
    monkeypatch.setattr(demo, "start_engine", lambda port: None)
    monkeypatch.setattr(demo, "run_app", lambda env: seen.append(env) or 0)

    assert demo.main() == 0
    (env,) = seen
    assert env["CHARLA_DEMO"] == "0"
    assert load_settings(environ=env, env_file=PROJECT_ROOT / "no.env").demo is False
