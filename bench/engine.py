"""Benchmark 2: the real engine (llama.cpp serving SmolLM2-135M) through Charla vs directly.

The same prompt, seed and temperature 0 go (a) straight to the server's streaming endpoint with
httpx + httpx-sse, and (b) through ``ChatService.send`` (storage, progressive saving, statistics).
Rounds alternate. Reported: tokens/s while generating and time to first token, medians.
Target: Charla's tokens/s ≥ 0.97× the direct request's.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx

from bench.common import Metric, interleaved, median, stream_direct

PROMPT = "Write a short story about a robot who learns to paint."


def run(quick: bool = False) -> list[Metric]:
    from core.conf import db as conf_db
    from core.providers.llm_studio_api import LMStudioAPIProvider
    from core.schemas import ChatSettings
    from core.services.chat import ChatService
    from core.services.chats import new_chat
    from devtools.servers import LlamaServer

    max_tokens = 48 if quick else 160
    rounds = 3 if quick else 9
    ttft: dict[str, list[float]] = {"direct": [], "charla": []}
    with LlamaServer().start() as engine, tempfile.TemporaryDirectory() as tmp:
        conf_db.configure(f"sqlite:///{Path(tmp) / 'bench.db'}")
        conf_db.init_db()
        client = httpx.Client(base_url=engine.url, timeout=120)
        service = ChatService(LMStudioAPIProvider(engine.url, engine.model))
        settings = ChatSettings(temperature=0.0, max_tokens=max_tokens, seed=7, system_prompt="")
        payload = {
            "model": engine.model,
            "messages": [{"role": "user", "content": PROMPT}],
            "stream": True,
            "temperature": 0.0,
            "max_tokens": max_tokens,
            "seed": 7,
        }

        def direct() -> float:
            start, first, end, count = stream_direct(client, payload)
            ttft["direct"].append(first - start)
            return (count - 1) / (end - first)

        def charla() -> float:
            chat_id = new_chat("bench", settings)
            start = time.perf_counter()
            first, count = 0.0, 0
            with service.send(chat_id, PROMPT) as reply:
                for _text in reply:
                    if not count:
                        first = time.perf_counter()
                    count += 1
            end = time.perf_counter()
            if reply.status != "complete":
                raise RuntimeError(f"answer ended as {reply.status}: {reply.error}")
            ttft["charla"].append(first - start)
            return (count - 1) / (end - first)

        direct(), charla()  # warm-up: the model's first run is slower
        ttft["direct"].clear()
        ttft["charla"].clear()
        rates = interleaved({"direct": direct, "charla": charla}, rounds)
        client.close()
        conf_db.reset()
    group = f"2 real engine (SmolLM2-135M, {max_tokens} tokens)"
    base = median(rates["direct"])
    ratios = [c / d for c, d in zip(rates["charla"], rates["direct"], strict=True)]
    return [
        Metric(group, "direct streaming request", base, "tokens/s"),
        Metric(
            group,
            "through Charla's chat service",
            median(rates["charla"]),
            "tokens/s",
            base,
            "direct",
            ">= 0.97",
            note=f"per-round ratios {min(ratios):.2f}–{max(ratios):.2f} ({rounds} rounds)",
        ),
        Metric(group, "time to first token, direct", median(ttft["direct"]) * 1000, "ms"),
        Metric(
            group,
            "time to first token, Charla",
            median(ttft["charla"]) * 1000,
            "ms",
            median(ttft["direct"]) * 1000,
            "direct",
        ),
    ]
