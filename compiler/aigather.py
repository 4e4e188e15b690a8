"""`<AIGather>` -> gather_using_ai. The step ends on `call.ai_gather.ended`.

Children map onto the command: `<Parameters>` -> `parameters`, `<Greeting>` -> `greeting`,
`<Voice name>` -> `voice` (+ `voice_settings` for `api_key_ref` / `voice_speed`),
`<MessageHistory>` -> `message_history`, `<Tools>` (also inside `<Assistant>`) and
`<Assistant model api_key_ref instructions>` -> `assistant`, `<InterruptionSettings enable>`
-> `interruption_settings`, `<Transcription model>` -> `transcription`.

The action gets `Status` (`valid`/`invalid`), `Base64Result` (Base64 of
`{"status": ..., "result": {...}}`) and `Base64MessageHistory` (Base64 of
`[{"role": ..., "content": ...}]`). Without `action` the next verb runs. If the conversation
ends (`call.conversation.ended`) without a result within a grace period, or the command is
refused, the next verb runs with no parameters (outcome "failed").
"""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar

from compiler.step import (
    Action, CallContext, CancelTimer, Command, CommandFailed, Done, Effect, Event, Send, SetTimer, Step,
    TimerFired, Webhook,
)  # fmt: skip
from verbs import AIGather
from verbs.aigather import (
    AI_TRANSCRIPTION_MODELS,
    AIGatherTranscription, Assistant, Greeting, InterruptionSettings, MessageHistory, Tools, Voice,
)  # fmt: skip

# How long a result may trail `call.conversation.ended` (their order is not documented).
GRACE_TIMER = "aigather-grace"
GRACE_SECONDS = 5.0


def _b64_json(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(text.encode()).decode("ascii")


def _voice_fields(voice: Voice | None) -> dict[str, Any]:
    name = voice.name if voice else Voice().name  # TeXML's default voice, sent explicitly
    fields: dict[str, Any] = {"voice": "AWS." + name if name.startswith("Polly.") else name}
    if voice and voice.api_key_ref and name.startswith("ElevenLabs."):
        fields["voice_settings"] = {"type": "elevenlabs", "api_key_ref": voice.api_key_ref}
    elif voice and voice.voice_speed != 1.0 and name.startswith("Telnyx."):
        fields["voice_settings"] = {"type": "telnyx", "voice_speed": voice.voice_speed}
    return fields


def gather_using_ai_body(verb: AIGather) -> dict[str, Any]:
    def child(cls: type) -> Any:
        return next((c for c in verb.children if isinstance(c, cls)), None)

    body: dict[str, Any] = {"parameters": verb.parameters.json_schema}
    greeting = child(Greeting)
    if greeting is not None and greeting.text and greeting.text.strip():
        body["greeting"] = greeting.text.strip()
    body.update(_voice_fields(child(Voice)))
    history = child(MessageHistory)
    if history is not None and history.children:
        body["message_history"] = [{"role": m.role, "content": m.text} for m in history.children]
    assistant_node: Assistant | None = child(Assistant)
    tools = [t.definition for group in verb.children if isinstance(group, Tools)
             for t in group.children]  # fmt: skip
    if assistant_node is not None:
        tools += [t.definition for group in assistant_node.children for t in group.children]
    assistant: dict[str, Any] = {}
    if assistant_node is not None:
        for field, key in (("instructions", "instructions"), ("model", "model"),
                           ("api_key_ref", "openai_api_key_ref")):  # fmt: skip
            if getattr(assistant_node, field):
                assistant[key] = getattr(assistant_node, field)
    if tools:
        assistant["tools"] = tools
    if assistant:
        body["assistant"] = assistant
    interruption = child(InterruptionSettings)
    if interruption is not None and interruption.enable is not None:
        body["interruption_settings"] = {"enable": interruption.enable}
    transcription = child(AIGatherTranscription)
    # An unknown model would make the API refuse the whole command; `texml check` warns of it.
    if transcription is not None and transcription.model in AI_TRANSCRIPTION_MODELS:
        body["transcription"] = {"model": transcription.model}
    return body


class AIGatherStep(Step[AIGather]):
    ENDS_ON: ClassVar = ("call.ai_gather.ended", "call.conversation.ended")

    def __init__(self, verb: AIGather, ctx: CallContext) -> None:
        super().__init__(verb, ctx)
        self.grace = False  # the conversation ended; the result may still come

    def start(self) -> list[Effect]:
        return [Send(self.ctx.command("gather_using_ai", gather_using_ai_body(self.verb)))]

    def on_event(self, event: Event) -> list[Effect]:
        if isinstance(event, Webhook) and event.leg in (None, self.ctx.call_control_id):
            if event.event_type == "call.ai_gather.ended":
                return self._ended(event.payload)
            if event.event_type == "call.conversation.ended" and not self.grace:
                self.grace = True
                return [SetTimer(GRACE_TIMER, GRACE_SECONDS)]
        if isinstance(event, TimerFired) and event.name == GRACE_TIMER:
            return self.finish(Done(outcome="failed"))
        if isinstance(event, CommandFailed) and event.command.action == "gather_using_ai":
            return self.finish(Done(outcome="failed"))
        return super().on_event(event)

    def _ended(self, payload: Any) -> list[Effect]:
        status = str(payload.get("status") or "invalid")
        history = [
            {"role": m.get("role"), "content": m.get("content")}
            for m in payload.get("message_history") or () if isinstance(m, dict)
        ]
        params = {
            "Status": status,
            "Base64Result": _b64_json({"status": status, "result": payload.get("result") or {}}),
            "Base64MessageHistory": _b64_json(history),
        }
        action = None
        if self.verb.action is not None:
            url = self.ctx.url(self.verb.action)
            assert url is not None
            # The page documents `method` yet also says the application's method is used:
            # an explicit `method` wins.
            method = self.verb.method if "method" in self.verb.model_fields_set \
                else self.ctx.voice_method  # fmt: skip
            action = Action(url, method)
        outcome = "completed" if status == "valid" else "invalid"
        cancel = [CancelTimer(GRACE_TIMER)] if self.grace else []
        return self.finish(Done(params=params, action=action, outcome=outcome), *cancel)

    def abandon(self) -> list[Command]:
        return [self.ctx.command("gather_stop")]  # stops the AI gather too
