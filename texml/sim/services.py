"""Answering machine detection, REFER, and the services that run beside a call.

AMD (a dial's `answering_machine_detection`), measured from the answer:
- a person: the verdict after 1.5 s (`human`; premium: `human_residence`);
- a machine (dial outcome `machine`): `machine` after 2.5 s; then, for `detect_beep`,
  `greeting_end` and the premium modes, the greeting ends with a beep at 8 s;
- a verdict later than `total_analysis_time_millis` is `not_sure` at that time.

REFER: the `sip_address` is looked up in the call's dial plan like a dialled number.
`answered`/`machine`: `call.refer.started` (NOTIFY 100) at once, `call.refer.completed`
(NOTIFY 200) when it answers, and the referred call leaves us a second later (`call.hangup`).
`busy`: `call.refer.failed` with 486; `no-answer`: 480 after 30 s; `failed`: 404 at once.

Streams (`streaming_start`): `streaming.started` at once; the far end closes the WebSocket
after 30 s, or after `#<seconds>s` at the end of `stream_url` (`#0s`: never), or it fails
(`streaming.failed`) when the URL ends `#fail`. `streaming_stop` stops one (`stream_id`) or
all. SIPREC: `siprec.started`, `siprec.stopped` on stop or hang-up. Noise suppression, forking,
SIP INFO and supervisor roles are accepted (forking reports `call.fork.*`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from texml.sim.component import CallHandler, Component
from texml.sim.errors import invalid, wrong_state
from texml.sim.script import outcome_for

if TYPE_CHECKING:
    from texml.sim.clock import Timer
    from texml.sim.core import Call

HUMAN_SECONDS = 1.5
MACHINE_SECONDS = 2.5
BEEP_SECONDS = 8.0
REFER_NO_ANSWER_SECONDS = 30.0
SERVICE_SECONDS = 30.0  # how long the far end of a stream keeps it open, by default
_GREETING_MODES = frozenset({"detect_beep", "greeting_end", "premium",
                             "premium_ios_call_screening_detection"})  # fmt: skip
_LENGTH = re.compile(r"#(\d+(?:\.\d+)?)s$")


def service_seconds(url: str) -> float | None:
    """How long the far end of a URL keeps a stream or relay open (None: until stopped)."""
    hit = _LENGTH.search(url)
    if hit is None:
        return SERVICE_SECONDS
    seconds = float(hit.group(1))
    return seconds if seconds > 0 else None


@dataclass(eq=False)
class Stream:
    id: str
    url: str
    track: str
    timer: Timer | None = None


class Services(Component):
    def __init__(self, sim: Any) -> None:
        super().__init__(sim)
        self.streams: dict[str, list[Stream]] = {}  # by call id
        self.siprec: set[str] = set()  # calls with a SIPREC session
        self.suppressed: set[str] = set()
        self.forking: set[str] = set()

    def actions(self) -> dict[str, CallHandler]:
        return {
            "refer": self._refer, "streaming_start": self._streaming_start,
            "streaming_stop": self._streaming_stop, "siprec_start": self._siprec_start,
            "siprec_stop": self._siprec_stop, "suppression_start": self._suppression_start,
            "suppression_stop": self._suppression_stop, "fork_start": self._fork_start,
            "fork_stop": self._fork_stop, "send_sip_info": self._accept,
            "switch_supervisor_role": self._accept,
        }  # fmt: skip

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
            beep = {"result": "beep_detected"}
            sim.at(call, BEEP_SECONDS, lambda: sim.emit(greeting, call, beep), "amd-greeting")

    # --- refer -------------------------------------------------------------------------------

    def _refer(self, call: Call, body: dict[str, Any]) -> None:
        if not call.answered:
            raise wrong_state(f"refer: {call.id} has not been answered yet")
        target = str(body["sip_address"])
        if not target.lower().startswith(("sip:", "sips:")):
            raise invalid(f"'sip_address' is {target!r}: give a SIP URI (sip:user@host)",
                          "sip_address")  # fmt: skip
        sim = self.sim
        outcome = outcome_for(call.dial_plan or sim.dial_plan, target)
        sim.note(call, "dial", to=target, outcome=outcome.describe(), refer=True)

        def notify(event: str, code: int) -> None:
            sim.emit(event, call, {"sip_notify_response": code})

        if outcome.kind == "failed":
            sim.at(call, 0.5, lambda: notify("call.refer.failed", 404), "refer")
            return
        notify("call.refer.started", 100)
        if outcome.kind == "busy":
            sim.at(call, outcome.ring_secs, lambda: notify("call.refer.failed", 486), "refer")
        elif outcome.kind == "no-answer":
            sim.at(call, REFER_NO_ANSWER_SECONDS, lambda: notify("call.refer.failed", 480),
                   "refer")  # fmt: skip
        else:
            def completed() -> None:
                notify("call.refer.completed", 200)
                # The referred party now talks to the target; our leg is released.
                sim.at(call, 1.0, lambda: sim.end_call(call, "normal_clearing", "caller"),
                       "refer")  # fmt: skip

            sim.at(call, outcome.ring_secs, completed, "refer")

    # --- streams -----------------------------------------------------------------------------

    def _streaming_start(self, call: Call, body: dict[str, Any]) -> None:
        if not call.answered:
            raise wrong_state(f"streaming_start: {call.id} has not been answered yet")
        self.start_stream(call, body)

    def start_stream(self, call: Call, body: dict[str, Any]) -> None:
        """Open a media stream (also for `answer`'s `stream_url`)."""
        url = body.get("stream_url")
        if not url and not body.get("enable_dialogflow"):
            raise invalid("streaming_start needs stream_url (or enable_dialogflow)", "stream_url")
        sim = self.sim
        stream = Stream(sim.new_id(), str(url or "dialogflow"),
                        str(body.get("stream_track", "inbound_track")))  # fmt: skip
        if stream.url.endswith("#fail"):
            sim.emit("streaming.failed", call, {
                "failure_reason": "connection_failed", "stream_id": stream.id,
                "stream_type": "dialogflow" if body.get("enable_dialogflow") else "websocket",
                "stream_params": {"stream_url": stream.url, "track": stream.track},
            })  # fmt: skip
            return
        self.streams.setdefault(call.id, []).append(stream)
        sim.emit("streaming.started", call, {"stream_url": stream.url})
        seconds = service_seconds(stream.url)
        if seconds is not None:
            stream.timer = sim.clock.after(seconds, lambda: self._stop_stream(call, stream),
                                           "stream")  # fmt: skip

    def _streaming_stop(self, call: Call, body: dict[str, Any]) -> None:
        streams = self.streams.get(call.id, [])
        if "stream_id" in body:
            streams = [s for s in streams if s.id == body["stream_id"]]
            if not streams:
                raise invalid(f"no stream {body['stream_id']!r} on {call.id}", "stream_id")
        for stream in list(streams):
            self._stop_stream(call, stream)

    def _stop_stream(self, call: Call, stream: Stream) -> None:
        streams = self.streams.get(call.id, [])
        if stream not in streams:
            return
        streams.remove(stream)
        if stream.timer is not None:
            stream.timer.cancel()
        self.sim.emit("streaming.stopped", call, {"stream_url": stream.url})

    # --- SIPREC, suppression, forking --------------------------------------------------------

    def _siprec_start(self, call: Call, body: dict[str, Any]) -> None:
        if call.id in self.siprec:
            raise wrong_state(f"a SIPREC session is already running on {call.id}")
        self.siprec.add(call.id)
        self.sim.emit("siprec.started", call)

    def _siprec_stop(self, call: Call, body: dict[str, Any]) -> None:
        if call.id not in self.siprec:
            raise wrong_state(f"no SIPREC session is running on {call.id}")
        self._stop_siprec(call)

    def _stop_siprec(self, call: Call) -> None:
        self.siprec.discard(call.id)
        self.sim.emit("siprec.stopped", call, {"hangup_cause": "normal_clearing"})

    def _suppression_start(self, call: Call, body: dict[str, Any]) -> None:
        self.suppressed.add(call.id)

    def _suppression_stop(self, call: Call, body: dict[str, Any]) -> None:
        self.suppressed.discard(call.id)

    def _fork_start(self, call: Call, body: dict[str, Any]) -> None:
        self.forking.add(call.id)
        if body.get("stream_type") == "decrypted":
            self.sim.emit("call.fork.started", call, {"stream_type": "decrypted"})

    def _fork_stop(self, call: Call, body: dict[str, Any]) -> None:
        if call.id in self.forking:
            self.forking.discard(call.id)
            if body.get("stream_type") == "decrypted":
                self.sim.emit("call.fork.stopped", call, {"stream_type": "decrypted"})

    def _accept(self, call: Call, body: dict[str, Any]) -> None:
        return None

    # --- the call's life ---------------------------------------------------------------------

    def call_ending(self, call: Call) -> None:
        for stream in list(self.streams.get(call.id, [])):
            self._stop_stream(call, stream)
        if call.id in self.siprec:
            self._stop_siprec(call)
        self.suppressed.discard(call.id)
        self.forking.discard(call.id)


__all__ = ["Services", "service_seconds"]
