"""`<Start>` / `<Stop>` -> the *_start / *_stop command of each child, then the next verb.

The services run in the background, so both steps end right after sending their commands.
Status callbacks of the services outlive the step: they are `Watch`es, which the runtime turns
into callbacks as the webhooks arrive (kinds "stream", "transcription", "siprec", "recording").

What Call Control cannot be told (see each builder): a stream's `name` and `enableReconnect`,
a SIPREC session's `name` and `<Parameter>`s, `<Recording>` events other than `completed`.
Without names, `<Stop><Stream/>` and `<Stop><Siprec/>` stop every stream / SIPREC session of
the call.
"""

from __future__ import annotations

from typing import Any

from compiler.step import CALL, CallContext, Command, Done, Effect, Send, Step, Watch
from compiler.stt import engine_config, engine_name
from verbs import Recording, Siprec, Start, Stop, Stream, Suppression, Transcription
from verbs.start import StopSiprec, StopStream, StopSuppression, StopTranscription

STREAM_EVENTS = ("streaming.started", "streaming.stopped", "streaming.failed")
SIPREC_EVENTS = ("siprec.started", "siprec.stopped", "siprec.failed")

# AiCoustics model sizes: TeXML's `vf` (voice focus, quail family) is the command's `vf_l`.
_AICOUSTICS_SIZE = {"s": "s", "l": "l", "vf": "vf_l"}


def _watches(url: str | None, method: Any, kind: str, events: tuple[str, ...],
             ctx: CallContext) -> list[Effect]:  # fmt: skip
    if url is None:
        return []
    resolved = ctx.url(url)
    assert resolved is not None
    return [Watch(event, kind, resolved, method) for event in events]


def streaming_start_body(stream: Stream) -> dict[str, Any]:
    """streaming_start for a `<Stream>` (also used by `<Connect>`). Values equal to the
    command's defaults (inbound_track, default codec, mp3 / PCMU / 8000 Hz back) are left out."""
    body: dict[str, Any] = {"stream_url": stream.url}
    if stream.track != "inbound_track":
        body["stream_track"] = stream.track
    if stream.codec != "default":
        body["stream_codec"] = stream.codec
    if stream.bidirectional_mode != "mp3":
        body["stream_bidirectional_mode"] = stream.bidirectional_mode
    if stream.bidirectional_codec != "PCMU":
        body["stream_bidirectional_codec"] = stream.bidirectional_codec
    if stream.bidirectional_sampling_rate != 8000:
        body["stream_bidirectional_sampling_rate"] = stream.bidirectional_sampling_rate
    if stream.children:
        body["custom_parameters"] = [{"name": p.name, "value": p.value} for p in stream.children]
    return body


def stream_watches(stream: Stream, ctx: CallContext) -> list[Effect]:
    return _watches(stream.status_callback, stream.status_callback_method, "stream",
                    STREAM_EVENTS, ctx)  # fmt: skip


def transcription_start_body(transcription: Transcription) -> dict[str, Any]:
    engine = engine_name(transcription.transcription_engine)
    body: dict[str, Any] = {"transcription_engine": engine}
    config = engine_config(
        engine,
        language=transcription.language,
        model=transcription.model,
        interim_results=transcription.interim_results,
        hints=transcription.hints,
        keyterms=transcription.keyterms,
        smart_format=transcription.smart_format,
        api_key_ref=transcription.api_key_ref,
        region=transcription.region,
    )
    if config:
        body["transcription_engine_config"] = config
    if transcription.transcription_tracks != "inbound":  # the command's default
        body["transcription_tracks"] = transcription.transcription_tracks
    return body


def suppression_start_body(suppression: Suppression) -> dict[str, Any]:
    engine = suppression.noise_suppression_engine
    body: dict[str, Any] = {"direction": suppression.direction, "noise_suppression_engine": engine}
    config: dict[str, Any] = {}
    if engine == "Krisp":
        if suppression.model is not None:
            config["model"] = suppression.model
        if suppression.suppression_level is not None:
            config["suppression_level"] = suppression.suppression_level
    elif engine == "AiCoustics":
        config = {
            "family": suppression.family,
            "size": _AICOUSTICS_SIZE[suppression.size],
            "enhancement_level": suppression.enhancement_level,
        }
    if config:
        body["noise_suppression_engine_config"] = config
    return body


def siprec_start_body(siprec: Siprec) -> dict[str, Any]:
    body: dict[str, Any] = {"siprec_track": siprec.track}
    if siprec.connector_name:
        body["connector_name"] = siprec.connector_name
    if siprec.include_metadata_custom_headers:
        body["include_metadata_custom_headers"] = True
    if siprec.secure:
        body["secure"] = True
    if siprec.session_timeout_secs != 1800:
        body["session_timeout_secs"] = siprec.session_timeout_secs
    return body


def record_start_body(recording: Recording) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channels": "dual" if recording.channels == "dual" else "single",
        "format": recording.format,
    }
    if recording.track != "both":
        body["recording_track"] = recording.track
    if recording.trim == "trim-silence":
        body["trim"] = "trim-silence"
    return body


class StartStep(Step[Start]):
    def start(self) -> list[Effect]:
        effects: list[Effect] = []
        ctx = self.ctx
        for child in self.verb.children:
            if isinstance(child, Stream):
                effects.append(Send(ctx.command("streaming_start", streaming_start_body(child))))
                effects += stream_watches(child, ctx)
            elif isinstance(child, Transcription):
                body = transcription_start_body(child)
                effects.append(Send(ctx.command("transcription_start", body)))
                effects += _watches(child.transcription_callback,
                                    child.transcription_callback_method, "transcription",
                                    ("call.transcription",), ctx)  # fmt: skip
            elif isinstance(child, Suppression):
                body = suppression_start_body(child)
                effects.append(Send(ctx.command("suppression_start", body)))
            elif isinstance(child, Siprec):
                # siprec_start takes no command_id (call-control.md §1).
                body = {**siprec_start_body(child), "client_state": ctx.client_state}
                effects.append(Send(Command("POST", f"/calls/{CALL}/actions/siprec_start", body)))
                effects += _watches(child.status_callback, child.status_callback_method, "siprec",
                                    SIPREC_EVENTS, ctx)  # fmt: skip
            elif isinstance(child, Recording):
                effects.append(Send(ctx.command("record_start", record_start_body(child))))
                # Only `completed` has a webhook (call.recording.saved); Call Control reports
                # neither the start of a recording (`in-progress`) nor an empty one (`absent`).
                if "completed" in child.recording_status_callback_event:
                    effects += _watches(child.recording_status_callback,
                                        child.recording_status_callback_method, "recording",
                                        ("call.recording.saved",), ctx)  # fmt: skip
        return self.finish(Done(), *effects)


_STOP_COMMANDS = {
    StopStream: "streaming_stop",
    StopTranscription: "transcription_stop",
    StopSuppression: "suppression_stop",
    StopSiprec: "siprec_stop",
}


class StopStep(Step[Stop]):
    def start(self) -> list[Effect]:
        sends = [Send(self.ctx.command(_STOP_COMMANDS[type(c)])) for c in self.verb.children]
        return self.finish(Done(), *sends)

