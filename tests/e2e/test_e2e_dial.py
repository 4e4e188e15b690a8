"""Whole calls with <Dial><Number>/<Sip>: every outcome, several numbers, hang-ups mid-dial."""

from __future__ import annotations

import pytest
from calls import common_params_ok, doc

SALES_1 = "+15550100001"
SALES_2 = "+15550100002"


def after(params: dict[str, str]) -> str:
    return doc(f"<Say>Dial {params.get('DialCallStatus')} for {params.get('DialCallDuration')} s</Say>")


def dial_doc(*numbers: str, attrs: str = 'action="/after" timeout="10"') -> str:
    nouns = "".join(f"<Number>{n}</Number>" for n in numbers)
    return doc("<Say>Connecting</Say>", f"<Dial {attrs}>{nouns}</Dial>", "<Say>Not reached</Say>")


@pytest.mark.parametrize(("outcome", "status", "bridged"), [
    ("answered", "completed", "true"),
    ("busy", "busy", "false"),
    ("no-answer", "no-answer", "false"),
    ("failed", "failed", "false"),
])  # fmt: skip
def test_dial_outcomes_reach_the_action(app, play, outcome, status, bridged) -> None:
    app.route("/voice", dial_doc(SALES_1))
    app.route("/after", after)
    call = play("/voice", dial={SALES_1: outcome})
    [request] = app.requests_to("/after")
    params = request.params
    common_params_ok(request, call_id=call.call_id, status="in-progress")
    assert params["DialCallStatus"] == status
    assert params["DialBridged"] == bridged
    leg = call.dialled()[SALES_1]
    assert params["DialCallSid"] == leg
    assert params["DialCallDuration"] == ("10" if outcome == "answered" else "0")  # callee stays 10 s
    # A single number rings with ringTone (bridged early with play_ringtone).
    call.check("completed", heard=["Connecting", "ringtone:us", f"Dial {status} for {params['DialCallDuration']} s"])
    [dialled] = [d["body"] for d in call.of("command") if d["path"] == "/calls"]
    assert dialled["to"] == SALES_1 and dialled["from"] == "+15550001111"  # the caller's number
    assert dialled["timeout_secs"] == 10 and dialled["link_to"] == call.call_id
    if outcome == "answered":
        assert "bridge" in call.commands()


def test_no_answer_waits_for_the_dial_timeout(app, play) -> None:
    app.route("/voice", dial_doc(SALES_1, attrs='action="/after" timeout="15"'))
    app.route("/after", after)
    call = play("/voice", dial={SALES_1: "no-answer"})
    [(t, _)] = [(t, d) for t, d in call.timed("fetch") if d["url"].endswith("/after")]
    [(start, _)] = [(t, d) for t, d in call.timed("command") if d["path"] == "/calls"]
    assert 14 <= t - start <= 16
    call.check("completed")


def test_several_numbers_first_answer_wins_the_others_are_hung_up(app, play) -> None:
    app.route("/voice", dial_doc(SALES_1, SALES_2, attrs='action="/after" timeout="20" callerId="+15550100000"'))
    app.route("/after", after)
    call = play("/voice", dial={SALES_1: "no-answer", SALES_2: "answered"})
    legs = call.dialled()
    assert set(legs) == {SALES_1, SALES_2}
    # Both dialled at once, from the callerId.
    dials = [d["body"] for d in call.of("command") if d["path"] == "/calls"]
    assert [d["to"] for d in dials] == [SALES_1, SALES_2]
    assert {d["from"] for d in dials} == {"+15550100000"}
    # The one that answered is bridged; the one still ringing is hung up.
    [bridge] = [d["body"] for d in call.of("command") if d["path"].endswith("/bridge")]
    assert bridge["call_control_id"] == legs[SALES_2]
    assert call.commands(leg=legs[SALES_1]) == ["hangup"]
    assert call.commands(leg=legs[SALES_2]) == []  # it hung up by itself after 10 s
    [request] = app.requests_to("/after")
    assert request.params["DialCallStatus"] == "completed"
    assert request.params["DialCallSid"] == legs[SALES_2]
    assert request.params["DialCallDuration"] == "10"
    call.check("completed", heard=["Connecting", "Dial completed for 10 s"])


def test_sequential_dials_one_at_a_time(app, play) -> None:
    app.route("/voice", dial_doc(SALES_1, SALES_2, attrs='action="/after" timeout="10" sequential="true"'))
    app.route("/after", after)
    call = play("/voice", dial={SALES_1: "busy", SALES_2: "answered"})
    dial_times = [t for t, d in call.timed("command") if d["path"] == "/calls"]
    assert len(dial_times) == 2 and dial_times[1] - dial_times[0] >= 3  # after the first was busy
    [request] = app.requests_to("/after")
    assert request.params["DialCallStatus"] == "completed"
    assert request.params["DialCallSid"] == call.dialled()[SALES_2]
    call.check("completed")


