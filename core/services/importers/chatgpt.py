"""ChatGPT's data export (``conversations.json``): one conversation → a :class:`~.model.Conversation`.

A conversation is a ``mapping`` of nodes (``parent``, ``children``, ``message``) and the
``current_node``, the leaf of the branch shown; :mod:`.tree` follows it. What each node becomes:

- a ``user`` or ``assistant`` message whose content is ``text`` or ``multimodal_text``: its parts,
  strings as they are, an image (``image_asset_pointer``) as ``[image: file name]`` (the name from
  the message's ``attachments`` when they have it), a voice message's transcript as text, other
  attachments as ``[file: name]``;
- ``thoughts`` (reasoning models): the reasoning of the answer that follows;
- the ``system`` message: the chat's system prompt, if it has text; else the custom instructions
  (``user_editable_context``: profile and instructions), which ChatGPT gives the model the same way;
- left out, as not chat text: messages marked ``is_visually_hidden_from_conversation``, ``tool``
  messages, an assistant's messages to a tool (``recipient`` other than ``all``: code, searches),
  browsing displays, execution output, ``reasoning_recap`` ("Thought for 10 seconds"), memory
  context, empty messages and the empty root.

Kept: title, times (``create_time``/``update_time``, epoch seconds; each message's own time), the
archive flag, the model (``model_slug``, else the conversation's ``default_model_slug``) and how an
answer ended (``finish_details``: ``max_tokens`` is "cut", ``interrupted`` is "stopped"). The id
is ``conversation_id`` (else ``id``).
"""

from __future__ import annotations

from typing import Any

from core.schemas import ChatSettings
from core.services.importers.detect import Kind
from core.services.importers.fields import (
    attachment_kind,
    broken,
    items,
    join,
    mapping,
    moment,
    placeholder,
    source_key,
    text,
)
from core.services.importers.model import Conversation, Turn
from core.services.importers.tree import build, walk
from core.vocab import Sender, Status

_ROLES = {"user": Sender.USER, "assistant": Sender.LLM}
_FINISH = {"stop": "stop", "max_tokens": "length"}


def _attachment_names(metadata: dict[str, Any]) -> dict[str, str]:
    return {
        text(item.get("id")): text(item.get("name"))
        for item in items(metadata.get("attachments"))
        if isinstance(item, dict)
    }


def _part(part: Any, names: dict[str, str]) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    kind = text(part.get("content_type"))
    if kind == "image_asset_pointer":
        pointer = text(part.get("asset_pointer")).rsplit("/", 1)[-1]
        return placeholder("image", names.get(pointer) or pointer)
    if isinstance(part.get("text"), str):  # audio_transcription and the like
        return text(part.get("text"))
    if kind.endswith("asset_pointer"):
        pointer = text(part.get("asset_pointer")).rsplit("/", 1)[-1]
        return placeholder(kind.split("_", 1)[0] or "file", names.get(pointer) or pointer)
    return ""


def _body(content: dict[str, Any], metadata: dict[str, Any]) -> str:
    parts = content.get("parts")
    if (
        isinstance(parts, list)
        and not metadata.get("attachments")
        and all(isinstance(part, str) for part in parts)
    ):
        return join(parts)  # the usual message: text only
    names = _attachment_names(metadata)
    shown = [_part(part, names) for part in items(content.get("parts"))]
    pointers = {
        text(part.get("asset_pointer")).rsplit("/", 1)[-1]
        for part in items(content.get("parts"))
        if isinstance(part, dict)
    }
    for item in items(metadata.get("attachments")):  # files sent along, not drawn in the parts
        if isinstance(item, dict) and text(item.get("id")) not in pointers:
            kind = attachment_kind(text(item.get("mimeType")) or text(item.get("mime_type")))
            shown.insert(0, placeholder(kind, text(item.get("name"))))
    return join(shown)


class _System:
    """The system prompt, as found while reading the nodes."""

    def __init__(self) -> None:
        self.prompt = ""
        self.instructions = ""


def _turn(message: Any, default_model: str, system: _System) -> Turn | None:
    # Runs for every message of an export: plain dict reads, few calls.
    if not isinstance(message, dict):
        return None
    content = mapping(message.get("content"))
    kind = content.get("content_type")
    author = message.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    if kind == "user_editable_context":
        profile = text(content.get("user_profile"))
        system.instructions = join((profile, text(content.get("user_instructions"))))
        return None
    if role == "system":
        system.prompt = system.prompt or join(
            p for p in items(content.get("parts")) if isinstance(p, str)
        )
        return None
    sender = _ROLES.get(role)  # type: ignore[arg-type]
    metadata = mapping(message.get("metadata"))
    recipient = message.get("recipient")
    if (
        sender is None
        or metadata.get("is_visually_hidden_from_conversation")
        or (recipient is not None and recipient != "all")  # to a tool: code, a search
    ):
        return None
    when = moment(message.get("create_time"))
    if kind == "text" or kind == "multimodal_text":
        body = _body(content, metadata)
    elif kind == "thoughts":
        thoughts = [
            join((text(t.get("summary")), text(t.get("content"))), "\n")
            for t in items(content.get("thoughts"))
            if isinstance(t, dict)
        ]
        return Turn(Sender.LLM, "", reasoning=join(thoughts), created_at=when)
    elif kind == "code" and sender == Sender.LLM:  # code shown to the reader, not sent to a tool
        body = f"```{text(content.get('language'))}\n{text(content.get('text'))}\n```"
    else:
        return None  # browsing displays, execution output, recaps, memory: plumbing
    if sender == Sender.USER:
        return Turn(Sender.USER, body, created_at=when)
    finish = mapping(metadata.get("finish_details")).get("type")
    stopped = finish == "interrupted" or message.get("status") == "in_progress"
    model = metadata.get("model_slug")
    return Turn(
        Sender.LLM,
        body,
        created_at=when,
        model=model if isinstance(model, str) and model else default_model or None,
        status=Status.STOPPED if stopped else Status.COMPLETE,
        finish_reason=_FINISH.get(finish),  # type: ignore[arg-type]
    )


def convert(raw: Any, name: str) -> Conversation:
    """One conversation of the export (``name``: the file, unused: ids come from the content)."""
    nodes = mapping(raw).get("mapping")
    if not isinstance(nodes, dict):
        raise broken("no 'mapping'")
    default_model = text(raw.get("default_model_slug"))
    system = _System()
    tree = walk(
        nodes, "parent", "children", lambda node: _turn(node.get("message"), default_model, system)
    )
    current = raw.get("current_node")
    prompt = system.prompt or system.instructions
    return Conversation(
        source=Kind.CHATGPT,
        source_id=source_key(raw.get("conversation_id") or raw.get("id"), raw),
        title=text(raw.get("title")),
        turns=build(tree, current if isinstance(current, str) else None),
        created_at=moment(raw.get("create_time")),
        last_activity=moment(raw.get("update_time")),
        settings=ChatSettings(system_prompt=prompt) if prompt else None,
        archived=raw.get("is_archived") is True,
    )
