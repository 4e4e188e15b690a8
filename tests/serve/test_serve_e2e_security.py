"""Forged, unsigned, stale and replayed webhooks sent to a running `texml serve` are rejected
and change nothing (the first three with a 401; replays are dropped with a 200 "duplicate",
so that Telnyx's own redeliveries stop).

The test must sign webhooks itself, so the simulator's webhooks reach the server through a
small relay that signs them again with the test's own key (which the server is given as
Telnyx's) and keeps each request, exactly as sent, to replay it later.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.app import TestApp
from tests.serve.serve_procs import ServeProcess, SimProcess, free_port, wait_until, webhook_url
from texml.sim.webhooks import WebhookSigner, encode

SIGNER = WebhookSigner(seed=b"t" * 32)
FORGER = WebhookSigner()


class Relay:
    """Receives the simulator's webhooks, signs them with `SIGNER`, forwards them to `target`
    and answers with the target's status; `sent` keeps (body, headers) as forwarded."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.sent: list[tuple[bytes, dict[str, str]]] = []
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {"content-type": "application/json",
                           **SIGNER.headers(body.decode(), int(time.time()))}  # fmt: skip
                try:
                    status = httpx.post(relay.target, content=body, headers=headers, timeout=10).status_code
                except httpx.HTTPError:
                    status = 502
                relay.sent.append((body, headers))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body)["data"] for body, _ in self.sent]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[TestApp, Relay, SimProcess, ServeProcess]]:
    app = TestApp().start()
    port = free_port()
    relay = Relay(webhook_url(port))
    sim = serve = None
    try:
        sim = SimProcess.start([relay.url], tmp_path, speed=10)
        serve = ServeProcess.start(port, tmp_path, sim=sim, public_key=SIGNER.public_key,
                                   args=["--voice-url", app.url("/voice")])  # fmt: skip
        yield app, relay, sim, serve
    finally:
        if serve is not None:
            serve.stop()
        if sim is not None:
            sim.stop()
        relay.close()
        app.stop()


def test_bad_webhooks_to_a_running_server_change_nothing(
        setup: tuple[TestApp, Relay, SimProcess, ServeProcess]) -> None:  # fmt: skip
    app, relay, sim, serve = setup
    app.route("/voice", "<Response><Say>Hello</Say><Pause length=\"1\"/></Response>")
    call_id = sim.new_call()
    sim.wait_status(call_id, "hangup", serve=serve)
    wait_until(lambda: any(e["event_type"] == "call.hangup" for e in relay.events()), 5, "the hang-up")
    before = serve.metrics()
    events_before = len(sim.call(call_id)["events"])
    assert before["webhooks"] == len(relay.sent) and before["webhooks_rejected"] == 0
    assert before["calls_started"] == 1 and len(app.requests_to("/voice")) == 1

    url = webhook_url(serve.port)
    fresh = encode({"data": {"record_type": "event", "event_type": "call.initiated", "id": "ev-new",
                             "occurred_at": "2027-01-15T08:00:00Z", "payload": {
                                 "call_control_id": "v3:intruder", "connection_id": "sim-connection",
                                 "from": "+15550009999", "to": "+15550002222",
                                 "direction": "incoming", "state": "parked"}}})  # fmt: skip
    now = int(time.time())

    def post(body: str | bytes, headers: dict[str, str]) -> httpx.Response:
        data = body.encode() if isinstance(body, str) else body
        return httpx.post(url, content=data, headers={"content-type": "application/json", **headers})

    forged = post(fresh, FORGER.headers(fresh, now))
    unsigned = post(fresh, {})
    stale = post(fresh, SIGNER.headers(fresh, now - 310))  # (the exact bound: unit tests)
    early = post(fresh, SIGNER.headers(fresh, now + 310))
    tampered_body, tampered_headers = relay.sent[0]
    tampered = post(tampered_body.replace(b"+15550001111", b"+15550009999"), tampered_headers)
    assert [r.status_code for r in (forged, unsigned, stale, early, tampered)] == [401] * 5
    assert [r.json()["error"] for r in (forged, unsigned, stale, early, tampered)] == [
        "forged", "unsigned", "stale", "stale", "forged"]

    # Replays: the captured requests exactly as they were sent, then re-signed ones (which only
    # Telnyx could make): every event has been handled already.
    replays = [post(body, headers) for body, headers in relay.sent]
    resigned = [post(body, SIGNER.headers(body.decode(), int(time.time()))) for body, _ in relay.sent[:3]]
    # Answered 200 "duplicate" (so that Telnyx stops retrying), and nothing changes.
    assert {(r.status_code, r.json()["status"]) for r in replays + resigned} == {(200, "duplicate")}

    after = serve.metrics()
    assert after["webhooks"] == before["webhooks"] and after["calls_started"] == 1
    assert after["commands"] == before["commands"] and after["fetches"] == before["fetches"]
    assert after["webhooks_rejected"] == 5
    assert after["webhooks_replayed"] == len(relay.sent) + 3
    assert len(app.requests_to("/voice")) == 1  # no call was created by any of them
    assert len(sim.call(call_id)["events"]) == events_before
    assert after["active_calls"] == before["active_calls"]
    rejected = [e for e in serve.logs() if e["msg"] == "webhook rejected"]
    assert sorted(e["reason"] for e in rejected) == ["forged", "forged", "stale", "stale", "unsigned"]
