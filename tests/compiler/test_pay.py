"""<Pay> -> pay; call.payment.* -> status callbacks and action parameters
(texml-verbs-core.md §12.2; call-control.md pay, Prompts, call.payment.progress/completed)."""

from __future__ import annotations

import itertools
from typing import Any

import texml
from compiler import (
    Action, CallContext, Callback, CommandFailed, Done, Step, Webhook, compile_verb, sends,
)  # fmt: skip
from compiler.pay import collected_data, pay_body
from tests.support.telnyx_schema import validate_command, validate_webhook

CALL = "v3:call-1"
DOC = "https://app.example.com/shop/pay.xml"


def step_for(xml: str, document_url: str | None = DOC) -> Step:
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    ids = itertools.count(1)
    ctx = CallContext(CALL, "conn-1", "+15550001111", "+15550002222", "c3RhdGU=",
                      new_id=lambda: f"id-{next(ids)}", document_url=document_url)  # fmt: skip
    return compile_verb(doc.verbs[0], ctx)


def started(step: Step) -> dict[str, Any]:
    (command,) = sends(step.start())
    validate_command(command.method, command.resolved_path(CALL), command.body)
    assert command.action == "pay"
    return dict(command.body)


def hook(event_type: str, **payload: Any) -> Webhook:
    payload = {"call_control_id": CALL, **payload}
    validate_webhook({"data": {"record_type": "event", "event_type": event_type,
                               "payload": payload}})  # fmt: skip
    return Webhook(event_type, payload)


FULL = """
<Pay action="done.xml" method="GET" statusCallback="/pay-status" statusCallbackMethod="GET"
     paymentConnector="stripe-live" chargeAmount="10.50" currency="usd"
     paymentMethod="credit-card" transactionType="charge" description="Order 42"
     maxAttempts="3" timeout="10" interDigitTimeout="3" voice="Polly.Joanna" language="es-ES"
     serviceLevel="premium" parameters='{"customer": "c-1", "store": "web"}'
     metadata='{"order": 42}'>
  <Parameter name="store" value="phone"/>
  <Prompt for="payment-card-number"><Say>Enter your card number.</Say></Prompt>
  <Prompt for="payment-card-number" attempt="2 3" errorType="invalid-card-number timeout">
    <Say>That did not work.</Say><Say>Try again.</Say><Pause/>
  </Prompt>
  <Prompt for="security-code" cardType="amex visa"><Say>Enter the code.</Say></Prompt>
  <Prompt for="expiration-date" cardType="unknowncard"><Say>Never sent.</Say></Prompt>
  <Prompt for="payment-processing"><Say>Processing.</Say></Prompt>
  <Prompt for="postal-code"><Play>https://cdn.example.com/zip.mp3</Play></Prompt>
</Pay>
"""


def test_every_attribute_is_mapped() -> None:
    body = started(step_for(FULL))
    assert body == {
        "connector_name": "stripe-live",
        "amount": 10.5,
        "transaction_type": "charge",
        "description": "Order 42",
        "max_attempts": 3,
        "timeout_millis": 10000,
        "inter_digit_timeout_millis": 3000,
        "voice": "AWS.Polly.Joanna",
        "language": "es-ES",
        "parameters": {"customer": "c-1", "store": "phone"},
        "metadata": {"order": 42},
        "prompts": {
            "payment-card-number": [
                {"text": "Enter your card number."},
                {"text": "That did not work. Try again.", "attempt": "2 3",
                 "error_type": "invalid-card-number"},
                {"text": "That did not work. Try again.", "attempt": "2 3",
                 "error_type": "timeout"},
            ],
            "security-code": [
                {"text": "Enter the code.", "card_type": "amex"},
                {"text": "Enter the code.", "card_type": "visa"},
            ],
        },
        "client_state": "c3RhdGU=",
        "command_id": "id-1",
    }  # fmt: skip


def test_defaults_send_only_what_the_command_needs() -> None:
    body = started(step_for("<Pay/>"))
    assert body == {
        "timeout_millis": 5000, "inter_digit_timeout_millis": 5000, "max_attempts": 1,
        "voice": "female", "language": "en-US", "client_state": "c3RhdGU=", "command_id": "id-1",
    }  # fmt: skip


def test_ach_tokenize_with_token_and_json_prompts() -> None:
    xml = """<Pay paymentMethod="ach-debit" transactionType="tokenize" chargeAmount="5"
        paymentToken="tok_1" metadata='[1, 2]'
        prompts='{"bank-routing-number": "Enter the routing number.",
                  "bank-account-number": [{"text": "Account number?", "attempt": [1, 2]},
                                          {"text": "Again.", "errorType": "timeout"},
                                          {"text": "Bad", "cardType": "nope"}, 7],
                  "payment-processing": "Wait."}'/>"""
    body = started(step_for(xml))
    assert "amount" not in body  # ignored when tokenizing
    assert body["payment_method"] == "ach-debit"
    assert body["transaction_type"] == "tokenize"
    assert body["payment_token"] == "tok_1"
    assert body["metadata"] == {"value": [1, 2]}
    assert body["prompts"] == {
        "bank-routing-number": "Enter the routing number.",
        "bank-account-number": [{"text": "Account number?", "attempt": "1 2"},
                                {"text": "Again.", "error_type": "timeout"}],
    }  # fmt: skip


