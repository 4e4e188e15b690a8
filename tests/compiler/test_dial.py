"""`<Dial>` with `<Number>`/`<Sip>` (compiler.dial, compiler.legs), driven event by event."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import pytest

import texml
from compiler import (
    Action, CallContext, Callback, CancelTimer, Command, CommandFailed, CommandResult,
    DocumentDone, Done, RunDocument, Send, SetTimer, StopDocument, TimerFired, Watch, Webhook,
    compile_verb, step_class,
)  # fmt: skip
from compiler.conference import ConferenceDialStep
from compiler.dial import CLOSE_TIMER, DialStep, NumberDialStep
from compiler.queue import QueueDialStep
from tests.support.telnyx_schema import validate_command, validate_webhook

CALL = "v3:caller"
STATE = base64.b64encode(b'{"session":"s1"}').decode()
DOC = "https://app.example.com/voice.xml"
T0 = "2024-01-01T12:00:00.000000Z"
T_ANSWER = "2024-01-01T12:00:05.000000Z"
T_END = "2024-01-01T12:01:07.400000Z"


def context(**overrides: Any) -> CallContext:
    counter = itertools.count(1)
    fields: dict[str, Any] = {
        "call_control_id": CALL,
        "connection_id": "conn-1",
        "from_": "+15550001111",
        "to": "+15550002222",
        "client_state": STATE,
        "new_id": lambda: f"id-{next(counter)}",
        "document_url": DOC,
    }
    fields.update(overrides)
    return CallContext(**fields)


def step_for(xml: str, **ctx: Any) -> NumberDialStep:
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert not doc.errors, doc.errors
    step = compile_verb(doc.verbs[0], context(**ctx))
    assert isinstance(step, NumberDialStep)
    return step


def checked(effects: list[Any]) -> list[Any]:
    """The effects, after every command in them passed the SDK oracle."""
    for effect in effects:
        if isinstance(effect, Send):
            cmd = effect.command
            validate_command(cmd.method, cmd.resolved_path(CALL), dict(cmd.body))
    return effects


def hook(event_type: str, occurred_at: str | None = T0, **payload: Any) -> Webhook:
    """A webhook as Telnyx sends it, checked against the SDK's model first."""
    data: dict[str, Any] = {"record_type": "event", "event_type": event_type, "id": "evt-1"}
    if occurred_at:
        data["occurred_at"] = occurred_at
    data["payload"] = {"connection_id": "conn-1", **payload}
    envelope = {"data": data}
    validate_webhook(envelope)
    return Webhook.from_json(envelope)


def leg_state(step: NumberDialStep, n: int) -> str:
    return step.legs[n].client_state


def leg_hook(
    step: NumberDialStep, n: int, event_type: str, at: str | None = T0, **payload: Any
) -> Webhook:
    return hook(
        event_type, at, call_control_id=f"v3:leg{n}", client_state=leg_state(step, n), **payload
    )


def caller_hook(event_type: str, at: str | None = T0, **payload: Any) -> Webhook:
    return hook(event_type, at, call_control_id=CALL, client_state=STATE, **payload)


def dials(effects: list[Any]) -> list[Command]:
    return [e.command for e in effects if isinstance(e, Send) and e.command.path == "/calls"]


def reply(step: NumberDialStep, n: int) -> list[Any]:
    """The dial's reply for leg n: its new call_control_id."""
    command = step.legs[n].command
    assert command is not None
    data = {
        "call_control_id": f"v3:leg{n}",
        "call_leg_id": f"leg-{n}",
        "call_session_id": "s",
        "is_alive": False,
        "record_type": "call",
    }
    return checked(step.on_event(CommandResult(command, data)))


def command(effects: list[Any], action: str) -> Command:
    found = [e.command for e in effects if isinstance(e, Send) and e.command.action == action]
    assert len(found) == 1, effects
    return found[0]


def the(command: Command | None) -> Command:
    """A command the step has sent."""
    assert command is not None
    return command


def done(effects: list[Any]) -> Done:
    assert isinstance(effects[-1], Done), effects
    assert not any(isinstance(e, Done) for e in effects[:-1])
    return effects[-1]


# --- dispatch and plan -------------------------------------------------------------------------


def test_the_noun_picks_the_machine() -> None:
    assert step_class("Dial") is DialStep
    doc = texml.parse(
        "<Response><Dial>+15551230000</Dial><Dial><Sip>sip:a@example.com</Sip></Dial>"
        "<Dial><Conference>room</Conference></Dial><Dial><Queue>support</Queue></Dial></Response>"
    )
    assert not doc.errors
    kinds = [type(compile_verb(verb, context())) for verb in doc.verbs]
    assert kinds == [NumberDialStep, NumberDialStep, ConferenceDialStep, QueueDialStep]
    assert all(issubclass(kind, DialStep) for kind in kinds)
    assert NumberDialStep.ENDS_ON == ("call.hangup",)


def test_plan_lists_the_dials() -> None:
    step = step_for("<Dial><Number>+15551230000</Number><Number>+15551230001</Number></Dial>")
    plan = step.plan()
    assert [c.path for c in plan] == ["/calls", "/calls"]
    assert [c.body["to"] for c in plan] == ["+15551230000", "+15551230001"]
    assert not step.done  # planning does not touch the step


