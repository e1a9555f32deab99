"""Every model-server fault a user can meet, through the chat page (AppTest, issue 5).

One parametrized test walks each fault the same way a user would:

1. the condition is set up (no server on the configured port, a web page instead of an API, an
   API-key-protected server, a scripted failure of the fake server …);
2. the user sends a message on the chat page;
3. the page shows one error that is the fault's own translated text (every literal piece of its
   ``core/locales`` template, plus the advice words that say what to do) and no exception;
4. the database holds the user's message and the answer with status ``error``, the text that
   arrived before the failure, and the very sentence the page shows;
5. the condition is fixed the way the message says (start the server, point ``LM_STUDIO_URL`` at a
   model server, set the key, load or pick a model, raise the timeout …) and the next message, in
   the same AppTest session — no reload — is answered, stored complete and shown.

Everything runs on 127.0.0.1; nothing asserts on durations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from core import errors
from core.i18n import TEXTS, stored_error_text, t
from devtools.servers import free_port
from tests.fakes.fake_llm_server import INVALID_API_KEY_BODY, NO_MODELS_LOADED, FakeLLMServer, Reply
from tests.fakes.web_page_server import WebPageServer
from tests.ui.conftest import reset_process_state, shown_text, stored_messages

QUESTION = "What is the capital of France?"
FOLLOW_UP = "And the capital of Spain?"
NORMAL = "".join(Reply().chunks)  # what the fake answers when nothing is scripted
PARTIAL = ["Paris is ", "the capital", " of"]  # text that arrives before a mid-stream failure
KEY = "sk-charla-fault-test-4411"
OVERFLOW = (
    "Trying to keep the first 5000 tokens when context the overflows. However, the model is "
    "loaded with context length of 4096 tokens, which is not enough. Try to load the model with "
    "a larger context length, or provide a shorter input"
)


class Lab:
    """The world around the page for one test: loopback servers and the app's environment."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, page: Callable[..., Any]) -> None:
        self.monkeypatch = monkeypatch
        self.page = page
        self.url = ""  # what LM_STUDIO_URL says
        self.fake: FakeLLMServer | None = None
        self._running: list[Any] = []

    def configure(self, **env: str) -> None:
        """Change the configuration (``.env``) and let the app read it again."""
        for key, value in env.items():
            self.monkeypatch.setenv(key, value)
        if "LM_STUDIO_URL" in env:
            self.url = env["LM_STUDIO_URL"]
        reset_process_state()

    def start_fake(self, *, port: int = 0, api_key: str | None = None) -> FakeLLMServer:
        self.fake = FakeLLMServer(port=port, api_key=api_key).start()
        self._running.append(self.fake)
        return self.fake

    def start_web_page(self) -> WebPageServer:
        server = WebPageServer().start()
        self._running.append(server)
        return server

    def close(self) -> None:
        for server in reversed(self._running):
            server.stop()


