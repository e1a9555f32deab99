"""``AnswerWriter``: the one object that writes an answer's row while it streams and when it ends.

An answer row is created empty (status ``streaming``) before the model is called. Then only this
object touches it:

- :meth:`AnswerWriter.save` saves the text received so far when :meth:`AnswerWriter.due` says
  it is time (every ``save_interval`` seconds, 0.5 s) and something new arrived, so a killed
  process loses at most about that much. A failing database does not stop the answer: the next
  save tries again. A row that is gone (its chat was deleted meanwhile) raises
  :class:`~core.errors.MessageNotFound`, which ends the answer: there is nothing left to write
  into.
- :meth:`AnswerWriter.finish` writes the final state once: the text, the status, why it failed
  (an error *code* and its parameters, translated when a page shows it) and the statistics the
  stream measured (:class:`~core.providers.stream.StreamStats`).

Text from a model is made storable on the way in (:func:`core.text.storable`): a NUL or a broken
surrogate becomes U+FFFD instead of failing the save.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from core import errors
from core.conf.db import session_scope
from core.providers.stream import StreamStats
from core.repositories.messages import MessageRepository
from core.schemas import MessageRecord
from core.text import storable
from core.vocab import Status

log = logging.getLogger("charla.answers")

SAVE_INTERVAL = 0.5  # seconds between progressive saves of a streaming answer


def stats_fields(stats: StreamStats) -> dict[str, Any]:
    """The columns a stream's statistics fill."""
    fields: dict[str, Any] = {
        "finish_reason": stats.finish_reason,
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "time_to_first_token": stats.time_to_first_token,
        "tokens_per_second": stats.tokens_per_second,
    }
    if stats.model:  # else keep the model the row was created with
        fields["model"] = stats.model
    return fields


class AnswerWriter:
    """Writes one answer's row: progressive saves, then the final state."""

    __slots__ = ("_last_save", "_saved", "answer_id", "finished", "save_interval")

    def __init__(self, answer_id: int, *, save_interval: float = SAVE_INTERVAL) -> None:
        self.answer_id = answer_id
        self.save_interval = save_interval
        self.finished = False
        self._last_save = time.monotonic()
        self._saved: tuple[int, int] = (0, 0)

    def due(self) -> bool:
        """Whether the next progressive save is due (cheap: called for every chunk)."""
        return time.monotonic() - self._last_save >= self.save_interval

    def save(self, content: str, reasoning: str) -> bool:
        """Save the text so far if it changed since the last save; True if saved."""
        size = (len(content), len(reasoning))
        if size == self._saved:
            return False
        try:
            with session_scope(write=True) as db:
                MessageRepository(db).update_message(
                    self.answer_id, content=storable(content), reasoning=storable(reasoning)
                )
        except errors.CharlaError:
            raise  # the row is gone (its chat was deleted): stop writing this answer
        except Exception:  # a failing database: keep streaming, the next save tries again
            log.exception("could not save the answer's progress; will retry at the next chunk")
            return False
        self._last_save, self._saved = time.monotonic(), size
        return True

    def finish(
        self,
        content: str,
        reasoning: str,
        status: Status,
        *,
        error: errors.CharlaError | None = None,
        stats: StreamStats | None = None,
        extra: dict[str, Any] | None = None,
    ) -> MessageRecord | None:
        """Write the final state (with ``extra`` columns); the record as stored, or None if the
        row is gone."""
        self.finished = True
        code, params = error.stored if error is not None else (None, None)
        fields: dict[str, Any] = {
            "content": storable(content),
            "reasoning": storable(reasoning),
            "status": status,
            "error_code": code,
            "error_params": params,
            "writer": None,
        }
        if stats is not None:
            fields.update(stats_fields(stats))
        fields.update(extra or {})
        try:
            with session_scope(write=True) as db:
                repo = MessageRepository(db)
                repo.update_message(self.answer_id, **fields)
                return repo.get(self.answer_id)
        except errors.MessageNotFound:
            return None  # the chat was deleted while the answer streamed: nothing to keep
        except Exception:
            log.exception("could not save the finished answer %s", self.answer_id)
            return None