# --- the dial command ---------------------------------------------------------------------------


def test_bare_number_dial_body() -> None:
    step = step_for("<Dial>+15551230000</Dial>")
    effects = checked(step.start())
    assert len(effects) == 1
    body = dict(dials(effects)[0].body)
    client_state = body.pop("client_state")
    assert body == {
        "connection_id": "conn-1",
        "to": "+15551230000",
        "from": "+15550001111",  # the caller's number: TwiML's default caller ID
        "timeout_secs": 30,
        "link_to": CALL,
        "command_id": "id-2",
    }
    assert json.loads(base64.b64decode(client_state)) == {"call": CALL, "dial": "id-1", "leg": 0}


def test_every_number_attribute() -> None:
    step = step_for(
        '<Dial callerId="+15559990000" fromDisplayName="Acme Support" timeout="45" timeLimit="600"'
        ' record="record-from-ringing" recordMaxLength="120" recordingChannels="dual"'
        ' passDiversionHeader="true" machineDetectionSpeechThreshold="2400"'
        ' machineDetectionSpeechEndThreshold="1200" machineDetectionSilenceTimeout="5000">'
        '<Number sendDigits="ww123#" machineDetection="Enable" detectionMode="Premium"'
        ' machineDetectionTimeout="8000" sipRegion="Europe" statusCallback="/status"'
        ' statusCallbackEvent="initiated ringing answered amd completed" url="/whisper"'
        ' method="GET">+15551230000</Number></Dial>'
    )
    body = dict(dials(checked(step.start()))[0].body)
    del body["client_state"], body["command_id"]
    assert body == {
        "connection_id": "conn-1",
        "to": "+15551230000",
        "from": "+15559990000",
        "from_display_name": "Acme Support",
        "timeout_secs": 45,
        "time_limit_secs": 600,
        "link_to": CALL,
        "send_digits_on_answer": "ww123#",
        "sip_region": "Europe",
        "diversion": "+15550002222",
        "answering_machine_detection": "premium",
        "answering_machine_detection_config": {
            "total_analysis_time_millis": 8000,
            "greeting_duration_millis": 2400,
            "after_greeting_silence_millis": 1200,
            "initial_silence_millis": 5000,
        },
        # record-from-ringing: Call Control records from answer only.
        "record": "record-from-answer",
        "record_channels": "dual",
        "record_max_length": 120,
    }


def test_every_sip_attribute() -> None:
    step = step_for(
        '<Dial><Sip username="alice" password="s3cret" machineDetection="DetectMessageEnd"'
        ' detectionMode="Regular" sipRegion="Canada">sip:alice@pbx.example.com</Sip></Dial>'
    )
    body = dials(checked(step.start()))[0].body
    assert body["to"] == "sip:alice@pbx.example.com"
    assert body["sip_auth_username"] == "alice"
    assert body["sip_auth_password"] == "s3cret"
    assert body["sip_region"] == "Canada"
    assert body["answering_machine_detection"] == "greeting_end"
    assert body["answering_machine_detection_config"] == {"total_analysis_time_millis": 3500}


def test_call_screening_amd() -> None:
    step = step_for(
        '<Dial><Number machineDetection="Enable" detectionMode="PremiumCallScreening"'
        ' machineDetectionPromptEndTimeout="9000">+15551230000</Number></Dial>'
    )
    body = dials(checked(step.start()))[0].body
    assert body["answering_machine_detection"] == "premium_ios_call_screening_detection"
    assert body["answering_machine_detection_config"] == {
        "total_analysis_time_millis": 3500,
        "prompt_end_timeout_millis": 9000,
    }


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        ('record="record-from-answer"', {"record": "record-from-answer"}),
        (
            'record="record-from-answer-dual"',
            {"record": "record-from-answer", "record_channels": "dual"},
        ),
        (
            'record="record-from-ringing-dual"',
            {"record": "record-from-answer", "record_channels": "dual"},
        ),
        ('record="do-not-record" recordingChannels="dual" recordMaxLength="30"', {}),
    ],
)
def test_record_mapping(attrs: str, expected: dict[str, Any]) -> None:
    body = dials(checked(step_for(f"<Dial {attrs}>+15551230000</Dial>").start()))[0].body
    assert {k: v for k, v in body.items() if k.startswith("record")} == expected


def test_diversion_needs_a_number() -> None:
    step = step_for('<Dial passDiversionHeader="true">+15551230000</Dial>', to="sip:me@example.com")
    assert "diversion" not in dials(checked(step.start()))[0].body


# --- answering, bridging, outcomes --------------------------------------------------------------


