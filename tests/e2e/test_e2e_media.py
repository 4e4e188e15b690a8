"""Whole calls with <Say>, <Play>, <Pause> and <Hangup>, served by a real local HTTP app."""

from __future__ import annotations

import pytest
from calls import common_params_ok, doc

PLAY_FAILURE_DROPPED = (
    "compiler/play.py:52-53 (commit 83ae37d) drops every call.playback.ended that comes before a "
    "call.playback.started, but a file that cannot be played (status file_not_found) reports no "
    "`started`: its only event is ignored, so failoverUrl / continueOnError / the hang-up never "
    "happen and the call sits silent until the simulator's idle timeout (3600 s) vs the failover "
    "played at once, or the next verb, or the hang-up"
)


def test_say_then_end_of_document_hangs_up(app, play) -> None:
    app.route("/voice", doc('<Say voice="Polly.Joanna">Hello from the test app.</Say>'))
    call = play("/voice")
    call.check("completed", heard=["Hello from the test app."])
    assert call.commands() == ["answer", "speak", "hangup"]  # the end of the document hangs up
    [request] = app.requests_to("/voice")
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    common_params_ok(request, call_id=call.call_id, status="ringing")  # fetched while ringing
    [speak] = [d for d in call.of("command") if d["path"].endswith("/speak")]
    assert speak["body"]["voice"] == "AWS.Polly.Joanna"
    assert call.duration >= 1


def test_say_loop_is_heard_as_one_speak_with_loop(app, play) -> None:
    app.route("/voice", doc('<Say loop="3">Again</Say>', "<Say>Done</Say>"))
    call = play("/voice")
    call.check("completed", heard=["Again", "Done"])
    [speak, _] = [d["body"] for d in call.of("command") if d["path"].endswith("/speak")]
    assert speak["loop"] == 3
    # The next verb waits for the three loops.
    [first, second] = call.command_times("speak")
    assert second - first >= 3


def test_play_audio_digits_and_loop(app, play) -> None:
    app.route("/voice", doc(
        '<Play digits="12w3"/>',
        '<Play loop="2">https://cdn.example.com/a.mp3#2s</Play>',
        "<Play>/local-relative.mp3#1s</Play>",
    ))  # fmt: skip
    call = play("/voice")
    call.check("completed", heard=[
        "dtmf:12w3", "https://cdn.example.com/a.mp3#2s", app.url("/local-relative.mp3#1s"),
    ])  # fmt: skip
    assert call.commands() == ["answer", "send_dtmf", "playback_start", "playback_start", "hangup"]
    bodies = [d["body"] for d in call.of("command") if "playback_start" in d["path"]]
    assert bodies[0]["loop"] == 2
    assert bodies[1]["audio_url"] == app.url("/local-relative.mp3#1s")  # relative to the document


def test_play_failover_url_then_continue_on_error(app, play) -> None:
    app.route("/voice", doc(
        '<Play failoverUrl="https://cdn.example.com/backup.mp3#1s">https://cdn.example.com/gone.mp3#missing</Play>',
        '<Play continueOnError="true">https://cdn.example.com/also-gone.mp3#missing</Play>',
        "<Say>Still here</Say>",
    ))  # fmt: skip
    call = play("/voice")
    call.check("completed")
    assert call.heard()[-1] == "Still here"
    urls = [d["body"]["audio_url"] for d in call.of("command") if "playback_start" in d["path"]]
    assert urls == ["https://cdn.example.com/gone.mp3#missing", "https://cdn.example.com/backup.mp3#1s",
                    "https://cdn.example.com/also-gone.mp3#missing"]  # fmt: skip


def test_play_that_fails_without_continue_on_error_hangs_up(app, play) -> None:
    app.route("/voice", doc("<Play>https://cdn.example.com/gone.mp3#missing</Play>", "<Say>Never</Say>"))
    call = play("/voice")
    assert not call.error
    assert call.heard() == []  # a missing file plays nothing, and "Never" is not reached
    assert call.commands() == ["answer", "playback_start", "hangup"]
    assert app.paths() == ["/voice"]


def test_an_answered_call_hung_up_by_a_failed_play_is_completed(app, play) -> None:
    app.route("/voice", doc("<Say>Hi</Say>", "<Play>https://cdn.example.com/gone.mp3#missing</Play>"))
    call = play("/voice", status_callback="/status")
    assert call.duration <= 3  # (fails first while compiler/play.py:52 ignores the failure)
    statuses = [r.params["CallStatus"] for r in app.requests_to("/status")]
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]
    call.check("completed", heard=["Hi"])


def test_pause_waits_in_call_time(app, play) -> None:
    app.route("/voice", doc("<Say>One</Say>", '<Pause length="4"/>', "<Say>Two</Say>"))
    call = play("/voice")
    call.check("completed", heard=["One", "Two"])
    [one, two] = call.command_times("speak")
    assert 4 <= two - one <= 6  # one second of speech, then four of silence


def test_first_verb_pause_delays_the_answer(app, play) -> None:
    app.route("/voice", doc('<Pause length="3"/>', "<Say>Answered late</Say>"))
    call = play("/voice")
    call.check("completed", heard=["Answered late"])
    [answered_at] = call.command_times("answer")
    assert answered_at >= 3
    assert call.commands()[0] == "answer"  # nothing before it: the Pause is a timer


def test_hangup_ends_the_call_and_skips_what_follows(app, play) -> None:
    app.route("/voice", doc("<Say>Bye</Say>", "<Hangup/>", "<Say>Never</Say>"))
    call = play("/voice")
    call.check("completed", heard=["Bye"])
    assert call.commands() == ["answer", "speak", "hangup"]
    assert app.paths() == ["/voice"]


def test_caller_hangs_up_mid_pause(app, play) -> None:
    app.route("/voice", doc("<Say>Hold on</Say>", '<Pause length="30"/>', "<Say>Never</Say>"))
    call = play("/voice", inputs=["hangup"], status_callback="/status")
    call.check("completed", heard=["Hold on"])
    assert "hangup" not in call.commands()  # the caller hung up; nothing to hang up
    completed = [p for p in (r.params for r in app.requests_to("/status")) if p["CallStatus"] == "completed"]
    assert [p["HangupSource"] for p in completed] == ["caller"]
    assert call.duration < 5


def test_caller_hangs_up_during_endless_music(app, play) -> None:
    app.route("/voice", doc('<Play loop="0">https://cdn.example.com/music.mp3</Play>', "<Say>Never</Say>"))
    call = play("/voice", inputs=["hangup"])
    call.check("completed", heard=["https://cdn.example.com/music.mp3"])
    [start] = [d["body"] for d in call.of("command") if "playback_start" in d["path"]]
    assert start["loop"] == "infinity"
    assert call.duration <= 1


def test_caller_hangs_up_while_it_rings(app, play) -> None:
    app.route("/voice", doc('<Pause length="10"/>', "<Say>Never</Say>"))
    call = play("/voice", inputs=["hangup"], status_callback="/status")
    call.check("canceled", heard=[])
    assert "answer" not in call.commands()
    statuses = [r.params["CallStatus"] for r in app.requests_to("/status")]
    assert statuses == ["initiated", "ringing", "canceled"]
