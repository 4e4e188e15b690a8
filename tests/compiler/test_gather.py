"""<Gather> -> gather / gather_using_speak / gather_using_audio, queued prompts, speech
(texml-verbs-core.md §4; call-control.md gather*, speak, playback_*, send_dtmf,
transcription_*, call.gather.ended, call.dtmf.received, call.transcription)."""

from __future__ import annotations

import itertools
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
    Webhook,
    compile_verb,
    sends,
)
from compiler.gather import (
    AUTO_SPEECH_END_SECONDS,
    MAX_FINAL_RESULTS,
    MAX_PARTIAL_CALLBACKS,
    MAX_PROMPT_SECONDS,
    MAX_SPEECH_SECONDS,
    MAX_TRANSCRIPT_CHARS,
    STOP_WAIT_SECONDS,
    GatherStep,
)
from tests.support.telnyx_schema import validate_command, validate_webhook

CALL = "v3:call-1"
STATE = "c3RhdGU="
DOC = "https://app.example.com/flows/ivr.xml"
AUDIO = "https://cdn.example.com/menu.mp3"


def make_ctx(document_url: str | None = DOC, voice_method: str = "POST") -> CallContext:
    ids = itertools.count(1)
    return CallContext(
        CALL,
        "conn-1",
        "+15550001111",
        "+15550002222",
        STATE,
        new_id=lambda: f"id-{next(ids)}",
        document_url=document_url,
        voice_method=voice_method,
    )


def gather(xml: str, ctx: CallContext | None = None) -> GatherStep:
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    step = compile_verb(doc.verbs[0], ctx or make_ctx())
    assert isinstance(step, GatherStep)
    return step


def checked(effects: list[Effect]) -> list[Effect]:
    """Every command validates against the SDK and carries client_state and a command_id."""
    for command in sends(effects):
        validate_command(command.method, command.resolved_path(CALL), command.body)
        assert command.body["client_state"] == STATE
        assert command.body["command_id"].startswith("id-")
    return effects


def shape(effects: list[Effect]) -> list[Any]:
    """Effects with each command as (action, body without client_state/command_id)."""
    out: list[Any] = []
    for e in effects:
        if isinstance(e, Send):
            body = {
                k: v for k, v in e.command.body.items() if k not in ("client_state", "command_id")
            }
            out.append((e.command.action, body))
        else:
            out.append(e)
    return out


def begin(step: GatherStep) -> list[Any]:
    return shape(checked(step.start()))


def fire(step: GatherStep, event: Any) -> list[Any]:
    return shape(checked(step.on_event(event)))


def hook(event_type: str, **payload: Any) -> Webhook:
    payload.setdefault("call_control_id", CALL)
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


def ended(status: str, digits: str = "", **extra: Any) -> Webhook:
    return hook("call.gather.ended", status=status, digits=digits, **extra)


def digit(d: str) -> Webhook:
    return hook("call.dtmf.received", digit=d)


def speech(text: str, final: bool = True, confidence: float | None = 0.9) -> Webhook:
    data: dict[str, Any] = {"transcript": text, "is_final": final}
    if confidence is not None:
        data["confidence"] = confidence
    return hook("call.transcription", transcription_data=data)


SPEAK_ENDED = hook("call.speak.ended", status="completed")
PLAYBACK_ENDED = hook("call.playback.ended", status="completed", media_url=AUDIO)
HANGUP = hook("call.hangup", hangup_cause="normal_clearing", hangup_source="caller")
ACTION = Action(DOC, "POST")
MALE = {"voice": "male", "language": "en-US"}
DIGITS_DEFAULT = {
    "minimum_digits": 1,
    "maximum_digits": 128,
    "terminating_digit": "#",
    "inter_digit_timeout_millis": 5000,
}
QUEUED_GATHER = {
    "gather_id": "id-1",
    **DIGITS_DEFAULT,
    "initial_timeout_millis": (MAX_PROMPT_SECONDS + 5) * 1000,
    "timeout_millis": (MAX_PROMPT_SECONDS + 5) * 1000 + 128 * 5000,
}


# --- DTMF, no prompt: gather --------------------------------------------------------------


def test_no_prompt_is_a_plain_gather_and_digits_go_to_the_current_document() -> None:
    step = gather("<Gather/>")
    assert begin(step) == [
        (
            "gather",
            {
                "gather_id": "id-1",
                **DIGITS_DEFAULT,
                "initial_timeout_millis": 5000,
                "timeout_millis": 5000 + 128 * 5000,
            },
        )
    ]
    assert fire(step, digit("4")) == []
    assert fire(step, ended("valid", "42")) == [Done(params={"Digits": "42"}, action=ACTION)]
    assert step.done


