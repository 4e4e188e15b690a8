"""Webhook signatures: valid ones pass; forged, unsigned and stale (> 300 s either way) ones
are rejected with a 401, replayed ones dropped with a 200 "duplicate"; none changes anything
(no call created, no command sent, no document fetched)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from texml.serve.app import create_app
from texml.serve.config import ServeConfig
from texml.serve.signature import SignatureError, WebhookVerifier
from texml.serve.store_sqlite import SqliteStore
from texml.sim.webhooks import WebhookSigner, encode

SIGNER = WebhookSigner(seed=b"k" * 32)
FORGER = WebhookSigner(seed=b"f" * 32)
NOW = 1_800_000_000


def initiated(call: str = "v3:call-1", event_id: str = "ev-1") -> str:
    return encode({"data": {"record_type": "event", "event_type": "call.initiated", "id": event_id,
                            "occurred_at": "2027-01-15T08:00:00Z", "payload": {
                                "call_control_id": call, "connection_id": "conn", "from": "+1555",
                                "to": "+1666", "direction": "incoming", "state": "parked"}}})  # fmt: skip


# --- the verifier --------------------------------------------------------------------------------


def verifier() -> WebhookVerifier:
    return WebhookVerifier(SIGNER.public_key, clock=lambda: NOW)


def test_a_valid_signature_passes() -> None:
    body = initiated()
    assert verifier().verify(body.encode(), SIGNER.headers(body, NOW)) == NOW
    headers = {k.upper(): v for k, v in SIGNER.headers(body, NOW - 299).items()}  # any case
    assert verifier().verify(body.encode(), headers) == NOW - 299


@pytest.mark.parametrize("case, reason", [
    ("forged", "forged"), ("tampered", "forged"), ("unsigned", "unsigned"),
    ("no-timestamp", "unsigned"), ("old", "stale"), ("future", "stale"),
    ("garbage", "malformed"), ("short", "malformed"), ("other-time", "forged"),
])  # fmt: skip
def test_bad_signatures_are_refused(case: str, reason: str) -> None:
    body = initiated()
    headers = SIGNER.headers(body, NOW)
    raw = body.encode()
    if case == "forged":
        headers = FORGER.headers(body, NOW)
    elif case == "tampered":
        raw = body.replace("+1666", "+1667").encode()
    elif case == "unsigned":
        headers = {}
    elif case == "no-timestamp":
        del headers["telnyx-timestamp"]
    elif case == "old":
        headers = SIGNER.headers(body, NOW - 301)
    elif case == "future":
        headers = SIGNER.headers(body, NOW + 301)
    elif case == "garbage":
        headers["telnyx-signature-ed25519"] = "not base64!"
    elif case == "short":
        headers["telnyx-signature-ed25519"] = "AAAA"
    elif case == "other-time":  # a signature for one time presented with another
        headers["telnyx-timestamp"] = str(NOW - 1)
    with pytest.raises(SignatureError) as refused:
        verifier().verify(raw, headers)
    assert refused.value.reason == reason


# --- the server ----------------------------------------------------------------------------------


class World:
    """The app in-process: Call Control and the application are mocks that record requests."""

    def __init__(self) -> None:
        self.commands: list[httpx.Request] = []
        self.fetches: list[httpx.Request] = []

    def call_control(self, request: httpx.Request) -> httpx.Response:
        self.commands.append(request)
        return httpx.Response(200, json={"data": {"result": "ok"}})

    def application(self, request: httpx.Request) -> httpx.Response:
        self.fetches.append(request)
        return httpx.Response(200, text="<Response><Say>Hi</Say></Response>",
                              headers={"content-type": "text/xml"})  # fmt: skip


def serve(tmp_path: Path, test: Callable[[httpx.AsyncClient, World, SqliteStore], Awaitable[None]],
          clock: Callable[[], float] = time.time) -> None:  # fmt: skip
    world = World()
    config = ServeConfig(public_key=SIGNER.public_key, voice_url="https://app.example.com/voice",
                         api_base="https://api.example.com/v2", connection_id="conn")  # fmt: skip

    async def go() -> None:
        store = SqliteStore(str(tmp_path / "calls.db"))
        app = create_app(config, store=store, clock=clock,
                         call_control_transport=httpx.MockTransport(world.call_control),
                         app_transport=httpx.MockTransport(world.application))  # fmt: skip
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://serve") as client:
                await test(client, world, store)

    asyncio.run(go())


async def post(client: httpx.AsyncClient, body: str, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/webhooks", content=body.encode(),
                             headers={"content-type": "application/json", **headers})  # fmt: skip


def test_the_server_takes_signed_webhooks_and_refuses_the_rest(tmp_path: Path) -> None:
    async def test(client: httpx.AsyncClient, world: World, store: SqliteStore) -> None:
        now = int(time.time())
        body = initiated("v3:forged", "ev-forged")
        refusals = [
            (FORGER.headers(body, now), "forged"),
            ({}, "unsigned"),
            (SIGNER.headers(body, now - 301), "stale"),
            (SIGNER.headers(body, now + 400), "stale"),
        ]
        for headers, reason in refusals:
            reply = await post(client, body, headers)
            assert (reply.status_code, reply.json()["error"]) == (401, reason)
        assert await store.active_calls() == 0 and not world.commands and not world.fetches

        # A valid one creates the call: its document is fetched, the call answered.
        good = initiated("v3:call-1", "ev-1")
        headers = SIGNER.headers(good, now)
        reply = await post(client, good, headers)
        assert reply.status_code == 200, reply.text
        assert await store.active_calls() == 1
        assert len(world.fetches) == 1 and [r.url.path for r in world.commands] == [
            "/v2/calls/v3:call-1/actions/answer"]
        saved = await store.load("v3:call-1")

        # The same request again (a replay), or the same event signed anew: no change, and a
        # 200 that says so (a non-2xx would only make Telnyx deliver it again and again).
        replay = await post(client, good, headers)
        assert (replay.status_code, replay.json()["status"]) == (200, "duplicate")
        resigned = await post(client, good, SIGNER.headers(good, now + 1))
        assert resigned.json()["status"] == "duplicate"
        assert await store.load("v3:call-1") == saved
        assert len(world.fetches) == 1 and len(world.commands) == 1

        # A broken body, signed: 400.
        junk = '{"data": []}'
        assert (await post(client, junk, SIGNER.headers(junk, now))).status_code == 400
        # A body over the bound is refused before anything reads it (not counted as rejected).
        huge = "x" * 1_000_001
        too_big = await post(client, huge, SIGNER.headers(huge, now))
        assert (too_big.status_code, too_big.json()["error"]) == (413, "too_large")
        # Only POST is taken there.
        assert (await client.get("/webhooks")).status_code == 405
        metrics = (await client.get("/metrics")).json()
        assert (metrics["webhooks"], metrics["webhooks_rejected"], metrics["webhooks_replayed"]) == (1, 5, 2)
        assert metrics["active_calls"] == 1 and metrics["calls_started"] == 1

        # Once the call is gone from the store, the store still knows the event (the cleanup
        # of a finished call remembers its events: test_serve_engine): a replay neither
        # brings the call back nor is taken as new.
        await store.remember(["webhook:ev-1"], 60)
        await store.delete("v3:call-1")
        late = await post(client, good, SIGNER.headers(good, int(time.time())))
        assert late.json()["status"] == "duplicate" and await store.active_calls() == 0
        other = initiated("v3:call-1", "ev-2")  # a new event id, same (finished) call
        assert (await post(client, other, SIGNER.headers(other, int(time.time())))).json() == {
            "status": "ignored"}
        assert len(world.fetches) == 1 and len(world.commands) == 1

    serve(tmp_path, test)


def test_events_for_unknown_calls_are_ignored(tmp_path: Path) -> None:
    async def test(client: httpx.AsyncClient, world: World, store: SqliteStore) -> None:
        body = encode({"data": {"event_type": "call.speak.ended", "id": "ev-9",
                                "payload": {"call_control_id": "v3:nobody"}}})  # fmt: skip
        reply = await post(client, body, SIGNER.headers(body, int(time.time())))
        assert reply.status_code == 200 and reply.json() == {"status": "ignored"}
        assert await store.active_calls() == 0 and not world.commands

    serve(tmp_path, test)


def test_insecure_mode_takes_unsigned_webhooks(tmp_path: Path) -> None:
    world = World()
    config = ServeConfig(insecure_skip_verification=True, voice_url="https://app.example.com/voice",
                         api_base="https://api.example.com/v2")  # fmt: skip

    async def go() -> None:
        store = SqliteStore(str(tmp_path / "calls.db"))
        app = create_app(config, store=store,
                         call_control_transport=httpx.MockTransport(world.call_control),
                         app_transport=httpx.MockTransport(world.application))  # fmt: skip
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
                assert (await post(c, initiated(), {})).status_code == 200
                again = await post(c, initiated(), {})  # still no replays
                assert (again.status_code, again.json()["status"]) == (200, "duplicate")
                assert json.loads((await c.get("/healthz")).text)["status"] == "ok"

    asyncio.run(go())
    assert len(world.fetches) == 1
