"""Chat titles written by the model, after the first answer, in the chat's language.

A new chat is titled at once from the first words of its first message
(:func:`core.repositories.chats.title_from_message`): the chat list never shows an untitled chat
while the model answers. Once the first answer is there, :func:`maybe_retitle` asks the model for
a short title (what ChatGPT does) and puts it in place of the first words. It is meant to run in the
background, after the answer is saved: it never raises, and whatever goes wrong, the first-words
title simply stays.

Design:

- **One small, non-streamed request** (:func:`suggest_title`) through the provider's sync
  :meth:`~core.providers.client.LMStudioAPIProvider.complete`: the question and the answer, each cut
  to a few hundred characters, and an English instruction to answer in the conversation's language
  (:data:`TITLE_PROMPT`). A low temperature, a few tokens (:data:`TITLE_MAX_TOKENS`) and a read
  timeout of its own (:data:`TITLE_TIMEOUT`), so a slow or busy model cannot hold the caller for
  the five minutes an answer may take.
- **The model's text is cleaned, not trusted** (:func:`clean_title`): reasoning goes (inline
  ``<think>`` or a reasoning field, via :func:`~core.providers.reasoning.split_message`), and so do
  quotes, a ``Title:`` label, Markdown marks, a final period and every line but the first that says
  something; the title is cut like a first-words title (60 characters, at a word). Nothing left
  (a reasoning model that spent its few tokens thinking, punctuation only) means no title.
- **A person's title always wins.** A chat renamed by a person has ``title_by_user`` set and is
  never retitled. The title is replaced only while it is still the automatic first-words title
  (empty, or the first words of a version of the first message), so a model's title, once
  written, is not rewritten when the first answer is regenerated, and chats renamed before
  ``title_by_user`` existed (migration 0005 could not tell them) are left alone too.
- **No lock is held while the model writes.** The chat is read in one short transaction, the model
  is asked with no transaction open (SQLite's write lock is never held across a network call), and
  the title is written by one conditional UPDATE
  (:meth:`~core.repositories.chats.ChatRepository.replace_automatic_title`): only if the title is
  still automatic *and* still the one read. A rename that lands in between wins.

The prompt is not a UI text (the person never reads it), so it lives here, not in
:mod:`core.locales`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from core import errors
from core.conf.db import session_scope
from core.providers.llm_studio_api import LMStudioAPIProvider
from core.providers.reasoning import split_message
from core.repositories.chats import DEFAULT_TITLE_CHARS, ChatRepository, title_from_message
from core.repositories.messages import MessageRepository
from core.text import storable
from core.vocab import Sender, Status

__all__ = [
    "ANSWER_CHARS",
    "QUESTION_CHARS",
    "TITLE_CHARS",
    "TITLE_MAX_TOKENS",
    "TITLE_MAX_WORDS",
    "TITLE_PROMPT",
    "TITLE_TEMPERATURE",
    "TITLE_TIMEOUT",
    "clean_title",
    "is_automatic_title",
    "maybe_retitle",
    "suggest_title",
    "title_prompt",
]

log = logging.getLogger("charla.titles")

TITLE_MAX_WORDS: Final = 6  # what the prompt asks for
TITLE_CHARS: Final = DEFAULT_TITLE_CHARS  # the longest title kept, as for first-words titles
TITLE_MAX_TOKENS: Final = 24  # six words in any language, with room for a stray quote
TITLE_TEMPERATURE: Final = 0.2  # a title, not a poem
TITLE_TIMEOUT: Final = 30.0  # seconds to wait for the title (read timeout of its request)
QUESTION_CHARS: Final = 400  # of the first question sent with the prompt
ANSWER_CHARS: Final = 400  # of the first answer sent with the prompt

TITLE_PROMPT: Final = (
    "Conversation:\n"
    "User: {question}\n"
    "Assistant: {answer}\n\n"
    "Write a title for the conversation above: at most {words} words, in the same language as "
    "the conversation. Reply with the title only, as plain text: no quotes, no Markdown, no "
    "label, no final punctuation."
)

# The quotes a model wraps a title in, each with the quotes that may close it.
_CLOSERS: Final = {
    '"': '"', "'": "'", "`": "`", "“": "”“", "”": "”", "„": "“”", "‘": "’‘", "’": "’",
    "‚": "‘’", "«": "»", "»": "«", "‹": "›", "›": "‹", "「": "」", "『": "』",
}  # fmt: skip
# The end of a title: periods, commas, colons, ellipses, dashes (not ? or !: "¿…?" stays whole).
_TRAILING: Final = ".,;:…·-–—。，；：、"
# "Title:", "Título:", … at the start of a line, in the languages a model is likely to use.
_LABEL: Final = re.compile(
    r"^\s*(?:chat\s+|conversation\s+)?(?:title|t[ií]tulo|titre|titel|titolo|tytuł|"
    r"заголовок|название|标题|タイトル)\s*[:：=\-–—]\s*",
    re.IGNORECASE,
)
_LABEL_WORDS: Final = frozenset(
    {"title", "título", "titulo", "titre", "titel", "titolo", "tytuł", "заголовок", "название"}
)
_LIST_MARK: Final = re.compile(r"^\s*(?:[-•*>]+|\d+[.)])\s+")  # "- ", "1. ", "> "
_HEADING: Final = re.compile(r"^\s*#+\s*")


def _excerpt(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters at a word (with "…" when cut)."""
    return title_from_message(text, limit)


def title_prompt(question: str, answer: str) -> str:
    """The one user message that asks for a title: the question and the answer, both cut."""
    return TITLE_PROMPT.format(
        question=_excerpt(question, QUESTION_CHARS),
        answer=_excerpt(answer, ANSWER_CHARS),
        words=TITLE_MAX_WORDS,
    )


