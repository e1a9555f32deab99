"""Reading attachments before anything is sent: documents' text (real PDFs made with pypdf, one
encrypted), images re-encoded and scaled with Pillow, the limits, and what the model is sent."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from core import errors
from core.i18n import error_text
from core.services.attachments import (
    MAX_FILE_BYTES,
    MAX_FILES,
    document_block,
    prepare,
    prepare_all,
    user_content,
)
from core.services.attachments.images import MAX_SIDE
from core.services.context import IMAGE_CONTEXT_BYTES, content_size
from tests.attachment_files import blank_pdf, encrypted_pdf, image_bytes, pdf_with_text


def refused(name: str, data: bytes, mime: str | None = None) -> errors.InputError:
    with pytest.raises(errors.InputError) as caught:
        prepare(name, data, mime)
    return caught.value


# --- documents ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "data", "text"),
    [
        ("notes.md", "# Título\n\n- uno".encode(), "# Título\n\n- uno"),
        ("data.csv", b"\xef\xbb\xbfa,b\n1,2\n", "a,b\n1,2\n"),  # a BOM is not text
        ("config.json", b'{"k": [1, 2]}', '{"k": [1, 2]}'),
        ("main.py", b"print('hi')\n", "print('hi')\n"),
        ("old.txt", "café".encode("cp1252"), "café"),  # not UTF-8: Windows-1252
        ("wide.txt", "ñandú".encode("utf-16"), "ñandú"),  # UTF-16 with its BOM
        ("Makefile", b"all:\n\techo hi\n", "all:\n\techo hi\n"),
    ],
)
def test_text_files_are_read_as_text_with_their_bytes_kept(
    name: str, data: bytes, text: str
) -> None:
    prepared = prepare(name, data)
    assert (prepared.kind, prepared.text, prepared.data) == ("document", text, data)
    assert prepared.context_bytes == len(document_block(name, text).encode())
    assert len(prepared.sha256) == 64


def test_a_pdf_gives_its_text() -> None:
    prepared = prepare("report.pdf", pdf_with_text("Quarterly revenue grew 12 percent"))
    assert prepared.kind == "document" and prepared.mime == "application/pdf"
    assert prepared.text == "Quarterly revenue grew 12 percent"


def test_a_pdf_encrypted_with_an_empty_password_is_read() -> None:
    prepared = prepare("open.pdf", encrypted_pdf("Readable all the same", user_password=""))
    assert prepared.text == "Readable all the same"


def test_a_password_protected_pdf_is_refused_with_a_sentence() -> None:
    error = refused("secret.pdf", encrypted_pdf("Hidden text"))
    assert error.reason == "input.pdf_protected"
    assert "«secret.pdf» is protected by a password" in error_text(error, "en")
    assert "«secret.pdf» está protegido con contraseña" in error_text(error, "es")


def test_a_damaged_pdf_and_one_without_text_are_refused() -> None:
    assert refused("broken.pdf", b"%PDF-1.7\nnot really").reason == "input.pdf_unreadable"
    damaged = pdf_with_text("x")[:200]
    assert refused("cut.pdf", damaged).reason == "input.pdf_unreadable"
    error = refused("scan.pdf", blank_pdf())
    assert error.reason == "input.pdf_no_text"
    assert "scanned pages" in error_text(error, "en")


def test_binary_and_unknown_files_are_refused() -> None:
    assert refused("tool.exe", b"MZ\x90\x00").reason == "input.file_type_unsupported"
    assert refused("data.txt", b"abc\x00\x01def").reason == "input.file_type_unsupported"
    error = refused("song.mp3", b"ID3")
    assert "PNG, JPEG, WebP or GIF" in error_text(error, "en")


def test_a_file_over_the_size_limit_is_refused_stating_the_limit() -> None:
    assert MAX_FILE_BYTES == 10 * 1024 * 1024
    prepare("fits.txt", b"a" * 1000)
    error = refused("big.txt", b"a" * (MAX_FILE_BYTES + 1))
    assert error.reason == "input.file_too_large"
    assert error_text(error, "en") == (
        "«big.txt» is 10.0 MB; a file can be at most 10.0 MB. Attach a smaller file, or paste "
        "the part you need."
    )
    assert "como mucho 10.0 MB" in error_text(error, "es")


def test_too_many_files_in_one_message_are_refused() -> None:
    files = [(f"f{i}.txt", b"x", "text/plain") for i in range(MAX_FILES + 1)]
    with pytest.raises(errors.InputError) as caught:
        prepare_all(files)
    assert caught.value.reason == "input.too_many_files"
    assert len(prepare_all(files[:MAX_FILES])) == MAX_FILES


# --- images -----------------------------------------------------------------------------------------
def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_webp_is_reencoded_never_sent_as_webp() -> None:
    prepared = prepare("photo.webp", image_bytes("WEBP"))
    assert prepared.kind == "image" and prepared.mime == "image/jpeg"
    assert opened(prepared.data).format == "JPEG"
    assert (prepared.width, prepared.height) == (64, 48)
    assert prepared.context_bytes == IMAGE_CONTEXT_BYTES and prepared.text is None


def test_transparent_images_and_drawings_become_png() -> None:
    clear = prepare("logo.webp", image_bytes("WEBP", mode="RGBA", color=(0, 0, 0, 0)))
    assert clear.mime == "image/png" and opened(clear.data).mode == "RGBA"
    gif = prepare("anim.gif", image_bytes("GIF", mode="P", color=3))
    assert gif.mime == "image/png" and opened(gif.data).format == "PNG"
    png = prepare("shot.png", image_bytes("PNG"))
    assert png.mime == "image/png"


def test_large_images_are_scaled_to_the_longer_side_limit() -> None:
    prepared = prepare("wide.jpg", image_bytes("JPEG", size=(4000, 1000)))
    assert (prepared.width, prepared.height) == (MAX_SIDE, MAX_SIDE // 4)
    assert opened(prepared.data).size == (MAX_SIDE, MAX_SIDE // 4)
    small = prepare("small.jpg", image_bytes("JPEG", size=(300, 200)))
    assert (small.width, small.height) == (300, 200)  # never enlarged


def test_the_same_image_is_the_same_stored_content() -> None:
    data = image_bytes("PNG", color=(1, 2, 3))
    assert prepare("a.png", data).sha256 == prepare("b.png", data).sha256


def test_a_broken_image_is_refused() -> None:
    error = refused("photo.png", b"\x89PNG\r\n\x1a\nbroken")
    assert error.reason == "input.image_unreadable"
    assert "«photo.png» could not be read as an image" in error_text(error, "en")
    assert refused("fake.jpg", b"just text").reason == "input.image_unreadable"


# --- what the model is sent -------------------------------------------------------------------
def test_documents_are_delimited_blocks_with_their_names_before_the_text() -> None:
    notes = prepare("notes.md", b"- buy milk")
    content = user_content("What is on my list?", [notes])
    assert content == '<file name="notes.md">\n- buy milk\n</file>\n\nWhat is on my list?'


def test_images_make_a_list_of_parts_with_png_or_jpeg_data_urls() -> None:
    picture = prepare("cat.webp", image_bytes("WEBP"))
    notes = prepare("notes.txt", b"context")
    content = user_content("Describe it", [notes, picture])
    assert isinstance(content, list)
    assert content[0] == {
        "type": "text",
        "text": '<file name="notes.txt">\ncontext\n</file>\n\nDescribe it',
    }
    url = content[1]["image_url"]["url"]
    assert content[1]["type"] == "image_url" and url.startswith("data:image/jpeg;base64,")
    assert opened(base64.b64decode(url.split(",", 1)[1])).format == "JPEG"
    assert content_size(content) == len(content[0]["text"].encode()) + IMAGE_CONTEXT_BYTES
    # For a model without vision the image is named, not sent.
    blind = user_content("Describe it", [picture], images=False)
    assert blind == "[image not shown: cat.webp]\n\nDescribe it"
