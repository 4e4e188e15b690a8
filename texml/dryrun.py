"""`texml run`: a whole call, in one process, against the Call Control simulator.

The driver joins three things on one virtual clock: the interpreter (`CallSession`, the same
one `texml serve` runs), the simulator (`texml.sim`, standing in for Telnyx and the caller) and
the application (local files, or HTTP servers for `http(s)` URLs and callbacks). Minutes of
call time take milliseconds: nothing waits for the wall clock except real HTTP requests.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import json
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from texml.runtime import (
    AppConfig, CallOver, CallSession, CancelTimer, FetchDocument, MakeHttpRequest, PostCallback,
    SendCommand, StartTimer, Trace,
)  # fmt: skip
from texml.runtime.sources import Reply, fetch_http, file_url, http_client, read_local, with_query
from texml.sim import DialOutcome, Simulator, parse_dial_outcome, parse_input_item

ACCOUNT_SID = "00000000-0000-4000-8000-000000000000"  # a placeholder account for dry runs
MAX_EVENTS = 100_000  # inputs handled in one run: a runaway flow stops here
MAX_CALL_SECONDS = 4 * 3600.0  # virtual time: Telnyx's longest call


@dataclass
class Scenario:
    """What happens on the other end: the caller's inputs and the dialled numbers' outcomes."""

    from_: str = "+15550001111"
    to: str = "+15550002222"
    inputs: list[Any] = field(default_factory=list)
    dial: dict[str, DialOutcome] = field(default_factory=dict)
    status_callback: str | None = None
    fallback_url: str | None = None  # requested when a document cannot be fetched or run
    method: str = "POST"  # how the first document is requested (the application's method)

    @classmethod
    def load(cls, path: Path) -> Scenario:
        """A scenario TOML file: from, to, inputs = [...], [dial] number = outcome or table."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: {exc}") from None
        scenario = cls()
        scenario.from_ = str(data.get("from", scenario.from_))
        scenario.to = str(data.get("to", scenario.to))
        scenario.inputs = [parse_input_item(str(item)) for item in data.get("inputs", [])]
        for number, outcome in (data.get("dial") or {}).items():
            scenario.dial[number] = parse_dial_outcome(outcome)
        scenario.status_callback = data.get("status_callback")
        scenario.fallback_url = data.get("fallback_url")
        scenario.method = str(data.get("method", "POST")).upper()
        return scenario


@dataclass(frozen=True)
class Event:
    """One line of the `jsonl` output."""

    t: float
    kind: str
    data: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "kind": self.kind, **self.data}


@dataclass
class Result:
    status: str
    duration: int
    error: bool
    events: list[Event]


