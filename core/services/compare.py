"""Compare models side by side: one prompt, two to four models, their answers stored and measured.

**Stored as a chat of its own kind.** A comparison is a chat with ``kind = 'comparison'`` whose first
(user) message has one answer per model, siblings under it — exactly how Regenerate stores versions
— so every answer is an ordinary row of ``messages`` with its model, time to first token, speed and
tokens: Insights and History see comparisons like any other answers. :func:`keep` turns a
comparison into a normal chat that shows the kept answer (that version selected, the kind changed,
the chat's model set to it); the other answers stay as its other versions.

**One at a time, by default.** On one machine, models answering at once share its processor and
memory, and a server that runs one request at a time (llama.cpp's Python server, LM Studio with one
model slot) queues the others: their time to first token would include the wait and their speed
the sharing. So the answers run one after the other — still each in its own background worker
(:data:`core.services.workers.answer_workers`), the next started by the previous one's end — and the
page shows all columns from the start, the waiting ones as queued. ``one_at_a_time=False`` starts
them together, for servers that serve several requests in parallel.

**Loading a model (LM Studio's JIT).** Right before an answer starts, the server's model list is
read again: when it says the model is not loaded (LM Studio's ``/api/v0`` or ``/api/v1`` lists say
so), the page says "loading the model…" until the first token. Charla measures the time to first
token itself, from sending the request on the OpenAI-compatible endpoint, which does not report
loading apart. So a cold model is first loaded on its own where the server can say how long that
took (LM Studio 0.4+: ``POST /api/v1/models/load`` answers ``load_time_seconds``): the answer
records ``params["load_seconds"]`` and its time to first token is the answer's alone. Where the
server cannot (older LM Studio), the request loads the model (JIT), its time to first token
*includes* the load, and the answer records ``params["cold_start"] = true``: marked, not corrected.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Final

from core import errors
from core.conf.db import session_scope
from core.models import CHAT, COMPARISON
from core.providers.stream import StreamStats
from core.repositories.chats import ChatRepository, title_from_message
from core.repositories.comparisons import ComparisonRepository
from core.repositories.messages import MessageRepository
from core.repositories.versions import VersionRepository
from core.schemas import ChatSummary, MessageRecord
from core.services.chat import ChatService, request_params
from core.services.liveness import process_token
from core.services.reply import ChatReply, TurnPlan
from core.services.workers import answer_workers, request_stop
from core.text import check_text, check_user_message
from core.vocab import Sender, Status

log = logging.getLogger("charla.compare")

MIN_MODELS: Final = 2
MAX_MODELS: Final = 4
COLD_START: Final = "cold_start"  # params key: the first token includes loading the model
LOAD_SECONDS: Final = "load_seconds"  # params key: the model was loaded apart first, this long

# Where an answer of a comparison stands, for the page.
QUEUED, LOADING, WAITING, WRITING, DONE = "queued", "loading", "waiting", "writing", "done"


@dataclass(frozen=True)
class Progress:
    """One answer of a comparison as it is being written (or once it is final)."""

    answer_id: int
    model: str
    phase: str  # QUEUED, LOADING, WAITING, WRITING or DONE
    content: str
    reasoning: str
    stats: StreamStats | None  # measured so far (this process's answers only)


@dataclass(frozen=True)
class Comparison:
    """A stored comparison: the prompt, the system prompt sent, and each model's answer."""

    chat_id: int
    kind: str
    prompt: MessageRecord
    system_prompt: str | None
    answers: tuple[MessageRecord, ...]  # one per model, in the order they were asked

    @property
    def done(self) -> bool:
        return all(a.status != Status.STREAMING for a in self.answers)

    @property
    def finished_answers(self) -> list[MessageRecord]:
        return [a for a in self.answers if a.status == Status.COMPLETE and a.content]

    def fastest(self) -> MessageRecord | None:
        """The complete answer written at the most tokens per second."""
        rated = [a for a in self.finished_answers if a.tokens_per_second]
        return max(rated, key=lambda a: a.tokens_per_second or 0.0, default=None)

    def quickest(self) -> MessageRecord | None:
        """The complete answer whose first token came soonest."""
        timed = [a for a in self.finished_answers if a.time_to_first_token is not None]
        return min(timed, key=lambda a: a.time_to_first_token or 0.0, default=None)

    def shortest(self) -> MessageRecord | None:
        counted = [a for a in self.finished_answers if a.completion_tokens]
        return min(counted, key=lambda a: a.completion_tokens or 0, default=None)

    def longest(self) -> MessageRecord | None:
        counted = [a for a in self.finished_answers if a.completion_tokens]
        return max(counted, key=lambda a: a.completion_tokens or 0, default=None)


def cold_start(answer: MessageRecord) -> bool:
    """Whether the server had to load the answer's model first (its time includes the load)."""
    return bool((answer.params or {}).get(COLD_START))


