"""The simulator as a local server: Telnyx's REST paths, a control API, signed webhooks.

`LiveSimulator` runs a `Simulator` on the wall clock (times `speed`) and POSTs its webhooks,
signed like Telnyx's (§9), to one or more URLs — several are used in turn, round-robin, so a
pool of interpreters can share the calls. A delivery that fails (no connection, or a non-2xx
reply) is retried after 0.25, 0.5 and 1 s and then dropped with a line on stderr; deliveries go
out one at a time, in the order the events happened.

Routes of `create_app`:
- `/v2/...`: the Call Control API (any `Authorization`, or none, is accepted); replies are
  Telnyx's JSON (`{"data": ...}` or `{"errors": [...]}`).
- `POST /sim/calls` `{"from", "to", "inputs": [...], "dial": {number: outcome}}`: a call
  arrives at the webhook URL(s); replies `{"call_control_id": ...}`.
- `GET /sim/calls/{call_control_id}`: `{"status", "call": {...}, "events": [...]}`, the trace
  entries of that call (`t` in seconds since the server started, `kind`, ...).
- `GET /sim/recordings/{id}.mp3|.wav`: a second of silence, for the recordings it made.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import struct
import sys
import time
import wave
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from texml.sim.core import Simulator
from texml.sim.script import parse_dial_outcome, parse_input_item
from texml.sim.webhooks import WebhookSigner, encode

RETRY_DELAYS = (0.25, 0.5, 1.0)  # after the first failed delivery; then the webhook is dropped
DELIVERY_TIMEOUT = 10.0
TICK_SECONDS = 0.05  # longest wall-clock wait between two looks at the virtual clock


class LiveSimulator:
    """A `Simulator` moved by the wall clock, whose webhooks are delivered over HTTP."""

    def __init__(self, webhook_urls: Sequence[str], *, speed: float = 1.0,
                 public_url: str = "http://127.0.0.1:8765", signer: WebhookSigner | None = None,
                 connection_id: str = "sim-connection", seed: int | None = None,
                 log: Any = None) -> None:  # fmt: skip
        if not webhook_urls:
            raise ValueError("give at least one webhook URL")
        if speed <= 0:
            raise ValueError("speed must be above 0")
        self.webhook_urls = list(webhook_urls)
        self.speed = speed
        self.signer = signer or WebhookSigner()
        self.sim = Simulator(connection_id=connection_id, clock_start=time.time(), seed=seed,
                             recording_base_url=public_url)  # fmt: skip
        self._started = time.monotonic()
        self._targets = itertools.cycle(self.webhook_urls)
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._wake: asyncio.Event | None = None
        self._log = log or sys.stderr
        self.delivered: list[tuple[str, int]] = []  # (event_type, HTTP status), for tests

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
        async with httpx.AsyncClient(timeout=DELIVERY_TIMEOUT) as client:
            tasks = [asyncio.create_task(self._tick()), asyncio.create_task(self._deliver(client))]
            try:
                yield
            finally:
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, min(wait, TICK_SECONDS)))

    async def _deliver(self, client: httpx.AsyncClient) -> None:
        assert self._queue is not None
        while True:
            envelope = await self._queue.get()
            await self.deliver(client, envelope, next(self._targets))

    async def deliver(self, client: httpx.AsyncClient, envelope: dict[str, Any], url: str) -> bool:
        """POST one webhook, signed, with retries; False when it was dropped."""
        body = encode(envelope)
        event_type = envelope["data"]["event_type"]
        problem = ""
        for delay in (0.0, *RETRY_DELAYS):
            if delay:
                await asyncio.sleep(delay)
            headers = {"content-type": "application/json", "user-agent": "texml-sim",
                       **self.signer.headers(body, int(time.time()))}  # fmt: skip
            try:
                reply = await client.post(url, content=body.encode(), headers=headers)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if 200 <= reply.status_code < 300:
                self.delivered.append((event_type, reply.status_code))
                return True
            problem = f"HTTP {reply.status_code}"
        print(f"texml sim: dropped {event_type} for {url} after {1 + len(RETRY_DELAYS)} "
              f"attempts ({problem})", file=self._log, flush=True)  # fmt: skip
        self.delivered.append((event_type, 0))
        return False


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
        live.catch_up()  # the command happens now, after everything due before it
        status, reply = sim.command(request.method, "/" + path, body)
        live.catch_up()  # what it caused at once goes out now
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
        return JSONResponse({"status": call["status"], "call": call, "events": events})

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

__all__ = ["LiveSimulator", "create_app", "query_dict"]
