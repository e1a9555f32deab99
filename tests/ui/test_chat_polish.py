"""Issue 9 §3 without a browser: the day buckets (pure, exact cases across midnight and DST), the
sidebar's day headers in the zone ``st.context`` reports, a copy button holding each message's
exact text, and a person's message shown as typed.

The browser half (clicking Copy and reading the clipboard, switching chats while an answer
streams) is in ``tests/e2e/test_browser_polish.py``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from core.conf.db import session_scope
from core.models import Chat
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from tests.ui.conftest import literal_texts, reset_process_state, shown_text, stored_messages
from ui import copy_button, dates
from ui.dates import Bucket

MADRID = ZoneInfo("Europe/Madrid")
LA = ZoneInfo("America/Los_Angeles")
TONGA = ZoneInfo("Pacific/Tongatapu")  # UTC+13, no DST

LITERAL = "# Title\n*not italic*\n1. not a list"
TRICKY = (
    "He said \"hi\" & 'bye'\n<script>alert(1)</script> --> ]]>\n  café 😀\n\n:red[no] $x$ :smile:"
)


def local(zone: tzinfo, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=zone)  # type: ignore[misc]


# --- ui.dates: exact cases ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("moment", "now", "zone", "bucket"),
    [
        # Across midnight: a minute apart, different days.
        (local(MADRID, 2025, 6, 1, 23, 59), local(MADRID, 2025, 6, 2, 0, 1), MADRID, "yesterday"),
        (local(MADRID, 2025, 6, 2, 0, 0), local(MADRID, 2025, 6, 2, 23, 59), MADRID, "today"),
        # Madrid, clocks forward (2025-03-30 has 23 h): 23 h 20 min ago is already yesterday…
        (local(MADRID, 2025, 3, 30, 0, 10), local(MADRID, 2025, 3, 31, 0, 30), MADRID, "yesterday"),
        # …and clocks back (2025-10-26 has 25 h): 24 h 45 min ago is still today (UTC: yesterday).
        (local(MADRID, 2025, 10, 26, 0, 5), local(MADRID, 2025, 10, 26, 23, 50), MADRID, "today"),
        # The repeated hour 02:00-03:00 of that night, second time round, is that day too.
        (
            local(MADRID, 2025, 10, 26, 2, 30).replace(fold=1),
            local(MADRID, 2025, 10, 27, 9, 0),
            MADRID,
            "yesterday",
        ),
        # Los Angeles: the whole short day is today; one second before midnight is yesterday
        # (UTC would say the opposite of both).
        (local(LA, 2025, 3, 9, 0, 1), local(LA, 2025, 3, 9, 23, 59), LA, "today"),
        (local(LA, 2025, 11, 2, 23, 59, 59), local(LA, 2025, 11, 3, 0, 0, 30), LA, "yesterday"),
        # +13:00: half past midnight in Tonga is 11:30 UTC the day before.
        (local(TONGA, 2025, 6, 14, 23, 0), local(TONGA, 2025, 6, 15, 0, 30), TONGA, "yesterday"),
        (local(TONGA, 2025, 6, 15, 0, 1), local(TONGA, 2025, 6, 15, 0, 30), TONGA, "today"),
        # The week: 2 to 7 calendar days back; 8 is older.
        (local(MADRID, 2025, 6, 8, 23, 59), local(MADRID, 2025, 6, 10, 0, 1), MADRID, "week"),
        (local(MADRID, 2025, 6, 3, 0, 0), local(MADRID, 2025, 6, 10, 23, 59), MADRID, "week"),
        (local(MADRID, 2025, 6, 2, 23, 59), local(MADRID, 2025, 6, 10, 0, 0), MADRID, "older"),
        # A moment a little in the future (another machine's clock) is today.
        (local(MADRID, 2025, 6, 11, 0, 5), local(MADRID, 2025, 6, 10, 23, 59), MADRID, "today"),
    ],
)
def test_day_bucket_counts_calendar_days_in_the_zone(
    moment: datetime, now: datetime, zone: tzinfo, bucket: str
) -> None:
    assert dates.day_bucket(moment, now, zone) == bucket
    # The same instants given in UTC (as the database returns them) give the same answer.
    assert dates.day_bucket(moment.astimezone(UTC), now.astimezone(UTC), zone) == bucket


def test_the_zone_decides_and_utc_would_be_wrong() -> None:
    moment = local(TONGA, 2025, 6, 14, 23, 0)  # 10:00 UTC on the 14th
    now = local(TONGA, 2025, 6, 15, 0, 30)  # 11:30 UTC on the 14th
    assert dates.day_bucket(moment, now, TONGA) == Bucket.YESTERDAY
    assert dates.day_bucket(moment, now, UTC) == Bucket.TODAY
    # A naive datetime is UTC, as SQLite hands it back.
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    assert dates.day_bucket(naive, now, TONGA) == Bucket.YESTERDAY


def test_zone_from_prefers_the_name_then_the_offset_then_utc() -> None:
    assert dates.zone_from("Europe/Madrid", -120) == MADRID
    # JavaScript's getTimezoneOffset(): minutes *behind* UTC, so -780 is UTC+13.
    plus13 = dates.zone_from(None, -780)
    assert plus13.utcoffset(None) == timedelta(hours=13)
    assert dates.zone_from("Mars/Olympus_Mons", 60) == timezone(timedelta(hours=-1))
    assert dates.zone_from("../../etc/passwd", None) == UTC  # malformed: not a path lookup
    assert dates.zone_from("", None) == UTC
    assert dates.zone_from(None, None) == UTC
    assert dates.zone_from(None, 24 * 60) == UTC  # not an offset a browser sends
    # The offset zone gives the Tonga answer too.
    moment, now = local(TONGA, 2025, 6, 14, 23, 0), local(TONGA, 2025, 6, 15, 0, 30)
    assert dates.day_bucket(moment, now, plus13) == Bucket.YESTERDAY


def test_group_by_day_keeps_the_group_order_and_the_item_order() -> None:
    now = local(MADRID, 2025, 6, 10, 12, 0)
    items = [
        ("b", local(MADRID, 2025, 6, 10, 9, 0)),
        ("old", local(MADRID, 2025, 1, 1, 9, 0)),
        ("a", local(MADRID, 2025, 6, 10, 11, 0)),
        ("week", local(MADRID, 2025, 6, 5, 9, 0)),
    ]
    groups = dates.group_by_day(items, lambda item: item[1], now, MADRID)
    assert [(bucket, [name for name, _ in members]) for bucket, members in groups] == [
        (Bucket.TODAY, ["b", "a"]),
        (Bucket.WEEK, ["week"]),
        (Bucket.OLDER, ["old"]),
    ]  # no empty "Yesterday"
    assert dates.group_by_day([], lambda item: item, now, MADRID) == []


# --- the sidebar --------------------------------------------------------------------------------
HEADERS = {
    "en": ["Today", "Yesterday", "Previous 7 days", "Older"],
    "es": ["Hoy", "Ayer", "Últimos 7 días", "Anteriores"],
}


def _chat_at(title: str, last_activity: datetime) -> int:
    with session_scope(write=True) as db:
        chat_id = ChatRepository(db).create(title).id
        db.execute(update(Chat).where(Chat.id == chat_id).values(last_activity=last_activity))
    return chat_id


def _away_from_midnight(zone: tzinfo) -> datetime:
    """Now, after waiting out the last half minute of a day in ``zone`` (so the test's "today"
    is still today when the page runs)."""
    now = datetime.now(zone)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), zone)
    if (midnight - now).total_seconds() < 30:
        time.sleep((midnight - now).total_seconds() + 1)
    return datetime.now(UTC)


def _noon(now: datetime, zone: tzinfo, days_back: int) -> datetime:
    day = now.astimezone(zone).date() - timedelta(days=days_back)
    return datetime(day.year, day.month, day.day, 12, tzinfo=zone)


def sidebar_list(at: Any, lang: str = "en") -> list[str]:
    """The sidebar's day headers and chat buttons, in order."""
    found = []
    for node in at.sidebar:
        if node.type == "caption" and node.value in HEADERS[lang]:
            found.append(node.value)
        elif node.type == "button" and node.key and node.key.removeprefix("chat-").isdigit():
            found.append(node.label)
    return found


