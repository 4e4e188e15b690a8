"""`<Play>`: play an audio file, DTMF tones or a generated ringback tone."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from verbs.base import Text, Verb, XmlBool

RING_TONES = (
    "at", "au", "bg", "br", "be", "ch", "cl", "cn", "cz", "de", "dk", "ee", "es", "fi", "fr",
    "gr", "hu", "il", "in", "it", "lt", "jp", "mx", "my", "nl", "no", "nz", "ph", "pl", "pt",
    "ru", "se", "sg", "th", "tw", "ve", "za", "us", "us-old", "uk",
)  # fmt: skip
RingTone = Literal[RING_TONES]  # type: ignore[valid-type]

DTMF_DIGITS_PATTERN = r"^[0-9*#wW]+$"


class Play(Verb):
    TAG: ClassVar[str] = "Play"
    TEXT: ClassVar[Text] = Text.OPTIONAL

    loop: Annotated[int, Field(ge=0, le=1000)] = 1
    media_storage: XmlBool = False
    digits: Annotated[str, Field(pattern=DTMF_DIGITS_PATTERN)] | None = None
    failover_url: str | None = None
    continue_on_error: XmlBool = False
    ring_tone: RingTone | None = None

    # The audio URL (or media name with mediaStorage="true"); empty with digits or ringTone.
    text: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Play:
        sources = [s for s in (self.text, self.digits, self.ring_tone) if s]
        if len(sources) != 1:
            raise ValueError(
                "<Play> needs exactly one of: an audio URL as its text, digits=\"...\", or "
                "ringTone=\"...\""
            )
        return self
