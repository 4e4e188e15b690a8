"""<Pause> -> a timer, no command (texml-verbs-core.md §3)."""

from __future__ import annotations

import itertools

import texml
from compiler import CallContext, CancelTimer, Done, SetTimer, TimerFired, Webhook, compile_verb
from compiler.pause import PauseStep

CALL = "v3:call-1"


def step_for(xml: str) -> PauseStep:
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    ids = itertools.count(1)
    ctx = CallContext(CALL, "conn-1", "+15550001111", "+15550002222", "c3RhdGU=",
                      new_id=lambda: f"id-{next(ids)}")  # fmt: skip
    step = compile_verb(doc.verbs[0], ctx)
    assert isinstance(step, PauseStep)
    return step


def test_pause_waits_length_seconds() -> None:
    step = step_for('<Pause length="7"/>')
    assert step.start() == [SetTimer("pause", 7)]
    assert step.plan() == []
    assert step.on_event(TimerFired("other")) == []
    assert not step.done
    assert step.on_event(TimerFired("pause")) == [Done()]


def test_default_length_is_one_second() -> None:
    assert step_for("<Pause/>").start() == [SetTimer("pause", 1)]


def test_hangup_during_pause_ends_the_call_and_drops_the_timer() -> None:
    step = step_for("<Pause/>")
    step.start()
    assert step.on_event(Webhook("call.hangup", {"call_control_id": CALL})) == [
        CancelTimer("pause"), Done(end=True, outcome="hangup"),
    ]  # fmt: skip
