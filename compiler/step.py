"""What a compiled verb is: a small, pure state machine over Call Control events.

A `Step` is made from one verb and the call's `CallContext`. The runtime calls `start()` once
when the verb begins and `on_event()` for every input that concerns the call while the verb
runs; both return `Effect`s. A step never performs I/O and never reads the clock: commands are
returned as data, time arrives as `TimerFired` inputs, and a step that is finished says so with
one `Done`.

Inputs (events):
- `Webhook`: a Call Control webhook for the call or one of the legs the step created.
- `CommandResult`: the reply to a command the step sent (e.g. the new leg of a `dial`).
- `CommandFailed`: a command the step sent was refused for good (4xx other than 408/429).
- `TimerFired`: a timer the step asked for with `SetTimer`.
- `HttpResult`: the outcome of an `HttpCall` the step asked for (only `<HttpRequest>`).
- `DocumentDone`: a document the step asked the runtime to run (`RunDocument`) has finished.

Effects:
- `Send(Command)`: send a Call Control command.
- `SetTimer(name, seconds)` / `CancelTimer(name)`: timers, in the call's own time.
- `HttpCall`: an outbound HTTP request made by the runtime (only `<HttpRequest>`).
- `Callback`: a status callback to the application (recording, dialed-leg, queue, ...).
- `Watch`: after this step, turn later events of one type into callbacks (e.g. a recording's
  transcription, which arrives after `<Record>` is over).
- `RunDocument`: run another document on a leg (whisper `url`), or on the call while it waits
  (`waitUrl`), then report `DocumentDone`.
- `Done`: the verb is over. Its `params` are the TeXML callback parameters it produced
  (`Digits`, `RecordingUrl`, `DialCallStatus`, ...); `action`, when set, is the document to
  request next (it replaces the rest of the current one); `end` says the call is over.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar
from urllib.parse import urljoin

from verbs.base import Node

CALL = "{call_control_id}"  # placeholder for the call's own id in command paths


# --- context ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallContext:
    """What a step may know about the call when it starts."""

    call_control_id: str
    connection_id: str
    from_: str
    to: str
    client_state: str  # Base64; Telnyx echoes it on every webhook of the call and its legs
    new_id: Callable[[], str]  # fresh command ids (and gather ids); injected to stay pure
    document_url: str | None = None  # where the current document came from
    voice_method: Literal["GET", "POST"] = "POST"  # the application's method
    answered: bool = True  # False while an inbound call is still ringing (for <Reject>)

    def url(self, ref: str | None) -> str | None:
        """A URL from the document, resolved against the current document's URL."""
        if ref is None:
            return None
        return urljoin(self.document_url, ref) if self.document_url else ref

    def command(self, action: str, body: Mapping[str, Any] | None = None, *, leg: str | None = None,
                with_client_state: bool = True, method: str = "POST") -> Command:  # fmt: skip
        """A call command with a fresh `command_id` and the call's `client_state`."""
        full = dict(body or {})
        if with_client_state:
            full["client_state"] = self.client_state
        full["command_id"] = self.new_id()
        return Command(method, f"/calls/{CALL}/actions/{action}", full, leg)


# --- commands and events ---------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A Call Control request: `path` is relative to `/v2`, with `{call_control_id}` literal."""

    method: str
    path: str
    body: Mapping[str, Any]
    # The leg the path addresses when it is not the call itself (a leg made by <Dial>).
    leg: str | None = None

    @property
    def action(self) -> str:
        """The command's name: the path's last segment (`speak`), or the path (`/calls`)."""
        return self.path.rsplit("/actions/", 1)[-1] if "/actions/" in self.path else self.path

    def resolved_path(self, call_control_id: str) -> str:
        return self.path.replace(CALL, self.leg or call_control_id)

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": dict(self.body)}


@dataclass(frozen=True)
class Webhook:
    """A Call Control webhook: `data.event_type` and `data.payload`."""

    event_type: str
    payload: Mapping[str, Any]
    occurred_at: str | None = None
    id: str | None = None

    @property
    def leg(self) -> str | None:
        return self.payload.get("call_control_id")

    @classmethod
    def from_json(cls, envelope: Mapping[str, Any]) -> Webhook:
        data = envelope.get("data", envelope)
        return cls(data["event_type"], data.get("payload") or {}, data.get("occurred_at"), data.get("id"))


@dataclass(frozen=True)
class TimerFired:
    name: str


@dataclass(frozen=True)
class CommandFailed:
    command: Command
    status: int
    detail: str = ""


@dataclass(frozen=True)
class HttpResult:
    """The outcome of an `HttpCall`: status None when no reply came (timeout, refused...)."""

    status: int | None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CommandResult:
    """The `data` of a successful reply to `command` (an object, or a list for list endpoints)."""

    command: Command
    data: Any


@dataclass(frozen=True)
class DocumentDone:
    """A `RunDocument` finished. `hangup`: it ended with <Hangup> (the leg refused)."""

    name: str
    hangup: bool = False
    params: Mapping[str, str] = field(default_factory=dict)


