"""`texml sim` end to end: the official telnyx SDK drives the simulator under uvicorn; a local
receiver gets its webhooks and checks each signature with the SDK's own verification."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import telnyx

from tests.support.telnyx_schema import validate_webhook
from texml.sim.server import SILENT_MP3, SILENT_WAV, query_dict

ROOT = Path(__file__).resolve().parents[2]
Delivery = tuple[str, dict[str, str]]  # raw body, headers


class Receiver:
    """A tiny webhook receiver: keeps every delivery (raw body and headers), answers 200."""

    def __init__(self, status: int = 200) -> None:
        self.deliveries: list[Delivery] = []
        self.status = status
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                outer.deliveries.append((raw, dict(self.headers.items())))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(raw)["data"] for raw, _ in self.deliveries]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    pair = (Receiver(), Receiver())
    yield pair
    for receiver in pair:
        receiver.close()


@pytest.fixture
def server(receivers: tuple[Receiver, Receiver]) -> Iterator[tuple[str, str]]:
    """`texml sim` in a subprocess: (base URL, public key)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "texml.sim.serve", "--port", str(port), "--speed", "20",
         "--webhook-url", receivers[0].url, "--webhook-url", receivers[1].url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("public key: "), first + (process.stderr.read() if process.stderr else "")
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{base}/sim/calls/none", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield base, first.removeprefix("public key: ").strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for(receivers: tuple[Receiver, Receiver], done: Callable[[list[dict]], bool],
             timeout: float = 15.0) -> list[dict[str, Any]]:  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        events = sorted(receivers[0].events() + receivers[1].events(),
                        key=lambda d: d.get("occurred_at") or d["payload"].get("occurred_at", ""))  # fmt: skip
        if done(events):
            return events
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; got {[e['event_type'] for e in events]}")
        time.sleep(0.02)


def count(event_type: str, call_id: str | None = None) -> Callable[[list[dict]], int]:
    def n(events: list[dict]) -> int:
        return sum(1 for e in events if e["event_type"] == event_type
                   and (call_id is None or e["payload"].get("call_control_id") == call_id))  # fmt: skip

    return n