def test_single_number_rings_through_an_early_bridge_and_completes() -> None:
    step = step_for('<Dial action="/after" method="GET" ringTone="uk">+15551230000</Dial>')
    checked(step.start())
    # The only leg is bridged while it rings, so the caller hears Call Control's ring tone.
    effects = reply(step, 0)
    bridge = command(effects, "bridge")
    assert bridge.leg is None  # issued by the caller
    assert bridge.body == {
        "call_control_id": "v3:leg0",
        "park_after_unbridge": "self",
        "play_ringtone": True,
        "ringtone": "uk",
        "client_state": STATE,
        "command_id": "id-3",
    }
    assert checked(step.on_event(CommandResult(bridge, {"result": "ok"}))) == []
    assert step.on_event(leg_hook(step, 0, "call.initiated", direction="outgoing")) == []
    assert checked(step.on_event(leg_hook(step, 0, "call.answered", T_ANSWER))) == []
    assert step.bridged
    effects = checked(
        step.on_event(leg_hook(step, 0, "call.hangup", T_END, hangup_cause="normal_clearing"))
    )
    assert effects == [
        Done(
            params={
                "DialCallStatus": "completed",
                "DialBridged": "true",
                "DialCallDuration": "62",
                "DialCallSid": "v3:leg0",
            },
            action=Action("https://app.example.com/after", "GET"),
            outcome="completed",
        )
    ]


def test_first_to_answer_wins_and_the_others_are_hung_up() -> None:
    step = step_for(
        "<Dial><Number>+15551230000</Number><Sip>sip:desk@example.com</Sip>"
        "<Number>+15551230002</Number></Dial>"
    )
    assert len(dials(checked(step.start()))) == 3
    assert reply(step, 0) == []  # several legs ring at once: no early bridge
    assert reply(step, 1) == []
    # Leg 2's reply has not come yet when leg 1 answers.
    effects = checked(step.on_event(leg_hook(step, 1, "call.answered", T_ANSWER)))
    bridge = command(effects, "bridge")
    assert bridge.body["call_control_id"] == "v3:leg1"
    assert bridge.body["park_after_unbridge"] == "self"
    assert "play_ringtone" not in bridge.body
    hangup = command(effects, "hangup")
    assert hangup.leg == "v3:leg0"
    assert hangup.body["client_state"] == leg_state(step, 0)  # the leg's own state, not the call's
    assert step.legs[2].cancel
    # Leg 2's reply arrives: it is hung up at once.
    hangup2 = command(reply(step, 2), "hangup")
    assert hangup2.leg == "v3:leg2"
    assert step.on_event(CommandResult(bridge, {"result": "ok"})) == []
    assert step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="originator_cancel")) == []
    assert step.on_event(caller_hook("call.bridged")) == []
    effects = step.on_event(leg_hook(step, 1, "call.hangup", T_END, hangup_cause="normal_clearing"))
    assert done(effects).params == {
        "DialCallStatus": "completed",
        "DialBridged": "true",
        "DialCallDuration": "62",
        "DialCallSid": "v3:leg1",
    }
    assert done(effects).action is None  # no action: go on with the next verb


@pytest.mark.parametrize(
    ("cause", "status"),
    [
        ("user_busy", "busy"),
        ("timeout", "no-answer"),
        ("no_answer", "no-answer"),
        ("call_rejected", "failed"),
        ("not_found", "failed"),
        ("unspecified", "failed"),
    ],
)
def test_unanswered_outcomes(cause: str, status: str) -> None:
    step = step_for('<Dial action="/after">+15551230000</Dial>')
    step.start()
    bridge = command(reply(step, 0), "bridge")
    checked([Send(bridge)])
    effects = step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause=cause))
    result = done(effects)
    assert result.params == {
        "DialCallStatus": status,
        "DialBridged": "false",
        "DialCallDuration": "0",
        "DialCallSid": "v3:leg0",
    }
    assert result.action == Action("https://app.example.com/after", "POST")
    assert result.outcome == status
    assert not result.end


def test_the_last_leg_to_fail_gives_the_status() -> None:
    step = step_for("<Dial><Number>+15551230000</Number><Number>+15551230001</Number></Dial>")
    step.start()
    reply(step, 0)
    reply(step, 1)
    assert step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="user_busy")) == []
    result = done(step.on_event(leg_hook(step, 1, "call.hangup", hangup_cause="timeout")))
    assert result.params["DialCallStatus"] == "no-answer"
    assert result.params["DialCallSid"] == "v3:leg1"


def test_refused_dial_fails_without_a_call_sid() -> None:
    step = step_for("<Dial>+15551230000</Dial>")
    command_ = dials(step.start())[0]
    result = done(step.on_event(CommandFailed(command_, 422, "Invalid destination")))
    assert result.params == {
        "DialCallStatus": "failed",
        "DialBridged": "false",
        "DialCallDuration": "0",
    }


def test_sequential_dials_one_after_another() -> None:
    step = step_for(
        '<Dial sequential="true" action="/after"><Number>+15551230000</Number>'
        "<Number>+15551230001</Number><Number>+15551230002</Number></Dial>"
    )
    assert [c.body["to"] for c in dials(checked(step.start()))] == ["+15551230000"]
    command(reply(step, 0), "bridge")  # rings alone: early bridge with the ring tone
    effects = checked(step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="user_busy")))
    assert [c.body["to"] for c in dials(effects)] == ["+15551230001"]
    command(reply(step, 1), "bridge")
    assert step.on_event(leg_hook(step, 1, "call.answered", T_ANSWER)) == []
    assert step.legs[2].state == "skipped"
    result = done(
        step.on_event(leg_hook(step, 1, "call.hangup", T_END, hangup_cause="normal_clearing"))
    )
    assert result.params["DialCallStatus"] == "completed"
    assert result.params["DialCallSid"] == "v3:leg1"


