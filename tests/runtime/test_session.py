"""The interpreter core, driven input by input: what a driver sees for each situation."""

from __future__ import annotations

import itertools
from typing import Any

from texml.runtime import (
    APPLICATION_ERROR, AppConfig, CallOver, CallSession, FetchDocument, PostCallback, SendCommand,
    StartTimer, Trace,
)  # fmt: skip
from tests.support.telnyx_schema import validate_command

CALL = "v3:call-1"
APP = "https://app.example.com/voice"


def session(**config: Any) -> CallSession:
    ids = itertools.count(1)
    return CallSession(
        config=AppConfig(account_sid="acct-1", voice_url=APP, **config),
        call_control_id=CALL, connection_id="conn-1", from_="+15550001111", to="+15550002222",
        client_state="e30=", new_id=lambda: f"cmd-{next(ids)}",
    )  # fmt: skip


def webhook(event_type: str, **payload: Any) -> dict[str, Any]:
    webhook.count += 1  # type: ignore[attr-defined]
    return {"data": {"event_type": event_type, "id": f"ev-{webhook.count}",  # type: ignore[attr-defined]
                     "payload": {"call_control_id": CALL, **payload}}}  # fmt: skip


webhook.count = 0  # type: ignore[attr-defined]


def of(effects: list[Any], kind: type) -> list[Any]:
    return [e for e in effects if isinstance(e, kind)]


def commands(effects: list[Any]) -> list[str]:
    out = []
    for e in of(effects, SendCommand):
        validate_command(e.command.method, e.path, dict(e.command.body))
        out.append(e.command.action)
    return out


def reply_ok(s: CallSession, effects: list[Any], now: float) -> list[Any]:
    """Answer every command in `effects` with 200, as Call Control does."""
    out: list[Any] = []
    for e in of(effects, SendCommand):
        out += s.on_command_reply(e.token, e.command, 200, {"result": "ok"}, now)
    return out


def fetched(s: CallSession, effects: list[Any], xml: str, now: float = 0.0, status: int = 200,
            content_type: str = "text/xml") -> list[Any]:  # fmt: skip
    [fetch] = of(effects, FetchDocument)
    return s.on_fetched(fetch.token, now, status=status, content_type=content_type, body=xml.encode())


def test_a_whole_call_say_then_end_of_document() -> None:
    s = session(status_callback="https://app.example.com/status")
    effects = s.start(0.0)
    [fetch] = of(effects, FetchDocument)
    assert fetch.url == APP and fetch.method == "POST"
    assert fetch.params["CallStatus"] == "ringing" and fetch.params["CallSid"] == CALL
    assert [c.params["CallStatus"] for c in of(effects, PostCallback)] == ["initiated", "ringing"]

    effects = fetched(s, effects, "<Response><Say>Hello</Say></Response>", 0.1)
    assert commands(effects) == ["answer"]  # answered just before the first verb
    effects = s.on_webhook(webhook("call.answered"), 0.5)
    assert [c.params["CallStatus"] for c in of(effects, PostCallback)] == ["in-progress"]
    assert commands(effects) == ["speak"]
    s.on_webhook(webhook("call.speak.started"), 0.5)
    effects = s.on_webhook(webhook("call.speak.ended", status="completed"), 2.5)
    assert commands(effects) == ["hangup"]  # the end of the document hangs up
    effects = s.on_webhook(webhook("call.hangup", hangup_cause="normal_clearing", hangup_source="callee"), 2.6)
    [over] = of(effects, CallOver)
    assert (over.status, over.duration, over.error) == ("completed", 2, False)
    [completed] = of(effects, PostCallback)
    assert completed.params["CallStatus"] == "completed"
    assert completed.params["CallDuration"] == "2"
    assert completed.params["SequenceNumber"] == "3"
    assert completed.params["CallbackSource"] == "call-progress-events"


