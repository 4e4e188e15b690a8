"""Speak, playback and DTMF gathers on a simulated call."""

from __future__ import annotations

import pytest

from tests.support.simulation import act, answered_call, of, run_until, timed, types
from texml.sim import Simulator
from texml.sim.media import play_seconds, speak_seconds

SPEAK = {"payload": "Press one for sales", "voice": "female"}  # 4 words: 1.6 s


def test_speech_lasts_by_its_words_with_a_floor() -> None:
    assert speak_seconds("one two three four five") == 2.0
    assert speak_seconds("Hi") == 1.0
    assert speak_seconds('<speak>Hi <break time="1500ms"/> there</speak>') == 2.3
    assert play_seconds("https://x/a.mp3") == 5.0
    assert play_seconds("https://x/a.mp3#12.5s") == 12.5


def test_speak_started_ended_and_heard() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "speak", {**SPEAK, "loop": 2})
    hooks = run_until(sim, 10)
    assert timed(hooks, sim) == [(0.0, "call.speak.started"), (3.2, "call.speak.ended")]
    assert of(hooks, "call.speak.ended")[0]["status"] == "completed"
    assert sim.log == [{"t": 0.0, "call": call_id, "kind": "hear", "say": "Press one for sales"}]


def test_audio_queues_and_stops() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "speak", SPEAK)
    act(sim, call_id, "playback_start", {"audio_url": "https://x/a.mp3"})
    act(sim, call_id, "playback_start", {"audio_url": "https://x/b.mp3#2s"})
    hooks = run_until(sim, 20)
    assert timed(hooks, sim) == [
        (0.0, "call.speak.started"), (1.6, "call.speak.ended"),
        (1.6, "call.playback.started"), (6.6, "call.playback.ended"),
        (6.6, "call.playback.started"), (8.6, "call.playback.ended"),
    ]  # fmt: skip
    assert of(hooks, "call.playback.started")[1]["media_url"] == "https://x/b.mp3#2s"
    assert [e.get("play") for e in sim.log[1:]] == ["https://x/a.mp3", "https://x/b.mp3#2s"]


def test_playback_stop_all_and_infinite_loops() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "playback_start", {"audio_url": "https://x/hold.mp3", "loop": "infinity"})
    act(sim, call_id, "speak", SPEAK)
    run_until(sim, 100)
    act(sim, call_id, "playback_stop", {})
    hooks = run_until(sim, 100)
    assert [(p.get("status")) for p in of(hooks, "call.playback.ended")] == ["cancelled"]
    assert of(hooks, "call.speak.ended")[0]["status"] == "completed"  # queued, cleared


def test_stop_current_moves_the_queue_on() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "playback_start", {"audio_url": "https://x/a.mp3"})
    act(sim, call_id, "speak", {**SPEAK, "stop": "current"})
    hooks = run_until(sim, 5)
    assert types(hooks) == ["call.playback.started", "call.playback.ended",
                            "call.speak.started", "call.speak.ended"]  # fmt: skip


def test_missing_file() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "playback_start", {"audio_url": "https://x/gone.mp3#missing"})
    [ended] = of(run_until(sim, 1), "call.playback.ended")
    assert ended["status"] == "file_not_found" and ended["status_detail"]


def test_playback_needs_one_source() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "playback_start", {}, expect=422)
    act(sim, call_id, "playback_start", {"audio_url": "a", "media_name": "b"}, expect=422)
    act(sim, call_id, "playback_start", {"audio_url": "a", "loop": 0}, expect=422)


def test_hangup_ends_media_with_call_hangup() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "speak", SPEAK)
    act(sim, call_id, "gather", {})
    act(sim, call_id, "hangup")
    hooks = run_until(sim, 1)
    assert types(hooks)[1:] == ["call.gather.ended", "call.speak.ended", "call.hangup"]
    assert of(hooks, "call.gather.ended")[0]["status"] == "call_hangup"
    assert of(hooks, "call.speak.ended")[0]["status"] == "call_hangup"


def test_send_dtmf_is_heard() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "send_dtmf", {"digits": "12w#"})
    assert sim.log[-1]["dtmf"] == "12w#"
    act(sim, call_id, "send_dtmf", {"digits": "x"}, expect=422)


# --- gathers ----------------------------------------------------------------------------------


def gather_result(inputs: list[str], body: dict, until: float = 120.0,
                  prompt: bool = True) -> tuple[dict, list]:  # fmt: skip
    sim = Simulator()
    call_id = answered_call(sim, inputs=inputs)
    if prompt:
        act(sim, call_id, "gather_using_speak", {**SPEAK, **body})
    else:
        act(sim, call_id, "gather", body)
    hooks = run_until(sim, until)
    [ended] = of(hooks, "call.gather.ended")
    return ended, hooks


def test_digits_after_the_prompt() -> None:
    ended, hooks = gather_result(["42#"], {"maximum_digits": 5, "maximum_tries": 1})
    assert (ended["digits"], ended["status"]) == ("42", "valid")
    assert [p["digit"] for p in of(hooks, "call.dtmf.received")] == ["4", "2", "#"]
    # The prompt (1.6 s) plays, the caller acts half a second later, keys 0.25 s apart.
    assert timed(hooks, Simulator())[:3] == [
        (2.1, "call.dtmf.received"), (2.35, "call.dtmf.received"), (2.6, "call.dtmf.received")]
    assert "call.speak.started" not in types(hooks)  # gather_using_speak sends no speak events


