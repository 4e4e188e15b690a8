"""For generated valid verbs, compiling never raises and every command body fits the SDK.

The verbs come from `tests/strategies.py` (derived from the models), so every verb is covered
with every attribute set, with none, and with random subsets, on an answered and on a ringing
call. A step is also driven through its common webhooks, so the commands sent later in a verb's
life are checked too.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verbs
from compiler import CallContext, Command, CommandResult, Send, Webhook, compile_verb
from tests.strategies import VERB_MODELS, node_strategy
from tests.support.telnyx_schema import validate_command

CALL_ID = "v3:call-under-test"


def context(answered: bool = True) -> CallContext:
    counter = itertools.count(1)
    return CallContext(
        call_control_id=CALL_ID, connection_id="conn-1", from_="+15550001111", to="+15550002222",
        client_state="eyJjYWxsIjoidjM6Y2FsbCJ9", new_id=lambda: f"cmd-{next(counter)}",
        document_url="https://app.example.com/voice/main.xml", answered=answered,
    )  # fmt: skip


def check(command: Command) -> None:
    validate_command(command.method, command.resolved_path(CALL_ID), dict(command.body))


# Webhooks most steps wait for, fed in order after start(), so later commands are checked too.
FOLLOW_UPS = [
    Webhook("call.speak.ended", {"call_control_id": CALL_ID, "status": "completed"}),
    Webhook("call.playback.ended", {"call_control_id": CALL_ID, "status": "completed"}),
    Webhook("call.dtmf.received", {"call_control_id": CALL_ID, "digit": "1"}),
    Webhook("call.gather.ended", {"call_control_id": CALL_ID, "digits": "1", "status": "valid"}),
    Webhook("call.hangup", {"call_control_id": CALL_ID, "hangup_cause": "normal_clearing",
                            "hangup_source": "caller"}),
]  # fmt: skip


@pytest.mark.parametrize("presence", ["any", "all", "none"])
@pytest.mark.parametrize("cls", VERB_MODELS, ids=lambda cls: cls.__name__)
def test_compiling_any_valid_verb_gives_valid_commands(cls: type[verbs.Verb], presence: str) -> None:
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(node_strategy(cls, presence=presence), st.booleans())
    def run(verb: verbs.Verb, answered: bool) -> None:
        step = compile_verb(verb, context(answered))
        effects = step.start()
        for effect in effects:
            if isinstance(effect, Send):
                check(effect.command)
                # Replies as Call Control gives them (a new leg for a dial, ok otherwise).
                data = {"call_control_id": "v3:leg-1", "call_leg_id": "leg-1"}
                for later in step.on_event(CommandResult(effect.command, data)):
                    if isinstance(later, Send):
                        check(later.command)
        for event in FOLLOW_UPS:
            if step.done:
                break
            for effect in step.on_event(event):
                if isinstance(effect, Send):
                    check(effect.command)

    run()
