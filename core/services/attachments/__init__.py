"""Files and images in a message: read, checked, stored, and sent to the model.

The journey of an attachment:

1. **Prepared** when the person sends it (:func:`prepare`, :mod:`.reading`, :mod:`.images`):
   documents — text, Markdown, code, CSV, JSON — are decoded, PDFs have their text extracted with
   ``pypdf``; images (PNG, JPEG, WebP, GIF) are scaled to at most :data:`.images.MAX_SIDE` pixels
   a side and re-encoded as PNG or JPEG with Pillow (LM Studio rejects WebP data URLs). Anything
   that cannot be used — too big (:data:`.reading.MAX_FILE_BYTES`), a type Charla cannot read, a
   damaged or password-protected PDF — is an :class:`~core.errors.InputError` whose sentence says
   what to do, raised *before* anything is stored or sent; the page keeps the typed text.
2. **Checked against the model** by the chat service, before anything is stored: an image for a
   model that is known to have no vision (:func:`.content.vision_support`), a message whose files
   would not fit the model's context (the same estimate as for text, :mod:`core.services.context`).
3. **Stored** with the user's message in one transaction, content-addressed
   (:mod:`core.repositories.attachments`): the same file is kept once.
4. **Sent** with its message every time that message is part of the selected branch's context
   (:func:`.content.expand_history`): a document as a delimited block headed by its file name,
   an image as an ``image_url`` data URL. Regenerating keeps the user message, so its files; an
   edited version links the same files.
5. **Exported and imported** (:mod:`.portable`): JSON with base64 or a zip's side folder,
   Markdown links; deleting a chat or a version deletes the files no other message carries.
"""

from __future__ import annotations

from core.repositories.attachments import NewAttachment
from core.services.attachments.content import (
    IMAGE_CONTEXT_BYTES,
    document_block,
    expand_history,
    user_content,
    vision_support,
)
from core.services.attachments.portable import (
    archive_path,
    attach_to_message,
    export_data,
    from_json,
    markdown_link,
    to_json,
)
from core.services.attachments.reading import (
    ACCEPTED_EXTENSIONS,
    MAX_FILE_BYTES,
    MAX_FILES,
    prepare,
    prepare_all,
)
from core.services.attachments.store import (
    attachment_data,
    prune_attachments,
)

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "IMAGE_CONTEXT_BYTES",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "NewAttachment",
    "archive_path",
    "attach_to_message",
    "attachment_data",
    "document_block",
    "expand_history",
    "export_data",
    "from_json",
    "markdown_link",
    "prepare",
    "prepare_all",
    "prune_attachments",
    "to_json",
    "user_content",
    "vision_support",
]
