"""`CallSession`: one call, run by the TeXML interpreter, without any I/O.

The session holds the current document, the program counter, the running step (a compiled
verb, see `compiler.step`) and what is known about the call. Its methods take an input and the
current time and return `Effect`s (`texml.runtime.effects`) for a driver to perform: the
in-process dry-run driver of `texml run`, or the server of `texml serve`. Because both drive
this one class, a dry run does what a live call does.

Decisions where the platform documents nothing (written in the README too):
- An inbound call's first document is fetched while the call rings; the call is answered just
  before the first verb that needs it, so a first-verb `<Reject>` never answers (as in TwiML).
- End of the document: hang up; status `completed`.
- A fetch that fails (no reply, non-2xx, wrong content type, too large, invalid TeXML) requests
  the fallback URL with `ErrorCode` and `ErrorUrl`; if that fails too, or there is none, the
  caller hears "An application error has occurred." and the call is hung up.
- More than `MAX_IDLE_FETCHES` documents in a row without a verb that plays, gathers or
  connects is a redirect loop: the application-error path.
- An outbound call (the REST API, `start_outbound`) runs its first document when the far end
  answers; with machine detection, once the detection has a verdict (`AnsweredBy`).
- Webhooks can come out of order. A speech's or playback's `ended` that comes before its
  `started` is held until that `started` comes (one that happened earlier), and given to the
  verb after it; an `ended` no `started` claims (audio stopped before it played) is dropped,
  which is what the verbs did with it anyway.
- A live redirect (`on_redirect`, `on_inline`) abandons the running verb: its timers are
  cancelled and what it plays, gathers or records is stopped (a `<Dial>`'s legs are hung up);
  the new document runs at once.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from compiler import (
    Action, CallContext, Callback, Command, CommandFailed, CommandResult, DocumentDone, Done,
    HttpCall, HttpResult, RunDocument, Send, SetTimer, Step, StopDocument, TimerFired, Watch,
    Webhook, compile_verb,
)  # fmt: skip
from compiler import CancelTimer as StepCancelTimer
from compiler import Effect as StepEffect
from compiler.legs import AMD_EVENTS, answered_by
from texml.parser import DEFAULT_MAX_BYTES, parse
from texml.runtime.effects import (
    CallOver, CancelTimer, Effect, FetchDocument, MakeHttpRequest, Method, PostCallback,
    SendCommand, StartTimer, Trace,
)  # fmt: skip
from texml.runtime.errors import FetchError, check_reply
from texml.runtime.watches import watch_params
from verbs import Hangup, Say, Verb

API_VERSION = "2010-04-01"
MAX_IDLE_FETCHES = 50  # documents in a row with no verb that plays, gathers or connects
APPLICATION_ERROR = "An application error has occurred."
# Verbs after which a new document does not count towards the redirect-loop limit.
_MEDIA_VERBS = frozenset({
    "Say", "Play", "Gather", "AIGather", "Record", "Dial", "Enqueue", "Connect", "Pay", "Pause",
})  # fmt: skip
MAX_NESTED_ROUNDS = 500  # fetches of one wait/whisper document (hold music replays)
_SEEN_EVENTS = 512  # webhook ids remembered to drop duplicates
# Verbs that run on a ringing call without answering it: <Reject> (so a rejected call is never
# answered or billed), <Pause> (which delays the answer, as in TwiML), and the ones that only
# talk to the application.
_BEFORE_ANSWER = frozenset({"Reject", "Pause", "Redirect", "HttpRequest"})
_MEDIA_STARTED = {"call.speak.started": "speak", "call.playback.started": "playback"}
_MEDIA_ENDED = {"call.speak.ended": "speak", "call.playback.ended": "playback"}
_HELD = 16  # early `ended` webhooks kept waiting for their `started`
AMD_TIMER = "amd"  # session timer: machine detection gave no verdict in time
AMD_GRACE_SECONDS = 5.0  # beyond the detection's own time limit


@dataclass(frozen=True)
class AppConfig:
    """The TeXML application's settings (Telnyx keeps them on the TeXML application)."""

    account_sid: str
    voice_url: str
    voice_method: Method = "POST"
    fallback_url: str | None = None
    status_callback: str | None = None
    status_callback_method: Method = "POST"
    status_callback_events: frozenset[str] = frozenset({"initiated", "ringing", "answered", "completed"})
    max_document_bytes: int = DEFAULT_MAX_BYTES
    fallback_method: Method = "POST"  # (the REST API's FallbackMethod; a Telnyx app has none)


@dataclass
class _Nested:
    """A document run beside the main one, on `target` (a leg, or the call itself)."""

    name: str
    target: str
    url: str
    method: Method
    repeat: bool
    params: dict[str, str]
    verbs: tuple[Verb, ...] = ()
    pc: int = 0
    step: Step | None = None
    step_token: int = 0
    fetch_token: int = 0
    rounds: int = 0
    document_url: str | None = None


