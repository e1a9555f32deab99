"""``TurnRepository``: what one turn of a chat reads and writes besides its two messages.

A turn (:meth:`core.services.chat.ChatService._plan`) stores the user's message and an empty answer
and reads what the model is sent, all in one write transaction, on the path to the answer's first
token. Two statements here frame the two ``create_message`` calls:

- :meth:`claim`, first: one ``UPDATE`` of the chat's row that proves the chat is the current
  owner's (:mod:`core.repositories.scope`; else :class:`~core.errors.ChatNotFound`), locks the row
  until the transaction ends (PostgreSQL; SQLite write transactions already run one at a time), so
  two turns of one chat never start at once, counts the turn's messages and titles a chat that has
  no title yet. The messages are then created with ``counted=True``. Since the row is proven mine
  and locked, the statements after it in the transaction use the bare chat id, as
  ``create_message``'s own prebuilt statements do.
- :meth:`context`, last: the newest messages of the selected branch that a request sends, each
  with its files, in one ``SELECT`` (the documents' text, the images' bytes).

Both are built once, with bind parameters (:mod:`core.repositories.statements` says why).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, bindparam, case, select, true
from sqlalchemy.orm import Session

from core.errors import ChatNotFound
from core.models import Attachment, Message, MessageAttachment, utcnow
from core.repositories.attachments import ContextAttachment
from core.repositories.scope import owner_param
from core.repositories.statements import BUMP_CHAT, CHATS, USABLE
from core.text import MAX_TITLE_CHARS
from core.vocab import Sender

_CLAIM = BUMP_CHAT.values(
    # Only an untitled chat takes the title ('' leaves every title as it is).
    title=case((CHATS.c.title == "", bindparam("title")), else_=CHATS.c.title),
)
_NEWEST = (
    select(Message.id, Message.sender, Message.content)
    .where(Message.chat_id == bindparam("chat_id"), Message.selected == true(), USABLE)
    .order_by(Message.id.desc())
    .limit(bindparam("limit"))
    .subquery("newest")
)
# Each message once per file it carries (once if none), oldest first, files in order. A document's
# bytes are not read: its text is what is sent.
_CONTEXT = (
    select(
        _NEWEST.c.id,
        _NEWEST.c.sender,
        _NEWEST.c.content,
        MessageAttachment.name,
        Attachment.kind,
        Attachment.mime,
        Attachment.text,
        case((Attachment.kind == "image", Attachment.data)).label("data"),
    )
    .select_from(_NEWEST)
    .outerjoin(
        MessageAttachment,
        and_(
            MessageAttachment.message_id == _NEWEST.c.id,
            _NEWEST.c.sender == Sender.USER.value,  # files are sent with the user's messages
        ),
    )
    .outerjoin(Attachment, Attachment.id == MessageAttachment.attachment_id)
    .order_by(_NEWEST.c.id, MessageAttachment.position)
)

ContextRows = list[tuple[int, str, str]]


class TurnRepository:
    """The turn's own statements, in the caller's write transaction (flush, never commit)."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def claim(self, chat_id: int, *, messages: int, title: str = "") -> None:
        """Start a turn of ``chat_id`` that adds ``messages``; an untitled chat gets ``title``."""
        params = {
            "chat_id": chat_id,
            "owner": owner_param(),
            "delta": messages,
            "now": utcnow(),
            "title": title[:MAX_TITLE_CHARS],
        }
        if self.db.connection().execute(_CLAIM, params).rowcount == 0:
            raise ChatNotFound(chat_id)

    def context(
        self, chat_id: int, limit: int
    ) -> tuple[ContextRows, dict[int, list[ContextAttachment]]]:
        """The newest ``limit`` messages of the (claimed) chat's selected branch that a request
        sends, oldest first, as (id, role, content), and their files by message id: what
        :meth:`MessageRepository.context_rows` and :meth:`AttachmentRepository.for_context` say."""
        rows: ContextRows = []
        attached: dict[int, list[ContextAttachment]] = defaultdict(list)
        result = self.db.connection().execute(_CONTEXT, {"chat_id": chat_id, "limit": limit})
        for message_id, sender, content, name, kind, mime, text, data in result:
            if not rows or rows[-1][0] != message_id:
                rows.append((message_id, Sender(sender).role, content))
            if name is not None:
                image = bytes(data) if data is not None else None
                attached[message_id].append(ContextAttachment(name, kind, mime, text, image))
        return rows, dict(attached)