@pytest.fixture
def lab(app_db: None, page: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    world = Lab(monkeypatch, page)
    yield world
    world.close()


# --- the faults: how to cause each one, and how a user fixes it ---------------------------------
def nothing(lab: Lab) -> None:
    """No fix needed: the failure was one answer's (the fake answers normally afterwards)."""


def server_not_running(lab: Lab) -> None:
    lab.configure(LM_STUDIO_URL=f"http://127.0.0.1:{free_port()}")


def start_the_server_there(lab: Lab) -> None:
    lab.start_fake(port=int(lab.url.rsplit(":", 1)[1]))


def web_page_instead_of_api(lab: Lab) -> None:
    lab.configure(LM_STUDIO_URL=lab.start_web_page().url)


def point_the_url_at_a_model_server(lab: Lab) -> None:
    lab.configure(LM_STUDIO_URL=lab.start_fake().url)


def key_protected_server(lab: Lab) -> None:
    lab.configure(LM_STUDIO_URL=lab.start_fake(api_key=KEY).url)  # and no LM_STUDIO_API_KEY


def set_the_api_key(lab: Lab) -> None:
    lab.configure(LM_STUDIO_API_KEY=KEY)


def no_model_loaded(lab: Lab) -> None:
    fake = lab.start_fake()
    fake.default_reply = Reply(status=400, body={"error": NO_MODELS_LOADED})  # every request
    lab.configure(LM_STUDIO_URL=fake.url)


def load_a_model(lab: Lab) -> None:
    assert lab.fake is not None
    lab.fake.default_reply = Reply()


def unknown_model(lab: Lab) -> None:
    lab.configure(LM_STUDIO_URL=lab.start_fake().url, LM_STUDIO_MODEL="no-such-model")


def pick_a_model_on_the_settings_page(lab: Lab) -> None:
    settings = lab.page("settings").run()  # another tab; the chat page stays open
    settings.selectbox(key="set.model").set_value("smollm2-135m-instruct")
    settings.button(key="set-save").click().run()
    assert not settings.exception, settings.exception


def scripted(*replies: Reply, **env: str) -> Callable[[Lab], None]:
    """The fake server answers the next request(s) with ``replies``, then normally."""

    def arrange(lab: Lab) -> None:
        fake = lab.start_fake()
        fake.enqueue(*replies)
        lab.configure(LM_STUDIO_URL=fake.url, **env)

    return arrange


def raise_the_read_timeout(lab: Lab) -> None:
    lab.configure(LM_STUDIO_READ_TIMEOUT="60")


@dataclass(frozen=True)
class Fault:
    id: str
    arrange: Callable[[Lab], None]
    error: type[errors.ProviderError]
    advice: tuple[str, ...]  # words of the message that say what to do
    fix: Callable[[Lab], None] = nothing
    stored: str = ""  # the answer text kept (with status "error")
    chat_requests: int | None = None  # chat requests the failed message made (retries)


FAULTS = [
    Fault(
        "server-not-running",
        server_not_running,
        errors.ServerUnreachable,
        ("Cannot reach the model server", "Start LM Studio", "lms server start", "LM_STUDIO_URL"),
        fix=start_the_server_there,
    ),
    Fault(
        "wrong-url",
        web_page_instead_of_api,
        errors.WrongURL,
        ("not an OpenAI-compatible model server", "HTML page", "Check LM_STUDIO_URL"),
        fix=point_the_url_at_a_model_server,
    ),
    Fault(
        "401-no-api-key",
        key_protected_server,
        errors.AuthenticationFailed,
        ("HTTP 401", "needs an API key", "Set LM_STUDIO_API_KEY"),
        fix=set_the_api_key,
        chat_requests=1,
    ),
    Fault(
        "401-scripted",
        scripted(Reply(status=401, body=INVALID_API_KEY_BODY)),
        errors.AuthenticationFailed,
        ("HTTP 401", "Set LM_STUDIO_API_KEY"),
    ),
    Fault(
        "no-model-loaded",
        no_model_loaded,
        errors.NoModelLoaded,
        ("no model loaded", "Load one in LM Studio", "lms load", "Settings page"),
        fix=load_a_model,
    ),
    Fault(
        "unknown-model",
        unknown_model,
        errors.ModelNotFound,
        ("'no-such-model'", "Pick an available model on the Settings page"),
        fix=pick_a_model_on_the_settings_page,
    ),
    Fault(
        "context-overflow-400",
        scripted(Reply(status=400, body={"error": OVERFLOW})),
        errors.ContextOverflow,
        ("too long for the model's context", "Start a new chat", "larger context length"),
    ),
    Fault(
        "context-overflow-empty-stream",  # a 200 stream: a finish chunk without text, [DONE]
        scripted(Reply(chunks=[])),
        errors.EmptyAnswer,
        ("without writing anything", "context", "start a new chat", "retry"),
    ),
    Fault(
        "context-overflow-stream-closed-before-text",  # llama.cpp's way: no text, no [DONE]
        scripted(Reply(chunks=[], no_done=True)),
        errors.EmptyAnswer,
        ("without writing anything", "context", "start a new chat", "retry"),
    ),
    Fault(
        "http-500",  # the provider retries twice, so the server fails three times
        scripted(*[Reply(status=500, body={"error": "model crashed, boom"})] * 3),
        errors.ServerFailure,
        ("HTTP 500", "model crashed, boom", "Check LM Studio's log", "retry"),
        chat_requests=3,
    ),
    Fault(
        "error-frame-in-200-stream",
        scripted(
            Reply(chunks=PARTIAL, error_frame={"error": {"message": "Engine failed mid-answer"}})
        ),
        errors.StreamFailed,
        ("reported an error while answering", "Engine failed mid-answer", "Retry"),
        stored="".join(PARTIAL),
    ),
    Fault(
        "stream-cut-without-done",
        scripted(Reply(chunks=PARTIAL, cut=True)),
        errors.StreamInterrupted,
        ("cut off", "What arrived is kept", "server is still running", "retry"),
        stored="".join(PARTIAL),
    ),
    Fault(
        "malformed-chunk",
        scripted(Reply(chunks=PARTIAL, malformed=True)),
        errors.StreamFailed,
        ("malformed chunk", "Retry"),
        stored="".join(PARTIAL),
    ),
    Fault(
        "empty-answer",
        scripted(Reply(chunks=["  ", " "])),
        errors.EmptyAnswer,
        ("finished without writing anything", "retry"),
        stored="",  # whitespace-only text is not an answer (the reasoning splitter drops it)
    ),
    Fault(
        "read-timeout",  # the server takes 3 s to start answering; the app waits 1 s
        scripted(Reply(delay_first=3), LM_STUDIO_READ_TIMEOUT="1"),
        errors.ProviderTimeout,
        ("did not answer in time", "waiting for the first token", "LM_STUDIO_READ_TIMEOUT"),
        fix=raise_the_read_timeout,
        chat_requests=1,
    ),
]


def literal_pieces(code: str, lang: str = "en") -> list[str]:
    """The fixed words of a text's template (what is left around its ``{placeholders}``)."""
    return [p.strip() for p in re.split(r"\{[^}]*\}", TEXTS[code][lang]) if p.strip()]


def send(at: Any, text: str) -> Any:
    at.chat_input(key="prompt").set_value(text).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_fault_is_explained_kept_and_the_next_message_works(
    fault: Fault, lab: Lab, page: Any
) -> None:
    fault.arrange(lab)
    at = send(page("chat").run(), QUESTION)

    # The page explains it, in the fault's own words, with what to do.
    (alert,) = at.error
    shown = str(alert.value)
    for piece in literal_pieces(fault.error.code):
        assert piece in shown, f"{piece!r} missing from {shown!r}"
    for advice in fault.advice:
        assert advice in shown, f"{advice!r} missing from {shown!r}"
    if "{url}" in TEXTS[fault.error.code]["en"]:
        assert lab.url in shown
    assert at.button(key="retry").label == "Retry"

    # The user's message is stored; so is the answer, as an error, with what had arrived.
    user, answer = stored_messages()
    assert (user.sender, user.content, user.status) == ("user", QUESTION, "complete")
    assert (answer.sender, answer.status, answer.content) == ("llm", "error", fault.stored)
    # The database keeps the error as a code with its parameters, which give the sentence shown.
    assert (answer.error_code, answer.error) == (fault.error.code, None)
    assert stored_error_text(answer.error_code, answer.error_params, None, "en") == shown
    if fault.chat_requests is not None:
        assert lab.fake is not None
        assert len(lab.fake.requests) == fault.chat_requests

    # Both stay on screen: the question, the partial answer and its status.
    question, failed = at.chat_message
    assert (question.name, shown_text(question)) == ("user", QUESTION)
    assert failed.name == "assistant"
    if fault.stored.strip():
        assert failed.markdown[0].value == fault.stored
    assert t("msg.status_failed", "en") in failed.caption[0].value

    # Fixed as the message says; the next message works in the same session, without reloading.
    fault.fix(lab)
    send(at, FOLLOW_UP)
    assert [e.value for e in at.error] == [shown]  # the failed answer still says why, once
    rows = stored_messages()
    assert [(m.sender, m.content, m.status) for m in rows] == [
        ("user", QUESTION, "complete"),
        ("llm", fault.stored, "error"),
        ("user", FOLLOW_UP, "complete"),
        ("llm", NORMAL, "complete"),
    ]
    assert len({m.chat_id for m in rows}) == 1
    assert [b.name for b in at.chat_message] == ["user", "assistant", "user", "assistant"]
    assert shown_text(at.chat_message[2]) == FOLLOW_UP
    assert at.chat_message[3].markdown[0].value == NORMAL
    assert at.button(key="regenerate").label == "Regenerate"  # no Retry: nothing failed


def test_the_fault_message_follows_the_ui_language(lab: Lab, page: Any) -> None:
    """Spanish UI: the page shows the Spanish text, also after a reload (the database keeps the
    error's code, not an English sentence)."""
    scripted(Reply(chunks=PARTIAL, cut=True), APP_LANGUAGE="es")(lab)
    at = send(page("chat").run(), QUESTION)

    (alert,) = at.error
    for piece in literal_pieces("error.stream_interrupted", "es"):
        assert piece in alert.value
    assert "Reintenta" in alert.value or "reintenta" in alert.value
    assert at.button(key="retry").label == "Reintentar"
    answer = stored_messages()[-1]
    assert (answer.status, answer.content) == ("error", "".join(PARTIAL))
    assert answer.error_code == "error.stream_interrupted"
    # Stored as a code: shown in Spanish now, and after a reload too (not the English text).
    reloaded = page("chat", chat=str(answer.chat_id)).run()
    (again,) = reloaded.error
    assert again.value == alert.value