def _opens(char: str, closing: str) -> bool:
    return closing in _CLOSERS.get(char, "")


def _unquote(line: str) -> str:
    """Without the quotes around it; a quote at either end that nothing closes or opens (a
    title cut short, mismatched quotes) goes too, while «quoted words» inside a title stay."""
    line = line.strip()
    while len(line) >= 2 and _opens(line[0], line[-1]) and line[-1] not in line[1:-1]:
        line = line[1:-1].strip()
    if line and line[0] in _CLOSERS and not any(_opens(line[0], c) for c in line[1:]):
        line = line[1:].lstrip()
    if line and line[-1] in _CLOSERS and not any(_opens(c, line[-1]) for c in line[:-1]):
        line = line[:-1].rstrip()
    return line


def _clean_line(line: str) -> str:
    line = _HEADING.sub("", line)
    line = _LIST_MARK.sub("", line)
    line = line.replace("*", "").replace("`", "")
    line = _unquote(line)
    line = _LABEL.sub("", line)
    line = _unquote(line)
    line = line.rstrip(_TRAILING + " \t")
    line = _unquote(line)
    return " ".join(line.split())


def clean_title(text: str) -> str | None:
    """A title from what a model wrote (reasoning already removed): the first line that says
    something (not an introduction ending in a colon), without quotes, label, Markdown marks or
    final period, cut to :data:`TITLE_CHARS`. ``None`` when nothing usable is left."""
    for raw in storable(text).splitlines():
        if raw.rstrip(" *").endswith((":", "：")):
            continue  # "Here is a title:", "Título:": what follows is the title
        line = _clean_line(raw)
        if not any(ch.isalnum() for ch in line) or line.casefold() in _LABEL_WORDS:
            continue
        if not _looks_like_a_title(line):
            return None  # a sentence, or the instruction said back: the first words stay
        return title_from_message(line, TITLE_CHARS)
    return None


# The instruction's own words, in runs of three: a title that repeats one is the prompt echoed.
_PROMPT_WORDS: Final = TITLE_PROMPT.split("\n\n", 1)[1].casefold().replace(":", " ").split()
_ECHOES: Final = {" ".join(_PROMPT_WORDS[i : i + 3]) for i in range(len(_PROMPT_WORDS) - 2)}
TITLE_MAX_TITLE_WORDS: Final = 10  # asked for at most 6; a model that wrote 11 wrote a sentence


def _looks_like_a_title(line: str) -> bool:
    """Not a sentence (too many words) and not the instruction said back."""
    words = line.casefold().replace(",", " ").split()
    if len(words) > TITLE_MAX_TITLE_WORDS:
        return False
    runs = {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
    return not runs & _ECHOES


def _message_of(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    return message if isinstance(message, dict) else None


def suggest_title(
    provider: LMStudioAPIProvider, question: str, answer: str, *, model: str | None
) -> str | None:
    """A short title for a conversation that starts with ``question`` and ``answer``, written by
    ``model`` (``None``: the provider's configured model) in the conversation's language, or
    ``None`` when the server fails or what the model wrote is no title."""
    try:
        body = provider.complete(
            [{"role": "user", "content": title_prompt(question, answer)}],
            model=model,
            temperature=TITLE_TEMPERATURE,
            max_tokens=TITLE_MAX_TOKENS,
            read_timeout=TITLE_TIMEOUT,
        )
    except errors.CharlaError as exc:
        log.info("no title from the model: %s", exc.detail or exc.code)
        return None
    message = _message_of(body)
    if message is None:
        return None
    content, _reasoning = split_message(message)
    return clean_title(content)


def is_automatic_title(title: str, first_questions: Iterable[str]) -> bool:
    """Whether ``title`` is still what Charla gave the chat by itself: empty, or the first words
    of a version of its first message (the person's rename flag is checked apart)."""
    return not title or any(title == title_from_message(q) for q in first_questions)


def maybe_retitle(chat_id: int, provider: LMStudioAPIProvider, *, model: str | None) -> str | None:
    """Give chat ``chat_id`` a title written by ``model`` (``None``: the model that wrote the first
    answer, else the provider's), if its title is still the automatic first-words one and its
    selected branch starts with a question and a non-empty answer. Returns the new title, or
    ``None`` when nothing changed. Never raises: meant for a background worker."""
    try:
        return _retitle(chat_id, provider, model)
    except errors.NotFound:
        log.info("chat %s is gone: no title to write", chat_id)
    except errors.CharlaError as exc:
        log.warning("chat %s keeps its title: %s", chat_id, exc)
    except Exception:  # a bug must not break the worker that called us
        log.exception("chat %s: writing a title failed", chat_id)
    return None


def _retitle(chat_id: int, provider: LMStudioAPIProvider, model: str | None) -> str | None:
    with session_scope() as db:
        chat = ChatRepository(db).get(chat_id)
        messages = MessageRepository(db)
        first = messages.first_exchange(chat_id)
        questions = messages.first_questions(chat_id)
    if chat.title_by_user or not is_automatic_title(chat.title, questions):
        return None
    if len(first) < 2:
        return None
    question, answer = first
    if question.sender != Sender.USER or answer.sender != Sender.LLM:
        return None
    if answer.status == Status.STREAMING or not answer.content.strip():
        return None  # no answer yet, or it failed before any text: the first words stay
    title = suggest_title(provider, question.content, answer.content, model=model or answer.model)
    if title is None or title == chat.title:
        return None
    with session_scope(write=True) as db:
        replaced = ChatRepository(db).replace_automatic_title(chat_id, title, expected=chat.title)
    if not replaced:
        log.info("chat %s was renamed meanwhile: its title stays", chat_id)
        return None
    return title