def test_every_digit_attribute() -> None:
    step = gather(
        '<Gather action="next.xml" method="GET" timeout="10" numDigits="4" '
        'finishOnKey="" validDigits="0123456789"/>'
    )
    assert begin(step) == [
        (
            "gather",
            {
                "gather_id": "id-1",
                "minimum_digits": 4,
                "maximum_digits": 4,
                "terminating_digit": "",
                "inter_digit_timeout_millis": 10000,
                "valid_digits": "0123456789",
                "initial_timeout_millis": 10000,
                "timeout_millis": 10000 + 4 * 10000,
            },
        )
    ]
    assert fire(step, ended("valid", "1234")) == [
        Done(
            params={"Digits": "1234"},
            action=Action("https://app.example.com/flows/next.xml", "GET"),
        )
    ]


def test_min_and_max_digits_without_num_digits() -> None:
    step = gather('<Gather minDigits="2" maxDigits="6" finishOnKey="*"/>')
    (body,) = [b for _, b in begin(step)]
    assert (body["minimum_digits"], body["maximum_digits"], body["terminating_digit"]) == (
        2,
        6,
        "*",
    )


def test_several_finish_keys_use_the_first() -> None:
    step = gather('<Gather finishOnKey="*#"/>')
    (body,) = [b for _, b in begin(step)]
    assert body["terminating_digit"] == "*"


def test_action_method_defaults_to_the_application_method() -> None:
    step = gather('<Gather action="/menu"/>', make_ctx(voice_method="GET"))
    begin(step)
    assert fire(step, ended("valid", "1")) == [
        Done(params={"Digits": "1"}, action=Action("https://app.example.com/menu", "GET"))
    ]


def test_without_action_or_document_url_digits_continue_with_the_next_verb() -> None:
    step = gather("<Gather/>", make_ctx(document_url=None))
    begin(step)
    assert fire(step, ended("valid", "7")) == [Done(params={"Digits": "7"})]


def test_the_finish_key_is_not_part_of_digits() -> None:
    step = gather("<Gather/>")
    begin(step)
    assert fire(step, ended("valid", "12#")) == [Done(params={"Digits": "12"}, action=ACTION)]


def test_only_the_finish_key_is_no_input() -> None:
    step = gather("<Gather/>")
    begin(step)
    assert fire(step, ended("invalid", "#")) == [Done(outcome="no-input")]


def test_timeout_without_digits_continues_with_the_next_verb() -> None:
    step = gather('<Gather action="/menu"/>')
    begin(step)
    assert fire(step, ended("timeout")) == [Done(outcome="no-input")]


def test_action_on_empty_result_requests_the_action_with_empty_digits() -> None:
    step = gather('<Gather action="/menu" actionOnEmptyResult="true"/>')
    begin(step)
    assert fire(step, ended("timeout")) == [
        Done(
            params={"Digits": ""},
            action=Action("https://app.example.com/menu", "POST"),
            outcome="no-input",
        )
    ]


def test_action_on_empty_result_without_any_url_continues() -> None:
    step = gather('<Gather actionOnEmptyResult="true"/>', make_ctx(document_url=None))
    begin(step)
    assert fire(step, ended("timeout")) == [Done(outcome="no-input")]


def test_invalid_digits_go_to_invalid_digits_action() -> None:
    step = gather('<Gather numDigits="4" invalidDigitsAction="/invalid" action="/ok"/>')
    begin(step)
    assert fire(step, ended("invalid", "12")) == [
        Done(
            params={"Digits": "12"},
            action=Action("https://app.example.com/invalid", "POST"),
            outcome="invalid",
        )
    ]


def test_invalid_digits_without_invalid_digits_action_go_to_action_as_in_twiml() -> None:
    step = gather('<Gather numDigits="4" action="/ok"/>')
    begin(step)
    assert fire(step, ended("invalid", "12")) == [
        Done(params={"Digits": "12"}, action=Action("https://app.example.com/ok", "POST"))
    ]


def test_a_timeout_with_digits_that_meet_the_rules_is_a_result() -> None:
    step = gather('<Gather minDigits="2" invalidDigitsAction="/invalid"/>')
    begin(step)
    assert fire(step, ended("timeout", "123")) == [Done(params={"Digits": "123"}, action=ACTION)]


def test_call_controls_invalid_verdict_is_trusted() -> None:
    step = gather('<Gather invalidDigitsAction="/invalid"/>')
    begin(step)
    (done,) = fire(step, ended("invalid", "12"))
    assert done.outcome == "invalid"
    assert done.action == Action("https://app.example.com/invalid", "POST")


def test_digits_outside_valid_digits_are_invalid() -> None:
    step = gather('<Gather validDigits="12" invalidDigitsAction="/invalid"/>')
    begin(step)
    (done,) = fire(step, ended("timeout", "19"))
    assert done.outcome == "invalid" and done.params == {"Digits": "19"}


def test_gather_ended_by_hang_up_ends_the_call_without_action() -> None:
    step = gather("<Gather/>")
    begin(step)
    assert fire(step, ended("call_hangup", "1")) == [Done(end=True, outcome="hangup")]


def test_call_hangup_mid_gather() -> None:
    step = gather("<Gather/>")
    begin(step)
    assert fire(step, HANGUP) == [Done(end=True, outcome="hangup")]
    assert fire(step, ended("valid", "1")) == []


