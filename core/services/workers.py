"""Answers generated apart from the page: a worker thread per answer, followed by any page.

The chat page does not generate answers: it asks for one (:meth:`AnswerWorkers.start`) and then
*follows* it (:func:`follow`). Generation therefore belongs to the app process, not to the browser
session: reloading the page, switching chats, opening the chat in a second tab, going to History or
closing the tab do not stop it. Only Stop (from any tab that shows the chat, in any process), an
error, or the end of the answer do.

- **Followers in this process** wait on the answer's :class:`~core.services.live.LiveAnswer` and
  wake as soon as text arrives. Everything that arrived since the last frame is handed over as one
  frame (at most one every :data:`FRAME` seconds), so a fast model does not send the browser one
  update per token.
- **Followers in another process** (several app processes on one PostgreSQL) read the answer's row,
  which its writer saves at least every 0.5 s, every :data:`POLL` seconds.
- **Stop** (:func:`request_stop`): in this process, the answer's stream is aborted at once (the
  server stops generating, even while it is still reading the prompt); the row also gets
  ``stop_requested``, which a *watcher* thread of the writing process polls every :data:`WATCH`
  seconds — that is how a page in one process stops an answer another process generates.
- If the writing process dies, its answer stays ``streaming`` until a start-up, a follower or the
  next message of that chat notices the dead writer and marks it ``interrupted``
  (:mod:`core.services.liveness`).

Worker threads are daemons: a process that exits leaves its answers to that same rule.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Final

from core.conf.db import session_scope
from core.repositories.messages import MessageRepository
from core.services.live import Frame
from core.services.liveness import answering
from core.services.reply import ChatReply
from core.vocab import Status

log = logging.getLogger("charla.workers")

FRAME: Final = 0.05  # seconds: at most one frame this often to a follower in this process
POLL: Final = 0.25  # seconds between reads of a row another process writes
WATCH: Final = 0.3  # seconds between looks for stop requests made elsewhere
STOP_WAIT: Final = 2.0  # seconds a Stop waits for the worker to write the final row itself


class AnswerWorkers:
    """The answers this process is generating. Thread-safe; one per process."""

    def __init__(self) -> None:
        self._replies: dict[int, ChatReply] = {}
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def start(self, reply: ChatReply, *, after: Callable[[ChatReply], None] | None = None) -> None:
        """Generate ``reply`` in a worker thread; ``after(reply)`` runs in it once the answer's row
        is final (e.g. the chat's title)."""
        with self._lock:
            self._replies[reply.answer_id] = reply
            if self._watcher is None or not self._watcher.is_alive():
                self._watcher = threading.Thread(
                    target=self._watch, name="charla-stop-watcher", daemon=True
                )
                self._watcher.start()
        # The worker writes as the person who asked (core.identity: the owner is a context
        # variable of the session's run, which a new thread does not inherit by itself).
        context = contextvars.copy_context()
        threading.Thread(
            target=context.run, args=(self._work, reply, after),
            name=f"charla-answer-{reply.answer_id}", daemon=True,
        ).start()  # fmt: skip

    def _work(self, reply: ChatReply, after: Callable[[ChatReply], None] | None) -> None:
        try:
            reply.consume()  # never raises for the model's failures: they are in reply.error
        except Exception:
            log.exception("answer %s: the worker failed", reply.answer_id)
            reply.finish_stopped()
        finally:
            with self._lock:
                self._replies.pop(reply.answer_id, None)
        if after is not None:
            try:
                after(reply)
            except Exception:
                log.exception("answer %s: the follow-up failed", reply.answer_id)

    def get(self, answer_id: int) -> ChatReply | None:
        with self._lock:
            return self._replies.get(answer_id)

    def running(self) -> list[int]:
        with self._lock:
            return list(self._replies)

    def stop_here(self, answer_id: int, wait: float = STOP_WAIT) -> bool:
        """Stop an answer this process writes; the row is final when this returns. False if this
        process does not write it."""
        reply = self.get(answer_id)
        if reply is None:
            return False
        reply.live.request_stop()
        if not reply.finished.wait(wait):
            # The worker is still blocked (e.g. the server has not even sent its headers): the
            # row must not wait for it. It ends as stopped with what arrived; the worker, when it
            # wakes, finds the answer finished and writes nothing more.
            reply.finish_stopped()
        return True

    def _watch(self) -> None:
        """Stop requests made in other processes reach this one's answers."""
        while True:
            time.sleep(WATCH)
            ids = self.running()
            if not ids:
                with self._lock:
                    if not self._replies:
                        self._watcher = None
                        return
                continue
            try:
                with session_scope() as db:
                    asked = MessageRepository(db).stop_requested(ids)
            except Exception:
                log.exception("could not look for stop requests; trying again")
                continue
            for answer_id in asked:
                reply = self.get(answer_id)
                if reply is not None:
                    reply.live.request_stop()


answer_workers: Final = AnswerWorkers()


def request_stop(answer_id: int) -> None:
    """Stop an answer, whichever process writes it; returns once it is stopped (or asked to)."""
    with session_scope(write=True) as db:
        repo = MessageRepository(db)
        if repo.progress(answer_id) is None:
            return  # gone, or someone else's answer (scoped: the same "nothing there")
        repo.request_stop(answer_id)
    answer_workers.stop_here(answer_id)


def chat_is_answering(chat_id: int) -> bool:
    """Whether an answer of this chat is being written by a live process (dead writers are
    marked interrupted on the way)."""
    with session_scope(write=True) as db:
        return answering(db, chat_id)


def follow(answer_id: int, *, frame: float = FRAME, poll: float = POLL) -> Iterator[Frame]:
    """The answer as it grows: one :class:`Frame` per change (coalesced), the last with
    ``done=True``. Follows this process's worker if it writes the answer, else the database."""
    with session_scope() as db:
        mine = MessageRepository(db).progress(answer_id) is not None
    if not mine:  # gone, or someone else's answer: nothing to follow
        yield Frame("", "", True)
        return
    reply = answer_workers.get(answer_id)
    if reply is not None:
        yield from _follow_live(reply, frame)
    else:
        yield from _follow_row(answer_id, poll)


def _follow_live(reply: ChatReply, frame: float) -> Iterator[Frame]:
    live, seen = reply.live, -1
    while True:
        current = live.wait(seen, timeout=1.0)
        if current.version != seen:
            seen = current.version
            if not current.done:
                time.sleep(frame)  # let this frame's other tokens arrive: one update for all
                current = live.frame()
                seen = current.version
            yield current
        if current.done:
            reply.finished.wait(5.0)  # the row is final once the follower reruns to show it
            return


def _follow_row(answer_id: int, poll: float) -> Iterator[Frame]:
    last: tuple[str, str] | None = None
    checked = time.monotonic()
    while True:
        with session_scope() as db:
            row = MessageRepository(db).progress(answer_id)
        if row is None:
            yield Frame("", "", True)
            return
        content, reasoning, status = row
        done = status != Status.STREAMING
        if (content, reasoning) != last or done:
            last = (content, reasoning)
            yield Frame(content, reasoning, done)
        if done:
            return
        if time.monotonic() - checked > 5.0:  # a writer that died: mark it, and stop following
            checked = time.monotonic()
            with session_scope() as db:
                chat_id = MessageRepository(db).get(answer_id).chat_id
            chat_is_answering(chat_id)
        time.sleep(poll)
