"""The simulator as a local server: Telnyx's REST paths, a control API, signed webhooks.

`LiveSimulator` runs a `Simulator` on the wall clock (times `speed`) and POSTs its webhooks,
signed like Telnyx's (§9), to one or more URLs — several are used in turn, round-robin, so a
pool of interpreters can share the calls. A delivery that fails (no connection, or a non-2xx
reply) is retried after 0.25, 0.5 and 1 s and then dropped with a line on stderr. By default
deliveries go out one at a time, in the order the events happened; with `parallel=N` up to N
are in flight at once, still one at a time and in order within a call (its `call_session_id`,
which its dialled legs share).

Faults (`Faults`, `texml sim --faults duplicate=0.05,late=0.05,...`), each a probability, drawn
independently for every webhook or command (seeded by `seed`):
- `duplicate`: the webhook is delivered a second time, at once, to the next URL in turn;
- `late`: the webhook is held back `late_seconds` (wall clock, 1 s) while later ones go out;
- `reorder`: the webhook swaps places with the next one of its call (or goes out alone after
  0.2 s if no other comes);
- `error5xx`: a command (any POST under `/v2`) is answered 503; half of the time it has not run,
  the other half it ran and only the reply is lost — a retry with the same `command_id` must
  not run it again;
- `slow`: a command runs at once but its reply comes `slow_seconds` (0.7 s) later, after a
  client's 500 ms timeout.
Application server errors are the application's to inject, not the simulator's.

Routes of `create_app`:
- `/v2/...`: the Call Control API (any `Authorization`, or none, is accepted); replies are
  Telnyx's JSON (`{"data": ...}` or `{"errors": [...]}`).
- `POST /sim/calls` `{"from", "to", "inputs": [...], "dial": {number: outcome}}`: a call
  arrives at the webhook URL(s); replies `{"call_control_id": ...}`.
- `GET /sim/calls/{call_control_id}`: `{"status", "call": {...}, "events": [...]}`, the trace
  entries of that call (`t` in seconds since the server started, `kind`, ...).
  It also lists the commands sent for the call: `"commands": [{"command_id", "action",
  "requests", "executed", "replies"}]`, one entry per command id in the order they first came
  (`executed` counts the requests that took effect; a known `command_id` is ignored, as Telnyx
  does, so a command re-sent under its own id shows `requests` > 1 and `executed` 1, while one
  re-sent under a new id shows as a second entry: compare the entries with the expected flow).
- `GET /sim/calls`: every call so far, `{"calls": [{"call_control_id", "status", "direction",
  "parent", "commands"}]}` (no events: cheap enough for thousands of calls).
- `GET /sim/stats`: counters (`webhooks`, `delivered`, `dropped`, `commands`, `executed`,
  `repeats` (a known command id again: ignored), `refused` (4xx), and one per fault injected:
  `fault_duplicate`, `fault_late`, `fault_reorder`, `fault_5xx`, `fault_lost_reply`,
  `fault_slow`), `calls` (`total`, `alive`), `executed_twice` (command ids run more than once),
  `deliveries_per_s` (webhooks delivered over the time from the first delivery to the last),
  and `reaction_ms` (`count`, `p50`, `p99`, `max`): from sending a webhook about a call to the
  next command for that call, as the simulator sees it. `DELETE /sim/stats` starts them afresh.
- `GET /sim/recordings/{id}.mp3|.wav`: a second of silence, for the recordings it made.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import random
import struct
import sys
import time
import wave
from collections import Counter, deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import aiohttp
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from texml.sim.core import Simulator
from texml.sim.script import parse_dial_outcome, parse_input_item
from texml.sim.webhooks import WebhookSigner, encode

RETRY_DELAYS = (0.25, 0.5, 1.0)  # after the first failed delivery; then the webhook is dropped
DELIVERY_TIMEOUT = 10.0
TICK_SECONDS = 0.05  # longest wall-clock wait between two looks at the virtual clock
REORDER_WAIT = 0.2  # a webhook held back to swap with the next goes out alone after this
KEPT_SAMPLES = 100_000  # deliveries and reaction times kept for /sim/stats (a long run stays bounded)


@dataclass(frozen=True)
class Faults:
    """What goes wrong on purpose (see the module docstring): probabilities from 0 to 1."""

    duplicate: float = 0.0
    late: float = 0.0
    reorder: float = 0.0
    error5xx: float = 0.0
    slow: float = 0.0
    late_seconds: float = 1.0
    slow_seconds: float = 0.7

    def __post_init__(self) -> None:
        for name in ("duplicate", "late", "reorder", "error5xx", "slow"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"fault {name}={getattr(self, name)}: give a probability 0-1")
        if self.late + self.reorder > 1.0:
            raise ValueError("late + reorder must be at most 1: a webhook is one or the other")
        if self.error5xx + self.slow > 1.0:
            raise ValueError("error5xx + slow must be at most 1: a reply is one or the other")
        if self.late_seconds < 0 or self.slow_seconds < 0:
            raise ValueError("late_seconds and slow_seconds must be at least 0")

    @classmethod
    def parse(cls, text: str) -> Faults:
        """`duplicate=0.05,late=0.05,reorder=0.05,error5xx=0.05,slow=0.02` (any of them,
        plus `late_seconds=` and `slow_seconds=`)."""
        names = {f.name for f in fields(cls)}
        values: dict[str, float] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep or name not in names:
                raise ValueError(f"fault {item!r}: write NAME=PROBABILITY with NAME one of "
                                 f"{', '.join(sorted(names))}")  # fmt: skip
            try:
                values[name] = float(value)
            except ValueError:
                raise ValueError(f"fault {item!r}: {value.strip()!r} is not a number") from None
        return replace(cls(), **values)

    @property
    def any(self) -> bool:
        return any((self.duplicate, self.late, self.reorder, self.error5xx, self.slow))


class LiveSimulator:
    """A `Simulator` moved by the wall clock, whose webhooks are delivered over HTTP."""

    def __init__(self, webhook_urls: Sequence[str], *, speed: float = 1.0,
                 public_url: str = "http://127.0.0.1:8765", signer: WebhookSigner | None = None,
                 connection_id: str = "sim-connection", seed: int | None = None,
                 log: Any = None, faults: Faults | None = None,
                 parallel: int = 1) -> None:  # fmt: skip
        if not webhook_urls:
            raise ValueError("give at least one webhook URL")
        if speed <= 0:
            raise ValueError("speed must be above 0")
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        self.webhook_urls = list(webhook_urls)
        self.speed = speed
        self.signer = signer or WebhookSigner()
        self.sim = Simulator(connection_id=connection_id, clock_start=time.time(), seed=seed,
                             recording_base_url=public_url)  # fmt: skip
        self.faults = faults or Faults()
        self.parallel = parallel
        self._rng = random.Random(seed)
        self._started = time.monotonic()
        self._targets = itertools.cycle(self.webhook_urls)
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._wake: asyncio.Event | None = None
        self._sending: asyncio.Semaphore | None = None
        self._lanes: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._side_tasks: set[asyncio.Task[Any]] = set()
        self._log = log or sys.stderr
        # (event_type, HTTP status) of the latest deliveries, for tests and debugging.
        self.delivered: deque[tuple[str, int]] = deque(maxlen=KEPT_SAMPLES)
        self.stats: Counter[str] = Counter()
        # call_control_id -> command key -> {"command_id", "action", "requests", ...}
        self.commands: dict[str, dict[str, dict[str, Any]]] = {}
        self._last_webhook: dict[str, float] = {}  # call_control_id -> when one was last sent
        # Seconds from a webhook to the next command for its call (the latest KEPT_SAMPLES).
        self.reactions: deque[float] = deque(maxlen=KEPT_SAMPLES)
        self._first_delivery: float | None = None
        self._last_delivery: float | None = None

    # --- time ---------------------------------------------------------------------------------

    def virtual_now(self) -> float:
        return self.sim.clock.start + (time.monotonic() - self._started) * self.speed

    def catch_up(self) -> None:
        """Run the simulator up to the wall clock; queue what it produced for delivery."""
        for envelope in self.sim.advance(max(self.virtual_now(), self.sim.now)):
            if self._queue is not None:
                self._queue.put_nowait(envelope)
        self.sim.log.clear()  # nobody drains it here; `sim.history` keeps every entry
        if self._wake is not None:
            self._wake.set()

    # --- background tasks ---------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the clock and the deliveries while the app serves."""
        self._queue = asyncio.Queue()
        self._wake = asyncio.Event()
        self._sending = asyncio.Semaphore(self.parallel)
        # Up to `parallel` deliveries at once, and their duplicates and late ones beside them.
        # aiohttp itself, not httpx: the simulator is the load generator of the serve benchmark,
        # and this is where it spends most of its time.
        connector = aiohttp.TCPConnector(limit=max(10, self.parallel * 2))
        timeout = aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
            tasks = [asyncio.create_task(self._tick()), asyncio.create_task(self._deliver(client))]
            try:
                yield
            finally:
                tasks += list(self._side_tasks)
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    async def _tick(self) -> None:
        assert self._wake is not None
        while True:
            self.catch_up()
            self._wake.clear()
            due = self.sim.next_time()
            wait = TICK_SECONDS if due is None else (due - self.virtual_now()) / self.speed
            # Not `wait_for`: on Python 3.11 it can swallow the cancellation that stops this loop
            # when the timeout and the cancel come together, and shutdown then hangs.
            woken = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({woken}, timeout=max(0.0, min(wait, TICK_SECONDS)))
            finally:
                woken.cancel()

    async def _deliver(self, client: aiohttp.ClientSession) -> None:
        """Deal the webhooks out to lanes: one per call session (one in all when not
        parallel), each delivering its webhooks one at a time, in order."""
        assert self._queue is not None
        while True:
            envelope = await self._queue.get()
            self.stats["webhooks"] += 1
            if self.parallel == 1:
                key = ""
            else:
                payload = envelope["data"].get("payload") or {}
                key = str(payload.get("call_session_id") or payload.get("call_control_id") or "")
            lane = self._lanes.get(key)
            if lane is None:
                lane = self._lanes[key] = asyncio.Queue()
                self._spawn(self._lane(client, key, lane))
            lane.put_nowait(envelope)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _lane(self, client: aiohttp.ClientSession, key: str,
                    lane: asyncio.Queue[dict[str, Any]]) -> None:  # fmt: skip
        held: dict[str, Any] | None = None  # waiting to swap places with the next webhook
        while True:
            if held is not None:
                if lane.empty():  # give the next webhook of the call a moment to come
                    await asyncio.sleep(REORDER_WAIT)
                if lane.empty():
                    await self._send(client, held)
                    held = None
                    continue
                envelope = lane.get_nowait()
                await self._send(client, envelope)
                await self._send(client, held)
                held = None
                continue
            if lane.empty():  # no await since the check: nothing can slip in before the del
                del self._lanes[key]
                return
            envelope = lane.get_nowait()
            fault = self._pick(("late", self.faults.late), ("reorder", self.faults.reorder))
            if fault == "reorder":
                self.stats["fault_reorder"] += 1
                held = envelope
                continue
            if fault == "late":
                self.stats["fault_late"] += 1
                self._spawn(self._send_later(client, envelope, self.faults.late_seconds))
                continue
            await self._send(client, envelope)
            if self._pick(("duplicate", self.faults.duplicate)):
                self.stats["fault_duplicate"] += 1
                self._spawn(self._send(client, envelope))

    async def _send_later(self, client: aiohttp.ClientSession, envelope: dict[str, Any],
                          seconds: float) -> None:  # fmt: skip
        await asyncio.sleep(seconds)
        await self._send(client, envelope)

    async def _send(self, client: aiohttp.ClientSession, envelope: dict[str, Any]) -> bool:
        assert self._sending is not None
        async with self._sending:
            return await self.deliver(client, envelope, next(self._targets))

    def _pick(self, *choices: tuple[str, float]) -> str | None:
        """One of the faults, or None, drawn with their probabilities."""
        if not self.faults.any:
            return None
        draw = self._rng.random()
        for name, probability in choices:
            if draw < probability:
                return name
            draw -= probability
        return None

    async def deliver(self, client: aiohttp.ClientSession, envelope: dict[str, Any], url: str) -> bool:
        """POST one webhook, signed, with retries; False when it was dropped."""
        body = encode(envelope)
        event_type = envelope["data"]["event_type"]
        call_id = (envelope["data"].get("payload") or {}).get("call_control_id")
        problem = ""
        for delay in (0.0, *RETRY_DELAYS):
            if delay:
                await asyncio.sleep(delay)
                self.stats["redelivered"] += 1
            headers = {"content-type": "application/json", "user-agent": "texml-sim",
                       **self.signer.headers(body, int(time.time()))}  # fmt: skip
            if call_id:
                self._last_webhook[call_id] = time.monotonic()
            try:
                async with client.post(url, data=body.encode(), headers=headers) as reply:
                    await reply.read()
                    status = reply.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if 200 <= status < 300:
                self.delivered.append((event_type, status))
                self.stats["delivered"] += 1
                self._last_delivery = time.monotonic()
                if self._first_delivery is None:
                    self._first_delivery = self._last_delivery
                return True
            problem = f"HTTP {status}"
        print(f"texml sim: dropped {event_type} for {url} after {1 + len(RETRY_DELAYS)} "
              f"attempts ({problem})", file=self._log, flush=True)  # fmt: skip
        self.delivered.append((event_type, 0))
        self.stats["dropped"] += 1
        return False

    # --- commands -----------------------------------------------------------------------------

    def command_fault(self, method: str) -> str | None:
        """The fault for one Call Control request: None, `5xx` (it does not run), `lost` (it
        runs, the reply is a 503) or `slow` (it runs, the reply is late)."""
        if method != "POST":
            return None
        fault = self._pick(("5xx", self.faults.error5xx), ("slow", self.faults.slow))
        if fault == "5xx" and self._rng.random() < 0.5:
            return "lost"
        return fault

    def command_arrived(self, path: str, body: Any) -> None:
        """Time the reaction: from the last webhook about this call to this command."""
        call_id = _command_target(path, body)[0]
        sent = self._last_webhook.pop(call_id, None) if call_id else None
        if sent is not None:
            self.reactions.append(time.monotonic() - sent)

    def record_command(self, method: str, path: str, body: Any, status: int, reply: Any,
                       fault: str | None) -> None:  # fmt: skip
        """Count one Call Control request (see `GET /sim/calls/{id}`'s `commands`)."""
        if method != "POST":
            return
        call_id, action = _command_target(path, body)
        if action == "dial" and 200 <= status < 300 and isinstance(reply, dict):
            call_id = (reply.get("data") or {}).get("call_control_id") or call_id
        if action is None or call_id is None:
            return
        self.stats["commands"] += 1
        command_id = body.get("command_id") if isinstance(body, dict) else None
        key = str(command_id) if command_id is not None else f"#{self.stats['commands']}"
        entries = self.commands.setdefault(call_id, {})
        entry = entries.setdefault(key, {"command_id": command_id, "action": action,
                                         "requests": 0, "executed": 0, "replies": []})  # fmt: skip
        entry["requests"] += 1
        if fault == "5xx":
            self.stats["fault_5xx"] += 1
            entry["replies"].append(503)
            return
        if 200 <= status < 300:
            # The simulator (like Telnyx) answers a known command id with "ok" and does nothing.
            if entry["executed"] and command_id is not None:
                self.stats["repeats"] += 1
            else:
                entry["executed"] += 1
                self.stats["executed"] += 1
        elif 400 <= status < 500:
            self.stats["refused"] += 1
        if fault == "lost":
            self.stats["fault_lost_reply"] += 1
            status = 503
        elif fault == "slow":
            self.stats["fault_slow"] += 1
        entry["replies"].append(status)

    def reset_stats(self) -> None:
        """Start counting afresh (after a warm-up, say); the calls and their commands stay."""
        self.stats.clear()
        self.reactions.clear()
        self._first_delivery = self._last_delivery = None

    def summary(self) -> dict[str, Any]:
        """What `GET /sim/stats` shows."""
        reactions = sorted(self.reactions)

        def pct(p: float) -> float | None:
            if not reactions:
                return None
            return round(reactions[min(len(reactions) - 1, int(p * len(reactions)))] * 1000, 3)

        window = ((self._last_delivery or 0.0) - (self._first_delivery or 0.0))
        twice = [e["command_id"] for c in self.commands.values() for e in c.values()
                 if e["executed"] > 1]  # fmt: skip
        return {
            "counts": dict(sorted(self.stats.items())),
            "calls": {"total": len(self.sim.calls),
                      "alive": sum(1 for c in self.sim.calls.values() if c.alive)},
            "executed_twice": twice,
            "deliveries_per_s": round(self.stats["delivered"] / window, 1) if window > 0 else None,
            "reaction_ms": {"count": len(reactions), "p50": pct(0.5), "p99": pct(0.99),
                            "max": pct(1.0)},
        }  # fmt: skip