def test_the_sdk_drives_texml_sim(server: tuple[str, str],
                                  receivers: tuple[Receiver, Receiver]) -> None:  # fmt: skip
    base, public_key = server
    client = telnyx.Telnyx(api_key="KEY_TEST", base_url=f"{base}/v2", max_retries=0)

    # A call arrives (control API), the SDK answers it and runs a little IVR.
    reply = httpx.post(f"{base}/sim/calls", json={
        "from": "+15551230000", "to": "+15559870000", "inputs": ["1", "talk:2"]})  # fmt: skip
    assert reply.status_code == 200
    call_id = reply.json()["call_control_id"]
    wait_for(receivers, lambda ev: count("call.initiated", call_id)(ev) == 1)
    client.calls.actions.answer(call_id, client_state="aXZy")
    client.calls.actions.speak(call_id, payload="Press one", voice="female")
    client.calls.actions.gather(call_id, maximum_digits=1, initial_timeout_millis=20000)
    events = wait_for(receivers, lambda ev: count("call.gather.ended", call_id)(ev) == 1)
    [gathered] = [e for e in events if e["event_type"] == "call.gather.ended"]
    assert gathered["payload"]["digits"] == "1" and gathered["payload"]["client_state"] == "aXZy"

    # It records a little, then dials a leg and bridges it.
    client.calls.actions.start_recording(call_id, channels="single", format="mp3",
                                         timeout_secs=1)  # fmt: skip
    events = wait_for(receivers, lambda ev: count("call.recording.saved")(ev) == 1)
    [saved] = [e["payload"] for e in events if e["event_type"] == "call.recording.saved"]
    audio = httpx.get(saved["recording_urls"]["mp3"])
    assert audio.status_code == 200 and audio.content == SILENT_MP3
    assert audio.headers["content-type"] == "audio/mpeg"
    wav = httpx.get(saved["recording_urls"]["mp3"].replace(".mp3", ".wav"))
    assert wav.content == SILENT_WAV
    assert httpx.get(f"{base}/sim/recordings/nothing.mp3").status_code == 404

    leg = client.calls.dial(connection_id="sim-connection", from_="+15559870000",
                            to="+15550100001", link_to=call_id, timeout_secs=30)  # fmt: skip
    leg_id = leg.data.call_control_id
    assert leg.data.is_alive is False and leg.data.call_session_id
    wait_for(receivers, lambda ev: count("call.answered", leg_id)(ev) == 1)
    client.calls.actions.bridge(call_id, call_control_id_to_bridge_with=leg_id)
    wait_for(receivers, lambda ev: count("call.bridged")(ev) == 2)
    client.calls.actions.hangup(call_id)
    events = wait_for(receivers, lambda ev: count("call.hangup")(ev) == 2)

    # Refusals reach the SDK as Telnyx's errors.
    with pytest.raises(telnyx.NotFoundError):
        client.calls.actions.speak("v3:nobody", payload="x", voice="female")
    with pytest.raises(telnyx.UnprocessableEntityError) as refused:
        client.calls.actions.speak(call_id, payload="x", voice="female")
    assert refused.value.body["errors"][0]["code"] == "90018"  # type: ignore[index]

    # The control API shows the call's trace.
    status = httpx.get(f"{base}/sim/calls/{call_id}").json()
    assert status["status"] == "hangup"
    assert {"t": status["events"][1]["t"], "kind": "input", "digits": "1"} == status["events"][1]

    # Webhooks were dealt out in turn to both receivers ...
    first, second = receivers
    assert abs(len(first.deliveries) - len(second.deliveries)) <= 1 and second.deliveries
    # ... each is what the SDK models, and each signature verifies with the SDK's own check.
    for raw, headers in first.deliveries + second.deliveries:
        validate_webhook(json.loads(raw))
        event = client.webhooks.unwrap(raw, headers=headers, key=public_key)
        assert event.data is not None
    raw, headers = first.deliveries[0]
    with pytest.raises(Exception) as tampered:
        client.webhooks.unwrap(raw.replace('"call', '"cal1', 1), headers=headers, key=public_key)
    assert "signature" in str(tampered.value).lower()
    with pytest.raises(Exception) as unsigned:
        client.webhooks.unwrap(raw, headers={"content-type": "application/json"}, key=public_key)
    assert "header" in str(unsigned.value).lower()


def test_bad_requests(server: tuple[str, str]) -> None:
    base, _ = server
    reply = httpx.post(f"{base}/sim/calls", json={"inputs": ["x"]})
    assert reply.status_code == 422 and "cannot be pressed" in reply.json()["errors"][0]["detail"]
    assert httpx.post(f"{base}/sim/calls", json={"form": "+1"}).status_code == 422
    reply = httpx.post(f"{base}/v2/calls/v3:x/actions/speak", content=b"{nope")
    assert reply.status_code == 400
    reply = httpx.get(f"{base}/v2/conferences", params={"filter[name]": "none"})
    assert reply.status_code == 200 and reply.json()["data"] == []
    assert httpx.get(f"{base}/sim/calls/v3:none").status_code == 404


def test_query_dict_reads_deep_objects() -> None:
    assert query_dict([("filter[name]", "a"), ("filter[occurred_at][gte]", "t"),
                       ("page[number]", "2")]) == {
        "filter": {"name": "a", "occurred_at": {"gte": "t"}}, "page[number]": "2"}


def test_failed_deliveries_are_retried_then_dropped() -> None:
    import asyncio
    import io

    from texml.sim.server import LiveSimulator

    failing = Receiver(status=500)
    log = io.StringIO()
    live = LiveSimulator([failing.url], log=log)

    async def go() -> bool:
        import aiohttp

        async with aiohttp.ClientSession() as client:
            envelope = {"data": {"event_type": "call.hangup", "payload": {}}}
            return await live.deliver(client, envelope, failing.url)

    try:
        assert asyncio.run(go()) is False
    finally:
        failing.close()
    assert len(failing.deliveries) == 4
    assert "dropped call.hangup" in log.getvalue() and "HTTP 500" in log.getvalue()


def test_serve_usage_errors() -> None:
    from texml.sim.serve import main

    for argv in (["--port", "1"], ["--webhook-url", "ftp://x"],
                 ["--webhook-url", "http://x", "--speed", "0"],
                 ["--webhook-url", "http://x", "--dial", "+1=ringing"]):  # fmt: skip
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
