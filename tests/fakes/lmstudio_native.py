"""LM Studio 0.4's model lifecycle for the fake server: ``POST /api/v1/models/load`` and ``/unload``.

Kept apart from :mod:`tests.fakes.fake_llm_server` (which routes these two paths here) so the
fake's chat machinery and this bookkeeping stay readable. Shapes follow LM Studio's developer docs
(``lmstudio-api.md``): load ``{model, context_length?}`` → ``{type, instance_id,
load_time_seconds, status: "loaded"}``; unload ``{instance_id}`` → ``{instance_id}``.

Scripting, on the :class:`~tests.fakes.fake_llm_server.FakeLLMServer`:

- ``load_time`` — the ``load_time_seconds`` reported (nothing is actually waited for, so tests
  never depend on the machine's speed); ``load_delay`` — seconds a load really takes (a browser
  test that wants to see the progress);
- ``load_faults`` — a queue of ``(status, body)`` answers the next loads get instead (LM Studio's
  out-of-memory failure: :data:`OUT_OF_MEMORY`);
- ``lifecycle_requests`` — every load/unload body received, in order.

Unknown models get LM Studio's ``model_not_found`` error; a load sets the model ``loaded`` with the
asked context length, an unload sets it ``not-loaded``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.fake_llm_server import FakeLLMServer

LOAD_PATH = "/api/v1/models/load"
UNLOAD_PATH = "/api/v1/models/unload"
PATHS = (LOAD_PATH, UNLOAD_PATH)
DEFAULT_LOADED_CONTEXT = 4096

OUT_OF_MEMORY: tuple[int, dict[str, Any]] = (
    500,
    {
        "error": {
            "message": 'Failed to load model "qwen3-8b". Error: Model loading aborted due to '
            "insufficient system resources. Overloading the system will likely cause it to freeze.",
            "type": "model_load_failed",
        }
    },
)


def _not_found(model: str) -> tuple[int, dict[str, Any]]:
    message = f'Invalid model identifier "{model}". Please specify a valid downloaded model.'
    return 404, {"error": {"message": message, "type": "invalid_request_error",
                           "code": "model_not_found"}}  # fmt: skip


def handle(fake: FakeLLMServer, path: str, request: Any) -> tuple[int, dict[str, Any]]:
    """The answer to a load or unload request."""
    body = request if isinstance(request, dict) else {}
    with fake._lock:
        fake.lifecycle_requests.append({"path": path, "json": request})
        fault = fake.load_faults.popleft() if fake.load_faults and path == LOAD_PATH else None
    if fault is not None:
        return fault
    if path == LOAD_PATH:
        model = str(body.get("model") or "")
        found = next((m for m in fake.models if m["id"] == model), None)
        if found is None:
            return _not_found(model)
        if fake.load_delay > 0:
            fake._stopping.wait(fake.load_delay)
        context = body.get("context_length")
        found["state"] = "loaded"
        found["loaded_context_length"] = (
            context if isinstance(context, int) else (DEFAULT_LOADED_CONTEXT)
        )
        return 200, {"type": "llm", "instance_id": model, "status": "loaded",
                     "load_time_seconds": fake.load_time}  # fmt: skip
    instance = str(body.get("instance_id") or "")
    found = next((m for m in fake.models if m["id"] == instance and m["state"] == "loaded"), None)
    if found is None:
        return 404, {"error": {"message": f'No loaded model with instance id "{instance}".'}}
    found["state"] = "not-loaded"
    found.pop("loaded_context_length", None)
    return 200, {"instance_id": instance}
