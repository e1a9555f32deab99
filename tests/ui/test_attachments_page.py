"""Files and images through the chat page's input (AppTest, the fake server): shown with the
message, sent to the model; refused ones explained in a sentence before anything is sent, with the
typed text kept as a draft."""

from __future__ import annotations

from typing import Any

import pytest

from core.i18n import t
from core.services.attachments import MAX_FILE_BYTES
from tests.attachment_files import encrypted_pdf, image_bytes
from tests.fakes.fake_llm_server import Reply
from tests.ui.conftest import stored_messages

VISION = {"models": [{"id": "eyes-vl", "type": "vlm", "max_context_length": 32768}]}


def submit(at: Any, text: str, *files: tuple[str, bytes, str]) -> Any:
    box = at.chat_input(key="prompt")
    for name, data, mime in files:
        box.upload(name, data, mime)
    box.set_value(text).run()
    assert not at.exception, at.exception
    return at


def markdown_values(at: Any) -> list[str]:
    return [m.value for m in at.markdown]


def test_a_text_file_is_sent_and_shown_as_a_chip(fake: Any, page: Any) -> None:
    fake.enqueue(Reply(chunks=["Eggs."]))
    at = submit(page("chat").run(), "What is on it?", ("list.md", b"- eggs", "text/markdown"))
    (user, answer) = stored_messages()
    assert (user.content, answer.content) == ("What is on it?", "Eggs.")
    assert fake.requests[-1]["json"]["messages"][-1]["content"] == (
        '<file name="list.md">\n- eggs\n</file>\n\nWhat is on it?'
    )
    assert any("list.md · 6 B" in value for value in markdown_values(at))


@pytest.mark.parametrize("fake_server", [VISION], indirect=True)
def test_an_image_is_shown_as_a_thumbnail(fake: Any, page: Any) -> None:
    fake.enqueue(Reply(chunks=["A square."]))
    at = submit(page("chat").run(), "", ("shot.webp", image_bytes("WEBP"), "image/webp"))
    (user, _answer) = stored_messages()
    assert user.content == ""
    (image,) = at.image
    assert image.captions == ["shot.webp"]


def refused(at: Any, sentence: str, typed: str) -> None:
    assert at.warning[0].value == sentence
    assert at.text_area(key="draft-text").value == typed  # the typed text is kept
    assert stored_messages() == []


def test_an_image_for_a_model_without_vision_is_explained(fake: Any, page: Any) -> None:
    at = submit(page("chat").run(), "Describe it", ("cat.png", image_bytes("PNG"), "image/png"))
    refused(at, t("input.image_needs_vision", "en", model="smollm2-135m-instruct"), "Describe it")
    assert fake.requests == []


def test_a_protected_pdf_is_explained(fake: Any, page: Any) -> None:
    at = submit(
        page("chat").run(), "Summarise", ("locked.pdf", encrypted_pdf("x"), "application/pdf")
    )
    refused(at, t("input.pdf_protected", "en", name="locked.pdf"), "Summarise")
    # The draft says the files were not kept with it.
    assert any(t("attachments.files_lost", "en") in c.value for c in at.caption)


def test_a_file_over_the_limit_is_explained_with_the_limit(fake: Any, page: Any) -> None:
    big = b"a" * (MAX_FILE_BYTES + 1)
    at = submit(page("chat").run(), "Read this", ("big.txt", big, "text/plain"))
    refused(at, t("input.file_too_large", "en", name="big.txt", size="10.0 MB", limit="10.0 MB"),
            "Read this")  # fmt: skip
    assert "at most 10.0 MB" in at.warning[0].value


@pytest.mark.parametrize(
    "fake_server", [{"models": [{"id": "tiny", "max_context_length": 1024}]}], indirect=True
)
def test_a_file_that_would_not_fit_the_context_is_explained(fake: Any, page: Any) -> None:
    book = b"All work and no play. " * 400
    at = submit(page("chat").run(), "Summarise", ("book.txt", book, "text/plain"))
    assert "With «book.txt» this message needs about" in at.warning[0].value
    assert "holds 1,024" in at.warning[0].value
    assert at.text_area(key="draft-text").value == "Summarise"
    assert fake.requests == []
