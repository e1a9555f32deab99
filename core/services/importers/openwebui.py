"""Open WebUI's chat export (Settings → Data Controls → Export Chats): an array of chats, or one.

Each element is a stored chat (``id``, ``title``, ``chat``, ``created_at``/``updated_at`` in epoch
seconds, ``archived``, ``pinned``, ``meta.tags``); the older form is the inner chat object itself.
The conversation is ``chat.history``: ``messages`` by id, each with ``parentId`` and
``childrenIds`` (version order), and ``currentId``, the leaf shown; :mod:`.tree` follows it.

- A person's message: ``content``, with its ``files`` (images and documents) as ``[image: name]``
  / ``[file: name]`` lines first.
- An answer: ``content`` without the HTML blocks Open WebUI writes into it — a
  ``<details type="reasoning">`` block (or an ``output`` item of type ``reasoning``, or inline
  ``<think>``) becomes the reasoning; tool-call and code-interpreter blocks are left out. The
  model is ``model`` (else ``modelName``); ``usage`` gives prompt and completion tokens and, from
  Ollama, tokens/s. ``done: false`` is a stopped answer; an ``error`` a failed one (its text kept).
- A ``system`` message, or the chat's ``system`` / ``params.system``, is the system prompt.
- Tags (strings or ``{"name": …}``) become Charla tags; the id is the chat's ``id`` (else a digest
  of the content).
"""

from __future__ import annotations

import re
from typing import Any, Final

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
from core.services.importers.tree import build, walk
from core.vocab import Sender, Status

_DETAILS: Final = re.compile(r"<details\b([^>]*)>(.*?)</details>\s*", re.DOTALL | re.IGNORECASE)
_TYPE: Final = re.compile(r"""type\s*=\s*["']?(\w+)""")
_SUMMARY: Final = re.compile(r"<summary>.*?</summary>", re.DOTALL | re.IGNORECASE)


def _unquote(block: str) -> str:
    """Open WebUI writes reasoning as a Markdown quote (``> `` before each line)."""
    lines = [line[2:] if line.startswith("> ") else line.lstrip(">") for line in block.splitlines()]
    return "\n".join(lines).strip()


def _strip_blocks(content: str) -> tuple[str, str]:
    """(answer without ``<details>`` blocks, the reasoning blocks' text)."""
    reasoning: list[str] = []

    def take(match: re.Match[str]) -> str:
        kind = _TYPE.search(match.group(1))
        if kind and kind.group(1) == "reasoning":
            reasoning.append(_unquote(_SUMMARY.sub("", match.group(2))))
        return "" if kind else match.group(0)  # a <details> a person wrote stays

    answer = _DETAILS.sub(take, content) if "<details" in content else content
    return answer.strip(), join(reasoning)


def _output_reasoning(output: Any) -> str:
    found = []
    for item in map(mapping, items(output)):
        if item.get("type") == "reasoning":
            found += [text(mapping(part).get("text")) for part in items(item.get("content"))]
    return join(found)


def _files(message: dict[str, Any]) -> list[str]:
    lines = []
    for file in map(mapping, items(message.get("files"))):
        inner = mapping(file.get("file"))
        name = (
            text(file.get("name"))
            or text(inner.get("filename"))
            or text(mapping(inner.get("meta")).get("name"))
        )
        kind = attachment_kind(text(file.get("type")) or text(file.get("content_type")))
        lines.append(placeholder(kind, name))
    return lines


def _turn(message: dict[str, Any], system: list[str]) -> Turn | None:
    role = message.get("role")
    content = text(message.get("content"))
    when = moment(message.get("timestamp"))
    if role == "system":
        system.append(content)
        return None
    if role == "user":
        return Turn(Sender.USER, join([*_files(message), content]), created_at=when)
    if role != "assistant":
        return None
    answer, reasoning = _strip_blocks(content)
    answer, inline = split_thinking(answer)
    reasoning = join((reasoning or _output_reasoning(message.get("output")), inline))
    usage = mapping(message.get("usage"))
    error = message.get("error")
    failed = error not in (None, False, "", {})
    status = Status.ERROR if failed else Status.COMPLETE
    if not failed and message.get("done") is False:
        status = Status.STOPPED
    return Turn(
        Sender.LLM,
        join([*_files(message), answer]),
        reasoning=reasoning,
        created_at=when,
        model=text(message.get("model")) or text(message.get("modelName")) or None,
        status=status,
        error=(text(mapping(error).get("content")) or text(error) or "error") if failed else None,
        prompt_tokens=integer(usage.get("prompt_tokens", usage.get("prompt_eval_count"))),
        completion_tokens=integer(usage.get("completion_tokens", usage.get("eval_count"))),
        tokens_per_second=number(usage.get("response_token/s")),
    )


def _tags(raw: dict[str, Any], chat: dict[str, Any]) -> tuple[str, ...]:
    found = items(mapping(raw.get("meta")).get("tags")) or items(chat.get("tags"))
    names = [text(tag) or text(mapping(tag).get("name")) for tag in found]
    return tuple(dict.fromkeys(name for name in names if name.strip()))


def convert(raw: Any, name: str) -> Conversation:
    """One chat of the export (``name`` is not used: the id comes from the content)."""
    raw = mapping(raw)
    chat = mapping(raw.get("chat")) or raw
    history = mapping(chat.get("history"))
    messages = history.get("messages")
    if not isinstance(messages, dict):
        raise broken("no 'history.messages'")
    system: list[str] = []
    nodes = walk(messages, "parentId", "childrenIds", lambda message: _turn(message, system))
    current = history.get("currentId") or raw.get("current_message_id")
    prompt = text(chat.get("system")) or text(mapping(chat.get("params")).get("system"))
    prompt = prompt or join(system)
    return Conversation(
        source=Kind.OPENWEBUI,
        source_id=source_key(raw.get("id") or chat.get("id"), raw),
        title=text(raw.get("title")) or text(chat.get("title")),
        turns=build(nodes, current if isinstance(current, str) else None),
        created_at=moment(raw.get("created_at")) or moment(chat.get("timestamp")),
        last_activity=moment(raw.get("updated_at")),
        settings=ChatSettings(system_prompt=prompt) if prompt else None,
        pinned=raw.get("pinned") is True,
        archived=raw.get("archived") is True,
        tags=_tags(raw, chat),
    )
