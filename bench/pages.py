"""Benchmark 4: page script run time with ``streamlit.testing`` (AppTest).

The chat page holding a chat of 10, 100, 1,000 and 2,000 messages, and the history page over
10,000 chats (``--quick``: 10/100/500 messages, 1,000 chats). Each figure is the median of several
reruns after a warm-up run (caches filled, as for a user who keeps the page open). The model server
is the project's fake, so the sidebar's connection check is real HTTP.

Targets: chat page < 300 ms at 2,000 messages and ≤ 3× its 10-message time; history page < 300 ms.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.common import Metric, median, timed

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _chat_with(count: int) -> int:
    from core.conf.db import session_scope
    from core.repositories.messages import MessageRepository
    from core.services.chats import new_chat

    chat_id = new_chat(f"{count} messages")
    with session_scope(write=True) as db:
        repo = MessageRepository(db)
        for n in range(count):
            sender = "user" if n % 2 == 0 else "llm"
            repo.create_message(
                chat_id,
                sender,
                f"Message {n}: " + "some words of text " * (3 if n % 2 == 0 else 20),
                completion_tokens=60 if sender == "llm" else None,
            )
    return chat_id


def _page_time(path: str, runs: int, query: dict[str, str] | None = None) -> float:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(PROJECT_ROOT / path), default_timeout=120)
    for key, value in (query or {}).items():
        app.query_params[key] = value
    app.run()  # warm-up: imports, caches, the first connection check
    if app.exception:
        raise RuntimeError(f"{path} raised: {app.exception}")
    return median([timed(app.run) for _ in range(runs)])


def run(quick: bool = False) -> list[Metric]:
    from bench.storage import build
    from core.conf import db as conf_db
    from core.conf.settings import reset_settings
    from core.providers.llm_studio_api import reset_provider
    from tests.fakes.fake_llm_server import FakeLLMServer

    sizes = (10, 100, 500) if quick else (10, 100, 1_000, 2_000)
    history_chats = 1_000 if quick else 10_000
    runs = 5 if quick else 9
    metrics: list[Metric] = []
    saved_env = {k: os.environ.get(k) for k in ("DATABASE_URL", "LM_STUDIO_URL", "LM_STUDIO_MODEL")}
    with tempfile.TemporaryDirectory() as tmp, FakeLLMServer() as server:
        try:
            os.environ["LM_STUDIO_URL"] = server.url
            os.environ["LM_STUDIO_MODEL"] = "smollm2-135m-instruct"
            os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'chat.db'}"
            reset_settings(), reset_provider()
            conf_db.reset()
            conf_db.init_db()
            chats = {size: _chat_with(size) for size in sizes}
            times = {
                size: _page_time("pages/chat.py", runs, {"chat": str(chats[size])})
                for size in sizes
            }
            group = "4 pages: chat page"
            small = times[sizes[0]] * 1000
            for size in sizes:
                value = times[size] * 1000
                metrics.append(Metric(group, f"{size:,} messages", value, "ms", target="< 300"))
            metrics.append(
                Metric(
                    group,
                    f"{sizes[-1]:,} vs {sizes[0]} messages",
                    times[sizes[-1]] * 1000,
                    "ms",
                    small,
                    f"{sizes[0]} messages",
                    "<= 3",
                )
            )

            os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'history.db'}"
            reset_settings()
            conf_db.reset()
            engine = conf_db.get_engine()
            conf_db.init_db(engine)
            build(engine, history_chats, history_chats * 3)
            value = _page_time("pages/history.py", runs) * 1000
            metrics.append(
                Metric(
                    "4 pages: history page", f"{history_chats:,} chats", value, "ms", target="< 300"
                )
            )
        finally:
            for key, old in saved_env.items():
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old
            reset_settings(), reset_provider()
            conf_db.reset()
    return metrics
