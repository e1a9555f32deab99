"""``ChatReply``: one answer, from the request to its final row, whoever reads it.

A reply is driven either by a worker thread of the app (:mod:`core.services.workers`: the chat page
then follows its :class:`~core.services.live.LiveAnswer`), or directly, by iterating it for the
answer's text chunks (tests, scripts, the benchmarks). Either way:

1. the user's message and an empty answer row (status ``streaming``) were committed before the model
   is called (:meth:`core.services.chat.ChatService` did that);
2. every event goes into the reply's ``live`` answer, and its
   :class:`~core.services.answers.AnswerWriter` saves the text so far every 0.5 s, so a killed process
   loses at most about that much;
3. a stop request (:meth:`LiveAnswer.request_stop`, from any thread) aborts the HTTP stream — the
   server stops generating — and the answer ends as ``stopped`` with what arrived;
4. when the model's context turns out too small (an overflow error, the empty stream llama.cpp
   sends instead, or an answer with no room left), the reply learns the window, leaves out older
   messages and asks once more;
5. the row is finished exactly once as ``complete``, ``stopped`` or ``error`` (with the error's code),
   with the text received, the parameters used, the statistics measured and the prompt's size;
6. errors never escape as exceptions from iteration: ``reply.error`` holds a
   :class:`core.errors.CharlaError` whose message says what to do.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core import errors
from core.providers.stream import ReplyStream, StreamStats
from core.schemas import ChatSettings, MessageRecord
from core.services.answers import AnswerWriter
from core.services.live import LiveAnswer
from core.services.model_control import prepare_model
from core.vocab import EventKind, Status

if TYPE_CHECKING:
    from core.services.chat import ChatService

log = logging.getLogger("charla.reply")

OnReasoning = Callable[[str], None]
Message = dict[str, Any]


@dataclass(frozen=True)
class TurnPlan:
    """A turn ready to stream: the rows written and the request to send."""

    chat_id: int
    user_message: MessageRecord
    answer: MessageRecord  # the empty ``streaming`` row the answer is written into
    messages: list[Message]  # what is sent, oldest first, without the system prompt
    settings: ChatSettings
    dropped: int  # older messages of the branch left out to fit the model's context
    history: tuple[Message, ...] = ()  # every candidate message, the new one last (for refits)


class ChatReply:
    """One answer. Iterate for its text, or let a worker run it; read ``result``/``error`` after."""

    def __init__(
        self, service: ChatService, plan: TurnPlan, on_reasoning: OnReasoning | None = None
    ) -> None:
        self.service = service
        self.plan = plan
        self.user_message = plan.user_message
        self.answer_id = plan.answer.id
        self.chat_id = plan.chat_id
        self.on_reasoning = on_reasoning
        self.live = LiveAnswer(self.answer_id, plan.chat_id)
        self.content = ""
        self.reasoning = ""
        self.status: Status = Status.STREAMING
        self.error: errors.CharlaError | None = None
        self.result: MessageRecord | None = None
        self.load_time: float | None = None  # seconds the server reported loading the model
        self.finished = threading.Event()
        self._finishing = threading.Lock()
        self._writer = AnswerWriter(self.answer_id, save_interval=service.save_interval)
        self._stream: ReplyStream | None = None  # the request being answered, once sent
        self._gen = self._run()

    def __iter__(self) -> Iterator[str]:
        return self._gen

    def __enter__(self) -> ChatReply:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the answer (if still running): closes the HTTP stream and saves it as stopped."""
        self.live.request_stop()
        if inspect.getgeneratorstate(self._gen) == inspect.GEN_CREATED:
            # Closed before anything read it: the generator's own clean-up never runs.
            self._gen.close()
            self._finish(Status.STOPPED, None, None)
            return
        self._gen.close()

    @property
    def stats(self) -> StreamStats | None:
        """What the answer's stream has measured so far (time to first token, tokens, speed), for
        a page that shows them live; None until the server answered the request."""
        stream = self._stream
        return stream.stats if stream is not None else None

    def consume(self) -> ChatReply:
        """Read the whole answer without displaying it (workers, tests, scripts)."""
        for _ in self._gen:
            pass
        return self

    def finish_stopped(self) -> MessageRecord | None:
        """Write the answer as ``stopped`` now, with what arrived (a Stop whose worker is still
        blocked waiting for the server: the row must not wait for it). Once only."""
        self.live.request_stop()
        return self._finish(Status.STOPPED, None, None)

    def _open(self, plan: TurnPlan) -> ReplyStream:
        settings = plan.settings
        return self.service.provider.stream_reply(
            plan.messages,
            model=settings.model,
            system_message=settings.system_prompt or None,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            **settings.options(),
        )

    def _load_model(self) -> None:
        """Load the model first if it is not loaded and the server loads on request, so its load
        time is known apart from the answer's time to first token (:mod:`.model_control`)."""
        live = self.live
        try:
            self.load_time = prepare_model(
                self.service.provider, self.plan.settings.model, lambda: live.set_loading(True)
            )
        finally:
            live.set_loading(False)

    def _run(self) -> Generator[str]:
        live, writer = self.live, self._writer
        stream: ReplyStream | None = None
        status, error = Status.STOPPED, None
        try:
            self._load_model()
            for attempt in range(2):
                try:
                    stream = self._stream = self._open(self.plan)
                    live.on_stop(stream.abort)
                    # The per-token loop: bound methods and constants in locals (20,000 tokens
                    # an answer; the chat service's speed against the raw floor is benchmarked).
                    add, due, content_kind = live.add, writer.due, EventKind.CONTENT
                    for kind, text in stream:
                        add(kind, text)
                        if kind == content_kind:
                            yield text
                        elif self.on_reasoning is not None:
                            self.on_reasoning(live.reasoning)
                        if live.stopping:
                            break
                        if due():
                            writer.save(live.content, live.reasoning)
                    if not live.stopping and not live.content.strip() and not live.reasoning:
                        raise errors.EmptyAnswer(
                            url=self.service.provider.base_url, model=self.plan.settings.model or ""
                        )
                except (errors.ContextOverflow, errors.EmptyAnswer) as exc:
                    if live.stopping or attempt or live.content.strip() or live.reasoning:
                        raise  # stopped, retried already, or text arrived: not the context
                    refitted = self.service.refit(self.plan, exc)
                    if refitted is None:
                        raise
                    if stream is not None:
                        stream.close()
                    self.plan = refitted
                    live.restart()
                    continue
                break
            status = Status.STOPPED if live.stopping else Status.COMPLETE
        except errors.CharlaError as exc:
            status, error = (Status.STOPPED, None) if live.stopping else (Status.ERROR, exc)
        except Exception as exc:  # a bug must not lose the answer: keep it, explain, log the trace
            if live.stopping:
                status = Status.STOPPED
            else:
                log.exception("unexpected failure while streaming an answer")
                error = errors.CharlaError(f"{type(exc).__name__}: {exc}")
                status = Status.ERROR
        finally:
            if stream is not None:
                stream.close()
            self._finish(status, error, stream.stats if stream is not None else None)

    def _finish(
        self, status: Status, error: errors.CharlaError | None, stats: StreamStats | None
    ) -> MessageRecord | None:
        with self._finishing:  # the worker and a Stop may race here: the first one writes
            if self.finished.is_set():
                return self.result
            return self._write_final(status, error, stats)

    def _write_final(
        self, status: Status, error: errors.CharlaError | None, stats: StreamStats | None
    ) -> MessageRecord | None:
        plan, live = self.plan, self.live
        content, reasoning = live.content, live.reasoning
        sent = [{"role": "system", "content": plan.settings.system_prompt or ""}, *plan.messages]
        extra: dict[str, Any] = {
            # The prompt's size: as the server counted it, else estimated from what was sent.
            "prompt_tokens": (stats.prompt_tokens if stats else None)
            or self.service.estimator.count(sent, plan.settings.model),
        }
        if self.load_time is not None:
            extra["load_time"] = self.load_time
        if plan.dropped:
            extra["params"] = {**(plan.answer.params or {}), "left_out": plan.dropped}
        result = self._writer.finish(
            content, reasoning, status, error=error, stats=stats, extra=extra
        )
        self.content, self.reasoning, self.status, self.error = content, reasoning, status, error
        self.result = result
        self.finished.set()
        live.end()
        if stats is not None:
            self.service.estimator.learn(sent, stats.prompt_tokens, stats.model)
        return result
