"""`<Dial><Conference>` (compiler.conference): find-or-create, join, wait, leave."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import pytest

import texml
from compiler import (
    Action, CallContext, Callback, CancelTimer, Command, CommandFailed, CommandResult, Done,
    RunDocument, Send, SetTimer, StopDocument, TimerFired, Watch, Webhook, compile_verb,
)  # fmt: skip
from compiler.conference import MAX_ATTEMPTS, ConferenceDialStep
from tests.support.telnyx_schema import validate_command, validate_webhook

CALL = "v3:caller"
STATE = base64.b64encode(b'{"session":"s1"}').decode()
DOC = "https://app.example.com/voice.xml"
ROOM_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def step_for(xml: str, **ctx: Any) -> ConferenceDialStep:
    counter = itertools.count(1)
    fields: dict[str, Any] = {
        "call_control_id": CALL,
        "connection_id": "conn-1",
        "from_": "+15550001111",
        "to": "+15550002222",
        "client_state": STATE,
        "new_id": lambda: f"id-{next(counter)}",
        "document_url": DOC,
    }
    fields.update(ctx)
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert not doc.errors, doc.errors
    step = compile_verb(doc.verbs[0], CallContext(**fields))
    assert isinstance(step, ConferenceDialStep)
    return step


def checked(effects: list[Any]) -> list[Any]:
    for effect in effects:
        if isinstance(effect, Send):
            cmd = effect.command
            validate_command(cmd.method, cmd.resolved_path(CALL), dict(cmd.body))
    return effects


def leave(step: Any) -> list[Any]:
    """This participant leaves on its own: the step waits a moment for call.hangup, then ends."""
    effects = step.on_event(room_hook("conference.participant.left"))
    assert SetTimer("left", 1.0) in effects, effects
    return [e for e in effects if not isinstance(e, SetTimer)] + step.on_event(TimerFired("left"))


def hook(event_type: str, **payload: Any) -> Webhook:
    """Conference events carry their time in the payload (`occurred_at`)."""
    data: dict[str, Any] = {"record_type": "event", "event_type": event_type, "id": "evt-1"}
    data["payload"] = {"connection_id": "conn-1", **payload}
    validate_webhook({"data": data})
    return Webhook.from_json({"data": data})


def room_hook(event_type: str, who: str = CALL, room: str = ROOM_ID, **payload: Any) -> Webhook:
    return hook(event_type, call_control_id=who, conference_id=room, client_state=STATE, **payload)


def sends(effects: list[Any]) -> list[Command]:
    return [e.command for e in effects if isinstance(e, Send)]


def the(command: Command | None) -> Command:
    """A command the step has sent."""
    assert command is not None
    return command


def done(effects: list[Any]) -> Done:
    assert isinstance(effects[-1], Done), effects
    return effects[-1]


def listed(*rooms: dict[str, Any]) -> list[dict[str, Any]]:
    base = {
        "created_at": "2024-01-01T11:00:00Z",
        "expires_at": "2024-01-01T15:00:00Z",
        "record_type": "conference",
    }
    return [{**base, **room} for room in rooms]


def look_up(step: ConferenceDialStep, rooms: list[dict[str, Any]]) -> list[Any]:
    assert step.lookup is not None
    return checked(step.on_event(CommandResult(the(step.lookup), rooms)))


def created(step: ConferenceDialStep) -> list[Any]:
    assert step.create is not None
    data = {"id": ROOM_ID, "name": step.name, **listed({})[0]}
    return checked(step.on_event(CommandResult(the(step.create), data)))


# --- finding the room --------------------------------------------------------------------------


def test_start_looks_the_room_up_by_name() -> None:
    step = step_for("<Dial><Conference> Sales Room </Conference></Dial>")
    effects = checked(step.start())
    assert effects == [Send(Command("GET", "/conferences", {"filter": {"name": "Sales Room"}}))]
    assert step.plan() == [Command("GET", "/conferences", {"filter": {"name": "Sales Room"}})]


def test_a_ringing_call_is_answered_first() -> None:
    step = step_for("<Dial><Conference>room</Conference></Dial>", answered=False)
    assert [c.action for c in sends(checked(step.start()))] == ["answer", "/conferences"]


def test_no_room_creates_it_with_every_attribute() -> None:
    step = step_for(
        '<Dial><Conference beep="onExit" maxParticipants="10" startConferenceOnEnter="false"'
        ' waitUrl="/hold.mp3">room</Conference></Dial>'
    )
    step.start()
    effects = look_up(step, [])
    assert sends(effects) == [
        Command(
            "POST",
            "/conferences",
            {
                "call_control_id": CALL,
                "name": "room",
                "client_state": STATE,
                "command_id": "id-1",
                "beep_enabled": "on_exit",
                "start_conference_on_create": False,
                "max_participants": 10,
                "hold_audio_url": "https://app.example.com/hold.mp3",
            },
        )
    ]
    # The audio is the room's hold audio: nothing is played on the call itself.
    assert created(step) == []
    assert step.conference_id == ROOM_ID
    assert step.created


def test_default_create_body() -> None:
    step = step_for("<Dial><Conference>room</Conference></Dial>")
    step.start()
    assert sends(look_up(step, [])) == [
        Command(
            "POST",
            "/conferences",
            {
                "call_control_id": CALL,
                "name": "room",
                "client_state": STATE,
                "command_id": "id-1",
                "beep_enabled": "always",
                "start_conference_on_create": True,
            },
        )
    ]


@pytest.mark.parametrize(
    ("beep", "enabled"), [("true", "always"), ("false", "never"), ("onEnter", "on_enter")]
)
def test_beep_mapping(beep: str, enabled: str) -> None:
    step = step_for(f'<Dial><Conference beep="{beep}">room</Conference></Dial>')
    step.start()
    assert sends(look_up(step, []))[0].body["beep_enabled"] == enabled


def test_a_live_room_is_joined() -> None:
    step = step_for(
        '<Dial><Conference muted="true" endConferenceOnExit="true" beep="false">'
        "room</Conference></Dial>"
    )
    step.start()
    rooms = listed(
        {"id": "old", "name": "room", "status": "completed", "end_reason": "all_left"},
        {"id": "other", "name": "roomy", "status": "in_progress"},
        {"id": ROOM_ID, "name": "room", "status": "in_progress"},
    )
    effects = look_up(step, rooms)
    assert sends(effects) == [
        Command(
            "POST",
            f"/conferences/{ROOM_ID}/actions/join",
            {
                "call_control_id": CALL,
                "client_state": STATE,
                "command_id": "id-1",
                "beep_enabled": "never",
                "start_conference_on_enter": True,
                "mute": True,
                "end_conference_on_exit": True,
            },
        )
    ]
    assert not step.created


def test_list_reply_wrapped_in_data_is_understood() -> None:
    step = step_for("<Dial><Conference>room</Conference></Dial>")
    step.start()
    effects = step.on_event(
        CommandResult(the(step.lookup), {"data": listed({"id": ROOM_ID, "name": "room"})})
    )
    assert sends(effects)[0].action == "join"


def test_lookup_failure_creates_the_room() -> None:
    step = step_for("<Dial><Conference>room</Conference></Dial>")
    step.start()
    effects = checked(step.on_event(CommandFailed(the(step.lookup), 404)))
    assert sends(effects)[0].path == "/conferences"


def test_join_refused_looks_again_then_gives_up() -> None:
    step = step_for('<Dial action="/after"><Conference>room</Conference></Dial>')
    step.start()
    look_up(step, listed({"id": ROOM_ID, "name": "room", "status": "in_progress"}))
    effects = step.on_event(CommandFailed(the(step.join), 404, "conference ended"))
    assert sends(effects) == [Command("GET", "/conferences", {"filter": {"name": "room"}})]
    look_up(step, [])  # attempt 2: create
    assert step.attempts == 2
    effects = step.on_event(CommandFailed(the(step.create), 422))
    assert sends(effects)[0].method == "GET"
    look_up(step, [])  # attempt 3
    assert step.attempts == MAX_ATTEMPTS
    result = done(step.on_event(CommandFailed(the(step.create), 422)))
    assert result == Done(
        {"DialCallStatus": "failed"},
        Action("https://app.example.com/after", "POST"),
        outcome="failed",
    )


# --- in the room -------------------------------------------------------------------------------


def test_participant_left_then_hangup_ends_the_call_without_running_the_action() -> None:
    step = step_for('<Dial action="/after"><Conference>room</Conference></Dial>')
    step.start()
    look_up(step, [])
    created(step)
    step.on_event(room_hook("conference.participant.joined"))
    assert step.on_event(room_hook("conference.participant.left"))[-1] == SetTimer("left", 1.0)
    assert step.on_event(room_hook("conference.ended")) == []  # we are out of the room already
    done = step.on_event(hook("call.hangup", call_control_id=CALL))[-1]
    assert isinstance(done, Done) and done.end and done.action is not None


def test_creator_is_muted_recorded_and_leaves() -> None:
    step = step_for(
        '<Dial action="/after" method="GET"><Conference muted="true" record="record-from-start"'
        ' recordBeep="false" trim="trim-silence">room</Conference></Dial>'
    )
    step.start()
    look_up(step, [])
    effects = created(step)
    assert sends(effects) == [
        Command("POST", f"/conferences/{ROOM_ID}/actions/mute", {"call_control_ids": [CALL]}),
        Command(
            "POST",
            f"/conferences/{ROOM_ID}/actions/record_start",
            {"format": "mp3", "command_id": "id-2", "play_beep": False, "trim": "trim-silence"},
        ),
    ]
    assert step.on_event(room_hook("conference.participant.joined")) == []
    assert step.joined
    assert step.on_event(room_hook("conference.participant.left", who="v3:other")) == []
    effects = leave(step)
    assert effects == [
        Done({"DialCallStatus": "completed"}, Action("https://app.example.com/after", "GET"))
    ]


def test_record_start_default_beep() -> None:
    step = step_for('<Dial><Conference record="record-from-start">room</Conference></Dial>')
    step.start()
    look_up(step, [])
    (record,) = sends(created(step))
    assert record.body == {"format": "mp3", "command_id": "id-2", "play_beep": True}


def test_conference_end_finishes_the_step() -> None:
    step = step_for('<Dial><Conference endConferenceOnExit="true">room</Conference></Dial>')
    step.start()
    look_up(step, [])
    created(step)
    effects = step.on_event(
        room_hook("conference.ended", occurred_at="2024-01-01T12:00:00Z", reason="all_left")
    )
    assert effects == [Done({"DialCallStatus": "completed"})]  # no `end` for a room already over


def test_creator_with_end_conference_on_exit_ends_the_room() -> None:
    step = step_for('<Dial><Conference endConferenceOnExit="true">room</Conference></Dial>')
    step.start()
    look_up(step, [])
    created(step)
    effects = checked(leave(step))
    assert sends(effects) == [
        Command("POST", f"/conferences/{ROOM_ID}/actions/end", {"command_id": "id-2"})
    ]
    assert done(effects).params == {"DialCallStatus": "completed"}


def test_joiner_with_end_conference_on_exit_leaves_it_to_call_control() -> None:
    step = step_for('<Dial><Conference endConferenceOnExit="true">room</Conference></Dial>')
    step.start()
    look_up(step, listed({"id": ROOM_ID, "name": "room", "status": "in_progress"}))
    effects = leave(step)
    assert effects == [Done({"DialCallStatus": "completed"})]


def test_caller_hangs_up_in_the_room() -> None:
    step = step_for(
        '<Dial action="/after"><Conference endConferenceOnExit="true">room</Conference></Dial>'
    )
    step.start()
    look_up(step, [])
    created(step)
    effects = checked(
        step.on_event(
            hook(
                "call.hangup",
                call_control_id=CALL,
                client_state=STATE,
                hangup_cause="normal_clearing",
            )
        )
    )
    assert [c.action for c in sends(effects)] == ["end"]
    result = done(effects)
    assert result.end and result.outcome == "hangup"
    assert result.action == Action("https://app.example.com/after", "POST")
    assert result.params == {"DialCallStatus": "completed"}


def test_caller_hangs_up_before_the_lookup_answers() -> None:
    step = step_for("<Dial><Conference>room</Conference></Dial>")
    step.start()
    result = done(
        step.on_event(hook("call.hangup", call_control_id=CALL, hangup_cause="normal_clearing"))
    )
    assert result.params == {"DialCallStatus": "canceled"}
    assert result.end


def test_other_rooms_are_ignored() -> None:
    step = step_for("<Dial><Conference>room</Conference></Dial>")
    step.start()
    look_up(step, [])
    created(step)
    assert step.on_event(room_hook("conference.participant.left", room="elsewhere")) == []
    assert step.on_event(room_hook("conference.ended", room="elsewhere")) == []
    assert not step.done


def test_created_webhook_may_outrun_the_reply() -> None:
    step = step_for(
        '<Dial><Conference statusCallback="/conf" statusCallbackEvent="start">'
        "room</Conference></Dial>"
    )
    step.start()
    look_up(step, [])
    effects = step.on_event(room_hook("conference.created", occurred_at="2024-01-01T12:00:00Z"))
    assert step.conference_id == ROOM_ID
    assert isinstance(effects[0], Callback)
    assert effects[0].params["StatusCallbackEvent"] == "conference-start"


def test_time_limit_leaves_the_room() -> None:
    step = step_for('<Dial timeLimit="120"><Conference>room</Conference></Dial>')
    step.start()
    effects = look_up(step, listed({"id": ROOM_ID, "name": "room", "status": "in_progress"}))
    assert effects[-1] == SetTimer("time-limit", 120)
    effects = checked(step.on_event(TimerFired("time-limit")))
    assert sends(effects) == [
        Command(
            "POST",
            f"/conferences/{ROOM_ID}/actions/leave",
            {"call_control_id": CALL, "command_id": "id-2"},
        )
    ]
    effects = step.on_event(room_hook("conference.participant.left"))  # asked for: no wait
    assert effects == [CancelTimer("time-limit"), Done({"DialCallStatus": "completed"})]


# --- waiting for the room to start ------------------------------------------------------------


def test_wait_document_runs_until_the_room_starts() -> None:
    step = step_for(
        '<Dial><Conference startConferenceOnEnter="false" waitUrl="/wait" waitMethod="GET">'
        "room</Conference></Dial>"
    )
    step.start()
    effects = look_up(step, listed({"id": ROOM_ID, "name": "room", "status": "init"}))
    assert sends(effects)[0].body["start_conference_on_enter"] is False
    assert effects[-1] == RunDocument("wait", "https://app.example.com/wait", "GET", repeat=True)
    effects = step.on_event(hook("call.unhold", call_control_id=CALL, client_state=STATE))
    assert effects == [StopDocument("wait")]
    assert step.on_event(hook("call.unhold", call_control_id=CALL)) == []


def test_no_wait_in_a_started_room() -> None:
    step = step_for(
        '<Dial><Conference startConferenceOnEnter="false" waitUrl="/wait">room</Conference></Dial>'
    )
    step.start()
    effects = look_up(step, listed({"id": ROOM_ID, "name": "room", "status": "in_progress"}))
    assert not any(isinstance(e, RunDocument) for e in effects)


def test_wait_audio_when_joining_a_room_not_started() -> None:
    step = step_for(
        '<Dial><Conference startConferenceOnEnter="false" waitUrl="/hold.wav?x=1">'
        "room</Conference></Dial>"
    )
    step.start()
    effects = look_up(step, listed({"id": ROOM_ID, "name": "room", "status": "init"}))
    play = sends(effects)[-1]
    assert play.action == "playback_start"
    assert play.body["audio_url"] == "https://app.example.com/hold.wav?x=1"
    assert play.body["loop"] == "infinity"
    effects = checked(step.on_event(hook("call.unhold", call_control_id=CALL)))
    assert [c.action for c in sends(effects)] == ["playback_stop"]


def test_creator_wait_document_when_not_started() -> None:
    step = step_for(
        '<Dial><Conference startConferenceOnEnter="false" waitUrl="/wait">room</Conference></Dial>'
    )
    step.start()
    assert "hold_audio_url" not in sends(look_up(step, []))[0].body
    assert created(step) == [
        RunDocument("wait", "https://app.example.com/wait", "POST", repeat=True)
    ]
    effects = leave(step)
    assert effects == [StopDocument("wait"), Done({"DialCallStatus": "completed"})]


def test_wait_stops_when_the_join_fails() -> None:
    step = step_for(
        '<Dial><Conference startConferenceOnEnter="false" waitUrl="/wait">room</Conference></Dial>'
    )
    step.start()
    look_up(step, listed({"id": ROOM_ID, "name": "room", "status": "init"}))
    effects = step.on_event(CommandFailed(the(step.join), 422))
    assert effects[0] == StopDocument("wait")


# --- callbacks --------------------------------------------------------------------------------


def test_conference_status_callbacks() -> None:
    step = step_for(
        '<Dial><Conference statusCallback="/conf" statusCallbackMethod="GET"'
        ' statusCallbackEvent="start end join leave speaker" participantLabel="agent">'
        "room</Conference></Dial>"
    )
    step.start()
    look_up(step, [])
    created(step)
    url = "https://app.example.com/conf"
    base = {"ConferenceSid": ROOM_ID, "FriendlyName": "room"}
    effects = step.on_event(room_hook("conference.created", occurred_at="2024-01-01T12:00:00Z"))
    assert effects == [
        Callback(
            url,
            "GET",
            {
                **base,
                "StatusCallbackEvent": "conference-start",
                "SequenceNumber": "0",
                "CallSid": CALL,
                "Timestamp": "2024-01-01T12:00:00Z",
                "ParticipantLabel": "agent",
            },
        )
    ]
    effects = step.on_event(room_hook("conference.participant.joined", who="v3:other"))
    assert effects == [
        Callback(
            url,
            "GET",
            {
                **base,
                "StatusCallbackEvent": "participant-join",
                "SequenceNumber": "1",
                "CallSid": "v3:other",
            },
        )
    ]
    effects = step.on_event(
        room_hook("conference.floor.changed", who="v3:other", occurred_at="2024-01-01T12:00:09Z")
    )
    assert effects[0].params["StatusCallbackEvent"] == "participant-speech-start"
    effects = step.on_event(room_hook("conference.participant.left", who="v3:other"))
    assert effects[0].params["StatusCallbackEvent"] == "participant-leave"
    effects = step.on_event(
        room_hook("conference.ended", occurred_at="2024-01-01T12:09:00Z", reason="host_left")
    )
    assert effects[0].params["StatusCallbackEvent"] == "conference-end"
    assert (
        effects[0].params["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-left"
    )
    assert effects[0].params["SequenceNumber"] == "4"
    assert isinstance(effects[-1], Done)


def test_unsubscribed_events_send_nothing() -> None:
    step = step_for(
        '<Dial><Conference statusCallback="/conf" statusCallbackEvent="end">'
        "room</Conference></Dial>"
    )
    step.start()
    look_up(step, [])
    created(step)
    assert step.on_event(room_hook("conference.participant.joined", who="v3:other")) == []


def test_recording_callback_and_watch() -> None:
    xml = (
        '<Dial><Conference record="record-from-start" recordingStatusCallback="/rec"'
        ' recordingStatusCallbackMethod="GET">room</Conference></Dial>'
    )
    step = step_for(xml)
    step.start()
    look_up(step, [])
    created(step)
    effects = leave(step)
    assert (
        Watch(
            "conference.recording.saved",
            "recording",
            "https://app.example.com/rec",
            "GET",
            {"RecordingSource": "Conference", "ConferenceSid": ROOM_ID},
        )
        in effects
    )

    step = step_for(xml)
    step.start()
    look_up(step, [])
    created(step)
    saved = hook(
        "conference.recording.saved",
        conference_id=ROOM_ID,
        call_control_id=CALL,
        recording_id="rec-9",
        format="mp3",
        channels="single",
        recording_urls={"mp3": "https://rec.example.com/c.mp3"},
        recording_started_at="2024-01-01T12:00:00Z",
        recording_ended_at="2024-01-01T12:10:00Z",
    )
    effects = step.on_event(saved)
    assert effects == [
        Callback(
            "https://app.example.com/rec",
            "GET",
            {
                "RecordingUrl": "https://rec.example.com/c.mp3",
                "RecordingSid": "rec-9",
                "RecordingDuration": "600",
                "RecordingChannels": "1",
                "RecordingStatus": "completed",
                "RecordingSource": "Conference",
                "ConferenceSid": ROOM_ID,
            },
        )
    ]
    effects = leave(step)
    assert not any(isinstance(e, Watch) for e in effects)


def test_joiner_does_not_watch_the_rooms_recording() -> None:
    step = step_for(
        '<Dial><Conference record="record-from-start" recordingStatusCallback="/rec">'
        "room</Conference></Dial>"
    )
    step.start()
    effects = look_up(step, listed({"id": ROOM_ID, "name": "room", "status": "in_progress"}))
    assert [c.action for c in sends(effects)] == ["join"]  # the room is recorded by its creator
    effects = leave(step)
    assert not any(isinstance(e, Watch) for e in effects)
