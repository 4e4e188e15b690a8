"""<AIGather> -> gather_using_ai; call.ai_gather.ended -> Status, Base64Result,
Base64MessageHistory (texml-verbs-core.md §5; call-control.md gather_using_ai)."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import texml
from compiler import (
    Action, CallContext, CancelTimer, CommandFailed, Done, SetTimer, Step, TimerFired, Webhook,
    compile_verb, sends,
)  # fmt: skip
from tests.support.telnyx_schema import validate_command, validate_webhook

CALL = "v3:call-1"
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


def step_for(xml: str, voice_method: str = "GET") -> Step:
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    ids = itertools.count(1)
    ctx = CallContext(CALL, "conn-1", "+15550001111", "+15550002222", "c3RhdGU=",
                      new_id=lambda: f"id-{next(ids)}", document_url="https://app.example.com/x",
                      voice_method=voice_method)  # type: ignore[arg-type]  # fmt: skip
    return compile_verb(doc.verbs[0], ctx)


def started(step: Step) -> dict[str, Any]:
    (command,) = sends(step.start())
    validate_command(command.method, command.resolved_path(CALL), command.body)
    assert command.action == "gather_using_ai"
    return dict(command.body)


def hook(event_type: str, **payload: Any) -> Webhook:
    payload = {"call_control_id": CALL, **payload}
    validate_webhook({"data": {"record_type": "event", "event_type": event_type,
                               "payload": payload}})  # fmt: skip
    return Webhook(event_type, payload)


PARAMETERS = f"<Parameters><![CDATA[{json.dumps(SCHEMA)}]]></Parameters>"
FULL = f"""
<AIGather action="result" method="POST">
  <Greeting>Hi! What is your name?</Greeting>
  <Voice name="ElevenLabs.eleven_turbo_v2.abc" api_key_ref="el_key"/>
  {PARAMETERS}
  <MessageHistory>
    <Message role="assistant">Welcome.</Message>
    <Message role="user">Hello.</Message>
  </MessageHistory>
  <Tools><Tool><![CDATA[{{"type": "hangup", "hangup": {{"description": "bye"}}}}]]></Tool></Tools>
  <InterruptionSettings enable="false"/>
  <Transcription model="deepgram/nova-3"/>
  <Assistant model="openai/gpt-4o" api_key_ref="oa_key" instructions="Be brief.">
    <Tools><Tool><![CDATA[{{"type": "transfer", "transfer": {{"targets": [{{"name": "desk",
      "to": "+15550003333"}}]}}}}]]></Tool></Tools>
  </Assistant>
</AIGather>
"""


def test_every_child_is_mapped() -> None:
    assert started(step_for(FULL)) == {
        "parameters": SCHEMA,
        "greeting": "Hi! What is your name?",
        "voice": "ElevenLabs.eleven_turbo_v2.abc",
        "voice_settings": {"type": "elevenlabs", "api_key_ref": "el_key"},
        "message_history": [{"role": "assistant", "content": "Welcome."},
                            {"role": "user", "content": "Hello."}],
        "assistant": {
            "instructions": "Be brief.", "model": "openai/gpt-4o", "openai_api_key_ref": "oa_key",
            "tools": [{"type": "hangup", "hangup": {"description": "bye"}},
                      {"type": "transfer", "transfer": {"targets": [
                          {"name": "desk", "to": "+15550003333"}]}}],
        },
        "interruption_settings": {"enable": False},
        "transcription": {"model": "deepgram/nova-3"},
        "client_state": "c3RhdGU=",
        "command_id": "id-1",
    }  # fmt: skip


def test_minimal_document_sends_the_schema_and_the_default_voice() -> None:
    body = started(step_for(f"<AIGather>{PARAMETERS}<Greeting/></AIGather>"))
    assert body == {"parameters": SCHEMA, "voice": "Telnyx.NaturalHD.Astra",
                    "client_state": "c3RhdGU=", "command_id": "id-1"}  # fmt: skip


def test_voice_settings_for_telnyx_speed_and_polly_spelling() -> None:
    body = started(step_for(f'<AIGather><Voice name="Telnyx.NaturalHD.astra" voice_speed="1.2"/>'
                            f"{PARAMETERS}</AIGather>"))  # fmt: skip
    assert body["voice_settings"] == {"type": "telnyx", "voice_speed": 1.2}
    body = started(step_for(f'<AIGather><Voice name="Polly.Joanna"/>{PARAMETERS}</AIGather>'))
    assert body["voice"] == "AWS.Polly.Joanna" and "voice_settings" not in body


def b64(value: Any) -> str:
    return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def test_result_is_posted_to_the_action_with_the_explicit_method() -> None:
    step = step_for(FULL)
    started(step)
    history = [{"role": "assistant", "content": "Name?"}, {"role": "user", "content": "Ada"}]
    effects = step.on_event(hook("call.ai_gather.ended", status="valid", result={"name": "Ada"},
                                 message_history=history))  # fmt: skip
    assert effects == [Done(params={
        "Status": "valid",
        "Base64Result": b64({"status": "valid", "result": {"name": "Ada"}}),
        "Base64MessageHistory": b64(history),
    }, action=Action("https://app.example.com/result", "POST"))]  # fmt: skip


def test_without_method_the_application_method_is_used() -> None:
    step = step_for(f'<AIGather action="/r">{PARAMETERS}</AIGather>', voice_method="GET")
    started(step)
    (done,) = step.on_event(hook("call.ai_gather.ended", status="invalid"))
    assert isinstance(done, Done)
    assert done.action == Action("https://app.example.com/r", "GET")
    assert done.outcome == "invalid"
    assert done.params["Base64Result"] == b64({"status": "invalid", "result": {}})
    assert done.params["Base64MessageHistory"] == b64([])


def test_without_action_the_next_verb_runs() -> None:
    step = step_for(f"<AIGather>{PARAMETERS}</AIGather>")
    started(step)
    (done,) = step.on_event(hook("call.ai_gather.ended", status="valid", result={"name": "x"}))
    assert isinstance(done, Done) and done.action is None and done.params["Status"] == "valid"


def test_conversation_end_waits_briefly_for_the_result() -> None:
    step = step_for(f"<AIGather>{PARAMETERS}</AIGather>")
    started(step)
    assert step.on_event(hook("call.conversation.ended", reason="completed")) == [
        SetTimer("aigather-grace", 5.0)
    ]
    assert step.on_event(hook("call.conversation.ended")) == []
    effects = step.on_event(hook("call.ai_gather.ended", status="valid", result={}))
    assert effects[0] == CancelTimer("aigather-grace") and isinstance(effects[1], Done)


def test_conversation_end_without_a_result_moves_on() -> None:
    step = step_for(f"<AIGather>{PARAMETERS}</AIGather>")
    started(step)
    step.on_event(hook("call.conversation.ended"))
    assert step.on_event(TimerFired("aigather-grace")) == [Done(outcome="failed")]


def test_refused_command_and_hangup() -> None:
    step = step_for(f"<AIGather>{PARAMETERS}</AIGather>")
    command = step.plan()[0]
    started(step)
    assert step.on_event(CommandFailed(command, 422, "bad schema")) == [Done(outcome="failed")]
    step = step_for(f"<AIGather>{PARAMETERS}</AIGather>")
    started(step)
    assert step.on_event(Webhook("call.hangup", {"call_control_id": CALL})) == [
        Done(end=True, outcome="hangup")
    ]