def load_seconds(answer: MessageRecord) -> float | None:
    """How long the server said loading the answer's model took, when it was loaded apart."""
    value = (answer.params or {}).get(LOAD_SECONDS)
    return float(value) if isinstance(value, int | float) else None


# --- running --------------------------------------------------------------------------------------
class _Queue:
    """The answers of this process's comparisons that wait for their turn (thread-safe)."""

    def __init__(self) -> None:
        self._waiting: dict[int, ChatReply] = {}
        self._cold: dict[int, bool] = {}
        self._lock = threading.Lock()

    def add(self, replies: Sequence[ChatReply]) -> None:
        with self._lock:
            self._waiting.update((r.answer_id, r) for r in replies)

    def take(self, answer_id: int) -> ChatReply | None:
        with self._lock:
            return self._waiting.pop(answer_id, None)

    def waiting(self, answer_id: int) -> bool:
        with self._lock:
            return answer_id in self._waiting

    def set_cold(self, answer_id: int, cold: bool) -> None:
        with self._lock:
            self._cold[answer_id] = cold

    def cold(self, answer_id: int) -> bool:
        with self._lock:
            return self._cold.get(answer_id, False)


_queue = _Queue()


def _is_cold(service: ChatService, model: str) -> bool:
    """Whether the server's model list says ``model`` is not loaded (None, unknown, is not)."""
    try:
        models = service.provider.list_models(refresh=True)
    except errors.ProviderError:
        return False  # the request itself will say what is wrong
    info = next((m for m in models if m.id == model), None)
    return info is not None and info.loaded is False


def _note(reply: ChatReply, **params: object) -> None:
    """Add ``params`` to the answer's request parameters, in the row now and in the final write."""
    merged = {**(reply.plan.answer.params or {}), **params}
    reply.plan = replace(reply.plan, answer=replace(reply.plan.answer, params=merged))
    with session_scope(write=True) as db:
        MessageRepository(db).update_message(reply.answer_id, params=merged)


def _begin(service: ChatService, reply: ChatReply, chain: Sequence[ChatReply] = ()) -> None:
    """Start ``reply`` in a worker (then the rest of ``chain``, one after the other); a model
    that is not loaded is loaded first, in a thread of its own (:func:`_load_then_start`)."""
    model = reply.plan.settings.model or ""
    after = (lambda _done: _next(service, chain)) if chain else None
    cold = _is_cold(service, model)
    _queue.set_cold(reply.answer_id, cold)
    if not cold:
        answer_workers.start(reply, after=after)
        return
    # As the person who asked: the owner is a context variable (core.identity), which a new
    # thread does not inherit, and the worker it starts copies this thread's context.
    threading.Thread(
        target=contextvars.copy_context().run,
        args=(_load_then_start, service, reply, model, after),
        name=f"charla-load-{reply.answer_id}",
        daemon=True,
    ).start()


def _load_then_start(
    service: ChatService,
    reply: ChatReply,
    model: str,
    after: Callable[[ChatReply], None] | None,
) -> None:
    provider, seconds = service.provider, None
    try:
        if provider.can_load_models:  # LM Studio 0.4+ (core.providers.lifecycle)
            seconds = provider.load_model(model).load_time_seconds
    except errors.ProviderError as exc:  # the request will load it, or say what is wrong
        log.info("loading %s apart failed (%s); the request loads it", model, exc)
    if seconds is None:
        _note(reply, **{COLD_START: True})
    else:
        _note(reply, **{LOAD_SECONDS: round(seconds, 3)})
        _queue.set_cold(reply.answer_id, False)  # loaded: what follows is the answer's own time
    with session_scope() as db:
        asked = MessageRepository(db).stop_requested([reply.answer_id])
    if asked or reply.live.stopping:  # Stop pressed while the model loaded
        reply.finish_stopped()
        if after is not None:
            after(reply)
        return
    answer_workers.start(reply, after=after)


def _next(service: ChatService, chain: Sequence[ChatReply]) -> None:
    """The next answer of a one-at-a-time comparison that nobody stopped meanwhile."""
    for at, reply in enumerate(chain):
        if _queue.take(reply.answer_id) is None or reply.finished.is_set():
            continue  # stopped while it waited
        with session_scope() as db:
            asked = MessageRepository(db).stop_requested([reply.answer_id])
        if asked or reply.live.stopping:  # Stop pressed in another process
            reply.finish_stopped()
            continue
        _begin(service, reply, chain[at + 1 :])
        return


