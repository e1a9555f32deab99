"""The chat flow: store the user's message, ask the model, keep the answer whatever happens.

Two entry points:

- :func:`complete_chat_flow` — the seed's async, non-streamed flow, with one change: the user's
  message is committed before the model is called, so a failing server never loses it.
- :class:`ChatService` — what the chat page uses. ``send()`` (and ``regenerate()``,
  ``edit_and_resend()``) return a :class:`ChatReply`: iterate it and you get the answer's text
  chunks, which ``st.write_stream`` consumes directly; reasoning goes to an ``on_reasoning``
  callback so the page can show it apart.

What a ``ChatReply`` guarantees:

1. before the model is called, the user's message and an empty answer row (status ``streaming``)
   are committed;
2. while the answer streams, the text received so far is saved every ``save_interval`` seconds
   (0.5 s), so a killed process loses at most about that much;
3. when the stream ends the row is finished as ``complete``, ``stopped`` (the consumer closed it:
   Stop, a rerun, leaving the ``with`` block) or ``error`` (with the error's message), always with
   the text received, the parameters used and the measured statistics;
4. errors never escape as exceptions from iteration: ``reply.error`` holds a
   :class:`core.errors.CharlaError` whose message says what to do.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from core import errors
from core.conf.db import SessionLocal, session_scope, write_session
from core.models import utcnow
from core.providers.llm_studio_api import (
    LMStudioAPIProvider,
    ReplyStream,
    StreamStats,
    get_provider,
)
from core.providers.reasoning import AnswerParts
from core.repositories.app_settings import AppSettingsRepository
from core.repositories.chats import ChatRepository, title_from_message
from core.repositories.messages import INTERRUPTED, MessageRepository
from core.schemas import ChatSettings, MessageRecord
from core.services.context import TokenEstimator, fit_context
from core.services.liveness import FOREIGN_STALE_AFTER, process_token, writer_alive
from core.text import check_user_message, storable
from core.vocab import EventKind

log = logging.getLogger("charla.chat")

DEFAULT_CONTEXT_LIMIT = 20  # the seed's default number of past messages sent to the model
SAVE_INTERVAL = 0.5  # seconds between progressive saves of a streaming answer
DEFAULT_SYSTEM_PROMPT = "You are a helpful, concise assistant."
DEFAULTS_TTL = 2.0  # seconds the app defaults are reused between turns


@dataclass(frozen=True)
class Prepared:
    """A turn ready to stream: the rows written and the request to send."""

    user_message: MessageRecord
    answer_id: int
    messages: list[dict[str, str]]
    settings: ChatSettings
    dropped: int


class ChatReply:
    """One streamed answer. Iterate for its text; read ``result``/``error`` when it is over."""

    def __init__(
        self,
        service: ChatService,
        prepared: Prepared,
        on_reasoning: Callable[[str], None] | None = None,
    ) -> None:
        self.service = service
        self.prepared = prepared
        self.user_message = prepared.user_message
        self.answer_id = prepared.answer_id
        self.on_reasoning = on_reasoning
        self.content = ""
        self.reasoning = ""
        self.status = "streaming"
        self.error: errors.CharlaError | None = None
        self.result: MessageRecord | None = None
        self._gen = self._run()

    def __iter__(self) -> Iterator[str]:
        return self._gen

    def __enter__(self) -> ChatReply:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the answer (if still running): closes the HTTP stream and saves it as stopped."""
        if inspect.getgeneratorstate(self._gen) == inspect.GEN_CREATED:
            # Closed before anything read it (a rerun before st.write_stream started): the
            # generator's own clean-up never runs, so finish the answer row here.
            self._gen.close()
            self.status = "stopped"
            self.result = self.service._finish(self, None)
            return
        self._gen.close()

    def consume(self) -> ChatReply:
        """Read the whole answer without displaying it (tests, scripts)."""
        for _ in self._gen:
            pass
        return self

    def _run(self) -> Generator[str]:
        service, prepared = self.service, self.prepared
        settings = prepared.settings
        parts = AnswerParts()
        stream: ReplyStream | None = None
        status = "stopped"  # unless the stream completes or fails, the consumer stopped it
        error: errors.CharlaError | None = None
        last_save = time.monotonic()
        saved = 0  # parts.version at the last save
        try:
            stream = service.provider.stream_reply(
                prepared.messages,
                model=settings.model,
                system_message=settings.system_prompt or None,
                temperature=settings.temperature,
                max_tokens=settings.max_tokens,
                **settings.options(),
            )
            for kind, text in stream:
                parts.add(kind, text)
                if kind == EventKind.CONTENT:
                    yield text
                else:  # reasoning, or content reclassified as reasoning
                    self._reasoning_changed(parts)
                now = time.monotonic()
                if now - last_save >= service.save_interval and parts.version != saved:
                    service._save_progress(self.answer_id, parts.content, parts.reasoning)
                    last_save, saved = now, parts.version
            if not parts.content.strip() and not parts.reasoning:
                raise errors.EmptyAnswer(url=service.provider.base_url, model=settings.model or "")
            status = "complete"
        except errors.CharlaError as exc:
            status, error = "error", exc
        except Exception as exc:  # a bug must not lose the answer: keep it, explain, log the trace
            log.exception("unexpected failure while streaming an answer")
            status, error = "error", errors.CharlaError(f"{type(exc).__name__}: {exc}")
        finally:
            if stream is not None:
                stream.close()
            self.content, self.reasoning = parts.content, parts.reasoning
            self.status, self.error = status, error
            self.result = service._finish(self, stream)

    def _reasoning_changed(self, parts: AnswerParts) -> None:
        if self.on_reasoning is not None:
            self.on_reasoning(parts.reasoning)


