"""<Say> -> speak: voices, loops, SSML, and which speech-ended events are its own."""

from __future__ import annotations

import itertools

import pytest

import texml
from compiler import CallContext, Done, Webhook, compile_verb, sends
from tests.support.telnyx_schema import validate_command

CALL = "v3:call-1"


def step_for(xml: str):  # type: ignore[no-untyped-def]
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    ids = itertools.count(1)
    ctx = CallContext(CALL, "conn", "+15550001111", "+15550002222", "e30=", lambda: f"id-{next(ids)}")
    return compile_verb(doc.verbs[0], ctx)


def body(xml: str) -> dict:
    [command] = sends(step_for(xml).start())
    validate_command(command.method, command.resolved_path(CALL), dict(command.body))
    return {k: v for k, v in command.body.items() if k not in ("command_id", "client_state")}


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ("<Say>Hi</Say>", {"payload": "Hi", "voice": "male", "language": "en-US"}),
        ('<Say voice="woman">Hi</Say>', {"payload": "Hi", "voice": "female", "language": "en-US"}),
        ('<Say voice="alice" language="fr-FR">Salut</Say>',
         {"payload": "Salut", "voice": "female", "language": "fr-FR", "service_level": "premium"}),
        ('<Say voice="alice" language="de">Hallo</Say>',
         {"payload": "Hallo", "voice": "female", "language": "de-DE", "service_level": "premium"}),
        ('<Say voice="Polly.Joanna-Neural">Hi</Say>', {"payload": "Hi", "voice": "AWS.Polly.Joanna-Neural"}),
        ('<Say voice="Azure.en-US-AvaNeural">Hi</Say>', {"payload": "Hi", "voice": "Azure.en-US-AvaNeural"}),
        ('<Say loop="3">Hi</Say>', {"payload": "Hi", "voice": "male", "language": "en-US", "loop": 3}),
        ('<Say loop="0">Hi</Say>', {"payload": "Hi", "voice": "male", "language": "en-US", "loop": "infinity"}),
        ('<Say voice="Polly.Joanna">Hi <break time="1s"/> there</Say>',
         {"payload": '<speak>Hi <break time="1s"/> there</speak>', "payload_type": "ssml",
          "voice": "AWS.Polly.Joanna"}),
    ],
)  # fmt: skip
def test_speak_bodies(xml: str, expected: dict) -> None:
    assert body(xml) == expected


def test_ends_on_its_own_speech_only() -> None:
    step = step_for("<Say>Hi</Say>")
    step.start()
    stale = Webhook("call.speak.ended", {"call_control_id": CALL, "status": "completed"})
    assert step.on_event(stale) == []  # speech stopped before this step began
    assert step.on_event(Webhook("call.speak.started", {"call_control_id": CALL})) == []
    assert step.on_event(stale) == [Done()]
    assert step.done


def test_hangup_during_speech_ends_the_call() -> None:
    step = step_for("<Say>Hi</Say>")
    step.start()
    done = step.on_event(Webhook("call.hangup", {"call_control_id": CALL, "hangup_cause": "normal_clearing"}))
    assert done == [Done(end=True, outcome="hangup")]
