"""REFER, streams, SIPREC, suppression, forking, AI conversations, relays and payments."""

from __future__ import annotations

import pytest

from tests.support.simulation import act, answered_call, of, run_until, timed, types
from texml.sim import Simulator

# --- refer ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("outcome", "events", "notify"), [
    ("answered", ["call.refer.started", "call.refer.completed", "call.hangup"], [100, 200]),
    ("busy", ["call.refer.started", "call.refer.failed"], [100, 486]),
    ("no-answer", ["call.refer.started", "call.refer.failed"], [100, 480]),
    ("failed", ["call.refer.failed"], [404]),
])  # fmt: skip
def test_refer_outcomes(outcome: str, events: list[str], notify: list[int]) -> None:
    sim = Simulator()
    call_id = answered_call(sim, dial={"sip:agent@example.com": outcome})
    act(sim, call_id, "refer", {"sip_address": "sip:agent@example.com"})
    hooks = run_until(sim, 60)
    assert types(hooks) == events
    assert [h["data"]["payload"]["sip_notify_response"] for h in hooks
            if h["data"]["event_type"].startswith("call.refer.")] == notify  # fmt: skip


def test_refer_needs_a_sip_uri() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "refer", {"sip_address": "+15551234567"}, expect=422)


# --- streams, SIPREC, suppression, forking ----------------------------------------------------


def test_stream_starts_and_the_far_end_closes_it() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "streaming_start", {"stream_url": "wss://x/media#12s"})
    act(sim, call_id, "streaming_start", {"stream_url": "wss://x/other"})
    hooks = run_until(sim, 60)
    assert timed(hooks, sim) == [(0.0, "streaming.started"), (0.0, "streaming.started"),
                                 (12.0, "streaming.stopped"), (30.0, "streaming.stopped")]  # fmt: skip
    assert of(hooks, "streaming.stopped")[0]["stream_url"] == "wss://x/media#12s"


def test_stream_stop_failure_and_hangup() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "streaming_start", {"stream_url": "wss://x/bad#fail"})
    act(sim, call_id, "streaming_start", {"stream_url": "wss://x/a#0s"})
    act(sim, call_id, "streaming_start", {"stream_url": "wss://x/b#0s"})
    hooks = run_until(sim, 5)
    assert of(hooks, "streaming.failed")[0]["stream_params"]["stream_url"] == "wss://x/bad#fail"
    act(sim, call_id, "streaming_stop", {})
    assert len(of(run_until(sim, 6), "streaming.stopped")) == 2
    act(sim, call_id, "streaming_start", {"stream_url": "wss://x/c#0s"})
    act(sim, call_id, "hangup")
    assert types(run_until(sim, 7)) == ["streaming.started", "streaming.stopped", "call.hangup"]
    act(sim, answered_call(sim), "streaming_start", {}, expect=422)


def test_siprec_suppression_fork() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "siprec_start", {"connector_name": "srs", "siprec_track": "both_tracks"})
    act(sim, call_id, "siprec_start", {}, expect=422)
    act(sim, call_id, "suppression_start", {"direction": "both"})
    act(sim, call_id, "suppression_stop")
    act(sim, call_id, "fork_start", {"rx": "udp:10.0.0.1:5000", "tx": "udp:10.0.0.1:5001",
                                     "stream_type": "decrypted"})  # fmt: skip
    act(sim, call_id, "siprec_stop")
    act(sim, call_id, "fork_stop", {"stream_type": "decrypted"})
    assert types(run_until(sim, 1)) == ["siprec.started", "call.fork.started", "siprec.stopped",
                                        "call.fork.stopped"]  # fmt: skip


# --- AI ---------------------------------------------------------------------------------------

SCHEMA = {"type": "object", "properties": {
    "name": {"type": "string"}, "age": {"type": "integer"},
    "member": {"type": "boolean"}, "plan": {"type": "string", "enum": ["basic", "premium"]},
}, "required": ["name", "age", "member", "plan"]}  # fmt: skip


