"""Queues and conferences."""

from __future__ import annotations

from tests.support.simulation import act, answered_call, command, of, run_until, timed, types
from texml.sim import Simulator


def enqueue(sim: Simulator, call_id: str, queue: str = "support", **extra: object) -> None:
    act(sim, call_id, "enqueue", {"queue_name": queue, **extra})


# --- queues -----------------------------------------------------------------------------------


def test_enqueue_list_and_bridge_with_the_head() -> None:
    sim = Simulator()
    first, second, agent = answered_call(sim), answered_call(sim), answered_call(sim)
    enqueue(sim, first)
    run_until(sim, 5)
    enqueue(sim, second)
    hooks = run_until(sim, 6)
    assert [p["current_position"] for p in of(hooks, "call.enqueued")] == [2]
    listing = command(sim, "GET", "/queues/support/calls", {})
    assert [c["call_control_id"] for c in listing] == [first, second]
    assert [c["queue_position"] for c in listing] == [1, 2] and listing[0]["wait_time_secs"] == 6
    _, reply = sim.command("GET", "/queues/support/calls", {})
    assert reply["meta"]["total_results"] == 2
    queue = command(sim, "GET", "/queues/support")
    assert queue["current_size"] == 2 and queue["record_type"] == "queue"
    act(sim, agent, "bridge", {"call_control_id": first, "park_after_unbridge": "self",
                               "prevent_double_bridge": True})  # fmt: skip
    hooks = run_until(sim, 6)
    assert types(hooks) == ["call.dequeued", "call.bridged", "call.bridged"]
    [left] = of(hooks, "call.dequeued")
    assert (left["reason"], left["queue"], left["wait_time_secs"], left["queue_position"]) == (
        "bridged", "support", 6, 1)
    assert [c["call_control_id"] for c in command(sim, "GET", "/queues/support/calls", {})] == [
        second]
    # The agent leaves: the caller it took is hung up (no park_after_unbridge of its own).
    act(sim, agent, "hangup")
    assert [p["call_control_id"] for p in of(run_until(sim, 7), "call.hangup")] == [agent, first]


def test_bridge_with_the_queue_field() -> None:
    sim = Simulator()
    waiting, agent = answered_call(sim), answered_call(sim)
    enqueue(sim, waiting)
    # The SDK requires call_control_id even with `queue`; the queue's head wins.
    act(sim, agent, "bridge", {"call_control_id": agent, "queue": "support"})
    assert sim.call(agent)["bridged_with"] == waiting
    act(sim, agent, "bridge", {"call_control_id": agent, "queue": "empty"}, expect=422)


def test_leave_timeout_and_hangup_reasons() -> None:
    sim = Simulator()
    leaver, impatient, quitter = answered_call(sim), answered_call(sim, inputs=["hangup"]), \
        answered_call(sim)  # fmt: skip
    enqueue(sim, leaver)
    enqueue(sim, quitter, max_wait_time_secs=30)
    enqueue(sim, impatient)
    hooks = run_until(sim, 2)
    act(sim, leaver, "leave_queue")
    hooks += run_until(sim, 40)
    reasons = {p["call_control_id"]: p["reason"] for p in of(hooks, "call.dequeued")}
    assert reasons == {leaver: "leave", impatient: "hangup", quitter: "timeout"}
    assert sim.call(quitter)["status"] == "answered" and sim.call(leaver)["queue"] is None
    act(sim, leaver, "leave_queue", expect=422)


def test_queue_refusals_and_capacity() -> None:
    sim = Simulator()
    one, two = answered_call(sim), answered_call(sim)
    enqueue(sim, one, "tiny", max_size=1)
    status, reply = sim.command("POST", f"/calls/{two}/actions/enqueue", {"queue_name": "tiny"})
    assert status == 422 and "full" in reply["errors"][0]["detail"]
    status, _ = sim.command("POST", f"/calls/{one}/actions/enqueue", {"queue_name": "other"})
    assert status == 422  # already waiting
    status, reply = sim.command("GET", "/queues/nothing/calls", {})
    assert status == 404


def test_queue_endpoints() -> None:
    sim = Simulator()
    assert command(sim, "POST", "/queues", {"queue_name": "sales", "max_size": 5})["max_size"] == 5
    assert command(sim, "POST", "/queues/sales", {"max_size": 7})["max_size"] == 7
    assert [q["name"] for q in command(sim, "GET", "/queues", {})] == ["sales"]
    call_id = answered_call(sim)
    enqueue(sim, call_id, "sales")
    assert command(sim, "GET", f"/queues/sales/calls/{call_id}")["queue_position"] == 1
    assert sim.command("DELETE", f"/queues/sales/calls/{call_id}")[0] == 204
    assert of(run_until(sim, 1), "call.dequeued")[0]["reason"] == "leave"
    assert sim.command("DELETE", "/queues/sales")[0] == 204


# --- conferences ------------------------------------------------------------------------------


