"""Every failure a Charla user can meet, as one exception tree.

::

    CharlaError                 base; ``code`` names the i18n text, ``params`` fill it in
    ├── ConfigError             a configuration key has a wrong value (raised at start)
    ├── InputError              the user's input cannot be used (empty message, out-of-range setting)
    ├── NotSignedIn             multi-user mode and no identity for this session: nothing is read
    ├── AdminsOnly              a page or command for the people listed in CHARLA_ADMINS
    ├── NotFound                a chat or message id that does not exist
    │   ├── ChatNotFound
    │   ├── MessageNotFound
    │   └── PresetNotFound
    └── ProviderError           the model server, translated at the provider boundary
        ├── ServerUnreachable   connection refused / DNS failure: the server is not running there
        ├── WrongURL            something answers, but not an OpenAI-compatible API (404, HTML …)
        ├── AuthenticationFailed  401/403: missing or wrong API key
        ├── NoModelLoaded       the server has no model to answer with
        ├── NotEnoughMemory     the server could not load a model: not enough (V)RAM
        ├── ModelNotFound       the requested model id is unknown to the server
        ├── ContextOverflow     the conversation does not fit the model's context
        │   └── MessageOverContext  the new message alone does not fit it
        ├── ProviderTimeout     no answer (or no next token) within the configured time
        ├── ServerFailure       5xx or a crashed model
        ├── BadRequest          any other 4xx: the server refused the parameters
        ├── StreamFailed        an ``{"error": …}`` frame inside a 200 stream
        ├── StreamInterrupted   the stream ended without ``[DONE]`` (server crash, network cut)
        └── EmptyAnswer         the server finished without producing any text

``str(error)`` is an English sentence that says what happened *and what to do*; pages show
``core.i18n.error_text(error, lang)`` to get it in the user's language. ``detail`` keeps the
server's own words (never the API key: the provider scrubs it before building an error).

An error is stored with an answer as its :attr:`CharlaError.stored` form, a code and JSON-ready
parameters, never as a sentence: a page translates it into the reader's language when it draws it.

This module depends only on :mod:`core.locales` (for the sentences), never on :mod:`core.i18n`.
"""

from __future__ import annotations

from typing import Any

from core.locales import TEXTS, t


class CharlaError(Exception):
    """Base of every error Charla raises on purpose."""

    code = "error.unexpected"

    def __init__(self, detail: str = "", **params: Any) -> None:
        self.detail = detail
        self.params: dict[str, Any] = {"detail": detail, **params}
        super().__init__(self.user_message("en"))

    def user_message(self, lang: str = "en") -> str:
        return t(self.message_code, lang, **self.params)

    @property
    def message_code(self) -> str:
        """The text key of this error's sentence."""
        return self.code

    @property
    def stored(self) -> tuple[str, dict[str, Any]]:
        """(code, parameters) to store with an answer: JSON-ready, translated when shown."""
        return self.message_code, {k: _json_ready(v) for k, v in self.params.items()}


def _json_ready(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


class ConfigError(CharlaError):
    code = "error.config"

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        super().__init__(problem, key=key)


class InputError(CharlaError):
    """Input the app refuses; ``reason`` is an i18n code for the specific rule broken."""

    code = "error.input"

    def __init__(self, reason: str, **params: Any) -> None:
        self.reason = reason
        super().__init__(reason, **params)

    @property
    def message_code(self) -> str:
        return self.reason

    def user_message(self, lang: str = "en") -> str:
        # A setting's name ("top_k") is shown as its label in the reader's language.
        name = self.params.get("name")
        label = f"settings.{name}"
        if isinstance(name, str) and label in TEXTS:
            return t(self.reason, lang, **{**self.params, "name": t(label, lang)})
        return super().user_message(lang)


class NotFound(CharlaError):
    code = "error.not_found"


class NotSignedIn(CharlaError):
    """``CHARLA_AUTH`` is ``oidc`` or ``proxy`` and this session has no identity: no chat is read
    or written (:mod:`core.repositories.scope`)."""

    code = "error.not_signed_in"


class AdminsOnly(CharlaError):
    """Only people whose email is in ``CHARLA_ADMINS`` may see who uses Charla."""

    code = "error.admins_only"


class ChatNotFound(NotFound):
    code = "error.chat_not_found"

    def __init__(self, chat_id: int) -> None:
        self.chat_id = chat_id
        super().__init__("", chat_id=chat_id)


class MessageNotFound(NotFound):
    code = "error.message_not_found"

    def __init__(self, message_id: int) -> None:
        self.message_id = message_id
        super().__init__("", message_id=message_id)


class PresetNotFound(NotFound):
    code = "error.preset_not_found"

    def __init__(self, preset_id: int) -> None:
        self.preset_id = preset_id
        super().__init__("", preset_id=preset_id)


class ProviderError(CharlaError):
    code = "error.provider"

    def __init__(self, detail: str = "", *, status: int | None = None, **params: Any) -> None:
        self.status = status
        if status is not None:  # the texts of auth, server and request errors show it
            params.setdefault("status", status)
        params.setdefault("url", "")
        params.setdefault("model", "")
        super().__init__(detail, **params)


class ServerUnreachable(ProviderError):
    """Nothing answers at the server's address.

    What to do depends on who was meant to answer: normally the user's own server (start LM Studio's
    server, or try ``make demo``); under ``make demo`` (``demo=True``, set by the provider from the
    ``CHARLA_DEMO`` setting) the bundled engine, which only restarting ``make demo`` brings back.
    The choice is made here, in :attr:`message_code`, so every place that shows this error (the
    badge, the chat, the settings page) and its stored form (the code is stored) say the same.
    """

    code = "error.server_unreachable"
    demo_code = "error.demo_engine_stopped"

    def __init__(self, detail: str = "", *, demo: bool = False, **params: Any) -> None:
        super().__init__(detail, demo=demo, **params)

    @property
    def demo(self) -> bool:
        return bool(self.params.get("demo"))

    @property
    def message_code(self) -> str:
        return self.demo_code if self.demo else self.code


class WrongURL(ProviderError):
    code = "error.wrong_url"


class AuthenticationFailed(ProviderError):
    code = "error.auth"


class NoModelLoaded(ProviderError):
    code = "error.no_model"


class NotEnoughMemory(ProviderError):
    code = "error.not_enough_memory"


class ModelNotFound(ProviderError):
    code = "error.model_not_found"


class ContextOverflow(ProviderError):
    code = "error.context_overflow"


class MessageOverContext(ContextOverflow):
    """Even with every older message left out, the new message (and the system prompt) leave the
    answer no room: ``tokens`` (estimated) against ``context_length``."""

    code = "error.message_over_context"


class ProviderTimeout(ProviderError):
    code = "error.timeout"


class ServerFailure(ProviderError):
    code = "error.server_failure"


class BadRequest(ProviderError):
    code = "error.bad_request"


class StreamFailed(ProviderError):
    code = "error.stream_failed"


class StreamInterrupted(ProviderError):
    code = "error.stream_interrupted"


class EmptyAnswer(ProviderError):
    code = "error.empty_answer"
