"""The FastAPI app of `texml serve`.

Routes:
- `POST /webhooks`: Call Control webhooks. The signature is checked first, on the raw bytes
  (401 when missing, forged or stale). Then the event goes to its call (`texml.serve.engine`):
  200 once it is handled, 503 when the call stayed locked too long (Telnyx retries). An event
  handled before (a duplicate delivery, or a replay) changes nothing and is answered 200
  `{"status": "duplicate"}` (a non-2xx would only make Telnyx deliver it again): its call
  has it among the events it handled (saved with the call, so only once it is handled: a
  delivery that failed half-way never blocks its retry), and when the call is deleted its
  event ids go to the store (`remember`, shared by every process) for `REPLAY_TTL`. An event
  of no call here is answered 200 `{"status": "ignored"}`, and is remembered too.
- `POST /v2/texml/Accounts/{account_sid}/Calls`: start an outbound call (TeXML REST API;
  `Authorization: Bearer <--rest-token>`; JSON or form body).
- `POST /v2/texml/Accounts/{account_sid}/Calls/{call_sid}`: redirect a live call (`Url` with
  `Method`, or `Texml`) or end it (`Status=completed`); `GET` the same path: the call resource.
- `GET /healthz`: 200 when the store answers, else 503. `GET /metrics`: counters (JSON).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from texml.runtime import CallSession
from texml.runtime.effects import Effect
from texml.serve.client import CallControlClient
from texml.serve.config import CALLBACK_EVENTS, ServeConfig
from texml.serve.engine import REPLAY_TTL, Engine, OutboundCall, http_client, seen_key
from texml.serve.metrics import Metrics, webhook_arrival
from texml.serve.outgoing import RequestSigner
from texml.serve.signature import SignatureError, WebhookVerifier
from texml.serve.store import Store, open_store

log = logging.getLogger("texml.serve")

MAX_WEBHOOK_BYTES = 1_000_000  # Call Control's are a few KB
API_VERSION = "2010-04-01"


class ServeApp(FastAPI):
    """The FastAPI app, with `POST /webhooks` taken before FastAPI sees it.

    Webhooks are nearly all of the traffic, and they need none of what FastAPI adds per request
    (routing, dependencies, middleware layers: about a fifth of the time a webhook took), so
    they go straight from uvicorn to `webhook(raw, headers, peer)`. Their body is bounded
    (`MAX_WEBHOOK_BYTES`, else 413), and an unexpected error is logged and answered 500, as
    FastAPI would. Every other request goes through FastAPI as usual."""

    webhook: Callable[[bytes, Mapping[str, str], str | None], Awaitable[tuple[int, dict[str, Any]]]]

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/webhooks":
            if scope["method"] == "POST":
                await self._webhook(scope, receive, send)
            else:
                await _reply(send, 405, {"error": "method", "detail": "webhooks are POSTed"},
                             [(b"allow", b"POST")])  # fmt: skip
        else:
            await super().__call__(scope, receive, send)

    async def _webhook(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        webhook_arrival.set(time.perf_counter())  # this request's own context (its own task)
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > MAX_WEBHOOK_BYTES:
                status, reply = 413, {"error": "too_large",
                                      "detail": f"a webhook is at most {MAX_WEBHOOK_BYTES} bytes"}
                break
            if not message.get("more_body"):
                headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
                client = scope.get("client")
                try:
                    status, reply = await self.webhook(bytes(body), headers, client[0] if client else None)
                except Exception:  # noqa: BLE001 - as FastAPI would: logged, answered 500
                    log.exception("webhook failed")
                    status, reply = 500, {"error": "internal", "detail": "the webhook could not be handled"}
                break
        await _reply(send, status, reply)


async def _reply(send: Any, status: int, reply: dict[str, Any],
                 headers: list[tuple[bytes, bytes]] | None = None) -> None:  # fmt: skip
    payload = orjson.dumps(reply)
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
        *(headers or [])]})  # fmt: skip
    await send({"type": "http.response.body", "body": payload})


def create_app(config: ServeConfig, *, store: Store | None = None,
               call_control_transport: httpx.AsyncBaseTransport | None = None,
               app_transport: httpx.AsyncBaseTransport | None = None,
               clock: Callable[[], float] = time.time) -> FastAPI:  # fmt: skip
    """The app; the store, clients and timer loop live for the app's lifespan. `store` and the
    transports replace the configured ones (tests)."""
    metrics = Metrics()
    verifier = None
    if config.public_key:
        verifier = WebhookVerifier(config.public_key, clock=clock)
    elif not config.insecure_skip_verification:
        raise ValueError("no public key: webhooks cannot be verified (insecure_skip_verification "
                         "must be asked for explicitly)")  # fmt: skip
    services: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        the_store = store or open_store(config.store)

        def retried(path: str, attempt: int, why: str) -> None:
            metrics.command_retries += 1
            log.info("command retried", extra={"path": path, "attempt": attempt, "detail": why})

        client = CallControlClient(config.api_base, config.api_key,
                                   transport=call_control_transport, on_retry=retried)  # fmt: skip
        http = http_client(app_transport, signer=RequestSigner(config.signing_key, config.twilio_auth_token))
        engine = Engine(config, the_store, client, http, metrics=metrics, clock=clock)
        services.update(store=the_store, engine=engine)
        timers = asyncio.create_task(engine.run_timers())
        try:
            yield
        finally:
            timers.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timers
            await engine.drain()
            await client.close()
            await http.aclose()
            await the_store.close()

    app = ServeApp(title="texml serve", lifespan=lifespan, docs_url=None, redoc_url=None,
                   openapi_url=None)  # fmt: skip
    app.state.metrics = metrics
    app.state.services = services

    # --- webhooks --------------------------------------------------------------------------------

    async def webhook(raw: bytes, headers: Mapping[str, str], peer: str | None) -> tuple[int, dict[str, Any]]:
        """One webhook: (HTTP status, JSON reply)."""
        if verifier is not None:
            try:
                verifier.verify(raw, headers)
            except SignatureError as exc:
                metrics.webhooks_rejected += 1
                log.warning("webhook rejected", extra={"reason": exc.reason, "detail": str(exc),
                                                       "peer": peer})  # fmt: skip
                return 401, {"error": exc.reason, "detail": str(exc)}
        try:
            envelope = orjson.loads(raw)
            data = envelope["data"]
            event_type = data["event_type"]
            if not isinstance(event_type, str) or not isinstance(data.get("payload", {}), dict):
                raise TypeError("bad event")
        except (ValueError, KeyError, TypeError):
            metrics.webhooks_rejected += 1
            return 400, {"error": "malformed", "detail": "the body is not a Call Control webhook envelope"}
        store: Store = services["store"]
        engine: Engine = services["engine"]
        event_id = data.get("id")
        seen = seen_key(event_id) if isinstance(event_id, str) and event_id else None
        try:
            outcome = await engine.webhook(envelope)
        except TimeoutError:
            return 503, {"error": "busy", "detail": "the call stayed locked; deliver the webhook again"}
        if log.isEnabledFor(logging.DEBUG):
            log.debug("webhook", extra={"event": event_id, "event_type": event_type, "outcome": outcome,
                                        "call": data.get("payload", {}).get("call_control_id")})  # fmt: skip
        if outcome == "duplicate":  # its call has handled this event already
            return _replayed(metrics, event_id, event_type)
        if outcome == "ignored":
            # No call here: a replay of an event handled before (its call since ended), or an
            # event of a call that is not ours.
            if seen is not None and not await store.first_seen(seen, REPLAY_TTL):
                return _replayed(metrics, event_id, event_type)
            metrics.webhooks_ignored += 1
            log.info("webhook for no known call", extra={"event_type": event_type, "event": event_id})
            return 200, {"status": "ignored"}
        metrics.webhooks += 1
        return 200, {"status": "ok"}

    app.webhook = webhook

    # --- the TeXML REST API ----------------------------------------------------------------------

    def refused(request: Request, account_sid: str) -> Response | None:
        if not config.rest_token:
            return _errors(403, "10010", "REST API disabled", "start texml serve with --rest-token")
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(),
                                                                 config.rest_token.encode()):  # fmt: skip
            return _errors(401, "10009", "Authentication failed", "give Authorization: Bearer <token>")
        if account_sid != config.account_sid:
            return _errors(404, "10005", "Resource not found", f"no account {account_sid!r}")
        return None

    @app.post("/v2/texml/Accounts/{account_sid}/Calls")
    async def new_call(account_sid: str, request: Request) -> Response:
        problem = refused(request, account_sid)
        if problem is not None:
            return problem
        try:
            form = await _form(request)
            call = _outbound_call(form, config)
        except ValueError as exc:
            return _errors(422, "10015", "Invalid call", str(exc))
        engine: Engine = services["engine"]
        try:
            handled = await engine.outbound(call)
        except ValueError as exc:
            return _errors(422, "10015", "Invalid call", str(exc))
        session = handled.session
        if session.over:
            detail = "; ".join(handled.diagnostics) or "the call could not be placed"
            return _errors(502, "90000", "Call not placed", detail)
        reply = JSONResponse(call_resource(session, config, time.time(), status="queued"))
        unapplied = sorted(set(form) - _CREATE_FIELDS)
        if unapplied:  # never silently: said in the log and in a header of the reply
            log.warning("REST fields not applied", extra={"call": session.call_control_id,
                                                          "fields": unapplied})  # fmt: skip
            reply.headers[UNAPPLIED_HEADER] = ", ".join(unapplied)
        return reply

    @app.post("/v2/texml/Accounts/{account_sid}/Calls/{call_sid}")
    async def update_call(account_sid: str, call_sid: str, request: Request) -> Response:
        problem = refused(request, account_sid)
        if problem is not None:
            return problem
        call_sid = call_sid.removesuffix(".json")
        try:
            form = await _form(request)
            feed = _update(form)
        except ValueError as exc:
            return _errors(422, "10015", "Invalid update", str(exc))
        live: list[bool] = []

        def guarded(session: CallSession, now: float) -> list[Effect]:
            live.append(session.live)
            return feed(session, now) if session.live else []

        engine: Engine = services["engine"]
        try:
            handled = await engine.update(call_sid, guarded)
        except TimeoutError:
            return _errors(503, "90001", "Busy", "the call stayed locked; try again")
        if handled is None:
            return _errors(404, "10005", "Resource not found", f"no call {call_sid!r}")
        if not live[0]:
            return _errors(409, "90018", "Call has already ended",
                           f"call {call_sid} is not in progress: it cannot be changed")  # fmt: skip
        return JSONResponse(call_resource(handled.session, config, time.time()))

    @app.get("/v2/texml/Accounts/{account_sid}/Calls/{call_sid}")
    async def get_call(account_sid: str, call_sid: str, request: Request) -> Response:
        problem = refused(request, account_sid)
        if problem is not None:
            return problem
        engine: Engine = services["engine"]
        session = await engine.peek(call_sid.removesuffix(".json"))
        if session is None:
            return _errors(404, "10005", "Resource not found", f"no call {call_sid!r}")
        return JSONResponse(call_resource(session, config, time.time()))

    # --- operations ------------------------------------------------------------------------------

    @app.get("/healthz")
    async def healthz() -> Response:
        try:
            calls = await asyncio.wait_for(services["store"].active_calls(), 2.0)
        except Exception as exc:  # noqa: BLE001 - any store failure is "unhealthy"
            return JSONResponse({"status": "unavailable", "detail": f"store: {exc}"}, status_code=503)
        return JSONResponse({"status": "ok", "active_calls": calls})

    @app.get("/metrics")
    async def get_metrics() -> Response:
        try:
            calls: int | None = await asyncio.wait_for(services["store"].active_calls(), 2.0)
        except Exception:  # noqa: BLE001
            calls = None
        return JSONResponse(metrics.snapshot(calls))

    return app


# --- REST bodies ---------------------------------------------------------------------------------


async def _form(request: Request) -> dict[str, Any]:
    """The body as a dict: JSON object, or form-encoded (the last of repeated keys, except
    StatusCallbackEvent, whose values are joined)."""
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or (not kind and raw.strip().startswith(b"{")):
        try:
            body = json.loads(raw or b"{}")
        except ValueError as exc:
            raise ValueError(f"the body is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body
    form: dict[str, Any] = {}
    for key, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
        if key == "StatusCallbackEvent" and key in form:
            form[key] = f"{form[key]} {value}"
        else:
            form[key] = value
    return form


def _text(form: Mapping[str, Any], key: str) -> str | None:
    value = form.get(key)
    if value is None or value == "":
        return None
    return str(value)


def _method(value: str | None, what: str, default: str) -> str:
    method = (value or default).upper()
    if method not in ("GET", "POST"):
        raise ValueError(f"{what} {value!r}: use GET or POST")
    return method


def _url(value: str | None, what: str) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError(f"{what} {value!r}: give an http(s) URL")
    return value


def _bool(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


def _int(form: Mapping[str, Any], key: str, low: int, high: int) -> int | None:
    value = _text(form, key)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{key} {value!r}: a whole number") from None
    if not low <= number <= high:
        raise ValueError(f"{key} {number}: must be {low}-{high}")
    return number


# The create-call fields texml applies (texml-platform.md §5.2); any other is reported.
_CREATE_FIELDS = frozenset({
    "To", "From", "Url", "UrlMethod", "Method", "Texml", "FallbackUrl", "FallbackMethod",
    "StatusCallback", "StatusCallbackEvent", "StatusCallbackMethod", "Timeout", "TimeLimit",
    "CallerId", "SipAuthUsername", "SipAuthPassword", "Record", "RecordingChannels",
    "MachineDetection", "DetectionMode", "MachineDetectionTimeout", "AsyncAmd",
    "AsyncAmdStatusCallback", "AsyncAmdStatusCallbackMethod",
    "MachineDetectionSpeechThreshold", "MachineDetectionSpeechEndThreshold",
    "MachineDetectionSilenceTimeout",
})
UNAPPLIED_HEADER = "Texml-Unapplied-Fields"

_AMD_MODES = {"Enable": "detect", "DetectMessageEnd": "greeting_end"}
_AMD_TUNING = {
    "MachineDetectionSpeechThreshold": "greeting_duration_millis",
    "MachineDetectionSpeechEndThreshold": "after_greeting_silence_millis",
    "MachineDetectionSilenceTimeout": "initial_silence_millis",
}


def _outbound_call(form: Mapping[str, Any], config: ServeConfig) -> OutboundCall:
    """The initiate-call body (texml-platform.md §5.2) as an `OutboundCall`."""
    to, from_ = _text(form, "To"), _text(form, "From")
    if not to or not from_:
        raise ValueError("To and From are required")
    texml = _text(form, "Texml")
    url = _url(_text(form, "Url"), "Url")
    if texml is None and url is None and not config.voice_url:
        raise ValueError("give Url or Texml (texml serve has no --voice-url to fall back on)")
    method = _method(_text(form, "UrlMethod") or _text(form, "Method"), "UrlMethod", config.voice_method)
    events = None
    raw_events = form.get("StatusCallbackEvent")
    if raw_events:
        items = raw_events if isinstance(raw_events, list) else str(raw_events).replace(",", " ").split()
        events = frozenset(str(e).lower() for e in items)
        unknown = sorted(events - set(CALLBACK_EVENTS))
        if unknown:
            raise ValueError(f"StatusCallbackEvent: unknown {', '.join(unknown)}; use "
                             f"{' '.join(CALLBACK_EVENTS)}")  # fmt: skip
    dial: dict[str, Any] = {}
    timeout = _int(form, "Timeout", 5, 600)
    if timeout is not None:
        dial["timeout_secs"] = timeout
    limit = _int(form, "TimeLimit", 30, 14400)
    if limit is not None:
        dial["time_limit_secs"] = limit
    if _text(form, "CallerId"):
        dial["from_display_name"] = _text(form, "CallerId")
    for key, field_ in (("SipAuthUsername", "sip_auth_username"), ("SipAuthPassword", "sip_auth_password")):
        if _text(form, key):
            dial[field_] = _text(form, key)
    if _bool(form.get("Record")):
        dial["record"] = "record-from-answer"
        if _text(form, "RecordingChannels") == "dual":
            dial["record_channels"] = "dual"
    amd, amd_timeout = None, 30.0
    async_amd: str | None = None
    async_amd_callback: tuple[str, str] | None = None
    detection = _text(form, "MachineDetection") or "Disable"
    if detection not in ("Enable", "DetectMessageEnd", "Disable"):
        raise ValueError(f"MachineDetection {detection!r}: Enable, DetectMessageEnd or Disable")
    if detection != "Disable":
        mode = _text(form, "DetectionMode") or "Regular"
        if mode not in ("Regular", "Premium", "PremiumCallScreening"):
            raise ValueError(f"DetectionMode {mode!r}: Regular, Premium or PremiumCallScreening")
        dial["answering_machine_detection"] = {
            "Premium": "premium", "PremiumCallScreening": "premium_ios_call_screening_detection",
        }.get(mode, _AMD_MODES[detection])  # fmt: skip
        tuning: dict[str, int] = {}
        total = _int(form, "MachineDetectionTimeout", 500, 60000)
        if total is not None:
            tuning["total_analysis_time_millis"] = total
            amd_timeout = total / 1000
        for key, field_ in _AMD_TUNING.items():
            value = _int(form, key, 0, 60000)
            if value is not None:
                tuning[field_] = value
        if tuning:
            dial["answering_machine_detection_config"] = tuning
        if not _bool(form.get("AsyncAmd")):  # synchronous: the document waits for the verdict
            amd = _AMD_MODES[detection]
        else:  # beside the document; the verdict goes to AsyncAmdStatusCallback
            async_amd = _AMD_MODES[detection]
            callback = _url(_text(form, "AsyncAmdStatusCallback"), "AsyncAmdStatusCallback")
            if callback is not None:
                async_amd_callback = (callback, _method(_text(form, "AsyncAmdStatusCallbackMethod"),
                                                        "AsyncAmdStatusCallbackMethod", "POST"))  # fmt: skip
    return OutboundCall(
        to=to, from_=from_, url=url, method=method, texml=texml,
        fallback_url=_url(_text(form, "FallbackUrl"), "FallbackUrl"),
        fallback_method=_method(_text(form, "FallbackMethod"), "FallbackMethod", "POST"),
        status_callback=_url(_text(form, "StatusCallback"), "StatusCallback"),
        status_callback_method=(_method(_text(form, "StatusCallbackMethod"), "StatusCallbackMethod", "POST")
                                if _text(form, "StatusCallbackMethod") else None),
        status_callback_events=events, dial=dial, amd=amd, amd_timeout=amd_timeout,
        async_amd=async_amd, async_amd_callback=async_amd_callback,
    )  # fmt: skip


def _update(form: Mapping[str, Any]) -> Callable[[CallSession, float], list[Effect]]:
    """The update-call body (§5.3) as a session input."""
    status = _text(form, "Status")
    url = _url(_text(form, "Url"), "Url")
    texml = _text(form, "Texml")
    method = _method(_text(form, "Method"), "Method", "POST")
    changes: dict[str, Any] = {}
    for key, field_ in (("FallbackUrl", "fallback_url"), ("StatusCallback", "status_callback")):
        value = _url(_text(form, key), key)
        if value is not None:
            changes[field_] = value
    for key, field_ in (("StatusCallbackMethod", "status_callback_method"),
                        ("FallbackMethod", "fallback_method")):  # fmt: skip
        if _text(form, key):
            changes[field_] = _method(_text(form, key), key, "POST")
    if status is not None and status not in ("completed", "canceled"):
        raise ValueError(f"Status {status!r}: only completed (or canceled) ends a call")
    if status is None and url is None and texml is None and not changes:
        raise ValueError("give Url, Texml or Status=completed")

    def feed(session: CallSession, now: float) -> list[Effect]:
        if changes:
            session.config = dataclasses.replace(session.config, **changes)
        if status is not None:
            return session.on_hangup_request(now)
        if texml is not None:
            return session.on_inline(texml, now)
        if url is not None:
            return session.on_redirect(url, method, now)  # type: ignore[arg-type]
        return []

    return feed


def call_resource(session: CallSession, config: ServeConfig, now: float,
                  status: str | None = None) -> dict[str, Any]:  # fmt: skip
    """The call as the TeXML REST API shows it (texml-platform.md §5.3)."""
    if session.over:
        current = session.end_status or "completed"
    elif session.dial_token:
        current = "queued"
    elif session.answered:
        current = "in-progress"
    else:
        current = "ringing"
    sid = session.call_control_id
    end = session.ended_at if session.over else None
    duration = None
    if session.over and session.answered_at is not None and end is not None:
        duration = str(max(0, int(round(end - session.answered_at))))
    return {
        "account_sid": config.account_sid,
        "api_version": API_VERSION,
        "sid": sid,
        "call_sid": sid,
        "from": session.from_,
        "from_formatted": session.from_,
        "to": session.to,
        "to_formatted": session.to,
        "caller_name": None,
        "status": status or current,
        "direction": "inbound" if session.direction == "inbound" else "outbound-api",
        "answered_by": session.answered_by,
        "date_created": _rfc2822(session.started_at),
        "date_updated": _rfc2822(now),
        "start_time": _rfc2822(session.answered_at or session.started_at),
        "end_time": _rfc2822(end),
        "duration": duration,
        "price": None,
        "price_unit": None,
        "uri": f"/v2/texml/Accounts/{config.account_sid}/Calls/{sid}.json",
    }


def _rfc2822(seconds: float | None) -> str | None:
    if not seconds:
        return None
    return format_datetime(datetime.fromtimestamp(seconds, UTC))


# --- replies -------------------------------------------------------------------------------------


def _replayed(metrics: Metrics, event_id: Any, event_type: str) -> tuple[int, dict[str, Any]]:
    """An event already handled: nothing changes, and the answer is 200 so that Telnyx, whose
    own retries are the usual duplicates, stops delivering it (any other status is retried)."""
    metrics.webhooks_replayed += 1
    log.warning("webhook replayed", extra={"event": event_id, "event_type": event_type})
    return 200, {"status": "duplicate", "detail": f"event {event_id} was handled before: ignored"}


def _errors(status: int, code: str, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"errors": [{"code": code, "title": title, "detail": detail}]},
                        status_code=status)  # fmt: skip


__all__ = ["call_resource", "create_app"]
