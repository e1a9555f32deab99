"""Markdown export: one readable file per chat; several chats come as one ``.zip`` of them.

A chat's file, for people and for tools that read notes (Obsidian, static site generators)::

    ---
    title: "Paella"
    chat_id: 12
    created: "2026-11-25T13:05:07.123456Z"
    last_activity: "2026-11-25T13:09:40.004512Z"
    models: ["qwen3-8b"]
    settings: {"model": null, "system_prompt": "Be brief.", "temperature": 0.7, …}
    tags: ["cooking"]
    pinned: false
    archived: false
    messages: 2
    ---

    # Paella

    ## You · 2026-11-25 13:05 UTC

    How long does the rice take?

    ## Assistant · qwen3-8b · 2026-11-25 13:05 UTC

    <details>
    <summary>Reasoning</summary>

    …the model's thinking…

    </details>

    About 18 minutes.

- The front matter is YAML whose values are written as JSON (a subset of YAML), so any title
  survives: quotes, colons, emoji, line breaks. ``settings`` is null when the chat follows the
  app's defaults; ``models`` lists the models that wrote the answers shown, in order of first use.
- Each message is a ``##`` heading with the sender (the model's name for an answer) and the time
  (UTC), then its text exactly as stored: code blocks, Markdown and whitespace are kept verbatim.
  The only change: a code fence an answer left open (an answer stopped mid-block) is closed, so it
  does not swallow the rest of the file. Reasoning sits in a collapsed ``<details>`` block (a
  literal ``</details>`` inside it is written ``&lt;/details>`` so the block still ends where it
  should). A stopped or failed answer says so on a last line, in italics, with the error's sentence.
- A message's files follow its text: in the zip, a list of links to ``attachments/<sha256>.<ext>``
  (an image as an image link), where each file is written once however many messages carry it;
  a single chat's ``.md`` has no folder beside it, so it names the files in an italic note and
  says where they are kept (the JSON export, or the zip of several chats).
- The selected branch is written (what the chat page shows); a chat that has other versions says
  so under its title. The JSON export keeps every version.
- Headings and notes are in the reader's language (``lang``); front matter keys are fixed.

Files in the zip are named ``<chat id>-<title words>.md`` and dated with the chat's last activity.
Like every export, it streams (:mod:`.records`): one chat's text is built at a time.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from functools import cache
from typing import Any, BinaryIO, Final

from sqlalchemy import Engine, Row

from core.i18n import stored_error_text, t
from core.schemas import AttachmentRecord
from core.services.attachments import archive_path, markdown_link
from core.services.export.json_export import chat_header
from core.services.export.records import (
    AT,
    ChatRecord,
    Files,
    MessageWithFiles,
    chats_with_files,
    with_files,
)
from core.services.export.scope import ExportScope
from core.services.export.writing import Counts, Output
from core.vocab import INTERRUPTED, Sender, Status

MIME: Final = "text/markdown"
ZIP_MIME: Final = "application/zip"
SLUG_CHARS: Final = 60  # title characters kept in a file name

# Characters a YAML parser may refuse or read as a line break inside a quoted scalar, which
# json.dumps(ensure_ascii=False) leaves as they are: written as \u escapes instead.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff]")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_NOT_IN_NAME = re.compile(r"[^\w]+")
_INLINE = re.compile(r"[\\`*_\[\]<>]")  # what Markdown would read as markup in a file name
_SENDER, _MODEL, _CREATED, _REASONING, _CONTENT, _STATUS = (
    AT[name] for name in ("sender", "model", "created_at", "reasoning", "content", "status")
)


def yaml_value(value: Any) -> str:
    """``value`` as a YAML flow value (JSON text, with the few characters YAML minds escaped)."""
    text = json.dumps(value, ensure_ascii=False)
    return _YAML_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def close_fences(text: str) -> str:
    """``text``, with a closing fence added if it ends inside a fenced code block."""
    if "```" not in text and "~~~" not in text:
        return text
    open_fence = ""
    for line in text.splitlines():
        found = _FENCE.match(line)
        if not found:
            continue
        fence = found.group(1)
        if not open_fence:
            open_fence = fence
        elif (
            fence[0] == open_fence[0]
            and len(fence) >= len(open_fence)
            and not line.strip(" " + fence[0])
        ):
            open_fence = ""
    if not open_fence:
        return text
    return text + ("" if text.endswith("\n") else "\n") + open_fence


def _when(iso: str) -> str:
    """``2026-11-25T13:05:07.123456Z`` → ``2026-11-25 13:05 UTC``."""
    return f"{iso[:10]} {iso[11:16]} UTC"


def _status_line(row: Row[Any], lang: str) -> str:
    if row.status == Status.COMPLETE:
        return ""
    if row.error_code == INTERRUPTED:
        word = t("msg.status_interrupted", lang)
    elif row.status == Status.STOPPED:
        word = t("msg.status_stopped", lang)
    elif row.status == Status.ERROR:
        word = t("msg.status_failed", lang)
    else:
        word = t("msg.status_streaming", lang)
    error = stored_error_text(row.error_code, row.error_params, row.error, lang)
    if error and row.error_code != INTERRUPTED:
        word = f"{word}: {error}"
    return f"*{word[:1].upper()}{word[1:]}*"


@cache
def _words(lang: str) -> tuple[str, str, str]:
    """(you, assistant, reasoning) in ``lang``: looked up once, not once per message."""
    return (
        t("transfer.md_you", lang),
        t("transfer.md_assistant", lang),
        t("transfer.md_reasoning", lang),
    )


def files_text(attached: Sequence[AttachmentRecord], lang: str, *, links: bool) -> str:
    """What a message's files become: a list of links into the zip's ``attachments/`` folder
    (an image as an image), or, in a single ``.md`` file that has no folder beside it, a note
    naming them."""
    if links:
        return "\n".join(f"- {markdown_link(record)}" for record in attached)
    names = ", ".join(_INLINE.sub(r"\\\g<0>", record.name) for record in attached)
    return f"*{t('transfer.md_files_note', lang, names=names)}*"


def _message(row: Row[Any], lang: str, files: str = "") -> str:
    # By position (records.MESSAGE_COLUMNS): this runs once per message of the export.
    values = tuple(row)
    you, assistant, summary = _words(lang)
    model = values[_MODEL]
    who = you
    if values[_SENDER] == Sender.LLM:
        who = f"{assistant} · {model}" if model else assistant
    parts = [f"## {who} · {_when(values[_CREATED])}"]
    if values[_REASONING]:
        reasoning = close_fences(values[_REASONING]).replace("</details>", "&lt;/details>")
        parts.append(f"<details>\n<summary>{summary}</summary>\n\n{reasoning}\n\n</details>")
    if values[_CONTENT]:
        parts.append(close_fences(values[_CONTENT]))
    if files:
        parts.append(files)
    if values[_STATUS] != Status.COMPLETE:
        parts.append(_status_line(row, lang))
    return "\n\n".join(parts) + "\n\n"


def chat_markdown(
    chat: ChatRecord,
    messages: Iterable[MessageWithFiles],
    lang: str,
    *,
    has_versions: bool,
    links: bool = True,
) -> tuple[str, int]:
    """One chat's file and how many messages it shows (``links``: the files are beside it)."""
    bodies: list[str] = []
    models: list[str] = []
    for row, attached in messages:
        files = files_text(attached, lang, links=links) if attached else ""
        bodies.append(_message(row, lang, files))
        model = row[_MODEL]
        if model and model not in models:
            models.append(model)
    header = chat_header(chat)
    matter = {
        "title": chat.title,
        "chat_id": chat.id,
        "created": chat.created_at,
        "last_activity": chat.last_activity,
        "models": models,
        "settings": header["settings"],
        "tags": header["tags"],
        "pinned": chat.pinned,
        "archived": chat.archived,
    }
    if chat.source is not None:
        matter["source"] = chat.source
    matter["messages"] = len(bodies)
    lines = ["---", *(f"{key}: {yaml_value(value)}" for key, value in matter.items()), "---", ""]
    title = " ".join(chat.title.split()) or t("chat.untitled", lang)
    lines += [f"# {title}", ""]
    if has_versions:
        lines += [f"*{t('transfer.md_versions', lang)}*", ""]
    return "\n".join(lines) + "\n" + "".join(bodies), len(bodies)


