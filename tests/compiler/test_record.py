"""<Record> -> record_start / record_stop (texml-verbs-core.md §6; call-control.md record_start,
record_stop, call.recording.saved, call.recording.error, call.dtmf.received)."""

from __future__ import annotations

import itertools
import typing
import uuid
from typing import Any

import pytest

import texml
from compiler import (
    Action,
    Callback,
    CallContext,
    CancelTimer,
    CommandFailed,
    Done,
    Effect,
    Send,
    SetTimer,
    TimerFired,
    Watch,
    Webhook,
    compile_verb,
    sends,
)
from compiler.record import (
    LENGTH_GRACE_SECONDS,
    RECORDING_LANGUAGES,
    SAVED_WAIT_SECONDS,
    RecordStep,
    recording_duration,
    recording_url,
)
from tests.support.telnyx_schema import validate_command, validate_webhook

CALL = "v3:call-1"
STATE = "c3RhdGU="
DOC = "https://app.example.com/flows/voicemail.xml"
MP3 = "https://storage.example.com/rec-1.mp3"
ACTION = Action(DOC, "POST")
STATUS_URL = "https://app.example.com/status"


def make_ctx(document_url: str | None = DOC) -> CallContext:
    ids = itertools.count(1)
    return CallContext(
        CALL,
        "conn-1",
        "+15550001111",
        "+15550002222",
        STATE,
        new_id=lambda: f"id-{next(ids)}",
        document_url=document_url,
    )


def record(xml: str, ctx: CallContext | None = None) -> RecordStep:
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    step = compile_verb(doc.verbs[0], ctx or make_ctx())
    assert isinstance(step, RecordStep)
    return step


def shape(effects: list[Effect]) -> list[Any]:
    """Effects with each command validated and shown as (action, body without ids)."""
    out: list[Any] = []
    for e in effects:
        if isinstance(e, Send):
            command = e.command
            validate_command(command.method, command.resolved_path(CALL), command.body)
            assert command.body["client_state"] == STATE and command.body["command_id"]
            body = {
                k: v for k, v in command.body.items() if k not in ("client_state", "command_id")
            }
            out.append((command.action, body))
        else:
            out.append(e)
    return out


def begin(step: RecordStep) -> list[Any]:
    return shape(step.start())


def fire(step: RecordStep, event: Any) -> list[Any]:
    return shape(step.on_event(event))


def hook(event_type: str, **payload: Any) -> Webhook:
    envelope = {
        "data": {
            "record_type": "event",
            "event_type": event_type,
            "id": "e-1",
            "occurred_at": "2024-01-01T12:00:00.000000Z",
            "payload": payload,
        }
    }
    validate_webhook(envelope)
    return Webhook.from_json(envelope)


def saved(seconds: float = 12.4, *, fmt: str = "mp3", **extra: Any) -> Webhook:
    payload: dict[str, Any] = {
        "call_leg_id": "leg-1",
        "call_session_id": "session-1",
        "connection_id": "conn-1",
        "client_state": STATE,
        "channels": "dual",
        "recording_started_at": "2024-01-01T12:00:00.000000Z",
        "recording_ended_at": f"2024-01-01T12:00:{seconds:09.6f}Z",
        "recording_urls": {fmt: MP3},
        **extra,
    }
    return hook("call.recording.saved", **payload)


def digit(d: str) -> Webhook:
    return hook("call.dtmf.received", call_control_id=CALL, digit=d)


HANGUP = hook("call.hangup", call_control_id=CALL, hangup_cause="normal_clearing")
SID = str(uuid.uuid5(uuid.NAMESPACE_URL, "texml:recording:leg-1:2024-01-01T12:00:00.000000Z"))


# --- record_start ---------------------------------------------------------------------------


def test_defaults() -> None:
    step = record("<Record/>")
    assert begin(step) == [
        (
            "record_start",
            {"channels": "dual", "format": "mp3", "play_beep": True, "max_length": 3600},
        ),
        SetTimer("length-limit", 3600 + LENGTH_GRACE_SECONDS),
    ]