def test_gather_using_ai_fills_the_schema_from_speech() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["speech:Ada Lovelace", "speech:I am 36",
                                         "speech:yes I am", "speech:the premium one"])  # fmt: skip
    reply = act(sim, call_id, "gather_using_ai", {
        "parameters": SCHEMA, "greeting": "Hello, I have a few questions.",
        "send_partial_results": True, "send_message_history_updates": True,
    })  # fmt: skip
    hooks = run_until(sim, 60)
    [ended] = of(hooks, "call.ai_gather.ended")
    assert ended["status"] == "valid"
    assert ended["result"] == {"name": "Ada Lovelace", "age": 36, "member": True, "plan": "premium"}
    assert ended["message_history"][0] == {"role": "assistant",
                                           "content": "Hello, I have a few questions."}  # fmt: skip
    assert len(of(hooks, "call.ai_gather.partial_results")) == 4
    assert len(of(hooks, "call.ai_gather.message_history_updated")) == 4
    [created] = of(hooks, "call.conversation.created")
    [over] = of(hooks, "call.conversation.ended")
    assert created["conversation_id"] == over["conversation_id"] == reply["conversation_id"]
    assert types(hooks)[-2:] == ["call.ai_gather.ended", "call.conversation.ended"]
    assert sim.log[0] == {"t": 0.0, "call": call_id, "kind": "hear",
                          "say": "Hello, I have a few questions."}  # fmt: skip


def test_gather_using_ai_gives_up_on_silence() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["speech:Ada"])
    act(sim, call_id, "gather_using_ai", {"parameters": SCHEMA, "user_response_timeout_ms": 4000})
    hooks = run_until(sim, 60)
    [ended] = of(hooks, "call.ai_gather.ended")
    assert ended["status"] == "invalid" and ended["result"] == {"name": "Ada"}
    assert of(hooks, "call.conversation.ended")[0]["reason"] == "no_response"


def test_assistant_conversation_ends_after_the_caller_stops_talking() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["speech:hi there", "speech:bye"])
    reply = act(sim, call_id, "ai_assistant_start", {"assistant": {"id": "asst-1"},
                                                     "greeting": "How can I help?"})  # fmt: skip
    act(sim, call_id, "ai_assistant_add_messages", {"messages": [
        {"role": "system", "content": "Be brief."}]})  # fmt: skip
    hooks = run_until(sim, 60)
    [over] = of(hooks, "call.conversation.ended")
    assert over["conversation_id"] == reply["conversation_id"] and over["reason"] == "completed"
    assert [m["content"] for m in over["messages"]] == ["How can I help?", "Be brief.",
                                                        "hi there", "bye"]  # fmt: skip
    assert over["assistant_id"] == "asst-1"
    # greeting 1.6 s, +0.5, "hi there" 1 s, +0.5, "bye" 1 s -> 4.6 s, then 5 s of silence
    assert timed(hooks, sim)[-1] == (9.6, "call.conversation.ended")


def test_assistant_join_stop_and_one_per_call() -> None:
    sim = Simulator()
    first, second = answered_call(sim), answered_call(sim)
    conversation = act(sim, first, "ai_assistant_start", {})["conversation_id"]
    act(sim, first, "ai_assistant_start", {}, expect=422)
    act(sim, second, "ai_assistant_join", {"conversation_id": conversation,
                                           "participant": {"id": second, "role": "user"}})  # fmt: skip
    act(sim, first, "ai_assistant_stop")
    hooks = run_until(sim, 1)
    assert [p["call_control_id"] for p in of(hooks, "call.conversation.ended")] == [first, second]
    assert {p["reason"] for p in of(hooks, "call.conversation.ended")} == {"stopped"}