def member_name(chat: ChatRecord) -> str:
    """A chat's file name in the zip: ``12-paella-valenciana.md``."""
    words = _NOT_IN_NAME.sub("-", chat.title.lower()).strip("-_")[:SLUG_CHARS].strip("-_")
    return f"{chat.id}-{words}.md" if words else f"{chat.id}.md"


def _zip_date(chat: ChatRecord) -> tuple[int, int, int, int, int, int]:
    moment = datetime.fromisoformat(chat.last_activity)
    year = min(max(moment.year, 1980), 2107)  # what a zip's date field can hold
    return (year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def write_markdown(
    target: BinaryIO,
    scope: ExportScope,
    lang: str = "en",
    *,
    as_zip: bool,
    engine: Engine | None = None,
) -> Counts:
    """Write ``scope`` as Markdown: one file (``as_zip=False``: the first chat of the scope) or a
    zip with a file per chat."""
    chats = shown = 0
    records = chats_with_files(scope, engine=engine, selected_only=True)
    if not as_zip:
        out = Output(target)
        for chat, rows, files in records:
            text, shown = chat_markdown(
                chat, with_files(rows, files), lang, has_versions=chat.hidden_versions, links=False
            )
            out.write(text)
            chats = 1
            break
        out.flush()
        return Counts(chats, shown)
    written: set[str] = set()  # files already in the zip (named by content: each goes in once)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=5) as box:
        for chat, rows, files in records:
            date = _zip_date(chat)
            messages = _storing(with_files(rows, files), files, box, written, date)
            text, count = chat_markdown(chat, messages, lang, has_versions=chat.hidden_versions)
            info = zipfile.ZipInfo(member_name(chat), date_time=date)
            info.compress_type = zipfile.ZIP_DEFLATED
            box.writestr(info, text.encode("utf-8"))
            chats += 1
            shown += count
    return Counts(chats, shown)


def _storing(
    messages: Iterable[MessageWithFiles],
    files: Files,
    box: zipfile.ZipFile,
    written: set[str],
    date: tuple[int, int, int, int, int, int],
) -> Iterator[MessageWithFiles]:
    """``messages``, each message's files written into the zip (at :func:`archive_path`) as it
    goes by, one file's bytes at a time."""
    for row, attached in messages:
        for record in attached:
            path = archive_path(record)
            if path in written:
                continue
            info = zipfile.ZipInfo(path, date_time=date)
            # Images and PDFs are compressed already; text is worth deflating.
            compressed = record.is_image or record.mime == "application/pdf"
            info.compress_type = zipfile.ZIP_STORED if compressed else zipfile.ZIP_DEFLATED
            box.writestr(info, files.content(record)[0])
            written.add(path)
        yield row, attached
