"""The live driver: calls stored in a `Store`, advanced one input at a time with real I/O.

`Engine.handle` is the loop of `texml.dryrun.DryRun._handle` with real I/O around it:

1. take the call's lock in the store (other calls go on meanwhile: locks are per call);
2. load the session (`texml.runtime.state`; the stored text is always read, but when it is
   just what this process saved last, the session object it was saved from is reused rather
   than decoded again), feed it the input;
3. perform its effects: commands through the Call Control client (their replies are fed back),
   documents fetched from the application, `<HttpRequest>`s; timers are kept in the store;
4. save the session and let the lock go;
5. only then send the status callbacks the input produced, so that an input handled again
   after a crash (between 2 and 4) sends none twice.

Handling an input again from the same stored state is harmless: command ids come from the
call's id and a counter stored with it (`CallSession.next_id`), so repeated commands carry the
ids Call Control has seen and are ignored; webhook ids already seen are dropped by the session.

Webhooks find their call by `client_state` (`{"call": id}`, which the runtime puts on every
command of the call and of its legs), else by `payload.call_control_id`. An incoming
`call.initiated` for no known call creates one. A finished call stays `retain_seconds` for late
webhooks (a transcription, say), then a `cleanup` timer deletes it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from texml.runtime import (
    CallOver, CallSession, CancelTimer, Effect, FetchDocument, MakeHttpRequest, PostCallback,
    SendCommand, StartTimer, Trace, state,
)  # fmt: skip
from texml.runtime.sources import Reply, with_query
from texml.serve.apphttp import AppClient, AppHttpError
from texml.serve.outgoing import RequestSigner
from texml.serve.client import CallControlClient
from texml.serve.config import ServeConfig
from texml.serve.metrics import Metrics
from texml.serve.store import Store

log = logging.getLogger("texml.serve")

CLEANUP_TIMER = "cleanup"  # deletes a finished call (session timers are named t<token>:<name>)
CALL_MEMORY = 86400.0  # seconds a call id is remembered: an incoming call is created once
REPLAY_TTL = 86400.0  # seconds the event ids of a deleted call are remembered
TIMER_POLL = 0.05  # seconds between looks for due timers
HTTP_REQUEST_LIMIT = 1_000_000  # bytes of an <HttpRequest> reply kept
CALLBACK_REPLY_LIMIT = 65_536  # bytes of a status callback's reply read (and ignored)
CALLBACK_RETRY_DELAYS = (0.5, 1.5)  # a callback that got no reply at all is sent again
SESSION_CACHE = 1000  # live calls kept decoded in memory between inputs (see `Engine._take`)

Feed = Callable[[CallSession, float], list[Effect]]


@dataclass
class Handled:
    """What one input did to one call."""

    session: CallSession
    effects: list[Effect]  # what the input itself returned (empty: it changed nothing)
    created: bool = False
    diagnostics: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OutboundCall:
    """An outbound call asked for through the REST API."""

    to: str
    from_: str
    url: str | None = None
    method: str = "POST"
    texml: str | None = None
    fallback_url: str | None = None
    fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str | None = None
    status_callback_events: frozenset[str] | None = None
    dial: Mapping[str, Any] = field(default_factory=dict)  # extra dial fields (timeout, AMD...)
    amd: str | None = None  # wait for this machine detection before the first document
    amd_timeout: float = 30.0
    async_amd: str | None = None  # or run it beside the document (REST AsyncAmd)...
    async_amd_callback: tuple[str, str] | None = None  # ...its verdict sent here (url, method)


class Engine:
    def __init__(self, config: ServeConfig, store: Store, client: CallControlClient,
                 http: AppClient, *, metrics: Metrics | None = None,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.config = config
        self.store = store
        self.client = client
        self.http = http
        self.metrics = metrics or Metrics()
        self.clock = clock
        self._callbacks: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        # call key -> (the state text this process saved, the session it was saved from)
        self._sessions: OrderedDict[str, tuple[str, CallSession]] = OrderedDict()
        self.session_cache = SESSION_CACHE

    # --- inputs --------------------------------------------------------------------------------

    async def webhook(self, envelope: Mapping[str, Any]) -> str:
        """Feed a (verified) webhook to its call: "handled", "duplicate" or "ignored"."""
        data = envelope.get("data") or {}
        payload = data.get("payload") or {}
        keys: list[str] = []
        for key in (_call_named(payload.get("client_state")), payload.get("call_control_id")):
            if isinstance(key, str) and key and key not in keys:
                keys.append(key)
        incoming = data.get("event_type") == "call.initiated" and payload.get("direction") == "incoming"

        def feed(session: CallSession, now: float) -> list[Effect]:
            return session.on_webhook(envelope, now)

        for n, key in enumerate(keys):
            create = self._inbound(key, payload, envelope) if incoming and n == len(keys) - 1 else None
            handled = await self.handle(key, feed, create=create)
            if handled is not None:
                return "handled" if handled.effects else "duplicate"
        return "ignored"

    def _inbound(self, key: str, payload: Mapping[str, Any],
                 envelope: Mapping[str, Any]) -> Callable[[], tuple[CallSession, Feed]]:  # fmt: skip
        def create() -> tuple[CallSession, Feed]:
            session = CallSession(
                config=self.config.app_config(), call_control_id=key,
                connection_id=str(payload.get("connection_id") or self.config.connection_id or ""),
                from_=str(payload.get("from", "")), to=str(payload.get("to", "")),
                client_state=client_state_naming(key),
            )  # fmt: skip

            def start(s: CallSession, now: float) -> list[Effect]:
                return s.start(now) + s.on_webhook(envelope, now)  # the event id is remembered

            return session, start

        return create

    async def outbound(self, call: OutboundCall) -> Handled:
        """Place an outbound call and store it under Call Control's id for it (check
        `session.over`: the dial may have been refused; `diagnostics` say why)."""
        if not self.config.connection_id:
            raise ValueError("outbound calls need --connection-id (the Call Control application)")
        key = f"out-{uuid.uuid4()}"  # names the call until Call Control's id is known

        def create() -> tuple[CallSession, Feed]:
            overrides: dict[str, Any] = {
                "voice_url": call.url, "voice_method": call.method, "fallback_url": call.fallback_url,
                "fallback_method": call.fallback_method,
                "status_callback": call.status_callback,
                "status_callback_method": call.status_callback_method,
                "status_callback_events": call.status_callback_events,
            }  # fmt: skip
            session = CallSession(
                config=self.config.app_config(**overrides), call_control_id=key,
                connection_id=self.config.connection_id or "", from_=call.from_, to=call.to,
                client_state=client_state_naming(key), direction="outbound-api",
            )  # fmt: skip

            def start(s: CallSession, now: float) -> list[Effect]:
                return s.start_outbound(now, dial=call.dial, texml=call.texml, amd=call.amd,
                                        amd_timeout=call.amd_timeout, async_amd=call.async_amd,
                                        async_amd_callback=call.async_amd_callback)  # type: ignore[arg-type]  # fmt: skip

            return session, start

        handled = await self.handle(key, lambda s, now: [], create=create)
        assert handled is not None
        return handled

    async def update(self, call_id: str, feed: Feed) -> Handled | None:
        """Feed a REST API change (redirect, hang-up) to a stored call; None: no such call."""
        return await self.handle(call_id, feed)

    async def peek(self, call_id: str) -> CallSession | None:
        """The stored call, read without its lock (for the REST API's call resource)."""
        text = await self.store.load(call_id)
        return None if text is None else self._load(text)

    # --- one input -----------------------------------------------------------------------------

    async def handle(self, key: str, feed: Feed, *,
                     create: Callable[[], tuple[CallSession, Feed]] | None = None) -> Handled | None:  # fmt: skip
        """Feed one input to the call stored under `key` (or to a new call from `create`)."""
        callbacks: list[PostCallback] = []
        async with self.store.lock(key):
            text = await self.store.load(key)
            created = False
            if text is not None:
                session = self._take(key, text)
            elif create is not None and await self.store.first_seen(f"call:{key}", CALL_MEMORY):
                session, feed = create()
                created = True
            else:
                return None
            was_over = session.over
            effects = feed(session, self.clock())
            handled = Handled(session, list(effects), created)
            timers: list[StartTimer | CancelTimer] = []
            await self._perform_all(session, effects, callbacks, timers, handled)
            final_key = session.call_control_id  # an outbound call takes Call Control's id
            if created and session.over:
                pass  # never started (a refused dial): nothing to keep
            else:
                for timer in timers:
                    if isinstance(timer, StartTimer):
                        await self.store.set_timer(final_key, timer.name, timer.at)
                    else:
                        await self.store.cancel_timer(final_key, timer.name)
                if session.over and not was_over:
                    await self.store.set_timer(final_key, CLEANUP_TIMER,
                                               self.clock() + self.config.retain_seconds)  # fmt: skip
                saved = state.dumps(session)
                await self.store.save(final_key, saved)
                self._keep(final_key, saved, session)
        if created:
            self.metrics.calls_started += 1
            log.info("call started", extra={"call": session.call_control_id,
                                            "direction": session.direction})  # fmt: skip
        self._send_callbacks(session.call_control_id, callbacks)
        return handled

    def _take(self, key: str, text: str) -> CallSession:
        """The call stored as `text`: the object this process saved it from, when the store
        still holds just what it saved (the usual case: no other process touched the call),
        else decoded from the text. Taken out of the cache while it is worked on, so a failed
        input can never leave a half-changed session there."""
        kept = self._sessions.pop(key, None)
        if kept is not None and kept[0] == text:
            return kept[1]
        return self._load(text)

    def _keep(self, key: str, text: str, session: CallSession) -> None:
        if session.over:
            return  # finished: only late webhooks and the cleanup will read it
        self._sessions[key] = (text, session)
        while len(self._sessions) > self.session_cache:
            self._sessions.popitem(last=False)

    def _load(self, text: str) -> CallSession:
        box: list[CallSession] = []
        session: CallSession = state.loads(text, new_id=lambda: box[0].next_id())
        box.append(session)
        return session

    async def _perform_all(self, session: CallSession, effects: list[Effect],
                           callbacks: list[PostCallback], timers: list[StartTimer | CancelTimer],
                           handled: Handled) -> None:  # fmt: skip
        work = deque(effects)
        while work:
            effect = work.popleft()
            if isinstance(effect, PostCallback):
                callbacks.append(effect)
            elif isinstance(effect, StartTimer | CancelTimer):
                timers.append(effect)
            else:
                more = await self._perform(session, effect, handled)
                work.extendleft(reversed(more))

    async def _perform(self, session: CallSession, effect: Effect, handled: Handled) -> list[Effect]:
        call = session.call_control_id
        if isinstance(effect, SendCommand):
            self.metrics.commands += 1
            self.metrics.command_sent()
            command = effect.command
            outcome = await self.client.send(command.method, effect.path, command.body)
            if not outcome.ok:
                self.metrics.command_failures += 1
                log.warning("command failed", extra={
                    "call": call, "path": effect.path, "status": outcome.status,
                    "detail": outcome.detail, "attempts": outcome.attempts,
                })  # fmt: skip
            return session.on_command_reply(effect.token, command, outcome.status, outcome.data,
                                            self.clock(), outcome.detail, final=True)  # fmt: skip
        if isinstance(effect, FetchDocument):
            reply = await self._fetch(effect, session.config.max_document_bytes)
            return session.on_fetched(effect.token, self.clock(), status=reply.status,
                                      content_type=reply.content_type, body=reply.body,
                                      error=reply.error)  # fmt: skip
        if isinstance(effect, MakeHttpRequest):
            status, body, headers = await self._http_request(effect)
            return session.on_http_reply(effect.token, status, body, headers, self.clock())
        if isinstance(effect, Trace):
            if effect.kind == "diagnostic":
                handled.diagnostics.append(str(effect.data.get("message", "")))
                log.warning(str(effect.data.get("message")), extra={
                    "call": call, "code": effect.data.get("code"),
                    "severity": effect.data.get("severity")})  # fmt: skip
            elif log.isEnabledFor(logging.DEBUG):
                log.debug(effect.kind, extra={"call": call, **dict(effect.data)})
        elif isinstance(effect, CallOver):
            self.metrics.calls_ended += 1
            log.info("call ended", extra={"call": call, "status": effect.status,
                                          "duration": effect.duration, "error": effect.error})  # fmt: skip
        return []

    # --- the application -----------------------------------------------------------------------

    async def _fetch(self, effect: FetchDocument, max_bytes: int) -> Reply:
        """A document: GET with the parameters in the query, or POST them form-encoded."""
        self.metrics.fetches += 1
        url = effect.url
        if not url.startswith(("http://", "https://")):
            reply = Reply(None, None, b"", f"unsupported URL {url!r}: documents come from http(s) URLs")
        else:
            try:
                if effect.method == "GET":
                    got = await self.http.exchange("GET", with_query(url, effect.params),
                                                   max_bytes=max_bytes, sign=True)  # fmt: skip
                else:
                    got = await self.http.exchange("POST", url, form=dict(effect.params),
                                                   max_bytes=max_bytes, sign=True)  # fmt: skip
                reply = Reply(got.status, got.content_type, got.body)
            except AppHttpError as exc:
                reply = Reply(None, None, b"", str(exc))
        if reply.status is None or not 200 <= reply.status < 300:
            self.metrics.fetch_errors += 1
        return reply

    async def _http_request(self, effect: MakeHttpRequest) -> tuple[int | None, bytes, dict[str, str]]:
        try:
            got = await self.http.exchange(effect.method, effect.url, headers=dict(effect.headers),
                                           content=effect.body, max_bytes=HTTP_REQUEST_LIMIT)  # fmt: skip
        except AppHttpError:
            return None, b"", {}
        return got.status, got.body[:HTTP_REQUEST_LIMIT], got.headers

    def _send_callbacks(self, call_id: str, callbacks: list[PostCallback]) -> None:
        """Post callbacks after the state is saved, in order per call, without holding the
        webhook's reply."""
        if not callbacks:
            return
        previous = self._callbacks.get(call_id)
        task = asyncio.create_task(self._post_callbacks(call_id, previous, callbacks))
        self._callbacks[call_id] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._callbacks.get(call_id) is done:
                del self._callbacks[call_id]

        task.add_done_callback(forget)

    async def _post_callbacks(self, call_id: str, previous: asyncio.Task[None] | None,
                              callbacks: list[PostCallback]) -> None:  # fmt: skip
        if previous is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await previous
        for callback in callbacks:
            self.metrics.callbacks += 1
            problem = await self._post_callback(callback)
            if problem:
                self.metrics.callback_errors += 1
                log.warning("status callback failed", extra={"call": call_id, "url": callback.url,
                                                             "detail": problem})  # fmt: skip

    async def _post_callback(self, callback: PostCallback) -> str:
        """Deliver one callback; what went wrong, or "". Sent again only when no reply came
        back at all (the connection failed or dropped), so an application that answered,
        even with an error, gets it once."""
        problem = ""
        for delay in (0.0, *CALLBACK_RETRY_DELAYS):
            if delay:
                await asyncio.sleep(delay)
            try:
                if callback.method == "GET":
                    got = await self.http.exchange("GET", with_query(callback.url, callback.params),
                                                   max_bytes=CALLBACK_REPLY_LIMIT, sign=True)  # fmt: skip
                else:
                    got = await self.http.exchange("POST", callback.url, form=dict(callback.params),
                                                   max_bytes=CALLBACK_REPLY_LIMIT, sign=True)  # fmt: skip
            except AppHttpError as exc:
                if exc.kind == "unreached":
                    problem = str(exc)
                    continue
                return str(exc)  # no reply in time, after sending: it may have arrived
            return f"HTTP {got.status}" if got.status >= 400 else ""
        return problem

    # --- timers --------------------------------------------------------------------------------

    async def fire_due_timers(self) -> int:
        """Claim the timers due now and feed each to its call (in the background)."""
        due = await self.store.claim_due_timers(self.clock())
        for call_id, name, claimed_at in due:
            self.metrics.timers_fired += 1
            self._spawn(self._fire(call_id, name, claimed_at))
        return len(due)

    async def _fire(self, call_id: str, name: str, claimed_at: float) -> None:
        """Feed a claimed timer to its call, then finish it in the store. If this fails (or
        the process dies) before that, the timer comes due again after its lease."""
        await self._fire_once(call_id, name)
        await self.store.finish_timer(call_id, name, claimed_at)

    async def _fire_once(self, call_id: str, name: str) -> None:
        if name == CLEANUP_TIMER:
            async with self.store.lock(call_id):
                text = await self.store.load(call_id)
                session = None if text is None else self._take(call_id, text)
                if session is not None and session.over:
                    # Its events stay known, so that a replay of one is still told apart.
                    await self.store.remember([seen_key(e) for e in session.seen_events], REPLAY_TTL)
                    await self.store.delete(call_id)
            return
        await self.handle(call_id, lambda s, now: s.on_timer(name, now))

    async def run_timers(self, interval: float = TIMER_POLL) -> None:
        """Poll for due timers until cancelled."""
        while True:
            try:
                while await self.fire_due_timers():
                    pass
            except Exception:  # noqa: BLE001 - a store hiccup must not stop the timers
                log.exception("timer poll failed")
            await asyncio.sleep(interval)

    def _spawn(self, work: Awaitable[Any]) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception:  # noqa: BLE001 - logged; the next input or timer goes on
                log.exception("background input failed")

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait (a little) for background inputs and callbacks, at shutdown."""
        pending = [*self._tasks, *self._callbacks.values()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)


def seen_key(event_id: str) -> str:
    """The store's `first_seen` key of a webhook's event id."""
    return f"webhook:{event_id}"


def client_state_naming(call_id: str) -> str:
    """The `client_state` of a call: Base64 JSON `{"call": id}`."""
    return base64.b64encode(json.dumps({"call": call_id}, separators=(",", ":")).encode()).decode()


def _call_named(client_state: Any) -> str | None:
    if not isinstance(client_state, str) or not client_state:
        return None
    try:
        value = json.loads(base64.b64decode(client_state, validate=True))
    except (binascii.Error, ValueError):
        return None
    call = value.get("call") if isinstance(value, dict) else None
    return call if isinstance(call, str) else None


def http_client(transport: httpx.AsyncBaseTransport | None = None, *,
                signer: RequestSigner | None = None) -> AppClient:  # fmt: skip
    """The client for the application's documents, callbacks and `<HttpRequest>`s (aiohttp;
    through httpx with `transport`, for tests), signing documents and callbacks with `signer`."""
    return AppClient(transport, signer=signer)


__all__ = ["CLEANUP_TIMER", "REPLAY_TTL", "Engine", "Handled", "OutboundCall", "client_state_naming",
           "http_client", "seen_key"]