def test_sequential_all_fail() -> None:
    step = step_for(
        '<Dial sequential="true"><Number>+15551230000</Number><Number>+15551230001</Number></Dial>'
    )
    step.start()
    dial2 = dials(step.on_event(CommandFailed(the(step.legs[0].command), 422)))
    assert [c.body["to"] for c in dial2] == ["+15551230001"]
    reply(step, 1)
    result = done(step.on_event(leg_hook(step, 1, "call.hangup", hangup_cause="timeout")))
    assert result.params["DialCallStatus"] == "no-answer"


def test_early_bridge_refused_then_bridged_on_answer() -> None:
    step = step_for("<Dial>+15551230000</Dial>")
    step.start()
    ring_bridge = command(reply(step, 0), "bridge")
    assert step.on_event(CommandFailed(ring_bridge, 422, "not bridgeable")) == []
    effects = checked(step.on_event(leg_hook(step, 0, "call.answered")))
    bridge = command(effects, "bridge")
    assert "play_ringtone" not in bridge.body


def test_early_bridge_refused_after_the_answer() -> None:
    step = step_for("<Dial>+15551230000</Dial>")
    step.start()
    ring_bridge = command(reply(step, 0), "bridge")
    assert step.on_event(leg_hook(step, 0, "call.answered")) == []
    bridge = command(checked(step.on_event(CommandFailed(ring_bridge, 422))), "bridge")
    assert bridge.body["call_control_id"] == "v3:leg0"
    assert not step.bridged


def test_bridge_refused_fails_the_dial() -> None:
    step = step_for("<Dial><Number>+15551230000</Number><Number>+15551230001</Number></Dial>")
    step.start()
    reply(step, 0)
    reply(step, 1)
    effects = step.on_event(leg_hook(step, 0, "call.answered", T_ANSWER))
    bridge = command(effects, "bridge")
    effects = checked(step.on_event(CommandFailed(bridge, 422, "call gone")))
    assert command(effects, "hangup").leg == "v3:leg0"
    assert done(effects).params["DialCallStatus"] == "failed"
    assert done(effects).params["DialBridged"] == "false"


def test_a_late_answer_is_hung_up() -> None:
    step = step_for("<Dial><Number>+15551230000</Number><Number>+15551230001</Number></Dial>")
    step.start()
    reply(step, 0)
    reply(step, 1)
    step.on_event(leg_hook(step, 0, "call.answered"))
    # Leg 1 was hung up on the win; its answer races that hangup.
    assert step.on_event(leg_hook(step, 1, "call.answered")) == []
    assert step.legs[1].hangup_sent


# --- webhooks before replies, foreign webhooks --------------------------------------------------


def test_a_webhook_that_outruns_the_reply_names_its_leg() -> None:
    step = step_for("<Dial><Number>+15551230000</Number><Number>+15551230001</Number></Dial>")
    step.start()
    effects = step.on_event(leg_hook(step, 1, "call.answered"))
    assert command(effects, "bridge").body["call_control_id"] == "v3:leg1"
    assert step.legs[1].id == "v3:leg1"


def test_webhooks_of_another_dial_are_ignored() -> None:
    step = step_for("<Dial>+15551230000</Dial>")
    step.start()
    reply(step, 0)
    stale = base64.b64encode(json.dumps({"call": CALL, "dial": "old", "leg": 0}).encode()).decode()
    event = hook(
        "call.hangup", call_control_id="v3:old", client_state=stale, hangup_cause="user_busy"
    )
    assert step.on_event(event) == []
    assert not step.done


# --- ringback, answerOnBridge ------------------------------------------------------------------


def test_audio_url_is_the_callers_ringback() -> None:
    step = step_for('<Dial audioUrl="/ring.mp3"><Number>+15551230000</Number></Dial>')
    effects = checked(step.start())
    playback = command(effects, "playback_start")
    assert playback.leg is None
    assert playback.body == {
        "audio_url": "https://app.example.com/ring.mp3",
        "loop": "infinity",
        "client_state": STATE,
        "command_id": "id-2",
    }
    assert "audio_url" not in dials(effects)[0].body  # dial's audio_url is for the callee
    assert reply(step, 0) == []  # no early bridge: the audio plays instead
    effects = checked(step.on_event(leg_hook(step, 0, "call.answered")))
    assert [e.command.action for e in effects] == ["playback_stop", "bridge"]


def test_ringback_stops_when_every_leg_failed() -> None:
    step = step_for('<Dial audioUrl="https://cdn.example.com/ring.wav">+15551230000</Dial>')
    step.start()
    reply(step, 0)
    effects = checked(step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="user_busy")))
    assert command(effects, "playback_stop").leg is None
    assert done(effects).params["DialCallStatus"] == "busy"


def test_a_ringing_call_is_answered_before_dialing() -> None:
    step = step_for("<Dial>+15551230000</Dial>", answered=False)
    effects = checked(step.start())
    assert [e.command.path for e in effects] == [
        "/calls/{call_control_id}/actions/answer",
        "/calls",
    ]


