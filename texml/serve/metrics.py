"""Counters of `texml serve`, shown at `GET /metrics` (plain JSON) with the active calls, and
how long webhooks take to turn into commands."""

from __future__ import annotations

import contextvars
import dataclasses
import time
from collections import deque
from dataclasses import dataclass, field

LATENCY_SAMPLES = 10_000  # the latest "webhook received -> command sent" times kept

# When the webhook being handled arrived (perf_counter), for the commands it causes.
webhook_arrival: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "webhook_arrival", default=None)


@dataclass
class Metrics:
    """Counts since the process started. Plain integers: one event loop updates them."""

    webhooks: int = 0  # verified and fed to a call
    webhooks_rejected: int = 0  # bad or missing signature, stale, malformed
    webhooks_replayed: int = 0  # an event already handled
    webhooks_ignored: int = 0  # about no call this server knows (ended, or not ours)
    commands: int = 0  # Call Control commands sent (once each, however many attempts)
    command_retries: int = 0  # attempts after the first
    command_failures: int = 0  # final 4xx, or no reply within the retry bound
    fetches: int = 0  # documents requested from the application
    fetch_errors: int = 0  # no reply, or not 2xx
    callbacks: int = 0  # status callbacks sent
    callback_errors: int = 0
    timers_fired: int = 0
    calls_started: int = 0
    calls_ended: int = 0
    started_at: float = field(default_factory=time.time)
    # Seconds from a webhook's arrival to each command it caused being sent (first attempt).
    reactions: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))

    def command_sent(self) -> None:
        """A command goes out: if a webhook caused it, how long after its arrival."""
        arrived = webhook_arrival.get()
        if arrived is not None:
            self.reactions.append(time.perf_counter() - arrived)

    def snapshot(self, active_calls: int | None) -> dict[str, float | int | None]:
        out: dict[str, float | int | None] = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self)
            if f.name not in ("started_at", "reactions")
        }  # fmt: skip
        out["active_calls"] = active_calls
        times = sorted(self.reactions)
        for name, p in (("p50", 0.5), ("p99", 0.99)):
            at = times[min(len(times) - 1, int(p * len(times)))] if times else None
            out[f"webhook_to_command_{name}_ms"] = None if at is None else round(at * 1000, 3)
        out["uptime_s"] = round(time.time() - self.started_at, 3)
        return out


__all__ = ["LATENCY_SAMPLES", "Metrics", "webhook_arrival"]
