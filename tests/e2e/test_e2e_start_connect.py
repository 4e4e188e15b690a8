"""Whole calls with <Start>/<Stop> (Stream, Transcription, Suppression, Siprec) and <Connect>."""

from __future__ import annotations

import pytest
from calls import common_params_ok, doc, sim_models


def test_start_and_stop_every_service(app, play) -> None:
    app.route("/voice", doc(
        "<Start>"
        '<Stream url="wss://media.example.com/stream" track="both_tracks" statusCallback="/stream-events"/>'
        '<Transcription language="en" transcriptionCallback="/transcripts"/>'
        '<Suppression direction="both"/>'
        '<Siprec connectorName="recorder" statusCallback="/siprec-events"/>'
        "</Start>",
        "<Say>This call is streamed and transcribed.</Say>",
        "<Stop><Stream/><Transcription/><Suppression/><Siprec/></Stop>",
        "<Say>Goodbye</Say>",
    ))  # fmt: skip
    for path in ("/stream-events", "/transcripts", "/siprec-events"):
        app.route(path, "")
    call = play("/voice", inputs=["speech:hello there"])
    call.check("completed", heard=["This call is streamed and transcribed.", "Goodbye"])
    commands = call.commands()
    starts = ["streaming_start", "transcription_start", "suppression_start", "siprec_start"]
    stops = ["streaming_stop", "transcription_stop", "suppression_stop", "siprec_stop"]
    assert commands[1:5] == starts  # all before the Say: <Start> does not wait
    first_say = commands.index("speak")
    assert commands[first_say + 1:first_say + 5] == stops
    bodies = {d["path"].rsplit("/", 1)[-1]: d["body"] for d in call.of("command")}
    assert bodies["streaming_start"]["stream_url"] == "wss://media.example.com/stream"
    assert bodies["siprec_start"]["connector_name"] == "recorder"
    stream_events = [r.params["StreamEvent"] for r in app.requests_to("/stream-events")]
    assert stream_events == ["stream-started", "stream-stopped"]
    siprec_events = [r.params["SiprecEvent"] for r in app.requests_to("/siprec-events")]
    assert siprec_events == ["siprec-started", "siprec-stopped"]
    for request in app.requests_to("/stream-events"):
        assert request.params["CallSid"] == call.call_id


def test_connect_stream_runs_until_the_stream_stops(app, play) -> None:
    app.route("/voice", doc(
        '<Connect><Stream url="wss://media.example.com/bot"/></Connect>', "<Say>Back from the stream</Say>",
    ))  # fmt: skip
    call = play("/voice")
    call.check("completed", heard=["Back from the stream"])
    assert call.commands() == ["answer", "streaming_start", "speak", "hangup"]
    [start_at] = call.command_times("streaming_start")
    [speak_at] = call.command_times("speak")
    assert speak_at > start_at  # the next verb waited for streaming.stopped


def connect_app(app, noun: str) -> None:
    app.route("/voice", doc(f'<Connect action="/connected">{noun}</Connect>', "<Say>Not reached</Say>"))
    app.route("/connected", lambda p: doc(f"<Say>Ended: {p.get('Reason')}</Say>"))


def test_connect_ai_assistant_requests_the_action_with_reason(app, play) -> None:
    if not sim_models("ai_assistant_start", {"assistant": {"id": "assistant-123"}}):
        pytest.skip("the simulator does not model ai_assistant_start yet")
    connect_app(app, '<AIAssistant id="assistant-123"/>')
    call = play("/voice", inputs=["speech:I need help with my order"])
    [connected] = app.requests_to("/connected")
    common_params_ok(connected, call_id=call.call_id, status="in-progress")
    reason = connected.params["Reason"]
    assert reason in ("handoff", "hangup", "service_error", "stt_error")
    call.check("completed", heard=[f"Ended: {reason}"])
    [start] = [d["body"] for d in call.of("command") if d["path"].endswith("/ai_assistant_start")]
    assert start["assistant"]["id"] == "assistant-123"


def test_connect_conversation_relay_requests_the_action_with_reason(app, play) -> None:
    if not sim_models("conversation_relay_start", {"conversation_relay_url": "wss://relay.example.com"}):
        pytest.skip("the simulator does not model conversation_relay_start yet")
    connect_app(app, '<ConversationRelay url="wss://relay.example.com/ws" welcomeGreeting="Hello"/>')
    call = play("/voice")
    [connected] = app.requests_to("/connected")
    reason = connected.params["Reason"]
    assert reason
    assert call.heard()[-1] == f"Ended: {reason}"
    call.check("completed")
    [start] = [d["body"] for d in call.of("command") if d["path"].endswith("/conversation_relay_start")]
    assert start["conversation_relay_url"] == "wss://relay.example.com/ws"


def test_caller_hangs_up_during_connect(app, play) -> None:
    if not sim_models("conversation_relay_start", {"conversation_relay_url": "wss://relay.example.com"}):
        pytest.skip("the simulator does not model conversation_relay_start yet")
    connect_app(app, '<ConversationRelay url="wss://relay.example.com/ws"/>')
    call = play("/voice", inputs=["hangup"], status_callback="/status")
    assert call.status == "completed" and not call.error
    [connected] = app.requests_to("/connected")  # still requested, as after <Dial>
    assert connected.params["Reason"] == "hangup"
    assert call.heard() == []  # its reply is not run
    completed = [r.params for r in app.requests_to("/status") if r.params["CallStatus"] == "completed"]
    assert len(completed) == 1


def test_start_transcription_posts_transcripts_while_the_caller_speaks(app, play) -> None:
    app.route("/voice", doc(
        '<Start><Transcription language="en" transcriptionCallback="/transcripts"/></Start>',
        '<Gather input="speech" action="/heard"><Say>Tell us why you call</Say></Gather>',
    ))  # fmt: skip
    app.route("/transcripts", "")
    app.route("/heard", lambda p: doc(f"<Say>You said {p.get('SpeechResult')}</Say>"))
    call = play("/voice", inputs=["speech:my bill is wrong"])
    call.check("completed", heard=["Tell us why you call", "You said my bill is wrong"])
    transcripts = [r.params for r in app.requests_to("/transcripts")]
    assert transcripts, "no transcription callback"
    assert transcripts[-1]["Transcript"] == "my bill is wrong"
    assert transcripts[-1]["IsFinal"] == "true"
    assert all(p["CallSid"] == call.call_id for p in transcripts)