def create(sim: Simulator, call_id: str, name: str = "room", **extra: object) -> str:
    data = command(sim, "POST", "/conferences", {"call_control_id": call_id, "name": name,
                                                 "client_state": "cm9vbQ==", **extra})  # fmt: skip
    assert data["record_type"] == "conference" and data["name"] == name
    return data["id"]


def join(sim: Simulator, room: str, call_id: str, **extra: object) -> None:
    command(sim, "POST", f"/conferences/{room}/actions/join", {"call_control_id": call_id, **extra})


def test_create_find_join_leave_and_end_when_empty() -> None:
    sim = Simulator()
    host, guest = answered_call(sim), answered_call(sim)
    room = create(sim, host)
    found = command(sim, "GET", "/conferences", {"filter": {"name": "room"}})
    assert [r["id"] for r in found] == [room] and found[0]["status"] == "in_progress"
    assert command(sim, "GET", "/conferences", {"filter": {"name": "other"}}) == []
    join(sim, room, guest, mute=True)
    hooks = run_until(sim, 1)
    assert types(hooks) == ["conference.created", "conference.participant.joined",
                            "conference.participant.joined"]  # fmt: skip
    assert {p["client_state"] for p in of(hooks, "conference.participant.joined")} == {"cm9vbQ=="}
    assert hooks[0]["data"]["payload"]["occurred_at"].startswith("1970")
    assert "occurred_at" not in hooks[0]["data"]
    members = command(sim, "GET", f"/conferences/{room}/participants", {})
    assert [(m["call_control_id"], m["muted"]) for m in members] == [(host, False), (guest, True)]
    command(sim, "POST", f"/conferences/{room}/actions/leave", {"call_control_id": guest})
    assert sim.call(guest)["status"] == "answered" and sim.call(guest)["conference"] is None
    act(sim, host, "hangup")
    hooks = run_until(sim, 2)
    assert types(hooks) == ["conference.participant.left", "conference.participant.left",
                            "conference.ended", "call.hangup"]  # fmt: skip
    assert of(hooks, "conference.ended")[0]["reason"] == "all_left"
    assert command(sim, "GET", f"/conferences/{room}")["status"] == "completed"
    status, _ = sim.command("POST", f"/conferences/{room}/actions/join", {"call_control_id": guest})
    assert status == 422


def test_end_conference_on_exit_hangs_up_the_others() -> None:
    sim = Simulator()
    host, guest = answered_call(sim), answered_call(sim)
    room = create(sim, host)
    join(sim, room, guest, end_conference_on_exit=True)
    run_until(sim, 1)
    command(sim, "POST", f"/conferences/{room}/actions/leave", {"call_control_id": guest})
    hooks = run_until(sim, 2)
    assert of(hooks, "conference.ended")[0]["reason"] == "host_left"
    assert [p["call_control_id"] for p in of(hooks, "call.hangup")] == [host]


def test_a_room_that_has_not_started_holds_its_participants() -> None:
    sim = Simulator()
    host, guest = answered_call(sim), answered_call(sim)
    room = create(sim, host, start_conference_on_create=False,
                  hold_audio_url="https://x/wait.mp3")  # fmt: skip
    assert command(sim, "GET", f"/conferences/{room}")["status"] == "init"
    hooks = run_until(sim, 1)
    assert of(hooks, "call.hold", host)
    join(sim, room, guest, start_conference_on_enter=True)
    hooks = run_until(sim, 2)
    assert of(hooks, "call.unhold", host) and not of(hooks, "call.hold", guest)
    assert [e["play"] for e in sim.log if e["kind"] == "hear"] == ["https://x/wait.mp3"]


def test_end_via_api_records_and_speaks() -> None:
    sim = Simulator()
    host = answered_call(sim)
    room = create(sim, host)
    command(sim, "POST", f"/conferences/{room}/actions/record_start", {"format": "mp3"})
    command(sim, "POST", f"/conferences/{room}/actions/speak",
            {"payload": "Welcome to the room", "voice": "female"})  # fmt: skip
    command(sim, "POST", f"/conferences/{room}/actions/mute", {})
    run_until(sim, 30)
    command(sim, "POST", f"/conferences/{room}/actions/end", {})
    hooks = run_until(sim, 40)
    assert "reason" not in of(hooks, "conference.ended")[0]
    [saved] = of(hooks, "conference.recording.saved")
    assert saved["conference_id"] == room and saved["format"] == "mp3"
    assert sim.call(host)["status"] == "hangup"


def test_conference_refusals() -> None:
    sim = Simulator()
    host = answered_call(sim)
    ringing = sim.start_inbound_call()
    assert sim.command("POST", "/conferences/nope/actions/join",
                       {"call_control_id": host})[0] == 404  # fmt: skip
    assert sim.command("POST", "/conferences", {"call_control_id": ringing, "name": "r"})[0] == 422
    room = create(sim, host)
    assert sim.command("POST", "/conferences", {"call_control_id": host, "name": "r"})[0] == 422
    assert sim.command("POST", f"/conferences/{room}/actions/unhold",
                       {"call_control_ids": ["v3:nobody"]})[0] == 422  # fmt: skip
    assert timed(run_until(sim, 0), sim)[0][0] == 0
