"""The compiler: TeXML verbs -> Call Control commands, as small pure state machines.

`compile_verb(verb, ctx)` gives the `Step` that runs one verb (see `compiler.step`). The
modules mirror `verbs/`: `compiler.say` compiles `verbs.say`, and so on.
"""

from __future__ import annotations

import importlib
from functools import cache

from compiler.step import (
    CALL, Action, CallContext, Callback, CancelTimer, Command, CommandFailed, CommandResult,
    DocumentDone, Done, Effect, Event, HttpCall, HttpResult, RunDocument, Send, SetTimer, Step,
    StopDocument, TimerFired, Watch, Webhook, is_call_hangup, sends,
)  # fmt: skip
from verbs.base import Node

# Verb tag -> "module:StepClass". Imported on first use.
_STEPS = {
    "Say": "compiler.say:SayStep",
    "Play": "compiler.play:PlayStep",
    "Pause": "compiler.pause:PauseStep",
    "Gather": "compiler.gather:GatherStep",
    "AIGather": "compiler.aigather:AIGatherStep",
    "Record": "compiler.record:RecordStep",
    "Hangup": "compiler.hangup:HangupStep",
    "Reject": "compiler.hangup:RejectStep",
    "Redirect": "compiler.redirect:RedirectStep",
    "Refer": "compiler.refer:ReferStep",
    "HttpRequest": "compiler.http_request:HttpRequestStep",
    "Pay": "compiler.pay:PayStep",
    "Dial": "compiler.dial:DialStep",
    "Enqueue": "compiler.queue:EnqueueStep",
    "Leave": "compiler.queue:LeaveStep",
    "Start": "compiler.start:StartStep",
    "Stop": "compiler.start:StopStep",
    "Connect": "compiler.connect:ConnectStep",
}


@cache
def step_class(tag: str) -> type[Step]:
    module, name = _STEPS[tag].split(":")
    return getattr(importlib.import_module(module), name)


def compile_verb(verb: Node, ctx: CallContext) -> Step:
    """The step that runs `verb` on the call described by `ctx`."""
    return step_class(verb.TAG)(verb, ctx)


__all__ = [
    "CALL", "Action", "CallContext", "Callback", "CancelTimer", "Command", "CommandFailed",
    "CommandResult", "DocumentDone", "Done", "Effect", "Event", "HttpCall", "HttpResult",
    "RunDocument", "Send", "SetTimer", "Step", "StopDocument", "TimerFired", "Watch", "Webhook",
    "compile_verb", "is_call_hangup", "sends", "step_class",
]  # fmt: skip