Event = Webhook | CommandResult | CommandFailed | TimerFired | HttpResult | DocumentDone


# --- effects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    command: Command


@dataclass(frozen=True)
class SetTimer:
    name: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    name: str


@dataclass(frozen=True)
class HttpCall:
    url: str
    method: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None


@dataclass(frozen=True)
class Callback:
    """A status callback: `params` are added to the standard call parameters."""

    url: str
    method: Literal["GET", "POST"]
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Watch:
    """From now on, each `event_type` webhook for the call becomes a callback to `url`.

    `kind` names the conversion (see the runtime's table), so a watch can be stored as JSON.
    """

    event_type: str
    kind: str
    url: str
    method: Literal["GET", "POST"]
    params: Mapping[str, str] = field(default_factory=dict)  # added to every such callback


@dataclass(frozen=True)
class RunDocument:
    """Run the document at `url` on `leg` (None: the call) and report `DocumentDone(name)`.

    With `repeat`, the document is fetched and run again each time it ends, until the step
    cancels it with `StopDocument(name)` (hold music while waiting in a queue or conference).
    """

    name: str
    url: str
    method: Literal["GET", "POST"]
    leg: str | None = None
    repeat: bool = False
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StopDocument:
    name: str


@dataclass(frozen=True)
class Action:
    """The next document to request: the verb's `action` (or the current document)."""

    url: str
    method: Literal["GET", "POST"]


@dataclass(frozen=True)
class Done:
    params: Mapping[str, str] = field(default_factory=dict)
    action: Action | None = None
    # The call is over (Hangup, Reject, caller hung up). With an `action` too, the action is
    # still requested (as TwiML does after a hang-up during <Dial> or <Record>), and what it
    # returns is not run.
    end: bool = False
    # Why it ended, for traces and tests: "completed", "no-input", "hangup", "failed", ...
    outcome: str = "completed"


Effect = (
    Send | SetTimer | CancelTimer | HttpCall | Callback | Watch | RunDocument | StopDocument | Done
)


# --- the step --------------------------------------------------------------------------------

V = TypeVar("V", bound=Node)


class Step(abc.ABC, Generic[V]):
    """One verb being run. Subclasses keep their state in plain attributes."""

    # Webhook event types that can end this step (for `texml compile`'s "ends_on").
    ENDS_ON: ClassVar[tuple[str, ...]] = ()

    def __init__(self, verb: V, ctx: CallContext) -> None:
        self.verb = verb
        self.ctx = ctx
        self.done = False
        self.timers: set[str] = set()  # timers set and not yet fired or cancelled

    @abc.abstractmethod
    def start(self) -> list[Effect]:
        """The effects when the verb begins (usually the commands to send)."""

    @property
    def ends_on(self) -> tuple[str, ...]:
        """The webhook event types that can end this step (a step may narrow its class's)."""
        return self.ENDS_ON

    def on_event(self, event: Event) -> list[Effect]:
        """React to an input. The default: the call hanging up ends the step."""
        if _is_call_hangup(event, self.ctx):
            return self.finish(Done(end=True, outcome="hangup"))
        return []

    def abandon(self) -> list[Command]:
        """The commands that stop what this step started, when the call leaves it at once (a
        live redirect). The session stops playback, gathers, recordings, queues and dialled
        legs itself; a step that starts anything else says here how to stop it."""
        return []

    def finish(self, done: Done, *effects: Effect) -> list[Effect]:
        """End the step: `effects`, then a cancel for every timer still pending, then `done`."""
        self.done = True
        cancels = [CancelTimer(name) for name in sorted(self.timers)]
        self.timers.clear()
        return [*effects, *cancels, done]

    # Timer bookkeeping, so a step never leaves a timer behind nor reacts to a stale one.

    def set_timer(self, name: str, seconds: float) -> list[Effect]:
        """(Re)start timer `name`."""
        effects = self.cancel_timer(name)
        self.timers.add(name)
        return [*effects, SetTimer(name, seconds)]

    def cancel_timer(self, name: str) -> list[Effect]:
        if name not in self.timers:
            return []
        self.timers.discard(name)
        return [CancelTimer(name)]

    def timer_fired(self, name: str) -> bool:
        """Whether `name` was pending (and so is this step's, and not cancelled)."""
        if name not in self.timers:
            return False
        self.timers.discard(name)
        return True

    def plan(self) -> list[Command]:
        """The commands `start()` sends, for `texml compile` (no state is kept)."""
        return sends(type(self)(self.verb, self.ctx).start())


def _is_call_hangup(event: Event, ctx: CallContext) -> bool:
    return (
        isinstance(event, Webhook)
        and event.event_type == "call.hangup"
        and event.leg in (None, ctx.call_control_id)
    )


def is_call_hangup(event: Event, ctx: CallContext) -> bool:
    """Whether `event` is the call itself (not a leg) hanging up."""
    return _is_call_hangup(event, ctx)


def sends(effects: Sequence[Effect]) -> list[Command]:
    """The commands among some effects (a test and CLI convenience)."""
    return [e.command for e in effects if isinstance(e, Send)]