def test_every_attribute() -> None:
    step = record(
        '<Record action="/done" method="GET" finishOnKey="#" timeout="5" maxLength="0" '
        'playBeep="false" trim="trim-silence" channels="single" format="wav" '
        'recordingStatusCallback="/status" recordingStatusCallbackMethod="GET" '
        'recordingStatusCallbackEvent="in-progress completed" transcription="true" '
        'transcriptionCallback="/transcript" transcriptionEngine="B" '
        'transcriptionLanguage="de-DE"/>'
    )
    assert begin(step) == [
        (
            "record_start",
            {
                "channels": "single",
                "format": "wav",
                "play_beep": False,
                "timeout_secs": 5,
                "trim": "trim-silence",
                "transcription": True,
                "transcription_engine": "B",
                "transcription_language": "de-DE",
            },
        ),
        Callback(
            STATUS_URL,
            "GET",
            {
                "RecordingSource": "RecordVerb",
                "RecordingChannels": "1",
                "RecordingStatus": "in-progress",
            },
        ),
        Watch(
            "call.recording.transcription.saved",
            "record-transcription",
            "https://app.example.com/transcript",
            "POST",
        ),
    ]


def test_do_not_trim_sends_nothing() -> None:
    (start, _) = begin(record('<Record trim="do-not-trim"/>'))
    assert "trim" not in start[1]


@pytest.mark.parametrize(
    ("xml", "engine", "language"),
    [
        ('transcriptionEngine="A"', "A", "en-US"),
        (
            'transcriptionEngine="Deepgram" transcriptionModel="deepgram/nova-2"',
            "deepgram/nova-3",
            "en-US",
        ),
        ('transcriptionEngine="deepgram" transcriptionLanguage="en"', "deepgram/nova-3", "en"),
        ('transcriptionLanguage="pt"', "A", "pt"),
    ],
)
def test_transcription_engines(xml: str, engine: str, language: str) -> None:
    (start, _) = begin(record(f'<Record transcription="true" {xml}/>'))
    assert (start[1]["transcription_engine"], start[1]["transcription_language"]) == (
        engine,
        language,
    )


def test_an_unknown_transcription_language_is_left_out() -> None:
    (start, _) = begin(record('<Record transcription="true" transcriptionLanguage="xx-YY"/>'))
    assert start[1]["transcription"] is True and "transcription_language" not in start[1]


def test_transcription_without_callback_watches_nothing() -> None:
    effects = begin(record('<Record transcription="true"/>'))
    assert not any(isinstance(e, Watch) for e in effects)


def test_transcription_callback_without_transcription_is_ignored() -> None:
    effects = begin(record('<Record transcriptionCallback="/t"/>'))
    assert effects[0][1].get("transcription") is None
    assert not any(isinstance(e, Watch) for e in effects)


def test_recording_languages_match_the_sdk() -> None:
    from telnyx.types.calls.action_start_recording_params import ActionStartRecordingParams

    hint = typing.get_type_hints(ActionStartRecordingParams)["transcription_language"]
    while typing.get_origin(hint) is not typing.Literal:
        hint = typing.get_args(hint)[0]
    assert set(RECORDING_LANGUAGES) == set(typing.get_args(hint))


def test_plan() -> None:
    assert [c.action for c in record("<Record/>").plan()] == ["record_start"]


# --- ends -------------------------------------------------------------------------------------


def test_silence_or_max_length_ends_with_the_recording() -> None:
    step = record('<Record recordingStatusCallback="/status"/>')
    begin(step)
    assert fire(step, saved(12.4)) == [
        Callback(
            STATUS_URL,
            "POST",
            {
                "RecordingSource": "RecordVerb",
                "RecordingChannels": "2",
                "RecordingStatus": "completed",
                "RecordingSid": SID,
                "RecordingUrl": MP3,
                "RecordingDuration": "12",
            },
        ),
        CancelTimer("length-limit"),
        Done(
            params={"RecordingSid": SID, "RecordingUrl": MP3, "RecordingDuration": "12"},
            action=ACTION,
        ),
    ]
    assert step.done


