"""Answers generated apart from the page (issue 9, section 1), against the fake server and both
databases: the worker goes on when its followers leave, followers see the same text, Stop works
from any thread and from another process (the database flag), a chat takes one answer at a time,
a dead writer never blocks a chat, and a fast answer reaches a follower in a few frames.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from socket import gethostname

import pytest
from sqlalchemy import update

from core import errors
from core.conf.db import session_scope
from core.models import Message
from core.repositories.messages import MessageRepository
from core.services import workers
from core.services.chat import ChatService
from core.services.chats import new_chat
from core.services.live import Frame
from core.services.workers import answer_workers, follow, request_stop
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

DEADLINE = 30.0  # seconds: a generous limit for anything that should happen "at once"


def row(answer_id: int) -> Message:
    with session_scope() as db:
        found = db.get(Message, answer_id)
        assert found is not None
        return found


def wait_until(check: object, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def service(db: str, fake_server: FakeLLMServer) -> Iterator[ChatService]:
    yield ChatService(save_interval=0.05)
    for answer_id in answer_workers.running():  # never leave a worker behind
        answer_workers.stop_here(answer_id)


def started(service: ChatService, chat_id: int, text: str = "Hola") -> int:
    reply = service.send(chat_id, text)
    answer_workers.start(reply)
    return reply.answer_id


def test_the_answer_goes_on_when_its_follower_leaves(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chunks = [f"w{i} " for i in range(40)]
    fake_server.enqueue(Reply(chunks=chunks, delay_between=0.02))
    answer_id = started(service, new_chat())
    frames = follow(answer_id)
    first = next(frames)
    frames.close()  # the page went away: a reload, another chat, a closed tab
    assert not first.done
    wait_until(lambda: row(answer_id).status != "streaming", "the answer to end")
    assert (row(answer_id).status, row(answer_id).content) == ("complete", "".join(chunks))
    assert fake_server.disconnects == 0  # nobody hung up on the server


def test_two_followers_see_the_same_answer(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(Reply(chunks=[f"t{i} " for i in range(30)], delay_between=0.01))
    answer_id = started(service, new_chat())
    seen: dict[str, list[Frame]] = {"a": [], "b": []}

    def watch(name: str) -> None:
        seen[name].extend(follow(answer_id))

    threads = [threading.Thread(target=watch, args=(name,)) for name in seen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    final = row(answer_id).content
    for frames in seen.values():
        assert frames[-1].done and frames[-1].content == final
        lengths = [len(f.content) for f in frames]
        assert lengths == sorted(lengths)  # the text only grows


def test_stop_ends_the_answer_at_once_with_what_arrived(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(Reply(chunks=["uno ", "dos ", "tres "], delay_between=30))
    answer_id = started(service, new_chat())
    wait_until(lambda: answer_workers.get(answer_id).live.content, "the first word")  # type: ignore[union-attr]
    request_stop(answer_id)  # returns once the row is final
    stopped = row(answer_id)
    assert (stopped.status, stopped.content) == ("stopped", "uno ")
    assert fake_server.wait_for_disconnect(DEADLINE)  # the server was told to stop generating
    wait_until(lambda: answer_workers.get(answer_id) is None, "the worker to end")


def test_stop_while_the_model_still_reads_the_prompt(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    """Stop before the first token: the row is final at once, even while the worker is blocked
    waiting for the server's first byte; the worker then writes nothing more."""
    fake_server.enqueue(Reply(chunks=["late"], delay_first=3))
    answer_id = started(service, new_chat())
    time.sleep(0.3)
    request_stop(answer_id)
    stopped = row(answer_id)
    assert (stopped.status, stopped.content) == ("stopped", "")
    wait_until(lambda: answer_workers.get(answer_id) is None, "the worker to end")
    assert row(answer_id).status == "stopped"  # the late first token changed nothing


def test_a_stop_asked_in_the_database_reaches_the_worker(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    """Another app process asks to stop by setting the row's flag; this process's watcher sees it."""
    fake_server.enqueue(Reply(chunks=["a ", "b ", "c "], delay_between=30))
    answer_id = started(service, new_chat())
    wait_until(lambda: answer_workers.get(answer_id).live.content, "the first word")  # type: ignore[union-attr]
    with session_scope(write=True) as db:
        db.execute(update(Message).where(Message.id == answer_id).values(stop_requested=True))
    wait_until(lambda: row(answer_id).status == "stopped", "the worker to stop")
    assert row(answer_id).content == "a "


def test_a_follower_in_another_process_reads_the_row(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    """A page in another process has no worker to wait on: it follows the saved row."""
    chunks = [f"r{i} " for i in range(20)]
    fake_server.enqueue(Reply(chunks=chunks, delay_between=0.05))
    reply = service.send(new_chat(), "Hola")
    threading.Thread(target=reply.consume).start()  # written here, not registered as a worker
    frames = list(follow(reply.answer_id, poll=0.05))
    assert frames[-1].done and frames[-1].content == "".join(chunks)
    assert len(frames) > 2  # it grew on the way


def test_a_chat_takes_one_answer_at_a_time(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(Reply(chunks=["slow "] * 3, delay_between=30))
    busy, other = new_chat(), new_chat()
    answer_id = started(service, busy)
    with pytest.raises(errors.InputError) as refused:
        service.send(busy, "¿Y ahora?")
    assert refused.value.reason == "input.chat_busy"
    assert "still answering" in refused.value.user_message("en")
    with session_scope() as db:
        assert MessageRepository(db).list_for_chat(busy)[0].content == "Hola"
        assert len(MessageRepository(db).list_for_chat(busy)) == 2  # nothing new was stored
    # Another chat answers meanwhile.
    fake_server.enqueue(Reply(chunks=["sí"]))
    assert service.send(other, "¿Y aquí?").consume().status == "complete"
    request_stop(answer_id)
    assert service.send(busy, "¿Y ahora?").consume().status == "complete"


def test_a_dead_writer_never_blocks_a_chat(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    with session_scope(write=True) as db:
        repo = MessageRepository(db)
        repo.create_message(chat_id, "user", "¿Hola?")
        dead = repo.create_message(
            chat_id, "llm", "medio", status="streaming", writer=f"{gethostname()}:999999:1"
        )  # this host, a process that no longer exists
    assert service.send(chat_id, "¿Sigues?").consume().status == "complete"
    assert row(dead.id).status == "stopped" and row(dead.id).error_code == "error.interrupted"


def test_a_fast_answer_reaches_a_follower_in_a_few_frames(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chunks = [f"{i % 10}" for i in range(4000)]
    fake_server.enqueue(Reply(chunks=chunks))
    answer_id = started(service, new_chat())
    frames = list(follow(answer_id))
    assert frames[-1].content == "".join(chunks)
    assert len(frames) < 100  # coalesced: far fewer updates than tokens
    assert workers.FRAME <= 0.1