class DryRun:
    """Runs one inbound call from `source` (a file path or an http(s) URL) to its end."""

    def __init__(self, source: str, scenario: Scenario, *,
                 on_event: Callable[[Event], None] | None = None,
                 client: httpx.Client | None = None) -> None:  # fmt: skip
        self.url = source if source.startswith(("http://", "https://", "file:")) else file_url(source)
        self.scenario = scenario
        self.sim = Simulator(connection_id="sim-connection")
        self.client = client
        self.on_event = on_event
        self.events: list[Event] = []
        self.session: CallSession | None = None
        self.timers: list[tuple[float, int, str]] = []  # heap of (at, seq, name)
        self.cancelled: set[str] = set()
        self.order = itertools.count()
        self.over: CallOver | None = None
        ids = itertools.count(1)
        self.new_id = lambda: f"cmd-{next(ids)}"  # deterministic: the same run gives the same trace

    # --- the loop ----------------------------------------------------------------------------

    def run(self) -> Result:
        self.sim.start_inbound_call(
            from_=self.scenario.from_, to=self.scenario.to,
            caller=_caller(self.scenario.inputs), dial=self.scenario.dial,
        )  # fmt: skip
        for _ in range(MAX_EVENTS):
            if self.over is not None and self.sim.next_time() is None:
                break
            at, timer = self._next()
            if at is None or at > MAX_CALL_SECONDS:
                break
            if timer is not None:
                for envelope in self.sim.advance(at):  # the simulator's clock moves too
                    self._webhook(envelope, at)
                self._handle(lambda s: s.on_timer(timer, at), at)
            else:
                for envelope in self.sim.advance(at):
                    self._drain_sim_log()
                    self._webhook(envelope, at)
            self._drain_sim_log()
        if self.client is not None:
            self.client.close()
        over = self.over or CallOver("failed", 0, True)
        return Result(over.status, over.duration, over.error, self.events)

    def _next(self) -> tuple[float | None, str | None]:
        """The earliest of the session's next timer and the simulator's next event."""
        while self.timers and self.timers[0][2] in self.cancelled:
            self.cancelled.discard(heapq.heappop(self.timers)[2])
        sim_at = self.sim.next_time()
        if self.timers and (sim_at is None or self.timers[0][0] < sim_at):
            at, _, name = heapq.heappop(self.timers)
            return at, name
        return sim_at, None

    def _webhook(self, envelope: Mapping[str, Any], now: float) -> None:
        data = envelope.get("data", {})
        if self.session is None:
            if data.get("event_type") != "call.initiated":
                return
            payload = data.get("payload", {})
            self.session = CallSession(
                config=AppConfig(
                    account_sid=ACCOUNT_SID, voice_url=self.url,
                    voice_method="GET" if self.scenario.method == "GET" else "POST",
                    status_callback=self.scenario.status_callback,
                    fallback_url=self.scenario.fallback_url,
                ),
                call_control_id=payload["call_control_id"],
                connection_id=payload.get("connection_id", "sim-connection"),
                from_=payload.get("from", self.scenario.from_),
                to=payload.get("to", self.scenario.to),
                client_state=_client_state(payload["call_control_id"]),
                new_id=self.new_id,
            )  # fmt: skip
            self._handle(lambda s: s.start(now), now)
            return
        self._handle(lambda s: s.on_webhook(envelope, now), now)

    def _handle(self, step: Callable[[CallSession], list[Any]], now: float) -> None:
        """Feed the session one input, then perform its effects (and what they lead to)."""
        assert self.session is not None
        work = list(step(self.session))
        while work:
            effect = work.pop(0)
            work[0:0] = self._perform(effect, now)

    def _perform(self, effect: Any, now: float) -> list[Any]:
        session = self.session
        assert session is not None
        if isinstance(effect, Trace):
            self._emit(now, effect.kind, effect.data)
        elif isinstance(effect, SendCommand):
            status, reply = self.sim.command(effect.command.method, effect.path, dict(effect.command.body))
            data = reply.get("data", reply) if isinstance(reply, dict) else reply
            detail = json.dumps(reply.get("errors")) if isinstance(reply, dict) and "errors" in reply else ""
            return session.on_command_reply(effect.token, effect.command, status, data, now, detail)
        elif isinstance(effect, FetchDocument):
            reply = self._fetch(effect)
            return session.on_fetched(effect.token, now, status=reply.status,
                                      content_type=reply.content_type, body=reply.body,
                                      error=reply.error)  # fmt: skip
        elif isinstance(effect, PostCallback):
            self._post_callback(effect)
        elif isinstance(effect, MakeHttpRequest):
            status, body, headers = self._http(effect)
            return session.on_http_reply(effect.token, status, body, headers, now)
        elif isinstance(effect, StartTimer):
            self.cancelled.discard(effect.name)
            heapq.heappush(self.timers, (effect.at, next(self.order), effect.name))
        elif isinstance(effect, CancelTimer):
            self.cancelled.add(effect.name)
        elif isinstance(effect, CallOver):
            self.over = effect
        return []

    # --- the application ---------------------------------------------------------------------

    def _fetch(self, effect: FetchDocument) -> Reply:
        max_bytes = self.session.config.max_document_bytes if self.session else 65536
        if effect.url.startswith("file:"):
            return read_local(effect.url, effect.params, max_bytes)
        if effect.url.startswith(("http://", "https://")):
            return fetch_http(self._client(), effect.url, effect.method, effect.params, max_bytes)
        return Reply(None, None, b"", f"unsupported URL {effect.url!r}")

    def _post_callback(self, effect: PostCallback) -> None:
        if not effect.url.startswith(("http://", "https://")):
            return  # a file: callback in a dry run has nowhere to go; the trace shows it
        try:
            if effect.method == "GET":
                self._client().get(with_query(effect.url, effect.params))
            else:
                self._client().post(effect.url, data=dict(effect.params))
        except httpx.HTTPError as exc:
            self._emit(self.sim.now, "diagnostic", {
                "severity": "warning", "code": "callback-failed", "message": f"{effect.url}: {exc}",
            })  # fmt: skip

    def _http(self, effect: MakeHttpRequest) -> tuple[int | None, bytes, dict[str, str]]:
        try:
            response = self._client().request(effect.method, effect.url, headers=dict(effect.headers),
                                              content=effect.body)  # fmt: skip
            return response.status_code, response.content[:1_000_000], dict(response.headers)
        except httpx.HTTPError:
            return None, b"", {}

    def _client(self) -> httpx.Client:
        if self.client is None:
            self.client = http_client()
        return self.client

    # --- output ------------------------------------------------------------------------------

    def _drain_sim_log(self) -> None:
        log = self.sim.log
        while log:
            entry = dict(log.pop(0))
            t = float(entry.pop("t", self.sim.now))
            kind = entry.pop("kind")
            self._emit(t, kind, entry)

    def _emit(self, t: float, kind: str, data: Mapping[str, Any]) -> None:
        event = Event(t, kind, dict(data))
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)


