"""Whole calls with <Record>: finish key, maxLength, hang-up mid-record, callbacks."""

from __future__ import annotations

import pytest
from calls import common_params_ok, doc


def saved(params: dict[str, str]) -> str:
    return doc(f"<Say>Saved {params.get('RecordingDuration')} seconds, key {params.get('Digits', '-')}</Say>")


def test_talk_then_finish_key(app, play) -> None:
    app.route("/voice", doc(
        "<Say>Leave a message</Say>",
        '<Record action="/saved" finishOnKey="#" maxLength="60" recordingStatusCallback="/recording"/>',
        "<Say>Not reached</Say>",
    ))  # fmt: skip
    app.route("/saved", saved)
    app.route("/recording", "")
    call = play("/voice", inputs=["talk:4", "#"])
    [saved_request] = app.requests_to("/saved")
    params = saved_request.params
    common_params_ok(saved_request, call_id=call.call_id, status="in-progress")
    assert params["Digits"] == "#"
    assert params["RecordingUrl"].endswith(".mp3")
    assert params["RecordingSid"]
    assert 4 <= int(params["RecordingDuration"]) <= 6
    call.check("completed", heard=["Leave a message", "beep", f"Saved {params['RecordingDuration']} seconds, key #"])
    assert call.commands() == ["answer", "speak", "record_start", "record_stop", "speak", "hangup"]
    # The recording status callback names the same recording.
    [status] = app.requests_to("/recording")
    assert status.params["RecordingStatus"] == "completed"
    assert status.params["RecordingSid"] == params["RecordingSid"]
    assert status.params["RecordingUrl"] == params["RecordingUrl"]
    assert status.params["RecordingSource"] == "RecordVerb"


def test_max_length_ends_the_recording(app, play) -> None:
    app.route("/voice", doc('<Record action="/saved" maxLength="5" playBeep="false"/>'))
    app.route("/saved", saved)
    call = play("/voice", inputs=["talk:30"])
    [request] = app.requests_to("/saved")
    assert request.params["RecordingDuration"] == "5"
    assert "Digits" not in request.params  # no key stopped it
    call.check("completed", heard=["Saved 5 seconds, key -"])
    [start] = [d["body"] for d in call.of("command") if d["path"].endswith("/record_start")]
    assert start["max_length"] == 5 and start["play_beep"] is False
    assert "record_stop" not in call.commands()  # Call Control stopped it at max_length


def test_caller_hangs_up_mid_record_action_still_requested_reply_not_run(app, play) -> None:
    app.route("/voice", doc('<Record action="/saved" maxLength="60"/>', "<Say>Not reached</Say>"))
    app.route("/saved", saved)
    call = play("/voice", inputs=["talk:3", "hangup"], status_callback="/status")
    [request] = app.requests_to("/saved")
    params = request.params
    assert params["Digits"] == "hangup"
    assert params["RecordingUrl"] and params["RecordingSid"]
    assert 3 <= int(params["RecordingDuration"]) <= 5
    common_params_ok(request, call_id=call.call_id, status="completed")
    # Its reply is not run: nothing more is said or sent.
    call.check("completed", heard=["beep"])
    assert call.commands() == ["answer", "record_start"]
    statuses = [r.params["CallStatus"] for r in app.requests_to("/status")]
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]
    # The completed callback comes after the action request.
    assert app.paths().index("/saved") < len(app.paths()) - 1
    assert app.paths()[-1] == "/status"


def test_empty_recording_requests_no_action(app, play) -> None:
    app.route("/voice", doc(
        '<Record action="/saved" finishOnKey="#" trim="trim-silence" playBeep="false"/>',
        "<Say>No message</Say>",
    ))  # fmt: skip
    app.route("/saved", saved)
    call = play("/voice", inputs=["#"])
    call.check("completed", heard=["No message"])
    assert app.paths() == ["/voice"]


def test_record_without_action_requests_the_document_again(app, play) -> None:
    def voice(params: dict[str, str]) -> str:
        if params.get("RecordingUrl"):
            return doc("<Say>Thanks</Say>")
        return doc('<Record finishOnKey="#" playBeep="false"/>')

    app.route("/voice", voice)
    call = play("/voice", inputs=["talk:2", "#"])
    call.check("completed", heard=["Thanks"])
    assert app.paths() == ["/voice", "/voice"]
    assert app.requests_to("/voice")[1].params["Digits"] == "#"


def test_transcription_callback_is_sent_after_the_recording(app, play) -> None:
    app.route("/voice", doc(
        '<Record action="/saved" finishOnKey="#" transcription="true" transcriptionCallback="/transcribed"/>',
    ))  # fmt: skip
    app.route("/saved", doc('<Pause length="10"/>', "<Hangup/>"))
    app.route("/transcribed", "")
    call = play("/voice", inputs=["speech:please call me back", "#"])
    call.check("completed")
    [transcribed] = app.requests_to("/transcribed")
    recording_sid = app.requests_to("/saved")[0].params["RecordingSid"]
    assert transcribed.params["RecordingSid"] == recording_sid
    assert transcribed.params["TranscriptionStatus"] == "completed"
    assert "call me back" in transcribed.params["TranscriptionText"]
    [start] = [d["body"] for d in call.of("command") if d["path"].endswith("/record_start")]
    assert start["transcription"] is True


def test_recording_status_callback_with_get(app, play) -> None:
    app.route("/voice", doc(
        '<Record action="/saved" finishOnKey="#" recordingStatusCallback="/recording" '
        'recordingStatusCallbackMethod="GET"/>'
    ))  # fmt: skip
    app.route("/saved", doc("<Hangup/>"))
    app.route("/recording", "")
    call = play("/voice", inputs=["talk:2", "#"])
    call.check("completed")
    [status] = app.requests_to("/recording")
    assert status.method == "GET" and status.form == {}
    assert status.query["RecordingStatus"] == "completed"
    assert status.query["CallSid"] == call.call_id


def test_get_callback_keeps_the_urls_own_query(app, play) -> None:
    app.route("/voice", doc(
        '<Record action="/saved" finishOnKey="#" recordingStatusCallback="/recording?tenant=acme" '
        'recordingStatusCallbackMethod="GET"/>'
    ))  # fmt: skip
    app.route("/saved", doc("<Hangup/>"))
    app.route("/recording", "")
    play("/voice", inputs=["talk:2", "#"])
    [status] = app.requests_to("/recording")
    assert status.query["RecordingStatus"] == "completed"
    assert status.query.get("tenant") == "acme"
