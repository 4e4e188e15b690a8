"""Webhook envelopes as Telnyx sends them, and their Ed25519 signatures.

Every event is `{"data": {"record_type": "event", "event_type", "id", "occurred_at",
"payload"}}` (spec call-control.md §7). Which common payload fields an event carries
(`call_control_id`, ..., `from`, `to`) follows the official SDK's model of that event, so that
every envelope the simulator emits validates against the SDK: the speak, playback, queue,
transcription and streaming events have no `from`/`to`, conference events put `occurred_at`
inside the payload instead of the envelope, and the conversation events add `created_at`.
`tests/sim/test_webhooks.py` checks this table against the SDK.

Signatures (§9): base64 of the Ed25519 signature of `f"{timestamp}|{raw_body}"`, sent in the
`telnyx-signature-ed25519` header with the Unix timestamp in `telnyx-timestamp`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

CALL_FIELDS = ("call_control_id", "call_leg_id", "call_session_id", "client_state",
               "connection_id", "from", "to")  # fmt: skip
_NO_PARTIES = CALL_FIELDS[:5]

# Events whose SDK model has no `from`/`to` (the rest of the call.* family has all seven).
_WITHOUT_PARTIES = frozenset({
    "call.conversation_insights.generated", "call.deepfake_detection.error",
    "call.deepfake_detection.result", "call.dequeued", "call.enqueued", "call.fork.started",
    "call.fork.stopped", "call.playback.ended", "call.playback.started", "call.recording.error",
    "call.recording.transcription.saved", "call.speak.ended", "call.speak.started",
    "call.transcription", "call.cost", "conference.participant.joined",
    "conference.participant.left", "conference.created", "conference.ended",
    "conference.floor.changed", "conference.participant.playback.ended",
    "conference.participant.playback.started", "conference.participant.speak.ended",
    "conference.participant.speak.started", "siprec.failed", "siprec.started", "siprec.stopped",
    "streaming.failed", "streaming.started", "streaming.stopped",
})  # fmt: skip
_SPECIAL: dict[str, tuple[str, ...]] = {
    # The SDK model has no call_control_id; Telnyx sends it (and recording_id, format) anyway,
    # and the interpreter needs it, so the builder adds it as a documented extra.
    "call.recording.saved": (
        "call_control_id", "call_leg_id", "call_session_id", "client_state", "connection_id",
    ),
    "conference.recording.saved": (
        "call_control_id", "call_session_id", "client_state", "connection_id",
    ),
    "conference.playback.started": ("connection_id",),
    "conference.playback.ended": ("connection_id",),
    "conference.speak.started": ("connection_id",),
    "conference.speak.ended": ("connection_id",),
}
# Events whose time is `payload.occurred_at`, with no `data.occurred_at` (conference events).
_TIME_IN_PAYLOAD = frozenset({
    "conference.created", "conference.ended", "conference.floor.changed",
    "conference.participant.playback.ended", "conference.participant.playback.started",
    "conference.participant.speak.ended", "conference.participant.speak.started",
    "conference.playback.ended", "conference.playback.started", "conference.speak.ended",
    "conference.speak.started",
})  # fmt: skip
# The SDK models no time at all for a conference recording.
_NO_TIME = frozenset({"conference.recording.saved"})
_TIME_IN_BOTH = frozenset({"call.cost"})
_CREATED_AT = frozenset({
    "call.conversation.created", "call.conversation.ended", "call.conversation.start_failed",
})  # fmt: skip


def common_fields(event_type: str) -> tuple[str, ...]:
    """The common payload fields (§7) an event of this type carries."""
    if event_type in _SPECIAL:
        return _SPECIAL[event_type]
    if event_type in _WITHOUT_PARTIES:
        return _NO_PARTIES
    return CALL_FIELDS


def envelope(event_type: str, event_id: str, occurred_at: str, common: Mapping[str, Any],
             payload: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The webhook body for one event: the event's own common fields taken from `common`,
    then `payload` (which wins), with the time where the SDK model puts it."""
    body: dict[str, Any] = {k: common[k] for k in common_fields(event_type) if k in common}
    body.update(payload)
    data: dict[str, Any] = {"record_type": "event", "event_type": event_type, "id": event_id}
    if event_type in _TIME_IN_PAYLOAD or event_type in _TIME_IN_BOTH:
        body["occurred_at"] = occurred_at
    if event_type not in _TIME_IN_PAYLOAD and event_type not in _NO_TIME:
        data["occurred_at"] = occurred_at
    if event_type in _CREATED_AT:
        data["created_at"] = occurred_at
    data["payload"] = body
    return {"data": data}


def encode(body: Mapping[str, Any]) -> str:
    """The exact text that is POSTed (and signed): compact JSON."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


class WebhookSigner:
    """Signs webhook bodies with an Ed25519 key made at start-up (PyNaCl)."""

    def __init__(self, seed: bytes | None = None) -> None:
        from nacl.signing import SigningKey  # only the standalone server needs PyNaCl

        self._key = SigningKey(seed) if seed is not None else SigningKey.generate()

    @property
    def public_key(self) -> str:
        """Base64 of the 32-byte public key: what a receiver verifies with."""
        return base64.b64encode(bytes(self._key.verify_key)).decode("ascii")

    def headers(self, raw_body: str, timestamp: int) -> dict[str, str]:
        """`telnyx-timestamp` and `telnyx-signature-ed25519` for `raw_body` sent at `timestamp`."""
        signed = self._key.sign(f"{timestamp}|{raw_body}".encode()).signature
        return {
            "telnyx-timestamp": str(timestamp),
            "telnyx-signature-ed25519": base64.b64encode(signed).decode("ascii"),
        }


__all__ = ["CALL_FIELDS", "WebhookSigner", "common_fields", "encode", "envelope"]
