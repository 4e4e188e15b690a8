"""The interface between the simulator's kernel and its parts (media, rooms, services).

A component serves some commands and hears about what happens to calls: answered, a key
pressed, words said, hanging up. The kernel (`texml.sim.core`) calls every component's hook in
turn, so a part never needs to know about the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from texml.sim.core import Call, Simulator
    from texml.sim.schema import Route

CallHandler = Callable[["Call", dict[str, Any]], "dict[str, Any] | None"]
Handler = Callable[[dict[str, str], dict[str, Any]], "tuple[int, dict[str, Any]]"]


class Component:
    """A part of the simulator (media, rooms, services): the commands it serves and what it
    does when calls are answered or end. Every hook has a do-nothing default."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def actions(self) -> dict[str, CallHandler]:
        """Call commands it serves: `/calls/{id}/actions/<name>` -> handler(call, body)."""
        return {}

    def endpoints(self) -> dict[Route, Handler]:
        """Other endpoints it serves: route -> handler(path values, body)."""
        return {}

    def heard_digit(self, call: Call, key: str) -> None:
        """The person on `call` pressed `key` (after its call.dtmf.received)."""

    def heard_speech(self, call: Call, text: str, seconds: float) -> None:
        """The person on `call` starts saying `text`, which takes `seconds`."""

    def heard_talk(self, call: Call, seconds: float) -> None:
        """The person on `call` starts talking, without recognisable words, for `seconds`."""

    def call_answered(self, call: Call) -> None:
        """`call` has just been answered (after its call.answered)."""

    def call_ending(self, call: Call) -> None:
        """`call` is hanging up: report what it was doing (before its call.hangup)."""

    def call_ended(self, call: Call) -> None:
        """`call` has hung up (after its call.hangup): report what outlives it."""


__all__ = ["CallHandler", "Component", "Handler"]
