"""<Connect> -> streaming_start / ai_assistant_start / ai_assistant_join /
conversation_relay_start, until the service ends (texml-verbs-connect.md §10-§13;
call-control.md and call.conversation.ended, streaming.*)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

import texml
from compiler import (
    Action, CallContext, CommandFailed, Done, Step, Watch, Webhook, compile_verb, sends,
)  # fmt: skip
from compiler.connect import connect_reason
from tests.support.telnyx_schema import validate_command, validate_webhook

CALL = "v3:call-1"
STATE = {"client_state": "c3RhdGU=", "command_id": "id-1"}
WS = "wss://relay.example.com/ws"


def step_for(xml: str) -> Step:
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    ids = itertools.count(1)
    ctx = CallContext(CALL, "conn-1", "+15550001111", "+15550002222", "c3RhdGU=",
                      new_id=lambda: f"id-{next(ids)}",
                      document_url="https://app.example.com/flow/main.xml")  # fmt: skip
    return compile_verb(doc.verbs[0], ctx)


def started(step: Step, action: str) -> tuple[dict[str, Any], list[Any]]:
    effects = step.start()
    (command,) = sends(effects)
    validate_command(command.method, command.resolved_path(CALL), command.body)
    assert command.action == action
    assert not step.done
    return dict(command.body), [e for e in effects if isinstance(e, Watch)]


def hook(event_type: str, **payload: Any) -> Webhook:
    payload = {"call_control_id": CALL, **payload}
    validate_webhook({"data": {"record_type": "event", "event_type": event_type,
                               "payload": payload}})  # fmt: skip
    return Webhook(event_type, payload)


# --- <Stream> ---------------------------------------------------------------------------------


def test_stream_runs_until_it_stops_and_ignores_other_streams() -> None:
    step = step_for(f'<Connect action="ignored.xml"><Stream url="{WS}" statusCallback="/st">'
                    '<Parameter name="a" value="1"/></Stream></Connect>')  # fmt: skip
    body, watches = started(step, "streaming_start")
    assert body == {"stream_url": WS, "custom_parameters": [{"name": "a", "value": "1"}], **STATE}
    assert len(watches) == 3 and watches[0].url == "https://app.example.com/st"
    assert step.on_event(hook("streaming.stopped", stream_url="wss://other.example.com")) == []
    assert step.on_event(hook("streaming.started", stream_url=WS)) == []
    assert step.on_event(hook("streaming.stopped", stream_url=WS)) == [Done()]


def test_stream_failure_moves_on() -> None:
    step = step_for(f'<Connect><Stream url="{WS}"/></Connect>')
    started(step, "streaming_start")
    failed = hook("streaming.failed", failure_reason="connection refused",
                  stream_params={"stream_url": WS, "track": "inbound_track"})  # fmt: skip
    assert step.on_event(failed) == [Done(outcome="failed")]
    step = step_for(f'<Connect><Stream url="{WS}"/></Connect>')
    command = step.plan()[0]
    started(step, "streaming_start")
    assert step.on_event(CommandFailed(command, 422)) == [Done(outcome="failed")]


def test_hangup_during_a_stream() -> None:
    step = step_for(f'<Connect><Stream url="{WS}"/></Connect>')
    started(step, "streaming_start")
    assert step.on_event(Webhook("call.hangup", {"call_control_id": CALL})) == [
        Done(end=True, outcome="hangup")
    ]


# --- <AIAssistant> ----------------------------------------------------------------------------

ACTION = Action("https://app.example.com/flow/after", "GET")


def test_assistant_start_and_handoff_requests_the_action() -> None:
    step = step_for('<Connect action="after" method="GET">'
                    '<AIAssistant id="assistant-1"/></Connect>')
    body, _ = started(step, "ai_assistant_start")
    assert body == {"assistant": {"id": "assistant-1"}, **STATE}
    assert step.on_event(hook("call.conversation.ended", reason="handoff")) == [
        Done(params={"Reason": "handoff"}, action=ACTION)
    ]


def test_assistant_join_adds_this_call_as_a_user() -> None:
    step = step_for('<Connect><AIAssistant join="conv-9" participantName="Bob" '
                    'participantRole="assistant"/></Connect>')  # fmt: skip
    body, _ = started(step, "ai_assistant_join")
    participant = {"id": CALL, "role": "user", "name": "Bob"}
    assert body == {"conversation_id": "conv-9", "participant": participant, **STATE}
    body, _ = started(step_for('<Connect><AIAssistant join="c"/></Connect>'), "ai_assistant_join")
    assert body["participant"] == {"id": CALL, "role": "user"}


def test_normal_end_is_a_transfer_and_requests_nothing() -> None:
    step = step_for('<Connect action="after"><AIAssistant id="a"/></Connect>')
    started(step, "ai_assistant_start")
    assert step.on_event(hook("call.conversation.ended", reason="transferred")) == [
        Done(params={"Reason": "normal"})
    ]


def test_errors_request_the_action_with_their_reason() -> None:
    step = step_for('<Connect action="after" method="GET"><AIAssistant id="a"/></Connect>')
    started(step, "ai_assistant_start")
    assert step.on_event(hook("call.conversation.start_failed", reason="service_error")) == [
        Done(params={"Reason": "service_error"}, action=ACTION, outcome="failed")
    ]
    step = step_for('<Connect action="after" method="GET"><AIAssistant id="a"/></Connect>')
    command = step.plan()[0]
    started(step, "ai_assistant_start")
    assert step.on_event(CommandFailed(command, 422, "no such assistant")) == [
        Done(params={"Reason": "service_error"}, action=ACTION, outcome="failed")
    ]


def test_hangup_still_requests_the_action_but_ends_the_call() -> None:
    step = step_for('<Connect action="after" method="GET"><AIAssistant id="a"/></Connect>')
    started(step, "ai_assistant_start")
    assert step.on_event(Webhook("call.hangup", {"call_control_id": CALL})) == [
        Done(params={"Reason": "hangup"}, action=ACTION, end=True, outcome="hangup")
    ]
    step = step_for("<Connect><AIAssistant id='a'/></Connect>")
    started(step, "ai_assistant_start")
    assert step.on_event(hook("call.conversation.ended", reason="user_hangup")) == [
        Done(params={"Reason": "hangup"}, end=True, outcome="hangup")
    ]


def test_other_legs_conversations_are_ignored() -> None:
    step = step_for("<Connect><AIAssistant id='a'/></Connect>")
    started(step, "ai_assistant_start")
    other = Webhook("call.conversation.ended", {"call_control_id": "v3:other", "reason": "x"})
    assert step.on_event(other) == []
    assert not step.done


@pytest.mark.parametrize(
    ("reason", "texml_reason"),
    [("normal", "normal"), ("handoff", "handoff"), ("hangup", "hangup"),
     ("service_error", "service_error"), ("stt_error", "stt_error"),
     ("call_transfer", "normal"), ("customer_hangup", "hangup"), ("stt_timeout", "stt_error"),
     ("transcription_failed", "stt_error"), ("llm_error", "service_error"),
     ("customer_disconnect", "handoff"), ("assistant_ended", "handoff"), (None, "handoff")],
)  # fmt: skip
def test_connect_reason(reason: str | None, texml_reason: str) -> None:
    assert connect_reason(reason) == texml_reason


# --- <ConversationRelay> ----------------------------------------------------------------------


def test_conversation_relay_maps_every_attribute_and_child() -> None:
    xml = f"""<Connect action="after" method="GET">
      <ConversationRelay url="{WS}" welcomeGreeting="Hello!" voice="Polly.Joanna" language="en"
          transcriptionProvider="deepgram" interruptible="speech"
          welcomeGreetingInterruptible="false" dtmfDetection="true"
          backgroundAudioType="media_url" backgroundAudioValue="https://cdn.example.com/office.mp3">
        <Language code="fr-FR" ttsProvider="telnyx" voice="Telnyx.NaturalHD.astra"
            transcriptionProvider="google" speechModel="long"/>
        <Language code="es"/>
        <Parameter name="customer" value="42"/>
        <Parameter name="tier" value="gold"/>
      </ConversationRelay>
    </Connect>"""
    step = step_for(xml)
    body, _ = started(step, "conversation_relay_start")
    assert body == {
        "conversation_relay_url": WS, "greeting": "Hello!", "voice": "AWS.Polly.Joanna",
        "language": "en", "transcription_engine": "Deepgram", "interruptible": "speech",
        "interruptible_greeting": "none", "dtmf_detection": True,
        "languages": [
            {"language": "fr-FR", "tts_provider": "telnyx", "transcription_provider": "google",
             "speech_model": "long", "voice": "Telnyx.NaturalHD.astra"},
            {"language": "es"},
        ],
        "custom_parameters": {"customer": "42", "tier": "gold"},
        **STATE,
    }  # fmt: skip
    assert step.on_event(hook("call.conversation.ended", reason="customer_disconnect")) == [
        Done(params={"Reason": "handoff"}, action=ACTION)
    ]


def test_minimal_conversation_relay_without_action_continues() -> None:
    step = step_for(f'<Connect><ConversationRelay url="{WS}" transcriptionProvider="whisper"/>'
                    "</Connect>")  # fmt: skip
    body, _ = started(step, "conversation_relay_start")
    assert body == {"conversation_relay_url": WS, **STATE}
    assert step.on_event(hook("call.conversation.ended", reason="stt_error")) == [
        Done(params={"Reason": "stt_error"}, outcome="failed")
    ]