def _caller(items: Sequence[Any]) -> Any:
    from texml.sim import CallerScript

    return CallerScript(list(items))


def _client_state(call_control_id: str) -> str:
    return base64.b64encode(json.dumps({"call": call_control_id}).encode()).decode()


# --- the text format ---------------------------------------------------------------------------


def narrate(event: Event, call: str | None = None) -> str | None:
    """One line a person can follow, or None for events only the JSON format shows.

    `call` is the caller's call id: what happens on other legs is the callee's.
    """
    data = event.data
    who = "callee" if call and data.get("call") not in (None, call) else "caller"
    t = f"{event.t:7.1f}s  "
    kind = event.kind
    if kind == "fetch":
        return t + f"-> {data.get('method')} {data.get('url')}" + _digits(data.get("params", {}))
    if kind == "hear":
        if "say" in data:
            return t + f'{who} hears: "{data["say"]}"'
        return t + f"{who} hears: {data.get('play', data.get('dtmf', ''))}"
    if kind == "input":
        if "digits" in data:
            return t + f"{who} presses {data['digits']}"
        if "speech" in data:
            return t + f'{who} says: "{data["speech"]}"'
        seconds = f" for {data['seconds']:g} s" if isinstance(data.get("seconds"), int | float) else ""
        return t + f"{who}: {data.get('action', '')}{seconds}"
    if kind == "callback":
        params = data.get("params", {})
        what = next((params[k] for k in _CALLBACK_KEYS if params.get(k)), "")
        sent = "" if str(data.get("url", "")).startswith("http") else " (not sent: not an http URL)"
        return t + f"callback -> {data.get('url')} [{what}]{sent}"
    if kind == "diagnostic":
        return t + f"{data.get('severity', 'note')}: {data.get('message')}"
    if kind == "end":
        return t + f"call ended: {data.get('status')} after {data.get('duration')} s"
    if kind == "dial":
        return t + f"dialling {data.get('to')}: {data.get('outcome', '')}"
    return None


# What a callback is about, most specific first.
_CALLBACK_KEYS = ("StatusCallbackEvent", "RecordingStatus", "TranscriptionStatus", "StreamEvent",
                  "SiprecEvent", "Status", "CallStatus")  # fmt: skip


def _digits(params: Mapping[str, str]) -> str:
    shown = {k: v for k, v in params.items() if k in ("Digits", "SpeechResult", "RecordingUrl",
                                                    "DialCallStatus", "QueueResult", "ErrorCode")}  # fmt: skip
    return f"  {shown}" if shown else ""


def iter_lines(events: Sequence[Event], fmt: str, call: str | None = None) -> Iterator[str]:
    for event in events:
        if fmt == "jsonl":
            yield json.dumps(event.to_json())
        else:
            line = narrate(event, call)
            if line is not None:
                yield line
