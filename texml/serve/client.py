"""The Call Control API client of `texml serve`, on aiohttp.

Every command carries a `command_id` (made by the session, and the same on every attempt), so
Call Control carries out a command once however many times it is sent. That makes retrying
safe: a reply that is 5xx, 408 or 429, or that does not come within `reply_timeout` (500 ms), is
sent again after a backoff (doubling from `backoff`, with jitter; a 429's `Retry-After` is
honoured up to the deadline), at most `max_attempts` times and within `deadline` seconds. Each
attempt waits twice as long as the one before it for its reply (500 ms, 1 s, 2 s...), so that
an API that is slow rather than gone still answers. Any other 4xx is final: it goes back to
the session, which takes the call's error path.

Commands are the busiest requests texml makes (about one for every other webhook), so they go
through aiohttp's client directly: per request it costs a third of what httpx on aiohttp costs,
and httpx's own pool (httpcore) slows down as more connections are open (see README,
Performance). A `transport` (an `httpx.AsyncBaseTransport`, such as `httpx.MockTransport`)
sends them through httpx instead: the tests use it to script Call Control's replies; the retry
policy above is the same code either way.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import orjson

from texml.serve.apphttp import read_bounded

REPLY_TIMEOUT = 0.5  # seconds: no reply by then counts as a failed attempt
MAX_ATTEMPTS = 5
DEADLINE = 10.0  # seconds for all attempts together
BACKOFF = 0.05  # seconds before the second attempt; doubles after each
MAX_CONNECTIONS = 200  # to the Call Control API at once
MAX_REPLY_BYTES = 1_000_000  # of a reply read; Call Control's are a few hundred bytes


@dataclass(frozen=True)
class CommandOutcome:
    """What became of a command. `status` 0: no reply at all (every attempt timed out or
    failed to connect). `final` False never leaves the client: it retries those itself."""

    status: int
    data: Any  # the reply's `data` (or the whole JSON when it has none)
    detail: str  # Telnyx's error text, or why there was no reply
    attempts: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def retryable(status: int) -> bool:
    return status in (408, 429) or status >= 500


class CallControlClient:
    def __init__(self, api_base: str, api_key: str | None, *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 reply_timeout: float = REPLY_TIMEOUT, max_attempts: int = MAX_ATTEMPTS,
                 deadline: float = DEADLINE, backoff: float = BACKOFF,
                 on_retry: Callable[[str, int, str], None] | None = None,
                 sleep: Callable[[float], Any] = asyncio.sleep) -> None:  # fmt: skip
        self.headers = {"User-Agent": "texml", "Accept": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.base = api_base.rstrip("/")
        self._transport = transport
        self._httpx: httpx.AsyncClient | None = None
        self._session: aiohttp.ClientSession | None = None
        self.reply_timeout = reply_timeout
        self.max_attempts = max_attempts
        self.deadline = deadline
        self.backoff = backoff
        self.on_retry = on_retry  # (path, attempt, why) for metrics and logs
        self._sleep = sleep

    async def send(self, method: str, path: str, body: Mapping[str, Any] | None) -> CommandOutcome:
        """Send one command until it has a final answer, or the bound is reached."""
        start = time.monotonic()
        delay = self.backoff
        status, data, detail = 0, None, ""
        for attempt in range(1, self.max_attempts + 1):
            left = self.deadline - (time.monotonic() - start)
            patience = min(self.reply_timeout * 2 ** (attempt - 1), max(left, self.reply_timeout))
            status, data, detail, retry_after = await self._attempt(method, path, body, patience)
            if not retryable(status) and status != 0:
                return CommandOutcome(status, data, detail, attempt)
            wait = delay * (1 + random.random() / 2)
            if retry_after is not None:
                wait = max(wait, retry_after)
            left = self.deadline - (time.monotonic() - start)
            if attempt == self.max_attempts or wait + self.reply_timeout > left:
                why = detail or f"HTTP {status}"
                return CommandOutcome(status, data, f"gave up after {attempt} attempts: {why}", attempt)
            if self.on_retry is not None:
                self.on_retry(path, attempt, detail or f"HTTP {status}")
            await self._sleep(wait)
            delay *= 2
        return CommandOutcome(status, data, detail, self.max_attempts)  # not reached

    async def _attempt(self, method: str, path: str, body: Mapping[str, Any] | None,
                       patience: float) -> tuple[int, Any, str, float | None]:  # fmt: skip
        params = _query(body) if method in ("GET", "DELETE") else None
        content = None if params is not None else orjson.dumps(dict(body or {}))
        try:
            # The whole attempt is bounded: connecting, sending and a server that trickles bytes.
            async with asyncio.timeout(patience):
                status, headers, raw = await self._exchange(method, path, params, content)
        except TimeoutError:
            return 0, None, f"no reply within {patience * 1000:.0f} ms", None
        except (aiohttp.ClientError, httpx.HTTPError, OSError) as exc:
            return 0, None, f"{type(exc).__name__}: {exc}", None
        try:
            reply = orjson.loads(raw) if raw else {}
        except ValueError:
            reply = {}
        data = reply.get("data", reply) if isinstance(reply, dict) else reply
        detail = ""
        if isinstance(reply, dict) and reply.get("errors"):
            detail = json.dumps(reply["errors"])
        retry_after = None
        if status == 429:
            try:
                retry_after = float(headers.get("retry-after", ""))
            except ValueError:
                retry_after = None
        return status, data, detail, retry_after

    async def _exchange(self, method: str, path: str, params: dict[str, str] | None,
                        content: bytes | None) -> tuple[int, Mapping[str, str], bytes]:  # fmt: skip
        """One request: (status, headers, body)."""
        headers = self.headers if content is None else {
            **self.headers, "Content-Type": "application/json"}
        if self._transport is not None:
            if self._httpx is None:
                self._httpx = httpx.AsyncClient(transport=self._transport, timeout=None)
            response = await self._httpx.request(method, self.base + path, params=params,
                                                 content=content, headers=headers)  # fmt: skip
            return response.status_code, response.headers, response.content[:MAX_REPLY_BYTES]
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS), trust_env=True)
        async with self._session.request(method, self.base + path, params=params, data=content,
                                         headers=headers) as response:  # fmt: skip
            return response.status, response.headers, await read_bounded(response, MAX_REPLY_BYTES)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._httpx is not None:
            await self._httpx.aclose()


def _query(body: Mapping[str, Any] | None) -> dict[str, str]:
    """A GET's parameters: nested objects as `filter[name]=...` (deepObject style)."""
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(f"{prefix}[{k}]" if prefix else str(k), v)
        else:
            out[prefix] = str(value).lower() if isinstance(value, bool) else str(value)

    walk("", dict(body or {}))
    return out


__all__ = ["CallControlClient", "CommandOutcome", "retryable"]
