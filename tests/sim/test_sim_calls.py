"""Calls and legs: answer, reject, hangup, dial outcomes, bridges, limits, refusals."""

from __future__ import annotations

import pytest

from tests.support.simulation import act, answered_call, command, of, run_until, timed, types
from texml.sim import DialOutcome, Simulator


def dial(sim: Simulator, parent: str, to: str = "+15550100001", **extra: object) -> str:
    body = {"connection_id": "sim-connection", "from": "+15550002222", "to": to,
            "link_to": parent, "client_state": "bGVn", **extra}  # fmt: skip
    data = command(sim, "POST", "/calls", body)
    assert data["is_alive"] is False and data["record_type"] == "call"
    return data["call_control_id"]


# --- inbound calls ----------------------------------------------------------------------------


def test_inbound_call_rings_parked_until_answered() -> None:
    sim = Simulator()
    call_id = sim.start_inbound_call(from_="+15551110000", to="+15552220000")
    [initiated] = run_until(sim, 0)
    payload = initiated["data"]["payload"]
    assert initiated["data"]["event_type"] == "call.initiated"
    assert payload["direction"] == "incoming" and payload["state"] == "parked"
    assert (payload["from"], payload["to"], payload["call_control_id"]) == (
        "+15551110000", "+15552220000", call_id)
    assert payload["connection_id"] == "sim-connection"
    assert sim.call(call_id)["status"] == "ringing"
    act(sim, call_id, "answer", {"client_state": "YQ=="})
    [answered] = run_until(sim, 0)
    assert answered["data"]["event_type"] == "call.answered"
    assert answered["data"]["payload"]["client_state"] == "YQ=="
    assert sim.call(call_id)["status"] == "answered"
    assert answered["data"]["occurred_at"] == "1970-01-01T00:00:00.000000Z"


def test_ids_are_reproducible_with_the_same_seed() -> None:
    assert Simulator(seed=7).start_inbound_call() == Simulator(seed=7).start_inbound_call()
    assert Simulator(seed=None).start_inbound_call() != Simulator(seed=None).start_inbound_call()


def test_clock_start_is_unix_time_in_webhooks_and_zero_in_the_log() -> None:
    sim = Simulator(clock_start=1_700_000_000.0)
    call_id = answered_call(sim)
    act(sim, call_id, "speak", {"payload": "Hi", "voice": "female"})
    hooks = run_until(sim, sim.now + 5)
    assert hooks[0]["data"]["occurred_at"].startswith("2023-11-14T22:13:20")
    assert sim.log[0]["t"] == 0 and sim.log[0]["kind"] == "hear"


@pytest.mark.parametrize(("cause", "hangup_cause", "sip"), [
    ("USER_BUSY", "user_busy", "486"), ("CALL_REJECTED", "call_rejected", "603"),
    ("NOT_FOUND", "not_found", "404"), ("TEMPORARILY_UNAVAILABLE", "unspecified", "480"),
])  # fmt: skip
def test_reject(cause: str, hangup_cause: str, sip: str) -> None:
    sim = Simulator()
    call_id = sim.start_inbound_call()
    act(sim, call_id, "reject", {"cause": cause})
    [hangup] = of(run_until(sim), "call.hangup")
    assert (hangup["hangup_cause"], hangup["sip_hangup_cause"], hangup["hangup_source"]) == (
        hangup_cause, sip, "callee")


def test_reject_after_answer_is_refused() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    reply = act(sim, call_id, "reject", {"cause": "USER_BUSY"}, expect=422)
    assert reply["errors"][0]["code"] == "90034"


def test_hangup_by_the_application() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "hangup", {"client_state": "Ynll"})
    [hangup] = of(run_until(sim), "call.hangup")
    assert hangup["hangup_cause"] == "normal_clearing" and hangup["hangup_source"] == "callee"
    assert hangup["client_state"] == "Ynll" and hangup["state"] == "hangup"
    assert sim.next_time() is None


