"""`<Gather>`: collect DTMF digits and/or speech while playing prompts."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from verbs.base import HttpMethod, Text, TwimlAttr, Verb, XmlBool, any_case, comma_list, space_list
from verbs.pause import Pause
from verbs.play import Play
from verbs.say import Say

TRANSCRIPTION_ENGINES = (
    "Google", "Telnyx", "Azure", "Deepgram", "xAI", "AssemblyAI", "Soniox", "Speechmatics",
    "Parakeet", "Humain", "Reson8", "Cohere",
)  # fmt: skip

KEYS_PATTERN = r"^[0-9*#]*$"


class Gather(Verb):
    TAG: ClassVar[str] = "Gather"
    TEXT: ClassVar[Text] = Text.NONE
    CHILDREN: ClassVar = {"Say": Say, "Play": Play, "Pause": Pause}
    TOLERATED_CHILDREN: ClassVar = {
        "Pause": "TeXML documents only <Say> and <Play> inside <Gather> (TwiML also allows "
        "<Pause>); texml plays it, hosted TeXML may not",
    }
    TWIML_ATTRS: ClassVar = {
        "maxSpeechTime": TwimlAttr(
            "TeXML has no maxSpeechTime; texml stops listening after 60 s of speech"
        ),
        "speechModel": TwimlAttr(
            'TeXML picks the recognizer with transcriptionEngine and model, e.g. '
            'transcriptionEngine="Deepgram" model="deepgram/nova-3"'
        ),
        "enhanced": TwimlAttr("TeXML spells it useEnhanced", maps_to="use_enhanced"),
        "bargeIn": TwimlAttr(
            "TeXML has no bargeIn: prompts always stop at the caller's first digit or word"
        ),
        "debug": TwimlAttr("TeXML has no debug attribute; use `texml run` to trace a call"),
    }

    action: str | None = None
    # Not in TeXML (which uses the application's method); accepted as in TwiML.
    method: HttpMethod | None = None
    timeout: Annotated[int, Field(ge=1, le=120)] = 5
    input: Annotated[space_list(Literal["dtmf", "speech"]), Field(min_length=1, max_length=2)] = ("dtmf",)
    speech_timeout: Annotated[int, Field(ge=0, le=60)] | Literal["auto"] | None = None
    partial_result_callback: str | None = None
    partial_result_callback_method: HttpMethod = "POST"
    profanity_filter: XmlBool | None = None
    use_enhanced: XmlBool | None = None
    hints: comma_list() | None = None
    keyterms: comma_list() | None = None
    smart_format: XmlBool = True
    transcription_engine: any_case(*TRANSCRIPTION_ENGINES) | None = None
    model: str | None = None
    api_key_ref: str | None = None
    region: str | None = None
    finish_on_key: Annotated[str, Field(pattern=KEYS_PATTERN)] = "#"
    num_digits: Annotated[int, Field(ge=1, le=128)] | None = None
    language: str = "en-US"
    valid_digits: Annotated[str, Field(pattern=KEYS_PATTERN, min_length=1)] | None = None
    invalid_digits_action: str | None = None
    min_digits: Annotated[int, Field(ge=1, le=128)] = 1
    max_digits: Annotated[int, Field(ge=1, le=128)] = 128
    # TwiML's; texml honours it (request `action` even when nothing was gathered).
    action_on_empty_result: XmlBool = False

    children: tuple[Say | Play | Pause, ...] = ()

    @model_validator(mode="after")
    def _digit_bounds(self) -> Gather:
        if self.min_digits > self.max_digits:
            raise ValueError(f"minDigits ({self.min_digits}) is more than maxDigits ({self.max_digits})")
        return self
