"""LM Studio's ``*.conversation.json`` (``~/.lmstudio/conversations/``): one file, one conversation.

LM Studio has no official schema; this follows real files. ``messages`` is the branch shown, one
entry per place in the conversation, each with its ``versions`` (edits and regenerations) and the
one ``currentlySelected`` (an index out of range selects the last version: nothing is dropped).
LM Studio keeps only the shown branch's continuation, so the other versions of a place become
versions without a continuation (Charla shows "‹ 1 / 2 ›" there, as LM Studio does).

- A person's message (``singleStep``): its ``text`` parts; a ``file`` part becomes
  ``[image: name]`` or ``[file: name]``.
- An answer (``multiStep``): the text of its ``contentBlock`` steps, joined; a block styled
  ``thinking`` (or titled "Thought for … seconds") is reasoning, as is inline ``<think>…</think>``
  in older files; tool calls and their results, ``toolStatus``, ``status`` and ``debugInfoBlock``
  steps are left out. The model is ``senderInfo.senderName`` (else ``genInfo.identifier``); the
  statistics come from ``genInfo.stats`` (prompt and predicted tokens, time to first token,
  tokens/s; ``stopReason``: ``maxPredictedTokensReached`` is "cut", ``userStopped`` "stopped").
- The system prompt is ``systemPrompt``, else the per-chat ``llm.prediction.systemPrompt`` field.
- Kept: ``name`` (the title), ``pinned``, ``createdAt`` (ms); a person's message time when the file
  has it (``preprocessed.timestamp``), else the chat's creation time. The id is ``createdAt`` (the
  file name's number is the same), else a digest of the content.
"""

from __future__ import annotations

from typing import Any

from core.schemas import ChatSettings
from core.services.importers.detect import Kind
from core.services.importers.fields import (
    attachment_kind,
    broken,
    integer,
    items,
    join,
    mapping,
    moment,
    number,
    placeholder,
    source_key,
    split_thinking,
    text,
)
from core.services.importers.model import Conversation, Turn
from core.services.importers.tree import Node, build
from core.vocab import Sender, Status

_FINISH = {"eosFound": "stop", "stopStringFound": "stop", "maxPredictedTokensReached": "length"}
_SYSTEM_PROMPT_KEY = "llm.prediction.systemPrompt"


def _parts(parts: Any) -> str:
    shown = []
    for part in items(parts):
        part = mapping(part)
        if part.get("type") == "text":
            shown.append(text(part.get("text")))
        elif part.get("type") == "file":
            name = text(part.get("name")) or text(part.get("fileIdentifier"))
            shown.append(placeholder(attachment_kind(text(part.get("fileType"))), name))
    return join(shown)


def _thinking(step: dict[str, Any]) -> bool:
    style = mapping(step.get("style"))
    return style.get("type") == "thinking" or text(style.get("title")).startswith("Thought for")


def _answer(version: dict[str, Any], when: Any) -> Turn:
    answer: list[str] = []
    reasoning: list[str] = []
    info: dict[str, Any] = {}
    steps = items(version.get("steps")) or [{**version, "type": "contentBlock"}]
    for step in map(mapping, steps):
        if step.get("type") != "contentBlock":
            continue  # toolStatus, status, debugInfoBlock
        body = _parts(step.get("content"))
        if _thinking(step):
            reasoning.append(body)
        else:
            content, inline = split_thinking(body)
            answer.append(content)
            reasoning.append(inline)
        info = mapping(step.get("genInfo")) or info
    stats = mapping(info.get("stats"))
    stop = text(stats.get("stopReason"))
    model = text(mapping(version.get("senderInfo")).get("senderName"))
    return Turn(
        Sender.LLM,
        join(answer),
        reasoning=join(reasoning),
        created_at=when,
        model=model or text(info.get("identifier")) or None,
        status=Status.STOPPED if stop == "userStopped" else Status.COMPLETE,
        finish_reason=_FINISH.get(stop),
        prompt_tokens=integer(stats.get("promptTokensCount")),
        completion_tokens=integer(stats.get("predictedTokensCount")),
        time_to_first_token=number(stats.get("timeToFirstTokenSec")),
        tokens_per_second=number(stats.get("tokensPerSecond")),
    )


def _turn(version: Any, created: Any, system: list[str]) -> Turn | None:
    version = mapping(version)
    role = version.get("role")
    if role == "assistant":
        return _answer(version, created)
    body = _parts(version.get("content"))
    if role == "system":
        system.append(body)
        return None
    if role != "user":
        return None
    when = moment(mapping(version.get("preprocessed")).get("timestamp")) or created
    return Turn(Sender.USER, body, created_at=when)


def _system_prompt(raw: dict[str, Any], found: list[str]) -> str:
    if text(raw.get("systemPrompt")).strip():
        return text(raw.get("systemPrompt"))
    for field in items(mapping(raw.get("perChatPredictionConfig")).get("fields")):
        field = mapping(field)
        if field.get("key") == _SYSTEM_PROMPT_KEY and text(field.get("value")).strip():
            return text(field.get("value"))
    return join(found)


def convert(raw: Any, name: str) -> Conversation:
    """One conversation file (``name`` is not used: the id comes from the content)."""
    raw = mapping(raw)
    messages = raw.get("messages")
    if not isinstance(messages, list):
        raise broken("no 'messages'")
    created = moment(raw.get("createdAt"))
    system: list[str] = []
    nodes: list[Node] = []
    shown: str | None = None
    for place, message in enumerate(messages):
        versions = items(mapping(message).get("versions"))
        if not versions:
            continue
        chosen = integer(mapping(message).get("currentlySelected"))
        if chosen is None or not 0 <= chosen < len(versions):
            chosen = len(versions) - 1
        for index, version in enumerate(versions):
            nodes.append(Node(f"{place}.{index}", shown, _turn(version, created, system)))
        shown = f"{place}.{chosen}"
    last = [moment(raw.get(k)) for k in ("assistantLastMessagedAt", "userLastMessagedAt")]
    prompt = _system_prompt(raw, system)
    return Conversation(
        source=Kind.LMSTUDIO,
        source_id=source_key(raw.get("createdAt"), raw),
        title=text(raw.get("name")),
        turns=build(nodes, shown),
        created_at=created,
        last_activity=max((m for m in last if m is not None), default=None),
        settings=ChatSettings(system_prompt=prompt) if prompt else None,
        pinned=raw.get("pinned") is True,
    )
