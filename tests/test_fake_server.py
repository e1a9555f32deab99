"""Self-test of the scriptable fake LLM server (tests/fakes/fake_llm_server.py).

Uses only ``http.client`` so it runs anywhere; every test is well under a second.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.fake_llm_server import FakeLLMServer, Reply

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def request(
    server: FakeLLMServer,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection; returns status, lower-cased headers and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=payload, headers=all_headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def chat(server: FakeLLMServer, **fields: Any) -> tuple[int, dict[str, str], bytes]:
    body = {"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "Hi"}]}
    body.update(fields)
    return request(server, "POST", "/v1/chat/completions", body)


def sse_data(raw: bytes) -> list[str]:
    """The ``data:`` payloads of an SSE body, checking the blank-line framing on the way."""
    text = raw.decode()
    events = text.split("\n\n")
    assert events[-1] == "", f"body does not end with a blank line: {text[-40:]!r}"
    out = []
    for event in events[:-1]:
        assert event.startswith("data: "), event
        out.append(event[len("data: ") :])
    return out


def open_stream(server: FakeLLMServer, timeout: float = 5.0) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    body = {"model": "smollm2-135m-instruct", "messages": [], "stream": True}
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body).encode())
    return conn


def test_start_stop_and_health() -> None:
    server = FakeLLMServer().start()
    assert server.url == f"http://127.0.0.1:{server.port}"
    status, _, body = request(server, "GET", "/health")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0
    with pytest.raises(ConnectionRefusedError):
        request(server, "GET", "/health")


def test_model_listings_by_flavor() -> None:
    with FakeLLMServer() as v0:
        status, _, body = request(v0, "GET", "/v1/models")
        assert status == 200
        listing = json.loads(body)
        assert listing["object"] == "list"
        assert listing["data"][0] == {
            "id": "smollm2-135m-instruct",
            "object": "model",
            "owned_by": "organization_owner",
        }
        status, _, body = request(v0, "GET", "/api/v0/models")
        first = json.loads(body)["data"][0]
        assert first["state"] == "loaded" and first["compatibility_type"] == "gguf"
        assert first["max_context_length"] == 8192
        assert request(v0, "GET", "/api/v1/models")[0] == 404
        status, _, body = request(v0, "GET", "/x")
        assert status == 404
        assert json.loads(body) == {"error": "Unexpected endpoint or method. (GET /x)"}

    with FakeLLMServer(flavor="lmstudio-v1") as v1:
        models = json.loads(request(v1, "GET", "/api/v1/models")[2])["models"]
        by_key = {m["key"]: m for m in models}
        assert by_key["smollm2-135m-instruct"]["loaded_instances"][0]["config"] == {
            "context_length": 4096
        }
        assert by_key["qwen3-8b"]["loaded_instances"] == []
        assert by_key["text-embedding-nomic-embed-text-v1.5"]["type"] == "embedding"
        assert request(v1, "GET", "/api/v0/models")[0] == 200

    with FakeLLMServer(flavor="openai", models=[{"id": "gpt-x"}]) as openai:
        assert json.loads(request(openai, "GET", "/v1/models")[2])["data"][0]["id"] == "gpt-x"
        status, _, body = request(openai, "GET", "/api/v0/models")
        assert (status, json.loads(body)) == (404, {"error": "Not found"})


def test_props_only_when_given_and_gets_recorded() -> None:
    """``/props`` is llama-server's; LM Studio answers it with its usual 404."""
    with FakeLLMServer() as lmstudio:
        status, _, body = request(lmstudio, "GET", "/props")
        assert (status, json.loads(body)) == (
            404,
            {"error": "Unexpected endpoint or method. (GET /props)"},
        )
        request(lmstudio, "GET", "/v1/models")
        request(lmstudio, "GET", "/__fake__/requests")  # control endpoints are not recorded
        assert lmstudio.gets == ["/props", "/v1/models"]
        lmstudio.reset()
        assert lmstudio.gets == []
    props = {"default_generation_settings": {"n_ctx": 2048}, "total_slots": 1}
    with FakeLLMServer(flavor="openai", props=props) as llama:
        status, _, body = request(llama, "GET", "/props")
        assert (status, json.loads(body)) == (200, props)


