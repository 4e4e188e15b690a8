"""Answering machine detection and the call services that run beside a flow.

AMD (a dial's `answering_machine_detection`), measured from the answer:
- a person: the verdict after 1.5 s (`human`; premium: `human_residence`);
- a machine (dial outcome `machine`): `machine` after 2.5 s; then, for `detect_beep`,
  `greeting_end` and the premium modes, the greeting ends with a beep at 8 s;
- a verdict later than `total_analysis_time_millis` is `not_sure` at that time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from texml.sim.component import CallHandler, Component

if TYPE_CHECKING:
    from texml.sim.core import Call

HUMAN_SECONDS = 1.5
MACHINE_SECONDS = 2.5
BEEP_SECONDS = 8.0
_GREETING_MODES = frozenset({"detect_beep", "greeting_end", "premium",
                             "premium_ios_call_screening_detection"})  # fmt: skip


class Services(Component):
    def actions(self) -> dict[str, CallHandler]:
        return {}

    # --- answering machine detection ---------------------------------------------------------

    def call_answered(self, call: Call) -> None:
        mode = call.dial.get("answering_machine_detection")
        if call.direction != "outgoing" or mode in (None, "disabled"):
            return
        machine = call.outcome is not None and call.outcome.kind == "machine"
        premium = str(mode).startswith("premium")
        config = call.dial.get("answering_machine_detection_config") or {}
        limit = config.get("total_analysis_time_millis")
        limit_s = limit / 1000 if isinstance(limit, int) and limit > 0 else None
        at = MACHINE_SECONDS if machine else HUMAN_SECONDS
        if premium:
            verdict = "machine" if machine else "human_residence"
            event = "call.machine.premium.detection.ended"
        else:
            verdict = "machine" if machine else "human"
            event = "call.machine.detection.ended"
        if limit_s is not None and at > limit_s:
            at, verdict = limit_s, "not_sure"
        sim = self.sim
        sim.at(call, at, lambda: sim.emit(event, call, {"result": verdict}), "amd")
        if machine and mode in _GREETING_MODES and verdict == "machine":
            greeting = "call.machine.premium.greeting.ended" if premium else \
                "call.machine.greeting.ended"  # fmt: skip
            sim.at(call, BEEP_SECONDS, lambda: sim.emit(greeting, call, {"result": "beep_detected"}),
                   "amd-greeting")  # fmt: skip

    # --- streaming (answer's stream_url) -----------------------------------------------------

    def start_stream(self, call: Call, body: dict[str, Any]) -> None:
        return None
