"""The session's inputs for `texml serve`: outbound calls (REST API), live redirects and
hang-ups, command ids that do not change when an input is handled again."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

from texml.runtime import (
    AppConfig, CallOver, CallSession, CancelTimer, FetchDocument, PostCallback, SendCommand,
    StartTimer, state,
)  # fmt: skip
from tests.support.telnyx_schema import validate_command

APP = "https://app.example.com/voice"
STATUS = "https://app.example.com/status"


def client_state(call: str) -> str:
    return base64.b64encode(json.dumps({"call": call}).encode()).decode()


def inbound(**config: Any) -> CallSession:
    return CallSession(
        config=AppConfig(account_sid="acct-1", voice_url=APP, **config),
        call_control_id="v3:in", connection_id="conn-1", from_="+15550001111",
        to="+15550002222", client_state=client_state("v3:in"),
    )  # fmt: skip


def outbound(**config: Any) -> CallSession:
    return CallSession(
        config=AppConfig(account_sid="acct-1", voice_url=APP, status_callback=STATUS, **config),
        call_control_id="out-1", connection_id="conn-1", from_="+15550002222",
        to="+15550003333", client_state=client_state("out-1"),
    )  # fmt: skip


_EVENT_IDS = itertools.count(1)


def webhook(call: str, event_type: str, **payload: Any) -> dict[str, Any]:
    return {"data": {"event_type": event_type, "id": f"ev-{next(_EVENT_IDS)}",
                     "payload": {"call_control_id": call, **payload}}}  # fmt: skip


def of(effects: list[Any], kind: type) -> list[Any]:
    return [e for e in effects if isinstance(e, kind)]


def sent(effects: list[Any]) -> list[SendCommand]:
    commands = of(effects, SendCommand)
    for e in commands:
        body = dict(e.command.body)
        validate_command(e.command.method, e.path, body)
    return commands


def actions(effects: list[Any]) -> list[str]:
    return [e.command.action for e in sent(effects)]


def reply_ok(s: CallSession, effects: list[Any], now: float) -> list[Any]:
    out: list[Any] = []
    for e in sent(effects):
        out += s.on_command_reply(e.token, e.command, 200, {"result": "ok"}, now)
    return out


def fetched(s: CallSession, effects: list[Any], xml: str, now: float = 0.0) -> list[Any]:
    [fetch] = of(effects, FetchDocument)
    return s.on_fetched(fetch.token, now, status=200, content_type="text/xml", body=xml.encode())


def answered_inbound(xml: str) -> CallSession:
    s = inbound()
    effects = fetched(s, s.start(0.0), xml)
    reply_ok(s, effects, 0.1)
    effects = s.on_webhook(webhook("v3:in", "call.answered"), 0.2)
    reply_ok(s, effects, 0.2)
    return s


def placed(s: CallSession, **kwargs: Any) -> list[Any]:
    """Start an outbound call and answer its dial with the id v3:out."""
    effects = s.start_outbound(0.0, **kwargs)
    [dial] = sent(effects)
    assert dial.command.method == "POST" and dial.path == "/calls"
    return effects + s.on_command_reply(dial.token, dial.command, 200,
                                        {"call_control_id": "v3:out", "is_alive": False}, 0.1)  # fmt: skip


# --- outbound calls ----------------------------------------------------------------------------


def test_an_outbound_call_is_dialled_then_runs_its_document_on_answer() -> None:
    s = outbound()
    effects = s.start_outbound(0.0, dial={"timeout_secs": 20})
    [dial] = sent(effects)
    body = dict(dial.command.body)
    assert body["to"] == "+15550003333" and body["from"] == "+15550002222"
    assert body["connection_id"] == "conn-1" and body["timeout_secs"] == 20
    assert json.loads(base64.b64decode(body["client_state"])) == {"call": "out-1"}
    assert not of(effects, FetchDocument) and not of(effects, PostCallback)

    effects = s.on_command_reply(dial.token, dial.command, 200, {"call_control_id": "v3:out"}, 0.1)
    assert s.call_control_id == "v3:out"
    assert json.loads(base64.b64decode(s.client_state)) == {"call": "v3:out"}  # webhooks name it
    callbacks = of(effects, PostCallback)
    assert [c.params["CallStatus"] for c in callbacks] == ["initiated", "ringing"]
    assert {c.params["CallSid"] for c in callbacks} == {"v3:out"}
    assert {c.params["Direction"] for c in callbacks} == {"outbound-api"}

    s.on_webhook(webhook("v3:out", "call.initiated", direction="outgoing"), 0.2)
    effects = s.on_webhook(webhook("v3:out", "call.answered"), 3.0)
    assert [c.params["CallStatus"] for c in of(effects, PostCallback)] == ["in-progress"]
    [fetch] = of(effects, FetchDocument)
    assert fetch.url == APP and fetch.params["Direction"] == "outbound-api"
    assert fetch.params["CallStatus"] == "in-progress" and fetch.params["CallSid"] == "v3:out"
    effects = fetched(s, effects, "<Response><Say>Hello</Say></Response>", 3.1)
    assert actions(effects) == ["speak"]  # no answer: the far end answered
    assert json.loads(base64.b64decode(sent(effects)[0].command.body["client_state"])) == {"call": "v3:out"}


def test_an_inline_document_runs_on_answer_without_a_fetch() -> None:
    s = outbound()
    placed(s, texml="<Response><Say>Inline</Say></Response>")
    effects = s.on_webhook(webhook("v3:out", "call.answered"), 1.0)
    assert not of(effects, FetchDocument)
    [speak] = sent(effects)
    assert speak.command.body["payload"] == "Inline"


def test_an_unanswered_outbound_call_ends_with_its_status() -> None:
    s = outbound()
    placed(s)
    effects = s.on_webhook(webhook("v3:out", "call.hangup", hangup_cause="user_busy"), 4.0)
    [over] = of(effects, CallOver)
    assert over.status == "busy" and not of(effects, FetchDocument)
    [completed] = of(effects, PostCallback)
    assert completed.params["CallStatus"] == "busy"


def test_a_refused_dial_ends_the_call_failed() -> None:
    s = outbound()
    [dial] = sent(s.start_outbound(0.0))
    assert s.on_command_reply(dial.token, dial.command, 503, None, 0.1) == []  # retried
    effects = s.on_command_reply(dial.token, dial.command, 422, None, 0.2, "invalid to")
    [over] = of(effects, CallOver)
    assert over.status == "failed"
    s = outbound()
    [dial] = sent(s.start_outbound(0.0))
    [over] = of(s.on_command_reply(dial.token, dial.command, 0, None, 10.0, final=True), CallOver)
    assert over.status == "failed"  # the driver gave up: no reply at all


def test_machine_detection_gives_answered_by_before_the_first_document() -> None:
    s = outbound()
    effects = placed(s, dial={"answering_machine_detection": "detect"}, amd="detect", amd_timeout=3.5)
    [timer] = of(effects, StartTimer)
    assert timer.at == 8.5
    effects = s.on_webhook(webhook("v3:out", "call.answered"), 1.0)
    assert not of(effects, FetchDocument)  # waits for the verdict
    effects = s.on_webhook(webhook("v3:out", "call.machine.detection.ended", result="human"), 2.0)
    [fetch] = of(effects, FetchDocument)
    assert fetch.params["AnsweredBy"] == "human"
    assert [c.name for c in of(effects, CancelTimer)] == [timer.name]
    assert s.on_timer(timer.name, 8.5) == []

    s = outbound()
    placed(s, amd="detect")
    s.on_webhook(webhook("v3:out", "call.answered"), 1.0)
    [fetch] = of(s.on_timer("amd", 40.0), FetchDocument)  # no verdict in time
    assert fetch.params["AnsweredBy"] == "unknown"


def test_async_machine_detection_runs_beside_the_document_and_calls_back() -> None:
    s = outbound()
    effects = placed(s, dial={"answering_machine_detection": "detect"}, async_amd="detect",
                     async_amd_callback=("https://app.example.com/amd", "POST"))  # fmt: skip
    assert not of(effects, StartTimer)  # nothing waits for it
    effects = s.on_webhook(webhook("v3:out", "call.answered"), 1.0)
    [fetch] = of(effects, FetchDocument)  # the document runs at once
    assert "AnsweredBy" not in fetch.params
    effects = fetched(s, effects, '<Response><Pause length="10"/></Response>', 1.1)
    effects = s.on_webhook(webhook("v3:out", "call.machine.detection.ended", result="machine"), 3.5)
    [amd] = [c for c in of(effects, PostCallback) if c.url == "https://app.example.com/amd"]
    assert amd.method == "POST" and amd.params["AnsweredBy"] == "machine_start"
    assert amd.params["CallSid"] == "v3:out" and amd.params["MachineDetectionDuration"] == "2500"
    assert not of(effects, FetchDocument) and not sent(effects)  # the document goes on
    # A second verdict (say, the greeting's end) sends nothing more.
    assert not of(s.on_webhook(webhook("v3:out", "call.machine.detection.ended", result="human"), 4.0),
                  PostCallback)  # fmt: skip


# --- live redirect and hang-up -----------------------------------------------------------------


def test_redirect_during_a_say_stops_it_and_runs_the_new_document() -> None:
    s = answered_inbound("<Response><Say loop=\"0\">Hold</Say><Say>never</Say></Response>")
    s.on_webhook(webhook("v3:in", "call.speak.started"), 0.3)
    effects = s.on_redirect("https://app.example.com/next", "GET", 5.0)
    assert actions(effects) == ["playback_stop"]
    [fetch] = of(effects, FetchDocument)
    assert fetch.url == "https://app.example.com/next" and fetch.method == "GET"
    effects = fetched(s, effects, "<Response><Say>Moved</Say></Response>", 5.1)
    [speak] = sent(effects)
    assert speak.command.body["payload"] == "Moved"
    # The old speech's end, reported after the stop, is not the new one's.
    assert s.on_webhook(webhook("v3:in", "call.speak.ended", status="completed"), 5.2)[1:] == []
    s.on_webhook(webhook("v3:in", "call.speak.started"), 5.3)
    assert actions(s.on_webhook(webhook("v3:in", "call.speak.ended", status="completed"), 6.0)) == ["hangup"]


def test_redirect_during_a_gather_stops_the_gather() -> None:
    s = answered_inbound('<Response><Gather numDigits="1"><Say>Menu</Say></Gather></Response>')
    effects = s.on_redirect("https://app.example.com/next", "POST", 2.0)
    assert actions(effects) == ["playback_stop", "gather_stop"]
    effects = fetched(s, effects, '<Response><Gather numDigits="2"/></Response>', 2.1)
    [new] = sent(effects)
    new_id = new.command.body["gather_id"] if "gather_id" in new.command.body else None
    # The stopped gather's end does not feed the new one.
    late = s.on_webhook(webhook("v3:in", "call.gather.ended", digits="", status="cancelled",
                                gather_id="old"), 2.2)  # fmt: skip
    assert not of(late, FetchDocument) and not sent(late)
    assert s.step is not None and s.step.verb.TAG == "Gather" and new_id != "old"


def test_redirect_during_a_pause_cancels_its_timer() -> None:
    s = inbound()
    effects = fetched(s, s.start(0.0), '<Response><Pause length="30"/><Say>never</Say></Response>')
    [timer] = of(effects, StartTimer)
    effects = s.on_redirect("https://app.example.com/next", "POST", 3.0)
    assert [c.name for c in of(effects, CancelTimer)] == [timer.name]
    fetched(s, effects, "<Response><Reject/></Response>", 3.1)
    assert s.on_timer(timer.name, 30.0) == []  # too late, and not the running step's


def test_redirect_during_a_dial_hangs_up_its_legs() -> None:
    s = inbound()
    effects = fetched(s, s.start(0.0), "<Response><Dial><Number>+15550100001</Number></Dial></Response>")
    reply_ok(s, effects, 0.1)  # answer
    effects = s.on_webhook(webhook("v3:in", "call.answered"), 0.2)
    [dial] = [c for c in sent(effects) if c.path == "/calls"]
    s.on_command_reply(dial.token, dial.command, 200, {"call_control_id": "v3:leg"}, 0.3)
    state_ = dial.command.body["client_state"]
    s.on_webhook(webhook("v3:leg", "call.answered", client_state=state_), 1.0)
    effects = s.on_redirect("https://app.example.com/next", "POST", 2.0)
    commands = sent(effects)
    assert [(c.command.action, c.path) for c in commands][-1] == (
        "hangup", "/calls/v3:leg/actions/hangup")


def _redirect_commands(xml: str, script: list[tuple[str, Any]], events: list[dict[str, Any]]
                       ) -> list[tuple[str, str, dict[str, Any]]]:  # fmt: skip
    s = inbound()
    effects = fetched(s, s.start(0.0), xml)
    reply_ok(s, effects, 0.1)  # answer
    effects = s.on_webhook(webhook("v3:in", "call.answered"), 0.2)
    for wanted, data in script:  # reply to each command in turn, as Call Control would
        [command] = [c for c in sent(effects) if wanted in (c.command.action, c.path)]
        effects = s.on_command_reply(command.token, command.command, 200, data, 0.3)
    for event in events:
        s.on_webhook(event, 0.4)
    return [(c.command.action, c.path, dict(c.command.body))
            for c in sent(s.on_redirect("https://app.example.com/next", "POST", 1.0))]  # fmt: skip


def test_redirect_during_a_conference_leaves_the_room() -> None:
    commands = _redirect_commands(
        "<Response><Dial><Conference>room</Conference></Dial></Response>",
        [("/conferences", []), ("/conferences", {"id": "conf-1"})], [])
    assert ("leave", "/conferences/conf-1/actions/leave") in [c[:2] for c in commands]
    [leave] = [c for c in commands if c[0] == "leave"]
    assert leave[2]["call_control_id"] == "v3:in"


def test_redirect_during_connect_stops_the_stream_assistant_or_relay() -> None:
    stream = _redirect_commands(
        '<Response><Connect><Stream url="wss://media.example.com/s"/></Connect></Response>', [],
        [webhook("v3:in", "streaming.started", stream_id="st-9", stream_url="wss://media.example.com/s")])
    [stop] = [c for c in stream if c[0] == "streaming_stop"]
    assert stop[2]["stream_id"] == "st-9"  # this stream only: a <Start><Stream> goes on
    assistant = _redirect_commands(
        '<Response><Connect><AIAssistant id="assistant-1"/></Connect></Response>', [], [])
    assert "ai_assistant_stop" in [c[0] for c in assistant]


def test_redirect_during_an_ai_gather_stops_it() -> None:
    commands = _redirect_commands(
        '<Response><AIGather><Parameters>{"type": "object", "properties": {"name": {"type": "string"}}}'
        "</Parameters></AIGather></Response>", [], [])
    assert "gather_stop" in [c[0] for c in commands]


def test_inline_texml_replaces_the_running_document() -> None:
    s = answered_inbound("<Response><Pause length=\"60\"/></Response>")
    effects = s.on_inline("<Response><Say>Now this</Say></Response>", 1.0)
    assert not of(effects, FetchDocument)
    assert [c.command.body.get("payload") for c in sent(effects)] == ["Now this"]
    effects = s.on_inline("<Response><Bogus/></Response>", 2.0)  # invalid: application error
    assert [c.command.body.get("payload") for c in sent(effects)][-1] == "An application error has occurred."


def test_a_hang_up_request_ends_the_call_completed() -> None:
    s = inbound(status_callback=STATUS)
    effects = fetched(s, s.start(0.0), "<Response><Say loop=\"0\">Hold</Say></Response>")
    reply_ok(s, effects, 0.1)
    reply_ok(s, s.on_webhook(webhook("v3:in", "call.answered"), 0.2), 0.2)
    effects = s.on_hangup_request(4.0)
    assert actions(effects) == ["hangup"]
    assert s.on_hangup_request(4.1) == [] and s.on_redirect(APP, "POST", 4.1) == []  # once
    s.on_webhook(webhook("v3:in", "call.speak.ended", status="call_hangup"), 4.2)
    effects = s.on_webhook(webhook("v3:in", "call.hangup", hangup_cause="normal_clearing"), 4.2)
    [over] = of(effects, CallOver)
    assert over.status == "completed" and over.duration == 4
    assert [c.params["CallStatus"] for c in of(effects, PostCallback)] == ["completed"]


def test_an_unanswered_outbound_call_redirected_runs_the_new_url_on_answer() -> None:
    s = outbound()
    placed(s)
    assert s.on_redirect("https://app.example.com/other", "GET", 1.0) == []
    [fetch] = of(s.on_webhook(webhook("v3:out", "call.answered"), 2.0), FetchDocument)
    assert fetch.url == "https://app.example.com/other" and fetch.method == "GET"


# --- webhooks out of order ------------------------------------------------------------------


def at(second: int) -> str:
    return f"2027-01-15T08:00:{second:02d}.000000Z"


def media(call: str, event_type: str, second: int, **payload: Any) -> dict[str, Any]:
    envelope = webhook(call, event_type, **payload)
    envelope["data"]["occurred_at"] = at(second)
    return envelope


def test_a_speech_that_ends_before_it_starts_is_held_for_its_start() -> None:
    s = answered_inbound("<Response><Say>One</Say><Say>Two</Say></Response>")
    # `ended` overtook `started`: nothing moves until the `started` comes.
    assert not sent(s.on_webhook(media("v3:in", "call.speak.ended", 12, status="completed"), 1.0))
    effects = s.on_webhook(media("v3:in", "call.speak.started", 10), 1.1)
    [speak] = sent(effects)
    assert speak.command.body["payload"] == "Two"
    assert s.held == []


def test_audio_stopped_before_it_played_does_not_end_the_next_speech() -> None:
    s = answered_inbound("<Response><Say>One</Say></Response>")
    # Ended without ever starting (stopped in the queue), at 10 s; then our speech starts at 10 s
    # too: the old `ended` is not ours.
    s.on_webhook(media("v3:in", "call.speak.ended", 10, status="completed"), 1.0)
    assert not sent(s.on_webhook(media("v3:in", "call.speak.started", 10), 1.0))
    assert len(s.held) == 1
    assert actions(s.on_webhook(media("v3:in", "call.speak.ended", 13, status="completed"), 4.0)) == ["hangup"]
    # Failures and hang-ups are never held.
    s = answered_inbound("<Response><Play>https://a.example.com/x.mp3</Play></Response>")
    effects = s.on_webhook(media("v3:in", "call.playback.ended", 11, status="file_not_found"), 1.0)
    assert actions(effects) == ["hangup"] and s.held == []


# --- ids ---------------------------------------------------------------------------------------


def test_command_ids_come_from_the_call_and_a_stored_counter() -> None:
    def play(store: bool) -> list[str]:
        s = inbound()
        effects = fetched(s, s.start(0.0), "<Response><Say>One</Say><Say>Two</Say></Response>")
        ids = [c.command.body["command_id"] for c in sent(effects)]
        for n, event in enumerate(["call.answered", "call.speak.started", "call.speak.ended"]):
            if store:  # what texml serve does between inputs
                box: list[CallSession] = []
                s = state.loads(state.dumps(s), new_id=lambda: box[0].next_id())
                box.append(s)
            effects = s.on_webhook(webhook("v3:in", event, status="completed"), 1.0 + n)
            ids += [c.command.body["command_id"] for c in sent(effects)]
        return ids

    plain = play(store=False)
    assert plain == ["v3:in-1", "v3:in-2", "v3:in-3"]  # answer, speak, speak
    assert play(store=True) == plain


def test_a_failed_command_is_final_only_when_the_driver_says_so() -> None:
    s = inbound()
    effects = fetched(s, s.start(0.0), "<Response><Play>https://a.example.com/x.mp3</Play></Response>")
    reply_ok(s, effects, 0.1)  # answer
    [play] = sent(s.on_webhook(webhook("v3:in", "call.answered"), 0.2))
    # Its reply is 503 (retried by the driver: nothing changes), then the driver gives up.
    assert s.on_command_reply(play.token, play.command, 503, None, 1.0) == []
    effects = s.on_command_reply(play.token, play.command, 503, None, 1.5, "gave up", final=True)
    assert actions(effects) == ["hangup"]  # the step saw CommandFailed: a failed <Play> hangs up
