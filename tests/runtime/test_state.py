"""A call's state survives being stored after every single input.

Each scenario is played twice: once as usual, and once with the session saved to JSON and
loaded back after every input it handles (what `texml serve` does between webhooks). Both runs
must tell exactly the same story, and every stored state must be JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from texml.dryrun import DryRun, Scenario
from texml.runtime import state
from texml.sim import parse_dial_outcome, parse_input_item

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


class StoredEveryStep(DryRun):
    """A dry run whose session lives in JSON between inputs."""

    sizes: list[int]

    def _handle(self, step: Any, now: float) -> None:
        super()._handle(step, now)
        text = state.dumps(self.session)
        self.sizes = [*getattr(self, "sizes", []), len(text)]
        json.loads(text)
        self.session = state.loads(text, new_id=self.new_id)


SCENARIOS = {
    "ivr-billing": ("ivr/welcome.xml", ["3", "123456"], {}),
    "ivr-sales-busy": ("ivr/welcome.xml", ["1"], {"+15550100001": "busy"}),
    "ivr-speech-record": ("ivr/welcome.xml", ["speech:support", "talk:5", "#"], {}),
    "ivr-no-input": ("ivr/welcome.xml", ["silence", "silence"], {}),
    "voicemail": ("voicemail/voicemail.xml", ["talk:8", "#"], {}),
    "queue-hold-and-leave": ("queue/caller.xml", ["0", "talk:3"], {}),
    "queue-timeout": ("queue/caller.xml", ["silence"], {}),
    "conference": ("conference/room.xml", ["silence"], {}),
    "caller-hangs-up": ("ivr/welcome.xml", ["hangup"], {}),
}


def play(cls: type[DryRun], source: str, inputs: list[str], dial: dict[str, str]) -> Any:
    scenario = Scenario(
        inputs=[parse_input_item(i) for i in inputs],
        dial={k: parse_dial_outcome(v) for k, v in dial.items()},
    )  # fmt: skip
    run = cls(str(EXAMPLES / source), scenario)
    return run, run.run()


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_call_stored_after_every_input_tells_the_same_story(name: str) -> None:
    source, inputs, dial = SCENARIOS[name]
    _, plain = play(DryRun, source, inputs, dial)
    stored_run, stored = play(StoredEveryStep, source, inputs, dial)
    assert [e.to_json() for e in stored.events] == [e.to_json() for e in plain.events]
    assert (stored.status, stored.duration, stored.error) == (plain.status, plain.duration, plain.error)
    assert stored_run.sizes and max(stored_run.sizes) < 64_000  # a call's state stays small


def test_only_texmls_own_classes_are_loaded() -> None:
    hostile = json.dumps({"v": 1, "session": {"x": {"$dc": "os:system", "f": {}}}})
    with pytest.raises(ValueError, match="not one of texml's own classes"):
        state.loads(hostile, new_id=lambda: "id")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown session format"):
        state.loads('{"v": 99, "session": {}}', new_id=lambda: "id")