def test_stream_exact_sse_lines(fake: FakeLLMServer) -> None:
    fake.enqueue(Reply(chunks=["Hi", " there"], reasoning=["hmm"], finish_reason="length"))
    status, headers, raw = chat(fake, stream=True)
    assert status == 200
    assert headers["content-type"] == "text/event-stream"
    assert headers["connection"] == "close"
    data = sse_data(raw)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "reasoning_content": "hmm"},
        {"content": "Hi"},
        {"content": " there"},
        {},
    ]
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert all(c["model"] == "smollm2-135m-instruct" for c in chunks)
    assert fake.requests[0]["path"] == "/v1/chat/completions"
    assert fake.requests[0]["json"]["stream"] is True
    assert fake.requests[0]["headers"]["content-type"] == "application/json"


def test_usage_chunk_only_with_include_usage(fake: FakeLLMServer) -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    fake.enqueue(Reply(chunks=["a"], usage=usage), Reply(chunks=["a"], usage=usage))
    data = sse_data(chat(fake, stream=True, stream_options={"include_usage": True})[2])
    assert data[-1] == "[DONE]"
    last = json.loads(data[-2])
    assert last["choices"] == [] and last["usage"] == usage
    data = sse_data(chat(fake, stream=True)[2])
    assert all("usage" not in json.loads(d) for d in data[:-1])


def test_non_stream_reply(fake: FakeLLMServer) -> None:
    fake.enqueue(Reply(chunks=["4", "2"], reasoning=["r"], usage={"total_tokens": 9}))
    status, headers, raw = chat(fake)
    body = json.loads(raw)
    assert status == 200 and int(headers["content-length"]) == len(raw)
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {
        "role": "assistant",
        "content": "42",
        "reasoning_content": "r",
    }
    assert body["usage"] == {"total_tokens": 9}


def test_api_key_required() -> None:
    with FakeLLMServer(api_key="s3cret") as server:
        status, _, body = request(server, "GET", "/v1/models")
        assert status == 401
        assert json.loads(body)["error"]["code"] == "invalid_api_key"
        assert chat(server)[0] == 401
        ok = {"Authorization": "Bearer s3cret"}
        assert request(server, "GET", "/v1/models", headers=ok)[0] == 200
        assert request(server, "GET", "/v1/models", headers={"Authorization": "Bearer x"})[0] == 401
        assert server.requests[0]["headers"].get("authorization") is None


def test_enqueued_error_status(fake: FakeLLMServer) -> None:
    error = {"error": {"message": "boom", "code": "internal"}}
    fake.enqueue(Reply(status=500, body=error), Reply(status=502, body="<html>Bad</html>"))
    status, _, body = chat(fake, stream=True)
    assert (status, json.loads(body)) == (500, error)
    status, headers, body = chat(fake, stream=True)
    assert (status, body) == (502, b"<html>Bad</html>")
    assert headers["content-type"].startswith("text/html")


def test_error_frame_inside_200_stream(fake: FakeLLMServer) -> None:
    frame = {"error": {"message": "context overflow"}}
    fake.enqueue(Reply(chunks=["par"], error_frame=frame))
    status, _, raw = chat(fake, stream=True)
    data = sse_data(raw)
    assert status == 200
    assert json.loads(data[-1]) == frame
    assert "[DONE]" not in data
    assert json.loads(data[0])["choices"][0]["delta"]["content"] == "par"


def test_cut_malformed_and_no_done(fake: FakeLLMServer) -> None:
    fake.enqueue(Reply(chunks=["a", "b"], cut=True))
    data = sse_data(chat(fake, stream=True)[2])
    assert [json.loads(d)["choices"][0]["delta"]["content"] for d in data] == ["a", "b"]

    fake.enqueue(Reply(chunks=["a"], malformed=True))
    assert sse_data(chat(fake, stream=True)[2])[-2:] == ["{not json", "[DONE]"]

    fake.enqueue(Reply(chunks=["a"], no_done=True))
    data = sse_data(chat(fake, stream=True)[2])
    assert json.loads(data[-1])["choices"][0]["finish_reason"] == "stop"