def test_the_sidebar_groups_chats_by_day_in_the_browsers_zone(app_db: None, page: Any) -> None:
    now = _away_from_midnight(MADRID)
    _chat_at("Older chat", _noon(now, MADRID, 40))
    _chat_at("Last week", _noon(now, MADRID, 4))
    _chat_at("Yesterday noon", _noon(now, MADRID, 1))
    _chat_at("Earlier today", now - timedelta(seconds=1))
    _chat_at("Just now", now)
    at = page("chat")
    at.context["timezone"] = "Europe/Madrid"
    at.run()
    assert not at.exception

    assert sidebar_list(at) == [
        "Today",
        "Just now",
        "Earlier today",
        "Yesterday",
        "Yesterday noon",
        "Previous 7 days",
        "Last week",
        "Older",
        "Older chat",
    ]


def _offset_where_now_is(now: datetime, hour: int, minute: int) -> int:
    """``st.context.timezone_offset`` (minutes behind UTC) of a zone where it is now hh:mm."""
    shift = (hour * 60 + minute - (now.hour * 60 + now.minute)) % (24 * 60)
    shift = shift - 24 * 60 if shift > 14 * 60 else shift
    return -shift


def test_the_offset_alone_decides_the_day_and_headers_are_translated(
    app_db: None, page: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("APP_LANGUAGE", "es")
    reset_process_state()
    now = datetime.now(UTC)
    _chat_at("Hace una hora", now - timedelta(hours=1))

    def shown_at(hour: int, minute: int) -> list[str]:
        at = page("chat")
        at.context["timezone_offset"] = _offset_where_now_is(now, hour, minute)
        at.run()
        assert not at.exception
        return sidebar_list(at, "es")

    # The same chat: at 00:30 local, an hour ago was yesterday; at 01:30, it was today.
    assert shown_at(0, 30) == ["Ayer", "Hace una hora"]
    assert shown_at(1, 30) == ["Hoy", "Hace una hora"]


def test_paging_still_works_under_the_headers(app_db: None, page: Any) -> None:
    now = datetime.now(UTC)
    for i in range(35):
        _chat_at(f"Chat {i}", now - timedelta(days=i))
    at = page("chat").run()
    assert len([x for x in sidebar_list(at) if x.startswith("Chat")]) == 30
    at.sidebar.button(key="chat-more").click().run()
    listed = sidebar_list(at)
    assert [x for x in listed if x.startswith("Chat")] == [f"Chat {i}" for i in range(35)]
    assert [x for x in listed if not x.startswith("Chat")] == HEADERS["en"]
    assert not [b for b in at.sidebar.button if b.key == "chat-more"]


# --- the copy button and literal text -----------------------------------------------------------
class _CopyButtons(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.buttons: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "button" and copy_button.ATTRIBUTE in dict(attrs):
            self.buttons.append(dict(attrs))


def copy_buttons(bubble: Any) -> list[dict[str, str | None]]:
    found = []
    for element in bubble.html:
        parser = _CopyButtons()
        parser.feed(element.value)
        if parser.buttons:
            assert element.proto.unsafe_allow_javascript is True
            assert TRICKY not in element.value and "alert(1)" not in element.value
        found += parser.buttons
    return found


def _stored_chat(*texts: tuple[str, str]) -> int:
    with session_scope(write=True) as db:
        chat_id = ChatRepository(db).create("Polish").id
        messages = MessageRepository(db)
        for sender, text in texts:
            messages.create_message(
                chat_id, sender, text, reasoning="hmm" if sender == "llm" else ""
            )
    return chat_id


def test_every_message_has_a_copy_button_holding_its_exact_text(app_db: None, page: Any) -> None:
    answer = "**Bold** and `code`\n\n    indented\n<script>alert(1)</script>"
    chat_id = _stored_chat(("user", TRICKY), ("llm", answer), ("user", LITERAL), ("llm", "ok"))
    at = page("chat", chat=str(chat_id)).run()
    assert not at.exception

    stored = stored_messages(chat_id)
    assert len(at.chat_message) == len(stored) == 4
    for bubble, message in zip(at.chat_message, stored, strict=True):
        (button,) = copy_buttons(bubble)
        assert copy_button.decode(button[copy_button.ATTRIBUTE] or "") == message.content
        assert (button["title"], button["data-copied"]) == ("Copy this message", "Copied")


def test_history_read_only_view_has_copy_buttons_in_spanish(
    app_db: None, page: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("APP_LANGUAGE", "es")
    reset_process_state()
    chat_id = _stored_chat(("user", LITERAL), ("llm", "Respuesta con *Markdown*"))
    at = page("history").run()
    at.selectbox(key="hist.pick").set_value(chat_id).run()
    assert not at.exception
    buttons = [copy_buttons(bubble) for bubble in at.chat_message]
    assert [copy_button.decode(b[copy_button.ATTRIBUTE] or "") for (b,) in buttons] == [
        LITERAL,
        "Respuesta con *Markdown*",
    ]
    assert {(b["data-label"], b["title"], b["data-copied"]) for (b,) in buttons} == {
        ("Copiar", "Copiar este mensaje", "Copiado")
    }
    assert shown_text(at.chat_message[0]) == LITERAL


def test_a_persons_message_is_shown_literally_and_an_answer_as_markdown(
    app_db: None, page: Any
) -> None:
    spaced = "  two leading spaces\n\tand a tab,   three gaps\n\n\nafter two blank lines"
    chat_id = _stored_chat(("user", LITERAL), ("llm", "# A real heading"), ("user", spaced))
    at = page("chat", chat=str(chat_id)).run()
    first, answer, second = at.chat_message

    assert literal_texts(first) == [LITERAL] and not first.markdown  # no Markdown at all
    assert literal_texts(second) == [spaced]  # whitespace survives st.html's dedent and strip
    (shown,) = [h for h in first.html if "charla-literal" in h.value]
    assert shown.proto.unsafe_allow_javascript is False
    assert "\n" not in shown.value and "<script" not in shown.value
    assert shown_text(answer) == "# A real heading"  # answers stay Markdown


def test_markup_in_a_persons_message_is_escaped(app_db: None, page: Any) -> None:
    chat_id = _stored_chat(("user", TRICKY))
    at = page("chat", chat=str(chat_id)).run()
    (bubble,) = at.chat_message
    assert shown_text(bubble) == TRICKY
    body = next(h.value for h in bubble.html if "charla-literal" in h.value)
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
