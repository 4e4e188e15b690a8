"""<Refer> -> refer; call.refer.* -> ReferCallStatus & co (texml-verbs-core.md §10;
call-control.md refer, call.refer.started/completed/failed)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

import texml
from compiler import Action, CallContext, CommandFailed, Done, Step, Webhook, compile_verb, sends
from tests.support.telnyx_schema import validate_command, validate_webhook

CALL = "v3:call-1"
TARGET = "sip:agent@pbx.example.com"


def step_for(xml: str) -> Step:
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    ids = itertools.count(1)
    ctx = CallContext(CALL, "conn-1", "+15550001111", "+15550002222", "c3RhdGU=",
                      new_id=lambda: f"id-{next(ids)}",
                      document_url="https://app.example.com/main.xml")  # fmt: skip
    step = compile_verb(doc.verbs[0], ctx)
    (command,) = sends(step.start())
    validate_command(command.method, command.resolved_path(CALL), command.body)
    assert command.action == "refer"
    assert command.body == {"sip_address": TARGET, "client_state": "c3RhdGU=", "command_id": "id-1"}
    return step


def hook(event_type: str, **payload: Any) -> Webhook:
    payload = {"call_control_id": CALL, "from": "+15550001111", "to": "+15550002222", **payload}
    validate_webhook({"data": {"record_type": "event", "event_type": event_type,
                               "payload": payload}})  # fmt: skip
    return Webhook(event_type, payload)


WITH_ACTION = f'<Refer action="after.xml" method="GET"><Sip>{TARGET}</Sip></Refer>'
ACTION = Action("https://app.example.com/after.xml", "GET")


def test_completed_refer_reports_in_progress_and_requests_the_action() -> None:
    step = step_for(WITH_ACTION)
    assert step.on_event(hook("call.refer.started", sip_notify_response=100)) == []
    assert step.on_event(hook("call.refer.completed", sip_notify_response=200)) == [Done(
        params={"ReferCallStatus": "in-progress", "ReferSipResponseCode": "202",
                "NotifySipResponseCode": "200"},
        action=ACTION,
    )]  # fmt: skip


@pytest.mark.parametrize(
    ("notify", "status"),
    [(486, "busy"), (600, "busy"), (480, "no-answer"), (408, "no-answer"), (487, "canceled"),
     (503, "failed")],
)  # fmt: skip
def test_failed_refer_maps_the_notify_code(notify: int, status: str) -> None:
    step = step_for(WITH_ACTION)
    step.on_event(hook("call.refer.started"))
    assert step.on_event(hook("call.refer.failed", sip_notify_response=notify)) == [Done(
        params={"ReferCallStatus": status, "ReferSipResponseCode": "202",
                "NotifySipResponseCode": str(notify)},
        action=ACTION, outcome="failed",
    )]  # fmt: skip


def test_refused_refer_has_no_codes_and_continues_without_action() -> None:
    step = step_for(f"<Refer><Sip>{TARGET}</Sip></Refer>")
    assert step.on_event(hook("call.refer.failed")) == [
        Done(params={"ReferCallStatus": "failed"}, outcome="failed")
    ]


def test_refused_command() -> None:
    step = step_for(WITH_ACTION)
    command = step.plan()[0]
    assert step.on_event(CommandFailed(command, 422, "not a SIP call")) == [
        Done(params={"ReferCallStatus": "failed"}, action=ACTION, outcome="failed")
    ]


def test_hangup_before_the_outcome_ends_the_call_and_other_legs_are_ignored() -> None:
    step = step_for(WITH_ACTION)
    other = Webhook("call.refer.completed", {"call_control_id": "v3:other"})
    assert step.on_event(other) == []
    assert step.on_event(Webhook("call.hangup", {"call_control_id": CALL})) == [
        Done(end=True, outcome="hangup")
    ]


def test_method_defaults_to_post() -> None:
    step = step_for(f'<Refer action="https://x.example.com/a"><Sip>{TARGET}</Sip></Refer>')
    (done,) = step.on_event(hook("call.refer.completed"))
    assert isinstance(done, Done)
    assert done.action == Action("https://x.example.com/a", "POST")
    assert done.params == {"ReferCallStatus": "in-progress", "ReferSipResponseCode": "202"}
