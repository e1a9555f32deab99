"""The chat use cases: send, regenerate, edit — each a :class:`~core.services.reply.ChatReply`.

``send()``, ``regenerate()`` and ``edit()`` write the turn's rows (the user's message, if new, and
an empty answer row) and return the reply, not yet started: the chat page hands it to a worker
(:mod:`core.services.workers`) and follows it; tests and scripts iterate it. (The seed's
non-streamed flow is :func:`core.services.seed_flow.complete_chat_flow`.)

Nothing is replaced, ever: a chat's messages form a tree (:mod:`core.repositories.versions`).
``regenerate`` adds a sibling answer, ``edit`` a sibling user message and its answer; the old branch
stays as another version. The model is sent the selected branch only.

What is sent is fitted to the model's context (:mod:`core.services.context`, with the window from
:mod:`core.services.models`): the system prompt and the new message always, then as many of the
newest older messages as fit beside the answer's budget. A message that cannot fit even alone is
refused before anything is stored, and so are files that would not fit or an image for a model
without vision (:mod:`core.services.attachments`). A chat takes one answer at a time: a second
message while it is answering is refused with a sentence that says so, and the text is kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from core import errors
from core.conf.db import session_scope
from core.identity import current_owner_id
from core.providers.llm_studio_api import LMStudioAPIProvider, get_provider
from core.repositories.app_settings import AppSettingsRepository
from core.repositories.attachments import AttachmentRepository, ContextAttachment, NewAttachment
from core.repositories.chats import ChatRepository, title_from_message
from core.repositories.messages import AT_LEAF, MessageRepository
from core.repositories.turns import TurnRepository
from core.schemas import ChatSettings
from core.services import models, titles
from core.services.answers import SAVE_INTERVAL
from core.services.attachments.content import expand_history, user_content, vision_support
from core.services.context import Message, TokenEstimator, fit_context, fits_alone
from core.services.liveness import answering, process_token
from core.services.reply import ChatReply, OnReasoning, TurnPlan
from core.text import check_text, check_user_message
from core.vocab import CONTEXT_LIMIT, DEFAULT_SYSTEM_PROMPT, Sender, Status

log = logging.getLogger("charla.chat")

DEFAULTS_TTL = 2.0  # seconds the app defaults are reused between turns
# Older messages read as candidates when the model's window is known (the window decides how many
# go); when it is not, the seed's limit (20) applies.
MAX_HISTORY = 400
Attached = NewAttachment | ContextAttachment  # a new file, or one an edited message keeps

__all__ = ["ChatReply", "ChatService", "TurnPlan", "request_params"]


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
        self._defaults_cache: dict[int | None, tuple[float, ChatSettings]] = {}

    @property
    def provider(self) -> LMStudioAPIProvider:
        return self._provider or get_provider()

    # --- settings -----------------------------------------------------------------------------
    def app_defaults(self, db: Session | None = None) -> ChatSettings:
        """The app defaults (settings page) over the configuration; cached for a moment because
        every turn needs them. Saving settings calls :meth:`invalidate_defaults`. ``db``: read
        them, if need be, in that session rather than a new one."""
        owner = current_owner_id()  # defaults are personal: one cache entry per person
        cached = self._defaults_cache.get(owner)
        if cached is not None and time.monotonic() - cached[0] < DEFAULTS_TTL:
            return cached[1]
        with nullcontext(db) if db is not None else session_scope() as session:
            stored = AppSettingsRepository(session).generation_defaults()
        base = ChatSettings(model=self.provider.model, system_prompt=DEFAULT_SYSTEM_PROMPT)
        defaults = stored.merged_over(base)
        self._defaults_cache[owner] = (time.monotonic(), defaults)
        return defaults

    def invalidate_defaults(self) -> None:
        self._defaults_cache.clear()

    def effective_settings(self, chat_id: int | None = None) -> ChatSettings:
        """What a request of this chat carries: its own settings if it has them, else the app
        defaults (over the configuration); no model means the configured one, if any."""
        if chat_id is None:
            return self.app_defaults()
        with session_scope() as db:
            own = ChatRepository(db).own_settings(chat_id)
            if own is None:
                return self.app_defaults(db)
        return replace(own, model=own.model or self.provider.model)

    # --- the turns ----------------------------------------------------------------------------
    def send(
        self,
        chat_id: int,
        text: str,
        *,
        attachments: Sequence[NewAttachment] = (),
        on_reasoning: OnReasoning | None = None,
    ) -> ChatReply:
        """Store ``text`` as the next user message of the selected branch, with its
        ``attachments`` (prepared: :func:`core.services.attachments.prepare`), and start its
        answer. With files, the text may be empty."""
        text = check_text(text) if attachments else check_user_message(text)
        plan = self._plan(chat_id, text=text, parent=AT_LEAF, attachments=tuple(attachments))
        return ChatReply(self, plan, on_reasoning)

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
            if not ChatRepository(db).exists(chat_id):
                raise errors.ChatNotFound(chat_id)
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
        with session_scope() as db:
            original = MessageRepository(db).get(message_id)
            kept = AttachmentRepository(db).for_context([message_id]).get(message_id, [])
        if original.chat_id != chat_id or original.sender != Sender.USER:
            raise errors.InputError("input.not_a_user_message")
        text = check_text(text) if kept else check_user_message(text)
        plan = self._plan(
            chat_id, text=text, parent=original.parent_id, attachments=tuple(kept), keep=message_id
        )
        return ChatReply(self, plan, on_reasoning)

    def edit_and_resend(
        self, chat_id: int, text: str, *, on_reasoning: OnReasoning | None = None
    ) -> ChatReply:
        """Edit the last user message of the selected branch (see :meth:`edit`)."""
        with session_scope() as db:
            if not ChatRepository(db).exists(chat_id):
                raise errors.ChatNotFound(chat_id)
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
        attachments: tuple[Attached, ...] = (),
        keep: int | None = None,
    ) -> TurnPlan:
        """Write the turn's rows and read what to send.

        ``text``: a new user message under ``parent`` (``AT_LEAF``: after the selected branch),
        with ``attachments`` — new ones, or (``keep``: the id of the message an edit replaces)
        the ones it had; otherwise ``question`` is the existing user message to answer again.
        Look-ups that may go over the network (the default model, its context length, whether it
        sees images) happen before the write transaction, so SQLite's write lock is never held
        while the server answers; and every refusal comes before anything is stored (a refusal
        inside the transaction rolls it back).

        Two transactions, as few statements as the turn needs (it is on the path to the first
        token): a read of the chat's settings, then one write transaction that claims the chat
        (:class:`~core.repositories.turns.TurnRepository`), writes the rows and reads the
        context with its files in one statement.
        """
        settings = self.effective_settings(chat_id)  # ChatNotFound for a deleted chat
        model = settings.model or self.default_model()
        settings = replace(settings, model=model)
        said = self.provider.context_length(model) if model else None
        vision = vision_support(self.provider, model)
        if vision is False and any(a.kind == "image" for a in attachments):
            raise errors.InputError("input.image_needs_vision", model=model or "")
        with session_scope(write=True) as db:
            window = said or models.learnt_context_length(db, model)
            if text is not None and window:
                self._refuse_if_too_long(text, attachments, settings, window)
            repo, turn = MessageRepository(db), TurnRepository(db)
            if text is not None:
                title = text if text.strip() else attachments[0].name if attachments else text
                turn.claim(chat_id, messages=2, title=title_from_message(title))
            else:
                turn.claim(chat_id, messages=1)  # ChatNotFound; one turn of a chat at a time
            if answering(db, chat_id):
                raise errors.InputError("input.chat_busy")
            if text is not None:
                user = repo.create_message(
                    chat_id, Sender.USER, text, parent_id=parent, counted=True
                )
                if keep is not None:
                    AttachmentRepository(db).copy_links(keep, user.id)
                elif attachments:
                    new = [a for a in attachments if isinstance(a, NewAttachment)]
                    AttachmentRepository(db).attach(user.id, new)
            else:
                assert question is not None
                user = repo.get(question)
            answer = repo.create_message(
                chat_id,
                Sender.LLM,
                "",
                status=Status.STREAMING,
                # A new user message is the selected branch's end already; an answer again
                # selects the path to its question.
                parent_id=AT_LEAF if text is not None else user.id,
                counted=True,
                model=model,
                params=request_params(settings),
                writer=process_token(),
            )
            # The selected branch now ends with the user message and the empty answer (which the
            # context leaves out): exactly what the model must be sent.
            limit = MAX_HISTORY if window else self.context_limit + 1
            rows, attached = turn.context(chat_id, limit)
            history = expand_history(rows, attached, images=vision is not False)
        to_send, dropped = self._fit(history, settings, window)
        if dropped:
            log.info("chat %s: %d old messages left out to fit the context", chat_id, dropped)
        return TurnPlan(chat_id, user, answer, to_send, settings, dropped, tuple(history))

    def _fit(
        self, history: list[Message], settings: ChatSettings, window: int | None
    ) -> tuple[list[Message], int]:
        return fit_context(
            history[:-1],
            history[-1],
            system_prompt=settings.system_prompt,
            context_length=window,
            max_tokens=settings.max_tokens,
            estimator=self.estimator,
            model=settings.model,
        )

    def _refuse_if_too_long(
        self,
        text: str,
        attachments: Sequence[Attached],
        settings: ChatSettings,
        window: int,
    ) -> None:
        fits, tokens = fits_alone(
            {"role": "user", "content": user_content(text, attachments)},
            system_prompt=settings.system_prompt,
            context_length=window,
            estimator=self.estimator,
            model=settings.model,
        )
        if fits:
            return
        documents = [a for a in attachments if a.kind == "document"]
        if documents:  # name the biggest file: the one to shorten
            biggest = max(documents, key=lambda a: len(a.text or ""))
            raise errors.InputError(
                "input.file_over_context",
                name=biggest.name,
                tokens=tokens,
                context_length=window,
            )
        raise errors.InputError("input.message_over_context", tokens=tokens, context_length=window)

    def refit(self, plan: TurnPlan, overflow: errors.ProviderError) -> TurnPlan | None:
        """After an overflow: learn the model's window and fit the turn into it, for one more
        try; ``None`` when the failure was not about the context (or nothing would change)."""
        settings, model = plan.settings, plan.settings.model
        window, requested = overflow.params.get("context_length"), overflow.params.get("requested")
        if not window:
            window, requested = models.probe_context_length(
                self.provider, plan.messages, model=model, system_prompt=settings.system_prompt
            )
        if window:
            models.learn_context_length(model, int(window), "overflow")
        else:
            # The server has room to spare for this prompt, or says nothing: if its window is
            # known all the same, the estimates ran short and the answer found no room.
            window = models.context_length(self.provider, model)
            if not window:
                return None
            self.estimator.tighten(model)
        sent = [{"role": "system", "content": settings.system_prompt or ""}, *plan.messages]
        if requested:
            self.estimator.learn(sent, int(requested), model)
        history = list(plan.history)
        fits, tokens = fits_alone(
            history[-1],
            system_prompt=settings.system_prompt,
            context_length=int(window),
            estimator=self.estimator,
            model=model,
        )
        if not fits:
            raise errors.MessageOverContext(
                url=self.provider.base_url,
                model=model or "",
                tokens=tokens,
                context_length=int(window),
            )
        to_send, dropped = self._fit(history, settings, int(window))
        if to_send == plan.messages:
            return None  # the same request would fail the same way
        log.info("chat %s: overflow; retrying with %d messages left out", plan.chat_id, dropped)
        return replace(plan, messages=to_send, dropped=dropped)

    def after_answer(self, reply: ChatReply) -> None:
        """Run by the worker once an answer's row is final: the first answer of a chat gets the
        model to write the chat's title (in the background: the answer never waits for it)."""
        if reply.status == Status.COMPLETE and reply.user_message.parent_id is None:
            titles.maybe_retitle(reply.chat_id, self.provider, model=reply.plan.settings.model)

    def default_model(self) -> str | None:
        """The configured model, else the one the server has loaded (None if unreachable)."""
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