def start(
    service: ChatService,
    prompt: str,
    models: Sequence[str],
    *,
    system_prompt: str | None = None,
    one_at_a_time: bool = True,
) -> int:
    """Store a comparison of ``models`` answering ``prompt`` and start its answers; returns the
    comparison's chat id. The system prompt is sent as given (empty: none)."""
    prompt = check_user_message(prompt)
    chosen = list(dict.fromkeys(m for m in models if m))
    if not MIN_MODELS <= len(chosen) <= MAX_MODELS:
        raise errors.InputError("compare.need_models", low=MIN_MODELS, high=MAX_MODELS)
    system = check_text(system_prompt.strip()) if system_prompt and system_prompt.strip() else None
    base = replace(service.app_defaults(), model=None, system_prompt=system)
    with session_scope(write=True) as db:
        chats = ChatRepository(db)
        chat = chats.create(title_from_message(prompt), base)
        ComparisonRepository(db).set_kind(chat.id, COMPARISON)
        repo = MessageRepository(db)
        question = repo.create_message(chat.id, Sender.USER, prompt, parent_id=None)
        plans = []
        for model in chosen:
            settings = replace(base, model=model)
            answer = repo.create_message(
                chat.id,
                Sender.LLM,
                "",
                status=Status.STREAMING,
                parent_id=question.id,
                model=model,
                params=request_params(settings),
                writer=process_token(),
            )
            sent = [{"role": "user", "content": prompt}]
            plans.append(TurnPlan(chat.id, question, answer, sent, settings, 0, tuple(sent)))
        # The first model's answer is the one shown until one is kept.
        VersionRepository(db).select_version(plans[0].answer.id)
    replies = [ChatReply(service, plan) for plan in plans]
    if one_at_a_time:
        _queue.add(replies[1:])
        _begin(service, replies[0], replies[1:])
    else:
        for reply in replies:
            _begin(service, reply)
    log.info("comparison %s: %s", chat.id, ", ".join(chosen))
    return chat.id


# --- reading ------------------------------------------------------------------------------------
def get(chat_id: int) -> Comparison:
    """A comparison (or a chat that was one: ``kind`` says which). ``ChatNotFound`` if gone."""
    with session_scope() as db:
        summary = ChatRepository(db).get(chat_id)
        turn = ComparisonRepository(db).first_turn(chat_id)
    if turn is None:
        raise errors.ChatNotFound(chat_id)
    prompt, answers = turn
    return Comparison(chat_id, summary.kind, prompt, summary.settings.system_prompt, tuple(answers))


def _mine(comparison: Comparison) -> list[MessageRecord]:
    """The comparison's answers that are the current owner's (a comparison is a plain value: one
    built with someone else's ids follows and stops nothing of theirs)."""
    with session_scope() as db:
        mine = ComparisonRepository(db).mine([answer.id for answer in comparison.answers])
    return [answer for answer in comparison.answers if answer.id in mine]


def progress(comparison: Comparison) -> list[Progress]:
    """Where each of my answers stands: live from this process's workers, else from the
    database."""
    found = []
    for answer in _mine(comparison):
        model = answer.model or ""
        reply = answer_workers.get(answer.id)
        if reply is not None:
            frame, stats = reply.live.frame(), reply.stats
            if frame.content or frame.reasoning:
                phase = WRITING
            else:
                phase = LOADING if _queue.cold(answer.id) else WAITING
            found.append(Progress(answer.id, model, phase, frame.content, frame.reasoning, stats))
            continue
        with session_scope() as db:
            row = MessageRepository(db).progress(answer.id)
        content, reasoning, status = row if row is not None else ("", "", Status.STOPPED)
        if status != Status.STREAMING:
            phase = DONE
        elif _queue.waiting(answer.id):
            phase = QUEUED
        elif content or reasoning:  # written by another process
            phase = WRITING
        else:  # loading the model apart, written by another process, or about to start here
            phase = LOADING if _queue.cold(answer.id) else WAITING
        found.append(Progress(answer.id, model, phase, content, reasoning, None))
    return found


def recent(limit: int = 10) -> list[ChatSummary]:
    """The latest comparisons not yet kept, newest first."""
    with session_scope() as db:
        return ChatRepository(db).summaries(ComparisonRepository(db).recent(limit))


# --- acting ---------------------------------------------------------------------------------------
def stop(comparison: Comparison) -> None:
    """Stop every answer still being written or waiting (any process)."""
    # The waiting ones first: the end of the answer being written starts the next in line.
    answers = _mine(comparison)
    for answer in answers:
        waiting = _queue.take(answer.id)
        if waiting is not None:
            waiting.finish_stopped()
    for answer in answers:
        if answer.status == Status.STREAMING:
            request_stop(answer.id)


def keep(chat_id: int, answer_id: int) -> None:
    """Turn the comparison into a normal chat showing ``answer_id``: that version is selected,
    the chat continues with that answer's model and the comparison's system prompt."""
    with session_scope(write=True) as db:
        answer = MessageRepository(db).get(answer_id)
        if answer.chat_id != chat_id or answer.sender != Sender.LLM:
            raise errors.InputError("compare.not_an_answer")
        if answer.status == Status.STREAMING:
            raise errors.InputError("input.chat_busy")
        chats = ChatRepository(db)
        settings = chats.get(chat_id).settings
        chats.update_settings(chat_id, replace(settings, model=answer.model))
        ComparisonRepository(db).set_kind(chat_id, CHAT)
        VersionRepository(db).select_version(answer_id)
