"""What every benchmark shares: metrics, targets, interleaved timing and the result files."""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Metric:
    """One figure. ``ratio`` = value / baseline; ``target`` is a rule like ">= 0.9" on the ratio
    (or on the value when there is no baseline)."""

    group: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str | None = None
    target: str | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline  # type: ignore[operator]

    @property
    def passed(self) -> bool | None:
        if not self.target:
            return None
        op, _, number = self.target.partition(" ")
        subject = self.ratio if self.baseline is not None else self.value
        if subject is None:
            return None
        limit = float(number)
        return {
            ">=": subject >= limit,
            "<=": subject <= limit,
            "<": subject < limit,
            ">": subject > limit,
        }[op]

    def row(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        data["pass"] = self.passed
        return data


def interleaved(runs: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run each measurement ``rounds`` times, alternating between them so that machine noise
    (another process, CPU frequency) hits every contender alike. Each callable returns a figure."""
    results: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            results[name].append(run())
    return results


def stream_direct(client: Any, payload: dict[str, Any]) -> tuple[float, float, float, int]:
    """The floor every streaming figure is compared with: httpx + httpx-sse + ``json.loads`` per
    chunk, nothing else. Returns (start, first content chunk, end) times and the content chunks."""
    from httpx_sse import connect_sse

    start = time.perf_counter()
    first, count = 0.0, 0
    with connect_sse(client, "POST", "/v1/chat/completions", json=payload) as source:
        for sse in source.iter_sse():
            if sse.data == "[DONE]":
                break
            chunk = json.loads(sse.data)
            if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                if not count:
                    first = time.perf_counter()
                count += 1
    return start, first, time.perf_counter(), count


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if value == 0 or 0.01 <= abs(value) < 100_000:
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,.3g}"


def table(metrics: Sequence[Metric]) -> str:
    lines = [
        "| group | metric | value | unit | baseline | ratio | target | pass | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in metrics:
        mark = {True: "yes", False: "**no**", None: "–"}[m.passed]
        base = f"{_fmt(m.baseline)} ({m.baseline_name})" if m.baseline is not None else "–"
        ratio = f"{m.ratio:.3f}" if m.ratio is not None else "–"
        lines.append(
            f"| {m.group} | {m.name} | {_fmt(m.value)} | {m.unit} | {base} | {ratio} "
            f"| {m.target or '–'} | {mark} | {m.note} |"
        )
    return "\n".join(lines)


def write_results(metrics: Sequence[Metric], *, quick: bool, command: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {
        "command": command,
        "quick": quick,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.system()} {platform.release()}",
    }
    (RESULTS / "latest.json").write_text(
        json.dumps({"meta": meta, "metrics": [m.row() for m in metrics]}, indent=2) + "\n"
    )
    (RESULTS / "latest.md").write_text(
        f"# Benchmark results\n\n`{command}` — {meta['when']}, Python {meta['python']}, {meta['machine']}"
        f"{' (quick)' if quick else ''}\n\n{table(metrics)}\n"
    )
