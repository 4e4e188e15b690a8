"""The simulator: calls and legs on a virtual clock, driven by Call Control commands.

`Simulator` is what the `texml run` driver and the standalone server use (see the package
docstring for the API). This module holds the kernel — the clock, the outbox of webhooks, the
log, the command router — and the life of a call: an inbound call rings until `answer` or
`reject`; `POST /calls` places an outbound leg whose fate the scenario's dial plan decides;
`bridge` joins two legs; `hangup` (or the person on the line, or a time limit) ends one.
Media, the people on the line, rooms and the other services are components in their own
modules (`media`, `caller`, `rooms`, `services`), each told about commands and about calls
ending through the small `Component` interface below.

Webhooks are produced at the virtual time things happen and wait in an outbox until the owner
calls `advance`, which is how a driver interleaves them with its own timers.
"""

from __future__ import annotations

import base64
import binascii
import math
import random
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from texml.sim import schema, webhooks
from texml.sim.assistants import Assistants
from texml.sim.caller import Callers, Party
from texml.sim.clock import Clock, Timer
from texml.sim.component import CallHandler, Component, Handler
from texml.sim.errors import SimError, call_ended, invalid, not_found, wrong_state
from texml.sim.media import CallMedia, Media
from texml.sim.pay import Payments
from texml.sim.rooms import Rooms
from texml.sim.script import (
    CallerScript,
    DialOutcome,
    InputItem,
    outcome_for,
    parse_dial_outcome,
    parse_input_item,
)  # fmt: skip
from texml.sim.services import Services

CallStatus = Literal["ringing", "answered", "bridged", "hangup"]
Direction = Literal["incoming", "outgoing"]

IDLE_SECONDS = 3600.0  # a call where nothing happens for this long is hung up: no run is endless
MAX_TIME_LIMIT = 14400  # Call Control's default and largest time_limit_secs
DEFAULT_TIMEOUT_SECS = 30  # Call Control's ring timeout for a dial without timeout_secs
FAILED_SECONDS = 0.5  # a dial to a number that does not exist fails this fast
RECORDING_BASE = "http://sim.invalid"  # where recordings live when no server serves them

# reject's cause -> (hangup_cause, sip_hangup_cause)
_REJECT = {
    "USER_BUSY": ("user_busy", "486"), "CALL_REJECTED": ("call_rejected", "603"),
    "NOT_FOUND": ("not_found", "404"), "TEMPORARILY_UNAVAILABLE": ("unspecified", "480"),
}  # fmt: skip


@dataclass(eq=False)
class Call:
    """One leg: an inbound call, or an outbound leg made by `POST /calls`."""

    id: str  # call_control_id
    leg_id: str
    session_id: str
    direction: Direction
    from_: str
    to: str
    connection_id: str
    created_at: float
    party: Party  # the person on this leg, with their script
    media: CallMedia = field(default_factory=CallMedia)
    client_state: str | None = None
    status: CallStatus = "ringing"
    answered_at: float | None = None
    ended_at: float | None = None
    hangup_cause: str | None = None
    hangup_source: str | None = None
    sip_hangup_cause: str | None = None
    bridged_with: str | None = None
    # This (answered) leg was bridged to a leg still ringing: they connect when it answers.
    bridge_waiting: str | None = None
    park_after_unbridge: bool = False  # stay up (parked) when the bridge ends
    parent: str | None = None  # link_to: the call this leg was dialled for
    outcome: DialOutcome | None = None  # outbound legs: how the number answers
    dial: dict[str, Any] = field(default_factory=dict)  # the dial body (outbound legs)
    dial_plan: dict[str, DialOutcome] = field(default_factory=dict)  # how its dials answer
    queue: str | None = None  # the queue it waits in
    conference: str | None = None  # the conference it is in
    timers: dict[str, Timer] = field(default_factory=dict)
    command_ids: set[str] = field(default_factory=set)
    last_activity: float = 0.0

    @property
    def alive(self) -> bool:
        return self.status != "hangup"

    @property
    def answered(self) -> bool:
        return self.status in ("answered", "bridged")

    def common(self) -> dict[str, Any]:
        """The common payload fields of its webhooks (§7)."""
        return {
            "call_control_id": self.id, "call_leg_id": self.leg_id,
            "call_session_id": self.session_id, "client_state": self.client_state,
            "connection_id": self.connection_id, "from": self.from_, "to": self.to,
        }  # fmt: skip

    def set_timer(self, name: str, timer: Timer) -> None:
        """Keep one timer per name: setting it again replaces (cancels) the old one."""
        self.cancel_timer(name)
        self.timers[name] = timer

    def cancel_timer(self, name: str) -> None:
        old = self.timers.pop(name, None)
        if old is not None:
            old.cancel()