def test_another_gathers_report_is_ignored() -> None:
    step = gather("<Gather/>")
    begin(step)
    assert fire(step, ended("cancelled", gather_id="someone-else")) == []
    assert fire(step, ended("valid", "5", gather_id="id-1")) == [
        Done(params={"Digits": "5"}, action=ACTION)
    ]


def test_events_of_another_leg_are_ignored() -> None:
    step = gather("<Gather/>")
    begin(step)
    assert (
        fire(
            step, hook("call.gather.ended", call_control_id="v3:other", status="valid", digits="9")
        )
        == []
    )
    assert fire(step, hook("call.hangup", call_control_id="v3:other")) == []
    assert not step.done


def test_a_refused_gather_continues_with_the_next_verb() -> None:
    step = gather("<Gather/>")
    (command,) = sends(step.start())
    assert fire(step, CommandFailed(command, 422, "call not answered")) == [Done(outcome="failed")]


def test_plan_lists_the_first_commands() -> None:
    step = gather("<Gather><Say>Hi</Say></Gather>")
    assert [c.action for c in step.plan()] == ["gather_using_speak"]
    assert not step.done


# --- DTMF with one prompt: gather_using_speak / gather_using_audio -------------------------


def test_one_say_is_gather_using_speak() -> None:
    step = gather('<Gather numDigits="1" action="/menu"><Say>Press 1 for sales.</Say></Gather>')
    assert begin(step) == [
        (
            "gather_using_speak",
            {
                "payload": "Press 1 for sales.",
                **MALE,
                "minimum_digits": 1,
                "maximum_digits": 1,
                "terminating_digit": "#",
                "inter_digit_timeout_millis": 5000,
                "timeout_millis": 5000,
                "maximum_tries": 1,
            },
        )
    ]
    assert fire(step, digit("1")) == []  # Call Control stops the prompt itself
    assert fire(step, ended("valid", "1")) == [
        Done(params={"Digits": "1"}, action=Action("https://app.example.com/menu", "POST"))
    ]


def test_gather_using_speak_with_every_attribute() -> None:
    step = gather(
        '<Gather timeout="7" minDigits="2" maxDigits="3" finishOnKey="*" validDigits="123">'
        '<Say voice="alice" language="fr-FR">Bonjour <break time="1s"/></Say></Gather>'
    )
    (body,) = [b for _, b in begin(step)]
    assert body == {
        "payload": '<speak>Bonjour <break time="1s"/></speak>',
        "payload_type": "ssml",
        "voice": "female",
        "language": "fr-FR",
        "service_level": "premium",
        "minimum_digits": 2,
        "maximum_digits": 3,
        "terminating_digit": "*",
        "inter_digit_timeout_millis": 7000,
        "valid_digits": "123",
        "timeout_millis": 7000,
        "maximum_tries": 1,
    }


def test_gather_using_speak_with_a_provider_voice() -> None:
    step = gather('<Gather><Say voice="Polly.Joanna-Neural">Hi</Say></Gather>')
    (body,) = [b for _, b in begin(step)]
    assert body["voice"] == "AWS.Polly.Joanna-Neural" and "language" not in body


def test_gather_using_speak_no_input() -> None:
    step = gather("<Gather><Say>Hi</Say></Gather>")
    begin(step)
    assert fire(step, ended("timeout")) == [Done(outcome="no-input")]


def test_gather_using_speak_hang_up() -> None:
    step = gather("<Gather><Say>Hi</Say></Gather>")
    begin(step)
    assert fire(step, hook("call.speak.ended", status="call_hangup")) == [
        Done(end=True, outcome="hangup")
    ]


def test_one_play_is_gather_using_audio_with_a_resolved_url() -> None:
    step = gather("<Gather><Play>../audio/menu.wav</Play></Gather>")
    assert begin(step) == [
        (
            "gather_using_audio",
            {
                "audio_url": "https://app.example.com/audio/menu.wav",
                **DIGITS_DEFAULT,
                "timeout_millis": 5000,
                "maximum_tries": 1,
            },
        )
    ]
    assert fire(step, ended("valid", "3")) == [Done(params={"Digits": "3"}, action=ACTION)]


def test_gather_using_audio_from_media_storage() -> None:
    step = gather(
        '<Gather numDigits="2" validDigits="12"><Play mediaStorage="true">menu</Play></Gather>'
    )
    (body,) = [b for _, b in begin(step)]
    assert body == {
        "media_name": "menu",
        "minimum_digits": 2,
        "maximum_digits": 2,
        "terminating_digit": "#",
        "inter_digit_timeout_millis": 5000,
        "valid_digits": "12",
        "timeout_millis": 5000,
        "maximum_tries": 1,
    }


def test_a_refused_gather_using_audio_fails() -> None:
    step = gather(f"<Gather><Play>{AUDIO}</Play></Gather>")
    (command,) = sends(step.start())
    assert fire(step, CommandFailed(command, 422)) == [Done(outcome="failed")]


