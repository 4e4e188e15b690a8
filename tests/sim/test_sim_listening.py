"""Recordings and speech: record_start/stop with talk, finish keys, hang-ups; transcription."""

from __future__ import annotations

from datetime import datetime

from tests.support.simulation import act, answered_call, of, run_until, timed, types
from texml.sim import Simulator

RECORD = {"channels": "single", "format": "mp3", "play_beep": True}


def seconds(payload: dict) -> float:
    start = datetime.fromisoformat(payload["recording_started_at"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(payload["recording_ended_at"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


def test_talk_then_silence_timeout_ends_the_recording() -> None:
    sim = Simulator(recording_base_url="http://127.0.0.1:9/")
    call_id = answered_call(sim, inputs=["talk:4"])
    act(sim, call_id, "record_start", {**RECORD, "timeout_secs": 3, "max_length": 60})
    hooks = run_until(sim, 30)
    [saved] = of(hooks, "call.recording.saved")
    # The caller starts 0.5 s in, talks 4 s; 3 s of silence end it; saved a second later.
    assert timed(hooks, sim) == [(8.5, "call.recording.saved")]
    assert seconds(saved) == 7.5
    rec_id = saved["recording_id"]
    assert saved["recording_urls"] == {"mp3": f"http://127.0.0.1:9/sim/recordings/{rec_id}.mp3"}
    assert saved["public_recording_urls"] == saved["recording_urls"]
    assert saved["call_control_id"] == call_id and saved["format"] == "mp3"
    assert saved["channels"] == "single" and saved["client_state"] == "c3RhdGU="
    assert [e.get("play") for e in sim.log if e["kind"] == "hear"] == ["beep"]
    assert sim.call(call_id)["recordings"][0]["talked"] == 4


def test_max_length_ends_the_recording() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["talk:100"])
    act(sim, call_id, "record_start", {**RECORD, "max_length": 10})
    [saved] = of(run_until(sim, 30), "call.recording.saved")
    assert seconds(saved) == 10


def test_a_finish_key_reaches_the_application_which_stops_the_recording() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["talk:2", "#"])

    def react(envelope: dict) -> None:
        data = envelope["data"]
        if data["event_type"] == "call.dtmf.received" and data["payload"]["digit"] == "#":
            act(sim, call_id, "record_stop", {})

    act(sim, call_id, "record_start", {**RECORD, "format": "wav"})
    hooks = run_until(sim, 30, react=react)
    assert types(hooks) == ["call.dtmf.received", "call.recording.saved"]
    [saved] = of(hooks, "call.recording.saved")
    assert seconds(saved) == 3.0 and list(saved["recording_urls"]) == ["wav"]


def test_a_hang_up_saves_the_recording_after_call_hangup() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["talk:2", "hangup"])
    act(sim, call_id, "record_start", RECORD)
    hooks = run_until(sim)
    assert timed(hooks, sim) == [(3.0, "call.hangup"), (4.0, "call.recording.saved")]
    assert seconds(of(hooks, "call.recording.saved")[0]) == 3.0


def test_trim_keeps_only_the_talking() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["talk:2"])
    act(sim, call_id, "record_start", {**RECORD, "trim": "trim-silence", "timeout_secs": 5})
    [saved] = of(run_until(sim, 30), "call.recording.saved")
    assert seconds(saved) == 2.0


def test_record_stop_without_a_recording_is_refused() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "record_stop", {}, expect=422)
    act(sim, call_id, "record_start", {**RECORD, "max_length": 20000}, expect=422)


def test_recording_transcription_has_the_words_said() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["speech:please call me back"])
    act(sim, call_id, "record_start", {**RECORD, "timeout_secs": 2, "transcription": True,
                                       "transcription_engine": "B"})  # fmt: skip
    hooks = run_until(sim, 30)
    [text] = of(hooks, "call.recording.transcription.saved")
    assert text["transcription_text"] == "please call me back" and text["status"] == "completed"
    assert text["recording_id"] == of(hooks, "call.recording.saved")[0]["recording_id"]


def test_answer_with_record_from_answer() -> None:
    sim = Simulator()
    call_id = sim.start_inbound_call()
    reply = act(sim, call_id, "answer", {"record": "record-from-answer", "record_format": "wav"})
    run_until(sim, 20)
    act(sim, call_id, "hangup")
    [saved] = of(run_until(sim), "call.recording.saved")
    assert saved["recording_id"] == reply["recording_id"] and seconds(saved) == 20


def test_dial_with_record_from_answer() -> None:
    from tests.support.simulation import command

    sim = Simulator()
    call_id = answered_call(sim)
    data = command(sim, "POST", "/calls", {
        "connection_id": "c", "from": "+1", "to": "+15550100001", "link_to": call_id,
        "record": "record-from-answer"})  # fmt: skip
    [saved] = of(run_until(sim, 30), "call.recording.saved", data["call_control_id"])
    assert saved["recording_id"] == data["recording_id"] and seconds(saved) == 10


# --- real-time transcription -----------------------------------------------------------------


def test_speech_becomes_interim_and_final_results() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["speech:I would like sales please"])
    act(sim, call_id, "transcription_start", {
        "transcription_engine": "Google",
        "transcription_engine_config": {"interim_results": True, "language": "en"}})  # fmt: skip
    hooks = run_until(sim, 10)
    results = [p["transcription_data"] for p in of(hooks, "call.transcription")]
    assert results == [
        {"transcript": "I", "confidence": 0.92, "is_final": False},
        {"transcript": "I would like sales please", "confidence": 0.92, "is_final": True},
    ]
    assert timed(hooks, sim) == [(0.9, "call.transcription"), (2.5, "call.transcription")]
    assert sim.log[-1] == {"t": 0.5, "call": call_id, "kind": "input",
                           "speech": "I would like sales please"}  # fmt: skip


def test_telnyx_engine_reports_the_track_and_no_interims_unless_asked() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["speech:yes"])
    act(sim, call_id, "transcription_start", {"transcription_engine": "Telnyx"})
    [result] = of(run_until(sim, 10), "call.transcription")
    assert result["transcription_data"]["transcription_track"] == "inbound"


def test_transcription_stop_drops_later_results() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["speech:one two three four five six"])
    act(sim, call_id, "transcription_start", {"transcription_engine": "A"})
    run_until(sim, 1.0)  # the caller is halfway through the sentence
    act(sim, call_id, "transcription_stop", {})
    assert "call.transcription" not in types(run_until(sim, 10))


def test_speech_and_digits_mixed_gather() -> None:
    """As the compiler runs <Gather input="dtmf speech">: gather + transcription side by side."""
    sim = Simulator()
    call_id = answered_call(sim, inputs=["speech:support"])
    act(sim, call_id, "transcription_start", {"transcription_engine": "Google"})
    act(sim, call_id, "gather", {"initial_timeout_millis": 10000, "maximum_digits": 1})
    hooks = run_until(sim, 3)
    assert of(hooks, "call.transcription")[0]["transcription_data"]["transcript"] == "support"
    assert "call.gather.ended" not in types(hooks)
