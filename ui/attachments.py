"""Files and images in the chat: read from the chat input, shown with their message.

The chat input accepts files (``accept_file="multiple"``: the paper clip, drag and drop, and
pasting an image or a file into it) of the kinds Charla reads
(:data:`core.services.attachments.ACCEPTED_EXTENSIONS`). The page hands their bytes to the core,
which reads and checks them before anything is stored (:mod:`core.services.attachments`).

A stored message shows its files under its text: a chip with the name and size for a document, a
thumbnail for an image (read once per attachment and cached: stored attachments never change).
"""

from __future__ import annotations

import streamlit as st

from core.i18n import t
from core.identity import acting_as, current_owner_id
from core.schemas import AttachmentRecord, MessageRecord
from core.services.attachments import ACCEPTED_EXTENSIONS, attachment_data

Upload = tuple[str, bytes, str | None]  # (file name, bytes, MIME type)
THUMBNAIL_WIDTH = 180


def chat_input(lang: str) -> tuple[str | None, tuple[Upload, ...]]:
    """The chat input: (text, files) when the person sent something, else (None, ())."""
    value = st.chat_input(
        t("chat.placeholder", lang),
        key="prompt",
        accept_file="multiple",
        file_type=list(ACCEPTED_EXTENSIONS),
    )
    if value is None:
        return None, ()
    files = tuple((f.name, f.getvalue(), f.type or None) for f in value.files)
    return value.text or "", files


@st.cache_data(max_entries=200, show_spinner=False)
def _image(attachment_id: int, sha256: str, owner_id: int | None) -> bytes | None:
    """An image's bytes (``sha256`` in the key: an id reused after a deletion is a new key; the
    owner too: the cache is shared by every session, the bytes only go to whoever carries it)."""
    with acting_as(owner_id):
        found = attachment_data(attachment_id)
    return found[1] if found is not None else None


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _chip(attachment: AttachmentRecord) -> None:
    # The badge's label is Markdown: a file name is shown literally.
    name = attachment.name.replace("[", "(").replace("]", ")")
    for char in "\\*_`$~":
        name = name.replace(char, "\\" + char)
    icon = ":material/picture_as_pdf:" if attachment.mime == "application/pdf" else None
    st.badge(
        f"{name} · {_size(attachment.size)}",
        icon=icon or ":material/description:",
        color="gray",
    )


def show_attachments(message: MessageRecord, lang: str) -> None:
    """A message's files (chips) and images (thumbnails), in the order they were attached."""
    if not message.attachments:
        return
    with st.container(
        horizontal=True, gap="small", vertical_alignment="center", key=f"files-{message.id}"
    ):
        for attachment in message.attachments:
            if attachment.is_image:
                data = _image(attachment.id, attachment.sha256, current_owner_id())
                if data is not None:
                    st.image(
                        data,
                        caption=attachment.name,
                        width=THUMBNAIL_WIDTH,
                    )
                    continue
            _chip(attachment)