class ChatService:
    """The chat use cases. Stateless but for the provider, the token estimator and timing knobs."""

    def __init__(
        self,
        provider: LMStudioAPIProvider | None = None,
        *,
        session_factory: Callable[[], Session] | None = None,
        write_session_factory: Callable[[], Session] | None = None,
        save_interval: float = SAVE_INTERVAL,
        context_limit: int = DEFAULT_CONTEXT_LIMIT,
    ) -> None:
        self._provider = provider
        self._session = session_factory or SessionLocal
        self._write_session = write_session_factory or session_factory or write_session
        self.save_interval = save_interval
        self.context_limit = context_limit
        self.estimator = TokenEstimator()
        self._defaults_cache: tuple[float, ChatSettings] | None = None

    def _unit(self, *, write: bool = False) -> AbstractContextManager[Session]:
        """A unit of work on this service's own session factories (tests inject them)."""
        return session_scope(factory=self._write_session if write else self._session)

    @property
    def provider(self) -> LMStudioAPIProvider:
        return self._provider or get_provider()

    # --- settings -----------------------------------------------------------------------------
    def app_defaults(self) -> ChatSettings:
        """The app defaults (settings page) over the configuration; cached for a moment because
        every turn needs them. The settings page calls :meth:`invalidate_defaults` after saving."""
        cached = self._defaults_cache
        if cached is not None and time.monotonic() - cached[0] < DEFAULTS_TTL:
            return cached[1]
        with self._unit() as db:
            stored = AppSettingsRepository(db).generation_defaults()
        base = ChatSettings(model=self.provider.model, system_prompt=DEFAULT_SYSTEM_PROMPT)
        defaults = stored.merged_over(base)
        self._defaults_cache = (time.monotonic(), defaults)
        return defaults

    def invalidate_defaults(self) -> None:
        self._defaults_cache = None

    def effective_settings(self, chat_id: int | None = None) -> ChatSettings:
        """Chat overrides, over the app defaults, over the configuration (model from .env)."""
        if chat_id is None:
            return self.app_defaults()
        with self._unit() as db:
            chat = ChatRepository(db).get(chat_id)
        return chat.settings.merged_over(self.app_defaults())

    # --- the turns ----------------------------------------------------------------------------
    def send(
        self, chat_id: int, text: str, *, on_reasoning: Callable[[str], None] | None = None
    ) -> ChatReply:
        """Store ``text`` as the user's message and start the answer (streamed when iterated)."""
        text = check_user_message(text)
        return ChatReply(self, self._prepare(chat_id, text), on_reasoning)

    def regenerate(
        self, chat_id: int, *, on_reasoning: Callable[[str], None] | None = None
    ) -> ChatReply:
        """Replace the last answer (or answer the last message if it has none): also "Retry"."""
        return self._redo(chat_id, None, on_reasoning)

    def edit_and_resend(
        self, chat_id: int, text: str, *, on_reasoning: Callable[[str], None] | None = None
    ) -> ChatReply:
        """Replace the last user message by ``text`` (dropping its answer) and answer it again."""
        return self._redo(chat_id, check_user_message(text), on_reasoning)

    def _redo(
        self, chat_id: int, new_text: str | None, on_reasoning: Callable[[str], None] | None
    ) -> ChatReply:
        with self._unit(write=True) as db:
            messages = MessageRepository(db)
            ChatRepository(db).get(chat_id)
            tail = messages.list_for_chat(chat_id, limit=2)
            if tail and tail[-1].sender == "llm":
                messages.delete_message(tail[-1].id)
                tail = tail[:-1]
            if not tail or tail[-1].sender != "user":
                raise errors.InputError("input.nothing_to_regenerate")
            last_user = tail[-1]
            messages.delete_message(last_user.id)
        return ChatReply(self, self._prepare(chat_id, new_text or last_user.content), on_reasoning)

    def _prepare(self, chat_id: int, text: str) -> Prepared:
        # Three phases, so that SQLite's write lock is held only for the inserts and never while
        # the provider looks something up over the network: read, look up, write.
        with self._unit() as db:
            chat = ChatRepository(db).get(chat_id)
            history = MessageRepository(db).get_chat_context_for_llm(
                chat_id, limit=self.context_limit
            )
        settings = chat.settings.merged_over(self.app_defaults())
        model = settings.model or self._default_model()
        settings = replace(settings, model=model)
        info = self.provider.model_info(model)  # cached; None when the server does not say
        to_send, dropped = fit_context(
            history,
            {"role": "user", "content": text},
            system_prompt=settings.system_prompt,
            context_length=info.context_length if info else None,
            max_tokens=settings.max_tokens,
            estimator=self.estimator,
            model=model,
        )
        with self._unit(write=True) as db:
            messages = MessageRepository(db)
            user = messages.create_message(chat_id, "user", text)
            if not chat.title:
                ChatRepository(db).set_title_if_empty(chat_id, title_from_message(text))
            answer = messages.create_message(
                chat_id,
                "llm",
                "",
                status="streaming",
                model=model,
                params=_params(settings),
                writer=process_token(),
            )
        if dropped:
            log.info("chat %s: %d old messages left out to fit the context", chat_id, dropped)
        return Prepared(user, answer.id, to_send, settings, dropped)

    def _default_model(self) -> str | None:
        try:
            return self.provider.default_model()
        except errors.ProviderError:
            return None  # the request itself will explain what is wrong

    # --- progressive saving -------------------------------------------------------------------
    def _save_progress(self, answer_id: int, content: str, reasoning: str) -> None:
        try:
            with self._unit(write=True) as db:
                MessageRepository(db).update_message(
                    answer_id, content=storable(content), reasoning=storable(reasoning)
                )
        except errors.CharlaError:
            raise  # the answer is gone (its chat was deleted): stop streaming it
        except Exception:  # a failing database: keep streaming, the next save tries again
            log.exception("could not save the answer's progress; will retry at the next chunk")

    def _finish(self, reply: ChatReply, stream: ReplyStream | None) -> MessageRecord | None:
        fields: dict[str, Any] = {
            # storable(): a NUL a model sent is kept as U+FFFD (no database stores NUL).
            "content": storable(reply.content),
            "reasoning": storable(reply.reasoning),
            "status": reply.status,
            "error": reply.error.user_message("en") if reply.error else None,
            "writer": None,
        }
        if stream is not None:
            stats = stream.stats
            fields.update(_stats(stats))
            self.estimator.learn(
                [
                    {"role": "system", "content": reply.prepared.settings.system_prompt or ""},
                    *reply.prepared.messages,
                ],
                fields.get("prompt_tokens"),
                stats.model,
            )
        try:
            with self._unit(write=True) as db:
                repo = MessageRepository(db)
                repo.update_message(reply.answer_id, **fields)
                return repo.get(reply.answer_id)
        except errors.MessageNotFound:
            return None  # the chat was deleted while the answer streamed: nothing to keep
        except Exception:
            log.exception("could not save the finished answer %s", reply.answer_id)
            return None


