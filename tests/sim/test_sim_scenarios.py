"""Whole calls through the interpreter (`texml run`'s driver) against the simulator: every
command the interpreter sends and every webhook the simulator emits is checked against the
official telnyx SDK, for flows that use every family of commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.telnyx_schema import validate_command, validate_webhook
from texml.sim import Simulator

dryrun = pytest.importorskip("texml.dryrun")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class CheckedSimulator(Simulator):
    """A simulator that checks both directions of the API as it runs."""

    seen: list[str] = []  # event types of the last run

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        CheckedSimulator.seen = []

    def command(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        validate_command(method, path, body if body else None)
        return super().command(method, path, body)

    def advance(self, until: float) -> list[dict[str, Any]]:
        out = super().advance(until)
        for envelope in out:
            validate_webhook(envelope)
            CheckedSimulator.seen.append(envelope["data"]["event_type"])
        return out


DOCUMENTS = {
    "gather.xml": """<Response>
        <Gather numDigits="2" action="next.xml" timeout="3"><Say>Enter two digits.</Say></Gather>
        <Gather input="speech" action="next.xml"><Say>Say something.</Say>
          <Play>https://x/beep.mp3#1s</Play></Gather>
        <Say>Bye.</Say></Response>""",
    "next.xml": "<Response><Pause length=\"1\"/><Hangup/></Response>",
    "dial.xml": """<Response><Dial timeout="10" action="next.xml" record="record-from-answer">
        <Number machineDetection="DetectMessageEnd">+15550100001</Number>
        <Number>+15550100002</Number></Dial></Response>""",
    "services.xml": """<Response>
        <Start><Stream url="wss://x/media"/><Siprec connectorName="srs"/>
          <Transcription transcriptionEngine="Google"/></Start>
        <Pay chargeAmount="5.00" maxAttempts="2" action="next.xml"/></Response>""",
    "ai.xml": """<Response><AIGather action="next.xml">
        <Parameters>{"type": "object", "properties": {"name": {"type": "string"}}}</Parameters>
        </AIGather></Response>""",
    "relay.xml": """<Response><Connect action="next.xml">
        <ConversationRelay url="wss://relay/ws#3s" welcomeGreeting="Hi"/></Connect></Response>""",
    "refer.xml": """<Response><Refer action="next.xml"><Sip>sip:agent@example.com</Sip></Refer>
        </Response>""",
}


@pytest.fixture
def docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(dryrun, "Simulator", CheckedSimulator)
    for name, text in DOCUMENTS.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def play(source: Path, inputs: list[str] = (), dial: dict[str, str] | None = None) -> Any:  # type: ignore[assignment]
    from texml.sim import parse_dial_outcome, parse_input_item

    scenario = dryrun.Scenario()
    scenario.inputs = [parse_input_item(i) for i in inputs]
    scenario.dial = {k: parse_dial_outcome(v) for k, v in (dial or {}).items()}
    return dryrun.DryRun(str(source), scenario).run()


@pytest.mark.parametrize(("name", "inputs", "dial", "expected"), [
    ("gather.xml", ["42"], None, {"call.gather.ended"}),
    ("gather.xml", ["silence", "speech:hello there"], None, {"call.transcription"}),
    ("dial.xml", [], {"+15550100001": "machine", "+15550100002": "busy"},
     {"call.machine.detection.ended", "call.bridged", "call.recording.saved"}),
    ("dial.xml", [], {"*": "no-answer"}, {"call.hangup"}),
    ("services.xml", ["4111111111111111#", "1230", "94105#", "123#"], None,
     {"streaming.started", "siprec.started", "call.payment.completed"}),
    ("ai.xml", ["speech:Ada"], None, {"call.ai_gather.ended", "call.conversation.ended"}),
    ("relay.xml", [], None, {"call.conversation.ended"}),
    ("refer.xml", [], {"sip:agent@example.com": "answered"}, {"call.refer.completed"}),
])  # fmt: skip
def test_flows_against_the_sdk(docs: Path, name: str, inputs: list[str],
                               dial: dict[str, str] | None, expected: set[str]) -> None:  # fmt: skip
    result = play(docs / name, inputs, dial)
    assert not result.error, [e.to_json() for e in result.events if e.kind == "diagnostic"]
    assert expected <= set(CheckedSimulator.seen), CheckedSimulator.seen
    assert "call.hangup" in CheckedSimulator.seen


@pytest.mark.parametrize(("path", "inputs"), [
    ("ivr/welcome.xml", ["1"]),
    ("ivr/welcome.xml", ["speech:support", "talk:5", "#"]),
    ("ivr/welcome.xml", ["3", "hangup"]),
    ("voicemail/voicemail.xml", ["talk:8", "#"]),
    ("queue/caller.xml", ["0", "talk:3"]),
    ("conference/room.xml", ["hangup"]),
])  # fmt: skip
def test_examples(docs: Path, path: str, inputs: list[str]) -> None:
    result = play(EXAMPLES / path, inputs)
    assert not result.error
    assert CheckedSimulator.seen[0] == "call.initiated" and "call.hangup" in CheckedSimulator.seen
