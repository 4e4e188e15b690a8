"""The legs `<Dial>` places: the `dial` command, AMD verdicts, and the callbacks of a leg.

Each `<Number>`/`<Sip>` becomes one outbound leg (`POST /calls`). A leg carries its own
`client_state`, so its webhooks can be told apart from the caller's, from the other legs', and
from the legs of an earlier `<Dial>` on the same call.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from compiler.step import CallContext, Callback, Command, Webhook
from verbs import Dial, Number, Sip

# TeXML's timeLimit default, which is also Call Control's default and maximum `time_limit_secs`.
MAX_TIME_LIMIT = 14400

LegState = Literal[
    "waiting",  # sequential dialing: not dialed yet
    "dialing",  # dial sent, not answered
    "screening",  # answered, its whisper document (`url`) is running
    "refused",  # answered, but the whisper ended with <Hangup>: being hung up
    "connected",  # the leg the caller is (being) bridged to
    "ended",
    "skipped",  # never dialed: another leg won first
]
_LIVE: frozenset[LegState] = frozenset({"dialing", "screening", "refused", "connected"})

# call.hangup `hangup_cause` of a leg that never answered -> TwiML call status.
_UNANSWERED_STATUS = {
    "user_busy": "busy",
    "timeout": "no-answer",
    "no_answer": "no-answer",
    "originator_cancel": "canceled",
}


@dataclass
class Leg:
    n: int  # position among the <Dial>'s nouns
    noun: Number | Sip
    from_: str
    client_state: str
    command: Command | None = None
    id: str | None = None  # its call_control_id, from the dial's reply (or its first webhook)
    state: LegState = "waiting"
    answered: bool = False
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    hangup_cause: str | None = None
    answered_by: str | None = None
    early_bridge: bool = False  # bridged to the caller while ringing, for the ring tone
    hangup_sent: bool = False
    cancel: bool = False  # hang it up as soon as its id is known
    callbacks: int = 0  # status callbacks sent so far (their SequenceNumber)
    # Hung up during its whisper, or refused it: counts as not having answered (TwiML).
    refused: bool = False

    @property
    def live(self) -> bool:
        return self.state in _LIVE

    @property
    def pending_reply(self) -> bool:
        """Dialed, but the dial's reply (with the leg's id) has not come yet."""
        return self.state == "dialing" and self.id is None

    @property
    def whisper(self) -> str:
        """The name of its whisper document run."""
        return f"whisper-{self.n}"

    def status(self) -> str:
        """The TwiML status of the leg: `completed`, `busy`, `no-answer`, `canceled`, `failed`."""
        if self.refused:
            return "no-answer"
        if self.answered:
            return "completed"
        return _UNANSWERED_STATUS.get(self.hangup_cause or "", "failed")


# --- client_state ----------------------------------------------------------------------------


def leg_client_state(ctx: CallContext, dial_id: str, n: int) -> str:
    state = {"call": ctx.call_control_id, "dial": dial_id, "leg": n}
    return base64.b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def leg_number(ctx: CallContext, dial_id: str, client_state: Any) -> int | None:
    """Which leg of this `<Dial>` a webhook's `client_state` names, or None."""
    if not isinstance(client_state, str):
        return None
    try:
        state = json.loads(base64.b64decode(client_state, validate=True))
    except (binascii.Error, ValueError):
        return None
    if (
        isinstance(state, dict)
        and state.get("call") == ctx.call_control_id
        and state.get("dial") == dial_id
        and isinstance(state.get("leg"), int)
    ):
        return state["leg"]
    return None


# --- the dial command ------------------------------------------------------------------------