def _params(settings: ChatSettings) -> dict[str, Any]:
    params: dict[str, Any] = {
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
    }
    params.update(settings.options())
    if settings.system_prompt:
        params["system_prompt"] = settings.system_prompt
    return {k: v for k, v in params.items() if v is not None}


def _stats(stats: StreamStats) -> dict[str, Any]:
    return {
        "model": stats.model,
        "finish_reason": stats.finish_reason,
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "time_to_first_token": stats.time_to_first_token,
        "tokens_per_second": stats.tokens_per_second,
    }


def is_interrupted(message: MessageRecord) -> bool:
    """An answer whose writer died: marked so at start-up, or still ``streaming`` with a dead
    writer (another process crashed while this one runs)."""
    if message.status == "stopped" and message.error == INTERRUPTED:
        return True
    return message.status == "streaming" and writer_alive(message.writer) is False


def mark_interrupted_answers() -> int:
    """At start-up: answers whose writing process is gone become ``stopped``/``interrupted``."""
    with session_scope(write=True) as db:
        repo = MessageRepository(db)
        now = utcnow()
        dead = [
            message_id
            for message_id, writer, created_at in repo.streaming_answers()
            if (alive := writer_alive(writer)) is False
            or (alive is None and now - created_at > FOREIGN_STALE_AFTER)
        ]
        return repo.mark_interrupted(dead)


