"""`<Pay>`: collect card or ACH details by DTMF and charge or tokenize them through a Telnyx
Pay connector. Modelled on the Telnyx verb page; TwiML-only attributes are recognised and
reported (see TWIML_ATTRS)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from verbs.base import HttpMethod, Lint, Node, TwimlAttr, Verb, space_list
from verbs.parameter import Parameter
from verbs.pause import Pause
from verbs.play import Play
from verbs.say import Say

CARD_STEPS = ("payment-card-number", "expiration-date", "postal-code", "security-code")
ACH_STEPS = ("bank-routing-number", "bank-account-number")
# "payment-processing" is TwiML's (TeXML's <Prompt for> lacks it): accepted with a warning.
PromptStep = Literal[CARD_STEPS + ACH_STEPS + ("payment-processing",)]  # type: ignore[valid-type]
ErrorType = Literal[
    "timeout", "invalid-card-number", "invalid-date", "invalid-security-code",
    "invalid-postal-code", "invalid-bank-routing-number", "invalid-bank-account-number",
]  # fmt: skip


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _json(text: str, attribute: str, *, object_only: bool) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{attribute} must be JSON: {exc.msg} at column {exc.colno}") from None
    if object_only and not isinstance(value, dict):
        raise ValueError(f'{attribute} must be a JSON object, e.g. {{"key": "value"}}')
    return value


class Prompt(Node):
    """What to say at one step of `<Pay>`, optionally only for some attempts, cards or errors."""

    TAG: ClassVar[str] = "Prompt"
    CHILDREN: ClassVar = {"Say": Say, "Play": Play, "Pause": Pause}

    for_: PromptStep = Field(alias="for")
    # 1-based attempts this prompt is for (maxAttempts is at most 3).
    attempt: space_list(Annotated[int, Field(ge=1, le=3)]) | None = None
    # Card types are lowercase and matched case-sensitively, e.g. "amex".
    card_type: space_list(str) | None = None
    error_type: space_list(ErrorType) | None = None

    children: tuple[Say | Play | Pause, ...] = ()

    @field_validator("card_type")
    @classmethod
    def _lowercase_cards(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for card in value or ():
            if card != card.lower():
                raise ValueError(f"card types are lowercase: write {card.lower()!r}, not {card!r}")
        return value

    def lint(self) -> list[Lint]:
        out: list[Lint] = []
        if self.for_ == "payment-processing":
            out.append(Lint(
                'TeXML\'s <Prompt for> has no "payment-processing" step (it is TwiML\'s)',
                attribute="for",
            ))
        if not self.children:
            out.append(Lint("<Prompt> is empty: nothing will be said", hint="add a <Say>"))
        return out


class Pay(Verb):
    TAG: ClassVar[str] = "Pay"
    CHILDREN: ClassVar = {"Prompt": Prompt, "Parameter": Parameter}
    TWIML_ATTRS: ClassVar = {
        "input": TwimlAttr("TeXML's <Pay> collects DTMF only; remove input"),
        "securityCode": TwimlAttr(
            'TeXML has no securityCode: paymentMethod="credit-card" always asks for it'
        ),
        "postalCode": TwimlAttr(
            'TeXML\'s verb page has no postalCode: paymentMethod="credit-card" asks for it'
        ),
        "minPostalCodeLength": TwimlAttr("TeXML's verb page has no minPostalCodeLength"),
        "validCardTypes": TwimlAttr(
            "TeXML's verb page has no validCardTypes; the payment connector decides which cards "
            "it accepts"
        ),
        "tokenType": TwimlAttr(
            'TeXML has no tokenType; use transactionType="tokenize" (and no chargeAmount)'
        ),
        "bankAccountType": TwimlAttr(
            'TeXML has no bankAccountType: paymentMethod="ach-debit" collects routing and '
            "account numbers only"
        ),
    }

    # Omitted: TeXML requests the current document URL after <Pay>.
    action: str | None = None
    method: HttpMethod = "POST"
    status_callback: str | None = None
    status_callback_method: HttpMethod = "POST"
    payment_connector: str = "Default"
    # Needed for a charge; 0 or omitted: tokenize.
    charge_amount: Annotated[Decimal, Field(ge=0)] | None = None
    # Only USD is supported; TwiML writes it "usd", so any case is accepted.
    currency: Annotated[Literal["USD"], BeforeValidator(_upper)] = "USD"
    payment_token: str | None = None
    payment_method: Literal["credit-card", "ach-debit"] = "credit-card"
    # None: tokenize when chargeAmount is absent or 0, else charge (see effective_transaction_type).
    transaction_type: Literal["charge", "tokenize"] | None = None
    description: str | None = None
    max_attempts: Annotated[int, Field(ge=1, le=3)] = 1
    timeout: Annotated[int, Field(ge=1, le=600)] = 5
    inter_digit_timeout: Annotated[int, Field(ge=1, le=600)] = 5
    voice: str = "female"
    language: str = "en-US"
    service_level: Literal["premium"] = "premium"
    # JSON strings. Same-named <Parameter> children override `parameters`.
    parameters: str | None = None
    prompts: str | None = None
    metadata: str | None = None

    children: tuple[Prompt | Parameter, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Pay:
        if self.parameters is not None:
            _json(self.parameters, "parameters", object_only=True)
        if self.prompts is not None:
            _json(self.prompts, "prompts", object_only=True)
        if self.metadata is not None:
            _json(self.metadata, "metadata", object_only=False)
        if self.transaction_type == "charge" and not self.charge_amount:
            raise ValueError(
                'transactionType="charge" needs a chargeAmount greater than 0, e.g. "10.50"'
            )
        return self

    @property
    def effective_transaction_type(self) -> Literal["charge", "tokenize"]:
        if self.transaction_type is not None:
            return self.transaction_type
        return "charge" if self.charge_amount else "tokenize"

    @property
    def connector_parameters(self) -> dict[str, Any]:
        """`parameters` merged with the `<Parameter>` children (which win)."""
        merged = dict(json.loads(self.parameters)) if self.parameters else {}
        merged.update((p.name, p.value) for p in self.children if isinstance(p, Parameter))
        return merged

    def lint(self) -> list[Lint]:
        out: list[Lint] = []
        if self.transaction_type == "tokenize" and self.charge_amount:
            out.append(Lint(
                'chargeAmount is ignored with transactionType="tokenize"', attribute="chargeAmount",
            ))
        unused_steps = ACH_STEPS if self.payment_method == "credit-card" else CARD_STEPS
        for prompt in self.children:
            if not isinstance(prompt, Prompt):
                continue
            if prompt.for_ in unused_steps:
                out.append(Lint(
                    f'<Prompt for="{prompt.for_}"> is never used with '
                    f'paymentMethod="{self.payment_method}"',
                ))
            if prompt.attempt and max(prompt.attempt) > self.max_attempts:
                out.append(Lint(
                    f"<Prompt attempt=\"{' '.join(map(str, prompt.attempt))}\"> names an attempt "
                    f"beyond maxAttempts ({self.max_attempts})",
                    hint=f'raise maxAttempts to {max(prompt.attempt)}',
                ))
        if self.prompts is not None and any(isinstance(c, Prompt) for c in self.children):
            out.append(Lint(
                "both a prompts attribute and <Prompt> children",
                attribute="prompts",
                hint="use one of them",
            ))
        return out
