"""`<Connect>` -> one service, run until it ends; then `action` or the next verb.

- `<Stream>` -> streaming_start; ends on `streaming.stopped` / `streaming.failed` for its URL.
  `action` is not requested after a stream (TeXML supports it only for the two below).
- `<AIAssistant id>` -> ai_assistant_start; `<AIAssistant join>` -> ai_assistant_join (this
  call joins the conversation as a `user`: Call Control has no other participant role).
- `<ConversationRelay>` -> conversation_relay_start.

The last two end on `call.conversation.ended` (or `call.conversation.start_failed`, or the
command being refused). The action gets `Reason`, read from the webhook's `reason`:
`normal` (a transfer is under way: no action request, the next verb runs), `handoff`,
`hangup`, `service_error` or `stt_error`. Call Control does not enumerate its reasons, so they
are matched by keyword; `customer_disconnect` (your relay server closed its WebSocket) and
any reason not recognised mean the service handed the call back: `handoff`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from compiler.start import stream_watches, streaming_start_body
from compiler.step import (
    Action, Command, CommandFailed, Done, Effect, Event, Send, Step, Webhook, is_call_hangup,
)  # fmt: skip
from compiler.stt import engine_name
from verbs import AIAssistant, Connect, ConversationRelay, Language, Parameter, Stream

REASONS = ("normal", "handoff", "hangup", "service_error", "stt_error")
# conversation_relay_start's `transcription_engine` values, by lower-case name.
_RELAY_ENGINES = {e.lower(): e for e in (
    "Google", "Telnyx", "Deepgram", "Azure", "xAI", "AssemblyAI", "Speechmatics", "Soniox",
)}  # fmt: skip


def connect_reason(reason: str | None) -> str:
    """The TeXML `Reason` for a `call.conversation.ended` reason."""
    text = (reason or "").lower()
    if text in REASONS:
        return text
    if "transfer" in text:
        return "normal"
    if "hangup" in text or "hung_up" in text:
        return "hangup"
    if "stt" in text or "transcri" in text:
        return "stt_error"
    if "error" in text or "fail" in text:
        return "service_error"
    return "handoff"


def _voice(name: str | None) -> str | None:
    return "AWS." + name if name and name.startswith("Polly.") else name


def _language(language: Language) -> dict[str, Any]:
    entry: dict[str, Any] = {"language": language.code}
    for field in ("tts_provider", "transcription_provider", "speech_model"):
        if getattr(language, field):
            entry[field] = getattr(language, field)
    if language.voice:
        entry["voice"] = _voice(language.voice)
    return entry


def conversation_relay_body(relay: ConversationRelay) -> dict[str, Any]:
    """conversation_relay_start. Background audio has no field in the command and is dropped;
    `transcriptionProvider` becomes `transcription_engine` when it names an engine the
    command knows (the per-language `transcriptionProvider` is passed through as text)."""
    body: dict[str, Any] = {}
    if relay.url:
        body["conversation_relay_url"] = relay.url
    if relay.welcome_greeting:
        body["greeting"] = relay.welcome_greeting
    if relay.voice:
        body["voice"] = _voice(relay.voice)
    if relay.language:
        body["language"] = relay.language
    if relay.transcription_provider:
        engine = _RELAY_ENGINES.get(engine_name(relay.transcription_provider).lower())
        if engine:
            body["transcription_engine"] = engine
    if relay.interruptible != "any":
        body["interruptible"] = relay.interruptible
    if relay.welcome_greeting_interruptible != "any":
        body["interruptible_greeting"] = relay.welcome_greeting_interruptible
    if relay.dtmf_detection:
        body["dtmf_detection"] = True
    languages = [_language(c) for c in relay.children if isinstance(c, Language)]
    if languages:
        body["languages"] = languages
    parameters = {c.name: c.value for c in relay.children if isinstance(c, Parameter)}
    if parameters:
        body["custom_parameters"] = parameters
    return body


class ConnectStep(Step[Connect]):
    ENDS_ON: ClassVar = (
        "streaming.stopped", "streaming.failed", "call.conversation.ended",
        "call.conversation.start_failed",
    )  # fmt: skip
    stream_id: str | None = None  # a <Stream>'s id, once streaming.started names it

    def start(self) -> list[Effect]:
        service = self.verb.children[0]
        ctx = self.ctx
        if isinstance(service, Stream):
            send = Send(ctx.command("streaming_start", streaming_start_body(service)))
            return [send, *stream_watches(service, ctx)]
        if isinstance(service, AIAssistant):
            if service.join:
                participant: dict[str, Any] = {"id": ctx.call_control_id, "role": "user"}
                if service.participant_name:
                    participant["name"] = service.participant_name
                body = {"conversation_id": service.join, "participant": participant}
                return [Send(ctx.command("ai_assistant_join", body))]
            body = {"assistant": {"id": service.id}}
            return [Send(ctx.command("ai_assistant_start", body))]
        return [Send(ctx.command("conversation_relay_start", conversation_relay_body(service)))]

    def on_event(self, event: Event) -> list[Effect]:
        service = self.verb.children[0]
        hook = event if isinstance(event, Webhook) and event.leg in (
            None, self.ctx.call_control_id) else None  # fmt: skip
        kind = hook.event_type if hook else None
        if isinstance(service, Stream):
            if hook and kind == "streaming.started" and _stream_url(hook.payload) in (None, service.url):
                self.stream_id = hook.payload.get("stream_id")
                return []
            if hook and kind in ("streaming.stopped", "streaming.failed"):
                if _stream_url(hook.payload) not in (None, service.url):
                    return []  # another stream of the call (<Start><Stream>)
                failed = kind == "streaming.failed"
                return self.finish(Done(outcome="failed" if failed else "completed"))
            if isinstance(event, CommandFailed) and event.command.action == "streaming_start":
                return self.finish(Done(outcome="failed"))
            return super().on_event(event)
        if hook and kind == "call.conversation.ended":
            return self._ended(connect_reason(hook.payload.get("reason")))
        if kind == "call.conversation.start_failed":
            return self._ended("service_error")
        if isinstance(event, CommandFailed) and event.command.action.startswith(
            ("ai_assistant_", "conversation_relay_")
        ):
            return self._ended("service_error")
        if is_call_hangup(event, self.ctx):
            return self._ended("hangup")
        return super().on_event(event)

    def abandon(self) -> list[Command]:
        service = self.verb.children[0]
        if isinstance(service, Stream):
            # Only this stream (a <Start><Stream> of the call goes on), once its id is known.
            if self.stream_id is None:
                return []
            return [self.ctx.command("streaming_stop", {"stream_id": self.stream_id})]
        if isinstance(service, AIAssistant):
            return [self.ctx.command("ai_assistant_stop")]
        return [self.ctx.command("conversation_relay_stop")]

    def _ended(self, reason: str) -> list[Effect]:
        params = {"Reason": reason}
        end = reason == "hangup"
        outcome = {"hangup": "hangup", "normal": "completed", "handoff": "completed"}.get(
            reason, "failed"
        )
        if reason == "normal" or self.verb.action is None:
            return self.finish(Done(params=params, end=end, outcome=outcome))
        url = self.ctx.url(self.verb.action)
        assert url is not None
        # After a hang-up the action is still requested (as TwiML does for <Dial>); what it
        # returns is not run.
        return self.finish(Done(params=params, action=Action(url, self.verb.method), end=end,
                                outcome=outcome))  # fmt: skip


def _stream_url(payload: Any) -> str | None:
    """The stream a streaming webhook is about (`streaming.failed` nests it)."""
    url = payload.get("stream_url")
    if url is None and isinstance(payload.get("stream_params"), dict):
        url = payload["stream_params"].get("stream_url")
    return url
