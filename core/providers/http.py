"""HTTP plumbing shared by both faces of the provider: clients, headers, timeouts, TLS, retries.

Design (httpx's ``BaseClient``/``Client``/``AsyncClient``, openai-python's retry loop):
:class:`HTTPBase` owns everything but I/O — the address, the headers, the timeouts, the one
:class:`RetryPolicy`, and the decision taken after every failed attempt (wait this long, or give up
with this :mod:`core.errors` error). :class:`SyncHTTP` and :class:`AsyncHTTP` only add the sends: a
short loop that sends, and on failure asks the base what to do. A change to what is retried or how
long to wait is made once, in the base, and both faces get it.

Client lifetimes: the sync ``httpx.Client`` is built once and shared (it is thread-safe and keeps
connections alive). An ``httpx.AsyncClient``'s connections belong to the event loop that opened them,
and the seed calls ``asyncio.run`` once per example, so each async call opens a short-lived client;
they all share one SSL context, which is what makes building a client cost ~20 ms.

Timeouts: a short connect timeout, and a long read timeout for every wait for the first or next
chunk (LM Studio may be loading the model just in time). httpcore fixes a response body's read
timeout when the body starts, so one value covers both waits; the user can always press Stop.

Retries: at most ``max_retries`` (2), with exponential backoff and jitter, only for failures before
the server could have started on the request (no connection) and for 5xx answers. A 4xx is the
server's considered answer and is never retried; a timeout is not either (the server may be busy
with it). A response that has been handed back is never re-sent: a stream that began is not re-run.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Final

import httpx

from core.providers import translate
from core.providers.translate import Where
from core.vocab import CONNECT_TIMEOUT, READ_TIMEOUT, WRITE_TIMEOUT

DEFAULT_URL: Final = "http://127.0.0.1:1234"  # LM Studio's default server address
DEFAULT_MAX_RETRIES: Final = 2

_ssl_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """One SSL context for every client this process builds (building one costs ~20 ms)."""
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


def normalize_base_url(url: str) -> str:
    """The server's root: users often paste the OpenAI base URL (``…/v1``); paths add it."""
    url = url.rstrip("/")
    return url[:-3] if url.endswith("/v1") else url


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait: to connect, for each chunk (the first one included), to send the request."""

    connect: float = CONNECT_TIMEOUT
    read: float = READ_TIMEOUT
    write: float = WRITE_TIMEOUT

    def for_httpx(self) -> httpx.Timeout:
        # Waiting for a pooled connection is part of connecting, as far as the user can tell.
        return httpx.Timeout(
            connect=self.connect, read=self.read, write=self.write, pool=self.connect
        )


@dataclass(frozen=True)
class RetryPolicy:
    """What is retried, how often, and after how long."""

    max_retries: int = DEFAULT_MAX_RETRIES
    backoff: float = 0.25  # seconds before the first retry; doubled for each next one

    @staticmethod
    def retriable(failure: httpx.HTTPError | httpx.Response) -> bool:
        if isinstance(failure, httpx.Response):
            return failure.status_code >= 500
        # Only failures before the server could have started working on the request.
        return isinstance(
            failure, (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)
        )

    def delay(self, attempt: int) -> float:
        """Seconds before retry number ``attempt + 1``: exponential, with jitter so that several
        clients that failed together do not all come back at the same instant."""
        return float(self.backoff * (2**attempt) * (0.5 + random.random()))


class HTTPBase:
    """Everything about talking to one server except the I/O itself."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self._api_key = api_key or None
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()

    @property
    def has_api_key(self) -> bool:
        return self._api_key is not None

    def where(self, model: str | None) -> Where:
        """What an error about a request for ``model`` names (and scrubs)."""
        return Where(self.base_url, model or "", self._api_key)

    def _client_options(self) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        return {
            "base_url": self.base_url,
            "headers": headers,
            "timeout": self.timeouts.for_httpx(),
            "verify": shared_ssl_context(),
        }

    def _wait_or_raise(
        self,
        attempt: int,
        retries: int | None,
        where: Where,
        failure: httpx.HTTPError | httpx.Response,
        body: bytes = b"",
    ) -> float:
        """After a failed attempt: the seconds to wait before the next one, or raise the
        :mod:`core.errors` error that ends the request. ``body`` is a refused response's body."""
        allowed = self.retry.max_retries if retries is None else retries
        if attempt < allowed and self.retry.retriable(failure):
            return self.retry.delay(attempt)
        if isinstance(failure, httpx.Response):
            raise translate.from_response(failure, body.decode("utf-8", "replace"), where)
        raise translate.from_transport(failure, where, started=False) from failure


class SyncHTTP(HTTPBase):
    """The app's face: one pooled, thread-safe ``httpx.Client``, built on first use."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, api_key=api_key, timeouts=timeouts, retry=retry)
        self._transport = transport  # the test seam (httpx.MockTransport)
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = httpx.Client(transport=self._transport, **self._client_options())
        return self._client

    def open(
        self,
        method: str,
        path: str,
        where: Where,
        payload: dict[str, Any] | None = None,
        *,
        retries: int | None = None,
        read_timeout: float | None = None,
    ) -> httpx.Response:
        """Send a request; return the response with its body unread (the caller closes it).

        ``retries`` defaults to the policy's; look-ups pass 0: a status badge must answer at once,
        and the user can ask again. ``read_timeout`` replaces the configured read timeout for this
        request (a side request that must not wait as long as an answer).
        """
        client = self.client
        timeouts = (
            self.timeouts if read_timeout is None else replace(self.timeouts, read=read_timeout)
        )
        request = client.build_request(method, path, json=payload, timeout=timeouts.for_httpx())
        attempt = 0
        while True:
            try:
                response = client.send(request, stream=True)
            except httpx.HTTPError as exc:
                time.sleep(self._wait_or_raise(attempt, retries, where, exc))
            else:
                if response.status_code < 400:
                    return response
                try:
                    body = response.read()
                except httpx.HTTPError:
                    body = b""
                finally:
                    response.close()
                time.sleep(self._wait_or_raise(attempt, retries, where, response, body))
            attempt += 1

    def close(self) -> None:
        """Close the pooled client; the next request builds a new one."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


class AsyncHTTP(HTTPBase):
    """The seed's face: a short-lived ``httpx.AsyncClient`` per call (one event loop per call)."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, api_key=api_key, timeouts=timeouts, retry=retry)
        self._transport = transport

    def client(self) -> httpx.AsyncClient:
        """A new client for one call; use it in ``async with``."""
        return httpx.AsyncClient(transport=self._transport, **self._client_options())

    async def open(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        where: Where,
        payload: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """As :meth:`SyncHTTP.open`, on ``client``."""
        request = client.build_request(method, path, json=payload)
        attempt = 0
        while True:
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                await asyncio.sleep(self._wait_or_raise(attempt, None, where, exc))
            else:
                if response.status_code < 400:
                    return response
                try:
                    body = await response.aread()
                except httpx.HTTPError:
                    body = b""
                finally:
                    await response.aclose()
                await asyncio.sleep(self._wait_or_raise(attempt, None, where, response, body))
            attempt += 1
