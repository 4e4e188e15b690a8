"""The scenario language: input items and dial outcomes (texml.sim.script)."""

from __future__ import annotations

import math

import pytest

from texml.sim import CallerScript, DialOutcome, InputItem, parse_dial_outcome, parse_input_item
from texml.sim.script import outcome_for


@pytest.mark.parametrize(("text", "item"), [
    ("1", InputItem("digits", "1")),
    ("42#", InputItem("digits", "42#")),
    (" *9 ", InputItem("digits", "*9")),
    ("abcd", InputItem("digits", "ABCD")),
    ("digits:123", InputItem("digits", "123")),
    ("speech:I want  sales", InputItem("speech", "I want sales")),
    ("Speech:yes", InputItem("speech", "yes")),
    ("talk:5", InputItem("talk", 5.0)),
    ("talk:2.5s", InputItem("talk", 2.5)),
    ("silence", InputItem("silence")),
    ("HANGUP", InputItem("hangup")),
])  # fmt: skip
def test_input_items(text: str, item: InputItem) -> None:
    assert parse_input_item(text) == item
    assert parse_input_item(str(item)) == item


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty input item"),
    ("12x", "'X' cannot be pressed"),
    ("speech:", "speech needs words"),
    ("talk:", "talk needs a number"),
    ("talk:-1", "talk needs a number"),
    ("talk:0", "talk needs a number"),
    ("shout:hey", "unknown kind 'shout'"),
])  # fmt: skip
def test_bad_input_items_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_input_item(text)


def test_caller_script_takes_items_in_order() -> None:
    script = CallerScript(["1", parse_input_item("speech:yes")])
    assert len(script) == 2 and script.peek() == InputItem("digits", "1")
    assert script.pop() == InputItem("digits", "1")
    assert script.pop() == InputItem("speech", "yes")
    assert script.pop() is None and not script


@pytest.mark.parametrize(("value", "outcome"), [
    ("busy", DialOutcome("busy")),
    ("No-Answer", DialOutcome("no-answer")),
    ("no_answer", DialOutcome("no-answer")),
    ("answered:30", DialOutcome("answered", hangup_after=30)),
    ("machine:never", DialOutcome("machine", hangup_after=math.inf)),
    ({"outcome": "answered", "hangup_after": 5, "inputs": ["1"], "ring": 1},
     DialOutcome("answered", 5, (InputItem("digits", "1"),), 1.0)),
])  # fmt: skip
def test_dial_outcomes(value: object, outcome: DialOutcome) -> None:
    assert parse_dial_outcome(value) == outcome  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "message"), [
    ("ringing", "use one of answered, busy"),
    ("busy:10", "only answered and machine take"),
    ("answered:soon", "seconds or never"),
    ({"outcome": "answered", "after": 3}, "unknown key"),
    ({"inputs": "1"}, "inputs must be a list"),
    ({"inputs": ["x"]}, "cannot be pressed"),
])  # fmt: skip
def test_bad_dial_outcomes(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_dial_outcome(value)  # type: ignore[arg-type]


def test_defaults_and_stay() -> None:
    assert DialOutcome().kind == "answered" and DialOutcome().stays_for == 10
    assert DialOutcome("machine").stays_for == 60
    assert DialOutcome("answered", hangup_after=0).stays_for == 0


def test_outcome_for_matches_numbers_sip_users_and_star() -> None:
    plan = {"+1 (555) 010-0001": DialOutcome("busy"), "alice": DialOutcome("no-answer"),
            "*": DialOutcome("failed")}  # fmt: skip
    assert outcome_for(plan, "+15550100001").kind == "busy"
    assert outcome_for(plan, "sip:alice@example.com").kind == "no-answer"
    assert outcome_for(plan, "+15550100009").kind == "failed"
    assert outcome_for({}, "+15550100009").kind == "answered"
