"""`<Say>`: speak text with a text-to-speech voice."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from verbs.base import Text, Verb

LANGUAGE_BOOST = (
    "Auto", "English", "German", "Chinese", "French", "Italian", "Japanese", "Korean",
    "Portuguese", "Russian", "Spanish", "en", "de", "zh", "fr", "it", "ja", "ko", "pt", "ru", "es",
)  # fmt: skip


class Say(Verb):
    TAG: ClassVar[str] = "Say"
    TEXT: ClassVar[Text] = Text.REQUIRED

    voice: str = "man"
    language: str | None = None
    loop: Annotated[int, Field(ge=0, le=10)] = 1
    gender: Literal["Male", "Female"] | None = None
    effect: Literal["eq_telecomhp8k", "eq_car"] | None = None
    voice_speed: Annotated[float, Field(ge=0.1, le=2.0)] = 1.0
    api_key_ref: str | None = Field(default=None, alias="api_key_ref")
    region: str | None = None
    pronunciation_dict_id: str | None = None
    language_boost: Literal[LANGUAGE_BOOST] | None = None  # type: ignore[valid-type]

    # The words to speak (the element's text with any markup removed).
    text: Annotated[str, Field(max_length=3000)]
    # When the text holds SSML elements (<break/>, <prosody>...): the inner markup, verbatim.
    ssml: str | None = None
