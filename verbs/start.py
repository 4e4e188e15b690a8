"""`<Start>` and `<Stop>`: start or stop a background service and carry on at once.

The services are the nouns `<Stream>`, `<Transcription>`, `<Suppression>`, `<Siprec>` and
`<Recording>`. Under `<Stop>` the same tags take (almost) no attributes, so they have their own
models: `StopStream`, `StopTranscription`, `StopSuppression`, `StopSiprec`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from verbs.base import (
    HttpMethod, Lint, Node, TwimlAttr, Verb, XmlBool, any_case, comma_list, space_list,
)  # fmt: skip
from verbs.dial import RecordingEvent
from verbs.gather import TRANSCRIPTION_ENGINES
from verbs.parameter import Parameter

Track = Literal["inbound_track", "outbound_track", "both_tracks"]
StreamCodec = Literal["PCMU", "PCMA", "G722", "OPUS", "AMR-WB"]


def _int_from_text(value: Any) -> Any:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _websocket_url(value: str) -> str:
    if not value.strip().lower().startswith(("ws://", "wss://")):
        raise ValueError(f"{value!r} is not a WebSocket URL: it must start with wss:// (or ws://)")
    return value.strip()


WebSocketUrl = Annotated[str, AfterValidator(_websocket_url)]


# --- <Stream> ---


class Stream(Node):
    """Fork the call audio to a WebSocket (`<Start>`: in the background; `<Connect>`: until it
    stops). Children: `<Parameter>`s, sent in the WebSocket `start` message."""

    TAG: ClassVar[str] = "Stream"
    CHILDREN: ClassVar = {"Parameter": Parameter}
    TWIML_ATTRS: ClassVar = {
        "audioFormat": TwimlAttr('TeXML picks the audio encoding with codec, e.g. codec="PCMU"'),
        "sampleRate": TwimlAttr(
            "TeXML streams at the call's rate; bidirectionalSamplingRate sets the rate of audio "
            "sent back"
        ),
        "connectorName": TwimlAttr(
            "TeXML has no Stream Connectors; point url at your own WebSocket server"
        ),
    }

    url: WebSocketUrl
    track: Track = "inbound_track"
    name: str | None = None
    codec: Literal["PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "default"] = "default"
    bidirectional_mode: Literal["mp3", "rtp"] = "mp3"
    bidirectional_codec: StreamCodec = "PCMU"
    bidirectional_sampling_rate: Annotated[
        Literal[8000, 16000, 24000], BeforeValidator(_int_from_text)
    ] = 8000
    status_callback: str | None = None
    status_callback_method: HttpMethod = "POST"
    enable_reconnect: XmlBool = True

    children: tuple[Parameter, ...] = ()

    def lint(self) -> list[Lint]:
        if self.bidirectional_mode != "rtp" and "bidirectional_codec" in self.model_fields_set:
            return [Lint(
                'bidirectionalCodec applies only with bidirectionalMode="rtp"',
                attribute="bidirectionalCodec",
                hint='add bidirectionalMode="rtp", or remove bidirectionalCodec',
            )]
        return []


class StopStream(Node):
    """`<Stop><Stream/>`: stop the call's stream, or the one called `name`."""

    TAG: ClassVar[str] = "Stream"

    name: str | None = None


# --- <Transcription> ---

TRANSCRIPTION_ENGINES_WITH_LEGACY = (*TRANSCRIPTION_ENGINES, "A", "B")
_LEGACY_ENGINE = {"A": "Google", "B": "Telnyx"}