def test_maximum_digits_ends_input() -> None:
    ended, _ = gather_result(["1234"], {"maximum_digits": 2})
    assert (ended["digits"], ended["status"]) == ("12", "valid")


def test_too_few_digits_is_invalid() -> None:
    ended, _ = gather_result(["1#"], {"minimum_digits": 2, "maximum_digits": 4,
                                      "maximum_tries": 1})  # fmt: skip
    assert (ended["digits"], ended["status"]) == ("1", "invalid")


def test_digit_outside_valid_digits_is_invalid() -> None:
    ended, _ = gather_result(["9"], {"valid_digits": "123", "maximum_tries": 1})
    assert (ended["digits"], ended["status"]) == ("9", "invalid")


def test_invalid_input_is_retried_with_tries_left() -> None:
    ended, _ = gather_result(["9", "2"], {"valid_digits": "123", "maximum_digits": 1,
                                              "maximum_tries": 2, "invalid_payload": "Sorry"})  # fmt: skip
    assert (ended["digits"], ended["status"]) == ("2", "valid")


def test_inter_digit_timeout_ends_input() -> None:
    ended, hooks = gather_result(["12"], {"maximum_digits": 4, "inter_digit_timeout_millis": 3000,
                                          "minimum_digits": 2})  # fmt: skip
    assert (ended["digits"], ended["status"]) == ("12", "valid")
    assert timed(hooks, Simulator())[-1] == (5.35, "call.gather.ended")


def test_timeout_with_silence_replays_the_prompt_then_gives_up() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["silence"])
    act(sim, call_id, "gather_using_speak", {**SPEAK, "timeout_millis": 2000, "maximum_tries": 2})
    hooks = run_until(sim, 30)
    [ended] = of(hooks, "call.gather.ended")
    assert ended["status"] == "timeout" and ended["digits"] == ""
    assert [e["kind"] for e in sim.log] == ["hear", "input", "hear"]
    assert timed(hooks, sim) == [(7.2, "call.gather.ended")]  # (1.6 + 2) x 2


def test_a_gather_with_nothing_left_in_the_script_times_out() -> None:
    ended, hooks = gather_result([], {"initial_timeout_millis": 4000}, prompt=False)
    assert ended["status"] == "timeout"
    assert timed(hooks, Simulator()) == [(4.0, "call.gather.ended")]


def test_plain_gather_overall_timeout() -> None:
    """The overall limit cuts input short: too few digits are invalid."""
    ended, hooks = gather_result(["1"], {"minimum_digits": 3, "maximum_digits": 3,
                                         "initial_timeout_millis": 9000, "timeout_millis": 1000},
                                 prompt=False)  # fmt: skip
    assert (ended["digits"], ended["status"]) == ("1", "invalid")
    assert timed(hooks, Simulator())[-1] == (1.0, "call.gather.ended")


def test_gather_id_is_echoed_and_terminating_digit_can_be_disabled() -> None:
    ended, _ = gather_result(["1#2"], {"gather_id": "g-7", "terminating_digit": "",
                                       "maximum_digits": 3}, prompt=False)  # fmt: skip
    assert (ended["digits"], ended["gather_id"]) == ("1#2", "g-7")


def test_gather_using_audio_sends_playback_events() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["5"])
    act(sim, call_id, "gather_using_audio", {"audio_url": "https://x/menu.mp3#3s",
                                             "maximum_digits": 1})  # fmt: skip
    hooks = run_until(sim, 20)
    assert types(hooks) == ["call.playback.started", "call.playback.ended",
                            "call.dtmf.received", "call.gather.ended"]  # fmt: skip
    assert of(hooks, "call.gather.ended")[0]["digits"] == "5"


def test_gather_stop_cancels() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "gather", {})
    act(sim, call_id, "gather_stop")
    [ended] = of(run_until(sim, 1), "call.gather.ended")
    assert ended["status"] == "cancelled"
    act(sim, call_id, "gather_stop", expect=422)


def test_queued_prompts_then_gather_as_the_compiler_sends_them() -> None:
    """Several prompts next to a plain gather: the caller waits for the prompts to end."""
    sim = Simulator()
    call_id = answered_call(sim, inputs=["3"])
    act(sim, call_id, "speak", SPEAK)
    act(sim, call_id, "speak", SPEAK)
    act(sim, call_id, "gather", {"initial_timeout_millis": 305000, "maximum_digits": 1})
    hooks = run_until(sim, 10)
    assert (3.7, "call.dtmf.received") in timed(hooks, sim)


@pytest.mark.parametrize("body", [{"minimum_digits": 0}, {"maximum_digits": 129},
                                  {"minimum_digits": 3, "maximum_digits": 2},
                                  {"terminating_digit": "##"}])  # fmt: skip
def test_bad_gather_bodies(body: dict) -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "gather", body, expect=422)


def test_keys_reach_nobody_when_nothing_listens() -> None:
    """Digits wait for a listener: they are not pressed while a prompt plays or between verbs."""
    sim = Simulator()
    call_id = answered_call(sim, inputs=["1"])
    act(sim, call_id, "speak", SPEAK)
    hooks = run_until(sim, 60)
    assert "call.dtmf.received" not in types(hooks)
    act(sim, call_id, "gather", {"maximum_digits": 1})
    assert of(run_until(sim, 70), "call.gather.ended")[0]["digits"] == "1"
