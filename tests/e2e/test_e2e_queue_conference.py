"""Whole calls with <Enqueue waitUrl>, <Leave>, <Dial><Queue> and <Dial><Conference>."""

from __future__ import annotations

import pytest
from calls import common_params_ok, doc

HOLD = doc(
    "<Say>Please hold</Say>",
    '<Gather numDigits="1" timeout="2" action="/leave"><Play>https://cdn.example.com/music.mp3#5s</Play></Gather>',
)
ENQUEUE = doc('<Enqueue waitUrl="/hold" action="/after" maxWaitTimeSecs="60">support</Enqueue>', "<Say>Not reached</Say>")


def queue_app(app, after: str = doc("<Hangup/>")) -> None:
    app.route("/voice", ENQUEUE)
    app.route("/hold", HOLD)
    app.route("/leave", doc("<Leave/>"))
    app.route("/after", after)


def test_enqueue_replays_the_wait_document_until_max_wait(app, play) -> None:
    queue_app(app)
    call = play("/voice")
    holds = app.requests_to("/hold")
    assert len(holds) >= 5  # ~8 s a round over 60 s: fetched again each time it ends
    for hold in holds:
        common_params_ok(hold, call_id=call.call_id, status="in-progress")
        assert hold.params["QueueSid"] == "support"
    [after] = app.requests_to("/after")
    assert after.params["QueueResult"] == "timeout"
    assert after.params["QueueSid"] == "support"
    assert 59 <= int(after.params["QueueTime"]) <= 61
    call.check("completed")
    assert call.heard().count("Please hold") == len(holds)
    [enqueue] = [d["body"] for d in call.of("command") if d["path"].endswith("/enqueue")]
    assert enqueue == {**enqueue, "queue_name": "support", "max_wait_time_secs": 60}
    assert "playback_stop" in call.commands()  # the hold music is cut when the wait ends


def test_leave_from_the_wait_document(app, play) -> None:
    queue_app(app)
    call = play("/voice", inputs=["1"])
    [leave] = app.requests_to("/leave")
    assert leave.params["Digits"] == "1" and leave.params["QueueSid"] == "support"
    [after] = app.requests_to("/after")
    assert after.params["QueueResult"] == "leave"
    assert 5 <= int(after.params["QueueTime"]) <= 8
    assert "leave_queue" in call.commands()
    call.check("completed")
    assert call.heard()[:2] == ["Please hold", "https://cdn.example.com/music.mp3#5s"]


def test_after_leave_the_wait_document_is_not_played_again(app, play) -> None:
    queue_app(app)
    call = play("/voice", inputs=["1"])
    assert app.paths() == ["/voice", "/hold", "/leave", "/after"]
    assert call.heard() == ["Please hold", "https://cdn.example.com/music.mp3#5s"]


def test_the_action_documents_say_is_heard_in_full_after_the_wait_ends(app, play) -> None:
    # The wait document's speech is stopped as the queue ends; its late call.speak.ended must
    # not end the action document's <Say> (it did before commit 83ae37d: compiler/say.py).
    queue_app(app, after=doc("<Say>Sorry, nobody could take your call today.</Say>", "<Hangup/>"))
    # Hold speech of 10 s and a 1 s pause: at 60 s the wait document is speaking.
    words = " ".join(["Thank you for holding, your call matters to us."] * 3)
    app.route("/hold", doc(f"<Say>{words}</Say>", '<Pause length="1"/>'))
    call = play("/voice")
    [after] = app.requests_to("/after")
    assert after.params["QueueResult"] == "timeout"
    [speak_at] = [t for t, d in call.timed("command")
                  if d["path"].endswith("/speak") and "Sorry" in d["body"]["payload"]]  # fmt: skip
    [hangup_at] = call.command_times("hangup")
    assert hangup_at - speak_at >= 2.5


def test_caller_hangs_up_in_the_queue(app, play) -> None:
    queue_app(app, after=doc("<Say>Not run</Say>"))
    call = play("/voice", inputs=["hangup"], status_callback="/status")
    [after] = app.requests_to("/after")
    assert after.params["QueueResult"] == "hangup"
    call.check("completed", heard=["Please hold", "https://cdn.example.com/music.mp3#5s"])
    assert "Not run" not in call.heard()
    completed = [r.params for r in app.requests_to("/status") if r.params["CallStatus"] == "completed"]
    assert len(completed) == 1 and completed[0]["HangupSource"] == "caller"