# --- DTMF with queued prompts ---------------------------------------------------------------


def test_say_play_pause_say_runs_in_order_then_waits_timeout() -> None:
    step = gather(
        f'<Gather action="/menu"><Say>One</Say><Play>{AUDIO}</Play><Pause length="2"/>'
        "<Say>Two</Say></Gather>"
    )
    assert begin(step) == [
        ("gather", QUEUED_GATHER),
        SetTimer("prompt-window", MAX_PROMPT_SECONDS),
        ("speak", {"payload": "One", **MALE}),
    ]
    assert fire(step, SPEAK_ENDED) == [("playback_start", {"audio_url": AUDIO})]
    assert fire(step, PLAYBACK_ENDED) == [SetTimer("pause", 2)]
    assert fire(step, TimerFired("pause")) == [("speak", {"payload": "Two", **MALE})]
    assert fire(step, SPEAK_ENDED) == [CancelTimer("prompt-window"), SetTimer("no-input", 5)]
    assert fire(step, TimerFired("no-input")) == [
        ("gather_stop", {}),
        SetTimer("stop-wait", STOP_WAIT_SECONDS),
    ]
    assert not step.done
    assert fire(step, ended("cancelled")) == [CancelTimer("stop-wait"), Done(outcome="no-input")]


def test_a_digit_stops_the_prompts_and_the_gather_gives_the_result() -> None:
    step = gather("<Gather><Say>One</Say><Pause/><Say>Two</Say></Gather>")
    begin(step)
    assert fire(step, digit("5")) == [
        ("playback_stop", {"stop": "all"}),
        CancelTimer("prompt-window"),
    ]
    assert fire(step, hook("call.speak.ended", status="completed")) == []  # the stopped prompt
    assert fire(step, digit("6")) == []
    assert fire(step, ended("valid", "56")) == [Done(params={"Digits": "56"}, action=ACTION)]


def test_a_digit_during_a_pause_cancels_the_rest() -> None:
    step = gather("<Gather><Say>One</Say><Pause/><Say>Two</Say></Gather>")
    begin(step)
    assert fire(step, SPEAK_ENDED) == [SetTimer("pause", 1)]
    assert fire(step, digit("1")) == [CancelTimer("pause"), CancelTimer("prompt-window")]
    assert fire(step, TimerFired("pause")) == []  # a late timer changes nothing
    assert fire(step, ended("valid", "1"))[0] == Done(params={"Digits": "1"}, action=ACTION)


def test_a_digit_after_the_prompts_cancels_the_no_input_timer() -> None:
    step = gather("<Gather><Say>One</Say><Say>Two</Say></Gather>")
    begin(step)
    fire(step, SPEAK_ENDED)
    fire(step, SPEAK_ENDED)
    assert fire(step, digit("2")) == [CancelTimer("no-input")]
    assert fire(step, ended("valid", "2")) == [Done(params={"Digits": "2"}, action=ACTION)]


def test_consecutive_prompts_of_one_kind_are_sent_together() -> None:
    step = gather(
        f'<Gather><Say>One</Say><Say loop="2">Two</Say><Play>{AUDIO}</Play>'
        f'<Play loop="0">{AUDIO}</Play></Gather>'
    )
    assert begin(step)[2:] == [
        ("speak", {"payload": "One", **MALE}),
        ("speak", {"payload": "Two", **MALE, "loop": 2}),
    ]
    assert fire(step, SPEAK_ENDED) == []
    assert fire(step, SPEAK_ENDED) == [
        ("playback_start", {"audio_url": AUDIO}),
        ("playback_start", {"audio_url": AUDIO, "loop": "infinity"}),
    ]
    assert fire(step, PLAYBACK_ENDED) == []
    assert fire(step, PLAYBACK_ENDED) == [CancelTimer("prompt-window"), SetTimer("no-input", 5)]


def test_a_looped_single_say_keeps_twiml_timing() -> None:
    step = gather('<Gather><Say loop="3">Menu</Say></Gather>')
    assert begin(step)[1:] == [
        SetTimer("prompt-window", MAX_PROMPT_SECONDS),
        ("speak", {"payload": "Menu", **MALE, "loop": 3}),
    ]


def test_an_endless_say_is_cut_by_the_prompt_window() -> None:
    step = gather('<Gather><Say loop="0">Menu</Say></Gather>')
    assert begin(step)[2] == ("speak", {"payload": "Menu", **MALE, "loop": "infinity"})
    assert fire(step, TimerFired("prompt-window")) == [
        ("playback_stop", {"stop": "all"}),
        SetTimer("no-input", 5),
    ]
    assert fire(step, SPEAK_ENDED) == []


def test_play_loops_above_100_are_capped() -> None:
    step = gather(f'<Gather><Play loop="500">{AUDIO}</Play></Gather>')
    assert begin(step)[2] == ("playback_start", {"audio_url": AUDIO, "loop": 100})


