"""`<Record>`: record the caller (blocking), optionally transcribe, then request `action`."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from verbs.base import HttpMethod, Lint, TwimlAttr, Verb, XmlBool, space_list

KEYS_PATTERN = r"^[0-9*#]*$"

# TeXML's engines: A (Google), B (Telnyx), Deepgram. The docs spell Deepgram both ways.
TranscriptionEngine = Annotated[
    Literal["A", "B", "Deepgram"],
    BeforeValidator(lambda v: "Deepgram" if v == "deepgram" else v),
]


class Record(Verb):
    TAG: ClassVar[str] = "Record"
    TWIML_ATTRS: ClassVar = {
        "recordingConfigurationId": TwimlAttr("TeXML has no recording configurations"),
        "transcribe": TwimlAttr("TeXML spells it transcription", maps_to="transcription"),
        "transcribeCallback": TwimlAttr(
            "TeXML spells it transcriptionCallback", maps_to="transcription_callback"
        ),
        # The TeXML page's callback section names it; its attribute table does not.
        "statusCallback": TwimlAttr(
            "TeXML spells it recordingStatusCallback", maps_to="recording_status_callback"
        ),
    }

    action: str | None = None
    method: HttpMethod = "POST"
    finish_on_key: Annotated[str, Field(pattern=KEYS_PATTERN)] = "1234567890*#"
    # Seconds of silence (after speech) that stop the recording; 0: no silence timeout.
    timeout: Annotated[int, Field(ge=0)] = 0
    # 0: unlimited.
    max_length: Annotated[int, Field(ge=0, le=14400)] = 3600
    play_beep: XmlBool = True
    # "do-not-trim" is TwiML's; accepted (it means TeXML's default, no trimming) with a warning.
    trim: Literal["trim-silence", "do-not-trim"] | None = None
    channels: Literal["single", "dual"] = "dual"
    recording_status_callback: str | None = None
    recording_status_callback_method: HttpMethod = "POST"
    # "absent" is TwiML's; accepted with a warning (TeXML's <Record> never sends it).
    recording_status_callback_event: space_list(Literal["in-progress", "completed", "absent"]) = (
        "completed",
    )
    transcription: XmlBool = False
    transcription_callback: str | None = None
    transcription_engine: TranscriptionEngine = "A"
    # vendor/model, e.g. deepgram/nova-3; None: the engine's default.
    transcription_model: str | None = None
    transcription_language: str = "en-US"
    format: Literal["mp3", "wav"] = "mp3"

    @model_validator(mode="after")
    def _model_matches_engine(self) -> Record:
        # Only Deepgram models are documented; their vendor must match the engine both ways.
        model = self.transcription_model
        if model and "/" in model:
            is_deepgram_model = model.split("/", 1)[0].lower() == "deepgram"
            if is_deepgram_model and self.transcription_engine != "Deepgram":
                raise ValueError(
                    f'transcriptionModel="{model}" is a Deepgram model but transcriptionEngine is '
                    f'"{self.transcription_engine}": add transcriptionEngine="Deepgram"'
                )
            if not is_deepgram_model and self.transcription_engine == "Deepgram":
                raise ValueError(
                    f'transcriptionEngine="Deepgram" needs a Deepgram transcriptionModel, e.g. '
                    f'"deepgram/nova-3", not "{model}"'
                )
        return self

    def lint(self) -> list[Lint]:
        out: list[Lint] = []
        if self.trim == "do-not-trim":
            out.append(Lint(
                'trim="do-not-trim" is TwiML\'s; TeXML does not trim unless trim="trim-silence"',
                attribute="trim",
                hint="remove the attribute",
            ))
        if "absent" in self.recording_status_callback_event:
            out.append(Lint(
                "TeXML's <Record> sends no absent event (only <Start><Recording> does)",
                attribute="recordingStatusCallbackEvent",
                hint='use "in-progress completed"',
            ))
        events_changed = self.recording_status_callback_event != ("completed",)
        if events_changed and not self.recording_status_callback:
            out.append(Lint(
                "recordingStatusCallbackEvent has no effect without recordingStatusCallback",
                attribute="recordingStatusCallbackEvent",
            ))
        if not self.transcription:
            for attr, value in (
                ("transcriptionCallback", self.transcription_callback),
                ("transcriptionModel", self.transcription_model),
            ):
                if value is not None:
                    out.append(Lint(
                        f"{attr} is ignored: transcription is off",
                        attribute=attr,
                        hint='add transcription="true"',
                    ))
        if self.transcription and not self.transcription_callback:
            out.append(Lint(
                "transcription is on but there is no transcriptionCallback to receive the text",
                attribute="transcriptionCallback",
            ))
        if self.transcription_model and "/" not in self.transcription_model:
            out.append(Lint(
                f"transcriptionModel {self.transcription_model!r} has no vendor",
                attribute="transcriptionModel",
                hint="write it vendor/model, e.g. deepgram/nova-3",
            ))
        return out