def dial_body(dial: Dial, leg: Leg, ctx: CallContext) -> dict[str, Any]:
    """The `POST /calls` body that places `leg`."""
    noun = leg.noun
    body: dict[str, Any] = {
        "connection_id": ctx.connection_id,
        "to": noun.text.strip(),
        "from": leg.from_,
        "timeout_secs": dial.timeout,
        # The leg joins the caller's call session, as a TwiML child call belongs to its parent.
        "link_to": ctx.call_control_id,
        "client_state": leg.client_state,
        "command_id": ctx.new_id(),
    }
    if dial.time_limit != MAX_TIME_LIMIT:
        body["time_limit_secs"] = dial.time_limit
    if dial.from_display_name:
        body["from_display_name"] = dial.from_display_name
    if isinstance(noun, Number) and noun.send_digits:
        body["send_digits_on_answer"] = noun.send_digits
    if isinstance(noun, Sip):
        if noun.username:
            body["sip_auth_username"] = noun.username
        if noun.password:
            body["sip_auth_password"] = noun.password
    if noun.sip_region != "US":  # US is Telnyx's default region too
        body["sip_region"] = noun.sip_region
    # Call Control cannot copy the inbound Diversion header; naming the number the caller
    # dialled as the diversion is what a forwarded call carries.
    if dial.pass_diversion_header and ctx.to.startswith("+"):
        body["diversion"] = ctx.to
    body.update(amd_fields(dial, noun))
    body.update(record_fields(dial))
    return body


def amd_fields(dial: Dial, noun: Number | Sip) -> dict[str, Any]:
    """`answering_machine_detection` and its config for a noun's machineDetection."""
    if noun.machine_detection == "Disable":
        return {}
    if noun.detection_mode == "Premium":
        mode = "premium"
    elif noun.detection_mode == "PremiumCallScreening":
        mode = "premium_ios_call_screening_detection"
    elif noun.machine_detection == "DetectMessageEnd":
        # greeting_end reports how the greeting ended (beep or silence), which is what
        # DetectMessageEnd's machine_end_beep / machine_end_silence need; detect_beep only
        # reports beeps.
        mode = "greeting_end"
    else:
        mode = "detect"
    config: dict[str, int] = {"total_analysis_time_millis": noun.machine_detection_timeout}
    for value, key in (
        (dial.machine_detection_speech_threshold, "greeting_duration_millis"),
        (dial.machine_detection_speech_end_threshold, "after_greeting_silence_millis"),
        (dial.machine_detection_silence_timeout, "initial_silence_millis"),
    ):
        if value is not None:
            config[key] = value
    if mode == "premium_ios_call_screening_detection" and noun.machine_detection_prompt_end_timeout:
        config["prompt_end_timeout_millis"] = noun.machine_detection_prompt_end_timeout
    return {"answering_machine_detection": mode, "answering_machine_detection_config": config}


def record_fields(dial: Dial) -> dict[str, Any]:
    """Recording of the leg. Call Control records from answer only: record-from-ringing
    records from answer too (the ringing has no Call Control recording)."""
    if dial.record == "do-not-record":
        return {}
    body: dict[str, Any] = {"record": "record-from-answer"}
    if dial.record.endswith("-dual") or dial.recording_channels == "dual":
        body["record_channels"] = "dual"
    if dial.record_max_length:
        body["record_max_length"] = dial.record_max_length
    return body


# --- answering machine detection -------------------------------------------------------------

_VERDICT = {
    "human": "human", "human_residence": "human", "human_business": "human",
    "machine": "machine_start", "fax_detected": "fax", "silence": "unknown", "not_sure": "unknown",
}  # fmt: skip
_GREETING_END = {
    "beep_detected": "machine_end_beep",
    "ended": "machine_end_silence",
    "no_beep_detected": "machine_end_silence",
    "not_sure": "machine_end_other",
    "prompt_ended": "machine_end_other",
}
AMD_EVENTS = frozenset({
    "call.machine.detection.ended", "call.machine.greeting.ended",
    "call.machine.premium.detection.ended", "call.machine.premium.greeting.ended",
})  # fmt: skip


def answered_by(event_type: str, result: Any, *, message_end: bool) -> str | None:
    """TwiML's `AnsweredBy` for an AMD webhook, or None when there is nothing to report yet.

    With DetectMessageEnd a machine is reported when its greeting ends (machine_end_*), not when
    it is first recognised; with Enable the greeting's end is not reported at all.
    """
    if event_type.endswith("detection.ended"):
        verdict = _VERDICT.get(str(result), "unknown")
        return None if verdict == "machine_start" and message_end else verdict
    if event_type.endswith("greeting.ended") and message_end:
        return _GREETING_END.get(str(result), "machine_end_other")
    return None


# --- status callbacks of a leg ---------------------------------------------------------------