def test_a_failed_prompt_tries_its_failover_once_then_moves_on() -> None:
    step = gather(f'<Gather><Play failoverUrl="backup.mp3">{AUDIO}</Play><Say>After</Say></Gather>')
    assert begin(step)[2] == ("playback_start", {"audio_url": AUDIO})
    failed = hook("call.playback.ended", status="file_not_found", media_url=AUDIO)
    assert fire(step, failed) == [
        ("playback_start", {"audio_url": "https://app.example.com/flows/backup.mp3"})
    ]
    assert fire(step, hook("call.playback.ended", status="failed")) == [
        ("speak", {"payload": "After", **MALE})
    ]


def test_a_failover_from_media_storage() -> None:
    step = gather('<Gather><Play mediaStorage="true" failoverUrl="spare">menu</Play></Gather>')
    assert begin(step)[2] == ("playback_start", {"media_name": "menu"})
    assert fire(step, hook("call.playback.ended", status="failed")) == [
        ("playback_start", {"media_name": "spare"})
    ]


def test_a_refused_prompt_is_skipped() -> None:
    step = gather(f"<Gather><Say>One</Say><Play>{AUDIO}</Play></Gather>")
    effects = step.start()
    speak = sends(effects)[1]
    assert fire(step, CommandFailed(speak, 422, "bad voice")) == [
        ("playback_start", {"audio_url": AUDIO})
    ]


def test_play_digits_sends_dtmf_and_waits_its_length() -> None:
    step = gather('<Gather><Play digits="12W"/><Say>Done</Say></Gather>')
    assert begin(step)[2:] == [("send_dtmf", {"digits": "12W"}), SetTimer("pause", 2.0)]
    assert fire(step, TimerFired("pause")) == [("speak", {"payload": "Done", **MALE})]


def test_a_ring_tone_inside_gather_is_skipped() -> None:
    step = gather('<Gather><Play ringTone="us"/><Say>Hi</Say></Gather>')
    assert begin(step)[2:] == [("speak", {"payload": "Hi", **MALE})]


def test_a_pause_alone_still_uses_a_gather_and_our_timer() -> None:
    step = gather('<Gather timeout="3"><Pause length="4"/></Gather>')
    effects = begin(step)
    assert effects[0][0] == "gather" and effects[1:] == [
        SetTimer("prompt-window", MAX_PROMPT_SECONDS),
        SetTimer("pause", 4),
    ]
    assert fire(step, TimerFired("pause")) == [
        CancelTimer("prompt-window"),
        SetTimer("no-input", 3),
    ]


def test_digits_arriving_just_after_the_timeout_still_count() -> None:
    step = gather("<Gather><Say>One</Say><Say>Two</Say></Gather>")
    begin(step)
    fire(step, SPEAK_ENDED)
    fire(step, SPEAK_ENDED)
    fire(step, TimerFired("no-input"))
    assert fire(step, ended("cancelled", "42")) == [
        CancelTimer("stop-wait"),
        Done(params={"Digits": "42"}, action=ACTION),
    ]


def test_a_lost_gather_ended_after_stop_is_bounded() -> None:
    step = gather("<Gather><Say>One</Say><Say>Two</Say></Gather>")
    begin(step)
    fire(step, SPEAK_ENDED)
    fire(step, SPEAK_ENDED)
    fire(step, TimerFired("no-input"))
    assert fire(step, TimerFired("stop-wait")) == [Done(outcome="no-input")]


def test_a_refused_gather_stop_ends_at_once() -> None:
    step = gather("<Gather><Say>One</Say><Say>Two</Say></Gather>")
    begin(step)
    fire(step, SPEAK_ENDED)
    fire(step, SPEAK_ENDED)
    (stop,) = sends(step.on_event(TimerFired("no-input")))
    assert fire(step, CommandFailed(stop, 422)) == [
        CancelTimer("stop-wait"),
        Done(outcome="no-input"),
    ]


def test_the_gather_timing_out_during_long_prompts_stops_them() -> None:
    step = gather("<Gather><Say>One</Say><Say>Two</Say></Gather>")
    begin(step)
    assert fire(step, ended("timeout")) == [
        ("playback_stop", {"stop": "all"}),
        CancelTimer("prompt-window"),
        Done(outcome="no-input"),
    ]


def test_a_refused_queued_gather_stops_the_prompts() -> None:
    step = gather("<Gather><Say>One</Say><Say>Two</Say></Gather>")
    gather_cmd = sends(step.start())[0]
    assert fire(step, CommandFailed(gather_cmd, 422)) == [
        ("playback_stop", {"stop": "all"}),
        CancelTimer("prompt-window"),
        Done(outcome="failed"),
    ]


def test_hang_up_during_prompts() -> None:
    step = gather("<Gather><Say>One</Say><Say>Two</Say></Gather>")
    begin(step)
    assert fire(step, HANGUP) == [CancelTimer("prompt-window"), Done(end=True, outcome="hangup")]
    assert step.on_event(SPEAK_ENDED) == []