def test_integral_amounts_are_integers() -> None:
    assert pay_body(texml.parse('<Response><Pay chargeAmount="20"/></Response>').verbs[0])[
        "amount"] == 20  # fmt: skip


def test_progress_goes_to_the_status_callback_and_completion_to_the_action() -> None:
    step = step_for(FULL)
    started(step)
    progress = step.on_event(hook(
        "call.payment.progress", payment_step="payment-card-number", attempt=1,
        payment_status="failed", error_type="invalid-card-number", payment_method="credit-card",
        payment_connector="stripe-live", payment_card_number="4111111111111111",
    ))  # fmt: skip
    assert progress == [Callback("https://app.example.com/pay-status", "GET", {
        "Status": "processing", "Result": "pending", "PaymentMethod": "credit-card",
        "PaymentConnector": "stripe-live", "PaymentCardNumber": "xxxxxxxxxxxx1111",
        "For": "payment-card-number", "Attempt": "1", "ErrorType": "invalid-card-number",
    })]  # fmt: skip
    step.on_event(hook("call.payment.progress", payment_step="payment-processing", attempt=2,
                       payment_status="processing"))  # fmt: skip
    effects = step.on_event(hook(
        "call.payment.completed", result="success", charge_id="ch_1",
        payment_method="credit-card", payment_connector="stripe-live",
        payment_card_number="************1111", payment_card_type="visa",
        expiration_date="1230", security_code="123", payment_card_postal_code="94107",
    ))  # fmt: skip
    masked = {"PaymentCardNumber": "************1111", "PaymentCardType": "visa",
              "ExpirationDate": "1230", "SecurityCode": "xxx", "PaymentCardPostalCode": "94107"}
    common = {"PaymentMethod": "credit-card", "PaymentConnector": "stripe-live", **masked}
    assert effects == [
        Callback("https://app.example.com/pay-status", "GET", {
            "Status": "completed", "Result": "success", **common, "ChargeId": "ch_1",
            "Attempt": "2", "ErrorType": "invalid-card-number",
        }),
        Done(params={
            "PayResult": "success", "Result": "success", **common,
            "PaymentStep": "payment-processing", "ChargeId": "ch_1",
            "PaymentConfirmationCode": "ch_1",
        }, action=Action("https://app.example.com/shop/done.xml", "GET")),
    ]  # fmt: skip


def test_failed_tokenize_without_action_requests_the_current_document() -> None:
    step = step_for('<Pay paymentMethod="ach-debit"/>')
    started(step)
    effects = step.on_event(hook(
        "call.payment.completed", result="too-many-failed-attempts",
        payment_method="ach-debit", payment_connector="Default", token_id="tok_9",
        bank_account_number="000123456789", bank_routing_number="110000000",
        payment_error="Declined", pay_error_code="PAY-1",
        connector_error={"code": "card_declined"},
    ))  # fmt: skip
    assert effects == [Done(params={
        "PayResult": "failed", "Result": "too-many-failed-attempts", "PaymentMethod": "ach-debit",
        "PaymentConnector": "Default", "BankAccountNumber": "xxxxxxxxxx89",
        "BankRoutingNumber": "110000000", "PaymentError": "Declined", "PayErrorCode": "PAY-1",
        "TokenId": "tok_9", "PaymentToken": "tok_9", "ConnectorError": '{"code": "card_declined"}',
    }, action=Action(DOC, "POST"), outcome="failed")]  # fmt: skip


def test_no_action_and_no_document_url_continues() -> None:
    step = step_for("<Pay/>", document_url=None)
    started(step)
    (done,) = step.on_event(hook("call.payment.completed", result="cancelled"))
    assert done == Done(params={"PayResult": "failed", "Result": "cancelled",
                                "PaymentMethod": "credit-card", "PaymentConnector": "Default"},
                        outcome="failed")  # fmt: skip


def test_progress_without_status_callback_emits_nothing() -> None:
    step = step_for("<Pay/>")
    started(step)
    assert step.on_event(hook("call.payment.progress", payment_step="expiration-date")) == []
    assert not step.done


def test_refused_command_reports_a_failed_payment() -> None:
    step = step_for('<Pay action="https://app.example.com/a"/>')
    command = step.plan()[0]
    started(step)
    assert step.on_event(CommandFailed(command, 422, "unknown connector")) == [Done(
        params={"PayResult": "failed", "Result": "internal-error",
                "PaymentError": "unknown connector"},
        action=Action("https://app.example.com/a", "POST"), outcome="failed",
    )]  # fmt: skip


def test_hangup_during_pay_ends_the_call() -> None:
    step = step_for("<Pay/>")
    started(step)
    assert step.on_event(Webhook("call.hangup", {"call_control_id": CALL})) == [
        Done(end=True, outcome="hangup")
    ]


def test_masking_keeps_only_the_allowed_digits() -> None:
    assert collected_data({"payment_card_number": "4111 1111 1111 1111", "security_code": "1234",
                           "bank_account_number": "12", "payment_card_type": "amex"}) == {
        "PaymentCardNumber": "xxxx xxxx xxxx 1111", "SecurityCode": "xxxx",
        "BankAccountNumber": "12", "PaymentCardType": "amex",
    }  # fmt: skip