def test_finish_on_key_stops_the_recording_and_reports_the_key() -> None:
    step = record('<Record action="next" finishOnKey="#*"/>')
    begin(step)
    assert fire(step, digit("5")) == []
    assert fire(step, digit("#")) == [
        ("record_stop", {}),
        CancelTimer("length-limit"),
        SetTimer("saved-wait", SAVED_WAIT_SECONDS),
    ]
    assert fire(step, digit("*")) == []
    assert fire(step, saved(3.6, recording_id="rec-9")) == [
        CancelTimer("saved-wait"),
        Done(
            params={
                "RecordingSid": "rec-9",
                "RecordingUrl": MP3,
                "RecordingDuration": "4",
                "Digits": "#",
            },
            action=Action("https://app.example.com/flows/next", "POST"),
        ),
    ]


def test_an_empty_finish_on_key_never_stops() -> None:
    step = record('<Record finishOnKey=""/>')
    begin(step)
    assert fire(step, digit("#")) == []


def test_an_empty_recording_requests_no_action() -> None:
    step = record('<Record action="/done" recordingStatusCallback="/status"/>')
    begin(step)
    effects = fire(step, saved(0.2))
    assert isinstance(effects[0], Callback) and effects[0].params["RecordingDuration"] == "0"
    assert effects[-1] == Done(
        params={"RecordingSid": SID, "RecordingUrl": MP3, "RecordingDuration": "0"},
        outcome="no-input",
    )


def test_without_action_or_document_the_next_verb_runs() -> None:
    step = record("<Record/>", make_ctx(document_url=None))
    begin(step)
    assert fire(step, saved())[-1].action is None


def test_hang_up_waits_for_the_recording_then_requests_the_action() -> None:
    step = record('<Record action="/done" maxLength="60"/>')
    begin(step)
    assert fire(step, HANGUP) == [
        CancelTimer("length-limit"),
        SetTimer("saved-wait", SAVED_WAIT_SECONDS),
    ]
    assert not step.done
    assert fire(step, HANGUP) == []
    assert fire(step, digit("#")) == []
    assert fire(step, saved()) == [
        CancelTimer("saved-wait"),
        Done(
            params={
                "RecordingSid": SID,
                "RecordingUrl": MP3,
                "RecordingDuration": "12",
                "Digits": "hangup",
            },
            action=Action("https://app.example.com/done", "POST"),
            end=True,
            outcome="hangup",
        ),
    ]


def test_hang_up_with_an_empty_recording_ends_without_action() -> None:
    step = record("<Record/>")
    begin(step)
    fire(step, HANGUP)
    done = fire(step, saved(0))[-1]
    assert (done.action, done.end, done.params["Digits"]) == (None, True, "hangup")


def test_hang_up_and_no_recording_is_bounded() -> None:
    step = record("<Record/>")
    begin(step)
    fire(step, HANGUP)
    assert fire(step, TimerFired("saved-wait")) == [Done(end=True, outcome="hangup")]


def test_a_lost_recording_after_stop_fails() -> None:
    step = record("<Record/>")
    begin(step)
    fire(step, digit("1"))
    assert fire(step, TimerFired("saved-wait")) == [Done(outcome="failed")]


def test_past_max_length_the_step_stops_the_recording_itself() -> None:
    step = record('<Record maxLength="30"/>')
    assert begin(step)[1] == SetTimer("length-limit", 30 + LENGTH_GRACE_SECONDS)
    assert fire(step, TimerFired("length-limit")) == [
        ("record_stop", {}),
        SetTimer("saved-wait", SAVED_WAIT_SECONDS),
    ]
    assert fire(step, digit("1")) == []  # already stopping
    assert fire(step, saved(30))[-1].params["RecordingDuration"] == "30"