def test_prompt_ended_by_hang_up() -> None:
    step = gather(f"<Gather><Say>One</Say><Play>{AUDIO}</Play></Gather>")
    begin(step)
    assert fire(step, hook("call.speak.ended", status="call_hangup")) == [
        CancelTimer("prompt-window"),
        Done(end=True, outcome="hangup"),
    ]


def test_unknown_timers_and_events_are_ignored() -> None:
    step = gather("<Gather/>")
    begin(step)
    assert fire(step, TimerFired("no-input")) == []
    assert fire(step, hook("call.speak.ended", status="completed")) == []
    assert fire(step, hook("call.bridged")) == []
    assert not step.done


# --- speech ---------------------------------------------------------------------------------

GOOGLE = {
    "transcription_engine": "Google",
    "transcription_engine_config": {
        "transcription_engine": "Google",
        "language": "en",
        "interim_results": True,
    },
}


def test_speech_with_a_prompt_endpointing_and_partial_results() -> None:
    step = gather(
        '<Gather input="speech" action="/heard" partialResultCallback="/partial">'
        "<Say>Say something</Say></Gather>"
    )
    assert begin(step) == [
        ("transcription_start", GOOGLE),
        SetTimer("prompt-window", MAX_PROMPT_SECONDS),
        ("speak", {"payload": "Say something", **MALE}),
    ]
    partial = "https://app.example.com/partial"
    assert fire(step, speech("I want", final=False)) == [
        ("playback_stop", {"stop": "all"}),
        CancelTimer("prompt-window"),
        SetTimer("speech-max", MAX_SPEECH_SECONDS),
        Callback(
            partial,
            "POST",
            {"SequenceNumber": "0", "UnstableSpeechResult": "I want", "StableSpeechResult": ""},
        ),
    ]
    assert fire(step, speech("I want sales", confidence=0.8)) == [
        SetTimer("speech-end", AUTO_SPEECH_END_SECONDS)
    ]
    assert fire(step, speech("please", final=False)) == [
        CancelTimer("speech-end"),
        Callback(
            partial,
            "POST",
            {
                "SequenceNumber": "1",
                "UnstableSpeechResult": "please",
                "StableSpeechResult": "I want sales",
            },
        ),
    ]
    assert fire(step, speech("please", confidence=0.6)) == [
        SetTimer("speech-end", AUTO_SPEECH_END_SECONDS)
    ]
    assert fire(step, TimerFired("speech-end")) == [
        CancelTimer("speech-max"),
        ("transcription_stop", {}),
        Done(
            params={"SpeechResult": "I want sales please", "Confidence": "0.7"},
            action=Action("https://app.example.com/heard", "POST"),
        ),
    ]


def test_speech_timeout_seconds_and_restart() -> None:
    step = gather('<Gather input="speech" speechTimeout="3"/>')
    assert begin(step) == [("transcription_start", GOOGLE), SetTimer("no-input", 5)]
    assert fire(step, speech("one")) == [
        CancelTimer("no-input"),
        SetTimer("speech-max", MAX_SPEECH_SECONDS),
        SetTimer("speech-end", 3.0),
    ]
    assert fire(step, speech("two")) == [CancelTimer("speech-end"), SetTimer("speech-end", 3.0)]
    effects = fire(step, TimerFired("speech-end"))
    assert effects[-1] == Done(
        params={"SpeechResult": "one two", "Confidence": "0.9"}, action=ACTION
    )


def test_speech_timeout_auto() -> None:
    step = gather('<Gather input="speech" speechTimeout="auto"/>')
    begin(step)
    assert fire(step, speech("yes"))[-1] == SetTimer("speech-end", AUTO_SPEECH_END_SECONDS)


def test_speech_timeout_zero_answers_on_the_first_final_result() -> None:
    step = gather('<Gather input="speech" speechTimeout="0"/>')
    begin(step)
    assert fire(step, speech("yes", confidence=None)) == [
        CancelTimer("no-input"),
        SetTimer("speech-max", MAX_SPEECH_SECONDS),
        CancelTimer("speech-max"),
        ("transcription_stop", {}),
        Done(params={"SpeechResult": "yes", "Confidence": "0.0"}, action=ACTION),
    ]


def test_no_speech_is_no_input() -> None:
    step = gather('<Gather input="speech" timeout="4"><Say>Hello?</Say></Gather>')
    begin(step)
    assert fire(step, SPEAK_ENDED) == [CancelTimer("prompt-window"), SetTimer("no-input", 4)]
    assert fire(step, speech("   ", final=True)) == []  # an empty result is not speech
    assert fire(step, TimerFired("no-input")) == [
        ("transcription_stop", {}),
        Done(outcome="no-input"),
    ]


def test_speech_that_never_becomes_final_is_bounded() -> None:
    step = gather('<Gather input="speech"/>')
    begin(step)
    fire(step, speech("hello the", final=False))
    assert fire(step, TimerFired("speech-max")) == [
        ("transcription_stop", {}),
        Done(params={"SpeechResult": "hello the", "Confidence": "0.0"}, action=ACTION),
    ]


