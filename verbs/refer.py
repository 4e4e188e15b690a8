"""`<Refer>`: transfer the call to a SIP URI with SIP REFER."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, model_validator

from verbs.base import HttpMethod, Node, Text, Verb


class ReferSip(Node):
    """`<Sip>` inside `<Refer>`: the transfer target (not `<Dial><Sip>`, which has attributes)."""

    TAG: ClassVar[str] = "Sip"
    TEXT: ClassVar[Text] = Text.REQUIRED

    text: Annotated[str, Field(min_length=1)]

    @model_validator(mode="after")
    def _sip_uri(self) -> ReferSip:
        if not self.text.lower().startswith(("sip:", "sips:")):
            raise ValueError(
                f"<Sip> must hold a SIP URI starting with sip: or sips:, e.g. "
                f"sip:john@example.com (got {self.text!r})"
            )
        return self


class Refer(Verb):
    TAG: ClassVar[str] = "Refer"
    CHILDREN: ClassVar = {"Sip": ReferSip}

    action: str | None = None
    method: HttpMethod = "POST"

    children: tuple[ReferSip, ...] = ()

    @model_validator(mode="after")
    def _one_target(self) -> Refer:
        if not self.children:
            raise ValueError(
                "<Refer> needs a <Sip> with the target, e.g. <Sip>sip:john@example.com</Sip>"
            )
        if len(self.children) > 1:
            raise ValueError("<Refer> transfers to one target: keep a single <Sip>")
        return self

    @property
    def target(self) -> str:
        return self.children[0].text