def test_reject_as_first_verb_never_answers() -> None:
    s = session()
    effects = fetched(s, s.start(0.0), '<Response><Reject reason="busy"/></Response>')
    assert commands(effects) == ["reject"]
    effects = s.on_webhook(webhook("call.hangup", hangup_cause="user_busy"), 0.2)
    [over] = of(effects, CallOver)
    assert over.status == "busy" and over.duration == 0


def test_gather_action_fetches_the_next_document_with_digits() -> None:
    s = session()
    effects = fetched(s, s.start(0.0), '<Response><Gather action="/menu" numDigits="1"/><Say>no</Say></Response>')
    effects = s.on_webhook(webhook("call.answered"), 0.1)
    assert commands(effects) == ["gather"]
    effects = s.on_webhook(webhook("call.gather.ended", digits="2", status="valid"), 3.0)
    [fetch] = of(effects, FetchDocument)
    assert fetch.url == "https://app.example.com/menu"  # relative to the document
    assert fetch.params["Digits"] == "2" and fetch.params["CallStatus"] == "in-progress"
    effects = fetched(s, effects, "<Response><Hangup/></Response>", 3.1)
    assert commands(effects) == ["hangup"]


def test_gather_without_input_falls_through_to_the_next_verb() -> None:
    s = session()
    effects = fetched(s, s.start(0.0), '<Response><Gather action="/menu"/><Say>Bye</Say></Response>')
    s.on_webhook(webhook("call.answered"), 0.1)
    effects = s.on_webhook(webhook("call.gather.ended", digits="", status="timeout"), 5.0)
    assert not of(effects, FetchDocument)
    assert commands(effects) == ["speak"]


def test_pause_is_a_timer_and_as_first_verb_delays_the_answer() -> None:
    s = session()
    effects = fetched(s, s.start(0.0), '<Response><Pause length="3"/><Say>Hi</Say><Pause/><Hangup/></Response>', 1.0)
    assert commands(effects) == []  # still ringing, as in TwiML
    [timer] = of(effects, StartTimer)
    assert timer.at == 4.0
    assert commands(s.on_timer("step1:stale", 2.0)) == []
    assert commands(s.on_timer(timer.name, 4.0)) == ["answer"]
    assert commands(s.on_webhook(webhook("call.answered"), 4.2)) == ["speak"]
    s.on_webhook(webhook("call.speak.started"), 0.5)
    effects = s.on_webhook(webhook("call.speak.ended", status="completed"), 5.0)
    [timer] = of(effects, StartTimer)
    assert timer.at == 6.0
    assert commands(s.on_timer(timer.name, 6.0)) == ["hangup"]


def test_fetch_failure_goes_to_the_fallback_with_error_code() -> None:
    s = session(fallback_url="https://backup.example.com/voice")
    effects = fetched(s, s.start(0.0), "oops", status=500)
    [fetch] = of(effects, FetchDocument)
    assert fetch.url == "https://backup.example.com/voice"
    assert fetch.params["ErrorCode"] == "11200" and fetch.params["ErrorUrl"] == APP
    assert [t.data["code"] for t in of(effects, Trace) if t.kind == "diagnostic"] == ["11200"]


def test_the_fallback_is_requested_with_its_own_method() -> None:
    s = session(fallback_url="https://backup.example.com/voice", fallback_method="GET")
    [fetch] = of(fetched(s, s.start(0.0), "oops", status=503), FetchDocument)
    assert (fetch.url, fetch.method, fetch.params["ErrorCode"]) == (
        "https://backup.example.com/voice", "GET", "11200")