def test_results_and_transcript_are_capped() -> None:
    step = gather('<Gather input="speech" speechTimeout="5"/>')
    begin(step)
    for i in range(MAX_FINAL_RESULTS - 1):
        fire(step, speech(f"w{i}"))
    effects = fire(step, speech("last"))
    assert isinstance(effects[-1], Done) and step.done
    step = gather('<Gather input="speech" speechTimeout="5"/>')
    begin(step)
    effects = fire(step, speech("x" * (MAX_TRANSCRIPT_CHARS + 50)))
    assert effects[-1].params["SpeechResult"] == "x" * MAX_TRANSCRIPT_CHARS


def test_partial_callbacks_are_capped() -> None:
    step = gather('<Gather input="speech" partialResultCallback="/p"/>')
    begin(step)
    callbacks = 0
    for i in range(MAX_PARTIAL_CALLBACKS + 10):
        callbacks += sum(isinstance(e, Callback) for e in fire(step, speech(f"w{i}", final=False)))
    assert callbacks == MAX_PARTIAL_CALLBACKS


def test_speech_only_ignores_digits() -> None:
    step = gather('<Gather input="speech"><Say>Hi</Say></Gather>')
    begin(step)
    assert fire(step, digit("1")) == []


def test_speech_hang_up() -> None:
    step = gather('<Gather input="speech"/>')
    begin(step)
    assert fire(step, HANGUP) == [CancelTimer("no-input"), Done(end=True, outcome="hangup")]


def test_a_refused_recognizer_with_speech_only_fails() -> None:
    step = gather('<Gather input="speech"><Say>Hi</Say></Gather>')
    start = sends(step.start())[0]
    assert fire(step, CommandFailed(start, 422)) == [
        ("playback_stop", {"stop": "all"}),
        CancelTimer("prompt-window"),
        Done(outcome="failed"),
    ]


# --- dtmf speech: the first input wins --------------------------------------------------------


def test_dtmf_speech_starts_both_listeners() -> None:
    step = gather('<Gather input="dtmf speech"><Say>Say or press</Say></Gather>')
    gather_body = {**QUEUED_GATHER, "gather_id": "id-2"}
    assert begin(step) == [
        ("transcription_start", GOOGLE),
        ("gather", gather_body),
        SetTimer("prompt-window", MAX_PROMPT_SECONDS),
        ("speak", {"payload": "Say or press", **MALE}),
    ]


def test_dtmf_speech_a_digit_wins() -> None:
    step = gather('<Gather input="dtmf speech"><Say>Say or press</Say></Gather>')
    begin(step)
    assert fire(step, speech("uh", final=False))[-1] == SetTimer("speech-max", MAX_SPEECH_SECONDS)
    assert fire(step, digit("3")) == [("transcription_stop", {}), CancelTimer("speech-max")]
    assert fire(step, speech("sales")) == []
    assert fire(step, ended("valid", "3")) == [Done(params={"Digits": "3"}, action=ACTION)]


def test_dtmf_speech_speech_wins_and_waits_for_the_stopped_gather() -> None:
    step = gather('<Gather input="dtmf speech"/>')
    begin(step)
    assert fire(step, speech("sales", confidence=0.5)) == [
        CancelTimer("no-input"),
        SetTimer("speech-max", MAX_SPEECH_SECONDS),
        ("gather_stop", {}),
        SetTimer("speech-end", AUTO_SPEECH_END_SECONDS),
    ]
    assert fire(step, digit("1")) == []
    assert fire(step, TimerFired("speech-end")) == [
        CancelTimer("speech-max"),
        ("transcription_stop", {}),
        SetTimer("stop-wait", STOP_WAIT_SECONDS),
    ]
    assert fire(step, ended("cancelled")) == [
        CancelTimer("stop-wait"),
        Done(params={"SpeechResult": "sales", "Confidence": "0.5"}, action=ACTION),
    ]


def test_dtmf_speech_gather_ends_before_the_speech_result() -> None:
    step = gather('<Gather input="dtmf speech"/>')
    begin(step)
    fire(step, speech("sales"))
    assert fire(step, ended("cancelled")) == []
    assert fire(step, TimerFired("speech-end")) == [
        CancelTimer("speech-max"),
        ("transcription_stop", {}),
        Done(params={"SpeechResult": "sales", "Confidence": "0.9"}, action=ACTION),
    ]


def test_dtmf_speech_digits_without_a_dtmf_event_still_win() -> None:
    step = gather('<Gather input="dtmf speech"/>')
    begin(step)
    assert fire(step, ended("valid", "12")) == [
        ("transcription_stop", {}),
        CancelTimer("no-input"),
        Done(params={"Digits": "12"}, action=ACTION),
    ]


