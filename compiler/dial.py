"""`<Dial>`: call numbers and SIP endpoints and connect the caller to the first that answers.

`DialStep` is what the registry names; the noun decides the machine that runs: this module
dials `<Number>`/`<Sip>` (or a bare number), `compiler.conference` joins a `<Conference>` and
`compiler.queue` takes a caller from a `<Queue>`.

Dialing, step by step:
- each destination is a `POST /calls` leg (all at once, or one after another with
  `sequential`), linked to the caller's session and tagged with its own `client_state`;
- the caller hears ringback while the legs ring: `audioUrl` on a loop; otherwise `ringTone`
  is played by Call Control itself when the only ringing leg is bridged early with
  `play_ringtone` (there is no stand-alone tone command, so several legs ringing at once, or a
  leg with a whisper `url`, ring in silence);
- the first leg that answers (and, with a whisper `url`, accepts) is bridged to the caller; the
  others are hung up. The caller's bridge parks it when the callee leaves, so the document
  goes on after the `<Dial>` as in TwiML;
- the step ends when the bridged leg hangs up, when every leg failed, or when the caller hangs
  up (the `action` is still requested then, as TwiML does);
- a leg's recording is usually saved after it hangs up: RecordingUrl reaches the `action` only
  when it came first, and recordingStatusCallback is served by a `Watch` after the step.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from compiler.legs import (
    AMD_EVENTS, Leg, amd_callbacks, completed_callback, dial_body, event_time, leg_callback,
    leg_client_state, leg_number, recording_params, whole_seconds,
)  # fmt: skip
from compiler.step import (
    Action, CallContext, Callback, CancelTimer, Command, CommandFailed, CommandResult,
    DocumentDone, Done, Effect, Event, RunDocument, Send, SetTimer, Step, StopDocument,
    TimerFired, Watch, Webhook,
)  # fmt: skip
from verbs import Conference, Dial, Number, Queue, Sip

# After the outcome is known, how long to wait for dial replies still outstanding, so that no
# leg is left ringing with an id nobody learnt.
CLOSE_TIMER = "dial-close"
CLOSE_SECONDS = 5


class DialStep(Step[Dial]):
    """A `<Dial>`: made as the machine for its noun (see the module docstring)."""

    ENDS_ON: ClassVar = ("call.hangup", "conference.participant.left", "conference.ended")

    def __new__(cls, verb: Dial, ctx: CallContext) -> DialStep:
        if cls is DialStep:
            cls = _machine_for(verb)
        return super().__new__(cls)

    def action(self) -> Action | None:
        url = self.ctx.url(self.verb.action)
        return Action(url, self.verb.method) if url else None

    def answer_if_ringing(self) -> list[Effect]:
        """TwiML answers a call that is still ringing before it connects it anywhere."""
        return [] if self.ctx.answered else [Send(self.ctx.command("answer"))]


def _machine_for(verb: Dial) -> type[DialStep]:
    noun = verb.children[0] if verb.children else None
    if isinstance(noun, Conference):
        from compiler.conference import ConferenceDialStep

        return ConferenceDialStep
    if isinstance(noun, Queue):
        from compiler.queue import QueueDialStep

        return QueueDialStep
    return NumberDialStep


class NumberDialStep(DialStep):
    """`<Dial>` with `<Number>`/`<Sip>` nouns, or a bare number as its text."""

    ENDS_ON: ClassVar = ("call.hangup",)

    def __init__(self, verb: Dial, ctx: CallContext) -> None:
        super().__init__(verb, ctx)
        self.dial_id = ctx.new_id()  # tells this <Dial>'s legs from an earlier one's
        caller_id = verb.caller_id or ctx.from_  # TwiML: the caller's own number by default
        nouns = [c for c in verb.children if isinstance(c, (Number, Sip))]
        if not nouns:
            nouns = [Number(text=(verb.text or "").strip())]
        self.legs = [
            Leg(n, noun, caller_id, leg_client_state(ctx, self.dial_id, n))
            for n, noun in enumerate(nouns)
        ]
        self.caller_answered = ctx.answered
        self.ringback = False  # the audioUrl loop is playing
        self.winner: Leg | None = None
        self.bridge: Command | None = None
        self.answer: Command | None = None
        self.bridged = False
        self.last: Leg | None = None  # the last leg to end
        self.recording: dict[str, str] = {}
        self.recording_reported = False
        self.closing: Done | None = None  # the outcome, held until the dial replies are in

    # --- start ---------------------------------------------------------------------------

    def start(self) -> list[Effect]:
        effects: list[Effect] = []
        if not self.caller_answered and not self.verb.answer_on_bridge:
            effects.append(Send(self.ctx.command("answer")))
            self.caller_answered = True
        audio = self.ctx.url(self.verb.audio_url)
        if audio and self.caller_answered:  # an unanswered caller hears the network's ringing
            body = {"audio_url": audio, "loop": "infinity"}
            effects.append(Send(self.ctx.command("playback_start", body)))
            self.ringback = True
        first = self.legs[:1] if self.verb.sequential else self.legs
        effects.extend(self._dial(leg) for leg in first)
        return effects

    def _dial(self, leg: Leg) -> Send:
        leg.command = Command("POST", "/calls", dial_body(self.verb, leg, self.ctx))
        leg.state = "dialing"
        return Send(leg.command)

    def _rings_alone(self, leg: Leg) -> bool:
        """Whether `leg` may be bridged while it rings, so the caller hears `ringTone`."""
        return (
            self.caller_answered
            and not self.verb.audio_url
            and leg.noun.url is None
            and (self.verb.sequential or len(self.legs) == 1)
        )

    # --- events ----------------------------------------------------------------------------

    def on_event(self, event: Event) -> list[Effect]:
        if self.done:
            return []
        if isinstance(event, CommandResult):
            return self._on_reply(event)
        if isinstance(event, CommandFailed):
            return self._on_refusal(event)
        if isinstance(event, DocumentDone):
            return self._on_whisper_done(event)
        if isinstance(event, TimerFired) and event.name == CLOSE_TIMER and self.closing:
            return self.finish(self.closing)
        if isinstance(event, Webhook):
            leg = self._leg_of(event)
            if leg is not None:
                return self._on_leg_event(leg, event)
            if event.leg in (None, self.ctx.call_control_id):
                return self._on_caller_event(event)
        return []

    def _leg_of(self, event: Webhook) -> Leg | None:
        if event.leg is not None and event.leg != self.ctx.call_control_id:
            for leg in self.legs:
                if leg.id == event.leg:
                    return leg
        n = leg_number(self.ctx, self.dial_id, event.payload.get("client_state"))
        if n is None or not 0 <= n < len(self.legs):
            return None
        leg = self.legs[n]
        if leg.id is None and event.leg and event.leg != self.ctx.call_control_id:
            leg.id = event.leg  # the webhook outran the dial's reply
        return leg

    def _on_reply(self, event: CommandResult) -> list[Effect]:
        if event.command == self.bridge:
            self.bridged = True
            return []
        leg = next((leg for leg in self.legs if leg.command == event.command), None)
        if leg is None:
            return []
        leg.id = leg.id or event.data.get("call_control_id")
        if leg.cancel:
            return self._hang_up(leg) + self._settle()
        if leg.state == "dialing" and self.winner is None and self._rings_alone(leg) and leg.id:
            leg.early_bridge = True
            body = {"play_ringtone": True, "ringtone": self.verb.ring_tone}
            return [Send(self._bridge_command(leg, body))]
        return []

    def _on_refusal(self, event: CommandFailed) -> list[Effect]:
        leg = next((leg for leg in self.legs if leg.command == event.command), None)
        if leg is not None:  # the dial itself was refused (bad number, no channel...)
            if leg.state != "dialing":
                return []
            return self._leg_gone(leg, cause="unspecified", event=None)
        if event.command.action == "bridge" and event.command != self.bridge:
            # The bridge made while ringing was refused: bridge the usual way on answer.
            other = event.command.body.get("call_control_id")
            ringing = next((leg for leg in self.legs if leg.id and leg.id == other), None)
            if ringing is None or not ringing.early_bridge:
                return []
            ringing.early_bridge = False
            if ringing is self.winner and ringing.live:  # it has answered meanwhile
                self.bridged = False
                self.bridge = self._bridge_command(ringing, {})
                return [Send(self.bridge)]
            return []
        if event.command in (self.bridge, self.answer) and self.winner is not None:
            # The callee cannot be connected (it or the caller is gone meanwhile).
            params = self._params(self.winner)
            params.update(DialCallStatus="failed", DialBridged="false")
            return self._hang_up(self.winner) + self._end(params, outcome="failed")
        return []

    def _on_caller_event(self, event: Webhook) -> list[Effect]:
        kind = event.event_type
        if kind == "call.hangup":
            return self._caller_hung_up(event)
        if kind == "call.bridged" and self.winner is not None:
            self.bridged = True
        if (
            kind == "call.dtmf.received"
            and self.verb.hangup_on_star
            and self.bridged
            and self.winner is not None
            and event.payload.get("digit") == "*"
        ):
            return self._hang_up(self.winner)  # the step ends on that leg's call.hangup
        return []

    def _on_leg_event(self, leg: Leg, event: Webhook) -> list[Effect]:
        kind = event.event_type
        if kind == "call.initiated":
            # Call Control reports no ringing of an outbound leg: it is ringing once it exists.
            return self._progress(leg, event, "initiated", "initiated") + self._progress(
                leg, event, "ringing", "ringing"
            )
        if kind == "call.answered":
            return self._leg_answered(leg, event)
        if kind == "call.hangup":
            cause = event.payload.get("hangup_cause")
            return self._leg_gone(leg, cause=cause, event=event)
        if kind == "call.bridged" and leg is self.winner:
            self.bridged = True
        if kind in AMD_EVENTS:
            return amd_callbacks(self.ctx, leg, event)
        if kind == "call.dtmf.received" and "dtmf" in leg.noun.status_callback_event:
            digit = str(event.payload.get("digit", ""))
            return leg_callback(self.ctx, leg, event, {"Digits": digit})
        if kind == "call.recording.saved" and leg is self.winner:
            return self._recording_saved(event)
        return []

    # --- answer, whisper, bridge -----------------------------------------------------------

    def _leg_answered(self, leg: Leg, event: Webhook) -> list[Effect]:
        if leg.answered or not leg.live:
            return []
        leg.answered = True
        leg.answered_at = event_time(event)
        effects = self._progress(leg, event, "answered", "in-progress")
        if self.winner is not None or self.closing is not None:
            return effects + self._hang_up(leg)  # answered too late
        whisper = self.ctx.url(leg.noun.url)
        if whisper and leg.id:
            leg.state = "screening"
            effects.append(RunDocument(leg.whisper, whisper, leg.noun.method, leg=leg.id))
            return effects
        return effects + self._connect(leg)

    def _on_whisper_done(self, event: DocumentDone) -> list[Effect]:
        leg = next((leg for leg in self.legs if leg.whisper == event.name), None)
        if leg is None or leg.state != "screening":
            return []
        if event.hangup:  # the callee declined: as if it had not answered
            leg.state = "refused"
            leg.refused = True
            return self._hang_up(leg)
        if self.winner is not None or self.closing is not None:
            return self._hang_up(leg)
        return self._connect(leg)

    def _connect(self, leg: Leg) -> list[Effect]:
        self.winner = leg
        leg.state = "connected"
        effects = self._stop_ringback()
        for other in self.legs:
            if other is leg:
                continue
            if other.state == "screening":
                effects.append(StopDocument(other.whisper))
            if other.live:
                effects += self._hang_up(other)
            elif other.state == "waiting":
                other.state = "skipped"
        if leg.early_bridge:
            self.bridged = True
            return effects
        if not self.caller_answered:  # answerOnBridge
            self.answer = self.ctx.command("answer")
            effects.append(Send(self.answer))
            self.caller_answered = True
        self.bridge = self._bridge_command(leg, {})
        effects.append(Send(self.bridge))
        return effects

    def _bridge_command(self, leg: Leg, extra: dict[str, Any]) -> Command:
        # park_after_unbridge: when the callee leaves, the caller stays up for what follows.
        body = {"call_control_id": leg.id, "park_after_unbridge": "self", **extra}
        return self.ctx.command("bridge", body)

    def _stop_ringback(self) -> list[Effect]:
        if not self.ringback:
            return []
        self.ringback = False
        return [Send(self.ctx.command("playback_stop"))]

    def _hang_up(self, leg: Leg) -> list[Effect]:
        if leg.hangup_sent or not leg.live:
            return []
        if leg.id is None:
            leg.cancel = True
            return []
        leg.hangup_sent = True
        # The leg's own client_state, so its call.hangup still names it.
        body = {"client_state": leg.client_state}
        return [Send(self.ctx.command("hangup", body, leg=leg.id, with_client_state=False))]

    # --- endings ---------------------------------------------------------------------------

    def _leg_gone(self, leg: Leg, *, cause: Any, event: Webhook | None) -> list[Effect]:
        if leg.state in ("ended", "waiting", "skipped"):
            return []
        effects: list[Effect] = []
        if leg.state == "screening":  # hung up during its whisper
            effects.append(StopDocument(leg.whisper))
            leg.refused = True
        leg.state = "ended"
        leg.hangup_cause = cause if isinstance(cause, str) else None
        self.last = leg
        if event is not None:
            leg.ended_at = event_time(event)
            effects += completed_callback(self.ctx, leg, event)
        if leg is self.winner:
            return effects + self._end(self._params(leg), outcome=leg.status())
        if self.winner is not None or self.closing is not None:
            return effects + self._settle()
        if self.verb.sequential:
            waiting = next((other for other in self.legs if other.state == "waiting"), None)
            if waiting is not None:
                return [*effects, self._dial(waiting)]
        if any(other.live for other in self.legs):
            return effects
        return effects + self._end(self._params(leg), outcome=leg.status())

    def _caller_hung_up(self, event: Webhook) -> list[Effect]:
        if self.closing is not None:
            self.closing = dataclasses.replace(self.closing, end=True, outcome="hangup")
            return []
        if self.winner is not None:  # the callee had answered: the call was connected
            params = self._params(self.winner)
            params["DialCallDuration"] = whole_seconds(self.winner.answered_at, event_time(event))
        else:  # hung up while the legs were ringing
            leg = self._reported_leg()
            params = self._params(leg) if leg is not None else {}
            params.update(DialCallStatus="canceled", DialCallDuration="0", DialBridged="false")
        self.ringback = False  # nothing to stop on a call that is gone
        return self._end(params, end=True, outcome="hangup")

    def _reported_leg(self) -> Leg | None:
        """The leg DialCallSid names when none was bridged: the last to end, else the first."""
        return self.last or next((leg for leg in self.legs if leg.id), None)

    def _params(self, leg: Leg) -> dict[str, str]:
        params = {
            "DialCallStatus": leg.status(),
            "DialBridged": "true" if self.bridged and leg is self.winner else "false",
            "DialCallDuration": (
                whole_seconds(leg.answered_at, leg.ended_at)
                if leg.answered and not leg.refused
                else "0"
            ),
        }
        if leg.id:
            params["DialCallSid"] = leg.id
        for key in ("RecordingUrl", "RecordingSid", "RecordingDuration"):
            if key in self.recording:
                params[key] = self.recording[key]
        return params

    def _end(self, params: dict[str, str], *, end: bool = False, outcome: str) -> list[Effect]:
        effects: list[Effect] = self._stop_ringback()
        for leg in self.legs:
            if leg.state == "screening":
                effects.append(StopDocument(leg.whisper))
            effects += self._hang_up(leg)
        effects += self._recording_watch()
        done = Done(params=params, action=self.action(), end=end, outcome=outcome)
        if any(leg.pending_reply for leg in self.legs):
            self.closing = done
            return [*effects, SetTimer(CLOSE_TIMER, CLOSE_SECONDS)]
        return self.finish(done, *effects)

    def _settle(self) -> list[Effect]:
        """Finish a held outcome once no dial reply is outstanding."""
        if self.closing is None or any(leg.pending_reply for leg in self.legs):
            return []
        return self.finish(self.closing, CancelTimer(CLOSE_TIMER))

    # --- callbacks -------------------------------------------------------------------------

    def _progress(self, leg: Leg, event: Webhook, token: str, status: str) -> list[Effect]:
        if token not in leg.noun.status_callback_event:
            return []
        return leg_callback(self.ctx, leg, event, {"CallStatus": status})

    def _recording_saved(self, event: Webhook) -> list[Effect]:
        self.recording = recording_params(event.payload, send_url=self.verb.send_recording_url)
        url = self.ctx.url(self.verb.recording_status_callback)
        if not url or "completed" not in self.verb.recording_status_callback_event:
            return []
        self.recording_reported = True
        params = {**self.recording, "RecordingStatus": "completed", "RecordingSource": "DialVerb"}
        return [Callback(url, self.verb.recording_status_callback_method, params)]

    def _recording_watch(self) -> list[Effect]:
        """The recording usually arrives after the legs hang up: report it from the call."""
        url = self.ctx.url(self.verb.recording_status_callback)
        if (
            self.verb.record == "do-not-record"
            or not url
            or self.recording_reported
            or "completed" not in self.verb.recording_status_callback_event
        ):
            return []
        method = self.verb.recording_status_callback_method
        params = {"RecordingSource": "DialVerb"}
        return [Watch("call.recording.saved", "recording", url, method, params)]


__all__ = ["CLOSE_TIMER", "DialStep", "NumberDialStep"]
