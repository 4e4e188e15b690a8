"""`<Dial>` and the nouns it dials: `<Number>`, `<Sip>`, `<Conference>`, `<Queue>`."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from verbs.base import HttpMethod, Lint, Node, Text, TwimlAttr, Verb, XmlBool, space_list
from verbs.play import RingTone

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")

CallProgressEvent = Literal["initiated", "ringing", "answered", "amd", "dtmf", "completed"]
RecordingEvent = Literal["in-progress", "completed", "absent"]
MachineDetection = Literal["Enable", "DetectMessageEnd", "Disable"]
DetectionMode = Literal["Regular", "Premium", "PremiumCallScreening"]
SipRegion = Literal["US", "Europe", "Canada", "Australia", "Middle East"]

_AMD_ON_DIAL = "TeXML puts this on <Dial>, not on <Number>/<Sip>"


class Number(Node):
    """A phone number to dial. Text: the number in E.164."""

    TAG: ClassVar[str] = "Number"
    TEXT: ClassVar[Text] = Text.REQUIRED
    TWIML_ATTRS: ClassVar = {
        "byoc": TwimlAttr("TeXML has no BYOC trunk attribute; route through your Telnyx connection"),
        "machineDetectionSpeechThreshold": TwimlAttr(_AMD_ON_DIAL),
        "machineDetectionSpeechEndThreshold": TwimlAttr(_AMD_ON_DIAL),
        "machineDetectionSilenceTimeout": TwimlAttr(_AMD_ON_DIAL),
    }

    status_callback: str | None = None
    status_callback_event: space_list(CallProgressEvent) = ("completed",)
    status_callback_method: HttpMethod = "POST"
    url: str | None = None
    method: HttpMethod = "POST"
    send_digits: Annotated[str, Field(pattern=r"^[0-9*#wW]+$")] | None = None
    machine_detection: MachineDetection = "Disable"
    detection_mode: DetectionMode = "Regular"
    machine_detection_timeout: Annotated[int, Field(ge=500, le=60000)] = 3500
    machine_detection_prompt_end_timeout: Annotated[int, Field(ge=1000, le=120000)] | None = None
    # TeXML's docs also send the AMD result to amdStatusCallback; both are honoured.
    amd_status_callback: str | None = None
    amd_status_callback_method: HttpMethod = "POST"
    sip_region: SipRegion = "US"

    text: Annotated[str, Field(min_length=1)]

    def lint(self) -> list[Lint]:
        if not E164.match(self.text):
            return [Lint(
                f"{self.text!r} is not an E.164 number",
                hint="write it with + and the country code, e.g. +15551234567",
            )]
        return []


def _sip_uri(value: str) -> str:
    if not value.strip().lower().startswith(("sip:", "sips:")):
        raise ValueError(f"{value!r} is not a SIP URI: write it as sip:user@host (or sips:)")
    return value.strip()


class Sip(Node):
    """A SIP endpoint to dial. Text: the SIP URI."""

    TAG: ClassVar[str] = "Sip"
    TEXT: ClassVar[Text] = Text.REQUIRED
    TWIML_ATTRS: ClassVar = {
        "sendDigits": TwimlAttr(
            "TeXML has sendDigits only on <Number>, not on <Sip>"
        ),
        "machineDetectionSpeechThreshold": TwimlAttr(_AMD_ON_DIAL),
        "machineDetectionSpeechEndThreshold": TwimlAttr(_AMD_ON_DIAL),
        "machineDetectionSilenceTimeout": TwimlAttr(_AMD_ON_DIAL),
    }

    username: str | None = None
    password: str | None = None
    status_callback: str | None = None
    status_callback_event: space_list(CallProgressEvent) = ("completed",)
    status_callback_method: HttpMethod = "POST"
    url: str | None = None
    method: HttpMethod = "POST"
    machine_detection: MachineDetection = "Disable"
    detection_mode: DetectionMode = "Regular"
    machine_detection_timeout: Annotated[int, Field(ge=500, le=60000)] = 3500
    machine_detection_prompt_end_timeout: Annotated[int, Field(ge=1000, le=120000)] | None = None
    # As on <Number>: TeXML's docs also send the AMD result to amdStatusCallback.
    amd_status_callback: str | None = None
    amd_status_callback_method: HttpMethod = "POST"
    sip_region: SipRegion = "US"

    text: Annotated[str, AfterValidator(_sip_uri)]

    def lint(self) -> list[Lint]:
        if self.password and not self.username:
            return [Lint(
                "password is set without a username, so digest authentication cannot use it",
                attribute="password",
                hint='add username="..."',
            )]
        return []


ConferenceEvent = Literal["start", "end", "join", "leave", "speaker"]


class Conference(Node):
    """A conference room to join (created on first use). Text: the room name."""

    TAG: ClassVar[str] = "Conference"
    TEXT: ClassVar[Text] = Text.REQUIRED
    TWIML_ATTRS: ClassVar = {
        "coach": TwimlAttr(
            "TeXML has no coach attribute; set coaching on the participant with the REST API"
        ),
        "jitterBufferSize": TwimlAttr("TeXML has no jitterBufferSize; the platform sizes it"),
        "region": TwimlAttr("TeXML has no conference region; the platform picks it"),
        "eventCallbackUrl": TwimlAttr(
            "TeXML has no eventCallbackUrl; use statusCallback and statusCallbackEvent"
        ),
        "recordingConfigurationId": TwimlAttr("TeXML has no recording configurations"),
    }

    muted: XmlBool = False
    start_conference_on_enter: XmlBool = True
    end_conference_on_exit: XmlBool = False
    max_participants: Annotated[int, Field(ge=2, le=250)] = 250
    beep: XmlBool | Literal["onEnter", "onExit"] = True
    participant_label: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    record: Literal["do-not-record", "record-from-start"] = "do-not-record"
    record_beep: XmlBool = True
    recording_status_callback: str | None = None
    recording_status_callback_method: HttpMethod = "POST"
    recording_status_callback_event: space_list(RecordingEvent) = ("completed",)
    recording_timeout: Annotated[int, Field(ge=0, le=14400)] = 0
    trim: Literal["trim-silence", "do-not-trim"] = "do-not-trim"
    send_recording_url: XmlBool = True
    status_callback: str | None = None
    status_callback_method: HttpMethod = "POST"
    status_callback_event: space_list(ConferenceEvent) = ()
    wait_url: str | None = None
    wait_method: HttpMethod = "POST"

    text: Annotated[str, Field(min_length=1)]

    def lint(self) -> list[Lint]:
        out: list[Lint] = []
        if self.status_callback_event and not self.status_callback:
            out.append(Lint(
                "statusCallbackEvent is set but there is no statusCallback to send the events to",
                attribute="statusCallbackEvent",
                hint='add statusCallback="https://..."',
            ))
        if self.record == "do-not-record":
            recording_only = [
                alias for alias, field in (
                    ("recordingStatusCallback", "recording_status_callback"),
                    ("recordingTimeout", "recording_timeout"),
                    ("trim", "trim"),
                    ("recordBeep", "record_beep"),
                )
                if field in self.model_fields_set
            ]  # fmt: skip
            for alias in recording_only:
                out.append(Lint(
                    f"{alias} has no effect: the conference is not recorded",
                    attribute=alias,
                    hint='add record="record-from-start"',
                ))
        return out


class Queue(Node):
    """A queue to take the longest-waiting caller from. Text: the queue name."""

    TAG: ClassVar[str] = "Queue"
    TEXT: ClassVar[Text] = Text.REQUIRED
    TWIML_ATTRS: ClassVar = {
        "reservationSid": TwimlAttr("TeXML has no TaskRouter: reservationSid is not supported"),
        "postWorkActivitySid": TwimlAttr(
            "TeXML has no TaskRouter: postWorkActivitySid is not supported"
        ),
    }

    # A document run on the dequeued caller before bridging (<Play>, <Say>, <Gather>, <Pause>,
    # <Redirect>).
    url: str | None = None
    method: HttpMethod = "POST"

    text: Annotated[str, Field(min_length=1)]


class Dial(Verb):
    """Call one or more destinations and connect the caller to the first that answers."""

    TAG: ClassVar[str] = "Dial"
    TEXT: ClassVar[Text] = Text.OPTIONAL  # a bare number instead of a <Number>
    TWIML_ATTRS: ClassVar = {
        "callReason": TwimlAttr("TeXML has no callReason (branded calling is set up in the portal)"),
        "trim": TwimlAttr("TeXML does not trim <Dial> recordings"),
        "recordingTrack": TwimlAttr(
            'TeXML records both tracks; use recordingChannels="dual" to keep them apart'
        ),
        "referUrl": TwimlAttr("TeXML has no referUrl; handle transfers with <Refer>"),
        "referMethod": TwimlAttr("TeXML has no referMethod; handle transfers with <Refer>"),
        "events": TwimlAttr("TeXML has no events attribute; use statusCallbackEvent on <Number>/<Sip>"),
        "passports": TwimlAttr("TeXML has no passports attribute"),
        "recordingConfigurationId": TwimlAttr("TeXML has no recording configurations"),
    }
    CHILDREN: ClassVar = {"Number": Number, "Sip": Sip, "Conference": Conference, "Queue": Queue}

    action: str | None = None
    method: HttpMethod = "POST"
    caller_id: str | None = None
    from_display_name: Annotated[str, Field(max_length=128, pattern=r"^[A-Za-z0-9 \-_~!.+]*$")] | None = None
    hangup_on_star: XmlBool = False
    timeout: Annotated[int, Field(ge=5, le=120)] = 30
    time_limit: Annotated[int, Field(ge=60, le=14400)] = 14400
    record: Literal[
        "do-not-record", "record-from-answer", "record-from-ringing",
        "record-from-answer-dual", "record-from-ringing-dual",
    ] = "do-not-record"  # fmt: skip
    recording_channels: Literal["single", "dual"] = "single"
    record_max_length: Annotated[int, Field(ge=0, le=14400)] = 0
    recording_status_callback: str | None = None
    recording_status_callback_method: HttpMethod = "POST"
    recording_status_callback_event: space_list(RecordingEvent) = ("completed",)
    send_recording_url: XmlBool = True
    ring_tone: RingTone = "us"
    audio_url: str | None = None
    answer_on_bridge: XmlBool = False
    sequential: XmlBool = False
    pass_diversion_header: XmlBool = False
    machine_detection_speech_threshold: Annotated[int, Field(ge=0, le=60000)] | None = None
    machine_detection_speech_end_threshold: Annotated[int, Field(ge=0, le=60000)] | None = None
    machine_detection_silence_timeout: Annotated[int, Field(ge=0, le=60000)] | None = None

    text: str | None = None
    children: tuple[Number | Sip | Conference | Queue, ...] = ()

    @model_validator(mode="after")
    def _destinations(self) -> Dial:
        if self.text and self.children:
            raise ValueError("<Dial> takes either a bare number as text or nouns, not both")
        if not self.text and not self.children:
            raise ValueError(
                "<Dial> has nothing to dial: add a <Number>, <Sip>, <Conference> or <Queue>"
            )
        alone = [c for c in self.children if isinstance(c, (Conference, Queue))]
        if alone and len(self.children) > 1:
            raise ValueError(
                f"<{alone[0].TAG}> must be the only noun in its <Dial>: use one <Dial> per "
                "conference or queue, and a separate <Dial> for <Number>/<Sip> destinations"
            )
        return self

    def lint(self) -> list[Lint]:
        out: list[Lint] = []
        child = self.children[0] if len(self.children) == 1 else None
        if isinstance(child, (Conference, Queue)) and self.record != "do-not-record":
            hint = (
                'use <Conference record="record-from-start"> instead'
                if isinstance(child, Conference)
                else "record the call with <Start><Recording/></Start> before the <Dial>"
            )
            out.append(Lint(
                f"<Dial record> applies only to <Number> and <Sip>, not to <{child.TAG}>",
                attribute="record",
                hint=hint,
            ))
        if isinstance(child, Conference) and self.hangup_on_star:
            out.append(Lint(
                "hangupOnStar does not apply to conferences in TeXML (in TwiML it leaves the "
                "conference)",
                attribute="hangupOnStar",
                hint="remove it; end the participant's call with the REST API instead",
            ))
        return out