def test_dtmf_speech_no_input_stops_both() -> None:
    step = gather('<Gather input="dtmf speech" actionOnEmptyResult="true"/>')
    begin(step)
    assert fire(step, TimerFired("no-input")) == [
        ("transcription_stop", {}),
        ("gather_stop", {}),
        SetTimer("stop-wait", STOP_WAIT_SECONDS),
    ]
    assert fire(step, ended("cancelled")) == [
        CancelTimer("stop-wait"),
        Done(params={"Digits": ""}, action=ACTION, outcome="no-input"),
    ]


def test_dtmf_speech_a_refused_recognizer_leaves_digits() -> None:
    step = gather('<Gather input="dtmf speech"/>')
    start = sends(step.start())[0]
    assert fire(step, CommandFailed(start, 422)) == []
    assert fire(step, ended("valid", "9")) == [
        CancelTimer("no-input"),
        Done(params={"Digits": "9"}, action=ACTION),
    ]


def test_dtmf_speech_a_refused_gather_leaves_speech() -> None:
    step = gather('<Gather input="dtmf speech"/>')
    gather_cmd = sends(step.start())[1]
    assert fire(step, CommandFailed(gather_cmd, 422)) == []
    effects = fire(step, speech("yes", confidence=1.0))
    assert ("gather_stop", {}) not in effects
    assert fire(step, TimerFired("speech-end"))[-1] == Done(
        params={"SpeechResult": "yes", "Confidence": "1.0"}, action=ACTION
    )


# --- recognizer settings ----------------------------------------------------------------------


def start_body(xml: str) -> dict[str, Any]:
    step = gather(xml)
    ((action, body), *_) = begin(step)
    assert action == "transcription_start"
    return body


def test_google_with_every_attribute() -> None:
    assert start_body(
        '<Gather input="speech" transcriptionEngine="google" language="es-MX" '
        'hints="sales, support" profanityFilter="false" useEnhanced="true" '
        'model="phone_call"/>'
    ) == {
        "transcription_engine": "Google",
        "transcription_engine_config": {
            "transcription_engine": "Google",
            "language": "es",
            "model": "phone_call",
            "interim_results": True,
            "hints": ["sales", "support"],
            "profanity_filter": False,
            "use_enhanced": True,
        },
    }


def test_deepgram_nova3_is_the_default_deepgram_model() -> None:
    assert start_body(
        '<Gather input="speech" transcriptionEngine="Deepgram" keyterms="Telnyx" '
        'smartFormat="false" hints="ignored"/>'
    ) == {
        "transcription_engine": "Deepgram",
        "transcription_engine_config": {
            "transcription_engine": "deepgram/nova-3",
            "transcription_model": "deepgram/nova-3",
            "language": "en-US",
            "interim_results": True,
            "keyterms": ["Telnyx"],
            "smart_format": False,
        },
    }


def test_the_engine_follows_the_model_vendor() -> None:
    body = start_body(
        '<Gather input="speech" model="deepgram/nova-2" hints="a,b" language="de-CH"/>'
    )
    assert body["transcription_engine"] == "Deepgram"
    assert body["transcription_engine_config"] == {
        "transcription_engine": "deepgram/nova-2",
        "transcription_model": "deepgram/nova-2",
        "language": "de-CH",
        "interim_results": True,
        "hints": ["a", "b"],
    }
    assert start_body('<Gather input="speech" model="openai/whisper-tiny"/>') == {
        "transcription_engine": "Telnyx",
        "transcription_engine_config": {
            "transcription_engine": "Telnyx",
            "transcription_model": "openai/whisper-tiny",
            "language": "en",
        },
    }


def test_azure_needs_a_region() -> None:
    assert start_body(
        '<Gather input="speech" transcriptionEngine="Azure" region="westeurope" '
        'apiKeyRef="azure-key" language="nl-NL"/>'
    ) == {
        "transcription_engine": "Azure",
        "transcription_engine_config": {
            "transcription_engine": "Azure",
            "region": "westeurope",
            "api_key_ref": "azure-key",
            "language": "nl",
        },
    }
    assert start_body('<Gather input="speech" transcriptionEngine="Azure"/>') == {
        "transcription_engine": "Azure"
    }


@pytest.mark.parametrize(
    "engine",
    [
        "xAI",
        "AssemblyAI",
        "Soniox",
        "Speechmatics",
        "Parakeet",
        "Humain",
        "Reson8",
        "Cohere",
        "Telnyx",
    ],
)
def test_every_engine_validates(engine: str) -> None:
    body = start_body(f'<Gather input="speech" transcriptionEngine="{engine}" language="en-GB"/>')
    assert body["transcription_engine"] == engine


def test_a_language_the_engine_lacks_is_left_out() -> None:
    body = start_body('<Gather input="speech" transcriptionEngine="Cohere" language="fr-FR"/>')
    assert "language" not in body["transcription_engine_config"]


def test_hints_are_capped() -> None:
    hints = ",".join(f"h{i}" for i in range(150))
    body = start_body(f'<Gather input="speech" hints="{hints}"/>')
    assert len(body["transcription_engine_config"]["hints"]) == 100
