"""What the application receives: the common request parameters and the status callbacks."""

from __future__ import annotations

from datetime import datetime

import pytest
from calls import APPLICATION_ERROR, COMMON_PARAMS, common_params_ok, doc


def test_first_request_carries_every_common_parameter(app, play) -> None:
    app.route("/voice", doc("<Say>Hi</Say>"))
    call = play("/voice", from_="+14155550100", to="+18005550199")
    call.check("completed", heard=["Hi"])
    [first] = app.requests_to("/voice")
    common_params_ok(first, call_id=call.call_id, status="ringing", from_="+14155550100", to="+18005550199")
    assert call.call_id.startswith("v3:")  # a Call Control id, not a Twilio CA... SID
    assert set(first.form) == set(COMMON_PARAMS)  # nothing else on the first request
    assert first.query == {}
    assert first.headers["user-agent"] == "texml"


def test_every_request_of_a_call_names_the_same_call(app, play) -> None:
    app.route("/voice", doc('<Gather action="/one" numDigits="1"><Say>Press</Say></Gather>'))
    app.route("/one", doc("<Redirect>/two</Redirect>"))
    app.route("/two", doc('<Record action="/three" finishOnKey="#" playBeep="false"/>'))
    app.route("/three", doc("<Say>Done</Say>"))
    call = play("/voice", inputs=["1", "talk:2", "#"], status_callback="/status")
    call.check("completed", heard=["Press", "Done"])
    assert [p for p in app.paths() if p != "/status"] == ["/voice", "/one", "/two", "/three"]
    for request in app.requests:
        common_params_ok(request, call_id=call.call_id, status=request.params["CallStatus"])
    # Each action carries its own verb's results, not the earlier ones'.
    assert app.requests_to("/one")[0].params["Digits"] == "1"
    assert "Digits" not in app.requests_to("/two")[0].params
    three = app.requests_to("/three")[0].params
    assert three["Digits"] == "#" and "RecordingUrl" in three


def test_status_callbacks_in_order_with_sequence_numbers(app, play) -> None:
    app.route("/voice", doc("<Say>One moment</Say>", '<Pause length="5"/>', "<Say>Bye</Say>"))
    call = play("/voice", status_callback="/status")
    call.check("completed", heard=["One moment", "Bye"])
    callbacks = [r.params for r in app.requests_to("/status")]
    assert [p["CallStatus"] for p in callbacks] == ["initiated", "ringing", "in-progress", "completed"]
    assert [p["SequenceNumber"] for p in callbacks] == ["0", "1", "2", "3"]
    for params in callbacks:
        common_params_ok_for_callback(params, call.call_id)
        assert params["CallbackSource"] == "call-progress-events"
    times = [datetime.fromisoformat(p["Timestamp"].replace("Z", "+00:00")) for p in callbacks]
    assert times == sorted(times)
    assert (times[-1] - times[2]).total_seconds() == pytest.approx(call.duration, abs=1)
    assert [p["CallDuration"] for p in callbacks[:3]] == ["0", "0", "0"]
    assert callbacks[-1]["CallDuration"] == str(call.duration)
    assert callbacks[-1]["HangupCause"] == "normal_clearing"
    assert callbacks[-1]["HangupSource"]
    assert all(r.method == "POST" for r in app.requests_to("/status"))
    # The first two arrive before the first document is requested.
    assert app.paths()[:3] == ["/status", "/status", "/voice"]


def common_params_ok_for_callback(params: dict[str, str], call_id: str) -> None:
    missing = [name for name in COMMON_PARAMS if name not in params]
    assert not missing, missing
    assert params["CallSid"] == call_id


# Calls that end in different ways: each sends exactly one `completed` (or final) callback.
ENDINGS = {
    "end-of-document": (doc("<Say>Hi</Say>"), [], {}, "completed"),
    "hangup-verb": (doc("<Hangup/>"), [], {}, "completed"),
    "caller-hangs-up": (doc('<Gather><Say>Press</Say></Gather>'), ["hangup"], {}, "completed"),
    "record-hang-up": (doc('<Record action="/voice-after"/>'), ["talk:1", "hangup"], {}, "completed"),
    "dial-answered": (doc('<Dial action="/voice-after"><Number>+15550100001</Number></Dial>'), [], {}, "completed"),
    "dial-caller-hangs-up": (doc('<Dial action="/voice-after"><Number>+15550100001</Number></Dial>'),
                             ["hangup"], {"*": "no-answer"}, "completed"),
    "reject": (doc('<Reject reason="busy"/>'), [], {}, "busy"),
    "application-error": (doc("<Bogus/>"), [], {}, "completed"),
    "queue-hang-up": (doc('<Enqueue action="/voice-after">q</Enqueue>'), ["hangup"], {}, "completed"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(ENDINGS))
def test_exactly_one_final_status_callback(app, play, name) -> None:
    body, inputs, dial, status = ENDINGS[name]
    app.route("/voice", body)
    app.route("/voice-after", doc("<Hangup/>"))
    call = play("/voice", inputs=inputs, dial=dial, status_callback="/status")
    assert call.status == status
    assert call.error == (name == "application-error")
    assert (APPLICATION_ERROR in call.heard()) == call.error
    callbacks = [r.params for r in app.requests_to("/status")]
    finals = [p for p in callbacks if p["CallStatus"] not in ("initiated", "ringing", "in-progress")]
    assert len(finals) == 1, callbacks
    assert finals[0]["CallStatus"] == status
    assert callbacks[-1] is finals[0]  # the last one
    assert [p["SequenceNumber"] for p in callbacks] == [str(n) for n in range(len(callbacks))]
    assert len(call.of("end")) == 1