class Transcription(Node):
    """Real-time speech-to-text; results are posted to `transcriptionCallback`."""

    TAG: ClassVar[str] = "Transcription"
    TWIML_ATTRS: ClassVar = {
        "name": TwimlAttr(
            "TeXML transcriptions have no name; <Stop><Transcription/> stops the current one"
        ),
        "track": TwimlAttr(
            'TeXML spells it transcriptionTracks, with values inbound, outbound or both '
            '(not inbound_track...)'
        ),
        "statusCallbackUrl": TwimlAttr(
            "TeXML spells it transcriptionCallback (and posts Transcript/IsFinal, not "
            "TranscriptionEvent/TranscriptionData)",
            maps_to="transcription_callback",
        ),
        "statusCallbackMethod": TwimlAttr(
            "TeXML spells it transcriptionCallbackMethod", maps_to="transcription_callback_method"
        ),
        "partialResults": TwimlAttr("TeXML spells it interimResults", maps_to="interim_results"),
        "languageCode": TwimlAttr("TeXML spells it language", maps_to="language"),
        "speechModel": TwimlAttr(
            'TeXML picks the model with model="vendor/model", e.g. model="deepgram/nova-3"'
        ),
        "profanityFilter": TwimlAttr("TeXML <Transcription> has no profanity filter"),
        "inboundTrackLabel": TwimlAttr("TeXML has no track labels"),
        "outboundTrackLabel": TwimlAttr("TeXML has no track labels"),
        "enableAutomaticPunctuation": TwimlAttr(
            'TeXML has no enableAutomaticPunctuation; with Deepgram, smartFormat="true" formats '
            "the transcript"
        ),
        "intelligenceService": TwimlAttr("TeXML has no Conversational Intelligence service"),
    }

    language: str = "en"
    interim_results: XmlBool = False
    transcription_engine: any_case(*TRANSCRIPTION_ENGINES_WITH_LEGACY) = "Google"
    transcription_tracks: Literal["inbound", "outbound", "both"] = "inbound"
    transcription_callback: str | None = None
    transcription_callback_method: HttpMethod = "POST"
    model: str | None = None
    hints: comma_list() | None = None
    keyterms: comma_list() | None = None
    smart_format: XmlBool = True
    api_key_ref: str | None = None
    region: str | None = None

    @property
    def engine(self) -> str:
        """The engine's current name (the legacy `A`/`B` spelled out)."""
        return _LEGACY_ENGINE.get(self.transcription_engine, self.transcription_engine)

    @model_validator(mode="after")
    def _azure_region(self) -> Transcription:
        if self.engine == "Azure" and not self.region:
            raise ValueError(
                'transcriptionEngine="Azure" needs a region, e.g. region="eastus"'
            )
        return self

    def lint(self) -> list[Lint]:
        out: list[Lint] = []
        engine = self.engine
        if self.interim_results and engine != "Google":
            out.append(Lint(
                f"interimResults works only with the Google engine, not {engine}",
                attribute="interimResults",
                hint='use transcriptionEngine="Google", or remove interimResults',
            ))
        if self.model and "/" in self.model:
            vendor = self.model.split("/", 1)[0].lower()
            engines = {e.lower() for e in TRANSCRIPTION_ENGINES}
            if vendor in engines and vendor != engine.lower():
                out.append(Lint(
                    f"model {self.model!r} belongs to another engine than {engine}",
                    attribute="model",
                    hint=f"the model's vendor must match transcriptionEngine (here {engine})",
                ))
        model = self.model or ("deepgram/nova-3" if engine == "Deepgram" else "")
        if self.keyterms and model != "deepgram/nova-3":
            out.append(Lint(
                "keyterms works only with Deepgram's nova-3 model",
                attribute="keyterms",
                hint='use transcriptionEngine="Deepgram" model="deepgram/nova-3", or hints',
            ))
        if self.hints and model == "deepgram/nova-3":
            out.append(Lint(
                "hints is ignored by Deepgram's nova-3 model",
                attribute="hints",
                hint='use keyterms with nova-3, or model="deepgram/nova-2"',
            ))
        if "smart_format" in self.model_fields_set and engine != "Deepgram":
            out.append(Lint(
                f"smartFormat works only with the Deepgram engine, not {engine}",
                attribute="smartFormat",
            ))
        return out


class StopTranscription(Node):
    """`<Stop><Transcription/>`: stop the call's transcription. No attributes."""

    TAG: ClassVar[str] = "Transcription"
    TWIML_ATTRS: ClassVar = {
        "name": TwimlAttr(
            "TeXML transcriptions have no name; <Transcription/> stops the current one"
        ),
    }


# --- <Suppression> ---

KRISP_ONLY = {"model": "model", "suppression_level": "suppressionLevel"}
AICOUSTICS_ONLY = {"family": "family", "size": "size", "enhancement_level": "enhancementLevel"}


class Suppression(Node):
    """Noise suppression on the call audio (TeXML only)."""

    TAG: ClassVar[str] = "Suppression"

    direction: Literal["inbound", "outbound", "both"] = "inbound"
    noise_suppression_engine: Literal[
        "Denoiser", "DeepFilterNet", "Krisp", "AiCoustics"
    ] = "Denoiser"
    # Krisp only.
    model: Literal[
        "krisp-viva-tel-v2.kef", "krisp-viva-tel-lite-v1.kef", "krisp-viva-pro-v1.kef",
        "krisp-viva-ss-v1.kef",
    ] | None = None  # fmt: skip
    suppression_level: Annotated[float, Field(ge=0.0, le=100.0)] | None = None
    # AiCoustics only.
    family: Literal["sparrow", "quail"] = "sparrow"
    size: Literal["s", "l", "vf"] = "s"
    enhancement_level: Annotated[float, Field(ge=0.0, le=1.0)] = 0.8

    @model_validator(mode="after")
    def _size_family(self) -> Suppression:
        if self.size == "vf" and self.family != "quail":
            raise ValueError('size="vf" needs family="quail"')
        return self

    def lint(self) -> list[Lint]:
        out: list[Lint] = []
        for engine, only in (("Krisp", KRISP_ONLY), ("AiCoustics", AICOUSTICS_ONLY)):
            if self.noise_suppression_engine == engine:
                continue
            for field, alias in only.items():
                if field in self.model_fields_set:
                    out.append(Lint(
                        f"{alias} applies only to the {engine} engine, not "
                        f"{self.noise_suppression_engine}",
                        attribute=alias,
                        hint=f'add noiseSuppressionEngine="{engine}", or remove {alias}',
                    ))
        return out