def test_answer_on_bridge_answers_when_the_callee_does() -> None:
    step = step_for(
        '<Dial answerOnBridge="true" audioUrl="/ring.mp3"><Number>+15551230000</Number></Dial>',
        answered=False,
    )
    effects = checked(step.start())
    assert [e.command.path for e in effects] == ["/calls"]  # the caller keeps hearing ringing
    assert reply(step, 0) == []  # no early bridge on an unanswered call
    effects = checked(step.on_event(leg_hook(step, 0, "call.answered")))
    assert [e.command.action for e in effects] == ["answer", "bridge"]
    assert step.on_event(CommandResult(command(effects, "answer"), {"result": "ok"})) == []


def test_answer_on_bridge_on_an_answered_call_is_a_plain_dial() -> None:
    step = step_for('<Dial answerOnBridge="true">+15551230000</Dial>')
    assert [e.command.path for e in step.start()] == ["/calls"]


# --- whisper ----------------------------------------------------------------------------------


def test_whisper_accepted_then_bridged() -> None:
    step = step_for(
        '<Dial><Number url="/screen" method="GET">+15551230000</Number>'
        "<Number>+15551230001</Number></Dial>"
    )
    step.start()
    reply(step, 0)
    reply(step, 1)
    effects = step.on_event(leg_hook(step, 0, "call.answered"))
    assert effects == [
        RunDocument("whisper-0", "https://app.example.com/screen", "GET", leg="v3:leg0")
    ]
    effects = checked(step.on_event(DocumentDone("whisper-0")))
    assert command(effects, "bridge").body["call_control_id"] == "v3:leg0"
    assert command(effects, "hangup").leg == "v3:leg1"


def test_whisper_refused_carries_on_as_if_not_answered() -> None:
    step = step_for(
        '<Dial action="/after"><Number url="/screen">+15551230000</Number>'
        "<Number>+15551230001</Number></Dial>"
    )
    step.start()
    reply(step, 0)
    reply(step, 1)
    step.on_event(leg_hook(step, 0, "call.answered", T_ANSWER))
    effects = checked(step.on_event(DocumentDone("whisper-0", hangup=True)))
    hangup = command(effects, "hangup")
    assert hangup.leg == "v3:leg0"
    assert (
        step.on_event(leg_hook(step, 0, "call.hangup", T_END, hangup_cause="normal_clearing")) == []
    )
    # The other leg is still ringing and can win.
    effects = step.on_event(leg_hook(step, 1, "call.answered"))
    assert command(effects, "bridge").body["call_control_id"] == "v3:leg1"


def test_whisper_refused_by_the_only_leg() -> None:
    step = step_for('<Dial><Number url="/screen">+15551230000</Number></Dial>')
    step.start()
    assert reply(step, 0) == []  # a leg with a whisper is not bridged while ringing
    step.on_event(leg_hook(step, 0, "call.answered", T_ANSWER))
    step.on_event(DocumentDone("whisper-0", hangup=True))
    result = done(
        step.on_event(leg_hook(step, 0, "call.hangup", T_END, hangup_cause="normal_clearing"))
    )
    assert result.params == {
        "DialCallStatus": "no-answer",
        "DialBridged": "false",
        "DialCallDuration": "0",
        "DialCallSid": "v3:leg0",
    }


def test_callee_hangs_up_during_the_whisper() -> None:
    step = step_for('<Dial><Number url="/screen">+15551230000</Number></Dial>')
    step.start()
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.answered"))
    effects = step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="normal_clearing"))
    assert effects[0] == StopDocument("whisper-0")
    assert done(effects).params["DialCallStatus"] == "no-answer"
    assert step.on_event(DocumentDone("whisper-0")) == []


def test_second_leg_wins_during_a_whisper() -> None:
    step = step_for(
        '<Dial><Number url="/screen">+15551230000</Number><Number>+15551230001</Number></Dial>'
    )
    step.start()
    reply(step, 0)
    reply(step, 1)
    step.on_event(leg_hook(step, 0, "call.answered"))
    effects = checked(step.on_event(leg_hook(step, 1, "call.answered")))
    assert StopDocument("whisper-0") in effects
    assert command(effects, "hangup").leg == "v3:leg0"
    assert command(effects, "bridge").body["call_control_id"] == "v3:leg1"
    assert step.on_event(DocumentDone("whisper-0")) == []


# --- hangupOnStar, timeLimit ------------------------------------------------------------------


def test_hangup_on_star_hangs_up_the_callee() -> None:
    step = step_for('<Dial hangupOnStar="true" action="/after">+15551230000</Dial>')
    step.start()
    reply(step, 0)
    assert step.on_event(caller_hook("call.dtmf.received", digit="*")) == []  # not connected yet
    step.on_event(leg_hook(step, 0, "call.answered", T_ANSWER))
    assert step.on_event(caller_hook("call.dtmf.received", digit="1")) == []
    effects = checked(step.on_event(caller_hook("call.dtmf.received", digit="*")))
    assert command(effects, "hangup").leg == "v3:leg0"
    result = done(
        step.on_event(leg_hook(step, 0, "call.hangup", T_END, hangup_cause="normal_clearing"))
    )
    assert result.params["DialCallStatus"] == "completed"
    assert result.action == Action("https://app.example.com/after", "POST")
    assert not result.end


