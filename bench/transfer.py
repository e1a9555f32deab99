"""Benchmark 6: importing and exporting chats (issue 11), on SQLite.

**Import.** A generated ChatGPT data export (``conversations.json``) of 100,000 stored messages
(``--quick``: 10,000) in conversations of about 50 messages, shaped like the real thing: the empty
root, a hidden system node, regenerated answers (branches), an image part, non-ASCII text. It is
imported by ``python -m core.cli import``'s own service in a child process (messages/s, and peak
memory from the child's ``VmHWM``), into an empty database each round.

The floor, measured in the same run and in alternating rounds, inserts **the same rows** — read back
from the database the import made — into an empty database with SQLAlchemy Core ``executemany``,
as cheaply as the schema allows: one statement for each conversation's messages, in **the
import's own transactions**: each conversation in a savepoint (issue 11: a broken conversation must
not take the others with it), a commit every ``BATCH_ROWS`` messages
(:mod:`core.services.importers.load`). Target ≥ 0.5× the floor: parsing the JSON twice (the check
pass, then the import), following each tree and the per-conversation duplicate check may cost at
most as much as the inserts themselves. For reference, the same rows are also inserted with one
transaction per conversation (what the import did at first: 0.43× of that in the first
measurement) and in a single transaction (no target: the import may not work that way).

Full runs also import a generated export of about 1 GB (ChatGPT's format, 1.7 million messages) to
show that memory does not grow with the file (target < 300 MB).

**Export.** The storage benchmark's database of 1,000,000 messages over 10,000 chats (``--quick``:
50,000 over 500), exported as Charla JSON and as Markdown (a zip of one file per chat) by child
processes (rows/s, peak memory; target < 300 MB), with the CSV export of the same database in the
same run as a reference.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import Metric, median
from bench.storage import WORDS as STORAGE_WORDS

GROUP_IMPORT = "6 transfer: import"
GROUP_EXPORT = "6 transfer: export"
PER_CONVERSATION = 50
# The storage benchmark's words, and some that JSON escapes or UTF-8 spells in several bytes.
WORDS = (*STORAGE_WORDS, "canción", "mañana", "señal", "数据", "模型", "😀")

# VmHWM is the child's own peak (see bench/storage.py for why not ru_maxrss).
PEAK = """
def peak_mb():
    try:
        with open("/proc/self/status") as status:
            return next(int(s.split()[1]) for s in status if s.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

IMPORT_CHILD = (
    PEAK
    + """
import json, sys, time
from core.conf import db as conf_db
conf_db.configure(sys.argv[1])
conf_db.init_db()
from core.services.importers import import_paths
start = time.perf_counter()
report = import_paths([sys.argv[2]])
elapsed = time.perf_counter() - start
assert report.ok, [p.text() for p in report.problems][:3]
print(json.dumps({"seconds": elapsed, "messages": report.messages, "chats": report.chats,
                  "peak": peak_mb()}))
"""
)

FLOOR_CHILD = """
import json, sys, time
from sqlalchemy import create_engine, insert, select
from core.conf import db as conf_db
from core.models import Chat, Message
source = create_engine(sys.argv[1])
with source.connect() as connection:
    chats = [dict(row._mapping) for row in connection.execute(select(Chat.__table__))]
    rows = [dict(row._mapping) for row in connection.execute(select(Message.__table__))]
by_chat = {}
for row in rows:
    by_chat.setdefault(row["chat_id"], []).append(row)
for batch in [rows, *by_chat.values()]:  # as the import: no JSON encoding of None in every row
    for key in ("params", "error_params"):
        if all(row.get(key) is None for row in batch):
            for row in batch:
                row.pop(key, None)
target = conf_db.configure(sys.argv[2])
conf_db.init_db(target)
chat_insert, message_insert = insert(Chat), insert(Message)
start = time.perf_counter()
if sys.argv[3] == "per-conversation":
    for chat in chats:
        with target.begin() as connection:
            connection.execute(chat_insert, chat)
            connection.execute(message_insert, by_chat.get(chat["id"], []))
elif sys.argv[3] == "grouped":  # as the import: a savepoint each, a commit every BATCH_ROWS
    from core.services.importers.load import BATCH_ROWS
    with target.connect() as connection:
        transaction, written = connection.begin(), 0
        for chat in chats:
            messages = by_chat.get(chat["id"], [])
            with connection.begin_nested():
                connection.execute(chat_insert, chat)
                connection.execute(message_insert, messages)
            written += len(messages) + 1
            if written >= BATCH_ROWS:
                transaction.commit()
                transaction, written = connection.begin(), 0
        transaction.commit()
else:
    with target.begin() as connection:
        connection.execute(chat_insert, chats)
        for at in range(0, len(rows), 20000):
            connection.execute(message_insert, rows[at : at + 20000])
print(json.dumps({"seconds": time.perf_counter() - start, "messages": len(rows)}))
"""

EXPORT_CHILD = (
    PEAK
    + """
import json, sys, time
from core.conf import db as conf_db
conf_db.configure(sys.argv[1])
from core.services.export import ExportFormat, ExportScope, export_file
start = time.perf_counter()
counts = export_file(sys.argv[3], ExportScope.everything(), ExportFormat(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - start, "messages": counts.messages,
                  "peak": peak_mb()}))
"""
)


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _node(key: str, parent: str | None, message: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": key, "message": message, "parent": parent, "children": []}


def _message(key: str, role: str, parts: list[Any], when: float, **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if role == "assistant":
        metadata = {"model_slug": "gpt-4o", "finish_details": {"type": "stop"}}
    metadata.update(extra.pop("metadata", {}))
    return {
        "id": key,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": when,
        "update_time": None,
        "content": {
            "content_type": "multimodal_text"
            if any(isinstance(p, dict) for p in parts)
            else "text",
            "parts": parts,
        },
        "status": "finished_successfully",
        "end_turn": role == "assistant",
        "weight": 1.0,
        "metadata": metadata,
        "recipient": "all",
        "channel": None,
        **extra,
    }


def _conversation(
    number: int, turns: int, rng: random.Random, regenerated: bool
) -> tuple[dict[str, Any], int]:
    """One conversation with ``turns`` messages on its branch (and, if ``regenerated``, an older
    version of its second answer off the branch); returns it and its stored messages."""
    start = 1_700_000_000.0 + number * 3600
    mapping: dict[str, Any] = {}
    root = f"root-{number}"
    system = f"system-{number}"
    mapping[root] = _node(root, None, None)
    mapping[system] = _node(
        system,
        root,
        _message(
            system, "system", [""], start, metadata={"is_visually_hidden_from_conversation": True}
        ),
    )
    mapping[root]["children"].append(system)
    previous, stored = system, 0
    for turn in range(turns):
        key = f"m-{number}-{turn}"
        when = start + turn * 7
        if turn % 2 == 0:
            parts: list[Any] = [_text(rng, 12)]
            if turn == 2 and number % 7 == 0:
                image = {"content_type": "image_asset_pointer", "asset_pointer": "file-service://f"}
                parts.insert(0, image)
            message = _message(key, "user", parts, when)
        else:
            message = _message(key, "assistant", [_text(rng, 40)], when)
            if turn == 3 and regenerated:
                older = f"{key}-old"
                mapping[older] = _node(
                    older, previous, _message(older, "assistant", [_text(rng, 30)], when)
                )
                mapping[previous]["children"].append(older)
                stored += 1
        mapping[key] = _node(key, previous, message)
        mapping[previous]["children"].append(key)
        previous = key
        stored += 1
    conversation = {
        "title": f"Conversation {number}: {_text(rng, 4)}",
        "create_time": start,
        "update_time": start + turns * 7,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": previous,
        "plugin_ids": None,
        "conversation_id": f"conv-{number:08d}",
        "default_model_slug": "gpt-4o",
        "is_archived": False,
        "id": f"conv-{number:08d}",
    }
    return conversation, stored


def write_chatgpt_export(path: Path, messages: int, seed: int = 1) -> int:
    """Write a ChatGPT ``conversations.json`` holding ``messages`` stored messages (conversation by
    conversation: the generator never holds the file); returns the number of conversations."""
    rng = random.Random(seed)
    stored = number = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write("[")
        while stored < messages:
            left = messages - stored
            turns = min(PER_CONVERSATION, left)
            regenerated = number % 5 == 0 and left > turns > 3  # every fifth: a branch
            conversation, count = _conversation(number, turns, rng, regenerated)
            out.write(("," if number else "") + json.dumps(conversation, ensure_ascii=False))
            stored += count
            number += 1
        out.write("]")
    return number


def _child(code: str, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{result.stderr[-2000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _fresh(tmp: Path, name: str) -> str:
    for suffix in ("", "-wal", "-shm", ".migrate.lock"):
        Path(f"{tmp / name}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{tmp / name}"


def measure_import(tmp: Path, messages: int, rounds: int) -> list[Metric]:
    export = tmp / "conversations.json"
    conversations = write_chatgpt_export(export, messages)
    size_mb = export.stat().st_size / 1024**2
    imports: list[float] = []
    floors: dict[str, list[float]] = {"grouped": [], "per-conversation": [], "single": []}
    peak = 0.0
    for _ in range(rounds):
        done = _child(IMPORT_CHILD, _fresh(tmp, "import.db"), str(export))
        assert done["messages"] == messages, done
        imports.append(messages / done["seconds"])
        peak = max(peak, done["peak"])
        source = f"sqlite:///{tmp / 'import.db'}"
        for mode, rates in floors.items():
            floor = _child(FLOOR_CHILD, source, _fresh(tmp, "floor.db"), mode)
            rates.append(floor["messages"] / floor["seconds"])
    label = (
        f"ChatGPT export, {messages:,} messages ({conversations:,} conversations, {size_mb:.0f} MB)"
    )
    return [
        Metric(
            GROUP_IMPORT,
            label,
            median(imports),
            "messages/s",
            median(floors["grouped"]),
            "Core executemany, the import's transactions (a savepoint per conversation)",
            ">= 0.5",
        ),
        Metric(
            GROUP_IMPORT,
            "the same, against a transaction per conversation",
            median(imports),
            "messages/s",
            median(floors["per-conversation"]),
            "Core executemany, a transaction per conversation",
            note="reference: how the import first wrote (0.43x then)",
        ),
        Metric(
            GROUP_IMPORT,
            "the same, against one single transaction",
            median(imports),
            "messages/s",
            median(floors["single"]),
            "Core executemany, one transaction",
            note="reference: the import commits every few thousand messages",
        ),
        Metric(GROUP_IMPORT, f"{label}: peak memory", peak, "MB", target="< 300"),
    ]


def measure_big_import(tmp: Path) -> list[Metric]:
    """About 1 GB of ChatGPT export (1.7M messages): the peak memory must not follow the file."""
    export = tmp / "big-conversations.json"
    write_chatgpt_export(export, 1_700_000, seed=2)
    size = export.stat().st_size / 1024**3
    done = _child(IMPORT_CHILD, _fresh(tmp, "big-import.db"), str(export))
    export.unlink()
    _fresh(tmp, "big-import.db")
    return [
        Metric(
            GROUP_IMPORT,
            f"ChatGPT export of {size:.2f} GB ({done['messages']:,} messages): peak memory",
            done["peak"],
            "MB",
            target="< 300",
            note=f"{done['messages'] / done['seconds']:,.0f} messages/s",
        )
    ]


def measure_export(tmp: Path, chats: int, messages: int) -> list[Metric]:
    from bench.storage import build
    from core.conf import db as conf_db

    url = _fresh(tmp, "export.db")
    engine = conf_db.configure(url)
    conf_db.init_db(engine)
    build(engine, chats, messages)
    conf_db.reset()
    results = {
        fmt: _child(EXPORT_CHILD, url, fmt, str(tmp / f"export.{fmt}"))
        for fmt in ("csv", "json", "markdown")
    }
    csv_rate = messages / results["csv"]["seconds"]
    metrics = []
    for fmt, label in (("json", "Charla JSON"), ("markdown", "Markdown (zip, a file per chat)")):
        done = results[fmt]
        rate = done["messages"] / done["seconds"]
        name = f"{label}, {messages:,} messages"
        metrics.append(Metric(GROUP_EXPORT, name, rate, "rows/s", csv_rate, "CSV export, same run"))
        metrics.append(
            Metric(GROUP_EXPORT, f"{name}: peak memory", done["peak"], "MB", target="< 300")
        )
    return metrics


def run(quick: bool = False) -> list[Metric]:
    metrics: list[Metric] = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        metrics += measure_import(tmp, 10_000 if quick else 100_000, 2 if quick else 3)
        if not quick:
            metrics += measure_big_import(tmp)
        metrics += measure_export(tmp, *((500, 50_000) if quick else (10_000, 1_000_000)))
    return metrics
