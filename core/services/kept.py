"""Results kept until the database changes, refreshed in the background when asked.

The Insights overview costs about a second at a million messages (``make bench``), far too long
for a page that reruns on every click, and the history changes with every answer. A :class:`Kept`
holds results by key, each with the *fingerprint* of the database it was computed from (a few
index look-ups that change whenever a result would) and its age:

- :meth:`Kept.get` returns a result whose fingerprint still matches, or computes a new one now;
- :meth:`Kept.get_or_stale` never makes a reader wait for a result it has seen before: a stale one
  is returned at once (marked so), and :meth:`Kept.refresh` then has a single background thread
  per key compute the new one; only a key never computed waits. The page shows the older figures,
  starts the refresh once it has drawn them (a computation running beside the page's own run
  would slow it down: they share the interpreter), and reruns when it has ended.

Thread-safe; the least recently used results go first beyond ``size``. Results are personal: a
caller puts the owner in the key (:mod:`core.services.insights`), and a background refresh runs
in a copy of the caller's context, so it reads as the same person.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

log = logging.getLogger("charla.kept")

Fingerprint = tuple[Any, ...]


class Kept:
    def __init__(self, *, size: int, max_age: float) -> None:
        self.size = size
        self.max_age = max_age
        self._items: OrderedDict[Hashable, tuple[Fingerprint, float, Any]] = OrderedDict()
        self._computing: set[Hashable] = set()
        self._lock = threading.Lock()

    def _usable(self, key: Hashable, fingerprint: Fingerprint) -> tuple[bool, Any]:
        """(still current?, the kept value or None)."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return False, None
            self._items.move_to_end(key)
        current = found[0] == fingerprint and time.monotonic() - found[1] < self.max_age
        return current, found[2]

    def _store(self, key: Hashable, fingerprint: Fingerprint, value: Any) -> None:
        with self._lock:
            self._items[key] = (fingerprint, time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, key: Hashable, fingerprint: Fingerprint, make: Callable[[], Any]) -> Any:
        """The value kept for ``key`` if still current, else ``make()`` (kept)."""
        current, value = self._usable(key, fingerprint)
        if current:
            return value
        value = make()
        self._store(key, fingerprint, value)
        return value

    def get_or_stale(
        self, key: Hashable, fingerprint: Fingerprint, make: Callable[[], Any]
    ) -> tuple[Any, bool]:
        """(value, current). A stale value is returned at once (call :meth:`refresh` to have a
        new one computed in the background); a key never computed is computed now."""
        current, value = self._usable(key, fingerprint)
        if current:
            return value, True
        if value is None:
            return self.get(key, fingerprint, make), True
        return value, False

    def refresh(
        self,
        key: Hashable,
        fingerprint: Fingerprint,
        make: Callable[[], Any],
        *,
        after: float = 0.0,
    ) -> None:
        """Compute ``key``'s value anew in a background thread (one per key at a time), starting
        ``after`` seconds from now."""
        with self._lock:
            if key in self._computing:
                return
            self._computing.add(key)
        # The thread computes as the person who asked (core.identity: the owner is a context
        # variable, which a new thread does not inherit by itself).
        context = contextvars.copy_context()
        timer = threading.Timer(after, context.run, args=(self._refresh, key, fingerprint, make))
        timer.name, timer.daemon = "charla-kept-refresh", True
        timer.start()

    def _refresh(self, key: Hashable, fingerprint: Fingerprint, make: Callable[[], Any]) -> None:
        try:
            self._store(key, fingerprint, make())
        except Exception:  # the reader keeps the older value and asks again on its next run
            log.exception("refreshing a kept result failed")
        finally:
            with self._lock:
                self._computing.discard(key)

    def current(self, key: Hashable, fingerprint: Fingerprint) -> bool:
        """Whether the value kept for ``key`` matches ``fingerprint`` (nothing to wait for)."""
        return self._usable(key, fingerprint)[0]

    def computing(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._computing

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
