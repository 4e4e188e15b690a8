"""`<Connect>`: run one service on the call and continue only when it ends.

The services are `<Stream>` (the same model as under `<Start>`), `<ConversationRelay>` (with its
`<Language>` and `<Parameter>` children) and `<AIAssistant>`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from verbs.base import HttpMethod, Lint, Node, TwimlAttr, Verb, XmlBool
from verbs.parameter import Parameter
from verbs.start import Stream, WebSocketUrl

_INTERRUPTIBLE_ALIASES = {"true": "any", "false": "none"}


def _interruptible(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        return _INTERRUPTIBLE_ALIASES.get(lowered, lowered)
    return value


# What may interrupt the assistant's speech; `true`/`false` are read as `any`/`none`.
Interruptible = Annotated[Literal["none", "any", "speech", "dtmf"], BeforeValidator(_interruptible)]
BackgroundAudioType = Literal["media_url"]


def _check_background_audio(node: ConversationRelay | Language) -> None:
    if node.background_audio_type and not node.background_audio_value:
        raise ValueError(
            f'<{node.TAG} backgroundAudioType="media_url"> needs '
            'backgroundAudioValue="https://..." (the audio to mix in)'
        )
    if node.background_audio_value and not node.background_audio_type:
        raise ValueError(f'<{node.TAG} backgroundAudioValue> needs backgroundAudioType="media_url"')


class Language(Node):
    """One language of a multilingual `<ConversationRelay>`, with its voice and recognizer."""

    TAG: ClassVar[str] = "Language"

    code: Annotated[str, Field(min_length=1)]
    tts_provider: str | None = None
    voice: str | None = None
    transcription_provider: str | None = None
    speech_model: str | None = None
    background_audio_type: BackgroundAudioType | None = None
    background_audio_value: str | None = None

    @model_validator(mode="after")
    def _background_audio(self) -> Language:
        _check_background_audio(self)
        return self


_ONE_LANGUAGE = (
    "TeXML sets one language for speech and recognition: use language, or a <Language> child "
    "per language"
)
_RELAY_TWIML_ONLY = (
    "profanityFilter", "partialPrompts", "preemptible", "hints", "intelligenceService",
    "reportInputDuringAgentSpeech", "elevenlabsTextNormalization", "interruptSensitivity",
    "speechTimeout", "deepgramSmartFormat", "ignoreBackchannel", "events",
)  # fmt: skip


class ConversationRelay(Node):
    """Hand the call to a voice-AI relay: Telnyx does STT/TTS and exchanges text with `url`."""

    TAG: ClassVar[str] = "ConversationRelay"
    CHILDREN: ClassVar = {"Language": Language, "Parameter": Parameter}
    TWIML_ATTRS: ClassVar = {
        "ttsLanguage": TwimlAttr(_ONE_LANGUAGE),
        "transcriptionLanguage": TwimlAttr(_ONE_LANGUAGE),
        "ttsProvider": TwimlAttr(
            "TeXML picks the TTS provider by voice (e.g. voice=\"Telnyx.NaturalHD.astra\") or "
            "with <Language ttsProvider>"
        ),
        "speechModel": TwimlAttr(
            "TeXML sets the speech model per language: <Language speechModel>"
        ),
        "debug": TwimlAttr("TeXML has no debug attribute; use `texml run` to trace a call"),
        "backgroundNoiseReduction": TwimlAttr(
            "TeXML has no backgroundNoiseReduction; start noise suppression first with "
            "<Start><Suppression/></Start>"
        ),
        **{n: TwimlAttr(f"TeXML <ConversationRelay> has no {n}") for n in _RELAY_TWIML_ONLY},
    }

    url: WebSocketUrl | None = None
    welcome_greeting: str | None = None
    voice: str | None = None
    language: str | None = None
    transcription_provider: str | None = None
    interruptible: Interruptible = "any"
    welcome_greeting_interruptible: Interruptible = "any"
    dtmf_detection: XmlBool = False
    background_audio_type: BackgroundAudioType | None = None
    background_audio_value: str | None = None

    # <Language>s for a multilingual relay; <Parameter>s become assistant dynamic variables.
    children: tuple[Language | Parameter, ...] = ()

    @model_validator(mode="after")
    def _background_audio(self) -> ConversationRelay:
        _check_background_audio(self)
        return self

    def lint(self) -> list[Lint]:
        if not self.url:
            return [Lint(
                "<ConversationRelay> has no url, so there is no server to relay the conversation "
                "to",
                attribute="url",
                hint='add url="wss://..." (your relay WebSocket server)',
            )]
        return []


class AIAssistant(Node):
    """Run a Telnyx AI Assistant on the call (`id`), or join an assistant conversation (`join`)."""

    TAG: ClassVar[str] = "AIAssistant"

    id: str | None = None
    join: str | None = None
    participant_name: str | None = None
    participant_role: Literal["user", "assistant"] = "user"

    @model_validator(mode="after")
    def _target(self) -> AIAssistant:
        if not self.id and not self.join:
            raise ValueError(
                '<AIAssistant> needs id="assistant-..." (start an assistant) or join="..." '
                "(join an existing assistant conversation)"
            )
        return self

    def lint(self) -> list[Lint]:
        out: list[Lint] = []
        if self.id and self.join:
            out.append(Lint(
                "with join, the leg joins that conversation and id is not used",
                attribute="id",
                hint="remove id, or remove join to start the assistant",
            ))
        if not self.join:
            for field, alias in (("participant_name", "participantName"),
                                 ("participant_role", "participantRole")):
                if field in self.model_fields_set:
                    out.append(Lint(
                        f"{alias} applies only with join",
                        attribute=alias,
                        hint=f'add join="..." or remove {alias}',
                    ))
        return out


class Connect(Verb):
    """Run one service (`<Stream>`, `<ConversationRelay>` or `<AIAssistant>`) until it ends."""

    TAG: ClassVar[str] = "Connect"
    CHILDREN: ClassVar = {
        "Stream": Stream, "ConversationRelay": ConversationRelay, "AIAssistant": AIAssistant,
    }  # fmt: skip

    action: str | None = None
    method: HttpMethod = "POST"

    children: tuple[Stream | ConversationRelay | AIAssistant, ...] = ()

    @model_validator(mode="after")
    def _one_service(self) -> Connect:
        if len(self.children) != 1:
            found = ", ".join(f"<{c.TAG}>" for c in self.children) or "nothing"
            raise ValueError(
                "<Connect> takes exactly one <Stream>, <ConversationRelay> or <AIAssistant>; "
                f"found {found}: use one <Connect> per service"
            )
        return self

    def lint(self) -> list[Lint]:
        if self.action and isinstance(self.children[0], Stream):
            return [Lint(
                "<Connect action> is requested only after <ConversationRelay> or <AIAssistant>, "
                "not after <Stream>",
                attribute="action",
                hint="the verbs after </Connect> run when the stream stops; put them there",
            )]
        return []
