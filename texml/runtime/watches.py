"""Callbacks for events that arrive after the verb that asked for them (`compiler.Watch`).

A watch names its conversion by `kind`, so it can be stored as JSON with the call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _recording(payload: Mapping[str, Any]) -> dict[str, str]:
    urls = payload.get("recording_urls") or payload.get("public_recording_urls") or {}
    url = urls.get("mp3") or urls.get("wav") or next(iter(urls.values()), None)
    params = {"RecordingStatus": "completed", "RecordingChannels": "2" if payload.get("channels") == "dual" else "1"}
    if payload.get("recording_id"):
        params["RecordingSid"] = str(payload["recording_id"])
    if url:
        params["RecordingUrl"] = str(url)
    return params


def _record_transcription(payload: Mapping[str, Any]) -> dict[str, str]:
    return {
        "TranscriptionSid": str(payload.get("recording_transcription_id", "")),
        "TranscriptionText": str(payload.get("transcription_text", "")),
        "TranscriptionStatus": str(payload.get("status", "completed")),
        "RecordingSid": str(payload.get("recording_id", "")),
    }


def _transcription(payload: Mapping[str, Any]) -> dict[str, str]:
    data = payload.get("transcription_data") or {}
    return {
        "Transcript": str(data.get("transcript", "")),
        "Confidence": str(data.get("confidence", "")),
        "IsFinal": "true" if data.get("is_final") else "false",
    }


def _stream(payload: Mapping[str, Any]) -> dict[str, str]:
    params = {"StreamSid": str(payload.get("stream_id", ""))}
    if payload.get("failure_reason"):
        params["StreamError"] = str(payload["failure_reason"])
    return params


def _siprec(payload: Mapping[str, Any]) -> dict[str, str]:
    params = {"SiprecSid": str(payload.get("siprec_id", ""))}
    if payload.get("failure_cause"):
        params["SiprecError"] = str(payload["failure_cause"])
    return params


# The TwiML event names of the webhooks a stream or SIPREC watch follows.
_EVENT_NAMES = {
    "streaming.started": ("StreamEvent", "stream-started"),
    "streaming.stopped": ("StreamEvent", "stream-stopped"),
    "streaming.failed": ("StreamEvent", "stream-error"),
    "siprec.started": ("SiprecEvent", "siprec-started"),
    "siprec.stopped": ("SiprecEvent", "siprec-stopped"),
    "siprec.failed": ("SiprecEvent", "siprec-failed"),
}


_KINDS: Mapping[str, Callable[[Mapping[str, Any]], dict[str, str]]] = {
    "recording": _recording,
    "record-transcription": _record_transcription,
    "transcription": _transcription,
    "stream": _stream,
    "siprec": _siprec,
}


def watch_params(kind: str, event_type: str, payload: Mapping[str, Any]) -> dict[str, str]:
    """The callback parameters for a watched event (an unknown kind gives none)."""
    convert = _KINDS.get(kind)
    params = convert(payload) if convert else {}
    if event_type in _EVENT_NAMES:
        name, value = _EVENT_NAMES[event_type]
        params[name] = value
    return params
