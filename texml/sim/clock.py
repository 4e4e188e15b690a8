"""The simulator's virtual clock: a time and a queue of things due at later times.

Nothing in the simulator reads the wall clock. Time moves only when the owner calls
`run_until`; everything due by then runs in time order (ties in the order they were
scheduled), each at its own time. That is what makes a dry run of a ten-minute call take
milliseconds and give the same trace every time. The standalone server moves the same clock
from the wall clock (`texml.sim.server`).

Times are seconds on the simulator's clock (Unix seconds when the clock starts at a real
time, which is what `occurred_at` in webhooks is made from).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(eq=False)
class Timer:
    """Something scheduled: `action` runs at `at` unless cancelled first."""

    at: float
    action: Callable[[], None]
    name: str = ""
    cancelled: bool = field(default=False)

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    def __init__(self, start: float = 0.0) -> None:
        self.start = float(start)
        self.now = float(start)
        self._queue: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()

    def at(self, when: float, action: Callable[[], None], name: str = "") -> Timer:
        """Run `action` at `when` (never in the past: a late time means now)."""
        timer = Timer(max(when, self.now), action, name)
        heapq.heappush(self._queue, (timer.at, next(self._order), timer))
        return timer

    def after(self, seconds: float, action: Callable[[], None], name: str = "") -> Timer:
        return self.at(self.now + max(0.0, seconds), action, name)

    def next_time(self) -> float | None:
        """When the next live timer is due, or None when nothing is scheduled."""
        while self._queue and self._queue[0][2].cancelled:
            heapq.heappop(self._queue)
        return self._queue[0][0] if self._queue else None

    def run_next(self, until: float) -> bool:
        """Run the next timer due by `until` (moving the clock to it); False when none is."""
        when = self.next_time()
        if when is None or when > until:
            return False
        _, _, timer = heapq.heappop(self._queue)
        self.now = max(self.now, when)
        timer.cancelled = True  # it has run: cancelling it later is harmless
        timer.action()
        return True

    def move_to(self, when: float) -> None:
        """Move the clock forward to `when` (it never goes back)."""
        self.now = max(self.now, when)

    def iso(self, when: float | None = None) -> str:
        """A clock time as Telnyx writes it: ISO 8601, UTC, microseconds, `Z`."""
        t = self.now if when is None else when
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


__all__ = ["Clock", "Timer"]
