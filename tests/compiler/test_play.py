"""<Play> -> playback_start / send_dtmf (texml-verbs-core.md §2; call-control.md playback_start,
send_dtmf, call.playback.ended)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

import texml
from compiler import (
    CallContext, CommandFailed, Done, Step, Webhook, compile_verb, sends,
)  # fmt: skip
from compiler.play import PlayStep
from tests.support.telnyx_schema import validate_command, validate_webhook

CALL = "v3:call-1"
AUDIO = "https://cdn.example.com/hello.mp3"


def make_ctx() -> CallContext:
    ids = itertools.count(1)
    return CallContext(CALL, "conn-1", "+15550001111", "+15550002222", "c3RhdGU=",
                       new_id=lambda: f"id-{next(ids)}",
                       document_url="https://app.example.com/flows/main.xml")  # fmt: skip


def step_for(xml: str) -> Step:
    """The step, as if its audio had started (test_ended_before_started covers the rest)."""
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    step = compile_verb(doc.verbs[0], make_ctx())
    step.started = True  # type: ignore[attr-defined]
    return step


def test_ended_before_started_is_an_earlier_playback() -> None:
    """Audio stopped just before the step still reports call.playback.ended: not ours."""
    doc = texml.parse(f"<Response><Play>{AUDIO}</Play></Response>")
    step = compile_verb(doc.verbs[0], make_ctx())
    step.start()
    assert step.on_event(ended("cancelled")) == []
    assert step.on_event(Webhook("call.playback.started", {"call_control_id": CALL})) == []
    assert step.on_event(ended("completed"))[-1] == Done()


def checked(effects: list[Any]) -> list[Any]:
    for command in sends(effects):
        validate_command(command.method, command.resolved_path(CALL), command.body)
    return effects


def ended(status: str, **extra: Any) -> Webhook:
    payload = {"call_control_id": CALL, "status": status, "media_url": AUDIO, **extra}
    validate_webhook({"data": {"record_type": "event", "event_type": "call.playback.ended",
                               "payload": payload}})  # fmt: skip
    return Webhook("call.playback.ended", payload)


def test_plays_an_audio_url_once_and_ends_on_playback_ended() -> None:
    step = step_for(f"<Play>{AUDIO}</Play>")
    assert isinstance(step, PlayStep)
    effects = checked(step.start())
    (command,) = sends(effects)
    assert command.action == "playback_start"
    assert command.body == {"audio_url": AUDIO, "client_state": "c3RhdGU=", "command_id": "id-1"}
    assert step.on_event(ended("completed")) == [Done()]
    assert step.done


def test_relative_url_resolves_against_the_document() -> None:
    step = step_for("<Play>../audio/hi.wav</Play>")
    (command,) = sends(checked(step.start()))
    assert command.body["audio_url"] == "https://app.example.com/audio/hi.wav"


def test_media_storage_plays_a_media_name() -> None:
    step = step_for('<Play mediaStorage="true" loop="3">greeting</Play>')
    (command,) = sends(checked(step.start()))
    assert command.body == {"media_name": "greeting", "loop": 3, "client_state": "c3RhdGU=",
                            "command_id": "id-1"}  # fmt: skip


def test_loop_zero_is_infinity() -> None:
    step = step_for(f'<Play loop="0">{AUDIO}</Play>')
    (command,) = sends(checked(step.start()))
    assert command.body["loop"] == "infinity"


def test_loop_above_100_is_played_in_turns() -> None:
    step = step_for(f'<Play loop="250">{AUDIO}</Play>')
    loops = []
    effects = checked(step.start())
    for _ in range(5):
        (command,) = sends(effects)
        loops.append(command.body["loop"])
        effects = checked(step.on_event(ended("completed")))
        if step.done:
            break
    assert loops == [100, 100, 50]
    assert effects == [Done()]


def test_loop_of_101_ends_with_a_single_play() -> None:
    step = step_for(f'<Play loop="101">{AUDIO}</Play>')
    (first,) = sends(checked(step.start()))
    (second,) = sends(checked(step.on_event(ended("completed"))))
    assert first.body["loop"] == 100 and "loop" not in second.body
    assert step.on_event(ended("completed")) == [Done()]


def test_failure_tries_the_failover_url_once_with_the_loops_left() -> None:
    step = step_for(f'<Play loop="150" failoverUrl="backup.mp3" continueOnError="true">'
                    f"{AUDIO}</Play>")
    checked(step.start())
    (failover,) = sends(checked(step.on_event(ended("file_not_found"))))
    assert failover.body["audio_url"] == "https://app.example.com/flows/backup.mp3"
    assert failover.body["loop"] == 100
    # The failover fails too: continueOnError moves on.
    assert step.on_event(ended("failed")) == [Done(outcome="failed")]


def test_failure_without_continue_on_error_aborts_the_script() -> None:
    step = step_for(f"<Play>{AUDIO}</Play>")
    checked(step.start())
    effects = checked(step.on_event(ended("failed", status_detail="HTTP 404")))
    (hangup,) = sends(effects)
    assert hangup.action == "hangup"
    assert effects[-1] == Done(end=True, outcome="failed")


def test_refused_playback_command_counts_as_a_failure() -> None:
    step = step_for(f'<Play continueOnError="true">{AUDIO}</Play>')
    (command,) = sends(step.start())
    assert step.on_event(CommandFailed(command, 422, "bad url")) == [Done(outcome="failed")]


def test_failover_in_media_storage_is_a_media_name() -> None:
    step = step_for('<Play mediaStorage="true" failoverUrl="spare" loop="0">main</Play>')
    checked(step.start())
    (failover,) = sends(checked(step.on_event(ended("file_not_found"))))
    assert failover.body["media_name"] == "spare" and failover.body["loop"] == "infinity"


def test_hangup_during_playback_ends_the_call() -> None:
    step = step_for(f"<Play>{AUDIO}</Play>")
    step.start()
    assert step.on_event(ended("call_hangup")) == [Done(end=True, outcome="hangup")]
    step = step_for(f"<Play>{AUDIO}</Play>")
    step.start()
    assert step.on_event(Webhook("call.hangup", {"call_control_id": CALL})) == [
        Done(end=True, outcome="hangup")
    ]


def test_cancelled_playback_moves_on() -> None:
    step = step_for(f'<Play loop="300">{AUDIO}</Play>')
    step.start()
    assert step.on_event(ended("cancelled")) == [Done()]


def test_other_legs_playbacks_are_ignored() -> None:
    step = step_for(f"<Play>{AUDIO}</Play>")
    step.start()
    assert step.on_event(Webhook("call.playback.ended", {"call_control_id": "v3:other",
                                                         "status": "completed"})) == []  # fmt: skip
    assert not step.done


@pytest.mark.parametrize("digits", ["1234#", "ww12W*", "0"])
def test_digits_are_sent_as_dtmf_and_the_step_ends_at_once(digits: str) -> None:
    step = step_for(f'<Play digits="{digits}"/>')
    effects = checked(step.start())
    (command,) = sends(effects)
    assert command.action == "send_dtmf"
    assert command.body == {"digits": digits, "client_state": "c3RhdGU=", "command_id": "id-1"}
    assert effects[-1] == Done()


def test_ring_tone_has_no_equivalent_and_plays_nothing() -> None:
    step = step_for('<Play ringTone="uk" loop="0"/>')
    assert step.start() == [Done(outcome="unsupported")]
    assert step.plan() == []