class StopSuppression(Node):
    """`<Stop><Suppression/>`: stop the call's noise suppression. No attributes."""

    TAG: ClassVar[str] = "Suppression"


# --- <Siprec> ---


def _session_timeout(value: int) -> int:
    if 0 < value < 90:
        raise ValueError("must be 0 (no session timer) or from 90 to 14440 seconds")
    return value


class Siprec(Node):
    """Record the call on an external SIPREC server (SRS) set up as a Telnyx connector."""

    TAG: ClassVar[str] = "Siprec"
    CHILDREN: ClassVar = {"Parameter": Parameter}

    connector_name: str | None = None
    name: str | None = None
    track: Track = "both_tracks"
    status_callback: str | None = None
    status_callback_method: HttpMethod = "POST"
    include_metadata_custom_headers: XmlBool = False
    secure: XmlBool = False
    # Seconds; 0 turns the SIP session timer off.
    session_timeout_secs: Annotated[
        int, Field(ge=0, le=14440), AfterValidator(_session_timeout)
    ] = 1800

    # Custom parameters: SIPREC metadata or SIP headers, per includeMetadataCustomHeaders.
    children: tuple[Parameter, ...] = ()

    def lint(self) -> list[Lint]:
        if not self.connector_name:
            return [Lint(
                "<Siprec> names no connector, so Telnyx cannot know which recording server to use",
                attribute="connectorName",
                hint='add connectorName="..." (the SIPREC connector set up in the Telnyx portal)',
            )]
        return []


class StopSiprec(Node):
    """`<Stop><Siprec name="..."/>`: stop a SIPREC session."""

    TAG: ClassVar[str] = "Siprec"

    name: str | None = None


# --- <Recording> ---


class Recording(Node):
    """`<Start><Recording/>`: record the call in the background until it ends."""

    TAG: ClassVar[str] = "Recording"

    recording_status_callback: str | None = None
    recording_status_callback_method: HttpMethod = "POST"
    recording_status_callback_event: space_list(RecordingEvent) = ("completed",)
    channels: Literal["mono", "single", "dual"] = "dual"
    track: Literal["inbound", "outbound", "both"] = "both"
    trim: Literal["trim-silence", "do-not-trim"] | None = None
    format: Literal["mp3", "wav"] = "mp3"


# --- <Start>, <Stop> ---


class Start(Verb):
    """Start background services and continue with the next verb at once."""

    TAG: ClassVar[str] = "Start"
    CHILDREN: ClassVar = {
        "Stream": Stream, "Transcription": Transcription, "Suppression": Suppression,
        "Siprec": Siprec, "Recording": Recording,
    }  # fmt: skip
    TWIML_ATTRS: ClassVar = {
        "action": TwimlAttr("TeXML <Start> has no action: the next verb runs at once"),
        "method": TwimlAttr("TeXML <Start> has no action, so no method"),
    }

    children: tuple[Stream | Transcription | Suppression | Siprec | Recording, ...] = ()

    @model_validator(mode="after")
    def _something_to_start(self) -> Start:
        if not self.children:
            raise ValueError(
                "<Start> starts nothing: add a <Stream>, <Transcription>, <Suppression>, "
                "<Siprec> or <Recording>"
            )
        return self


class Stop(Verb):
    """Stop background services started with `<Start>` and continue at once."""

    TAG: ClassVar[str] = "Stop"
    CHILDREN: ClassVar = {
        "Stream": StopStream, "Transcription": StopTranscription,
        "Suppression": StopSuppression, "Siprec": StopSiprec,
    }  # fmt: skip

    children: tuple[StopStream | StopTranscription | StopSuppression | StopSiprec, ...] = ()

    @model_validator(mode="after")
    def _something_to_stop(self) -> Stop:
        if not self.children:
            raise ValueError(
                "<Stop> stops nothing: add a <Stream/>, <Transcription/>, <Suppression/> or "
                '<Siprec name="..."/>'
            )
        return self
