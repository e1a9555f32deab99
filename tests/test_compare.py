"""Compare (issue 12, section 2) against the fake server, on SQLite and PostgreSQL: a comparison is
one stored question with one answer per model (versions under it), the answers run one at a time
unless asked otherwise, a model the server says is not loaded is loaded apart first where the server
says how long that took (else its first token includes the load, and it is marked so), Stop ends
every answer, "keep" turns the comparison into a normal chat, and Insights counts its answers."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from core import errors
from core.services import chats, compare, insights
from core.services.chat import ChatService
from core.services.workers import answer_workers
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

LOADED, NOT_LOADED = "smollm2-135m-instruct", "qwen3-8b"  # the fake server's list says so
DEADLINE = 30.0


def wait_until(check: object, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def service(db: str, fake_server: FakeLLMServer) -> Iterator[ChatService]:
    insights.forget()
    yield ChatService(save_interval=0.05)
    for answer_id in answer_workers.running():  # never leave a worker behind
        answer_workers.stop_here(answer_id)


def done(chat_id: int) -> compare.Comparison:
    wait_until(lambda: compare.get(chat_id).done, "every answer to end")
    return compare.get(chat_id)


def test_each_model_answers_the_prompt_one_at_a_time_and_both_are_stored(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    first = [f"a{i} " for i in range(25)]
    fake_server.enqueue(
        Reply(
            chunks=first, delay_between=0.02, usage={"prompt_tokens": 11, "completion_tokens": 25}
        ),
        Reply(chunks=["b1 ", "b2"], usage={"prompt_tokens": 11, "completion_tokens": 2}),
    )
    chat_id = compare.start(
        service, "Which is faster?", [LOADED, NOT_LOADED], system_prompt="Be brief."
    )
    # While the first model writes, the second has not been asked: its column says it waits.
    wait_until(lambda: compare.get(chat_id).answers[0].content, "the first answer's text")
    live = compare.progress(compare.get(chat_id))
    if live[0].phase != compare.DONE:
        assert len(fake_server.requests) == 1
        assert live[1].phase == compare.QUEUED and not live[1].content
    result = done(chat_id)

    assert result.kind == "comparison" and result.system_prompt == "Be brief."
    assert result.prompt.content == "Which is faster?" and result.prompt.parent_id is None
    assert [a.model for a in result.answers] == [LOADED, NOT_LOADED]
    assert [a.content for a in result.answers] == ["".join(first), "b1 b2"]
    for answer in result.answers:
        assert answer.parent_id == result.prompt.id and answer.status == "complete"
        assert answer.time_to_first_token is not None and answer.tokens_per_second
    assert [a.completion_tokens for a in result.answers] == [25, 2]
    assert [compare.cold_start(a) for a in result.answers] == [False, True]
    assert [r["json"]["model"] for r in fake_server.requests] == [LOADED, NOT_LOADED]
    for request in fake_server.requests:  # the same prompt and system prompt, nothing else
        assert request["json"]["messages"] == [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Which is faster?"},
        ]
    assert result.shortest() == result.answers[1] and result.longest() == result.answers[0]
    assert result.fastest() in result.answers and result.quickest() in result.answers

    view = chats.open_chat(chat_id)  # the first model's answer is shown until one is kept
    assert [m.id for m in view.messages] == [result.prompt.id, result.answers[0].id]
    assert view.versions[result.answers[0].id].count == 2


LOAD = 2.0  # seconds the fake server takes to load a model (LM Studio's JIT, emulated)


def _phases_until_done(chat_id: int) -> list[str]:
    """The second answer's phases as the page would see them, until every answer has ended."""
    seen: list[str] = []
    deadline = time.monotonic() + DEADLINE
    while not (comparison := compare.get(chat_id)).done:
        seen.append(compare.progress(comparison)[1].phase)
        assert time.monotonic() < deadline, "gave up waiting for every answer to end"
        time.sleep(0.02)
    return seen