def test_failing_fallback_says_application_error_and_hangs_up() -> None:
    s = session(fallback_url="https://backup.example.com/voice")
    effects = fetched(s, s.start(0.0), "<Response><Say>broken", status=200)  # 12100
    effects = fetched(s, effects, "{}", content_type="application/json")  # 12300
    codes = [t.data["code"] for t in of(effects, Trace) if t.kind == "diagnostic"]
    assert codes[0] == "12300"
    assert commands(effects) == ["answer"]
    effects = s.on_webhook(webhook("call.answered"), 0.3)
    [speak] = of(effects, SendCommand)
    assert speak.command.body["payload"] == APPLICATION_ERROR
    s.on_webhook(webhook("call.speak.started"), 0.5)
    effects = s.on_webhook(webhook("call.speak.ended", status="completed"), 2.0)
    assert commands(effects) == ["hangup"]
    [over] = of(s.on_webhook(webhook("call.hangup", hangup_cause="normal_clearing"), 2.1), CallOver)
    assert over.error


def test_no_reply_and_oversized_documents() -> None:
    s = session()
    effects = s.start(0.0)
    [fetch] = of(effects, FetchDocument)
    effects = s.on_fetched(fetch.token, 0.1, status=None, content_type=None, body=b"", error="timed out")
    assert [t.data["code"] for t in of(effects, Trace) if t.kind == "diagnostic"] == ["11205"]
    s = session(max_document_bytes=100)
    effects = fetched(s, s.start(0.0), "<Response>" + "<Pause/>" * 50 + "</Response>")
    assert [t.data["code"] for t in of(effects, Trace) if t.kind == "diagnostic"] == ["11750"]


def test_redirect_loop_is_stopped() -> None:
    s = session()
    effects = s.start(0.0)
    for _ in range(60):
        fetches = of(effects, FetchDocument)
        if not fetches:
            break
        effects = fetched(s, effects, "<Response><Redirect>/again</Redirect></Response>")
    codes = [t.data["code"] for t in of(effects, Trace) if t.kind == "diagnostic"]
    assert "redirect-loop" in codes
    assert s.error


def test_caller_hangs_up_mid_verb() -> None:
    s = session(status_callback="https://app.example.com/status")
    fetched(s, s.start(0.0), "<Response><Say>A long message</Say><Say>never</Say></Response>")
    s.on_webhook(webhook("call.answered"), 0.1)
    effects = s.on_webhook(webhook("call.hangup", hangup_cause="normal_clearing", hangup_source="caller"), 1.0)
    assert commands(effects) == []  # nothing more is sent to a call that is gone
    [over] = of(effects, CallOver)
    assert over.status == "completed" and over.duration == 1
    [completed] = of(effects, PostCallback)
    assert completed.params["HangupSource"] == "caller"


def test_duplicate_webhooks_change_nothing() -> None:
    s = session()
    fetched(s, s.start(0.0), "<Response><Say>Hi</Say><Say>again</Say></Response>")
    s.on_webhook(webhook("call.answered"), 0.1)
    s.on_webhook(webhook("call.speak.started"), 0.5)
    ended = webhook("call.speak.ended", status="completed")
    assert commands(s.on_webhook(ended, 1.0)) == ["speak"]
    assert s.on_webhook(ended, 1.1) == []


def test_dial_action_after_caller_hangup_is_requested_but_not_run() -> None:
    s = session()
    effects = fetched(s, s.start(0.0), '<Response><Record action="/saved"/></Response>')
    s.on_webhook(webhook("call.answered"), 0.1)
    effects = s.on_webhook(webhook("call.hangup", hangup_cause="normal_clearing", hangup_source="caller"), 5.0)
    assert not of(effects, CallOver)  # the recording is still on its way
    effects = s.on_webhook(webhook(
        "call.recording.saved", channels="dual", recording_started_at="2024-01-01T00:00:00Z",
        recording_ended_at="2024-01-01T00:00:04Z", recording_urls={"mp3": "https://r.example/1.mp3"},
    ), 6.0)  # fmt: skip
    [fetch] = of(effects, FetchDocument)
    assert fetch.url == "https://app.example.com/saved"
    assert fetch.params["RecordingUrl"] == "https://r.example/1.mp3"
    effects = s.on_fetched(fetch.token, 6.1, status=200, content_type="text/xml", body=b"<Response><Say>x</Say></Response>")
    assert commands(effects) == []
    assert of(effects, CallOver)
