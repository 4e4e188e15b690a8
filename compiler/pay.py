"""`<Pay>` -> pay. The step ends on `call.payment.completed`.

Attributes map one to one onto the command (seconds become milliseconds); `<Parameter>`
children are merged over the `parameters` JSON, and `<Prompt>` children (or the `prompts` JSON)
become the command's `prompts`. Prompts are text: a `<Prompt>`'s `<Say>` texts are joined, while
`<Play>` and `<Pause>` inside a prompt have no equivalent and are dropped, as is a prompt for
`payment-processing` (a step the command cannot be given a prompt for).

`statusCallback` receives each `call.payment.progress` (`Status=processing`, `Result=pending`,
`For`=the step) and the completion (`Status=completed`, `Result=success|failed`). The action
request gets the §12.2 parameters. Without `action`, the current document is requested again,
as TeXML documents for `<Pay>`. Card, security-code and account numbers are masked again
before they leave texml, whatever Telnyx sent.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from compiler.step import (
    Action, CallContext, Callback, CommandFailed, Done, Effect, Event, Send, Step, Webhook,
)  # fmt: skip
from verbs import Pay, Prompt
from verbs.say import Say

PROMPT_STEPS = (
    "payment-card-number", "expiration-date", "postal-code", "security-code",
    "bank-routing-number", "bank-account-number",
)  # fmt: skip
CARD_TYPES = frozenset(
    "visa mastercard amex optima discover diners-club jcb maestro enroute".split()
)
ERROR_TYPES = frozenset(
    "timeout invalid-card-number invalid-card-type invalid-date invalid-security-code "
    "invalid-postal-code invalid-bank-routing-number invalid-bank-account-number "
    "input-matching-failed".split()
)

# Webhook field -> TeXML parameter, for the collected (masked) data.
_DATA_FIELDS = {
    "payment_card_number": "PaymentCardNumber",
    "payment_card_type": "PaymentCardType",
    "expiration_date": "ExpirationDate",
    "security_code": "SecurityCode",
    "payment_card_postal_code": "PaymentCardPostalCode",
    "bank_account_number": "BankAccountNumber",
    "bank_routing_number": "BankRoutingNumber",
    "bank_account_type": "BankAccountType",
}
_ERROR_FIELDS = (("payment_error", "PaymentError"), ("pay_error_code", "PayErrorCode"))
# Digits left visible: the card's last 4, the account's last 2, none of the security code.
_KEEP_DIGITS = {"PaymentCardNumber": 4, "BankAccountNumber": 2, "SecurityCode": 0}


def _mask(value: str, keep: int) -> str:
    digits = [m.start() for m in re.finditer(r"\d", value)]
    hidden = set(digits[: max(len(digits) - keep, 0)])
    return "".join("x" if i in hidden else c for i, c in enumerate(value))


def collected_data(payload: Mapping[str, Any]) -> dict[str, str]:
    """The card/bank fields of a payment webhook as TeXML parameters, masked."""
    out: dict[str, str] = {}
    for field, name in _DATA_FIELDS.items():
        value = payload.get(field)
        if value is None or value == "":
            continue
        value = str(value)
        out[name] = _mask(value, _KEEP_DIGITS[name]) if name in _KEEP_DIGITS else value
    return out


def _number(value: Any) -> int | float:
    return int(value) if value == int(value) else float(value)


def _prompt_entries(prompt: Prompt) -> list[dict[str, str]]:
    """One `PayPromptList` entry per card type x error type of a `<Prompt>`."""
    text = " ".join(c.text for c in prompt.children if isinstance(c, Say)).strip()
    if not text:
        return []
    base: dict[str, str] = {"text": text}
    if prompt.attempt:
        base["attempt"] = " ".join(str(a) for a in prompt.attempt)
    # Card types the command does not know would make it refuse the whole payment.
    cards = [c for c in prompt.card_type or () if c in CARD_TYPES] or [None]
    if prompt.card_type and cards == [None]:
        return []
    errors = list(prompt.error_type or ()) or [None]
    entries = []
    for card, error in itertools.product(cards, errors):
        entry = dict(base)
        if card:
            entry["card_type"] = card
        if error:
            entry["error_type"] = error
        entries.append(entry)
    return entries


def _json_prompt_entries(value: Any) -> list[dict[str, str]]:
    """The entries of one step of the `prompts` JSON: a string, or a list of strings or
    `{text, attempt, cardType|card_type, errorType|error_type}` objects."""
    items = value if isinstance(value, list) else [value]
    entries = []
    for item in items:
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            continue
        entry = {"text": item["text"]}
        attempt = item.get("attempt")
        if isinstance(attempt, (int, str)):
            entry["attempt"] = str(attempt)
        elif isinstance(attempt, list):
            entry["attempt"] = " ".join(str(a) for a in attempt)
        card = item.get("card_type", item.get("cardType"))
        error = item.get("error_type", item.get("errorType"))
        if (card and card not in CARD_TYPES) or (error and error not in ERROR_TYPES):
            continue  # the command would refuse the whole payment
        if card:
            entry["card_type"] = card
        if error:
            entry["error_type"] = error
        entries.append(entry)
    return entries


def pay_prompts(pay: Pay) -> dict[str, Any]:
    """The command's `prompts`: per step, a plain text or a list of qualified prompts."""
    by_step: dict[str, list[dict[str, str]]] = {}
    if pay.prompts is not None:
        for step, value in json.loads(pay.prompts).items():
            if step in PROMPT_STEPS:
                by_step.setdefault(step, []).extend(_json_prompt_entries(value))
    for prompt in pay.children:
        if isinstance(prompt, Prompt) and prompt.for_ in PROMPT_STEPS:
            by_step.setdefault(prompt.for_, []).extend(_prompt_entries(prompt))
    out: dict[str, Any] = {}
    for step, entries in by_step.items():
        if len(entries) == 1 and entries[0].keys() == {"text"}:
            out[step] = entries[0]["text"]
        elif entries:
            out[step] = entries
    return out


