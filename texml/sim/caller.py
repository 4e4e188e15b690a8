"""The people on the line: when the caller (or a callee) acts on the next item of their script.

A person acts when it is their turn, half a second (`THINK_SECONDS`) after the turn opens:
- something listens (a gather, a transcription, a recording, an AI gather, a payment) and no
  prompt is playing to them: any item. Prompts are heard to the end, so digits never cut a
  prompt short; a loop without end (hold music, ringback) does not count as a prompt.
- the call waits with nothing listening (idle between verbs, in a queue or a conference,
  ringing out, on hold music): only `hangup` — digits pressed to nobody would be lost;
- the call is bridged: `hangup`, digits (so `*` can end a `<Dial hangupOnStar>`), and
  `silence` (to keep quiet through the conversation: `1 silence 2` keeps the 2 for the menu
  after it);
- an inbound call still ringing: only `hangup` (the caller gives up).
After `silence`, after `speech` heard by a speech recogniser and after keys typed for a
payment prompt (answers), the person waits for a new listener or prompt. Keys of
one item are pressed a quarter of a second apart; speech lasts about 2.5 words a second. When
the script is over the person stays silent; `hangup_after` of a dial outcome ends a callee's
call whatever their script says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from texml.sim.clock import Timer
from texml.sim.script import CallerScript, InputItem

if TYPE_CHECKING:
    from texml.sim.core import Call, Simulator

THINK_SECONDS = 0.5  # from a turn opening to acting: under TeXML's shortest timeout (1 s)
KEY_GAP_SECONDS = 0.25  # between the keys of one item
WORDS_PER_SECOND = 2.5


def speech_seconds(text: str) -> float:
    """How long saying `text` takes: 2.5 words a second, at least one second."""
    return max(1.0, len(re.findall(r"\w+", text)) / WORDS_PER_SECOND)


@dataclass(eq=False)
class Party:
    """The person on one leg."""

    script: CallerScript
    busy_until: float = 0.0  # pressing keys or talking until then
    quiet_until_epoch: int | None = None  # after `silence`: the listener epoch to outlive
    quiet_bridge: str | None = None  # ... or the bridge (the other leg) to outlive
    turn: Timer | None = None


class Callers:
    """Gives each person their turns (see the module docstring)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def settle(self) -> None:
        """Open or close turns after anything happened."""
        for call in list(self.sim.calls.values()):
            if not call.alive:
                continue
            party = call.party
            due = self._due(call)
            if due and party.turn is None:
                party.turn = self.sim.clock.after(THINK_SECONDS, lambda c=call: self._act(c),
                                                  "turn")  # fmt: skip
            elif not due and party.turn is not None:
                self.cancel_turn(call)

    def cancel_turn(self, call: Call) -> None:
        if call.party.turn is not None:
            call.party.turn.cancel()
            call.party.turn = None

    def _due(self, call: Call) -> bool:
        party = call.party
        item = party.script.peek()
        if item is None or self.sim.now < party.busy_until - 1e-9:
            return False
        if call.status == "ringing":
            return item.kind == "hangup" and call.direction == "incoming"
        media = call.media
        if self.sim.media.audible(call):
            return False
        listening = bool(media.listeners)
        if party.quiet_until_epoch is not None:
            newer = listening and media.epoch > party.quiet_until_epoch
            same_bridge = party.quiet_bridge is not None and call.bridged_with == party.quiet_bridge
            if not newer and (listening or same_bridge):
                return False  # still what they kept silent for
            party.quiet_until_epoch = party.quiet_bridge = None
        if listening:
            return True
        if item.kind == "hangup":
            return True
        return item.kind in ("digits", "silence") and call.status == "bridged"

    def _act(self, call: Call) -> None:
        call.party.turn = None
        if not call.alive or not self._due(call):
            return
        item = call.party.script.pop()
        assert item is not None
        self.perform(call, item)

    def perform(self, call: Call, item: InputItem) -> None:
        """Do one item now (also used to inject an input from outside the script)."""
        sim = self.sim
        party = call.party
        if item.kind == "digits":
            keys = str(item.value)
            sim.note(call, "input", digits=keys)
            for i, key in enumerate(keys):
                sim.clock.after(i * KEY_GAP_SECONDS, lambda k=key: self.press(call, k), "key")
            party.busy_until = sim.now + len(keys) * KEY_GAP_SECONDS
            if "pay" in call.media.listeners:
                party.quiet_until_epoch = call.media.epoch  # one answer per Pay prompt
        elif item.kind == "speech":
            text = str(item.value)
            sim.note(call, "input", speech=text)
            seconds = speech_seconds(text)
            for component in sim.components:
                component.heard_speech(call, text, seconds)
            party.busy_until = sim.now + seconds
            if "transcription" in call.media.listeners:
                # An answer to a speech prompt: the recogniser keeps listening a moment for
                # more, but the person waits for what comes next.
                party.quiet_until_epoch = call.media.epoch
        elif item.kind == "talk":
            seconds = float(item.value or 0)
            sim.note(call, "input", action="talk", seconds=seconds)
            for component in sim.components:
                component.heard_talk(call, seconds)
            party.busy_until = sim.now + seconds
        elif item.kind == "silence":
            sim.note(call, "input", action="silence")
            party.quiet_until_epoch = call.media.epoch
            party.quiet_bridge = call.bridged_with
        else:
            sim.note(call, "input", action="hangup")
            self.hang_up(call)
            return
        if party.busy_until > sim.now:
            # Look again when they are done (the clock only settles turns after events).
            sim.clock.at(party.busy_until, lambda: None, "busy-over")

    def press(self, call: Call, key: str) -> None:
        """One key: `call.dtmf.received`, then whatever listens for keys."""
        if not call.alive:
            return
        if "pay" not in call.media.listeners:  # Pay suspends DTMF reporting
            self.sim.emit("call.dtmf.received", call, {"digit": key})
        for component in self.sim.components:
            component.heard_digit(call, key)

    def hang_up(self, call: Call) -> None:
        """The person on this leg hangs up."""
        if call.direction == "incoming":
            cause = "normal_clearing" if call.answered else "originator_cancel"
            self.sim.end_call(call, cause, "caller")
        else:
            self.sim.end_call(call, "normal_clearing", "callee")


__all__ = ["KEY_GAP_SECONDS", "THINK_SECONDS", "Callers", "Party", "speech_seconds"]