def test_star_without_hangup_on_star_does_nothing() -> None:
    step = step_for("<Dial>+15551230000</Dial>")
    step.start()
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.answered"))
    assert step.on_event(caller_hook("call.dtmf.received", digit="*")) == []


def test_time_limit_ends_the_call_as_completed() -> None:
    step = step_for('<Dial timeLimit="60">+15551230000</Dial>')
    assert dials(step.start())[0].body["time_limit_secs"] == 60
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.answered", T_ANSWER))
    result = done(step.on_event(leg_hook(step, 0, "call.hangup", T_END, hangup_cause="time_limit")))
    assert result.params["DialCallStatus"] == "completed"


# --- the caller hangs up -----------------------------------------------------------------------


def test_caller_hangs_up_while_ringing() -> None:
    step = step_for(
        '<Dial action="/after"><Number>+15551230000</Number><Number>+15551230001</Number></Dial>'
    )
    step.start()
    reply(step, 0)
    reply(step, 1)
    effects = checked(step.on_event(caller_hook("call.hangup", hangup_cause="normal_clearing")))
    assert [e.command.leg for e in effects if isinstance(e, Send)] == ["v3:leg0", "v3:leg1"]
    result = done(effects)
    assert result.end
    assert result.outcome == "hangup"
    assert result.action == Action("https://app.example.com/after", "POST")  # still requested
    assert result.params == {
        "DialCallStatus": "canceled",
        "DialBridged": "false",
        "DialCallDuration": "0",
        "DialCallSid": "v3:leg0",
    }


def test_caller_hangs_up_while_connected() -> None:
    step = step_for('<Dial audioUrl="/ring.mp3">+15551230000</Dial>')
    step.start()
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.answered", T_ANSWER))
    step.on_event(caller_hook("call.bridged"))
    effects = checked(
        step.on_event(caller_hook("call.hangup", T_END, hangup_cause="normal_clearing"))
    )
    assert command(effects, "hangup").leg == "v3:leg0"
    assert not any(e.command.action == "playback_stop" for e in effects if isinstance(e, Send))
    result = done(effects)
    assert result.end
    assert result.action is None
    assert result.params == {
        "DialCallStatus": "completed",
        "DialBridged": "true",
        "DialCallDuration": "62",
        "DialCallSid": "v3:leg0",
    }


def test_outcome_waits_for_outstanding_dial_replies() -> None:
    step = step_for("<Dial><Number>+15551230000</Number><Number>+15551230001</Number></Dial>")
    step.start()
    reply(step, 0)
    effects = step.on_event(caller_hook("call.hangup"))
    assert effects[-1] == SetTimer(CLOSE_TIMER, 5)
    assert not step.done
    effects = reply(step, 1)
    assert command(effects, "hangup").leg == "v3:leg1"
    assert effects[-2] == CancelTimer(CLOSE_TIMER)
    assert done(effects).end


def test_outstanding_reply_that_never_comes() -> None:
    step = step_for("<Dial><Number>+15551230000</Number><Number>+15551230001</Number></Dial>")
    step.start()
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="user_busy"))
    step.on_event(CommandFailed(the(step.legs[1].command), 500))
    assert step.done  # the failed dial is no longer outstanding

    step = step_for("<Dial><Number>+15551230000</Number><Number>+15551230001</Number></Dial>")
    step.start()
    step.on_event(caller_hook("call.hangup"))
    result = done(step.on_event(TimerFired(CLOSE_TIMER)))
    assert result.params["DialCallStatus"] == "canceled"
    assert "DialCallSid" not in result.params


def test_caller_hangs_up_while_the_outcome_is_held() -> None:
    step = step_for("<Dial><Number>+15551230000</Number><Number>+15551230001</Number></Dial>")
    step.start()
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.answered", T_ANSWER))
    step.on_event(leg_hook(step, 0, "call.hangup", T_END, hangup_cause="normal_clearing"))
    assert not step.done  # leg 1's dial reply is outstanding
    assert step.on_event(caller_hook("call.hangup")) == []
    result = done(step.on_event(TimerFired(CLOSE_TIMER)))
    assert result.end and result.outcome == "hangup"
    assert result.params["DialCallStatus"] == "completed"


# --- status callbacks and AMD ------------------------------------------------------------------


