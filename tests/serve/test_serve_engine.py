"""The live driver in-process (Call Control and the application are mocks): an input handled
again from the same stored state sends the same command ids; timers outlive the engine."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

import texml.serve.engine as engine_module
from texml.runtime import PostCallback
from texml.serve.client import CallControlClient
from texml.serve.config import ServeConfig
from texml.serve.engine import Engine, http_client
from texml.serve.store_sqlite import SqliteStore

CALL = "v3:call-1"


class World:
    def __init__(self, document: str) -> None:
        self.document = document
        self.commands: list[tuple[str, dict]] = []
        self.callbacks: list[dict[str, str]] = []

    def call_control(self, request: httpx.Request) -> httpx.Response:
        self.commands.append((request.url.path, json.loads(request.content)))
        return httpx.Response(200, json={"data": {"result": "ok"}})

    def application(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/status":
            self.callbacks.append(dict(httpx.QueryParams(request.content.decode())))
            return httpx.Response(204)
        return httpx.Response(200, text=self.document, headers={"content-type": "text/xml"})


def engine_for(world: World, store: SqliteStore) -> Engine:
    config = ServeConfig(insecure_skip_verification=True, voice_url="https://app.example.com/voice",
                         status_callback="https://app.example.com/status",
                         status_callback_events=("completed",), retain_seconds=0.2)  # fmt: skip
    client = CallControlClient("https://api.example.com/v2", "KEY",
                               transport=httpx.MockTransport(world.call_control))  # fmt: skip
    return Engine(config, store, client, http_client(httpx.MockTransport(world.application)))


def webhook(event_type: str, event_id: str, **payload: object) -> dict:
    return {"data": {"event_type": event_type, "id": event_id,
                     "payload": {"call_control_id": CALL, **payload}}}  # fmt: skip


def run(tmp_path: Path, test: Callable[[SqliteStore], Awaitable[None]]) -> None:
    async def go() -> None:
        store = SqliteStore(str(tmp_path / "calls.db"))
        try:
            await test(store)
        finally:
            await store.close()

    asyncio.run(go())


def test_an_input_handled_again_from_the_same_state_sends_the_same_commands(tmp_path: Path) -> None:
    world = World("<Response><Say>One</Say><Say>Two</Say></Response>")

    async def test(store: SqliteStore) -> None:
        engine = engine_for(world, store)
        created = webhook("call.initiated", "ev-1", direction="incoming", **{"from": "+1", "to": "+2"})
        assert await engine.webhook(created) == "handled"
        assert [path for path, _ in world.commands] == [f"/v2/calls/{CALL}/actions/answer"]
        before = await store.load(CALL)
        assert before is not None

        answered = webhook("call.answered", "ev-2")
        assert await engine.webhook(answered) == "handled"
        first = world.commands[1:]
        # The process died before saving: the state is the one from before, the webhook
        # comes again.
        await store.save(CALL, before)
        assert await engine.webhook(answered) == "handled"
        again = world.commands[1 + len(first):]
        assert [body["command_id"] for _, body in again] == [body["command_id"] for _, body in first]
        assert [path for path, _ in first] == [f"/v2/calls/{CALL}/actions/speak"]
        assert first[0][1]["command_id"] == f"{CALL}-2"
        # Once saved, the same webhook is a duplicate and sends nothing.
        assert await engine.webhook(answered) == "duplicate"
        # The client_state names the call: a webhook of another leg still finds it.
        client_state = first[0][1]["client_state"]
        other_leg = {"data": {"event_type": "call.speak.started", "id": "ev-3",
                              "payload": {"call_control_id": "v3:leg", "client_state": client_state}}}  # fmt: skip
        assert await engine.webhook(other_leg) == "handled"
        assert await engine.webhook(webhook("call.speak.ended", "ev-4", call_control_id="v3:x")) == "ignored"
        await engine.client.close()
        await engine.http.aclose()

    run(tmp_path, test)


def test_timers_outlive_the_engine_and_finished_calls_are_deleted(tmp_path: Path) -> None:
    world = World('<Response><Pause length="1"/><Hangup/></Response>')

    async def test(store: SqliteStore) -> None:
        engine = engine_for(world, store)
        created = webhook("call.initiated", "ev-1", direction="incoming", **{"from": "+1", "to": "+2"})
        await engine.webhook(created)
        assert world.commands == []  # a first <Pause> delays the answer
        await engine.client.close()
        await engine.http.aclose()

        # Another engine (a restarted process) on the same store fires the timer.
        second = SqliteStore(str(tmp_path / "calls.db"))
        engine = engine_for(world, second)
        await asyncio.sleep(1.05)
        assert await engine.fire_due_timers() == 1
        await engine.drain()
        assert [path for path, _ in world.commands] == [f"/v2/calls/{CALL}/actions/answer"]
        # Handled, the timer was finished: it will not come due again after its lease.
        assert await second.claim_due_timers(time.time() + 3600) == []
        await engine.webhook(webhook("call.answered", "ev-2"))
        assert world.commands[-1][0] == f"/v2/calls/{CALL}/actions/hangup"
        await engine.webhook(webhook("call.hangup", "ev-3", hangup_cause="normal_clearing"))
        await engine.drain()
        assert [c["CallStatus"] for c in world.callbacks] == ["completed"]
        assert await second.active_calls() == 1  # kept a little for late webhooks
        await asyncio.sleep(0.25)
        await engine.fire_due_timers()
        await engine.drain()
        assert await second.active_calls() == 0
        # Its events are remembered by the store, so that a replay is still known for one.
        for event in ("ev-1", "ev-2", "ev-3"):
            assert not await second.first_seen(f"webhook:{event}", 60)
        assert await second.first_seen("webhook:ev-4", 60)
        assert await engine.webhook(webhook("call.hangup", "ev-4")) == "ignored"
        # A replayed call.initiated does not bring the call back.
        assert await engine.webhook(created) == "ignored"
        await engine.client.close()
        await engine.http.aclose()
        await second.close()

    run(tmp_path, test)


def test_callbacks_that_got_no_reply_are_sent_again(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(engine_module, "CALLBACK_RETRY_DELAYS", (0.01, 0.01))
    attempts: list[str] = []

    def application(request: httpx.Request) -> httpx.Response:
        key = request.url.path
        attempts.append(key)
        if key == "/refused" and attempts.count(key) == 1:
            raise httpx.ConnectError("refused", request=request)
        if key == "/dropped":
            raise httpx.ReadError("connection reset", request=request)
        return httpx.Response(500 if key == "/broken" else 204)

    async def go() -> list[str]:
        config = ServeConfig(insecure_skip_verification=True)
        store = SqliteStore(str(tmp_path / "calls.db"))
        engine = Engine(config, store, CallControlClient("https://api.example.com/v2", None),
                        http_client(httpx.MockTransport(application)))  # fmt: skip
        problems = [await engine._post_callback(PostCallback(f"https://app.example.com{path}", "POST", {}))
                    for path in ("/refused", "/broken", "/dropped")]  # fmt: skip
        await engine.client.close()
        await engine.http.aclose()
        await store.close()
        return problems

    problems = asyncio.run(go())
    assert problems[0] == "" and attempts.count("/refused") == 2  # delivered the second time
    assert problems[1] == "HTTP 500" and attempts.count("/broken") == 1  # answered: not again
    assert "ReadError" in problems[2] and attempts.count("/dropped") == 3  # bounded
