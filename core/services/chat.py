"""The chat flow: store what the person wrote, ask the model, keep the answer whatever happens.

:class:`ChatService` is what the chat page uses. ``send()``, ``regenerate()`` and ``edit()`` return
a :class:`ChatReply`: iterate it and you get the answer's text chunks, which ``st.write_stream``
consumes directly; reasoning goes to an ``on_reasoning`` callback so the page can show it apart.
(The seed's non-streamed flow is :func:`core.services.seed_flow.complete_chat_flow`.)

Nothing is replaced, ever: a chat's messages form a tree (:mod:`core.repositories.versions`).
``regenerate`` adds a sibling answer, ``edit`` a sibling user message and its answer; the old
branch stays as another version. The model is sent the selected branch only.

What a ``ChatReply`` guarantees:

1. before the model is called, the user's message and an empty answer row (status ``streaming``)
   are committed;
2. while the answer streams, its :class:`~core.services.answers.AnswerWriter` saves the text
   received so far every 0.5 s, so a killed process loses at most about that much;
3. when the stream ends the row is finished as ``complete``, ``stopped`` (the consumer closed it:
   Stop, a rerun, leaving the ``with`` block) or ``error`` (with the error's code), always with the
   text received, the parameters used and the statistics the stream measured;
4. errors never escape as exceptions from iteration: ``reply.error`` holds a
   :class:`core.errors.CharlaError` whose message says what to do.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from typing import Any

from core import errors
from core.conf.db import session_scope
from core.providers.llm_studio_api import LMStudioAPIProvider, get_provider
from core.providers.reasoning import AnswerParts
from core.providers.stream import ReplyStream
from core.repositories.app_settings import AppSettingsRepository
from core.repositories.chats import ChatRepository, title_from_message
from core.repositories.messages import AT_LEAF, MessageRepository
from core.schemas import ChatSettings, MessageRecord
from core.services.answers import SAVE_INTERVAL, AnswerWriter
from core.services.context import TokenEstimator, fit_context
from core.services.liveness import process_token
from core.text import check_user_message
from core.vocab import CONTEXT_LIMIT, DEFAULT_SYSTEM_PROMPT, EventKind, Sender, Status

log = logging.getLogger("charla.chat")

DEFAULTS_TTL = 2.0  # seconds the app defaults are reused between turns
OnReasoning = Callable[[str], None]


@dataclass(frozen=True)
class TurnPlan:
    """A turn ready to stream: the rows written and the request to send."""

    chat_id: int
    user_message: MessageRecord
    answer: MessageRecord  # the empty ``streaming`` row the answer is written into
    messages: list[dict[str, str]]  # what is sent, oldest first, without the system prompt
    settings: ChatSettings
    dropped: int  # older messages of the branch left out to fit the model's context


class ChatReply:
    """One streamed answer. Iterate for its text; read ``result``/``error`` when it is over."""

    def __init__(
        self, service: ChatService, plan: TurnPlan, on_reasoning: OnReasoning | None = None
    ) -> None:
        self.service = service
        self.plan = plan
        self.user_message = plan.user_message
        self.answer_id = plan.answer.id
        self.on_reasoning = on_reasoning
        self.content = ""
        self.reasoning = ""
        self.status: Status = Status.STREAMING
        self.error: errors.CharlaError | None = None
        self.result: MessageRecord | None = None
        self._writer = AnswerWriter(self.answer_id, save_interval=service.save_interval)
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
            self.status = Status.STOPPED
            self.result = self._writer.finish("", "", Status.STOPPED)
            return
        self._gen.close()

    def consume(self) -> ChatReply:
        """Read the whole answer without displaying it (tests, scripts)."""
        for _ in self._gen:
            pass
        return self

    def _run(self) -> Generator[str]:
        plan, writer = self.plan, self._writer
        settings = plan.settings
        parts = AnswerParts()
        stream: ReplyStream | None = None
        status = Status.STOPPED  # unless the stream completes or fails, the consumer stopped it
        error: errors.CharlaError | None = None
        try:
            stream = self.service.provider.stream_reply(
                plan.messages,
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
                elif self.on_reasoning is not None:
                    self.on_reasoning(parts.reasoning)
                if writer.due():
                    writer.save(parts.content, parts.reasoning)
            if not parts.content.strip() and not parts.reasoning:
                raise errors.EmptyAnswer(
                    url=self.service.provider.base_url, model=settings.model or ""
                )
            status = Status.COMPLETE
        except errors.CharlaError as exc:
            status, error = Status.ERROR, exc
        except Exception as exc:  # a bug must not lose the answer: keep it, explain, log the trace
            log.exception("unexpected failure while streaming an answer")
            status, error = Status.ERROR, errors.CharlaError(f"{type(exc).__name__}: {exc}")
        finally:
            if stream is not None:
                stream.close()
            self.content, self.reasoning = parts.content, parts.reasoning
            self.status, self.error = status, error
            stats = stream.stats if stream is not None else None
            self.result = writer.finish(
                self.content, self.reasoning, status, error=error, stats=stats
            )
            if stats is not None:
                self.service.estimator.learn(
                    [{"role": "system", "content": settings.system_prompt or ""}, *plan.messages],
                    stats.prompt_tokens,
                    stats.model,
                )


class ChatService:
    """The chat use cases. Stateless but for the provider, the token estimator and timing knobs."""

    def __init__(
        self,
        provider: LMStudioAPIProvider | None = None,
        *,
        save_interval: float = SAVE_INTERVAL,
        context_limit: int = CONTEXT_LIMIT,
    ) -> None:
        self._provider = provider
        self.save_interval = save_interval
        self.context_limit = context_limit
        self.estimator = TokenEstimator()
        self._defaults_cache: tuple[float, ChatSettings] | None = None

    @property
    def provider(self) -> LMStudioAPIProvider:
        return self._provider or get_provider()

    # --- settings -----------------------------------------------------------------------------
    def app_defaults(self) -> ChatSettings:
        """The app defaults (settings page) over the configuration; cached for a moment because
        every turn needs them. Saving settings calls :meth:`invalidate_defaults`."""
        cached = self._defaults_cache
        if cached is not None and time.monotonic() - cached[0] < DEFAULTS_TTL:
            return cached[1]
        with session_scope() as db:
            stored = AppSettingsRepository(db).generation_defaults()
        base = ChatSettings(model=self.provider.model, system_prompt=DEFAULT_SYSTEM_PROMPT)
        defaults = stored.merged_over(base)
        self._defaults_cache = (time.monotonic(), defaults)
        return defaults

    def invalidate_defaults(self) -> None:
        self._defaults_cache = None

    def effective_settings(self, chat_id: int | None = None) -> ChatSettings:
        """What a request of this chat carries: its own settings if it has them, else the app
        defaults (over the configuration); no model means the configured one, if any."""
        if chat_id is None:
            return self.app_defaults()
        with session_scope() as db:
            chat = ChatRepository(db).get(chat_id)
        if not chat.own_settings:
            return self.app_defaults()
        return replace(chat.settings, model=chat.settings.model or self.provider.model)

    # --- the turns ----------------------------------------------------------------------------
    def send(
        self, chat_id: int, text: str, *, on_reasoning: OnReasoning | None = None
    ) -> ChatReply:
        """Store ``text`` as the next user message of the selected branch and start its answer."""
        text = check_user_message(text)
        return ChatReply(self, self._plan(chat_id, text=text, parent=AT_LEAF), on_reasoning)

    def regenerate(
        self,
        chat_id: int,
        message_id: int | None = None,
        *,
        on_reasoning: OnReasoning | None = None,
    ) -> ChatReply:
        """A new version of an answer (``message_id``; default: the last answer of the selected
        branch), kept beside the old one. Given a user message, answers it again ("Retry")."""
        with session_scope() as db:
            repo = MessageRepository(db)
            ChatRepository(db).get(chat_id)
            target = repo.get(message_id) if message_id is not None else repo.last_message(chat_id)
        if target is None or target.chat_id != chat_id:
            raise errors.InputError("input.nothing_to_regenerate")
        question = target.id if target.sender == Sender.USER else target.parent_id
        if question is None:
            raise errors.InputError("input.nothing_to_regenerate")
        return ChatReply(self, self._plan(chat_id, question=question), on_reasoning)

    def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        on_reasoning: OnReasoning | None = None,
    ) -> ChatReply:
        """A new version of the user message ``message_id`` with ``text``, answered; the old
        message and everything after it stay, as the other version."""
        text = check_user_message(text)
        with session_scope() as db:
            original = MessageRepository(db).get(message_id)
        if original.chat_id != chat_id or original.sender != Sender.USER:
            raise errors.InputError("input.not_a_user_message")
        return ChatReply(
            self, self._plan(chat_id, text=text, parent=original.parent_id), on_reasoning
        )

    def edit_and_resend(
        self, chat_id: int, text: str, *, on_reasoning: OnReasoning | None = None
    ) -> ChatReply:
        """Edit the last user message of the selected branch (see :meth:`edit`)."""
        with session_scope() as db:
            ChatRepository(db).get(chat_id)
            branch = MessageRepository(db).branch(chat_id, limit=2)
        last_user = next((m for m in reversed(branch) if m.sender == Sender.USER), None)
        if last_user is None:
            raise errors.InputError("input.nothing_to_regenerate")
        return self.edit(chat_id, last_user.id, text, on_reasoning=on_reasoning)

    def _plan(
        self,
        chat_id: int,
        *,
        text: str | None = None,
        parent: Any = AT_LEAF,
        question: int | None = None,
    ) -> TurnPlan:
        """Write the turn's rows and read what to send.

        ``text``: a new user message under ``parent`` (``AT_LEAF``: after the selected branch);
        otherwise ``question`` is the existing user message to answer again. Look-ups that may
        go over the network (the default model, its context length) happen before the write
        transaction, so SQLite's write lock is never held while the server answers.
        """
        settings = self.effective_settings(chat_id)  # ChatNotFound for a deleted chat
        model = settings.model or self._default_model()
        settings = replace(settings, model=model)
        info = self.provider.model_info(model)  # cached; None when the server does not say
        with session_scope(write=True) as db:
            repo = MessageRepository(db)
            if text is not None:
                user = repo.create_message(chat_id, Sender.USER, text, parent_id=parent)
                ChatRepository(db).set_title_if_empty(chat_id, title_from_message(text))
            else:
                assert question is not None
                user = repo.get(question)
            answer = repo.create_message(
                chat_id,
                Sender.LLM,
                "",
                status=Status.STREAMING,
                parent_id=user.id,
                model=model,
                params=request_params(settings),
                writer=process_token(),
            )
            # The selected branch now ends with the user message and the empty answer (which the
            # context leaves out): exactly what the model must be sent.
            history = repo.get_chat_context_for_llm(chat_id, limit=self.context_limit + 1)
        to_send, dropped = fit_context(
            history[:-1],
            history[-1],
            system_prompt=settings.system_prompt,
            context_length=info.context_length if info else None,
            max_tokens=settings.max_tokens,
            estimator=self.estimator,
            model=model,
        )
        if dropped:
            log.info("chat %s: %d old messages left out to fit the context", chat_id, dropped)
        return TurnPlan(chat_id, user, answer, to_send, settings, dropped)

    def _default_model(self) -> str | None:
        try:
            return self.provider.default_model()
        except errors.ProviderError:
            return None  # the request itself will explain what is wrong


def request_params(settings: ChatSettings) -> dict[str, Any]:
    """The parameters stored with an answer: exactly what its request carries (no model)."""
    params = settings.to_json()
    params.pop("model", None)
    if not params.get("system_prompt"):
        params.pop("system_prompt", None)  # an empty one is not sent
    return params
