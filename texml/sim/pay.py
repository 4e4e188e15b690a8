"""`pay`: collecting card or bank details by DTMF, with a test connector's rules.

Steps: card number, expiration date (`MMYY`), postal code (unless `postal_code` is false),
security code; or, for `ach-debit`, routing and account numbers. Each step's prompt is heard
(the command's `prompts`, or a plain default), `call.payment.progress` reports the step, and
the person answers with one digits item (`#` ends it, as do the fourth digit of a date,
`inter_digit_timeout_millis` and, with no answer, `timeout_millis`: 5 s each by default).
While Pay listens, keys are not reported as `call.dtmf.received` (Telnyx suspends DTMF
logging).

As a test connector does, only the test cards are accepted (Visa 4111111111111111,
Mastercard 5555555555554444, Amex 378282246310005, Discover 6011111111111117, Diners
3065930009020004, JCB 3566002020360505, UnionPay 6200000000000005, Maestro 6771798021000008),
any `MMYY` with a real month, 3-4 digit security codes, 1-10 digit postal codes, 9-digit
routing and 4-17 digit account numbers. A wrong answer is reported (`error_type`) and asked
again, up to `max_attempts` (default 1): then `too-many-failed-attempts`. When all is
collected (or with a `payment_token`), `call.payment.completed` follows a second later with
`success` and a `charge_id` (a charge: `amount` above 0) or a `token_id`, and the collected
data masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from texml.sim.component import CallHandler, Component
from texml.sim.errors import invalid, wrong_state

if TYPE_CHECKING:
    from texml.sim.clock import Timer
    from texml.sim.core import Call

PROCESSING_SECONDS = 1.0
PROMPTS = {
    "payment-card-number": "Please enter your card number, followed by the pound key.",
    "expiration-date": "Please enter the expiration date: two digits for the month, two for "
                       "the year.",
    "postal-code": "Please enter your billing postal code, followed by the pound key.",
    "security-code": "Please enter the security code, followed by the pound key.",
    "bank-routing-number": "Please enter the bank routing number, followed by the pound key.",
    "bank-account-number": "Please enter the bank account number, followed by the pound key.",
}  # fmt: skip
TEST_CARDS: dict[str, str | None] = {
    "4111111111111111": "visa", "5555555555554444": "mastercard", "378282246310005": "amex",
    "6011111111111117": "discover", "3065930009020004": "diners-club",
    "3566002020360505": "jcb", "6200000000000005": None, "6771798021000008": "maestro",
}  # fmt: skip
# step -> (payload field of the collected value, error_type when it is wrong)
_FIELDS = {
    "payment-card-number": ("payment_card_number", "invalid-card-number"),
    "expiration-date": ("expiration_date", "invalid-date"),
    "postal-code": ("payment_card_postal_code", "invalid-postal-code"),
    "security-code": ("security_code", "invalid-security-code"),
    "bank-routing-number": ("bank_routing_number", "invalid-bank-routing-number"),
    "bank-account-number": ("bank_account_number", "invalid-bank-account-number"),
}


@dataclass(eq=False)
class Payment:
    body: dict[str, Any]
    steps: list[str]
    step: int = 0
    attempt: int = 1
    typed: str = ""
    answered: bool = False  # keys came for this step
    collected: dict[str, str] = field(default_factory=dict)
    card_type: str | None = None
    timer: Timer | None = None

    @property
    def method(self) -> str:
        return str(self.body.get("payment_method", "credit-card"))

    @property
    def current(self) -> str:
        return self.steps[self.step]


class Payments(Component):
    def __init__(self, sim: Any) -> None:
        super().__init__(sim)
        self.running: dict[str, Payment] = {}

    def actions(self) -> dict[str, CallHandler]:
        return {"pay": self._pay}

    def _pay(self, call: Call, body: dict[str, Any]) -> None:
        if not call.answered:
            raise wrong_state(f"pay: {call.id} has not been answered yet")
        if call.id in self.running:
            raise wrong_state(f"a payment is already being collected on {call.id}")
        if body.get("transaction_type") == "charge" and not body.get("amount"):
            raise invalid("a charge needs an amount above 0", "amount")
        if "payment_token" in body and "valid_card_types" in body:
            raise invalid("payment_token and valid_card_types exclude each other", "payment_token")
        payment = Payment(body, _steps(body))
        self.running[call.id] = payment
        if body.get("payment_token"):
            self._process(call, payment)
        else:
            self._ask(call, payment)

    def _ask(self, call: Call, payment: Payment) -> None:
        step = payment.current
        payment.typed, payment.answered = "", False
        self.sim.media.start_listening(call, "pay")  # a new prompt: the person answers it
        self.sim.media.speak(call, {"payload": _prompt(payment, step),
                                    "voice": str(payment.body.get("voice", "female"))},
                             silent=True)  # fmt: skip
        self._progress(call, payment, step, attempt=payment.attempt)
        wait = self.sim.media.playing_for(call) + payment.body.get("timeout_millis", 5000) / 1000
        self._wait(call, payment, wait)

    def _wait(self, call: Call, payment: Payment, seconds: float) -> None:
        if payment.timer is not None:
            payment.timer.cancel()
        payment.timer = self.sim.clock.after(seconds, lambda: self._entered(call, payment),
                                             "pay")  # fmt: skip

    def heard_digit(self, call: Call, key: str) -> None:
        payment = self.running.get(call.id)
        if payment is None or payment.step >= len(payment.steps):
            return
        payment.answered = True
        if key == "#":
            self._entered(call, payment)
            return
        payment.typed += key
        if payment.current == "expiration-date" and len(payment.typed) == 4:
            self._entered(call, payment)  # MMYY: complete without a pound key
            return
        self._wait(call, payment, payment.body.get("inter_digit_timeout_millis", 5000) / 1000)

    def _entered(self, call: Call, payment: Payment) -> None:
        if payment.timer is not None:
            payment.timer.cancel()
            payment.timer = None
        step = payment.current
        error = "timeout" if not payment.answered else self._check(payment, step, payment.typed)
        if error is not None:
            self._progress(call, payment, step, attempt=payment.attempt, error_type=error)
            if payment.attempt >= int(payment.body.get("max_attempts", 1)):
                self._complete(call, payment, "too-many-failed-attempts")
                return
            payment.attempt += 1
            self._ask(call, payment)
            return
        payment.collected[step] = payment.typed
        payment.step += 1
        payment.attempt = 1
        if payment.step < len(payment.steps):
            self._ask(call, payment)
        else:
            self._process(call, payment)

    def _check(self, payment: Payment, step: str, digits: str) -> str | None:
        """The error_type of a wrong answer, or None."""
        wrong = _FIELDS[step][1]
        if not digits.isdigit():
            return wrong
        if step == "payment-card-number":
            if digits not in TEST_CARDS:
                return wrong
            payment.card_type = TEST_CARDS[digits]
            allowed = payment.body.get("valid_card_types")
            if allowed and payment.card_type not in allowed:
                return "invalid-card-type"
            return None
        if step == "expiration-date":
            return None if len(digits) == 4 and 1 <= int(digits[:2]) <= 12 else wrong
        if step == "postal-code":
            shortest = int(payment.body.get("min_postal_code_length", 1))
            return None if shortest <= len(digits) <= max(10, shortest) else wrong
        if step == "security-code":
            return None if 3 <= len(digits) <= 4 else wrong
        if step == "bank-routing-number":
            return None if len(digits) == 9 else wrong
        return None if 4 <= len(digits) <= 17 else wrong

    def _process(self, call: Call, payment: Payment) -> None:
        payment.step = len(payment.steps)
        self.sim.media.stop_listening(call, "pay")
        self._progress(call, payment, "payment-processing", payment_status="processing")
        self.sim.at(call, PROCESSING_SECONDS, lambda: self._complete(call, payment, "success"),
                    "pay")  # fmt: skip

    def _complete(self, call: Call, payment: Payment, result: str) -> None:
        self.running.pop(call.id, None)
        self.sim.media.stop_listening(call, "pay")
        payload = self._common(payment)
        payload.update(self._data(payment))
        payload["result"] = result
        if result == "success":
            amount = payment.body.get("amount") or 0
            kind = payment.body.get("transaction_type") or ("charge" if amount > 0 else "tokenize")
            if kind == "charge":
                payload["charge_id"] = payload["payment_confirmation_code"] = self.sim.new_id()
            else:
                payload["token_id"] = str(payment.body.get("payment_token") or self.sim.new_id())
        else:
            payload["payment_error"] = "the caller did not give valid details in time"
        self.sim.emit("call.payment.completed", call, payload)

    def _progress(self, call: Call, payment: Payment, step: str, **extra: Any) -> None:
        payload = {**self._common(payment), "payment_step": step, **self._data(payment), **extra}
        self.sim.emit("call.payment.progress", call, payload)

    def _common(self, payment: Payment) -> dict[str, Any]:
        return {"payment_method": payment.method,
                "payment_connector": str(payment.body.get("connector_name", "Default"))}  # fmt: skip

    def _data(self, payment: Payment) -> dict[str, Any]:
        """The details collected so far, masked as Telnyx sends them."""
        out: dict[str, Any] = {}
        for step, value in payment.collected.items():
            name = _FIELDS[step][0]
            if step == "payment-card-number":
                out[name] = "x" * (len(value) - 4) + value[-4:]
            elif step == "security-code":
                out[name] = "x" * len(value)
            elif step == "bank-account-number":
                out[name] = "x" * (len(value) - 2) + value[-2:]
            else:
                out[name] = value
        if payment.card_type and "payment-card-number" in payment.collected:
            out["payment_card_type"] = payment.card_type
        if "bank-account-number" in payment.collected:
            out["bank_account_type"] = "checking"
        return out

    def call_ending(self, call: Call) -> None:
        payment = self.running.pop(call.id, None)
        if payment is not None and payment.timer is not None:
            payment.timer.cancel()


def _steps(body: dict[str, Any]) -> list[str]:
    if body.get("payment_method") == "ach-debit":
        return ["bank-routing-number", "bank-account-number"]
    steps = ["payment-card-number", "expiration-date"]
    postal = body.get("postal_code", True)
    if postal is True or str(postal).lower() == "true":
        steps.append("postal-code")
    return [*steps, "security-code"]


def _prompt(payment: Payment, step: str) -> str:
    prompts = payment.body.get("prompts") or {}
    given = prompts.get(step) if isinstance(prompts, dict) else None
    if isinstance(given, str) and given:
        return given
    if isinstance(given, list):
        for entry in given:
            attempts = str(entry.get("attempt", "")).split() if isinstance(entry, dict) else []
            fits = not attempts or str(payment.attempt) in attempts
            if isinstance(entry, dict) and entry.get("text") and fits and "error_type" not in entry:
                return str(entry["text"])
    return PROMPTS[step]


__all__ = ["TEST_CARDS", "Payments"]
