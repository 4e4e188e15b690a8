"""Conversations with a machine: `gather_using_ai`, AI assistants and Conversation Relay.

The simulated assistant has no language model: it speaks its greeting (heard, and timed like
any speech, with no speak webhooks), then listens, and the person answers with `speech:`
items.
- `gather_using_ai`: each answer fills the next property of the `parameters` JSON Schema, in
  order, converted to the property's type (`integer`, `number`, `boolean` from yes/no, an
  `enum` value named in the answer, else the text). Once the required properties (all, when
  none are required) are filled, `call.ai_gather.ended` (`valid`) and `call.conversation.ended`
  follow; if the person stays silent for `user_response_timeout_ms` (default 10 s) it ends
  `invalid` with what it has. `send_partial_results` and `send_message_history_updates` add
  their events.
- `ai_assistant_start` (and `_join`): `call.conversation.created`; the conversation ends
  (`call.conversation.ended`, reason `completed`) 5 s after the person last spoke, or on
  `ai_assistant_stop` (`stopped`).
- `conversation_relay_start`: the relay's WebSocket closes after 30 s, or after `#<seconds>s`
  at the end of its URL (reason `customer_disconnect`), or on `conversation_relay_stop`.
A hang-up ends every conversation of the call (reason `user_hangup`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from texml.sim.component import CallHandler, Component
from texml.sim.errors import invalid, wrong_state
from texml.sim.services import service_seconds

if TYPE_CHECKING:
    from texml.sim.clock import Timer
    from texml.sim.core import Call

IDLE_SECONDS = 5.0  # an assistant ends the conversation after this much silence
RESPONSE_MILLIS = 10_000  # gather_using_ai's wait for an answer, by default
Kind = Literal["ai_gather", "assistant", "relay"]


@dataclass(eq=False)
class Conversation:
    id: str
    kind: Kind
    calls: list[str]
    body: dict[str, Any]
    started_at: float
    messages: list[dict[str, str]] = field(default_factory=list)
    fields: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # ai_gather
    required: set[str] = field(default_factory=set)
    result: dict[str, Any] = field(default_factory=dict)
    timer: Timer | None = None
    over: bool = False


class Assistants(Component):
    def __init__(self, sim: Any) -> None:
        super().__init__(sim)
        self.conversations: dict[str, Conversation] = {}
        self.by_call: dict[str, Conversation] = {}

    def actions(self) -> dict[str, CallHandler]:
        return {
            "gather_using_ai": self._gather_using_ai, "ai_assistant_start": self._assistant_start,
            "ai_assistant_stop": self._stop, "ai_assistant_join": self._assistant_join,
            "ai_assistant_add_messages": self._add_messages,
            "conversation_relay_start": self._relay_start, "conversation_relay_stop": self._stop,
        }  # fmt: skip

    # --- starting ----------------------------------------------------------------------------

    def _begin(self, call: Call, kind: Kind, body: dict[str, Any], greeting: str | None
               ) -> Conversation:  # fmt: skip
        if not call.answered:
            raise wrong_state(f"{call.id} has not been answered yet")
        if call.id in self.by_call:
            raise wrong_state(f"{call.id} already has an AI conversation or relay running")
        conv = Conversation(self.sim.new_id(), kind, [call.id], body, self.sim.now)
        self.conversations[conv.id] = conv
        self.by_call[call.id] = conv
        if kind != "relay":
            self.sim.emit("call.conversation.created", call,
                          {"conversation_id": conv.id, "calling_party_type": "pstn"})  # fmt: skip
        if greeting:
            conv.messages.append({"role": "assistant", "content": greeting})
            voice = str(body.get("voice") or "AWS.Polly.Joanna")
            self.sim.media.speak(call, {"payload": greeting, "voice": voice}, silent=True)
        self.sim.media.start_listening(call, kind)
        return conv

    def _gather_using_ai(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        schema = body["parameters"]
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(properties, dict):
            raise invalid("'parameters' must be a JSON Schema object with properties",
                          "parameters")  # fmt: skip
        conv = self._begin(call, "ai_gather", body, body.get("greeting"))
        for message in body.get("message_history") or []:
            if isinstance(message, dict) and message.get("content"):
                conv.messages.append({"role": str(message.get("role", "user")),
                                      "content": str(message["content"])})  # fmt: skip
        conv.fields = [(str(k), v if isinstance(v, dict) else {}) for k, v in properties.items()]
        wanted = schema.get("required")
        conv.required = set(wanted) if isinstance(wanted, list) and wanted else \
            {name for name, _ in conv.fields}  # fmt: skip
        self._wait_for_answer(call, conv)
        return {"conversation_id": conv.id, "result": "ok"}

    def _assistant_start(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        assistant = body.get("assistant") or {}
        greeting = body.get("greeting") or (assistant.get("greeting") if isinstance(
            assistant, dict) else None)  # fmt: skip
        conv = self._begin(call, "assistant", body, greeting)
        self._idle(call, conv)
        return {"conversation_id": conv.id, "result": "ok"}

    def _assistant_join(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        conv = self.conversations.get(str(body["conversation_id"]))
        if conv is None or conv.over or conv.kind != "assistant":
            raise invalid(f"no running assistant conversation {body['conversation_id']!r}",
                          "conversation_id")  # fmt: skip
        participant = body["participant"]
        other = self.sim.live_call(str(participant.get("id")), "participant")
        if other.id in self.by_call:
            raise wrong_state(f"{other.id} already has an AI conversation or relay running")
        conv.calls.append(other.id)
        self.by_call[other.id] = conv
        self.sim.media.start_listening(other, "assistant")
        return {"conversation_id": conv.id, "result": "ok"}

    def _add_messages(self, call: Call, body: dict[str, Any]) -> None:
        conv = self.by_call.get(call.id)
        if conv is None or conv.kind != "assistant":
            raise wrong_state(f"no AI assistant is running on {call.id}")
        for message in body.get("messages") or []:
            if isinstance(message, dict):
                conv.messages.append({"role": str(message.get("role", "user")),
                                      "content": str(message.get("content", ""))})  # fmt: skip

    def _relay_start(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        settings = body.get("conversation_relay_settings") or {}
        url = body.get("url") or body.get("conversation_relay_url") or settings.get("url")
        if not url:
            raise invalid("conversation_relay_start needs url (or conversation_relay_url)", "url")
        conv = self._begin(call, "relay", body, body.get("greeting"))
        seconds = service_seconds(str(url))
        if seconds is not None:
            conv.timer = self.sim.clock.after(
                seconds, lambda: self.end(conv, "customer_disconnect"), "relay")
        return {"conversation_relay_id": conv.id, "result": "ok"}

    def _stop(self, call: Call, body: dict[str, Any]) -> None:
        conv = self.by_call.get(call.id)
        if conv is None:
            raise wrong_state(f"no AI assistant or relay is running on {call.id}")
        self.end(conv, "stopped")

    # --- listening ---------------------------------------------------------------------------

    def heard_speech(self, call: Call, text: str, seconds: float) -> None:
        conv = self.by_call.get(call.id)
        if conv is None or conv.over:
            return
        if conv.timer is not None and conv.kind != "relay":
            conv.timer.cancel()
        self.sim.clock.after(seconds, lambda: self._answer(call, conv, text), "assistant")

    def _answer(self, call: Call, conv: Conversation, text: str) -> None:
        if conv.over:
            return
        conv.messages.append({"role": "user", "content": text})
        if conv.kind == "assistant":
            self._idle(call, conv)
            return
        if conv.kind != "ai_gather":
            return
        missing = [(name, spec) for name, spec in conv.fields if name not in conv.result]
        if missing:
            name, spec = missing[0]
            conv.result[name] = _value(text, spec)
        history = self._history(conv)
        if conv.body.get("send_partial_results"):
            self.sim.emit("call.ai_gather.partial_results", call,
                          {"partial_results": dict(conv.result), "message_history": history})  # fmt: skip
        if conv.body.get("send_message_history_updates"):
            self.sim.emit("call.ai_gather.message_history_updated", call,
                          {"message_history": history})  # fmt: skip
        if conv.required <= set(conv.result):
            closing = conv.body.get("gather_ended_speech")
            if closing:
                voice = str(conv.body.get("voice") or "AWS.Polly.Joanna")
                self.sim.media.speak(call, {"payload": closing, "voice": voice}, silent=True)
            self.end(conv, "completed")
        else:
            self._wait_for_answer(call, conv)

    def _wait_for_answer(self, call: Call, conv: Conversation) -> None:
        millis = conv.body.get("user_response_timeout_ms", RESPONSE_MILLIS)
        lead = self.sim.media.playing_for(call)
        if conv.timer is not None:
            conv.timer.cancel()
        conv.timer = self.sim.clock.after(lead + millis / 1000,
                                          lambda: self.end(conv, "no_response"), "ai-gather")  # fmt: skip

    def _idle(self, call: Call, conv: Conversation) -> None:
        if conv.timer is not None:
            conv.timer.cancel()
        conv.timer = self.sim.clock.after(self.sim.media.playing_for(call) + IDLE_SECONDS,
                                          lambda: self.end(conv, "completed"), "assistant")  # fmt: skip

    def _history(self, conv: Conversation) -> list[dict[str, str]]:
        return [m for m in conv.messages if m["role"] in ("assistant", "user")]

    # --- ending ------------------------------------------------------------------------------

    def end(self, conv: Conversation, reason: str) -> None:
        """The conversation is over: its result (gather) and `call.conversation.ended`."""
        if conv.over:
            return
        conv.over = True
        if conv.timer is not None:
            conv.timer.cancel()
        sim = self.sim
        for call_id in conv.calls:
            self.by_call.pop(call_id, None)
            call = sim.calls[call_id]
            sim.media.stop_listening(call, conv.kind)
            if conv.kind == "ai_gather" and reason != "user_hangup":
                status = "valid" if conv.required <= set(conv.result) else "invalid"
                sim.emit("call.ai_gather.ended", call, {
                    "result": dict(conv.result), "status": status,
                    "message_history": self._history(conv),
                })  # fmt: skip
            payload: dict[str, Any] = {
                "conversation_id": conv.id, "calling_party_type": "pstn", "reason": reason,
                "duration_sec": int(sim.now - conv.started_at),
                "messages": [{"role": m["role"], "content": m["content"]} for m in conv.messages
                             if m["role"] in ("user", "assistant", "tool", "system", "developer")],
            }  # fmt: skip
            assistant = conv.body.get("assistant")
            if isinstance(assistant, dict) and assistant.get("id"):
                payload["assistant_id"] = str(assistant["id"])
            sim.emit("call.conversation.ended", call, payload)

    def call_ending(self, call: Call) -> None:
        conv = self.by_call.get(call.id)
        if conv is not None:
            self.end(conv, "user_hangup")


_YES = re.compile(r"\b(yes|yeah|yep|true|correct|sure)\b", re.IGNORECASE)
_NO = re.compile(r"\b(no|nope|false|not)\b", re.IGNORECASE)


def _value(text: str, spec: dict[str, Any]) -> Any:
    """An answer as the value a schema property wants."""
    kind = spec.get("type")
    enum = spec.get("enum")
    if isinstance(enum, list):
        for option in enum:
            if str(option).lower() in text.lower():
                return option
    if kind in ("integer", "number"):
        number = re.search(r"-?\d+(?:\.\d+)?", text.replace(",", ""))
        if number:
            value = float(number.group())
            return int(value) if kind == "integer" else value
        return text
    if kind == "boolean":
        if _YES.search(text):
            return True
        if _NO.search(text):
            return False
    return text


__all__ = ["Assistants", "Conversation"]