def test_the_caller_hangs_up_when_it_is_their_turn() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["hangup"])
    act(sim, call_id, "speak", {"payload": "one two three four five", "voice": "female"})
    hooks = run_until(sim)
    assert timed(hooks, sim)[-1] == (2.5, "call.hangup")  # 2 s of speech, then 0.5 s
    [hangup] = of(hooks, "call.hangup")
    assert hangup["hangup_source"] == "caller" and hangup["hangup_cause"] == "normal_clearing"
    assert sim.log[-1]["kind"] == "input" and sim.log[-1]["action"] == "hangup"


def test_a_ringing_caller_gives_up() -> None:
    sim = Simulator()
    call_id = sim.start_inbound_call(caller=["hangup"])
    [hangup] = of(run_until(sim), "call.hangup")
    assert hangup["hangup_cause"] == "originator_cancel" and hangup["hangup_source"] == "caller"
    assert sim.call(call_id)["ended_at"] == 0.5


def test_an_idle_call_is_hung_up_after_an_hour() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    hooks = run_until(sim)
    assert timed(hooks, sim) == [(3600.0, "call.hangup")]
    assert sim.call(call_id)["hangup_source"] == "unknown"
    assert sim.log[-1]["kind"] == "sim"


# --- refusals ---------------------------------------------------------------------------------


def test_refusals_are_shaped_like_telnyx_errors() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    status, reply = sim.command("POST", "/calls/v3:nobody/actions/speak",
                                {"payload": "x", "voice": "female"})  # fmt: skip
    assert status == 404 and reply["errors"][0]["code"] == "10005"
    status, reply = sim.command("POST", f"/calls/{call_id}/actions/speek", {})
    assert status == 422 and "did you mean speak" in reply["errors"][0]["detail"]
    for body, field in [
        ({"voice": "female"}, "payload"),  # required
        ({"payload": "x", "voice": "female", "langauge": "en-US"}, "langauge"),  # typo
        ({"payload": "x", "voice": "female", "language": "xx-XX"}, "language"),  # enum
        ({"payload": 3, "voice": "female"}, "payload"),  # type
        ({"payload": "x", "voice": "female", "loop": None}, "loop"),  # null
        ({"payload": "x", "voice": "female", "client_state": "not base64!"}, "client_state"),
    ]:
        status, reply = sim.command("POST", f"/calls/{call_id}/actions/speak", body)
        error = reply["errors"][0]
        assert status == 422 and error["code"] == "10015", reply
        assert error["source"]["pointer"] == f"/{field}" and set(error) >= {"title", "detail"}
    act(sim, call_id, "hangup")
    reply = act(sim, call_id, "speak", {"payload": "x", "voice": "female"}, expect=422)
    assert reply["errors"][0]["code"] == "90018"
    assert reply["errors"][0]["title"] == "Call has already ended"


def test_media_before_answer_is_refused() -> None:
    sim = Simulator()
    call_id = sim.start_inbound_call()
    reply = act(sim, call_id, "speak", {"payload": "x", "voice": "female"}, expect=422)
    assert "not been answered" in reply["errors"][0]["detail"]


def test_a_repeated_command_id_is_ignored() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    body = {"payload": "once", "voice": "female", "command_id": "c-1"}
    act(sim, call_id, "speak", body)
    act(sim, call_id, "speak", body)
    assert types(run_until(sim, 10)) == ["call.speak.started", "call.speak.ended"]
    first = dial(sim, call_id, command_id="d-1")
    assert dial(sim, call_id, command_id="d-1") == first


def test_client_state_update_and_each_legs_own_state() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    command(sim, "PUT", f"/calls/{call_id}/actions/client_state_update", {"client_state": "bmV3"})
    leg = dial(sim, call_id)
    act(sim, call_id, "speak", {"payload": "x", "voice": "female"})
    hooks = run_until(sim, 5)
    assert {p["client_state"] for p in of(hooks, "call.speak.started")} == {"bmV3"}
    assert {p["client_state"] for p in of(hooks, "call.answered", leg)} == {"bGVn"}


def test_retrieve_status() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    run_until(sim, 12)
    data = command(sim, "GET", f"/calls/{call_id}")
    assert data["is_alive"] is True and data["call_duration"] == 12
    act(sim, call_id, "hangup")
    assert command(sim, "GET", f"/calls/{call_id}")["is_alive"] is False


# --- dialling ---------------------------------------------------------------------------------


