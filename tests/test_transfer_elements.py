"""Reading a JSON array element by element with the ``json`` module (``importers.elements``).

The import reads ChatGPT's and Open WebUI's exports this way, so it must give exactly what
``ijson`` gives for every document (whatever the chunk boundaries cut: numbers, escapes, UTF-8
sequences, surrogate pairs), refuse what ``ijson`` refuses, and stay streamed: a huge element is
not parsed once per chunk, and an error does not make it read the rest of the file.
"""

from __future__ import annotations

import io
import json
from typing import Any

import ijson
import pytest

from core.services.importers import elements
from tests.transfer_helpers import CHATGPT, OPENWEBUI


class Counted(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)


def by_elements(data: bytes) -> list[Any]:
    return list(elements.array_elements(io.BytesIO(data)))


def by_ijson(data: bytes) -> list[Any]:
    return list(ijson.items(io.BytesIO(data), "item", use_float=True))


TRICKY = [
    b"[]",
    b" [ ] ",
    b'[1, 2.5, -0, 1e3, 1234567890123456789, 2.5E-3, true, false, null, "x"]',
    b'[{"a": 1, "a": 2}, [], {}, [[]]]',
    b'["\\ud83d\\ude00 \\u00f1 \\" \\\\ \\/ \\n"]',
    '["ñ 😀 数据", {"canción": "mañana"}]'.encode(),
    b'\n[\n  {"title": "x", "mapping": {}}\n  ,\n  {"n": 12.75}\n]\n',
]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64 * 1024])
def test_the_same_values_as_ijson_wherever_the_chunks_end(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(elements, "CHUNK", chunk)
    for data in [*TRICKY, CHATGPT.read_bytes(), OPENWEBUI.read_bytes()]:
        assert by_elements(data) == by_ijson(data), data[:60]
    number = by_elements(b"[2.5]")[0]
    assert type(number) is float and number == 2.5  # not 2 (the chunk "2." taken alone)
    assert by_elements(b"[12345678901234567890]") == [12345678901234567890]  # ijson: overflow


@pytest.mark.parametrize(
    "data",
    [
        b"[1,]",
        b"[1 2]",
        b"[1",
        b"[",
        b"",
        b'[{"a": 1}',
        b'["abc',
        b"[1] x",
        b"[NaN]",
        b"[-Infinity]",
        b'["\xff"]',
        b'["a\tb"]',
        b'["a\x01b"]',
        b'["\xc3"]',
    ],
)
@pytest.mark.parametrize("chunk", [1, 64 * 1024])
def test_what_ijson_refuses_is_refused(
    data: bytes, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(elements, "CHUNK", chunk)
    with pytest.raises(ValueError):
        by_elements(data)
    with pytest.raises((ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError)):
        by_ijson(data)


def test_only_an_array_is_read() -> None:
    with pytest.raises(ValueError):
        by_elements(b'{"item": 1}')


def test_a_huge_element_is_read_in_growing_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(elements, "CHUNK", 1024)
    huge = {"text": "word " * 400_000, "parts": list(range(50_000))}
    stream = Counted(json.dumps([huge, {"after": True}]).encode())
    assert list(elements.array_elements(stream)) == [huge, {"after": True}]
    assert stream.reads < 20  # 2.4 MB: each read at least doubles what is waiting


def test_an_error_is_raised_where_it_is_without_reading_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(elements, "CHUNK", 1024)
    rest = json.dumps([{"text": "word " * 100} for _ in range(2_000)])[1:]
    stream = Counted(b'[{"a": 1}, {"b": tru}, ' + rest.encode())
    with pytest.raises(json.JSONDecodeError):
        list(elements.array_elements(stream))
    assert stream.reads <= 2  # not the megabyte after it