async def complete_chat_flow(
    chat_id: int,
    user_message: str,
    *,
    provider: LMStudioAPIProvider | None = None,
    system_message: str = "Eres un asistente inteligente y útil.",
    temperature: float = 0.7,
    limit: int = DEFAULT_CONTEXT_LIMIT,
) -> str:
    """The seed's complete flow (non-streamed). The user's message is stored first and kept even
    when the model call fails; a failure is stored as an answer with status ``error``."""
    provider = provider or get_provider()
    user_message = check_user_message(user_message)
    db = SessionLocal()
    try:
        message_repo = MessageRepository(db)
        context = message_repo.get_chat_context_for_llm(chat_id, limit=limit)
        context.append({"role": "user", "content": user_message})
        db.commit()  # end the read transaction before writing (SQLite WAL)
        message_repo.create_message(chat_id, "user", user_message)
        db.commit()
        started = time.perf_counter()
        try:
            response = await provider.chat_completion(
                messages=context, system_message=system_message, temperature=temperature
            )
        except errors.ProviderError as exc:
            message_repo.create_message(
                chat_id,
                "llm",
                "",
                status="error",
                error=exc.user_message("en"),
                model=provider.model,
            )
            db.commit()
            raise
        llm_response = str(response["choices"][0]["message"].get("content") or "")
        usage = response.get("usage") or {}
        message_repo.create_message(
            chat_id,
            "llm",
            llm_response,
            reasoning=str(response["choices"][0]["message"].get("reasoning_content") or ""),
            model=response.get("model"),
            params={"temperature": temperature, "system_prompt": system_message},
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            finish_reason=response["choices"][0].get("finish_reason"),
            time_to_first_token=time.perf_counter() - started,
        )
        db.commit()
        return llm_response
    except Exception:
        db.rollback()
        raise
    finally:
        db.close()


def new_chat(title: str = "", settings: ChatSettings | None = None) -> int:
    """Create an empty chat and return its id."""
    with session_scope(write=True) as db:
        return ChatRepository(db).create(title, settings).id


def chat_messages(
    chat_id: int, *, limit: int | None = None, before_id: int | None = None
) -> Sequence[MessageRecord]:
    """A chat's messages (see :meth:`MessageRepository.list_for_chat`); ChatNotFound if none."""
    with session_scope() as db:
        ChatRepository(db).get(chat_id)
        return MessageRepository(db).list_for_chat(chat_id, limit=limit, before_id=before_id)