def test_answered_leg_stays_ten_seconds_then_hangs_up() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    leg = dial(sim, call_id)
    hooks = run_until(sim, 20)
    assert [(t, e) for t, e in timed(hooks, sim)] == [
        (0.0, "call.initiated"), (3.0, "call.answered"), (13.0, "call.hangup")]
    initiated, answered, hangup = (h["data"]["payload"] for h in hooks)
    assert initiated["direction"] == "outgoing" and initiated["state"] == "parked"
    assert initiated["call_session_id"] == sim.call(call_id)["call_session_id"]
    assert answered["call_control_id"] == leg and answered["client_state"] == "bGVn"
    assert (hangup["hangup_cause"], hangup["hangup_source"]) == ("normal_clearing", "callee")
    assert sim.call(call_id)["legs"] == [leg]
    assert sim.log[-1] == {"t": 0.0, "call": call_id, "kind": "dial", "to": "+15550100001",
                           "outcome": "answered", "leg": leg}  # fmt: skip


@pytest.mark.parametrize(("outcome", "at", "cause", "source", "sip"), [
    ("busy", 3.0, "user_busy", "callee", "486"),
    ("no-answer", 20.0, "timeout", "caller", "487"),
    ("failed", 0.5, "not_found", "callee", "404"),
])  # fmt: skip
def test_unanswered_outcomes(outcome: str, at: float, cause: str, source: str, sip: str) -> None:
    sim = Simulator()
    call_id = answered_call(sim, dial={"+15550100001": outcome})
    leg = dial(sim, call_id, timeout_secs=20)
    hooks = run_until(sim, 60)
    assert timed(hooks, sim) == [(0.0, "call.initiated"), (at, "call.hangup")]
    [hangup] = of(hooks, "call.hangup", leg)
    assert (hangup["hangup_cause"], hangup["hangup_source"], hangup["sip_hangup_cause"]) == (
        cause, source, sip)


def test_star_and_default_outcomes() -> None:
    sim = Simulator()
    call_id = answered_call(sim, dial={"*": "busy", "+15550100002": DialOutcome()})
    busy, answered = dial(sim, call_id), dial(sim, call_id, to="+15550100002")
    hooks = run_until(sim, 5)
    assert of(hooks, "call.hangup", busy) and of(hooks, "call.answered", answered)


def test_callee_script_and_stay() -> None:
    sim = Simulator()
    outcome = DialOutcome("answered", hangup_after=30, inputs=("7",))
    call_id = answered_call(sim, dial={"*": outcome})
    leg = dial(sim, call_id)
    run_until(sim, 3)
    act(sim, leg, "gather", {"maximum_digits": 1})
    hooks = run_until(sim, 60)
    assert of(hooks, "call.gather.ended", leg)[0]["digits"] == "7"
    assert (33.0, "call.hangup") in timed(hooks, sim)


def test_time_limit() -> None:
    sim = Simulator()
    call_id = answered_call(sim, dial={"*": "answered:never"})
    leg = dial(sim, call_id, time_limit_secs=60)
    [hangup] = of(run_until(sim, 100), "call.hangup", leg)
    assert hangup["hangup_cause"] == "time_limit"
    assert sim.call(leg)["ended_at"] == 63


def test_dial_refusals() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    for body, field in [
        ({"connection_id": "c", "to": "+1555"}, "from"),
        ({"connection_id": "c", "from": "+1", "to": "+1555", "link_to": "v3:nobody"}, "link_to"),
        ({"connection_id": "c", "from": "+1", "to": "+1555", "timeout_secs": 2}, "timeout_secs"),
        ({"connection_id": "c", "from": "+1", "to": "+1555", "bridge_on_answer": True},
         "bridge_on_answer"),
    ]:  # fmt: skip
        status, reply = sim.command("POST", "/calls", body)
        assert status == 422 and reply["errors"][0]["source"]["pointer"] == f"/{field}", reply
    assert call_id


def test_amd_on_a_machine() -> None:
    sim = Simulator()
    call_id = answered_call(sim, dial={"*": "machine"})
    leg = dial(sim, call_id, answering_machine_detection="greeting_end",
               answering_machine_detection_config={"total_analysis_time_millis": 5000})
    hooks = run_until(sim, 30)
    [verdict] = of(hooks, "call.machine.detection.ended", leg)
    [greeting] = of(hooks, "call.machine.greeting.ended", leg)
    assert verdict["result"] == "machine" and greeting["result"] == "beep_detected"