def test_relay_ends_when_its_socket_closes() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    reply = act(sim, call_id, "conversation_relay_start", {"url": "wss://relay/ws#20s",
                                                           "greeting": "Hi"})  # fmt: skip
    assert reply["conversation_relay_id"]
    hooks = run_until(sim, 60)
    assert timed(hooks, sim) == [(20.0, "call.conversation.ended")]
    assert of(hooks, "call.conversation.ended")[0]["reason"] == "customer_disconnect"
    act(sim, call_id, "conversation_relay_start", {}, expect=422)


def test_hangup_ends_conversations_without_a_result() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["hangup"])
    act(sim, call_id, "gather_using_ai", {"parameters": SCHEMA})
    hooks = run_until(sim, 60)
    assert types(hooks) == ["call.conversation.created", "call.conversation.ended", "call.hangup"]
    assert of(hooks, "call.conversation.ended")[0]["reason"] == "user_hangup"


# --- pay --------------------------------------------------------------------------------------

PAY = {"timeout_millis": 5000, "inter_digit_timeout_millis": 3000, "max_attempts": 2}


def test_pay_with_a_test_card() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["4111111111111111#", "1230", "94105#", "123#"])
    act(sim, call_id, "pay", {**PAY, "amount": 10.5, "connector_name": "stripe",
                              "prompts": {"security-code": "The three digits on the back."}})  # fmt: skip
    hooks = run_until(sim, 120)
    assert "call.dtmf.received" not in types(hooks)  # Pay suspends DTMF reporting
    steps = [p["payment_step"] for p in of(hooks, "call.payment.progress")]
    assert steps == ["payment-card-number", "expiration-date", "postal-code", "security-code",
                     "payment-processing"]  # fmt: skip
    [done] = of(hooks, "call.payment.completed")
    assert done["result"] == "success" and done["charge_id"] and "token_id" not in done
    assert done["payment_card_number"] == "xxxxxxxxxxxx1111" and done["security_code"] == "xxx"
    assert done["payment_card_type"] == "visa" and done["expiration_date"] == "1230"
    assert done["payment_connector"] == "stripe"
    assert "The three digits on the back." in [e.get("say") for e in sim.log]


def test_pay_retries_a_wrong_card_then_gives_up() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["4242424242424242#", "1234#"])
    act(sim, call_id, "pay", PAY)
    hooks = run_until(sim, 120)
    errors = [p.get("error_type") for p in of(hooks, "call.payment.progress")]
    assert errors == [None, "invalid-card-number", None, "invalid-card-number"]
    assert of(hooks, "call.payment.completed")[0]["result"] == "too-many-failed-attempts"


def test_pay_timeout_and_card_types() -> None:
    sim = Simulator()
    call_id = answered_call(sim, inputs=["5555555555554444#"])
    act(sim, call_id, "pay", {**PAY, "max_attempts": 1, "valid_card_types": ["visa"]})
    hooks = run_until(sim, 120)
    assert of(hooks, "call.payment.progress")[1]["error_type"] == "invalid-card-type"
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "pay", {**PAY, "max_attempts": 1})
    hooks = run_until(sim, 120)
    assert of(hooks, "call.payment.progress")[1]["error_type"] == "timeout"


def test_pay_with_a_token_and_ach() -> None:
    sim = Simulator()
    call_id = answered_call(sim)
    act(sim, call_id, "pay", {"payment_token": "tok_1"})
    [done] = of(run_until(sim, 5), "call.payment.completed")
    assert done["result"] == "success" and done["token_id"] == "tok_1"
    call_id = answered_call(sim, inputs=["123456789#", "000123456789#"])
    act(sim, call_id, "pay", {"payment_method": "ach-debit"})
    [done] = of(run_until(sim, 60), "call.payment.completed")
    assert done["bank_account_number"] == "xxxxxxxxxx89" and done["payment_method"] == "ach-debit"
    act(sim, call_id, "pay", {"transaction_type": "charge"}, expect=422)
