"""`<Pause>` -> no command: a timer of `length` seconds in the call's own time."""

from __future__ import annotations

from compiler.step import CancelTimer, Done, Effect, Event, SetTimer, Step, TimerFired
from verbs import Pause

TIMER = "pause"


class PauseStep(Step[Pause]):
    def start(self) -> list[Effect]:
        return [SetTimer(TIMER, self.verb.length)]

    def on_event(self, event: Event) -> list[Effect]:
        if isinstance(event, TimerFired) and event.name == TIMER:
            return self.finish(Done())
        effects = super().on_event(event)
        if self.done:  # the call hung up: the timer has nothing left to end
            return [CancelTimer(TIMER), *effects]
        return effects