def leg_callback(
    ctx: CallContext, leg: Leg, event: Webhook, params: dict[str, str]
) -> list[Callback]:
    """A call-progress callback about `leg` to its noun's statusCallback (none without one)."""
    url = ctx.url(leg.noun.status_callback)
    if not url:
        return []
    full = {
        "CallSid": leg.id or "",
        "ParentCallSid": ctx.call_control_id,
        "From": leg.from_,
        "To": leg.noun.text.strip(),
        "Direction": "outbound-dial",
        "CallbackSource": "call-progress-events",
        "SequenceNumber": str(leg.callbacks),
    }
    if event.occurred_at:
        full["Timestamp"] = event.occurred_at
    full.update(params)
    leg.callbacks += 1
    return [Callback(url, leg.noun.status_callback_method, full)]


def completed_callback(ctx: CallContext, leg: Leg, event: Webhook) -> list[Callback]:
    """The `completed` callback of a leg that has just hung up."""
    if "completed" not in leg.noun.status_callback_event:
        return []
    payload = event.payload
    params = {
        "CallStatus": leg.status(),
        "CallDuration": whole_seconds(leg.answered_at, leg.ended_at) if leg.answered else "0",
    }
    for key, field in (
        ("HangupCause", "hangup_cause"),
        ("HangupSource", "hangup_source"),
        ("SipHangupCause", "sip_hangup_cause"),
    ):
        if isinstance(payload.get(field), str):
            params[key] = payload[field]
    if leg.answered_by:
        params["AnsweredBy"] = leg.answered_by
    return leg_callback(ctx, leg, event, params)


def amd_callbacks(ctx: CallContext, leg: Leg, event: Webhook) -> list[Callback]:
    """The AMD verdict of a leg, to statusCallback (with `amd`) and to amdStatusCallback."""
    verdict = answered_by(
        event.event_type,
        event.payload.get("result"),
        message_end=leg.noun.machine_detection == "DetectMessageEnd",
    )
    if verdict is None or leg.answered_by is not None:
        return []
    leg.answered_by = verdict
    params = {"AnsweredBy": verdict}
    duration = millis(leg.answered_at, event_time(event))
    if duration is not None:
        params["MachineDetectionDuration"] = duration
    callbacks = []
    if "amd" in leg.noun.status_callback_event:
        callbacks += leg_callback(ctx, leg, event, params)
    amd_url = ctx.url(leg.noun.amd_status_callback)
    if amd_url:
        amd = {"CallSid": leg.id or "", "ParentCallSid": ctx.call_control_id, **params}
        callbacks.append(Callback(amd_url, leg.noun.amd_status_callback_method, amd))
    return callbacks


# --- times and recordings --------------------------------------------------------------------


def event_time(event: Webhook) -> datetime | None:
    """When a webhook happened (`data.occurred_at`, or `payload.occurred_at` for conferences)."""
    return _parse(event.occurred_at or event.payload.get("occurred_at"))


def whole_seconds(start: datetime | None, end: datetime | None) -> str:
    """Seconds from `start` to `end`, rounded, as TwiML durations are ("0" when unknown)."""
    if start is None or end is None:
        return "0"
    return str(max(0, int((end - start).total_seconds() + 0.5)))


def millis(start: datetime | None, end: datetime | None) -> str | None:
    if start is None or end is None:
        return None
    return str(max(0, int((end - start).total_seconds() * 1000)))


def recording_params(payload: Mapping[str, Any], *, send_url: bool) -> dict[str, str]:
    """TeXML recording parameters from a `call.recording.saved` / `conference.recording.saved`."""
    params: dict[str, str] = {}
    # Public links last as long as the file; recording_urls expire after about ten minutes.
    urls = payload.get("public_recording_urls") or payload.get("recording_urls") or {}
    url = urls.get("mp3") or urls.get("wav")
    if url and send_url:
        params["RecordingUrl"] = url
    if payload.get("recording_id"):
        params["RecordingSid"] = str(payload["recording_id"])
    started = _parse(payload.get("recording_started_at"))
    ended = _parse(payload.get("recording_ended_at"))
    if started and ended:
        params["RecordingDuration"] = whole_seconds(started, ended)
    if payload.get("channels"):
        params["RecordingChannels"] = "2" if payload["channels"] == "dual" else "1"
    return params


def _parse(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def is_audio_url(url: str) -> bool:
    """Whether a waitUrl names an audio file (played as is) rather than a TeXML document."""
    return urlsplit(url).path.lower().endswith((".mp3", ".wav"))