@pytest.mark.parametrize(
    "fake_server", [{"flavor": "lmstudio-v1", "load_seconds": LOAD}], indirect=True
)
def test_a_model_the_server_loads_apart_first_keeps_loading_out_of_its_first_token(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(Reply(chunks=["a1 ", "a2"]), Reply(chunks=["b1 ", "b2"]))
    chat_id = compare.start(service, "Which is faster?", [LOADED, NOT_LOADED])
    phases = _phases_until_done(chat_id)
    answer = compare.get(chat_id).answers[1]
    assert compare.LOADING in phases  # the column said the model was loading
    assert fake_server.loads == [NOT_LOADED]  # loaded once, through the load endpoint, not JIT
    assert compare.load_seconds(answer) == LOAD and not compare.cold_start(answer)
    assert answer.status == "complete" and answer.content == "b1 b2"
    # The request was sent once the model was loaded: its first token did not wait for the load.
    assert answer.time_to_first_token is not None and answer.time_to_first_token < LOAD


@pytest.mark.parametrize(
    "fake_server", [{"flavor": "lmstudio-v0", "load_seconds": LOAD}], indirect=True
)
def test_a_server_that_cannot_load_apart_marks_the_first_token_as_including_the_load(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(Reply(chunks=["a1 ", "a2"]), Reply(chunks=["b1 ", "b2"]))
    chat_id = compare.start(service, "Which is faster?", [LOADED, NOT_LOADED])
    phases = _phases_until_done(chat_id)
    answer = compare.get(chat_id).answers[1]
    assert compare.LOADING in phases
    assert fake_server.loads == [NOT_LOADED]  # by the chat request itself (JIT)
    assert compare.cold_start(answer) and compare.load_seconds(answer) is None
    assert answer.time_to_first_token is not None and answer.time_to_first_token >= LOAD


def test_side_by_side_at_once_when_asked(service: ChatService, fake_server: FakeLLMServer) -> None:
    slow = Reply(chunks=[f"x{i} " for i in range(60)], delay_between=0.02)
    fake_server.enqueue(slow, Reply(chunks=[f"y{i} " for i in range(60)], delay_between=0.02))
    chat_id = compare.start(service, "Hello", [LOADED, NOT_LOADED], one_at_a_time=False)
    wait_until(lambda: len(fake_server.requests) == 2, "both requests")
    assert not compare.get(chat_id).done  # both were in flight together
    assert all(a.status == "complete" for a in done(chat_id).answers)


def test_stop_ends_the_answer_being_written_and_the_ones_waiting(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = compare.start(service, "Count", ["fake-slow", LOADED, NOT_LOADED])
    wait_until(lambda: compare.get(chat_id).answers[0].content, "text from the first model")
    compare.stop(compare.get(chat_id))
    result = done(chat_id)
    assert [a.status for a in result.answers] == ["stopped"] * 3
    assert result.answers[0].content.startswith("tick")
    assert [a.content for a in result.answers[1:]] == ["", ""]
    time.sleep(0.3)
    assert len(fake_server.requests) == 1  # the waiting models were never asked


def test_keep_turns_the_comparison_into_a_chat_showing_that_answer(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(Reply(chunks=["one"]), Reply(chunks=["two"]))
    chat_id = compare.start(service, "Pick me", [LOADED, NOT_LOADED], system_prompt="Short.")
    result = done(chat_id)
    assert chat_id in {c.id for c in compare.recent()}
    assert chat_id not in {c.id for c in chats.list_chats(include_comparisons=False)}

    compare.keep(chat_id, result.answers[1].id)
    summary = chats.get_chat(chat_id)
    assert summary.kind == "chat"
    assert (summary.settings.model, summary.settings.system_prompt) == (NOT_LOADED, "Short.")
    view = chats.open_chat(chat_id)
    assert [m.content for m in view.messages] == ["Pick me", "two"]
    assert view.versions[result.answers[1].id].index == 2  # the other answer stays a version
    assert chat_id in {c.id for c in chats.list_chats(include_comparisons=False)}
    assert chat_id not in {c.id for c in compare.recent()}

    fake_server.enqueue(Reply(chunks=["three"]))  # the chat goes on with the kept model
    service.send(chat_id, "And then?").consume()
    assert fake_server.requests[-1]["json"]["model"] == NOT_LOADED
    assert [m["content"] for m in fake_server.requests[-1]["json"]["messages"]] == [
        "Short.", "Pick me", "two", "And then?",
    ]  # fmt: skip


def test_a_comparison_needs_two_to_four_different_models(service: ChatService) -> None:
    for models in ([LOADED], [LOADED, LOADED], ["a", "b", "c", "d", "e"]):
        with pytest.raises(errors.InputError) as caught:
            compare.start(service, "Hi", models)
        assert caught.value.reason == "compare.need_models"
    with pytest.raises(errors.InputError):
        compare.start(service, "   ", [LOADED, NOT_LOADED])
    assert not compare.recent()


def test_insights_and_history_count_the_comparisons_answers(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(Reply(chunks=["one"]), Reply(chunks=["two"]))
    chat_id = done(compare.start(service, "Count us", [LOADED, NOT_LOADED])).chat_id
    view = insights.overview(insights.InsightsFilter())
    assert (view.answers, view.questions, view.chats) == (2, 1, 1)
    assert [m.model for m in view.models] == sorted([LOADED, NOT_LOADED])
    assert chat_id in {c.id for c in chats.list_chats()}  # History lists every chat