def pay_body(pay: Pay) -> dict[str, Any]:
    # Sent only when not the command's documented default: connector `Default`, currency
    # USD, method credit-card, service level premium. Timeouts, attempts, voice and language
    # have no documented default on the command, so TeXML's are always sent.
    body: dict[str, Any] = {
        "timeout_millis": pay.timeout * 1000,
        "inter_digit_timeout_millis": pay.inter_digit_timeout * 1000,
        "max_attempts": pay.max_attempts,
        "voice": "AWS." + pay.voice if pay.voice.startswith("Polly.") else pay.voice,
        "language": pay.language,
    }
    if pay.payment_connector != "Default":
        body["connector_name"] = pay.payment_connector
    if pay.payment_method != "credit-card":
        body["payment_method"] = pay.payment_method
    if pay.transaction_type is not None:
        body["transaction_type"] = pay.transaction_type
    if pay.charge_amount and pay.effective_transaction_type == "charge":
        body["amount"] = _number(pay.charge_amount)
    if pay.description is not None:
        body["description"] = pay.description
    if pay.payment_token is not None:
        body["payment_token"] = pay.payment_token
    if parameters := pay.connector_parameters:
        body["parameters"] = parameters
    if pay.metadata is not None:
        metadata = json.loads(pay.metadata)
        # The command takes an object; other JSON values are wrapped rather than lost.
        body["metadata"] = metadata if isinstance(metadata, dict) else {"value": metadata}
    if prompts := pay_prompts(pay):
        body["prompts"] = prompts
    return body


