"""Failure paths over real HTTP: error statuses, bad documents, timeouts, loops, fallbacks."""

from __future__ import annotations

import socket

import pytest
from calls import APPLICATION_ERROR, common_params_ok, doc, short_client

HUGE = doc("<Say>Too big</Say>", "<!-- " + "x" * 70_000 + " -->")

# name -> (route keyword arguments, error code)
FAILURES = {
    "http-500": ({"body": "Internal Server Error", "status": 500, "content_type": "text/plain"}, "11200"),
    "http-404": ({"body": "Not Found", "status": 404, "content_type": "text/html"}, "11200"),
    "invalid-xml": ({"body": "<Response><Say>unclosed</Response>"}, "12100"),
    "invalid-texml": ({"body": doc("<Bogus/>")}, "12100"),
    "not-a-response": ({"body": "<Document><Say>Hi</Say></Document>"}, "12100"),
    "wrong-content-type": ({"body": '{"say": "hi"}', "content_type": "application/json"}, "12300"),
    "too-large": ({"body": HUGE}, "11750"),
    "timeout": ({"body": doc("<Say>Too late</Say>"), "delay": 2.0}, "11205"),
}


def serve_failure(app, path: str, name: str) -> str:
    kwargs, code = FAILURES[name]
    kwargs = dict(kwargs)
    app.route(path, kwargs.pop("body"), **kwargs)
    return code


@pytest.mark.parametrize("name", list(FAILURES))
def test_failed_first_document_requests_the_fallback(app, play, name) -> None:
    code = serve_failure(app, "/voice", name)
    app.route("/fallback", doc("<Say>Sorry, we are having trouble. Please call back later.</Say>"))
    call = play("/voice", fallback="/fallback", client=short_client(0.5))
    call.check("completed", heard=["Sorry, we are having trouble. Please call back later."])
    assert call.codes()[0] == code
    [fallback] = app.requests_to("/fallback")
    assert fallback.method == "POST"
    assert fallback.params["ErrorCode"] == code
    assert fallback.params["ErrorUrl"] == app.url("/voice")
    common_params_ok(fallback, call_id=call.call_id, status="ringing")


@pytest.mark.parametrize("name", list(FAILURES))
def test_failed_first_document_without_fallback_is_an_application_error(app, play, name) -> None:
    code = serve_failure(app, "/voice", name)
    call = play("/voice", client=short_client(0.5), status_callback="/status")
    call.check("completed", error=True, heard=[APPLICATION_ERROR])
    assert call.codes() == [code]
    assert call.commands() == ["answer", "speak", "hangup"]
    statuses = [r.params["CallStatus"] for r in app.requests_to("/status")]
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]


def test_the_fallback_failing_too_is_an_application_error(app, play) -> None:
    app.route("/voice", "boom", status=500, content_type="text/plain")
    app.route("/fallback", "also boom", status=503, content_type="text/plain")
    call = play("/voice", fallback="/fallback")
    call.check("completed", error=True, heard=[APPLICATION_ERROR])
    assert call.codes() == ["11200", "11200"]
    assert app.paths() == ["/voice", "/fallback"]  # the fallback is tried once


def test_unreachable_application(app, play) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/voice"
    call = play(url)
    call.check("completed", error=True, heard=[APPLICATION_ERROR])
    assert call.codes() == ["11205"]


def test_action_that_fails_mid_call_goes_to_the_fallback_with_the_verb_results(app, play) -> None:
    app.route("/voice", doc('<Gather action="/menu" numDigits="1"><Say>Press a key</Say></Gather>'))
    app.route("/menu", "boom", status=500, content_type="text/plain")
    app.route("/fallback", doc("<Say>Fallback menu</Say>"))
    call = play("/voice", inputs=["4"], fallback="/fallback")
    call.check("completed", heard=["Press a key", "Fallback menu"])
    [fallback] = app.requests_to("/fallback")
    assert fallback.params["ErrorCode"] == "11200"
    assert fallback.params["ErrorUrl"] == app.url("/menu")
    assert fallback.params["Digits"] == "4"
    common_params_ok(fallback, call_id=call.call_id, status="in-progress")


def test_action_url_that_times_out(app, play) -> None:
    app.route("/voice", doc('<Gather action="/slow" numDigits="1"><Say>Press a key</Say></Gather>'))
    app.route("/slow", doc("<Say>Too late</Say>"), delay=2.0)
    call = play("/voice", inputs=["1"], client=short_client(0.5))
    call.check("completed", error=True, heard=["Press a key", APPLICATION_ERROR])
    assert call.codes() == ["11205"]
    [slow] = app.requests_to("/slow")
    assert slow.params["Digits"] == "1"


def test_redirect_loop_is_stopped(app, play) -> None:
    app.route("/voice", doc("<Redirect>/voice</Redirect>"))
    call = play("/voice")
    call.check("completed", error=True, heard=[APPLICATION_ERROR])
    assert "redirect-loop" in call.codes()
    assert len(app.requests_to("/voice")) == 50


def test_a_loop_through_verbs_that_play_is_not_a_redirect_loop(app, play) -> None:
    def voice(params: dict[str, str]) -> str:
        if len(app.requests_to("/voice")) > 55:
            return doc("<Hangup/>")
        return doc('<Pause length="1"/>', "<Redirect>/voice</Redirect>")

    app.route("/voice", voice)
    call = play("/voice")
    call.check("completed")
    assert len(app.requests_to("/voice")) == 56


def test_fallback_not_used_for_the_action_of_a_hung_up_call(app, play) -> None:
    app.route("/voice", doc('<Record action="/saved" maxLength="30"/>'))
    app.route("/saved", "boom", status=500, content_type="text/plain")
    app.route("/fallback", doc("<Say>Fallback</Say>"))
    call = play("/voice", inputs=["talk:2", "hangup"], fallback="/fallback")
    assert call.status == "completed"
    assert "/fallback" not in app.paths()  # the call is over: nothing to play
    assert call.heard() == ["beep"]


def test_completed_callback_flags_the_application_error(app, play) -> None:
    app.route("/voice", "boom", status=500, content_type="text/plain")
    call = play("/voice", status_callback="/status")
    call.check("completed", error=True, heard=[APPLICATION_ERROR])
    [completed] = [r.params for r in app.requests_to("/status") if r.params["CallStatus"] == "completed"]
    assert completed["ErrorCode"] == "11200"


def test_completed_callback_error_code_is_the_failures_code(app, play) -> None:
    app.route("/voice", doc("<Bogus/>"))
    call = play("/voice", status_callback="/status")
    assert call.codes() == ["12100"]
    [completed] = [r.params for r in app.requests_to("/status") if r.params["CallStatus"] == "completed"]
    assert completed["ErrorCode"] == "12100"