def test_disconnect_counted_mid_repeat_forever(fake: FakeLLMServer) -> None:
    fake.enqueue(Reply(chunks=["tick "], repeat_forever=True))
    conn = open_stream(fake)
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.fp.readline().startswith(b"data: ")
    resp.close()
    conn.close()
    assert fake.wait_for_disconnect(timeout=2.0)
    assert fake.disconnects == 1
    fake.reset()
    assert fake.disconnects == 0 and fake.requests == []


def test_client_read_timeouts(fake: FakeLLMServer) -> None:
    fake.enqueue(Reply(delay_first=5.0))
    conn = open_stream(fake, timeout=0.2)
    with pytest.raises(TimeoutError):
        conn.getresponse()
    conn.close()
    assert fake.wait_for_disconnect(timeout=1.0)

    fake.enqueue(Reply(chunks=["a", "b"], stall_after=1))
    conn = open_stream(fake, timeout=0.2)
    resp = conn.getresponse()
    assert b'"content":"a"' in resp.fp.readline()
    resp.fp.readline()  # the blank line ending the event
    with pytest.raises(TimeoutError):
        resp.fp.readline()
    resp.close()
    conn.close()
    assert fake.wait_for_disconnect(timeout=1.0, count=2)


def test_stop_returns_fast_while_a_stream_is_stalled() -> None:
    server = FakeLLMServer().start()
    server.enqueue(Reply(chunks=["a"], stall_after=1))
    conn = open_stream(server)
    resp = conn.getresponse()
    resp.fp.readline()
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0
    resp.close()
    conn.close()


def test_builtin_models_and_bad_json(fake: FakeLLMServer) -> None:
    status, _, body = chat(fake, model="nope")
    assert status == 400
    assert json.loads(body)["error"]["code"] == "model_not_found"
    status, _, body = chat(fake, model="fake-no-model")
    assert status == 400 and json.loads(body)["error"].startswith("No models loaded")
    data = sse_data(chat(fake, model="fake-think", stream=True)[2])
    text = "".join(json.loads(d)["choices"][0]["delta"].get("content", "") for d in data[:-1])
    assert text == "<think>Let me think</think>The answer is 42."
    assert json.loads(chat(fake, model="fake-anything")[2])["model"] == "fake-anything"

    fake.enqueue(Reply(chunks=["queued"]))  # an enqueued reply wins over model checks
    assert json.loads(chat(fake, model="nope")[2])["choices"][0]["message"]["content"] == "queued"

    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        conn.request("POST", "/v1/chat/completions", body=b"{oops")
        resp = conn.getresponse()
        assert (resp.status, json.loads(resp.read())) == (
            400,
            {"error": {"message": "Invalid JSON"}},
        )
    finally:
        conn.close()


def test_control_endpoints(fake: FakeLLMServer) -> None:
    status, _, body = request(fake, "POST", "/__fake__/enqueue", [{"chunks": ["x", "y"]}])
    assert (status, json.loads(body)["enqueued"]) == (200, 1)
    assert json.loads(chat(fake)[2])["choices"][0]["message"]["content"] == "xy"
    recorded = json.loads(request(fake, "GET", "/__fake__/requests")[2])
    assert recorded[0]["json"]["model"] == "smollm2-135m-instruct"
    assert json.loads(request(fake, "GET", "/__fake__/disconnects")[2]) == {"disconnects": 0}
    assert request(fake, "POST", "/__fake__/enqueue", [{"bogus": 1}])[0] == 400
    assert request(fake, "POST", "/__fake__/reset")[0] == 200
    assert fake.requests == []


def test_standalone_process() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.fake_llm_server", "--port", str(port)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"fake llm server on http://127.0.0.1:{port}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/health")
            assert conn.getresponse().status == 200
        finally:
            conn.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=3) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
