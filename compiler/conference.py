"""`<Dial><Conference>`: join the named room, creating it on first use.

Call Control has no find-or-create: the step lists the conferences with that name
(`GET /conferences?filter[name]=...`), joins the live one, or creates it with this call as
its first participant. It ends when this participant leaves the room (or the room ends, or
the caller hangs up); then `action` is requested, or the document goes on.

Where Call Control differs from TwiML:
- `endConferenceOnExit` and `muted` of the participant who creates the room cannot be set by
  `POST /conferences`: the step mutes it right after, and ends the room (`end`) when it leaves.
- A room that has not started holds its participants with the hold audio chosen when it was
  created: the creator's `waitUrl`, when it is an audio file, becomes the room's
  `hold_audio_url`. Otherwise the waiting participant's own `waitUrl` is played on its call
  (an audio file on a loop, a TeXML document repeated) until it is taken off hold
  (`call.unhold`), which is how the room starting shows (an inference).
- Conference webhooks go to the call that created the room: `start` is reported when the room is
  created, and `start`/`end`/`join`/`leave`/`speaker` only while this participant is in the
  room (Call Control has no per-participant conference callbacks).
- `participantLabel`, `recordingTimeout` and `hangupOnStar` have no Call Control equivalent.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

from compiler.dial import DialStep
from compiler.legs import MAX_TIME_LIMIT, is_audio_url, recording_params
from compiler.step import (
    CallContext, Callback, CancelTimer, Command, CommandFailed, CommandResult, Done, Effect,
    Event, RunDocument, Send, SetTimer, StopDocument, TimerFired, Watch, Webhook,
)  # fmt: skip
from verbs import Conference, Dial

BEEP = {True: "always", False: "never", "onEnter": "on_enter", "onExit": "on_exit"}
DEFAULT_MAX_PARTICIPANTS = 250  # TeXML's and Call Control's default
# A failed create or join is retried by looking the room up again; bounded.
MAX_ATTEMPTS = 3
WAIT = "wait"
TIME_LIMIT = "time-limit"
LEFT_GRACE = "left"
LEFT_GRACE_SECONDS = 1.0

# Conference webhook -> (statusCallbackEvent token, StatusCallbackEvent value).
_STATUS_EVENTS = {
    "conference.created": ("start", "conference-start"),
    "conference.ended": ("end", "conference-end"),
    "conference.participant.joined": ("join", "participant-join"),
    "conference.participant.left": ("leave", "participant-leave"),
    "conference.floor.changed": ("speaker", "participant-speech-start"),
}
_END_REASONS = {
    "all_left": "last-participant-left",
    "host_left": "participant-with-end-conference-on-exit-left",
}


class ConferenceDialStep(DialStep):
    ENDS_ON: ClassVar = ("conference.participant.left", "conference.ended", "call.hangup")

    def __init__(self, verb: Dial, ctx: CallContext) -> None:
        super().__init__(verb, ctx)
        room = verb.children[0]
        assert isinstance(room, Conference)
        self.room = room
        self.name = room.text.strip()
        self.conference_id: str | None = None
        self.created = False  # this call created the room (and owns its webhooks)
        self.joined = False
        self.leaving = False  # we asked to leave (time limit): participant.left is expected
        self.left = False  # out of the room without asking: waiting briefly for call.hangup
        self.attempts = 0
        self.lookup: Command | None = None
        self.create: Command | None = None
        self.join: Command | None = None
        self.waiting: str | None = None  # "document" or "audio" while the wait audio runs
        self.callbacks = 0
        self.recording_reported = False
        self.timer = False  # the timeLimit timer is set

    def start(self) -> list[Effect]:
        return [*self.answer_if_ringing(), self._look_up()]

    def _look_up(self) -> Send:
        self.lookup = Command("GET", "/conferences", {"filter": {"name": self.name}})
        return Send(self.lookup)

    def _create(self) -> list[Effect]:
        self.attempts += 1
        room = self.room
        body: dict[str, Any] = {
            "call_control_id": self.ctx.call_control_id,
            "name": self.name,
            "client_state": self.ctx.client_state,
            "command_id": self.ctx.new_id(),
            "beep_enabled": BEEP[room.beep],
            "start_conference_on_create": room.start_conference_on_enter,
        }
        if room.max_participants != DEFAULT_MAX_PARTICIPANTS:
            body["max_participants"] = room.max_participants
        wait = self.ctx.url(room.wait_url)
        if wait and is_audio_url(wait) and not room.start_conference_on_enter:
            body["hold_audio_url"] = wait
        self.create = Command("POST", "/conferences", body)
        return [Send(self.create)]

    def _join(self, conference_id: str) -> list[Effect]:
        self.attempts += 1
        room = self.room
        body: dict[str, Any] = {
            "call_control_id": self.ctx.call_control_id,
            "client_state": self.ctx.client_state,
            "command_id": self.ctx.new_id(),
            "beep_enabled": BEEP[room.beep],
            # Call Control's default is false, TeXML's is true: always say which.
            "start_conference_on_enter": room.start_conference_on_enter,
        }
        if room.muted:
            body["mute"] = True
        if room.end_conference_on_exit:
            body["end_conference_on_exit"] = True
        self.conference_id = conference_id
        self.join = self._conference_command("join", body)
        return [Send(self.join)]

    def _conference_command(self, action: str, body: dict[str, Any]) -> Command:
        path = f"/conferences/{quote(self.conference_id or '', safe='')}/actions/{action}"
        return Command("POST", path, body)

    # --- events ----------------------------------------------------------------------------

    def on_event(self, event: Event) -> list[Effect]:
        if self.done:
            return []
        if isinstance(event, CommandResult):
            return self._on_reply(event)
        if isinstance(event, CommandFailed):
            return self._on_refusal(event)
        if isinstance(event, TimerFired) and event.name == LEFT_GRACE and not self.done:
            return self._end({"DialCallStatus": "completed"}, outcome="completed")
        if isinstance(event, TimerFired) and event.name == TIME_LIMIT and self.conference_id:
            self.leaving = True
            body = {"call_control_id": self.ctx.call_control_id, "command_id": self.ctx.new_id()}
            return [Send(self._conference_command("leave", body))]  # then participant.left
        if isinstance(event, Webhook):
            return self._on_webhook(event)
        return []

    def _on_reply(self, event: CommandResult) -> list[Effect]:
        if event.command == self.lookup:
            room = _live_room(event.data, self.name)
            if room is None:
                return self._create()
            return self._join(str(room["id"])) + self._entered(started=room.get("status") != "init")
        if event.command == self.create:
            self.conference_id = str(event.data.get("id") or self.conference_id or "")
            self.created = True
            return self._created()
        return []

    def _on_refusal(self, event: CommandFailed) -> list[Effect]:
        if event.command == self.lookup:
            return self._create()
        if event.command in (self.create, self.join):
            if self.attempts >= MAX_ATTEMPTS:
                return self._end({"DialCallStatus": "failed"}, outcome="failed")
            # The room ended between the lookup and the join, or a room of that name was
            # created meanwhile: look again.
            self.conference_id = None
            return [*self._stop_waiting(), self._look_up()]
        return []

    def _created(self) -> list[Effect]:
        effects: list[Effect] = []
        room = self.room
        if room.muted:  # the create command has no `mute`
            body = {"call_control_ids": [self.ctx.call_control_id]}
            effects.append(Send(self._conference_command("mute", body)))
        if room.record == "record-from-start":
            body = {"format": "mp3", "command_id": self.ctx.new_id(), "play_beep": room.record_beep}
            if room.trim == "trim-silence":
                body["trim"] = "trim-silence"
            effects.append(Send(self._conference_command("record_start", body)))
        wait = self.ctx.url(room.wait_url)
        # Audio waitUrl is the room's hold audio already; a document is played on the call.
        started = room.start_conference_on_enter or (wait is not None and is_audio_url(wait))
        return effects + self._entered(started=started)

    def _entered(self, *, started: bool) -> list[Effect]:
        """This call is in the room (or about to be): wait audio and the time limit."""
        effects: list[Effect] = []
        if self.verb.time_limit != MAX_TIME_LIMIT:
            self.timer = True
            effects.append(SetTimer(TIME_LIMIT, self.verb.time_limit))
        wait = self.ctx.url(self.room.wait_url)
        if started or self.room.start_conference_on_enter or not wait or self.waiting:
            return effects
        if is_audio_url(wait):
            self.waiting = "audio"
            body = {"audio_url": wait, "loop": "infinity"}
            effects.append(Send(self.ctx.command("playback_start", body)))
        else:
            self.waiting = "document"
            effects.append(RunDocument(WAIT, wait, self.room.wait_method, repeat=True))
        return effects

    def _stop_waiting(self) -> list[Effect]:
        waiting, self.waiting = self.waiting, None
        if waiting == "audio":
            return [Send(self.ctx.command("playback_stop"))]
        if waiting == "document":
            return [StopDocument(WAIT)]
        return []

    def _on_webhook(self, event: Webhook) -> list[Effect]:
        kind, payload = event.event_type, event.payload
        mine = payload.get("call_control_id") == self.ctx.call_control_id
        if kind == "call.hangup" and event.leg in (None, self.ctx.call_control_id):
            status = "completed" if self.joined or self.conference_id else "canceled"
            self.waiting = None  # the call is gone: nothing to stop
            return self._end({"DialCallStatus": status}, end=True, outcome="hangup")
        if kind == "call.unhold" and mine:
            return self._stop_waiting()  # the room has started
        if not kind.startswith("conference."):
            return []
        room_id = payload.get("conference_id")
        if self.conference_id is None and kind == "conference.created" and mine:
            self.conference_id = room_id  # the webhook outran the create's reply
        if room_id != self.conference_id or self.left:
            return []  # another room, or we are out of this one (waiting for call.hangup)
        effects = self._status_callback(event)
        if kind == "conference.participant.joined" and mine:
            self.joined = True
        elif kind == "conference.recording.saved":
            effects += self._recording_saved(event)
        elif kind == "conference.participant.left" and mine and self.leaving:
            effects += self._end({"DialCallStatus": "completed"}, outcome="completed")
        elif kind == "conference.participant.left" and mine:
            # We did not ask to leave: most likely the caller hung up, and call.hangup is on its
            # way. Wait a moment for it, so the action is not run on a call that is gone.
            self.left = True
            effects.append(SetTimer(LEFT_GRACE, LEFT_GRACE_SECONDS))
        elif kind == "conference.ended":
            effects += self._end({"DialCallStatus": "completed"}, outcome="completed", over=True)
        return effects

    # --- endings and callbacks -------------------------------------------------------------

    def _end(
        self, params: dict[str, str], *, end: bool = False, outcome: str, over: bool = False
    ) -> list[Effect]:
        effects = self._stop_waiting()
        if self.timer:
            effects.append(CancelTimer(TIME_LIMIT))
        if self.created and self.room.end_conference_on_exit and self.conference_id and not over:
            # The creator's endConferenceOnExit: the create command cannot carry it.
            body = {"command_id": self.ctx.new_id()}
            effects.append(Send(self._conference_command("end", body)))
        effects += self._recording_watch()
        return self.finish(Done(params, self.action(), end=end, outcome=outcome), *effects)

    def _status_callback(self, event: Webhook) -> list[Effect]:
        token, name = _STATUS_EVENTS.get(event.event_type, (None, None))
        url = self.ctx.url(self.room.status_callback)
        if token is None or name is None or not url or token not in self.room.status_callback_event:
            return []
        payload = event.payload
        params = {
            "StatusCallbackEvent": name,
            "ConferenceSid": str(payload.get("conference_id", "")),
            "FriendlyName": self.name,
            "SequenceNumber": str(self.callbacks),
        }
        if payload.get("call_control_id"):
            params["CallSid"] = str(payload["call_control_id"])
        when = event.occurred_at or payload.get("occurred_at")
        if when:
            params["Timestamp"] = str(when)
        label = self.room.participant_label
        if label and payload.get("call_control_id") == self.ctx.call_control_id:
            params["ParticipantLabel"] = label
        if event.event_type == "conference.ended" and payload.get("reason"):
            reason = str(payload["reason"])
            params["ReasonConferenceEnded"] = _END_REASONS.get(reason, reason)
        self.callbacks += 1
        return [Callback(url, self.room.status_callback_method, params)]

    def _recording_saved(self, event: Webhook) -> list[Effect]:
        url = self.ctx.url(self.room.recording_status_callback)
        if not url or "completed" not in self.room.recording_status_callback_event:
            return []
        self.recording_reported = True
        params = recording_params(event.payload, send_url=self.room.send_recording_url)
        params.update(RecordingStatus="completed", RecordingSource="Conference")
        params["ConferenceSid"] = str(event.payload.get("conference_id", ""))
        return [Callback(url, self.room.recording_status_callback_method, params)]

    def _recording_watch(self) -> list[Effect]:
        """A room's recording is saved when the room ends, usually after this step."""
        url = self.ctx.url(self.room.recording_status_callback)
        if (
            not self.created
            or self.room.record != "record-from-start"
            or not url
            or self.recording_reported
            or "completed" not in self.room.recording_status_callback_event
        ):
            return []
        method = self.room.recording_status_callback_method
        params = {"RecordingSource": "Conference", "ConferenceSid": self.conference_id or ""}
        return [Watch("conference.recording.saved", "recording", url, method, params)]

    def abandon(self) -> list[Command]:
        if not self.conference_id or self.leaving:
            return []
        self.leaving = True
        body = {"call_control_id": self.ctx.call_control_id, "command_id": self.ctx.new_id()}
        return [self._conference_command("leave", body)]

def _live_room(data: Any, name: str) -> dict[str, Any] | None:
    """The newest conference called `name` that has not ended, from a list reply."""
    rooms = data.get("data", []) if isinstance(data, dict) else data
    for room in rooms if isinstance(rooms, list) else []:
        if (
            isinstance(room, dict)
            and room.get("name") == name
            and room.get("id")
            and room.get("status") != "completed"
            and not room.get("end_reason")
        ):
            return room
    return None


__all__ = ["ConferenceDialStep"]
