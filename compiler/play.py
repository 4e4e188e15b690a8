"""`<Play>` -> playback_start (audio) or send_dtmf (digits).

Audio: the step ends on `call.playback.ended`. `playback_start` loops 1-100 times or forever,
while TeXML allows up to 1000, so a larger `loop` is played in turns of at most 100 (at most
10 turns). A failed playback tries `failoverUrl` once; after that, `continueOnError="true"`
moves on to the next verb, and otherwise the script is aborted as TeXML does: the call is hung
up.

`ringTone` has no Call Control equivalent: there is no command that plays a generated tone on
its own (ringback tones exist only on `bridge`, while a leg rings), so `<Play ringTone>` plays
nothing and the next verb runs at once (outcome "unsupported").
"""

from __future__ import annotations

from typing import Any, ClassVar

from compiler.step import CallContext, CommandFailed, Done, Effect, Event, Send, Step, Webhook
from verbs import Play

MAX_LOOP = 100  # playback_start's largest integer loop


class PlayStep(Step[Play]):
    ENDS_ON: ClassVar = ("call.playback.ended",)
    started = False  # our playback has reported call.playback.started

    def __init__(self, verb: Play, ctx: CallContext) -> None:
        super().__init__(verb, ctx)
        self.source = verb.text
        self.failover_tried = False
        self.left = 0  # loops still to start after the current turn
        self.turn = 0  # loops in the current turn

    def start(self) -> list[Effect]:
        verb = self.verb
        if verb.digits:
            # send_dtmf has no webhook: the digits are queued and the next verb runs. `w`/`W`
            # (0.5 s / 1 s pauses) mean the same to Call Control. `loop` is not applied to digits.
            send = Send(self.ctx.command("send_dtmf", {"digits": verb.digits}))
            return self.finish(Done(), send)
        if verb.ring_tone:
            return self.finish(Done(outcome="unsupported"))
        return self._play(verb.loop)

    def on_event(self, event: Event) -> list[Effect]:
        if isinstance(event, Webhook) and event.event_type == "call.playback.started":
            self.started = True
        if isinstance(event, Webhook) and event.event_type == "call.playback.ended":
            if event.leg not in (None, self.ctx.call_control_id):
                return []
            if not self.started and event.payload.get("status") in ("completed", "cancelled"):
                return []  # audio stopped before this step (see SayStep.started); a file
                # that cannot be played reports no `started`, only its failure
            status = event.payload.get("status")
            if status == "call_hangup":
                return self.finish(Done(end=True, outcome="hangup"))
            if status == "completed":
                return self._next_turn()
            if status in ("cancelled", "cancelled_amd"):  # stopped by a command: move on
                return self.finish(Done())
            return self._failed()  # file_not_found, failed, unknown
        if isinstance(event, CommandFailed) and event.command.action == "playback_start":
            return self._failed()
        return super().on_event(event)

    def _play(self, loops: int) -> list[Effect]:
        """Start playing the current source `loops` times (0: forever)."""
        body: dict[str, Any] = {}
        if self.verb.media_storage:
            body["media_name"] = self.source
        else:
            body["audio_url"] = self.ctx.url(self.source)
        if loops == 0:
            body["loop"] = "infinity"
            self.turn, self.left = 0, 0
        else:
            self.turn = min(loops, MAX_LOOP)
            self.left = loops - self.turn
            if self.turn != 1:
                body["loop"] = self.turn
        return [Send(self.ctx.command("playback_start", body))]

    def _next_turn(self) -> list[Effect]:
        if self.left:
            return self._play(self.left)
        return self.finish(Done())

    def _failed(self) -> list[Effect]:
        if self.verb.failover_url and not self.failover_tried:
            self.failover_tried = True
            self.source = self.verb.failover_url
            return self._play(self.turn + self.left)
        if self.verb.continue_on_error:
            return self.finish(Done(outcome="failed"))
        hangup = Send(self.ctx.command("hangup"))
        return self.finish(Done(end=True, outcome="failed"), hangup)
