"""What the model is sent of a message's attachments, and whether it can see images.

A document becomes a block of the message's text, before what the person typed::

    <file name="report.csv">
    …the file's text…
    </file>

— delimited so the model can tell the file from the question and cite it by name. Images make the
message's content a list of parts (OpenAI's shape, which LM Studio, llama.cpp and Ollama accept):
the text first, then one ``{"type": "image_url", "image_url": {"url": "data:image/png;base64,…"}}``
per image.

Vision (:func:`vision_support`): LM Studio says which models see images (``type: "vlm"`` in
``/api/v0/models``, ``capabilities.vision`` or ``type`` in ``/api/v1/models``), so an image for one of
its models without vision is refused before anything is sent. Servers that only have ``/v1/models``
(llama.cpp, Ollama, vLLM) say nothing: the image is sent, and if the model cannot take it the
server's refusal becomes the answer's error sentence. Refusing there would lock out every vision
model those servers run. When a model known to have no vision continues a chat whose older
messages carry images, those images are left out of the request (their names stay, in the text).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any, Final

from core.providers.llm_studio_api import LMStudioAPIProvider
from core.repositories.attachments import ContextAttachment, NewAttachment
from core.services.context import IMAGE_CONTEXT_BYTES

__all__ = ["IMAGE_CONTEXT_BYTES", "document_block", "expand_history", "user_content"]

VISION_TYPES: Final = frozenset({"vlm"})


def document_block(name: str, text: str) -> str:
    """A document as the model reads it: its text between tags that carry its name."""
    safe = name.replace('"', "'")
    return f'<file name="{safe}">\n{text}\n</file>'


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def user_content(
    text: str,
    attachments: Sequence[NewAttachment | ContextAttachment],
    *,
    images: bool = True,
) -> str | list[dict[str, Any]]:
    """A user message's content with its attachments: a string, or a list of parts when it has
    images (``images=False``: a model without vision; images are named in the text instead)."""
    blocks = [document_block(a.name, a.text or "") for a in attachments if a.kind == "document"]
    pictures = [a for a in attachments if a.kind == "image"]
    if pictures and not images:
        blocks.extend(f"[image not shown: {a.name}]" for a in pictures)
        pictures = []
    body = "\n\n".join([*blocks, text] if text else blocks)
    if not pictures:
        return body
    parts: list[dict[str, Any]] = [{"type": "text", "text": body}] if body else []
    for picture in pictures:
        assert picture.data is not None
        parts.append(
            {"type": "image_url", "image_url": {"url": data_url(picture.mime, picture.data)}}
        )
    return parts


def expand_history(
    rows: Sequence[tuple[int, str, str]],
    attached: Mapping[int, Sequence[ContextAttachment]],
    *,
    images: bool = True,
) -> list[dict[str, Any]]:
    """OpenAI messages from (id, role, content) rows, each with its attachments."""
    messages: list[dict[str, Any]] = []
    for message_id, role, content in rows:
        files = attached.get(message_id)
        if files:
            messages.append({"role": role, "content": user_content(content, files, images=images)})
        else:
            messages.append({"role": role, "content": content})
    return messages


def vision_support(provider: LMStudioAPIProvider, model: str | None) -> bool | None:
    """Whether ``model`` sees images: True/False when the server says, None when it does not."""
    info = provider.model_info(model)
    if info is None:
        return None
    return info.vision
