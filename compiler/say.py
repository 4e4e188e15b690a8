"""`<Say>` -> speak. The step ends when the speech has been played (all loops)."""

from __future__ import annotations

from typing import Any, ClassVar

from compiler.step import Done, Effect, Event, Send, Step, Webhook
from compiler.voice import speak_voice
from verbs import Say


def speak_body(say: Say) -> dict[str, Any]:
    """The speak fields for a `<Say>` (also used for prompts inside `<Gather>`)."""
    body: dict[str, Any] = {"payload": say.text}
    if say.ssml is not None:
        body["payload"] = f"<speak>{say.ssml}</speak>"
        body["payload_type"] = "ssml"
    body.update(speak_voice(say.voice, say.language))
    if body.get("payload_type") == "ssml" and body["voice"] in ("male", "female"):
        body["service_level"] = "premium"  # basic TTS takes plain text only
    return body


class SayStep(Step[Say]):
    ENDS_ON: ClassVar = ("call.speak.ended",)

    # Speech stopped just before this step (barge-in, the end of hold music) still reports
    # call.speak.ended after our speak was sent. Telnyx reports started before ended for each
    # speak, so an `ended` before our `started` is someone else's.
    started = False

    def start(self) -> list[Effect]:
        body = speak_body(self.verb)
        loop = self.verb.loop
        if loop != 1:
            body["loop"] = "infinity" if loop == 0 else loop
        return [Send(self.ctx.command("speak", body))]

    def on_event(self, event: Event) -> list[Effect]:
        if isinstance(event, Webhook) and event.leg in (None, self.ctx.call_control_id):
            if event.event_type == "call.speak.started":
                self.started = True
            elif event.event_type == "call.speak.ended" and not self.started:
                return []
        if isinstance(event, Webhook) and event.event_type == "call.speak.ended":
            if event.payload.get("status") == "call_hangup":
                return self.finish(Done(end=True, outcome="hangup"))
            return self.finish(Done())
        return super().on_event(event)