def test_status_callbacks_of_a_leg() -> None:
    step = step_for(
        '<Dial><Number statusCallback="/status" statusCallbackMethod="GET"'
        ' statusCallbackEvent="initiated ringing answered completed">+15551230000</Number></Dial>'
    )
    step.start()
    reply(step, 0)
    effects = step.on_event(
        leg_hook(step, 0, "call.initiated", direction="outgoing", state="parked")
    )
    common = {
        "CallSid": "v3:leg0",
        "ParentCallSid": CALL,
        "From": "+15550001111",
        "To": "+15551230000",
        "Direction": "outbound-dial",
        "CallbackSource": "call-progress-events",
        "Timestamp": T0,
    }
    url = "https://app.example.com/status"
    assert effects == [
        Callback(url, "GET", {**common, "SequenceNumber": "0", "CallStatus": "initiated"}),
        Callback(url, "GET", {**common, "SequenceNumber": "1", "CallStatus": "ringing"}),
    ]
    effects = step.on_event(leg_hook(step, 0, "call.answered", T_ANSWER))
    assert effects == [
        Callback(
            url,
            "GET",
            {
                **common,
                "Timestamp": T_ANSWER,
                "SequenceNumber": "2",
                "CallStatus": "in-progress",
            },
        )
    ]
    effects = step.on_event(
        leg_hook(
            step,
            0,
            "call.hangup",
            T_END,
            hangup_cause="normal_clearing",
            hangup_source="callee",
            sip_hangup_cause="200",
        )
    )
    assert effects[0] == Callback(
        url,
        "GET",
        {
            **common,
            "Timestamp": T_END,
            "SequenceNumber": "3",
            "CallStatus": "completed",
            "CallDuration": "62",
            "HangupCause": "normal_clearing",
            "HangupSource": "callee",
            "SipHangupCause": "200",
        },
    )
    assert isinstance(effects[1], Done)


def test_default_status_callback_is_completed_only() -> None:
    step = step_for('<Dial><Number statusCallback="/status">+15551230000</Number></Dial>')
    step.start()
    reply(step, 0)
    assert step.on_event(leg_hook(step, 0, "call.initiated")) == []
    effects = step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="user_busy"))
    callback = effects[0]
    assert isinstance(callback, Callback)
    assert callback.params["CallStatus"] == "busy"
    assert callback.params["CallDuration"] == "0"
    assert callback.params["SequenceNumber"] == "0"


def test_dtmf_callback_of_a_leg() -> None:
    step = step_for(
        '<Dial><Number statusCallback="/s" statusCallbackEvent="dtmf">+15551230000</Number></Dial>'
    )
    step.start()
    reply(step, 0)
    effects = step.on_event(leg_hook(step, 0, "call.dtmf.received", digit="5"))
    assert isinstance(effects[0], Callback) and effects[0].params["Digits"] == "5"


def test_amd_enable() -> None:
    step = step_for(
        '<Dial><Number machineDetection="Enable" statusCallback="/status" statusCallbackEvent="amd"'
        ' amdStatusCallback="/amd" amdStatusCallbackMethod="GET">+15551230000</Number></Dial>'
    )
    step.start()
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.answered", "2024-01-01T12:00:00.000000Z"))
    effects = step.on_event(
        leg_hook(
            step, 0, "call.machine.detection.ended", "2024-01-01T12:00:02.500000Z", result="machine"
        )
    )
    assert [
        (e.url, e.params["AnsweredBy"], e.params["MachineDetectionDuration"]) for e in effects
    ] == [
        ("https://app.example.com/status", "machine_start", "2500"),
        ("https://app.example.com/amd", "machine_start", "2500"),
    ]
    assert effects[1] == Callback(
        "https://app.example.com/amd",
        "GET",
        {
            "CallSid": "v3:leg0",
            "ParentCallSid": CALL,
            "AnsweredBy": "machine_start",
            "MachineDetectionDuration": "2500",
        },
    )
    assert (
        step.on_event(leg_hook(step, 0, "call.machine.greeting.ended", result="beep_detected"))
        == []
    )


def test_amd_detect_message_end_reports_the_greeting_end() -> None:
    step = step_for(
        '<Dial><Number machineDetection="DetectMessageEnd" amdStatusCallback="/amd">'
        "+15551230000</Number></Dial>"
    )
    step.start()
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.answered"))
    assert step.on_event(leg_hook(step, 0, "call.machine.detection.ended", result="machine")) == []
    effects = step.on_event(leg_hook(step, 0, "call.machine.greeting.ended", result="ended"))
    assert effects[0].params["AnsweredBy"] == "machine_end_silence"


@pytest.mark.parametrize(
    ("event_type", "result", "answered_by"),
    [
        ("call.machine.detection.ended", "human", "human"),
        ("call.machine.detection.ended", "not_sure", "unknown"),
        ("call.machine.premium.detection.ended", "human_residence", "human"),
        ("call.machine.premium.detection.ended", "human_business", "human"),
        ("call.machine.premium.detection.ended", "fax_detected", "fax"),
        ("call.machine.premium.detection.ended", "silence", "unknown"),
    ],
)
def test_amd_verdicts(event_type: str, result: str, answered_by: str) -> None:
    step = step_for(
        '<Dial><Number machineDetection="Enable" amdStatusCallback="/amd">'
        "+15551230000</Number></Dial>"
    )
    step.start()
    reply(step, 0)
    effects = step.on_event(leg_hook(step, 0, event_type, result=result))
    assert effects[0].params["AnsweredBy"] == answered_by
    assert "MachineDetectionDuration" not in effects[0].params  # the answer time is unknown


