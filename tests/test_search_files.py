"""Search finds messages by their files (issue 13, point 3; index: migration 0013), on SQLite and
PostgreSQL (``db``): a file's extracted text with accents and case folded, its name, a phrase and a
prefix in its text, exclusions, the snippet (name and marked text), ranking after the message's own
words, "Find in this chat" and History's chat table, another person's files never found, and a
deleted message's files gone from the results.

Files are stored the way the app stores them (``prepare`` then the repository's ``attach``, in the
same transaction as the message), so the index is kept by the very triggers real use fires.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.conf import settings as conf_settings
from core.conf.db import session_scope
from core.identity import Identity, acting_as
from core.repositories.attachments import AttachmentRepository
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.search.snippets import parts
from core.services import chats, history, users
from core.services.attachments import prepare
from core.services.search import find_in_chat, search_messages
from tests.attachment_files import image_bytes, pdf_with_text

BIOLOGY = (
    "Apuntes de biología. La fotosíntesis convierte la luz en azúcar dentro del cloroplasto. "
    "Las plantas verdes respiran también."
)


def message_with_files(title: str, content: str, *files: tuple[str, bytes]) -> tuple[int, int]:
    """(chat id, message id) of a new chat with one user message carrying ``files``."""
    with session_scope(write=True) as db:
        chat_id = ChatRepository(db).create(title).id
        message = MessageRepository(db).create_message(chat_id, "user", content)
        AttachmentRepository(db).attach(message.id, [prepare(name, data) for name, data in files])
    return chat_id, message.id


def found(query: str) -> set[int]:
    return {hit.message_id for hit in search_messages(query, limit=100).hits}


def marked(snippet: str) -> list[str]:
    return [text for text, is_marked in parts(snippet) if is_marked]


def test_a_files_text_and_name_find_its_message(db: str) -> None:
    _, notes = message_with_files("Biología", "mira esto", ("apuntes-clase.txt", BIOLOGY.encode()))
    _, report = message_with_files(
        "Work", "the quarterly numbers", ("q3 report.pdf", pdf_with_text("Revenue grew strongly"))
    )
    _, picture = message_with_files("Pictures", "a photo", ("cat.png", image_bytes("PNG")))
    message_with_files("Plain", "nothing attached here about plants")
    assert found("FOTOSINTESIS") == {notes}  # accents and case folded, in the extracted text
    assert found("fotosíntesis") == {notes}
    assert found("apuntes") == {notes}  # the name ("apuntes-clase.txt") and the text
    assert found("clase") == {notes}  # the name only
    assert found("cat") == found("CAT.PNG") == {picture}  # an image: found by its name
    assert found('"convierte la luz"') == {notes}  # a phrase inside the text
    assert found('"la convierte luz"') == set()
    assert found("clorop*") == {notes}  # a prefix
    assert found("revenue") == found("REVEN*") == found("report") == {report}
    assert found("quarterly revenue") == set()  # the message's words and a file's are not mixed
    assert found("report revenue") == {report}  # a file's name and text together
    assert found("fotosintesis -azucar") == set()  # the file holds the excluded word
    assert found("fotosintesis -quarterly") == {notes}


def test_the_hit_shows_the_file_name_and_marked_text_and_ranks_after_own_words(db: str) -> None:
    _, by_file = message_with_files("Biología", "mira", ("apuntes.txt", BIOLOGY.encode()))
    _, by_words = message_with_files("Words", "la fotosíntesis, dicha en el mensaje")
    page = search_messages("fotosintesis")
    assert [hit.message_id for hit in page.hits] == [by_words, by_file]
    assert page.total == 2 and page.hits[0].rank > page.hits[1].rank
    hit = page.hits[1]
    assert hit.in_file == "apuntes.txt" and not hit.in_reasoning
    assert hit.snippet.startswith("apuntes.txt: ")
    assert marked(hit.snippet) == ["fotosíntesis"]  # the word as the file writes it
    assert page.hits[0].in_file is None
    named = search_messages("apuntes").hits[0]
    assert marked(named.snippet) == ["apuntes", "Apuntes"]  # in the name, then in the text


def test_find_in_this_chat_finds_files_and_a_deleted_message_is_gone(db: str) -> None:
    chat_id, message_id = message_with_files("Notes", "see file", ("plan.md", b"glaciar azul"))
    other, _ = message_with_files("Other", "see file", ("plan.md", b"glaciar azul"))
    message_with_files("Third", "no file, no glacier")
    assert {hit.message_id for hit in find_in_chat(chat_id, "glaciar").hits} == {message_id}
    assert find_in_chat(other, "glaciar").total == 1
    shown = history.search_chats(None, history.HistoryFilter(text="GLACIAR"))
    assert {summary.id for summary in shown} == {chat_id, other}  # History's chat table too
    assert len(found("glaciar")) == 2
    chats.delete_chat(other)
    assert found("glaciar") == {message_id} and search_messages("glaciar").total == 1
    assert history.count_chats(history.HistoryFilter(text="glaciar")) == 1
    chats.delete_version(message_id)  # the message itself
    assert found("glaciar") == set() and search_messages("glaciar").total == 0


@pytest.fixture
def oidc(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CHARLA_AUTH", "oidc")
    conf_settings.reset_settings()
    yield
    conf_settings.reset_settings()


def test_someone_elses_files_are_not_found(oidc: None) -> None:
    alice = users.sign_in(Identity("http://idp", "alice", "alice@example.com", "Alice"))
    bob = users.sign_in(Identity("http://idp", "bob", "bob@example.com", "Bob"))
    with acting_as(alice.id):
        _, mine = message_with_files("Secret", "private", ("secreto.txt", b"contrasena zafiro"))
        assert found("zafiro") == found("secreto") == {mine}
    with acting_as(bob.id):
        assert found("zafiro") == set() and found("secreto") == set()
        assert search_messages("zafiro").total == 0


def test_a_hit_found_by_a_file_names_it_in_both_languages(db: str) -> None:
    from ui.search_view import _notes

    message_with_files("Biología", "mira", ("apuntes.txt", BIOLOGY.encode()))
    (hit,) = search_messages("cloroplasto").hits
    assert _notes(hit, "en") == ["in the file apuntes.txt"]
    assert _notes(hit, "es") == ["en el archivo apuntes.txt"]