class Simulator:
    """An in-process Call Control simulator with a virtual clock and scripted people.

    `clock_start` is the clock's first value in seconds; webhook times (`occurred_at`) read it
    as Unix time, log times (`t`) count from it. `seed` makes the ids reproducible (None: random).
    `recording_base_url` is where recording URLs point (the standalone server's own address).
    """

    def __init__(self, connection_id: str = "sim-connection", clock_start: float = 0.0, *,
                 seed: int | None = 0, recording_base_url: str = RECORDING_BASE,
                 idle_seconds: float = IDLE_SECONDS) -> None:  # fmt: skip
        self.connection_id = connection_id
        self.clock = Clock(clock_start)
        self.recording_base_url = recording_base_url.rstrip("/")
        self.idle_seconds = idle_seconds
        self.calls: dict[str, Call] = {}
        self.log: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []  # every log entry, kept (the server reads it)
        self._outbox: list[dict[str, Any]] = []
        self._rng = random.Random(seed)
        self._dials: dict[str, dict[str, Any]] = {}  # dial command_id -> its reply
        # How numbers answer when dialled without link_to (an inbound call's dials use the
        # plan given with that call).
        self.dial_plan: dict[str, DialOutcome] = {}
        self.media = Media(self)
        self.callers = Callers(self)
        self.rooms = Rooms(self)
        self.services = Services(self)
        self.assistants = Assistants(self)
        self.payments = Payments(self)
        self.components: list[Component] = [
            self.media, self.rooms, self.services, self.assistants, self.payments]
        self._actions: dict[str, CallHandler] = {
            "answer": self._answer, "hangup": self._hangup, "reject": self._reject,
            "bridge": self._bridge, "client_state_update": self._client_state_update,
            "transfer": self._transfer,
        }  # fmt: skip
        self._endpoints: dict[schema.Route, Handler] = {
            ("POST", "/calls"): self._dial,
            ("GET", "/calls/{call_control_id}"): self._retrieve_status,
        }
        for component in self.components:
            self._actions.update(component.actions())
            self._endpoints.update(component.endpoints())

    # --- the public surface ------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.clock.now

    def start_inbound_call(self, from_: str = "+15550001111", to: str = "+15550002222", *,
                           caller: CallerScript | Iterable[str | InputItem] | None = None,
                           dial: Mapping[str, DialOutcome | str] | None = None,
                           connection_id: str | None = None) -> str:  # fmt: skip
        """A call arrives: `call.initiated` (incoming, parked) is emitted now; the call rings
        until it is answered or rejected. `caller` is what the caller does; `dial` how the
        numbers this call dials answer. Returns its call_control_id."""
        script = caller if isinstance(caller, CallerScript) else CallerScript(caller or ())
        call = self._new_call("incoming", from_, to, connection_id or self.connection_id,
                              script, session_id=None)  # fmt: skip
        call.dial_plan = _dial_plan(dial)
        self.emit("call.initiated", call, {
            "direction": "incoming", "state": "parked", "start_time": self.clock.iso(),
            "caller_id_name": from_,
        })  # fmt: skip
        self._settle()
        return call.id

    def command(self, method: str, path: str, body: Mapping[str, Any] | None = None
                ) -> tuple[int, dict[str, Any]]:  # fmt: skip
        """Run one Call Control request; return (HTTP status, JSON reply) as Telnyx would.

        `path` is relative to `/v2` (a `/v2` prefix is fine); for GET, `body` is the query
        (nested: `{"filter": {"name": "room"}}`)."""
        try:
            route, params = schema.resolve(method, path)
            checked = schema.validate(route, body)
            if route[1].startswith("/calls/{") and "/actions/" in route[1]:
                reply = self._call_action(route, params, checked)
            else:
                handler = self._endpoints.get(route)
                if handler is None:
                    raise _not_modelled(f"{route[0]} {route[1]}")
                reply = handler(params, checked)
        except SimError as exc:
            return exc.status, exc.reply()
        self._settle()
        return reply

    def next_time(self) -> float | None:
        """When the next webhook or event is due (now, if webhooks are waiting), or None."""
        if self._outbox:
            return self.now
        return self.clock.next_time()

    def advance(self, until: float) -> list[dict[str, Any]]:
        """Move the clock to `until`, running everything due by then; return the webhook
        envelopes produced, in order. Advance to `next_time()` and react before going on."""
        until = max(until, self.now)
        while self.clock.run_next(until):
            self._settle()
        self.clock.move_to(until)
        out, self._outbox = self._outbox, []
        return out

    def call(self, call_control_id: str) -> dict[str, Any]:
        """What is known about one leg: status, hang-up cause, legs, queue, recordings..."""
        call = self.calls.get(call_control_id)
        if call is None:
            raise KeyError(f"no call {call_control_id!r} in the simulator")
        legs = [c.id for c in self.calls.values() if c.parent == call.id]
        return {
            "call_control_id": call.id, "call_leg_id": call.leg_id,
            "call_session_id": call.session_id, "direction": call.direction,
            "from": call.from_, "to": call.to, "status": call.status,
            "client_state": call.client_state, "started_at": call.created_at,
            "answered_at": call.answered_at, "ended_at": call.ended_at,
            "hangup_cause": call.hangup_cause, "hangup_source": call.hangup_source,
            "sip_hangup_cause": call.sip_hangup_cause, "bridged_with": call.bridged_with,
            "parent": call.parent, "legs": legs, "queue": call.queue,
            "conference": call.conference,
            "recordings": [r.describe() for r in call.media.recordings],
            "outcome": call.outcome.describe() if call.outcome else None,
            "inputs_left": [str(i) for i in call.party.script.remaining],
        }  # fmt: skip

    def events_of(self, call_control_id: str) -> list[dict[str, Any]]:
        """Every log entry of one call so far (the log itself is drained by its reader)."""
        return [e for e in self.history if e.get("call") == call_control_id]

    # --- for the components ------------------------------------------------------------------

    def new_id(self) -> str:
        """A UUID from the simulator's own random source (reproducible with a seed)."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def emit(self, event_type: str, call: Call | None, payload: Mapping[str, Any] | None = None,
             *, common: Mapping[str, Any] | None = None) -> None:  # fmt: skip
        """Queue a webhook about `call` (its common fields come from the call unless given)."""
        fields = common if common is not None else (call.common() if call else {})
        body = webhooks.envelope(event_type, self.new_id(), self.clock.iso(), fields, payload or {})
        self._outbox.append(body)
        if call is not None:
            call.last_activity = self.now

    def note(self, call: Call, kind: str, **data: Any) -> None:
        """Add a trace entry (`hear`, `input`, `dial`, ...) for `call`."""
        entry = {"t": round(self.now - self.clock.start, 6), "call": call.id, "kind": kind, **data}
        self.log.append(entry)
        self.history.append(entry)

    def at(self, call: Call, seconds: float, action: Callable[[], None], name: str) -> Timer:
        """Run `action` in `seconds` if `call` is still up then; kept as the call's `name`
        timer, so setting it again replaces it and the call's end cancels it."""

        def run() -> None:
            call.timers.pop(name, None)
            if call.alive:
                action()

        timer = self.clock.after(seconds, run, name)
        call.set_timer(name, timer)
        return timer

    def live_call(self, call_control_id: str, field: str | None = None) -> Call:
        """A call that is up; 404 for an unknown id (422 when it names a body field), 422
        (90018) when it has ended."""
        call = self.calls.get(call_control_id)
        if call is None:
            if field:
                raise invalid(f"{field!r}: no call {call_control_id!r} in the simulator", field)
            raise not_found("call", call_control_id)
        if not call.alive:
            raise call_ended(call_control_id)
        return call

    def end_call(self, call: Call, cause: str, source: str, sip: str = "unspecified") -> None:
        """Hang `call` up: what it was doing ends, `call.hangup`, then the bridge partner is
        parked or hung up (by the partner's park_after_unbridge)."""
        if not call.alive:
            return
        for component in self.components:
            component.call_ending(call)
        partner = self.calls.get(call.bridged_with or "")
        call.bridged_with = None
        call.bridge_waiting = None
        for other in self.calls.values():
            if other.bridge_waiting == call.id:
                other.bridge_waiting = None
        call.status = "hangup"
        call.ended_at = self.now
        call.hangup_cause, call.hangup_source, call.sip_hangup_cause = cause, source, sip
        for name in list(call.timers):
            call.cancel_timer(name)
        self.callers.cancel_turn(call)
        self.emit("call.hangup", call, {
            "hangup_cause": cause, "hangup_source": source, "sip_hangup_cause": sip,
            "start_time": self.clock.iso(call.created_at), "state": "hangup",
        })  # fmt: skip
        for component in self.components:
            component.call_ended(call)
        if partner is not None and partner.alive:
            partner.bridged_with = None
            if partner.park_after_unbridge:
                partner.status = "answered"
            else:
                # The other side of the bridge ended it: for an outbound leg that is its caller.
                self.end_call(partner, "normal_clearing", _far_end(partner))

    def connect(self, a: Call, b: Call) -> None:
        """Bridge two answered legs: each leaves its queue, `call.bridged` on both."""
        for leg in (a, b):
            if leg.queue is not None:
                self.rooms.leave_queue(leg, "bridged")
        a.bridged_with, b.bridged_with = b.id, a.id
        a.status = b.status = "bridged"
        a.bridge_waiting = None
        self.emit("call.bridged", a)
        self.emit("call.bridged", b)

    def answer_leg(self, leg: Call) -> None:
        """An outbound leg is answered by the far end."""
        leg.status = "answered"
        leg.answered_at = self.now
        self.emit("call.answered", leg, {"state": "answered",
                                         "start_time": self.clock.iso(leg.created_at)})  # fmt: skip
        dial = leg.dial
        limit = dial.get("time_limit_secs", MAX_TIME_LIMIT)
        self.at(leg, limit, lambda: self.end_call(leg, "time_limit", "unknown"), "time-limit")
        outcome = leg.outcome or DialOutcome()
        if not math.isinf(outcome.stays_for):
            self.at(leg, outcome.stays_for,
                    lambda: self.end_call(leg, "normal_clearing", "callee"), "callee-leaves")  # fmt: skip
        for component in self.components:
            component.call_answered(leg)
        if dial.get("audio_url") or dial.get("media_name"):
            source = {k: dial[k] for k in ("audio_url", "media_name") if k in dial}
            self.media.play(leg, source)
        waiting = next((c for c in self.calls.values() if c.bridge_waiting == leg.id), None)
        parent = self.calls.get(leg.parent or "")
        if waiting is not None and waiting.alive:
            self.connect(waiting, leg)
        elif (dial.get("bridge_on_answer") and parent is not None and parent.answered
              and parent.bridged_with is None):  # fmt: skip
            self.connect(parent, leg)

    # --- internals ---------------------------------------------------------------------------

    def _new_call(self, direction: Direction, from_: str, to: str, connection_id: str,
                  script: CallerScript, *, session_id: str | None) -> Call:  # fmt: skip
        token = base64.urlsafe_b64encode(self._rng.getrandbits(192).to_bytes(24, "big"))
        call = Call(
            id="v3:" + token.decode().rstrip("="), leg_id=self.new_id(),
            session_id=session_id or self.new_id(), direction=direction, from_=from_, to=to,
            connection_id=connection_id, created_at=self.now, party=Party(script),
            last_activity=self.now,
        )  # fmt: skip
        self.calls[call.id] = call
        self._watch_idle(call)
        return call

    def _watch_idle(self, call: Call, seconds: float | None = None) -> None:
        """Hang up a call where nothing has happened (no command, no webhook) for
        `idle_seconds`: a caller on hold music with nobody coming must not hold a run for ever."""

        def check() -> None:
            due = call.last_activity + self.idle_seconds
            if self.now < due - 1e-9:
                self._watch_idle(call, due - self.now)
                return
            self.note(call, "sim", message=f"nothing happened for {self.idle_seconds:g} s: "
                      "the simulator hangs up")  # fmt: skip
            self.end_call(call, "normal_clearing", "unknown")

        self.at(call, self.idle_seconds if seconds is None else seconds, check, "idle")

    def _settle(self) -> None:
        """After anything happened: let the people on the line take their turns."""
        self.callers.settle()

    def _call_action(self, route: schema.Route, params: dict[str, str],
                     body: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # fmt: skip
        call_id = next(iter(params.values()))
        action = route[1].rsplit("/", 1)[1]
        call = self.calls.get(call_id)
        if call is None:
            raise not_found("call", call_id)
        command_id = body.get("command_id")
        if command_id is not None and command_id in call.command_ids:
            return 200, {"data": {"result": "ok"}}  # Telnyx ignores a repeated command
        if not call.alive:
            raise call_ended(call_id)
        handler = self._actions.get(action)
        if handler is None:
            raise _not_modelled(action)
        if "client_state" in body:
            _check_base64(body["client_state"], "client_state")
        previous = call.client_state
        if "client_state" in body:  # later webhooks of this leg carry it
            call.client_state = body["client_state"]
        try:
            data = handler(call, body)
        except SimError:
            call.client_state = previous
            raise
        if command_id is not None:
            call.command_ids.add(command_id)
        call.last_activity = self.now
        return 200, {"data": data if data is not None else {"result": "ok"}}

    # --- call commands -----------------------------------------------------------------------

    def _answer(self, call: Call, body: dict[str, Any]) -> dict[str, Any] | None:
        if call.direction == "outgoing":
            raise wrong_state(f"{call.id} is an outbound leg: the far end answers it")
        if call.status != "ringing":
            raise wrong_state(f"{call.id} has already been answered")
        call.status = "answered"
        call.answered_at = self.now
        self.emit("call.answered", call, {"state": "answered",
                                          "start_time": self.clock.iso(call.created_at)})  # fmt: skip
        for component in self.components:
            component.call_answered(call)
        reply: dict[str, Any] = {"result": "ok"}
        if body.get("record") == "record-from-answer":
            reply["recording_id"] = self.media.record_from_answer(call, body).id
        if body.get("transcription"):
            self.media.start_transcription(call, body.get("transcription_config") or {})
        if body.get("stream_url"):
            self.services.start_stream(call, body)
        return reply

    def _hangup(self, call: Call, body: dict[str, Any]) -> None:
        if call.answered:
            cause = "normal_clearing"
        else:
            cause = "originator_cancel" if call.direction == "outgoing" else "normal_clearing"
        # The application hangs up: of an inbound call it is the callee, of an outbound leg the
        # caller.
        self.end_call(call, cause, "callee" if call.direction == "incoming" else "caller")

    def _reject(self, call: Call, body: dict[str, Any]) -> None:
        if call.direction == "outgoing" or call.status != "ringing":
            raise wrong_state(f"{call.id}: only a ringing inbound call can be rejected; "
                              "hang up an answered one")  # fmt: skip
        cause, sip = _REJECT[body["cause"]]
        self.end_call(call, cause, "callee", sip)

    def _client_state_update(self, call: Call, body: dict[str, Any]) -> None:
        return None  # the router has stored the new client_state

    def _bridge(self, call: Call, body: dict[str, Any]) -> None:
        # The SDK requires call_control_id even with `queue`; the queue's head is then taken.
        if "queue" in body:
            other = self.rooms.head_of_queue(str(body["queue"]))
        else:
            other = self.live_call(str(body["call_control_id"]), "call_control_id")
        if other is call:
            raise invalid("a call cannot be bridged with itself", "call_control_id")
        if not call.answered:
            raise wrong_state(f"{call.id} must be answered before it is bridged")
        if body.get("prevent_double_bridge") and other.bridged_with is not None:
            raise wrong_state(f"{other.id} is already bridged (prevent_double_bridge)")
        call.park_after_unbridge = body.get("park_after_unbridge") == "self" or bool(
            body.get("hold_after_unbridge"))  # fmt: skip
        for leg in (call, other):
            self.unbridge(leg)
        if other.status == "ringing":
            if other.direction == "incoming":
                raise wrong_state(f"{other.id} is ringing: answer it before bridging it")
            call.bridge_waiting = other.id  # connects on answer; the caller hears ringback
            if body.get("play_ringtone"):
                self.note(call, "hear", play=f"ringtone:{body.get('ringtone', 'us')}")
            return
        self.connect(call, other)
        return

    def unbridge(self, leg: Call) -> None:
        """Take `leg` out of its bridge (it stays up); its partner is parked or hung up by the
        partner's own park_after_unbridge, as when a bridged leg hangs up."""
        partner = self.calls.get(leg.bridged_with or "")
        if partner is None:
            return
        leg.bridged_with = partner.bridged_with = None
        leg.status = "answered"
        if partner.park_after_unbridge:
            partner.status = "answered"
        else:
            self.end_call(partner, "normal_clearing", _far_end(partner))

    def _transfer(self, call: Call, body: dict[str, Any]) -> None:
        if not call.answered:
            raise wrong_state(f"{call.id} must be answered before it is transferred")
        dial = {k: v for k, v in body.items() if k not in (
            "client_state", "command_id", "target_leg_client_state", "early_media", "mute_dtmf",
        )}  # fmt: skip
        dial.update(connection_id=call.connection_id, link_to=call.id, bridge_on_answer=True)
        dial.setdefault("from", call.to)
        if "target_leg_client_state" in body:
            dial["client_state"] = body["target_leg_client_state"]
        self._place(call, dial)

    # --- endpoints ---------------------------------------------------------------------------

    def _dial(self, params: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        command_id = body.get("command_id")
        if command_id is not None and command_id in self._dials:
            return 200, {"data": dict(self._dials[command_id])}
        parent = None
        if "link_to" in body:
            parent = self.live_call(str(body["link_to"]), "link_to")
        for needs_link in ("bridge_on_answer", "bridge_intent", "park_after_unbridge"):
            if body.get(needs_link) and parent is None:
                raise invalid(f"{needs_link!r} needs link_to (the call to bridge with)", needs_link)
        if "client_state" in body:
            _check_base64(body["client_state"], "client_state")
        timeout = body.get("timeout_secs", DEFAULT_TIMEOUT_SECS)
        if not 5 <= timeout <= 600:
            raise invalid(f"'timeout_secs' is {timeout}; it must be 5-600", "timeout_secs")
        limit = body.get("time_limit_secs", MAX_TIME_LIMIT)
        if not 30 <= limit <= MAX_TIME_LIMIT:
            raise invalid(f"'time_limit_secs' is {limit}; it must be 30-{MAX_TIME_LIMIT}",
                          "time_limit_secs")  # fmt: skip
        leg = self._place(parent, body)
        data = {
            "call_control_id": leg.id, "call_leg_id": leg.leg_id,
            "call_session_id": leg.session_id, "is_alive": False, "record_type": "call",
        }  # fmt: skip
        if leg.client_state is not None:
            data["client_state"] = leg.client_state
        if body.get("record") == "record-from-answer":
            leg.dial["recording_id"] = data["recording_id"] = self.new_id()
        if command_id is not None:
            self._dials[command_id] = data
        return 200, {"data": data}

    def _place(self, parent: Call | None, body: dict[str, Any]) -> Call:
        """Create an outbound leg and schedule its fate from the dial plan."""
        to = body["to"]
        if isinstance(to, list):
            raise _not_modelled("dialling several `to` at once; dial each number on its own")
        plan = parent.dial_plan if parent else self.dial_plan
        outcome = outcome_for(plan, to)
        leg = self._new_call("outgoing", body.get("from", parent.to if parent else ""), to,
                             body.get("connection_id", self.connection_id),
                             CallerScript(outcome.inputs),
                             session_id=parent.session_id if parent else None)  # fmt: skip
        leg.parent = parent.id if parent else None
        leg.outcome = outcome
        leg.dial = dict(body)
        leg.client_state = body.get("client_state")
        leg.park_after_unbridge = body.get("park_after_unbridge") == "self"
        leg.dial_plan = plan  # its own dials follow the same plan
        self.note(parent or leg, "dial", to=to, outcome=outcome.describe(), leg=leg.id)
        bridging = bool(body.get("bridge_on_answer") or body.get("bridge_intent"))
        self.emit("call.initiated", leg, {
            "direction": "outgoing", "state": "bridging" if bridging else "parked",
            "start_time": self.clock.iso(),
        })  # fmt: skip
        timeout = float(body.get("timeout_secs", DEFAULT_TIMEOUT_SECS))
        ring = outcome.ring_secs
        if outcome.kind == "failed":
            self.at(leg, FAILED_SECONDS, lambda: self.end_call(leg, "not_found", "callee", "404"),
                    "ring")  # fmt: skip
        elif outcome.kind == "no-answer" or ring >= timeout:
            cause = "timeout" if body.get("retry_on_timeout", True) else "no_answer"
            self.at(leg, timeout, lambda: self.end_call(leg, cause, "caller", "487"), "ring")
        elif outcome.kind == "busy":
            self.at(leg, ring, lambda: self.end_call(leg, "user_busy", "callee", "486"), "ring")
        else:
            self.at(leg, ring, lambda: self.answer_leg(leg), "ring")
        return leg

    def _retrieve_status(self, params: dict[str, str], body: dict[str, Any]
                         ) -> tuple[int, dict[str, Any]]:  # fmt: skip
        call = self.calls.get(params["call_control_id"])
        if call is None:
            raise not_found("call", params["call_control_id"])
        data: dict[str, Any] = {
            "call_control_id": call.id, "call_leg_id": call.leg_id,
            "call_session_id": call.session_id, "is_alive": call.alive, "record_type": "call",
            "start_time": self.clock.iso(call.created_at),
            "call_duration": int((call.ended_at or self.now) - call.created_at),
        }  # fmt: skip
        if call.client_state is not None:
            data["client_state"] = call.client_state
        if call.ended_at is not None:
            data["end_time"] = self.clock.iso(call.ended_at)
        return 200, {"data": data}


def _dial_plan(dial: Mapping[str, DialOutcome | str] | None) -> dict[str, DialOutcome]:
    return {number: parse_dial_outcome(o) for number, o in (dial or {}).items()}


def _far_end(call: Call) -> str:
    """Who ended a call from this leg's point of view when the other side of its bridge left."""
    return "caller" if call.direction == "outgoing" else "callee"


def _check_base64(value: Any, field: str) -> None:
    try:
        base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"{field!r} must be Base64 text", field) from None


def _not_modelled(what: str) -> SimError:
    return SimError(422, "90099", "Not modelled by the simulator",
                    f"{what}: the Call Control simulator does not model this; see texml.sim")  # fmt: skip


__all__ = ["Call", "Component", "Simulator", "parse_input_item"]
