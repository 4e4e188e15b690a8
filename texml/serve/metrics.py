"""Counters of `texml serve`, shown at `GET /metrics` (plain JSON) with the active calls."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field


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

    def snapshot(self, active_calls: int | None) -> dict[str, float | int | None]:
        out: dict[str, float | int | None] = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "started_at"
        }
        out["active_calls"] = active_calls
        out["uptime_s"] = round(time.time() - self.started_at, 3)
        return out


__all__ = ["Metrics"]
