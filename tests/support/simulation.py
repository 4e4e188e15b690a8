"""Helpers for driving `texml.sim.Simulator` in tests: step the clock, check every webhook.

Every envelope that passes through `step`/`run_until` is validated against the official SDK
(`validate_webhook`), so any test that drives the simulator also checks its webhooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.telnyx_schema import validate_command, validate_webhook
from texml.sim import Simulator

Envelope = dict[str, Any]


def run_until(sim: Simulator, until: float | None = None, *,
              react: Callable[[Envelope], None] | None = None) -> list[Envelope]:  # fmt: skip
    """Advance event by event (as a driver does) up to `until`, or until nothing is pending
    (at most a day of virtual time). `react` sees each webhook before the clock moves on."""
    limit = 86400.0 if until is None else until
    seen: list[Envelope] = []
    while True:
        at = sim.next_time()
        if at is None or at > limit:
            break
        for envelope in sim.advance(at):
            validate_webhook(envelope)
            seen.append(envelope)
            if react is not None:
                react(envelope)
    if until is not None:
        for envelope in sim.advance(until):
            validate_webhook(envelope)
            seen.append(envelope)
    return seen


def command(sim: Simulator, method: str, path: str, body: dict[str, Any] | None = None,
            *, expect: int = 200) -> dict[str, Any]:  # fmt: skip
    """Send a command the SDK would accept (checked first) and return the reply's `data`."""
    validate_command(method, path, body if method != "GET" else body or None)
    status, reply = sim.command(method, path, body)
    assert status == expect, (status, reply)
    return reply.get("data", reply) if expect == 200 else reply


def act(sim: Simulator, call_id: str, action: str, body: dict[str, Any] | None = None,
        *, expect: int = 200) -> dict[str, Any]:  # fmt: skip
    return command(sim, "POST", f"/calls/{call_id}/actions/{action}", body or {}, expect=expect)


def types(envelopes: list[Envelope]) -> list[str]:
    return [e["data"]["event_type"] for e in envelopes]


def of(envelopes: list[Envelope], event_type: str, call_id: str | None = None
       ) -> list[dict[str, Any]]:  # fmt: skip
    """The payloads of one event type (about one call, if given)."""
    return [
        e["data"]["payload"] for e in envelopes
        if e["data"]["event_type"] == event_type
        and (call_id is None or e["data"]["payload"].get("call_control_id") == call_id)
    ]  # fmt: skip


def timed(envelopes: list[Envelope], sim: Simulator) -> list[tuple[float, str]]:
    """(seconds since the clock's start, event type), from each envelope's time."""
    from datetime import datetime

    out = []
    for e in envelopes:
        data = e["data"]
        when = data.get("occurred_at") or data["payload"].get("occurred_at")
        t = datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp() - sim.clock.start
        out.append((round(t, 3), data["event_type"]))
    return out


def answered_call(sim: Simulator, inputs: list[str] | None = None,
                  dial: dict[str, Any] | None = None) -> str:  # fmt: skip
    """An inbound call, answered, its first webhooks consumed."""
    call_id = sim.start_inbound_call(caller=inputs or [], dial=dial)
    act(sim, call_id, "answer", {"client_state": "c3RhdGU="})
    run_until(sim, sim.now)
    return call_id