def test_caller_hangs_up_in_the_queue_reports_time_waited_and_sends_nothing(app, play) -> None:
    queue_app(app, after=doc("<Say>Not run</Say>"))
    call = play("/voice", inputs=["hangup"])
    [hung_up_at] = [t for t, d in call.timed("input") if d.get("action") == "hangup"]
    assert [d for t, d in call.timed("command") if t >= hung_up_at] == []
    [after] = app.requests_to("/after")
    assert after.params["CallStatus"] == "completed"
    assert 5 <= int(after.params["QueueTime"]) <= 8


def test_action_after_a_hang_up_in_a_silent_queue_says_completed(app, play) -> None:
    app.route("/voice", doc('<Enqueue action="/after">support</Enqueue>'))
    app.route("/after", doc("<Say>Not run</Say>"))
    call = play("/voice", inputs=["hangup"])
    assert "Not run" not in call.heard()
    [after] = app.requests_to("/after")
    assert after.params["QueueResult"] == "hangup"
    assert after.params["CallStatus"] == "completed"


def test_dial_queue_on_an_empty_queue_gives_no_answer(app, play) -> None:
    app.route("/voice", doc('<Dial action="/after" timeout="10"><Queue>support</Queue></Dial>'))
    app.route("/after", lambda p: doc(f"<Say>{p.get('DialCallStatus')}</Say>"))
    call = play("/voice")
    call.check("completed", heard=["no-answer"])
    looks = [d for d in call.of("command") if d["method"] == "GET"]
    assert looks and all(d["path"] == "/queues/support/calls" for d in looks)
    assert app.requests_to("/after")[0].params["DialBridged"] == "false"


# --- <Dial><Conference> -------------------------------------------------------------------------

CONFERENCE = doc(
    "<Say>Joining the room</Say>",
    '<Dial action="/after" timeLimit="60">'
    '<Conference beep="false" statusCallback="/room" statusCallbackEvent="start end join leave">standup</Conference>'
    "</Dial>",
)


def test_conference_join_time_limit_then_action(app, play) -> None:
    app.route("/voice", CONFERENCE)
    app.route("/after", lambda p: doc(f"<Say>Left with {p.get('DialCallStatus')}</Say>"))
    app.route("/room", "")
    call = play("/voice", status_callback="/status")
    call.check("completed", heard=["Joining the room", "Left with completed"])
    commands = call.commands()
    assert "GET /conferences" in commands and "POST /conferences" in commands
    [create] = [d["body"] for d in call.of("command") if d["method"] == "POST" and d["path"] == "/conferences"]
    assert create["name"] == "standup" and create["call_control_id"] == call.call_id
    assert create["beep_enabled"] == "never"
    events = [r.params for r in app.requests_to("/room")]
    assert [p["StatusCallbackEvent"] for p in events] == ["conference-start", "participant-join", "participant-leave"]
    assert {p["FriendlyName"] for p in events} == {"standup"}
    assert [p["SequenceNumber"] for p in events] == ["0", "1", "2"]
    [after] = app.requests_to("/after")
    common_params_ok(after, call_id=call.call_id, status="in-progress")
    assert 59 <= call.duration <= 65


def test_caller_hangs_up_in_a_conference_the_reply_is_not_run(app, play) -> None:
    app.route("/voice", CONFERENCE)
    app.route("/after", doc("<Say>Not run</Say>"))
    app.route("/room", "")
    call = play("/voice", inputs=["hangup"])
    assert len(app.requests_to("/after")) == 1
    [hung_up_at] = [t for t, d in call.timed("input") if d.get("action") == "hangup"]
    assert [d["path"] for t, d in call.timed("command") if t >= hung_up_at and "speak" in d["path"]] == []
    assert app.requests_to("/after")[0].params["CallStatus"] == "completed"


def test_caller_hangs_up_in_a_conference_leaves_the_room(app, play) -> None:
    app.route("/voice", CONFERENCE)
    app.route("/after", doc("<Hangup/>"))
    app.route("/room", "")
    call = play("/voice", inputs=["hangup"], status_callback="/status")
    assert call.status == "completed" and not call.error
    assert call.heard() == ["Joining the room"]
    events = [r.params["StatusCallbackEvent"] for r in app.requests_to("/room")]
    assert events[-1] == "participant-leave"
    completed = [r.params for r in app.requests_to("/status") if r.params["CallStatus"] == "completed"]
    assert len(completed) == 1 and completed[0]["HangupSource"] == "caller"