def _command_target(path: str, body: Any) -> tuple[str | None, str | None]:
    """(call_control_id, action) of a Call Control request path (relative to /v2): a dial is
    `dial`, for the call it is linked to (if any) until its own id is known."""
    parts = path.strip("/").split("/")
    if parts == ["calls"]:
        link = body.get("link_to") if isinstance(body, dict) else None
        return (str(link) if link else None), "dial"
    if len(parts) == 4 and parts[0] == "calls" and parts[2] == "actions":
        return parts[1], parts[3]
    return None, None


# --- the app -------------------------------------------------------------------------------------


def create_app(live: LiveSimulator) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with live.running():
            yield

    app = FastAPI(title="texml Call Control simulator", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)  # fmt: skip
    sim = live.sim

    @app.api_route("/v2/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def call_control(path: str, request: Request) -> Response:
        if request.method in ("GET", "DELETE"):
            body: Any = query_dict(request.query_params.multi_items())
        else:
            raw = await request.body()
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError as exc:
                return _errors(400, "10015", "Invalid JSON", f"the body is not JSON: {exc}")
        live.command_arrived(path, body)
        fault = live.command_fault(request.method)
        if fault == "5xx":
            live.record_command(request.method, path, body, 503, None, fault)
            return _errors(503, "90001", "Service unavailable", "injected fault: try again")
        live.catch_up()  # the command happens now, after everything due before it
        status, reply = sim.command(request.method, "/" + path, body)
        live.catch_up()  # what it caused at once goes out now
        live.record_command(request.method, path, body, status, reply, fault)
        if fault == "lost":
            return _errors(503, "90001", "Service unavailable", "injected fault: the command "
                           "ran, its reply was lost")  # fmt: skip
        if fault == "slow":
            await asyncio.sleep(live.faults.slow_seconds)
        if status == 204:
            return Response(status_code=204)
        return JSONResponse(reply, status_code=status)

    @app.post("/sim/calls")
    async def new_call(request: Request) -> Response:
        try:
            spec = json.loads(await request.body() or b"{}")
            if not isinstance(spec, dict):
                raise ValueError("the body must be a JSON object")
            unknown = sorted(set(spec) - {"from", "to", "inputs", "dial", "connection_id"})
            if unknown:
                raise ValueError(f"unknown key(s) {', '.join(unknown)}; the keys are from, to, "
                                 "inputs, dial and connection_id")  # fmt: skip
            inputs = [parse_input_item(i) for i in spec.get("inputs") or []]
            dial = {str(k): parse_dial_outcome(v) for k, v in (spec.get("dial") or {}).items()}
        except (ValueError, TypeError, AttributeError) as exc:
            return _errors(422, "10015", "Invalid call", str(exc))
        live.catch_up()
        call_id = sim.start_inbound_call(
            from_=str(spec.get("from", "+15550001111")), to=str(spec.get("to", "+15550002222")),
            caller=inputs, dial=dial, connection_id=spec.get("connection_id"),
        )  # fmt: skip
        live.catch_up()
        return JSONResponse({"call_control_id": call_id})

    @app.get("/sim/calls/{call_control_id}")
    async def call_status(call_control_id: str) -> Response:
        live.catch_up()
        try:
            call = sim.call(call_control_id)
        except KeyError:
            return _errors(404, "10005", "Resource not found", f"no call {call_control_id!r}")
        events = [{k: v for k, v in e.items() if k != "call"}
                  for e in sim.events_of(call_control_id)]  # fmt: skip
        commands = list(live.commands.get(call_control_id, {}).values())
        return JSONResponse({"status": call["status"], "call": call, "events": events,
                             "commands": commands})  # fmt: skip

    @app.get("/sim/calls")
    async def all_calls() -> Response:
        live.catch_up()
        return JSONResponse({"calls": [
            {"call_control_id": c.id, "status": c.status, "direction": c.direction,
             "parent": c.parent, "commands": list(live.commands.get(c.id, {}).values())}
            for c in sim.calls.values()
        ]})  # fmt: skip

    @app.get("/sim/stats")
    async def stats() -> Response:
        live.catch_up()
        return JSONResponse(live.summary())

    @app.delete("/sim/stats")
    async def reset_stats() -> Response:
        live.reset_stats()
        return Response(status_code=204)

    @app.get("/sim/recordings/{name}")
    async def recording(name: str) -> Response:
        stem, _, ext = name.rpartition(".")
        if ext not in ("mp3", "wav") or stem not in known_recordings(sim):
            return _errors(404, "10005", "Resource not found", f"no recording {name!r}")
        if ext == "wav":
            return Response(SILENT_WAV, media_type="audio/wav")
        return Response(SILENT_MP3, media_type="audio/mpeg")

    return app


def known_recordings(sim: Simulator) -> set[str]:
    ids = {r.id for call in sim.calls.values() for r in call.media.recordings}
    return ids | sim.rooms.recording_ids


def query_dict(items: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Query parameters as the API reads them: `filter[name]=x` -> `{"filter": {"name": "x"}}`
    (deepObject style); `page[number]` stays as it is, as the command tables spell it."""
    out: dict[str, Any] = {}
    for key, value in items:
        head, sep, rest = key.partition("[")
        if not sep or head == "page":
            out[key] = value
            continue
        parts = [head] + [p.rstrip("]") for p in rest.split("[")]
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return out


def _errors(status: int, code: str, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"errors": [{"code": code, "title": title, "detail": detail}]},
                        status_code=status)  # fmt: skip


def _silent_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))
    return buffer.getvalue()


def _silent_mp3(frames: int = 38) -> bytes:
    """About a second of silent MPEG-1 Layer III (32 kbit/s, 44.1 kHz, mono): each 104-byte
    frame is a header and all-zero side information and data, which decodes to silence."""
    header = struct.pack(">I", 0xFFFB10C0)
    return (header + b"\0" * 100) * frames


SILENT_WAV = _silent_wav()
SILENT_MP3 = _silent_mp3()

__all__ = ["Faults", "LiveSimulator", "create_app", "query_dict"]