@dataclass
class _Fetch:
    """A document request in flight."""

    url: str
    method: Method
    params: dict[str, str]
    purpose: str  # "document" | "fallback" | "final" (after the call ended: result not run)


@dataclass
class CallSession:
    """One call. Create it when the call starts, then feed it every input in order."""

    config: AppConfig
    call_control_id: str
    connection_id: str
    from_: str
    to: str
    client_state: str
    direction: str = "inbound"
    # () -> str: fresh ids for commands. By default `next_id`: the call id and a counter kept in
    # the session, so that an input handled again from the same stored state (after a crash, or
    # a webhook delivered twice) sends the same command ids, which Call Control ignores.
    new_id: Any = None
    ids_issued: int = 0

    # What the call is doing.
    answered: bool = False
    answering: bool = False
    hung_up: bool = False
    ending: bool = False  # a verb ended the call (or the document ran out): waiting for call.hangup
    caller_gone: bool = False  # a step saw the caller hang up before call.hangup arrived
    over: bool = False
    started_at: float = 0.0
    answered_at: float | None = None
    ended_at: float | None = None
    end_status: str | None = None
    error: bool = False  # went through the application-error path
    error_code: str | None = None  # why (Twilio's codes, see texml.runtime.errors)
    hangup_cause: str | None = None
    hangup_source: str | None = None

    # An outbound call (REST API): placed by `start_outbound`, first document on answer.
    dial_token: int = 0  # the token of the dial command while its reply is awaited
    document_on_answer: bool = False  # the first document runs when the far end answers
    inline_texml: str | None = None  # that first document, given inline (REST `Texml`)
    amd_wait: str | None = None  # machine detection to wait for first: "detect" | "greeting_end"
    answered_by: str | None = None  # its verdict (`AnsweredBy`)
    amd_async: str | None = None  # detection running beside the document (REST AsyncAmd)
    amd_callback: tuple[str, Method] | None = None  # where its verdict goes (url, method)

    # The document and the verb running in it.
    verbs: tuple[Verb, ...] = ()
    document_url: str | None = None
    pc: int = 0
    step: Step | None = None
    step_token: int = 0
    pending: _Fetch | None = None
    fetch_token: int = 0
    idle_fetches: int = 0
    fallback_tried: bool = False
    final_status: str | None = None  # from the verb that ended the call (Reject: busy...)

    # Documents run beside the main one (whisper on a leg, wait music), by name.
    nested: dict[str, _Nested] = field(default_factory=dict)

    # Callbacks and bookkeeping.
    last_token: int = 0  # tokens tie replies and timers to the step that asked for them
    sequence: int = 0  # SequenceNumber of the next status callback
    watches: list[Watch] = field(default_factory=list)
    timers: set[str] = field(default_factory=set)  # StartTimer names not yet fired or cancelled
    variables: dict[str, str] = field(default_factory=dict)
    seen_events: list[str] = field(default_factory=list)
    media_open: dict[str, int] = field(default_factory=dict)  # "leg media": started, not ended
    held: list[dict[str, Any]] = field(default_factory=list)  # `ended` before its `started`

    def __post_init__(self) -> None:
        if self.new_id is None:
            self.new_id = self.next_id

    def next_id(self) -> str:
        """A command id: the call's id and a counter stored with the session (deterministic)."""
        self.ids_issued += 1
        return f"{self.call_control_id}-{self.ids_issued}"

    # --- inputs ------------------------------------------------------------------------------

    def start(self, now: float) -> list[Effect]:
        """The call has arrived: tell the application, and fetch its first document."""
        self.started_at = now
        effects = [*self._status("initiated", now), *self._status("ringing", now)]
        effects += self._fetch(self.config.voice_url, self.config.voice_method, {}, "document", now)
        return effects

    def start_outbound(self, now: float, *, dial: Mapping[str, Any] | None = None,
                       texml: str | None = None, amd: str | None = None,
                       amd_timeout: float = 30.0, async_amd: str | None = None,
                       async_amd_callback: tuple[str, Method] | None = None) -> list[Effect]:  # fmt: skip
        """Place an outbound call (the REST API): a `POST /calls` for `to` from `from_`.

        `dial` adds fields to the dial command (timeout, machine detection...). The first
        document (`config.voice_url`, or `texml` given inline) runs when the far end answers; with
        `amd` ("detect" or "greeting_end", the dial's detection), once the detection has a verdict
        or `amd_timeout` seconds have passed. With `async_amd` instead (the same values), the
        document runs at once and the verdict goes, when it comes, to `async_amd_callback`
        (url, method) as `AnsweredBy` (REST `AsyncAmd` with `AsyncAmdStatusCallback`). The reply
        to the dial names the call: from then on `call_control_id` is Call Control's id and
        `client_state` names it."""
        self.started_at = now
        self.direction = "outbound-api"
        self.document_on_answer = True
        self.inline_texml = texml
        self.amd_wait = amd
        self.amd_async = async_amd
        self.amd_callback = async_amd_callback
        body = {"connection_id": self.connection_id, "to": self.to, "from": self.from_,
                **(dial or {}), "client_state": self.client_state, "command_id": self.new_id()}  # fmt: skip
        self.dial_token = self._token()
        effects = self._send(Command("POST", "/calls", body), self.dial_token)
        if amd:
            effects.append(StartTimer(AMD_TIMER, now + amd_timeout + AMD_GRACE_SECONDS))
        return effects

    def on_redirect(self, url: str, method: Method, now: float) -> list[Effect]:
        """The application moves the call to the document at `url` (REST `Url`): the running
        verb is abandoned and the new document is fetched and run."""
        if not self.live:
            return []
        if self.document_on_answer:  # not answered yet: it runs on answer instead
            self.inline_texml = None
            self.config = dataclasses.replace(self.config, voice_url=url, voice_method=method)
            return []
        effects = self._abandon()
        self.fallback_tried = False
        return effects + self._fetch(url, method, {}, "document", now)

    def on_inline(self, texml: str, now: float) -> list[Effect]:
        """The application replaces the running document with `texml` (REST `Texml`)."""
        if not self.live:
            return []
        if self.document_on_answer:
            self.inline_texml = texml
            return []
        return self._abandon() + self._run_inline(texml, now)

    def on_hangup_request(self, now: float) -> list[Effect]:
        """The application ends the call (REST `Status=completed`). The running verb sees the
        hang-up as it would see the caller's."""
        if not self.live or self.dial_token:
            return []
        self.ending = True
        if self.answered:
            self.final_status = self.final_status or "completed"
        return self._send(self._context().command("hangup"), 0)

    @property
    def live(self) -> bool:
        """Whether the call can still be redirected or hung up."""
        return not (self.over or self.hung_up or self.ending or self.caller_gone)

    def on_webhook(self, envelope: Mapping[str, Any], now: float) -> list[Effect]:
        """A Call Control webhook for this call or one of its legs."""
        event = Webhook.from_json(envelope)
        if event.id:
            if event.id in self.seen_events:
                return []  # Telnyx delivers at least once: a duplicate changes nothing
            self.seen_events.append(event.id)
            del self.seen_events[:-_SEEN_EVENTS]
        if event.event_type in _MEDIA_ENDED and self._early(event):
            self.held.append(dict(envelope))
            del self.held[:-_HELD]
            return [Trace("webhook", {"event_type": event.event_type, "leg": event.leg})]
        effects = self._event(event, now)
        if event.event_type in _MEDIA_STARTED:
            for held in self._released_by(event):
                effects += self._event(Webhook.from_json(held), now)
        return effects

    def _event(self, event: Webhook, now: float) -> list[Effect]:
        effects: list[Effect] = [Trace("webhook", {"event_type": event.event_type, "leg": event.leg})]
        effects += self._watched(event)
        ours = event.leg in (None, self.call_control_id)
        if ours and self.amd_async and event.event_type in AMD_EVENTS:
            verdict = answered_by(event.event_type, event.payload.get("result"),
                                  message_end=self.amd_async == "greeting_end")  # fmt: skip
            if verdict is not None:
                self.answered_by, self.amd_async = verdict, None
                if self.amd_callback is not None:
                    url, method = self.amd_callback
                    effects += self._callback(url, method, self._params({
                        "AnsweredBy": verdict,
                        "MachineDetectionDuration": str(int(max(0.0, now - (self.answered_at or now)) * 1000)),
                    }), resolve=False)  # fmt: skip
            return effects
        if ours and self.amd_wait and event.event_type in AMD_EVENTS:
            verdict = answered_by(event.event_type, event.payload.get("result"),
                                  message_end=self.amd_wait == "greeting_end")  # fmt: skip
            if verdict is not None:
                self.answered_by, self.amd_wait = verdict, None
                effects.append(CancelTimer(AMD_TIMER))
                if self.answered and self.document_on_answer:
                    effects += self._first_document(now)
            return effects
        if ours and event.event_type == "call.answered" and not self.answered:
            self.answered, self.answering, self.answered_at = True, False, now
            effects += self._status("answered", now)
            if self.document_on_answer:
                return effects if self.amd_wait else effects + self._first_document(now)
            if self.step is None and self.pending is None and not self.over:
                effects += self._advance(now)
            return effects
        if ours and event.event_type == "call.hangup" and not self.hung_up:
            self.hung_up, self.ended_at = True, now
            self.hangup_cause = event.payload.get("hangup_cause")
            self.hangup_source = event.payload.get("hangup_source")
        if self.step is not None:
            effects += self._step_input(event, now)
        for run in list(self.nested.values()):
            if run.step is not None and event.leg in (None, run.target):
                effects += self._perform(run.step.on_event(event), now, run)
        return effects + self._maybe_over(now)

    def on_timer(self, name: str, now: float) -> list[Effect]:
        if name == AMD_TIMER:
            if not self.amd_wait:
                return []
            self.answered_by, self.amd_wait = "unknown", None
            if self.answered and self.document_on_answer and not self.hung_up:
                return self._first_document(now)
            return []
        if name not in self.timers:
            return []  # cancelled, or fired already (a timer fires again after a crash)
        self.timers.discard(name)
        token, _, step_timer = name.partition(":")
        return self._route(int(token[1:]) if token[1:].isdigit() else -1, TimerFired(step_timer), now)

    def _route(self, token: int, event: Any, now: float) -> list[Effect]:
        """Give `event` to the step that `token` belongs to, if it is still running."""
        if self.step is not None and token == self.step_token:
            return self._step_input(event, now) + self._maybe_over(now)
        for run in list(self.nested.values()):
            if run.step is not None and token == run.step_token:
                return self._perform(run.step.on_event(event), now, run) + self._maybe_over(now)
        return []  # the step that asked for it is gone

    def on_command_reply(self, token: int, command: Any, status: int, data: Any, now: float,
                         detail: str = "", *, final: bool = False) -> list[Effect]:  # fmt: skip
        """The reply to a `SendCommand`. A 408, 429 or 5xx is retried by the driver and changes
        nothing, unless `final`: the driver gave up (status 0: no reply at all), and the
        command has failed."""
        retried = status in (408, 429) or status >= 500 or status == 0
        if token and token == self.dial_token:
            return [] if retried and not final else self._dialled(status, data, detail, now)
        if 200 <= status < 300:
            event: Any = CommandResult(command, data)
        elif retried and not final:
            return []  # the driver retries these; a final answer will come
        else:
            event = CommandFailed(command, status, detail)
        return self._route(token, event, now)

    def on_http_reply(self, token: int, status: int | None, body: bytes,
                      headers: Mapping[str, str], now: float) -> list[Effect]:  # fmt: skip
        return self._route(token, HttpResult(status, body, dict(headers)), now)

    def on_fetched(self, token: int, now: float, *, status: int | None, content_type: str | None,
                   body: bytes, error: str | None = None) -> list[Effect]:  # fmt: skip
        """The reply to a `FetchDocument` (status None: no reply; `error` says why)."""
        pending = self.pending
        if pending is None or token != self.fetch_token:
            for run in list(self.nested.values()):
                if token == run.fetch_token:
                    return self._nested_fetched(run, status, content_type, body, error, now)
            return []
        self.pending = None
        if pending.purpose == "final":
            return self._maybe_over(now)
        try:
            check_reply(status, content_type, body, error, self.config.max_document_bytes)
            doc = parse(body, filename=pending.url, max_bytes=self.config.max_document_bytes)
            effects: list[Effect] = [Trace("diagnostic", _diag(d)) for d in doc.diagnostics]
            if not doc.ok:
                raise FetchError("12100", f"the document is not valid TeXML: {doc.errors[0].message}")
        except FetchError as exc:
            return self._fetch_failed(pending, exc, now)
        self.fallback_tried = False
        self.verbs, self.document_url, self.pc = doc.verbs, pending.url, 0
        if self.hung_up:
            return effects + self._maybe_over(now)
        return effects + self._advance(now)

    # --- media events out of order -----------------------------------------------------------

    def _early(self, event: Webhook) -> bool:
        """Whether a media `ended` came before its `started` (and is held): no `started` of its
        kind is open on its leg. Failures and hang-ups are never held: they have no `started`."""
        key = f"{event.leg} {_MEDIA_ENDED[event.event_type]}"
        if self.media_open.get(key, 0) > 0:
            self.media_open[key] -= 1
            return False
        return event.payload.get("status") in ("completed", "cancelled") and event.occurred_at is not None

    def _released_by(self, started: Webhook) -> list[dict[str, Any]]:
        """The held `ended` of the audio this `started` began (one that happened after it)."""
        key = f"{started.leg} {_MEDIA_STARTED[started.event_type]}"
        self.media_open[key] = self.media_open.get(key, 0) + 1
        began = _when(started.occurred_at)
        for n, envelope in enumerate(self.held):
            ended = Webhook.from_json(envelope)
            if (_MEDIA_ENDED[ended.event_type] == _MEDIA_STARTED[started.event_type]
                    and ended.leg == started.leg and began is not None
                    and (_when(ended.occurred_at) or began) > began):  # fmt: skip
                del self.held[n]
                self.media_open[key] -= 1
                return [envelope]
        return []

    # --- outbound calls and live changes -----------------------------------------------------

    def _dialled(self, status: int, data: Any, detail: str, now: float) -> list[Effect]:
        """The reply to the outbound call's dial: the call's id, or the call failed."""
        self.dial_token = 0
        new_id = data.get("call_control_id") if isinstance(data, Mapping) else None
        if 200 <= status < 300 and isinstance(new_id, str) and new_id:
            old, self.call_control_id = self.call_control_id, new_id
            self.client_state = _renamed_client_state(self.client_state, old, new_id)
            return [Trace("dialled", {"call": new_id}), *self._status("initiated", now),
                    *self._status("ringing", now)]  # fmt: skip
        self.hung_up, self.ended_at, self.final_status = True, now, "failed"
        self.document_on_answer = False
        reason = detail or (f"HTTP {status}" if status else "no reply")
        effects: list[Effect] = [Trace("diagnostic", {
            "severity": "error", "code": "dial-failed", "message": f"the call could not be placed: {reason}",
        })]  # fmt: skip
        return effects + self._maybe_over(now)

    def _first_document(self, now: float) -> list[Effect]:
        """An outbound call was answered: run its first document."""
        self.document_on_answer = False
        if self.inline_texml is not None:
            text, self.inline_texml = self.inline_texml, None
            return self._run_inline(text, now)
        extra = {"AnsweredBy": self.answered_by} if self.answered_by else {}
        return self._fetch(self.config.voice_url, self.config.voice_method, extra, "document", now)

    def _run_inline(self, text: str, now: float) -> list[Effect]:
        """Run a document given as text (REST `Texml`): no fetch, relative URLs resolve against
        the current document's."""
        doc = parse(text, filename="<Texml>", max_bytes=self.config.max_document_bytes)
        effects: list[Effect] = [Trace("diagnostic", _diag(d)) for d in doc.diagnostics]
        if not doc.ok:
            message = doc.errors[0].message if doc.errors else "the document is too large"
            return effects + self._application_error(
                "12100", f"the inline document is not valid TeXML: {message}", now)  # fmt: skip
        self.verbs, self.pc = doc.verbs, 0
        self.idle_fetches = 0
        return effects + self._advance(now)

    def _abandon(self) -> list[Effect]:
        """Leave the running verb at once (a live redirect): a document being fetched is not
        run, the verb's timers are cancelled and what it plays, gathers, records or dials is
        stopped. Late events of the old verb find no step that wants them."""
        effects: list[Effect] = []
        for name in list(self.nested):
            effects += self._stop_nested(name)
        self.pending, self.fetch_token = None, 0
        step, self.step = self.step, None
        if step is None:
            return effects
        prefix = f"t{self.step_token}:"
        self.step_token = 0
        for name in sorted(t for t in self.timers if t.startswith(prefix)):
            self.timers.discard(name)
            effects.append(CancelTimer(name))
        ctx = self._context()
        tag = step.verb.TAG
        commands: list[Command] = []
        if tag in ("Say", "Play", "Gather", "Dial"):  # prompts, ringback
            commands.append(ctx.command("playback_stop", {"stop": "all"}))
        if tag == "Gather":
            commands.append(ctx.command("gather_stop"))
        if tag == "Record":
            commands.append(ctx.command("record_stop"))
        if tag == "Enqueue":
            commands.append(ctx.command("leave_queue"))
        if tag == "Dial":
            for leg in getattr(step, "legs", ()):
                if leg.id and leg.live:
                    commands.append(ctx.command("hangup", leg=leg.id))
        commands += step.abandon()  # a conference left, a stream or an assistant stopped...
        for command in commands:  # token 0: their replies concern no step
            effects += self._send(command, 0, command.leg)
        return effects

    # --- running verbs -----------------------------------------------------------------------

    def _advance(self, now: float) -> list[Effect]:
        """Start verbs until one waits for something (or the document ends)."""
        effects: list[Effect] = []
        while self.step is None and self.pending is None and not (self.hung_up or self.ending or self.over):
            if self.pc >= len(self.verbs):
                effects += self._hang_up("completed")
                break
            verb = self.verbs[self.pc]
            if not self.answered and verb.TAG not in _BEFORE_ANSWER:
                if not self.answering:
                    self.answering = True
                    effects += self._send(self._context().command("answer"), 0)
                break  # the verb starts on call.answered
            if verb.TAG in _MEDIA_VERBS:
                self.idle_fetches = 0
            self.step_token = self._token()
            self.step = compile_verb(verb, self._context())
            effects += self._perform(self.step.start(), now)
        return effects

    def _step_input(self, event: Any, now: float) -> list[Effect]:
        assert self.step is not None
        return self._perform(self.step.on_event(event), now)

    def _perform(self, step_effects: list[StepEffect], now: float,
                 run: _Nested | None = None) -> list[Effect]:  # fmt: skip
        """Turn a step's effects into the driver's, and act on its `Done`."""
        effects: list[Effect] = []
        token = run.step_token if run else self.step_token
        target = run.target if run else self.call_control_id
        done: Done | None = None
        for effect in step_effects:
            if isinstance(effect, Send):
                effects += self._send(effect.command, token, target)
            elif isinstance(effect, SetTimer):
                self.timers.add(f"t{token}:{effect.name}")
                effects.append(StartTimer(f"t{token}:{effect.name}", now + effect.seconds))
            elif isinstance(effect, StepCancelTimer):
                self.timers.discard(f"t{token}:{effect.name}")
                effects.append(CancelTimer(f"t{token}:{effect.name}"))
            elif isinstance(effect, HttpCall):
                effects.append(MakeHttpRequest(
                    self._render(effect.url), effect.method,
                    {k: self._render(v) for k, v in effect.headers.items()},
                    self._render(effect.body) if effect.body is not None else None, token,
                ))  # fmt: skip
            elif isinstance(effect, Callback):
                effects += self._callback(effect.url, effect.method, dict(effect.params))
            elif isinstance(effect, Watch):
                self.watches.append(effect)
            elif isinstance(effect, RunDocument) and run is None:
                effects += self._run_nested(effect, now)
            elif isinstance(effect, StopDocument) and run is None:
                effects += self._stop_nested(effect.name)
            elif isinstance(effect, Done):
                done = effect
        if done is not None:
            if run is not None:
                run.step = None
                effects += self._nested_after(run, done, now)
            else:
                self.step = None
                effects += self._after(done, now)
        return effects

    def _after(self, done: Done, now: float) -> list[Effect]:
        """A verb is over: request its action, or go on with the next verb."""
        self.variables.update(done.params)
        if done.outcome == "hangup":
            self.caller_gone = True  # e.g. call.dequeued (hangup) comes before call.hangup
        if done.end:
            self.ending = True
            if not self.answered:  # a <Reject>, or a failure before the answer
                self.final_status = _END_STATUS.get(done.outcome, self.final_status)
            if done.action is None:
                return []  # call.hangup will follow (or has come)
            # Requested for what it records; what it returns is not run.
            return self._fetch(done.action.url, done.action.method, dict(done.params), "final", now)
        if done.action is not None:
            return self._fetch(done.action.url, done.action.method, dict(done.params), "document", now)
        self.pc += 1
        return self._advance(now)

    # --- documents beside the main one --------------------------------------------------------

    def _run_nested(self, effect: RunDocument, now: float) -> list[Effect]:
        """Run a document on a leg (whisper `url`) or on the call while it waits (`waitUrl`)."""
        effects = self._stop_nested(effect.name) if effect.name in self.nested else []
        run = _Nested(effect.name, effect.leg or self.call_control_id, effect.url, effect.method,
                      effect.repeat, dict(effect.params))  # fmt: skip
        self.nested[effect.name] = run
        return effects + self._nested_fetch(run, effect.url, effect.method, {}, now)

    def _nested_fetch(self, run: _Nested, url: str, method: Method, extra: dict[str, str],
                      now: float) -> list[Effect]:  # fmt: skip
        run.rounds += 1
        if run.rounds > MAX_NESTED_ROUNDS:
            return self._nested_over(run, now, note="played too many times")
        base = run.document_url or self.document_url
        url = urljoin(base, url) if base else url
        params = self._params({**run.params, **extra})
        if run.target != self.call_control_id:
            params["CallSid"] = params["CallSidLegacy"] = run.target
            params["ParentCallSid"] = self.call_control_id
        run.fetch_token = self._token()
        run.document_url = url
        return [
            Trace("fetch", {"url": url, "method": method, "params": params, "document": run.name}),
            FetchDocument(url, method, params, run.fetch_token),
        ]

    def _nested_fetched(self, run: _Nested, status: int | None, content_type: str | None,
                        body: bytes, error: str | None, now: float) -> list[Effect]:  # fmt: skip
        run.fetch_token = 0
        try:
            check_reply(status, content_type, body, error, self.config.max_document_bytes)
            doc = parse(body, filename=run.document_url, max_bytes=self.config.max_document_bytes)
            if not doc.ok:
                raise FetchError("12100", f"the document is not valid TeXML: {doc.errors[0].message}")
        except FetchError as exc:
            trace = Trace("diagnostic", {"severity": "error", "code": exc.code,
                                         "message": f"{run.document_url}: {exc.message}"})  # fmt: skip
            return [trace, *self._nested_over(run, now)]
        run.verbs, run.pc = doc.verbs, 0
        return self._nested_advance(run, now)

    def _nested_advance(self, run: _Nested, now: float) -> list[Effect]:
        effects: list[Effect] = []
        while run.step is None and run.fetch_token == 0 and self.nested.get(run.name) is run:
            if run.pc >= len(run.verbs):
                if run.repeat:  # hold music: fetched and played again until stopped
                    return effects + self._nested_fetch(run, run.url, run.method, {}, now)
                return effects + self._nested_over(run, now)
            run.step_token = self._token()
            ctx = dataclasses.replace(self._context(), call_control_id=run.target,
                                      document_url=run.document_url, answered=True)  # fmt: skip
            run.step = compile_verb(run.verbs[run.pc], ctx)
            effects += self._perform(run.step.start(), now, run)
        return effects

    def _nested_after(self, run: _Nested, done: Done, now: float) -> list[Effect]:
        if self.hung_up or self.caller_gone or (done.end and done.outcome == "hangup"):
            self.nested.pop(run.name, None)  # the call (or leg) is gone: the step sees that itself
            return []
        if done.end:  # <Hangup> in the document: a whisper's callee declined
            return self._nested_over(run, now, hangup=True)
        if run.verbs[run.pc].TAG == "Leave":
            self.nested.pop(run.name, None)  # out of the queue: the wait document is over
            return []
        if done.action is not None:
            return self._nested_fetch(run, done.action.url, done.action.method, dict(done.params), now)
        run.pc += 1
        return self._nested_advance(run, now)

    def _nested_over(self, run: _Nested, now: float, *, hangup: bool = False,
                     note: str | None = None) -> list[Effect]:  # fmt: skip
        """The document has finished: tell the step that asked for it."""
        self.nested.pop(run.name, None)
        effects: list[Effect] = []
        if note:
            effects.append(Trace("diagnostic", {"severity": "warning", "code": "nested-document",
                                                "message": f"{run.url}: {note}"}))  # fmt: skip
        if self.step is not None:
            effects += self._step_input(DocumentDone(run.name, hangup), now)
        return effects

    def _stop_nested(self, name: str) -> list[Effect]:
        """The step no longer needs the document: cut what it is playing."""
        run = self.nested.pop(name, None)
        if run is None or run.step is None:
            return []
        playing = run.step.verb.TAG in ("Say", "Play", "Gather")
        run.step = None
        if not playing or self.hung_up:
            return []
        ctx = dataclasses.replace(self._context(), call_control_id=run.target)
        return self._send(ctx.command("playback_stop", {"stop": "all"}), 0, run.target)

    # --- fetching ----------------------------------------------------------------------------

    def _fetch(self, url: str, method: Method, extra: dict[str, str], purpose: str,
               now: float) -> list[Effect]:  # fmt: skip
        if purpose == "document":
            self.idle_fetches += 1
            if self.idle_fetches > MAX_IDLE_FETCHES:
                return self._application_error(
                    "redirect-loop",
                    f"{MAX_IDLE_FETCHES} documents in a row without a verb that plays, gathers "
                    "or connects: a redirect loop",
                    now,
                )
        params = self._params(extra)
        self.fetch_token = self._token()
        self.pending = _Fetch(url, method, params, purpose)
        return [
            Trace("fetch", {"url": url, "method": method, "params": params}),
            FetchDocument(url, method, params, self.fetch_token),
        ]

    def _fetch_failed(self, failed: _Fetch, exc: FetchError, now: float) -> list[Effect]:
        effects: list[Effect] = [Trace("diagnostic", {
            "severity": "error", "code": exc.code, "message": f"{failed.url}: {exc.message}",
        })]  # fmt: skip
        fallback = self.config.fallback_url
        if fallback and not self.fallback_tried and failed.purpose == "document":
            self.fallback_tried = True
            extra = {k: v for k, v in failed.params.items() if k not in self._params({})}
            extra.update(ErrorCode=exc.code, ErrorUrl=failed.url)
            self.idle_fetches -= 1  # the failed attempt does not count towards a loop
            return effects + self._fetch(fallback, self.config.fallback_method, extra, "document", now)
        return effects + self._application_error(exc.code, exc.message, now, traced=True)

    def _application_error(self, code: str, message: str, now: float,
                           traced: bool = False) -> list[Effect]:  # fmt: skip
        """Tell the caller, then hang up: the document becomes <Say>...</Say><Hangup/>."""
        self.error = True
        self.error_code = self.error_code or code
        self.ending = False
        self.pending = None
        self.verbs = (Say(text=APPLICATION_ERROR), Hangup())
        self.pc = 0
        effects: list[Effect] = [] if traced else [
            Trace("diagnostic", {"severity": "error", "code": code, "message": message})
        ]  # fmt: skip
        if self.hung_up:
            return effects
        return effects + self._advance(now)

    # --- callbacks ---------------------------------------------------------------------------

    def _params(self, extra: Mapping[str, str]) -> dict[str, str]:
        """The parameters every request to the application carries, plus `extra`."""
        params = {
            "AccountSid": self.config.account_sid,
            "CallSid": self.call_control_id,
            "CallSidLegacy": self.call_control_id,
            "ConnectionId": self.connection_id,
            "From": self.from_,
            "To": self.to,
            "CallStatus": self._call_status(),
            "Direction": self.direction,
            "ApiVersion": API_VERSION,
        }
        params.update(extra)
        return params

    def _call_status(self) -> str:
        if self.hung_up or self.caller_gone:
            return self.end_status or "completed"
        return "in-progress" if self.answered else "ringing"

    def _status(self, event: str, now: float) -> list[Effect]:
        """A call-progress status callback, if the application asked for this event."""
        url = self.config.status_callback
        if not url or event not in self.config.status_callback_events:
            return []
        status = {"initiated": "initiated", "ringing": "ringing", "answered": "in-progress"}.get(
            event, self.end_status or "completed"
        )
        params = self._params({
            "CallStatus": status,
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(self._next_sequence()),
            "Timestamp": _iso(now),
            "CallDuration": str(self._duration(now)),
        })  # fmt: skip
        if event == "completed":
            if self.hangup_cause:
                params["HangupCause"] = self.hangup_cause
            if self.hangup_source:
                params["HangupSource"] = self.hangup_source
            if self.error and self.error_code and self.error_code.isdigit():
                params["ErrorCode"] = self.error_code
        return self._callback(url, self.config.status_callback_method, params, resolve=False)

    def _callback(self, url: str, method: Method, params: dict[str, str], *,
                  resolve: bool = True) -> list[Effect]:  # fmt: skip
        target = urljoin(self.document_url, url) if resolve and self.document_url else url
        full = params if "CallSid" in params else self._params(params)
        return [Trace("callback", {"url": target, "params": full}), PostCallback(target, method, full)]

    def _watched(self, event: Webhook) -> list[Effect]:
        effects: list[Effect] = []
        for watch in self.watches:
            if watch.event_type == event.event_type:
                params = {**watch.params, **watch_params(watch.kind, event.event_type, event.payload)}
                effects += self._callback(watch.url, watch.method, params)
        return effects

    # --- the end -----------------------------------------------------------------------------

    def _hang_up(self, status: str) -> list[Effect]:
        self.ending = True
        self.final_status = self.final_status or status
        self.step_token = self._token()
        return self._send(self._context().command("hangup"), self.step_token)

    def _maybe_over(self, now: float) -> list[Effect]:
        """Once the call has hung up and nothing is left to do: the completed callback."""
        if self.over or not self.hung_up or self.pending is not None:
            return []
        if self.step is not None and not self.step.done:
            return []
        self.step = None
        self.over = True
        self.end_status = self.final_status or _status_from_cause(self.hangup_cause, self.answered_at)
        duration = self._duration(now)
        effects = self._status("completed", now)
        effects.append(Trace("end", {"status": self.end_status, "duration": duration}))
        effects.append(CallOver(self.end_status, duration, self.error))
        return effects

    def _duration(self, now: float) -> int:
        if self.answered_at is None:
            return 0
        end = self.ended_at if self.ended_at is not None else now
        return max(0, int(round(end - self.answered_at)))

    # --- helpers -----------------------------------------------------------------------------

    def _context(self) -> CallContext:
        return CallContext(
            call_control_id=self.call_control_id, connection_id=self.connection_id,
            from_=self.from_, to=self.to, client_state=self.client_state, new_id=self.new_id,
            document_url=self.document_url, voice_method=self.config.voice_method,
            answered=self.answered,
        )  # fmt: skip

    def _send(self, command: Any, token: int, target: str | None = None) -> list[Effect]:
        target = target or self.call_control_id
        return [
            Trace("command", {"method": command.method, "path": command.resolved_path(target),
                              "body": dict(command.body)}),
            SendCommand(command, target, token),
        ]  # fmt: skip

    def _token(self) -> int:
        self.last_token += 1
        return self.last_token

    def _next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence - 1

    def _render(self, text: str) -> str:
        """Fill `{{Var}}` placeholders (`<HttpRequest>`) from the call's parameters."""
        from texml.runtime.templating import render

        return render(text, {**self._params({}), **self.variables})


_END_STATUS = {"busy": "busy", "no-answer": "no-answer", "failed": "failed"}


def _when(text: str | None) -> Any:
    """A webhook's `occurred_at` as a datetime (None when missing or unreadable)."""
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def _renamed_client_state(client_state: str, old: str, new: str) -> str:
    """`client_state` (Base64 JSON naming the call as `{"call": old}`) naming `new` instead."""
    try:
        state = json.loads(base64.b64decode(client_state, validate=True))
    except (binascii.Error, ValueError):
        return client_state
    if not isinstance(state, dict) or state.get("call") != old:
        return client_state
    state["call"] = new
    return base64.b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def _status_from_cause(cause: str | None, answered_at: float | None) -> str:
    if answered_at is not None:
        return "completed"
    return {"user_busy": "busy", "timeout": "no-answer", "no_answer": "no-answer",
            "originator_cancel": "canceled", "call_rejected": "no-answer"}.get(cause or "", "canceled")  # fmt: skip


def _iso(seconds: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _diag(d: Any) -> dict[str, Any]:
    return {k: v for k, v in d.to_json().items() if k != "file"} | {"file": d.file}


__all__ = ["APPLICATION_ERROR", "AppConfig", "CallSession", "Action"]
