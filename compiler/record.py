"""`<Record>` -> record_start, and record_stop when the caller presses a finishOnKey key.

Call Control ends the recording itself at `max_length`, after `timeout_secs` of silence and
when the call hangs up; every end is reported by `call.recording.saved`, which ends the step:
- `action` (default: the current document, DESIGN.md) is requested with `RecordingUrl`,
  `RecordingDuration`, `RecordingSid` and `Digits` (the key that stopped it, or `hangup`).
  As in TwiML, an empty recording (0 seconds) requests nothing and the next verb runs.
- The caller hanging up does not end the step: TwiML still requests `action` with the
  recording, so the step waits for `call.recording.saved` (at most `SAVED_WAIT_SECONDS`) and
  then ends the call with the action.
- `call.recording.error` (storage refused the file) or a refused record_start: the next verb
  runs (outcome "failed"); there is no recording to report.
`RecordingSid` is the webhook's `recording_id` when Telnyx sends one (the SDK does not
promise it); otherwise a UUID derived from the leg and the recording's start time, so the
status callback and the action carry the same value.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from compiler.step import (
    Action, Callback, CallContext, Command, CommandFailed, Done, Effect, Event,
    Send, Step, TimerFired, Watch, Webhook, is_call_hangup,
)  # fmt: skip
from compiler.stt import pick_language
from verbs import Record

SAVED_WAIT_SECONDS = 30  # after a stop or a hang-up, how long call.recording.saved may take
LENGTH_GRACE_SECONDS = 10  # past maxLength, stop the recording ourselves
RECORDING_SOURCE = "RecordVerb"
_CHANNELS = {"single": "1", "dual": "2"}
# record_start's transcription_language values (telnyx SDK 4.189.0; the tests compare).
_RECORDING_LANGUAGES = """
af af-ZA am am-ET ar ar-AE ar-BH ar-DZ ar-EG ar-IL ar-IQ ar-JO ar-KW ar-LB ar-MA ar-MR ar-OM
ar-PS ar-QA ar-SA ar-TN ar-YE as auto_detect az az-AZ ba be bg bg-BG bn bn-BD bn-IN bo br bs
bs-BA ca ca-ES cs cs-CZ cy da da-DK de de-AT de-CH de-DE el el-GR en en-AU en-CA en-GB en-GH
en-HK en-IE en-IN en-KE en-NG en-NZ en-PH en-PK en-SG en-TZ en-US en-ZA es es-419 es-AR
es-BO es-CL es-CO es-CR es-DO es-EC es-ES es-GT es-HN es-MX es-NI es-PA es-PE es-PR es-PY
es-SV es-US es-UY es-VE et et-EE eu eu-ES fa fa-IR fi fi-FI fil-PH fo fr fr-BE fr-CA fr-CH
fr-FR gl gl-ES gu gu-IN ha haw he hi hi-IN hr hr-HR ht hu hu-HU hy hy-AM id id-ID is is-IS
it it-CH it-IT iw-IL ja ja-JP jv-ID jw ka ka-GE kk kk-KZ km km-KH kn kn-IN ko ko-KR la lb ln
lo lo-LA lt lt-LT lv lv-LV mg mi mk mk-MK ml ml-IN mn mn-MN mr mr-IN ms ms-MY mt my my-MM ne
ne-NP nl nl-BE nl-NL nn no no-NO oc pa pa-Guru-IN pl pl-PL ps pt pt-BR pt-PT ro ro-RO ru
ru-RU rw-RW sa sd si si-LK sk sk-SK sl sl-SI sn so sq sq-AL sr sr-RS ss-latn-za st-ZA su
su-ID sv sv-SE sw sw-KE sw-TZ ta ta-IN ta-LK ta-MY ta-SG te te-IN tg th th-TH tk tl
tn-latn-za tr tr-TR ts-ZA tt uk uk-UA ur ur-IN ur-PK uz uz-UZ ve-ZA vi vi-VN xh-ZA yi yo
yue-Hant-HK zh zh-TW zu-ZA"""
RECORDING_LANGUAGES = tuple(_RECORDING_LANGUAGES.split())


class RecordStep(Step[Record]):
    ENDS_ON: ClassVar = ("call.recording.saved", "call.recording.error")

    def __init__(self, verb: Record, ctx: CallContext) -> None:
        super().__init__(verb, ctx)
        self._start_cmd: Command | None = None
        self._key: str | None = None  # the finishOnKey key that stopped the recording
        self._stopping = False
        self._hung_up = False

    def start(self) -> list[Effect]:
        v = self.verb
        body: dict[str, Any] = {
            "channels": v.channels, "format": v.format, "play_beep": v.play_beep,
        }  # fmt: skip
        if v.max_length:  # 0 is unlimited, Call Control's default
            body["max_length"] = v.max_length
        if v.timeout:
            body["timeout_secs"] = v.timeout
        if v.trim == "trim-silence":  # "do-not-trim" is the default
            body["trim"] = "trim-silence"
        if v.transcription:
            # record_start knows A (Google), B (Telnyx) and deepgram/nova-3; TeXML's Deepgram is
            # Nova-3 whatever transcriptionModel says (Nova-2 has no record_start equivalent).
            engine = v.transcription_engine
            body.update(transcription=True, transcription_engine=(
                "deepgram/nova-3" if engine == "Deepgram" else engine
            ))  # fmt: skip
            language = pick_language(v.transcription_language, RECORDING_LANGUAGES)
            if language:
                body["transcription_language"] = language
        self._start_cmd = self.ctx.command("record_start", body)
        effects: list[Effect] = [Send(self._start_cmd)]
        if v.max_length:
            # A lost call.recording.saved must not keep the caller here for ever.
            effects += self.set_timer("length-limit", v.max_length + LENGTH_GRACE_SECONDS)
        if "in-progress" in v.recording_status_callback_event:
            effects += self._status_callback({"RecordingStatus": "in-progress"})
        if v.transcription and v.transcription_callback:
            url = self.ctx.url(v.transcription_callback)
            if url:
                # The transcription arrives after the step; its callback method is ND: POST.
                effects.append(Watch(
                    "call.recording.transcription.saved", "record-transcription", url, "POST"
                ))  # fmt: skip
        return effects

    def on_event(self, event: Event) -> list[Effect]:
        if self.done:
            return []
        if is_call_hangup(event, self.ctx):
            if self._hung_up:
                return []
            self._hung_up = True
            return [*self.cancel_timer("length-limit"), *self.set_timer("saved-wait", SAVED_WAIT_SECONDS)]
        if isinstance(event, TimerFired):
            return self._on_timer(event.name)
        if isinstance(event, CommandFailed):
            if event.command == self._start_cmd:
                return self.finish(Done(end=self._hung_up, outcome="failed"))
            return []  # a refused record_stop: the saved-wait timer bounds the wait
        if not isinstance(event, Webhook) or event.leg not in (None, self.ctx.call_control_id):
            return []
        if event.event_type == "call.dtmf.received":
            return self._on_digit(str(event.payload.get("digit") or ""))
        if event.event_type == "call.recording.saved":
            return self._on_saved(event.payload)
        if event.event_type == "call.recording.error":
            return self.finish(Done(end=self._hung_up, outcome="failed"))
        return []

    def _on_timer(self, name: str) -> list[Effect]:
        if not self.timer_fired(name):
            return []
        if name == "length-limit":
            return self._stop()
        if name == "saved-wait":
            if self._hung_up:
                return self.finish(Done(end=True, outcome="hangup"))
            return self.finish(Done(outcome="failed"))
        return []

    def _on_digit(self, digit: str) -> list[Effect]:
        if not digit or digit not in self.verb.finish_on_key or self._stopping or self._hung_up:
            return []
        self._key = digit
        return self._stop()

    def _stop(self) -> list[Effect]:
        if self._stopping:
            return []
        self._stopping = True
        stop = self.ctx.command("record_stop")
        waits = [*self.cancel_timer("length-limit"), *self.set_timer("saved-wait", SAVED_WAIT_SECONDS)]
        return [Send(stop), *waits]

    def _on_saved(self, payload: Mapping[str, Any]) -> list[Effect]:
        v = self.verb
        url = recording_url(payload, str(payload.get("format") or v.format))
        duration = recording_duration(payload)
        sid = str(payload.get("recording_id") or self._derived_sid(payload))
        channels = _CHANNELS.get(str(payload.get("channels") or v.channels), _CHANNELS[v.channels])
        status: dict[str, str] = {"RecordingStatus": "completed", "RecordingSid": sid}
        params: dict[str, str] = {"RecordingSid": sid}
        if url:
            status["RecordingUrl"] = params["RecordingUrl"] = url
        if duration is not None:
            status["RecordingDuration"] = params["RecordingDuration"] = str(duration)
        status["RecordingChannels"] = channels
        digits = self._key or ("hangup" if self._hung_up else None)
        if digits:
            params["Digits"] = digits
        callbacks: list[Effect] = []
        if "completed" in v.recording_status_callback_event:
            callbacks = self._status_callback(status)
        if duration == 0:  # Twilio: an empty recording requests no action
            return self.finish(Done(params=params, end=self._hung_up, outcome="no-input"), *callbacks)
        url_next = self.ctx.url(v.action) if v.action else self.ctx.document_url
        action = Action(url_next, v.method) if url_next else None
        outcome = "hangup" if self._hung_up else "completed"
        done = Done(params=params, action=action, end=self._hung_up, outcome=outcome)
        return self.finish(done, *callbacks)

    def _status_callback(self, params: Mapping[str, str]) -> list[Effect]:
        url = self.ctx.url(self.verb.recording_status_callback)
        if not url:
            return []
        full = {
            "RecordingSource": RECORDING_SOURCE,
            "RecordingChannels": _CHANNELS[self.verb.channels],
            **params,
        }
        return [Callback(url, self.verb.recording_status_callback_method, full)]

    def _derived_sid(self, payload: Mapping[str, Any]) -> str:
        leg = payload.get("call_leg_id") or self.ctx.call_control_id
        started = payload.get("recording_started_at") or ""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"texml:recording:{leg}:{started}"))


def recording_url(payload: Mapping[str, Any], fmt: str) -> str | None:
    """The recording's URL in `fmt`: the download link, else the public one, else any."""
    links = [payload.get("recording_urls"), payload.get("public_recording_urls")]
    maps = [m for m in links if isinstance(m, Mapping)]
    for m in maps:
        if m.get(fmt):
            return str(m[fmt])
    for m in maps:
        for value in m.values():
            if value:
                return str(value)
    return None


def recording_duration(payload: Mapping[str, Any]) -> int | None:
    """Whole seconds between `recording_started_at` and `recording_ended_at` (rounded)."""
    try:
        start = datetime.fromisoformat(str(payload["recording_started_at"]))
        end = datetime.fromisoformat(str(payload["recording_ended_at"]))
        seconds = (end - start).total_seconds()
    except (KeyError, TypeError, ValueError):
        return None
    return max(0, int(seconds + 0.5))
