"""<Hangup> -> hangup; <Reject> -> reject / hangup (texml-verbs-core.md §7-§8; call-control.md
hangup, reject)."""

from __future__ import annotations

import itertools

import pytest

import texml
from compiler import CallContext, Done, Step, compile_verb, sends
from tests.support.telnyx_schema import validate_command

CALL = "v3:call-1"


def step_for(xml: str, *, answered: bool = True) -> Step:
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    ids = itertools.count(1)
    ctx = CallContext(CALL, "conn-1", "+15550001111", "+15550002222", "c3RhdGU=",
                      new_id=lambda: f"id-{next(ids)}", answered=answered)  # fmt: skip
    return compile_verb(doc.verbs[0], ctx)


def test_hangup_sends_hangup_and_ends_the_call_at_once() -> None:
    step = step_for("<Hangup/>")
    effects = step.start()
    (command,) = sends(effects)
    validate_command(command.method, command.resolved_path(CALL), command.body)
    assert command.action == "hangup"
    assert command.body == {"client_state": "c3RhdGU=", "command_id": "id-1"}
    assert effects[-1] == Done(end=True)
    assert step.done


@pytest.mark.parametrize(
    ("xml", "cause", "outcome"),
    [
        ("<Reject/>", "CALL_REJECTED", "no-answer"),
        ('<Reject reason="rejected"/>', "CALL_REJECTED", "no-answer"),
        ('<Reject reason="busy"/>', "USER_BUSY", "busy"),
    ],
)
def test_reject_refuses_a_ringing_call(xml: str, cause: str, outcome: str) -> None:
    step = step_for(xml, answered=False)
    effects = step.start()
    (command,) = sends(effects)
    validate_command(command.method, command.resolved_path(CALL), command.body)
    assert command.action == "reject"
    assert command.body == {"cause": cause, "client_state": "c3RhdGU=", "command_id": "id-1"}
    assert effects[-1] == Done(end=True, outcome=outcome)


@pytest.mark.parametrize("xml", ["<Reject/>", '<Reject reason="busy"/>'])
def test_reject_hangs_up_an_answered_call(xml: str) -> None:
    step = step_for(xml, answered=True)
    effects = step.start()
    (command,) = sends(effects)
    validate_command(command.method, command.resolved_path(CALL), command.body)
    assert command.action == "hangup"
    assert effects[-1] == Done(end=True)