def test_caller_hangs_up_mid_dial_action_still_requested_reply_not_run(app, play) -> None:
    app.route("/voice", dial_doc(SALES_1, attrs='action="/after" timeout="30"'))
    app.route("/after", after)
    call = play("/voice", dial={SALES_1: "no-answer"}, inputs=["hangup"], status_callback="/status")
    leg = call.dialled()[SALES_1]
    assert call.commands(leg=leg) == ["hangup"]  # the ringing leg is hung up
    [request] = app.requests_to("/after")
    params = request.params
    common_params_ok(request, call_id=call.call_id, status="completed")
    assert params["DialCallStatus"] == "canceled"
    assert params["DialCallDuration"] == "0"
    assert params["DialCallSid"] == leg
    # The reply ("Dial canceled ...") is not run.
    call.check("completed", heard=["Connecting", "ringtone:us"])
    completed = [r.params for r in app.requests_to("/status") if r.params["CallStatus"] == "completed"]
    assert len(completed) == 1 and completed[0]["HangupSource"] == "caller"


def test_caller_hangs_up_while_bridged(app, play) -> None:
    app.route("/voice", dial_doc(SALES_1, attrs='action="/after" timeout="30"'))
    app.route("/after", after)
    # The callee answers at once and never hangs up by itself; then the caller hangs up.
    call = play("/voice", dial={SALES_1: {"outcome": "answered", "ring": 0, "hangup_after": "never"}},
                inputs=["hangup"])
    [request] = app.requests_to("/after")
    assert request.params["DialCallStatus"] == "completed"
    assert request.params["DialBridged"] == "true"
    assert request.params["CallStatus"] == "completed"
    call.check("completed", heard=["Connecting", "ringtone:us"])


def test_dial_without_action_goes_on_with_the_document(app, play) -> None:
    app.route("/voice", doc(f"<Dial>{SALES_1}</Dial>", "<Say>After the dial</Say>"))
    call = play("/voice", dial={SALES_1: "busy"})
    call.check("completed", heard=["ringtone:us", "After the dial"])
    assert app.paths() == ["/voice"]


def test_number_status_callbacks_follow_the_leg(app, play) -> None:
    app.route("/voice", doc(
        f'<Dial action="/after"><Number statusCallback="/leg" statusCallbackEvent="initiated ringing answered completed">'
        f"{SALES_1}</Number></Dial>"
    ))  # fmt: skip
    app.route("/after", after)
    app.route("/leg", "")
    call = play("/voice", dial={SALES_1: "answered"})
    leg = call.dialled()[SALES_1]
    events = [r.params for r in app.requests_to("/leg")]
    assert [p["CallStatus"] for p in events] == ["initiated", "ringing", "in-progress", "completed"]
    assert {p["CallSid"] for p in events} == {leg}
    assert {p.get("ParentCallSid") for p in events} == {call.call_id}
    call.check("completed")


def test_machine_detection_reports_to_the_amd_callback(app, play) -> None:
    app.route("/voice", doc(
        '<Dial action="/after">'
        f'<Number machineDetection="Enable" amdStatusCallback="/amd">{SALES_1}</Number></Dial>'
    ))  # fmt: skip
    app.route("/after", after)
    app.route("/amd", "")
    call = play("/voice", dial={SALES_1: "machine"})
    [amd] = app.requests_to("/amd")
    assert amd.params["AnsweredBy"].startswith("machine")
    assert amd.params["CallSid"] == call.dialled()[SALES_1]
    [dialled] = [d["body"] for d in call.of("command") if d["path"] == "/calls"]
    assert dialled["answering_machine_detection"] == "detect"
    [request] = app.requests_to("/after")
    assert request.params["DialCallStatus"] == "completed"  # Enable connects the machine too
    call.check("completed")


def test_sip_destination(app, play) -> None:
    app.route("/voice", doc('<Dial action="/after"><Sip>sip:alice@pbx.example.com</Sip></Dial>'))
    app.route("/after", after)
    call = play("/voice", dial={"sip:alice@pbx.example.com": "busy"})
    [dialled] = [d["body"] for d in call.of("command") if d["path"] == "/calls"]
    assert dialled["to"] == "sip:alice@pbx.example.com"
    assert app.requests_to("/after")[0].params["DialCallStatus"] == "busy"
    call.check("completed", heard=["ringtone:us", "Dial busy for 0 s"])