def test_amd_on_a_person() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    leg = dial(sim, call_id, answering_machine_detection="premium")
    hooks = run_until(sim, 30)
    assert of(hooks, "call.machine.premium.detection.ended", leg)[0]["result"] == \
        "human_residence"  # fmt: skip


# --- bridges ----------------------------------------------------------------------------------


def test_bridge_and_the_callee_leaving_parks_the_caller() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    leg = dial(sim, call_id)
    run_until(sim, 3)
    act(sim, call_id, "bridge", {"call_control_id": leg, "park_after_unbridge": "self"})
    hooks = run_until(sim, 3)
    assert [p["call_control_id"] for p in of(hooks, "call.bridged")] == [call_id, leg]
    assert sim.call(call_id)["status"] == "bridged"
    hooks = run_until(sim, 20)
    assert [p["call_control_id"] for p in of(hooks, "call.hangup")] == [leg]
    assert sim.call(call_id)["status"] == "answered"


def test_the_caller_leaving_hangs_up_the_callee() -> None:
    sim = Simulator()
    call_id = answered_call(sim, dial={"*": "answered:never"})
    leg = dial(sim, call_id)
    run_until(sim, 3)
    act(sim, call_id, "bridge", {"call_control_id": leg})
    act(sim, call_id, "hangup")
    hooks = run_until(sim, 5)
    assert [p["call_control_id"] for p in of(hooks, "call.hangup")] == [call_id, leg]
    assert of(hooks, "call.hangup", leg)[0]["hangup_source"] == "caller"


def test_bridge_while_ringing_connects_on_answer() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    leg = dial(sim, call_id)
    act(sim, call_id, "bridge", {"call_control_id": leg, "play_ringtone": True, "ringtone": "uk"})
    hooks = run_until(sim, 4)
    assert timed(hooks, sim)[-3:] == [
        (3.0, "call.answered"), (3.0, "call.bridged"), (3.0, "call.bridged")]


def test_bridge_on_answer() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    dial(sim, call_id, bridge_on_answer=True)
    hooks = run_until(sim, 4)
    assert types(hooks)[1:] == ["call.answered", "call.bridged", "call.bridged"]
    assert of(hooks, "call.initiated")[0]["state"] == "bridging"


def test_bridge_refusals() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    ringing = sim.start_inbound_call()
    run_until(sim, 0)
    reply = act(sim, call_id, "bridge", {"call_control_id": "v3:nobody"}, expect=422)
    assert reply["errors"][0]["source"]["pointer"] == "/call_control_id"
    act(sim, call_id, "bridge", {"call_control_id": call_id}, expect=422)
    act(sim, call_id, "bridge", {"call_control_id": ringing}, expect=422)
    other = answered_call(sim)
    third = answered_call(sim)
    act(sim, other, "bridge", {"call_control_id": third})
    reply = act(sim, call_id, "bridge", {"call_control_id": third, "prevent_double_bridge": True},
                expect=422)  # fmt: skip
    assert "already bridged" in reply["errors"][0]["detail"]


def test_transfer_dials_and_bridges_on_answer() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "transfer", {"to": "+15550100007", "target_leg_client_state": "dA=="})
    hooks = run_until(sim, 4)
    leg = of(hooks, "call.initiated")[0]["call_control_id"]
    assert of(hooks, "call.initiated")[0]["client_state"] == "dA=="
    assert sim.call(call_id)["bridged_with"] == leg


def test_while_bridged_the_caller_presses_keys_or_keeps_quiet() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["*", "silence", "5"])
    leg = dial(sim, call_id)
    run_until(sim, 3)
    act(sim, call_id, "bridge", {"call_control_id": leg, "park_after_unbridge": "self"})
    hooks = run_until(sim, 20)
    assert [p["digit"] for p in of(hooks, "call.dtmf.received")] == ["*"]  # 5 waits
    act(sim, call_id, "gather", {"maximum_digits": 1})
    assert of(run_until(sim, 30), "call.gather.ended")[0]["digits"] == "5"
