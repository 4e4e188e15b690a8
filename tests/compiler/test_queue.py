"""`<Enqueue>`, `<Leave>` and `<Dial><Queue>` (compiler.queue), driven event by event."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import pytest

import texml
from compiler import (
    Action, CallContext, CancelTimer, Command, CommandFailed, CommandResult, DocumentDone, Done,
    RunDocument, Send, SetTimer, StopDocument, TimerFired, Webhook, compile_verb,
)  # fmt: skip
from compiler.queue import DEFAULT_QUEUE, EnqueueStep, LeaveStep, QueueDialStep
from tests.support.telnyx_schema import validate_command, validate_webhook

CALL = "v3:caller"
STATE = base64.b64encode(b'{"session":"s1"}').decode()
DOC = "https://app.example.com/voice.xml"
T0 = "2024-01-01T12:00:00.000000Z"
T_LATER = "2024-01-01T12:02:30.000000Z"


def step_for(xml: str, **ctx: Any) -> Any:
    counter = itertools.count(1)
    fields: dict[str, Any] = {
        "call_control_id": CALL,
        "connection_id": "conn-1",
        "from_": "+15550001111",
        "to": "+15550002222",
        "client_state": STATE,
        "new_id": lambda: f"id-{next(counter)}",
        "document_url": DOC,
    }
    fields.update(ctx)
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert not doc.errors, doc.errors
    return compile_verb(doc.verbs[0], CallContext(**fields))


def checked(effects: list[Any]) -> list[Any]:
    for effect in effects:
        if isinstance(effect, Send):
            cmd = effect.command
            validate_command(cmd.method, cmd.resolved_path(CALL), dict(cmd.body))
    return effects


def hook(event_type: str, at: str | None = T0, **payload: Any) -> Webhook:
    data: dict[str, Any] = {"record_type": "event", "event_type": event_type, "id": "evt-1"}
    if at:
        data["occurred_at"] = at
    data["payload"] = {"connection_id": "conn-1", **payload}
    validate_webhook({"data": data})
    return Webhook.from_json({"data": data})


def own(event_type: str, at: str | None = T0, **payload: Any) -> Webhook:
    return hook(event_type, at, call_control_id=CALL, client_state=STATE, **payload)


def dequeued(reason: str, wait: int = 42, at: str | None = T_LATER) -> Webhook:
    return own(
        "call.dequeued", at, queue="support", queue_position=1, reason=reason, wait_time_secs=wait
    )


def sends(effects: list[Any]) -> list[Command]:
    return [e.command for e in effects if isinstance(e, Send)]


def the(command: Command | None) -> Command:
    """A command the step has sent."""
    assert command is not None
    return command


def done(effects: list[Any]) -> Done:
    assert isinstance(effects[-1], Done), effects
    return effects[-1]


def enqueued(step: EnqueueStep) -> list[Any]:
    assert step.enqueue is not None
    return checked(step.on_event(CommandResult(the(step.enqueue), {"result": "ok"})))


ACTION = Action("https://app.example.com/queue-done", "POST")
XML = (
    '<Enqueue action="/queue-done" waitUrl="/hold" waitUrlMethod="GET" maxWaitTimeSecs="600">'
    "support</Enqueue>"
)


# --- <Enqueue> --------------------------------------------------------------------------------


def test_enqueue_command() -> None:
    step = step_for(XML)
    assert isinstance(step, EnqueueStep)
    effects = checked(step.start())
    assert effects == [
        Send(
            Command(
                "POST",
                "/calls/{call_control_id}/actions/enqueue",
                {
                    "queue_name": "support",
                    "max_wait_time_secs": 600,
                    "client_state": STATE,
                    "command_id": "id-1",
                },
            )
        )
    ]
    assert [c.path for c in step.plan()] == ["/calls/{call_control_id}/actions/enqueue"]


@pytest.mark.parametrize("xml", ["<Enqueue/>", "<Enqueue>   </Enqueue>"])
def test_unnamed_queue_uses_the_default(xml: str) -> None:
    doc = texml.parse(f"<Response>{xml}</Response>")
    step = compile_verb(doc.verbs[0], CallContext(CALL, "c", "+1", "+2", STATE, lambda: "id"))
    body = sends(checked(step.start()))[0].body
    assert body["queue_name"] == DEFAULT_QUEUE
    assert body["max_wait_time_secs"] == 14400


def test_a_ringing_call_is_answered_first() -> None:
    step = step_for("<Enqueue>support</Enqueue>", answered=False)
    assert [c.action for c in sends(checked(step.start()))] == ["answer", "enqueue"]


def test_wait_document_starts_once_in_the_queue() -> None:
    step = step_for(XML)
    step.start()
    effects = enqueued(step)
    assert effects == [
        SetTimer("max-wait", 630),
        RunDocument(
            "wait",
            "https://app.example.com/hold",
            "GET",
            repeat=True,
            params={"QueueSid": "support"},
        ),
    ]
    event = own("call.enqueued", queue="support", current_position=3, queue_avg_wait_time_secs=20)
    assert step.on_event(event) == []


def test_enqueued_webhook_may_come_first() -> None:
    step = step_for(XML)
    step.start()
    effects = step.on_event(own("call.enqueued", queue="support", current_position=1))
    assert any(isinstance(e, RunDocument) for e in effects)
    assert enqueued(step) == []


def test_no_wait_url_waits_in_silence() -> None:
    step = step_for("<Enqueue>support</Enqueue>")
    step.start()
    assert enqueued(step) == [SetTimer("max-wait", 14430)]


def test_leave() -> None:
    step = step_for(XML)
    step.start()
    enqueued(step)
    effects = step.on_event(dequeued("leave"))
    assert effects == [
        StopDocument("wait"),
        CancelTimer("max-wait"),
        Done(
            {"QueueResult": "leave", "QueueSid": "support", "QueueTime": "42"},
            ACTION,
            outcome="leave",
        ),
    ]


def test_leave_without_action_goes_on() -> None:
    step = step_for("<Enqueue>support</Enqueue>")
    step.start()
    enqueued(step)
    result = done(step.on_event(dequeued("leave", wait=3)))
    assert result == Done(
        {"QueueResult": "leave", "QueueSid": "support", "QueueTime": "3"}, outcome="leave"
    )


def test_timeout() -> None:
    step = step_for(XML)
    step.start()
    enqueued(step)
    result = done(step.on_event(dequeued("timeout", wait=600)))
    assert result.params == {"QueueResult": "timeout", "QueueSid": "support", "QueueTime": "600"}
    assert result.action == ACTION
    assert not result.end


def test_hangup_while_waiting() -> None:
    step = step_for(XML)
    step.start()
    enqueued(step)
    step.on_event(own("call.enqueued", T0, queue="support", current_position=1))
    effects = step.on_event(own("call.hangup", T_LATER, hangup_cause="normal_clearing"))
    assert effects == [
        CancelTimer("max-wait"),
        Done(
            {"QueueResult": "hangup", "QueueSid": "support", "QueueTime": "150"},
            ACTION,
            end=True,
            outcome="hangup",
        ),
    ]
    assert step.on_event(dequeued("hangup")) == []


def test_dequeued_for_hangup() -> None:
    step = step_for(XML)
    step.start()
    enqueued(step)
    result = done(step.on_event(dequeued("hangup", wait=7)))
    assert result.params["QueueResult"] == "hangup"
    assert result.end


@pytest.mark.parametrize("reason", ["bridged", "bridging-in-process"])
def test_bridged_then_the_caller_hangs_up(reason: str) -> None:
    step = step_for(XML)
    step.start()
    enqueued(step)
    effects = step.on_event(dequeued(reason, wait=42))
    assert effects == [StopDocument("wait"), CancelTimer("max-wait")]
    assert not step.done
    result = done(step.on_event(own("call.hangup", hangup_cause="normal_clearing")))
    assert result == Done(
        {"QueueResult": "bridged", "QueueSid": "support", "QueueTime": "42"},
        ACTION,
        end=True,
        outcome="hangup",
    )


def test_bridged_webhook_before_dequeued() -> None:
    step = step_for(XML)
    step.start()
    enqueued(step)
    assert step.on_event(own("call.bridged")) == [StopDocument("wait"), CancelTimer("max-wait")]
    assert step.on_event(dequeued("bridged", wait=42)) == []
    result = done(step.on_event(own("call.hangup", hangup_cause="normal_clearing")))
    assert result.params == {"QueueResult": "bridged", "QueueSid": "support", "QueueTime": "42"}


def test_bridged_then_the_agent_hangs_up() -> None:
    step = step_for(XML)
    step.start()
    enqueued(step)
    step.on_event(dequeued("bridged"))
    agent = hook("call.hangup", call_control_id="v3:agent", hangup_cause="normal_clearing")
    result = done(step.on_event(agent))
    assert result.params["QueueResult"] == "bridged"
    assert not result.end
    assert result.action == ACTION


def test_another_calls_hangup_while_waiting_is_ignored() -> None:
    step = step_for(XML)
    step.start()
    enqueued(step)
    assert step.on_event(hook("call.hangup", call_control_id="v3:agent")) == []


@pytest.mark.parametrize(
    ("detail", "result"), [("Queue is full", "queue-full"), ("boom", "system-error")]
)
def test_enqueue_refused(detail: str, result: str) -> None:
    step = step_for(XML)
    (send,) = step.start()
    effects = step.on_event(CommandFailed(send.command, 422, detail))
    assert effects == [
        Done(
            {"QueueResult": result, "QueueSid": "support", "QueueTime": "0"},
            ACTION,
            outcome="failed",
        )
    ]


def test_hangup_in_the_wait_document() -> None:
    step = step_for(XML)
    step.start()
    enqueued(step)
    effects = checked(step.on_event(DocumentDone("wait", hangup=True)))
    assert [c.action for c in sends(effects)] == ["hangup"]
    assert CancelTimer("max-wait") in effects
    result = done(effects)
    assert result.params["QueueResult"] == "hangup"
    assert result.end
    assert step.on_event(DocumentDone("wait")) == []


def test_wait_document_ending_normally_is_not_the_end() -> None:
    step = step_for(XML)
    step.start()
    enqueued(step)
    assert step.on_event(DocumentDone("wait")) == []
    assert not step.done


def test_max_wait_backstop() -> None:
    step = step_for(XML)
    step.start()
    enqueued(step)
    effects = checked(step.on_event(TimerFired("max-wait")))
    assert [c.action for c in sends(effects)] == ["leave_queue"]
    assert StopDocument("wait") in effects
    assert done(effects).params["QueueResult"] == "timeout"


# --- <Leave> ----------------------------------------------------------------------------------


def test_leave_step() -> None:
    step = step_for("<Leave/>")
    assert isinstance(step, LeaveStep)
    effects = checked(step.start())
    assert effects == [
        Send(
            Command(
                "POST",
                "/calls/{call_control_id}/actions/leave_queue",
                {"client_state": STATE, "command_id": "id-1"},
            )
        ),
        Done(),
    ]
    assert step.done
    assert LeaveStep.ENDS_ON == ()


# --- <Dial><Queue> ----------------------------------------------------------------------------

QUEUED = {
    "call_leg_id": "l",
    "call_session_id": "s",
    "connection_id": "conn-1",
    "enqueued_at": "2024-01-01T11:58:00Z",
    "from": "+15557770000",
    "queue_id": "q1",
    "record_type": "queue_call",
    "to": "+15550002222",
    "is_alive": True,
}


def calls(*entries: tuple[str, int]) -> list[dict[str, Any]]:
    return [
        {**QUEUED, "call_control_id": ccid, "queue_position": pos, "wait_time_secs": 60 * pos}
        for ccid, pos in entries
    ]


def queue_step(
    xml: str = '<Dial action="/dial-done"><Queue>support</Queue></Dial>', **ctx: Any
) -> QueueDialStep:
    step = step_for(xml, **ctx)
    assert isinstance(step, QueueDialStep)
    return step


def listed(step: QueueDialStep, data: Any) -> list[Any]:
    assert step.lookup is not None
    return checked(step.on_event(CommandResult(the(step.lookup), data)))


def test_dial_queue_lists_the_queue() -> None:
    step = queue_step("<Dial><Queue>tier 1/support</Queue></Dial>")
    effects = checked(step.start())
    assert effects == [Send(Command("GET", "/queues/tier%201%2Fsupport/calls", {}))]


def test_dial_queue_answers_a_ringing_call_first() -> None:
    step = queue_step(answered=False)
    assert [c.action for c in sends(checked(step.start()))] == ["answer", "/queues/support/calls"]


def test_dial_queue_bridges_the_head_and_completes() -> None:
    step = queue_step()
    step.start()
    effects = listed(step, calls(("v3:second", 2), ("v3:first", 1)))
    assert effects == [
        Send(
            Command(
                "POST",
                "/calls/{call_control_id}/actions/bridge",
                {
                    "call_control_id": "v3:first",
                    "park_after_unbridge": "self",
                    "prevent_double_bridge": True,
                    "client_state": STATE,
                    "command_id": "id-1",
                },
            )
        )
    ]
    assert step.on_event(CommandResult(the(step.bridge), {"result": "ok"})) == []
    assert step.on_event(own("call.bridged", T0)) == []
    assert step.on_event(hook("call.hangup", call_control_id="v3:other")) == []
    effects = step.on_event(
        hook("call.hangup", T_LATER, call_control_id="v3:first", hangup_cause="normal_clearing")
    )
    assert effects == [
        Done(
            {
                "DialCallStatus": "completed",
                "DialCallSid": "v3:first",
                "DialCallDuration": "150",
                "DialBridged": "true",
                "QueueSid": "support",
            },
            Action("https://app.example.com/dial-done", "POST"),
            outcome="completed",
        )
    ]


def test_dial_queue_list_wrapped_in_data() -> None:
    step = queue_step()
    step.start()
    effects = listed(step, {"data": calls(("v3:first", 1))})
    assert sends(effects)[0].body["call_control_id"] == "v3:first"


def test_empty_queue_is_polled_until_the_timeout() -> None:
    step = queue_step('<Dial timeout="12" action="/dial-done"><Queue>support</Queue></Dial>')
    step.start()
    assert listed(step, []) == [SetTimer("queue-poll", 5)]
    assert checked(step.on_event(TimerFired("queue-poll"))) == [
        Send(Command("GET", "/queues/support/calls", {}))
    ]
    assert listed(step, [{**calls(("v3:gone", 1))[0], "is_alive": False}]) == [
        SetTimer("queue-poll", 5)
    ]
    step.on_event(TimerFired("queue-poll"))
    assert step.on_event(CommandFailed(the(step.lookup), 404, "queue not found")) == [
        SetTimer("queue-poll", 2)
    ]
    step.on_event(TimerFired("queue-poll"))
    result = done(listed(step, []))
    assert result == Done(
        {"DialCallStatus": "no-answer", "DialBridged": "false"},
        Action("https://app.example.com/dial-done", "POST"),
        outcome="no-answer",
    )


def test_bridge_refused_looks_again_then_fails() -> None:
    step = queue_step('<Dial timeout="5"><Queue>support</Queue></Dial>')
    step.start()
    listed(step, calls(("v3:first", 1)))
    effects = step.on_event(CommandFailed(the(step.bridge), 422, "already bridged"))
    assert effects == [SetTimer("queue-poll", 5)]
    step.on_event(TimerFired("queue-poll"))
    listed(step, calls(("v3:next", 1)))
    result = done(step.on_event(CommandFailed(the(step.bridge), 422)))
    assert result.params == {"DialCallStatus": "failed", "DialBridged": "false"}


def test_caller_hangs_up_while_waiting_for_a_caller() -> None:
    step = queue_step()
    step.start()
    listed(step, [])
    effects = step.on_event(own("call.hangup", hangup_cause="normal_clearing"))
    assert effects == [
        CancelTimer("queue-poll"),
        Done(
            {"DialCallStatus": "canceled", "DialBridged": "false", "QueueSid": "support"},
            Action("https://app.example.com/dial-done", "POST"),
            end=True,
            outcome="hangup",
        ),
    ]
    assert step.on_event(TimerFired("queue-poll")) == []


def test_caller_hangs_up_while_bridged() -> None:
    step = queue_step('<Dial timeLimit="300"><Queue>support</Queue></Dial>')
    step.start()
    listed(step, calls(("v3:first", 1)))
    assert step.on_event(own("call.bridged", T0)) == [SetTimer("time-limit", 300)]
    effects = step.on_event(own("call.hangup", T_LATER, hangup_cause="normal_clearing"))
    assert effects == [
        CancelTimer("time-limit"),
        Done(
            {
                "DialCallStatus": "completed",
                "DialCallSid": "v3:first",
                "DialCallDuration": "150",
                "DialBridged": "true",
                "QueueSid": "support",
            },
            end=True,
            outcome="hangup",
        ),
    ]


def test_hangup_on_star_and_time_limit_hang_up_the_dequeued_caller() -> None:
    step = queue_step('<Dial hangupOnStar="true" timeLimit="60"><Queue>support</Queue></Dial>')
    step.start()
    listed(step, calls(("v3:first", 1)))
    assert step.on_event(own("call.dtmf.received", digit="*")) == []  # not bridged yet
    step.on_event(CommandResult(the(step.bridge), {"result": "ok"}))
    assert step.on_event(own("call.dtmf.received", digit="5")) == []
    effects = checked(step.on_event(own("call.dtmf.received", digit="*")))
    hangup = sends(effects)[0]
    assert hangup.leg == "v3:first"
    assert hangup.body == {"command_id": "id-2"}  # the other call keeps its own client_state
    effects = checked(step.on_event(TimerFired("time-limit")))
    assert sends(effects)[0].leg == "v3:first"
    result = done(step.on_event(hook("call.hangup", call_control_id="v3:first")))
    assert result.params["DialCallStatus"] == "completed"
    assert result.params["DialCallDuration"] == "0"  # no call.bridged time was seen


def test_queue_url_is_not_played() -> None:
    step = queue_step('<Dial><Queue url="/announce">support</Queue></Dial>')
    step.start()
    effects = listed(step, calls(("v3:first", 1)))
    assert not any(isinstance(e, RunDocument) for e in effects)