class PayStep(Step[Pay]):
    ENDS_ON: ClassVar = ("call.payment.completed",)

    def __init__(self, verb: Pay, ctx: CallContext) -> None:
        super().__init__(verb, ctx)
        self.step: str | None = None  # the last step reported by call.payment.progress
        self.attempt: str | None = None
        self.error_type: str | None = None

    def start(self) -> list[Effect]:
        return [Send(self.ctx.command("pay", pay_body(self.verb)))]

    def on_event(self, event: Event) -> list[Effect]:
        if isinstance(event, Webhook) and event.leg in (None, self.ctx.call_control_id):
            if event.event_type == "call.payment.progress":
                return self._progress(event.payload)
            if event.event_type == "call.payment.completed":
                return self._completed(event.payload)
        if isinstance(event, CommandFailed) and event.command.action == "pay":
            # Refused before any collection (e.g. an unknown connector).
            params = {"PayResult": "failed", "Result": "internal-error"}
            if event.detail:
                params["PaymentError"] = event.detail
            return self.finish(Done(params=params, action=self._action(), outcome="failed"))
        return super().on_event(event)

    def _progress(self, payload: Mapping[str, Any]) -> list[Effect]:
        if payload.get("payment_step"):
            self.step = str(payload["payment_step"])
        if payload.get("attempt") is not None:
            self.attempt = str(payload["attempt"])
        if payload.get("error_type"):
            self.error_type = str(payload["error_type"])
        if self.verb.status_callback is None:
            return []
        params = {"Status": "processing", "Result": "pending", **self._common(payload)}
        if self.step:
            params["For"] = self.step
        if payload.get("attempt") is not None:
            params["Attempt"] = str(payload["attempt"])
        if payload.get("error_type"):
            params["ErrorType"] = str(payload["error_type"])
        return [self._callback(params)]

    def _completed(self, payload: Mapping[str, Any]) -> list[Effect]:
        result = str(payload.get("result") or "internal-error")
        pay_result = "success" if result == "success" else "failed"
        common = self._common(payload)
        errors = {name: str(payload[field]) for field, name in _ERROR_FIELDS if payload.get(field)}
        charge = payload.get("charge_id") or payload.get("payment_confirmation_code")
        token = payload.get("token_id")
        effects: list[Effect] = []
        if self.verb.status_callback is not None:
            params = {"Status": "completed", "Result": pay_result, **common, **errors}
            if charge:
                params["ChargeId"] = str(charge)
            if token:
                params["TokenId"] = str(token)
            if self.attempt:
                params["Attempt"] = self.attempt
            if self.error_type:
                params["ErrorType"] = self.error_type
            effects.append(self._callback(params))
        params = {"PayResult": pay_result, "Result": result, **common, **errors}
        if self.step:
            params["PaymentStep"] = self.step
        if charge:
            params["ChargeId"] = params["PaymentConfirmationCode"] = str(charge)
        if token:
            params["TokenId"] = params["PaymentToken"] = str(token)
        error = payload.get("connector_error")
        if error:
            params["ConnectorError"] = error if isinstance(error, str) else json.dumps(error)
        done = Done(params=params, action=self._action(),
                    outcome="completed" if pay_result == "success" else "failed")  # fmt: skip
        return self.finish(done, *effects)

    def _common(self, payload: Mapping[str, Any]) -> dict[str, str]:
        params = {
            "PaymentMethod": str(payload.get("payment_method") or self.verb.payment_method),
            "PaymentConnector": str(
                payload.get("payment_connector") or self.verb.payment_connector
            ),
        }
        params.update(collected_data(payload))
        return params

    def _callback(self, params: dict[str, str]) -> Callback:
        url = self.ctx.url(self.verb.status_callback)
        assert url is not None
        return Callback(url, self.verb.status_callback_method, params)

    def _action(self) -> Action | None:
        """`action`, else the current document (TeXML's rule for `<Pay>`)."""
        url = self.ctx.url(self.verb.action) if self.verb.action else self.ctx.document_url
        return Action(url, self.verb.method) if url else None
