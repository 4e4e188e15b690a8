"""The test application itself: routes, recorded requests, simulated errors, clean shutdown."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
from app import TestApp


def test_serves_routes_and_records_requests(app) -> None:
    app.route("/voice", "<Response/>")
    app.route("/echo", lambda params: f"<Response><Say>{params['Digits']}</Say></Response>")
    with httpx.Client() as client:
        first = client.post(app.url("/voice?x=1"), data={"CallSid": "v3:abc", "Digits": ""})
        second = client.get(app.url("/echo"), params={"Digits": "42"})
        missing = client.get(app.url("/nowhere"))
    assert (first.status_code, first.headers["content-type"], first.text) == (200, "text/xml", "<Response/>")
    assert second.text == "<Response><Say>42</Say></Response>"
    assert missing.status_code == 404
    assert app.paths() == ["/voice", "/echo", "/nowhere"]
    voice = app.requests_to("/voice")[0]
    assert voice.method == "POST"
    assert voice.query == {"x": "1"} and voice.form == {"CallSid": "v3:abc", "Digits": ""}
    assert voice.params == {"x": "1", "CallSid": "v3:abc", "Digits": ""}
    assert voice.headers["content-type"] == "application/x-www-form-urlencoded"
    assert app.requests_to("/echo")[0].query == {"Digits": "42"}


def test_simulated_errors(app) -> None:
    app.route("/error", "oops", status=500, content_type="text/plain")
    app.route("/json", '{"a": 1}', content_type="application/json")
    app.route("/huge", "x" * 100_000)
    app.route("/dynamic", lambda params: (503, "text/plain", "busy"))
    app.route("/slow", "late", delay=1.0)
    with httpx.Client() as client:
        assert client.get(app.url("/error")).status_code == 500
        assert client.get(app.url("/json")).headers["content-type"] == "application/json"
        assert len(client.get(app.url("/huge")).content) == 100_000
        dynamic = client.get(app.url("/dynamic"))
        assert (dynamic.status_code, dynamic.text) == (503, "busy")
        with pytest.raises(httpx.ReadTimeout):
            client.get(app.url("/slow"), timeout=0.2)
    assert len(app.requests_to("/slow")) == 1  # recorded even though the reply was late


def test_stops_cleanly_even_with_a_slow_handler_running() -> None:
    app = TestApp().start()
    app.route("/slow", "late", delay=30)
    port = app.port
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(httpx.get(app.url("/slow"), timeout=5))
        except httpx.HTTPError as exc:  # the app dropped the connection: expected
            outcome.append(exc)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    while not app.requests_to("/slow"):
        time.sleep(0.01)
    started = time.monotonic()
    app.stop()
    assert time.monotonic() - started < 2  # the sleeping handler is woken, not waited for
    assert not app.running
    with socket.socket() as sock, pytest.raises(OSError):
        sock.settimeout(1)
        sock.connect(("127.0.0.1", port))
    caller.join(timeout=5)
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.HTTPError)  # no reply was sent


def test_each_app_has_its_own_ephemeral_port(app) -> None:
    other = TestApp().start()
    try:
        assert other.port != app.port and other.port > 0
        assert app.base == f"http://127.0.0.1:{app.port}"
    finally:
        other.stop()
