"""The Call Control client's retries: the same `command_id` on every attempt; 5xx, 429 and
replies slower than 500 ms are retried; other 4xx are final; the number of attempts and the
time spent are bounded.

Each test runs twice, against the same scripted Call Control (`Recorder`): once through
`httpx.MockTransport`, and once through the client's own aiohttp path to a real HTTP server on
loopback (`aiohttp.web`), the path `texml serve` takes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from texml.serve.client import CallControlClient, CommandOutcome

PATH = "/calls/v3:abc/actions/speak"
BODY = {"payload": "Hi", "voice": "female", "command_id": "v3:abc-7", "client_state": "e30="}


class Recorder:
    """A mock Call Control: `replies` in turn (status, or (status, delay s, headers))."""

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(time.monotonic())
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        status, delay, headers = reply if isinstance(reply, tuple) else (reply, 0.0, {})
        if delay:
            await asyncio.sleep(delay)
        if status == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        body = {"data": {"result": "ok"}} if status < 300 else {
            "errors": [{"code": "90018", "title": "Call has already ended", "detail": "gone"}]}
        return httpx.Response(status, json=body, headers=headers)

    @property
    def command_ids(self) -> list[str]:
        return [json.loads(r.content)["command_id"] for r in self.requests]


@pytest.fixture(params=["mock", "loopback"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.asynccontextmanager
async def call_control(handler: Any, mode: str, api_key: str | None = "KEY",
                       **options: Any) -> AsyncIterator[CallControlClient]:  # fmt: skip
    """A client whose requests reach `handler` (httpx.Request -> httpx.Response): through
    `httpx.MockTransport`, or over HTTP to a loopback server that hands them to it. The
    requests are shown to the handler as `https://api.example.com/v2/...` either way."""
    if mode == "mock":
        client = CallControlClient("https://api.example.com/v2", api_key,
                                   transport=httpx.MockTransport(handler), **options)  # fmt: skip
        try:
            yield client
        finally:
            await client.close()
        return

    async def serve(request: web.Request) -> web.StreamResponse:
        mirrored = httpx.Request(request.method, f"https://api.example.com{request.rel_url}",
                                 headers=list(request.headers.items()),
                                 content=await request.read())  # fmt: skip
        try:
            reply = handler(mirrored)
            if asyncio.iscoroutine(reply):
                reply = await reply
        except httpx.ConnectError:  # as a server that drops the connection
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        return web.Response(status=reply.status_code, body=reply.content,
                            headers={k: v for k, v in reply.headers.items()
                                     if k.lower() not in ("content-length", "content-encoding")})  # fmt: skip

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = CallControlClient(f"http://127.0.0.1:{port}/v2", api_key, **options)
    try:
        yield client
    finally:
        await client.close()
        await runner.cleanup()


def send(recorder: Recorder, mode: str, **options: Any
         ) -> tuple[CommandOutcome, list[tuple[str, int, str]], float]:  # fmt: skip
    retries: list[tuple[str, int, str]] = []
    options.setdefault("backoff", 0.01)

    async def go() -> tuple[CommandOutcome, float]:
        async with call_control(recorder, mode, on_retry=lambda *a: retries.append(a),
                                **options) as client:  # fmt: skip
            start = time.monotonic()
            outcome = await client.send("POST", PATH, BODY)
            return outcome, time.monotonic() - start

    outcome, took = asyncio.run(go())
    return outcome, retries, took


def test_a_5xx_is_retried_with_the_same_command_id(mode: str) -> None:
    recorder = Recorder(500, 503, 200)
    outcome, retries, _ = send(recorder, mode)
    assert outcome.ok and outcome.status == 200 and outcome.data == {"result": "ok"}
    assert outcome.attempts == 3 and len(retries) == 2
    assert recorder.command_ids == ["v3:abc-7"] * 3
    first = recorder.requests[0]
    assert first.url == "https://api.example.com/v2/calls/v3:abc/actions/speak"
    assert first.headers["authorization"] == "Bearer KEY"
    assert all(r.content == first.content for r in recorder.requests)  # the very same body


def test_429_is_retried_after_retry_after(mode: str) -> None:
    recorder = Recorder((429, 0.0, {"Retry-After": "0.3"}), 200)
    outcome, retries, _ = send(recorder, mode)
    assert outcome.ok and outcome.attempts == 2 and retries[0][1] == 1
    assert recorder.times[1] - recorder.times[0] >= 0.3


def test_a_reply_slower_than_500_ms_is_retried(mode: str) -> None:
    recorder = Recorder((200, 0.8, {}), 200)
    outcome, retries, took = send(recorder, mode)
    assert outcome.ok and outcome.attempts == 2
    assert "no reply within 500 ms" in retries[0][2]
    assert took < 0.8  # the slow reply was not waited for
    assert recorder.command_ids == ["v3:abc-7", "v3:abc-7"]


def test_an_api_that_is_slow_every_time_is_given_longer_each_attempt(mode: str) -> None:
    recorder = Recorder((200, 0.8, {}))  # every reply takes 0.8 s
    outcome, retries, took = send(recorder, mode)
    assert outcome.ok and outcome.attempts == 2  # the second attempt waits 1 s
    assert [r[2] for r in retries] == ["no reply within 500 ms"]
    assert took < 1.5


def test_a_refused_connection_is_retried(mode: str) -> None:
    outcome, _, _ = send(Recorder("refuse", 200), mode)
    assert outcome.ok and outcome.attempts == 2


def test_other_4xx_are_final_at_once(mode: str) -> None:
    recorder = Recorder(422, 200)
    outcome, retries, _ = send(recorder, mode)
    assert (outcome.status, outcome.attempts, retries) == (422, 1, [])
    assert not outcome.ok and "Call has already ended" in outcome.detail
    assert send(Recorder(404), mode)[0].attempts == 1
    assert send(Recorder(408, 200), mode)[0].attempts == 2  # 408 is a timeout: retried


def test_attempts_are_bounded(mode: str) -> None:
    recorder = Recorder(503)
    outcome, retries, _ = send(recorder, mode)
    assert (outcome.status, outcome.attempts, len(retries)) == (503, 5, 4)
    assert len(recorder.requests) == 5 and "gave up after 5 attempts" in outcome.detail
    # Delays grow: each wait is at least the one before.
    gaps = [b - a for a, b in zip(recorder.times, recorder.times[1:], strict=False)]
    assert gaps[-1] > gaps[0]


def test_time_is_bounded(mode: str) -> None:
    recorder = Recorder((200, 2.0, {}))  # never answers in time
    outcome, _, took = send(recorder, mode, deadline=1.6, max_attempts=10)
    assert outcome.status == 0 and not outcome.ok  # no reply at all
    assert 2 <= outcome.attempts <= 3 and took < 1.7
    assert "no reply" in outcome.detail


def test_get_commands_carry_their_query(mode: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": []})

    async def go() -> CommandOutcome:
        async with call_control(handler, mode, api_key=None) as client:
            return await client.send("GET", "/conferences", {"filter": {"name": "room"}, "page[size]": 5})

    outcome = asyncio.run(go())
    assert outcome.ok and outcome.data == []
    assert seen[0].url.params["filter[name]"] == "room" and "authorization" not in seen[0].headers