def test_unlimited_length_has_no_limit_timer() -> None:
    assert begin(record('<Record maxLength="0"/>')) == [
        ("record_start", {"channels": "dual", "format": "mp3", "play_beep": True})
    ]


def test_recording_error_continues_with_the_next_verb() -> None:
    step = record("<Record/>")
    begin(step)
    error = hook("call.recording.error", call_control_id=CALL, reason="Internal server error")
    assert fire(step, error) == [CancelTimer("length-limit"), Done(outcome="failed")]


def test_recording_error_after_hang_up_ends_the_call() -> None:
    step = record("<Record/>")
    begin(step)
    fire(step, HANGUP)
    error = hook("call.recording.error", call_control_id=CALL, reason="Unsupported backend")
    assert fire(step, error) == [CancelTimer("saved-wait"), Done(end=True, outcome="failed")]


def test_a_refused_record_start_fails() -> None:
    step = record("<Record/>")
    (start,) = sends(step.start())
    assert fire(step, CommandFailed(start, 422)) == [
        CancelTimer("length-limit"),
        Done(outcome="failed"),
    ]


def test_a_refused_record_stop_waits_for_the_bound() -> None:
    step = record("<Record/>")
    begin(step)
    (stop,) = sends(step.on_event(digit("2")))
    assert fire(step, CommandFailed(stop, 422)) == []
    assert fire(step, saved())[-1].params["Digits"] == "2"


def test_other_legs_and_unknown_timers_are_ignored() -> None:
    step = record("<Record/>")
    begin(step)
    assert fire(step, hook("call.dtmf.received", call_control_id="v3:other", digit="#")) == []
    assert fire(step, hook("call.hangup", call_control_id="v3:other")) == []
    assert fire(step, TimerFired("saved-wait")) == []
    assert not step.done


def test_events_after_the_end_are_ignored() -> None:
    step = record("<Record/>")
    begin(step)
    fire(step, saved())
    assert fire(step, saved()) == []


# --- callback parameters ----------------------------------------------------------------------


def test_completed_status_callback_only_when_asked() -> None:
    step = record(
        '<Record recordingStatusCallback="/status" recordingStatusCallbackEvent="in-progress"/>'
    )
    assert isinstance(begin(step)[-1], Callback)
    assert not any(isinstance(e, Callback) for e in fire(step, saved()))


def test_wav_url_and_public_urls() -> None:
    assert recording_url({"recording_urls": {"mp3": "a", "wav": "b"}}, "wav") == "b"
    assert (
        recording_url({"recording_urls": {}, "public_recording_urls": {"wav": "p"}}, "wav") == "p"
    )
    assert recording_url({"recording_urls": {"mp3": "a"}}, "wav") == "a"
    assert recording_url({}, "mp3") is None


def test_recording_without_url_or_times() -> None:
    step = record("<Record/>")
    begin(step)
    bare = hook("call.recording.saved", call_leg_id="leg-1")
    sid = str(uuid.uuid5(uuid.NAMESPACE_URL, "texml:recording:leg-1:"))
    assert fire(step, bare)[-1] == Done(params={"RecordingSid": sid}, action=ACTION)


def test_durations() -> None:
    assert (
        recording_duration(
            {
                "recording_started_at": "2024-01-01T00:00:00Z",
                "recording_ended_at": "2024-01-01T00:01:00.5Z",
            }
        )
        == 61
    )
    assert (
        recording_duration(
            {
                "recording_started_at": "2024-01-01T00:00:10Z",
                "recording_ended_at": "2024-01-01T00:00:00Z",
            }
        )
        == 0
    )
    assert recording_duration({"recording_started_at": "bad", "recording_ended_at": "x"}) is None
    assert recording_duration({"recording_started_at": "2024-01-01T00:00:00Z"}) is None


def test_channels_follow_the_saved_file() -> None:
    step = record('<Record channels="single" recordingStatusCallback="/s"/>')
    begin(step)
    callback = fire(step, saved(channels="single"))[0]
    assert callback.params["RecordingChannels"] == "1"