def test_premium_greeting_with_detect_message_end() -> None:
    step = step_for(
        '<Dial><Number machineDetection="DetectMessageEnd" detectionMode="Premium"'
        ' amdStatusCallback="/amd">+15551230000</Number></Dial>'
    )
    step.start()
    reply(step, 0)
    assert (
        step.on_event(leg_hook(step, 0, "call.machine.premium.detection.ended", result="machine"))
        == []
    )
    effects = step.on_event(
        leg_hook(step, 0, "call.machine.premium.greeting.ended", result="beep_detected")
    )
    assert effects[0].params["AnsweredBy"] == "machine_end_beep"


def test_answered_by_is_in_the_completed_callback() -> None:
    step = step_for(
        '<Dial><Number machineDetection="Enable" statusCallback="/s">+15551230000</Number></Dial>'
    )
    step.start()
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.answered"))
    assert step.on_event(leg_hook(step, 0, "call.machine.detection.ended", result="human")) == []
    effects = step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="normal_clearing"))
    assert effects[0].params["AnsweredBy"] == "human"


# --- recordings --------------------------------------------------------------------------------

RECORDING = {
    "recording_urls": {"mp3": "https://rec.example.com/short.mp3"},
    "public_recording_urls": {"mp3": "https://rec.example.com/public.mp3"},
    "recording_started_at": "2024-01-01T12:00:05Z",
    "recording_ended_at": "2024-01-01T12:01:07Z",
    "channels": "dual",
}


def test_recording_saved_before_the_end() -> None:
    step = step_for(
        '<Dial record="record-from-answer-dual" recordingStatusCallback="/rec">+15551230000</Dial>'
    )
    step.start()
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.answered", T_ANSWER))
    saved = hook(
        "call.recording.saved",
        call_leg_id="leg-0",
        client_state=leg_state(step, 0),
        recording_id="rec-1",
        **RECORDING,
    )
    effects = step.on_event(saved)
    assert effects == [
        Callback(
            "https://app.example.com/rec",
            "POST",
            {
                "RecordingUrl": "https://rec.example.com/public.mp3",
                "RecordingSid": "rec-1",
                "RecordingDuration": "62",
                "RecordingChannels": "2",
                "RecordingStatus": "completed",
                "RecordingSource": "DialVerb",
            },
        )
    ]
    effects = step.on_event(leg_hook(step, 0, "call.hangup", T_END, hangup_cause="normal_clearing"))
    assert not any(isinstance(e, Watch) for e in effects)
    params = done(effects).params
    assert params["RecordingUrl"] == "https://rec.example.com/public.mp3"
    assert params["RecordingSid"] == "rec-1"
    assert params["RecordingDuration"] == "62"


def test_recording_saved_later_is_watched() -> None:
    step = step_for(
        '<Dial record="record-from-answer" recordingStatusCallback="/rec"'
        ' recordingStatusCallbackMethod="GET">+15551230000</Dial>'
    )
    step.start()
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.answered"))
    effects = step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="normal_clearing"))
    assert (
        Watch(
            "call.recording.saved",
            "recording",
            "https://app.example.com/rec",
            "GET",
            {"RecordingSource": "DialVerb"},
        )
        in effects
    )
    assert "RecordingUrl" not in done(effects).params


def test_recording_url_can_be_withheld() -> None:
    step = step_for(
        '<Dial record="record-from-answer" sendRecordingUrl="false">+15551230000</Dial>'
    )
    step.start()
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.answered"))
    saved = hook("call.recording.saved", client_state=leg_state(step, 0), **RECORDING)
    assert step.on_event(saved) == []  # no recordingStatusCallback
    params = done(
        step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="normal_clearing"))
    ).params
    assert "RecordingUrl" not in params
    assert params["RecordingDuration"] == "62"


def test_no_watch_without_recording_or_completed_event() -> None:
    step = step_for('<Dial recordingStatusCallback="/rec">+15551230000</Dial>')
    step.start()
    reply(step, 0)
    effects = step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="user_busy"))
    assert not any(isinstance(e, Watch) for e in effects)
    step = step_for(
        '<Dial record="record-from-answer" recordingStatusCallback="/rec"'
        ' recordingStatusCallbackEvent="in-progress">+15551230000</Dial>'
    )
    step.start()
    reply(step, 0)
    effects = step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="user_busy"))
    assert not any(isinstance(e, Watch) for e in effects)


def test_events_after_done_are_ignored() -> None:
    step = step_for("<Dial>+15551230000</Dial>")
    step.start()
    reply(step, 0)
    done(step.on_event(leg_hook(step, 0, "call.hangup", hangup_cause="user_busy")))
    assert step.on_event(caller_hook("call.hangup")) == []


def test_caller_hangs_up_during_a_whisper() -> None:
    step = step_for('<Dial><Number url="/screen">+15551230000</Number></Dial>')
    step.start()
    reply(step, 0)
    step.on_event(leg_hook(step, 0, "call.answered"))
    effects = checked(step.on_event(caller_hook("call.hangup")))
    assert effects[0] == StopDocument("whisper-0")
    assert command(effects, "hangup").leg == "v3:leg0"
    assert done(effects).params["DialCallStatus"] == "canceled"


def test_plan_of_a_ringing_call() -> None:
    step = step_for('<Dial audioUrl="/ring.mp3">+15551230000</Dial>', answered=False)
    assert [c.action for c in step.plan()] == ["answer", "playback_start", "/calls"]
