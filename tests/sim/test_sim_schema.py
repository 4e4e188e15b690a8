"""The simulator's view of the API matches the official SDK: command fields and webhook fields."""

from __future__ import annotations

import typing

import pytest
import typing_extensions as te

from tests.support.telnyx_schema import COMMANDS, WEBHOOK_MODELS, _aliases, _payload_fields
from texml.sim import webhooks
from texml.sim.fields import FIELDS


def _sdk_fields(params_cls: type) -> dict[str, bool]:
    """Wire field -> required, for one SDK params TypedDict."""
    hints = typing.get_type_hints(params_cls, include_extras=True)
    return {wire: _required(hints[python_key])
            for wire, (python_key, _) in _aliases(params_cls).items()}  # fmt: skip


def _required(annotation: object) -> bool:
    while True:
        origin = typing.get_origin(annotation)
        if origin is te.Required:
            return True
        if origin in (te.NotRequired, te.Annotated):
            annotation = typing.get_args(annotation)[0]
            continue
        return False


@pytest.mark.parametrize("route", sorted(COMMANDS), ids=lambda r: f"{r[0]} {r[1]}")
def test_every_sdk_command_is_known_with_the_same_fields(route: tuple[str, str]) -> None:
    ours = {_placeholders(k): v for k, v in FIELDS.items()}
    key = _placeholders(route)
    assert key in ours, f"{route} is missing from texml.sim.fields"
    params_cls = COMMANDS[route]
    sdk = _sdk_fields(params_cls) if params_cls is not None else {}
    path_keys = {p for p in _names(route[1])} & set(sdk)
    sdk = {k: v for k, v in sdk.items() if k not in path_keys}
    fields = ours[key]
    # Query endpoints spell page[number] where the SDK types a nested `page` object.
    if "page" in sdk:
        sdk.pop("page")
        sdk.update({"page[number]": False, "page[size]": False})
    assert {k: spec[2] for k, spec in fields.items()} == sdk


def _names(template: str) -> list[str]:
    import re

    return re.findall(r"\{([a-z_]+)\}", template)


def _placeholders(route: tuple[str, str]) -> tuple[str, str]:
    import re

    return route[0], re.sub(r"\{[a-z_]+\}", "{}", route[1])


def test_no_extra_routes() -> None:
    sdk = {_placeholders(r) for r in COMMANDS}
    assert {_placeholders(r) for r in FIELDS} <= sdk


@pytest.mark.parametrize("event_type", sorted(
    e for e in WEBHOOK_MODELS if e.split(".")[0] in ("call", "conference", "streaming", "siprec")
))  # fmt: skip
def test_common_fields_follow_the_sdk_model(event_type: str) -> None:
    model, wrapped = WEBHOOK_MODELS[event_type]
    declared = _payload_fields(model, wrapped)
    ours = set(webhooks.common_fields(event_type))
    extras = {"call_control_id"} if event_type == "call.recording.saved" else set()
    assert ours - extras <= declared
    assert (set(webhooks.CALL_FIELDS) & declared) <= ours


def test_signature_verifies_with_pynacl() -> None:
    import base64

    from nacl.signing import VerifyKey

    signer = webhooks.WebhookSigner(seed=b"k" * 32)
    body = webhooks.encode({"data": {"event_type": "call.hangup"}})
    headers = signer.headers(body, 1_700_000_000)
    key = VerifyKey(base64.b64decode(signer.public_key))
    key.verify(f"1700000000|{body}".encode(), base64.b64decode(headers["telnyx-signature-ed25519"]))
