"""Tests for the telnyx SDK oracle itself (tests/support/telnyx_schema.py).

Spec: /work/shared/spec/call-control.md sections 2-4 (commands), 7 (webhooks), 11 (recipe).
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json

import httpx
import pytest
import telnyx
from pydantic import ValidationError

from tests.support import telnyx_schema as ts
from tests.support.telnyx_schema import (
    COMMANDS,
    SDK_METHODS,
    UnknownCommandError,
    UnknownEventTypeError,
    validate_body,
    validate_command,
    validate_webhook,
)

CCID = "v3:abc123-_DEF"


def _error_types(exc: pytest.ExceptionInfo[ValidationError]) -> dict[tuple, str]:
    return {tuple(e["loc"]): e["type"] for e in exc.value.errors()}


# ---------------------------------------------------------------------------------------------
# Commands: accepted bodies
# ---------------------------------------------------------------------------------------------

GOOD_COMMANDS = [
    pytest.param(
        "POST",
        f"/calls/{CCID}/actions/speak",
        {
            "payload": "Hello <break/> world",
            "payload_type": "ssml",
            "voice": "AWS.Polly.Joanna-Neural",
            "language": "en-US",
            "loop": "infinity",
            "service_level": "premium",
            "client_state": "e30=",
            "command_id": "cmd-1",
        },
        id="speak",
    ),
    pytest.param(
        "POST",
        f"/v2/calls/{CCID}/actions/gather_using_speak",
        {
            "payload": "Press 1 for sales",
            "voice": "female",
            "language": "en-US",
            "minimum_digits": 1,
            "maximum_digits": 4,
            "maximum_tries": 3,
            "timeout_millis": 5000,
            "inter_digit_timeout_millis": 3000,
            "terminating_digit": "#",
            "valid_digits": "0123456789*#",
            "invalid_payload": "Sorry",
        },
        id="gather_using_speak",
    ),
    pytest.param(
        "POST",
        "/calls",
        {
            "connection_id": "1234567890",
            "from": "+15550001111",
            "to": "+15550002222",
            "timeout_secs": 30,
            "time_limit_secs": 14400,
            "answering_machine_detection": "detect",
            "answering_machine_detection_config": {
                "total_analysis_time_millis": 5000,
                "after_greeting_silence_millis": 800,
                "beep_spectral_min_purity": 0.5,
            },
            "custom_headers": [{"name": "X-Texml-Call", "value": "abc"}],
            "sip_headers": [{"name": "User-to-User", "value": "3132"}],
            "record": "record-from-answer",
            "record_channels": "dual",
            "record_format": "mp3",
            "webhook_url": "https://example.test/hook",
            "webhook_url_method": "POST",
            "webhook_retries_policies": {"call.answered": {"retries_ms": [1000, 2000]}},
            "stream_bidirectional_sampling_rate": 16000,
            "client_state": "e30=",
        },
        id="dial-with-from",
    ),
    pytest.param(
        "POST",
        "/calls",
        {"connection_id": "1", "from": "+15550001111", "to": ["+15550002222", "sip:bob@example.test"]},
        id="dial-to-list",
    ),
    pytest.param(
        "POST",
        f"/calls/{CCID}/actions/bridge",
        {"call_control_id": "v3:other-leg", "park_after_unbridge": "self", "play_ringtone": True},
        id="bridge-with-call_control_id",
    ),
    pytest.param(
        "POST",
        f"/calls/{CCID}/actions/pay",
        {
            "amount": 10,  # strict mode still accepts an int for a number field
            "currency": "USD",
            "payment_method": "credit-card",
            "transaction_type": "charge",
            "valid_card_types": ["visa", "mastercard"],
            "postal_code": False,
            "prompts": {
                "payment-card-number": "Please enter your card number",
                "expiration-date": [{"text": "Expiry, please", "attempt": "1 2"}],
                "security-code": [
                    {"text": "Amex CVV", "card_type": "amex"},
                    {"text": "Try again", "error_type": "invalid-security-code"},
                ],
                "postal-code": "Postal code",
            },
        },
        id="pay-hyphenated-prompts",
    ),
    pytest.param(
        "POST",
        f"/calls/{CCID}/actions/record_start",
        {
            "channels": "single",
            "format": "mp3",
            "play_beep": True,
            "max_length": 0,
            "timeout_secs": 5,
            "trim": "trim-silence",
            "recording_track": "both",
        },
        id="record_start",
    ),
    pytest.param(
        "POST",
        "/conferences",
        {
            "call_control_id": CCID,
            "name": "room-1",
            "beep_enabled": "on_enter",
            "start_conference_on_create": True,
            "max_participants": 10,
            "region": "US",
        },
        id="conference-create",
    ),
    pytest.param(
        "PUT", f"/calls/{CCID}/actions/client_state_update", {"client_state": "e30="}, id="client_state_update"
    ),
    pytest.param("POST", f"/calls/{CCID}/actions/hangup", {}, id="hangup-empty"),
    pytest.param("POST", f"/calls/{CCID}/actions/answer", None, id="answer-no-body"),
    pytest.param(
        "PATCH",
        "/conferences/conf-1/participants/v3:participant",
        {"beep_enabled": "never", "end_conference_on_exit": True},
        id="conference-update-participant-path-key",
    ),
    pytest.param(
        "PATCH", "/queues/support/calls/v3:queued", {"keep_after_hangup": True}, id="queue-call-update-path-key"
    ),
    pytest.param("GET", f"/calls/{CCID}", None, id="retrieve-status"),
    pytest.param("DELETE", "/queues/support", {}, id="queue-delete"),
    pytest.param(
        "POST", f"https://api.telnyx.com/v2/conferences/c1/actions/join?x=1", {"call_control_id": CCID}, id="full-url"
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), GOOD_COMMANDS)
def test_accepts_correct_command_bodies(method, path, body):
    validate_command(method, path, body)


def test_validate_body_returns_python_keys_and_materialised_lists():
    from telnyx.types.call_dial_params import CallDialParams

    out = validate_body(
        CallDialParams,
        {"connection_id": "1", "from": "+1", "to": "+2", "custom_headers": [{"name": "X-A", "value": "b"}]},
    )
    assert out["from_"] == "+1"
    assert out["custom_headers"] == [{"name": "X-A", "value": "b"}]  # a list, not a lazy iterator


def test_bridge_and_pay_map_wire_names_to_sdk_names():
    assert validate_command("POST", f"/calls/{CCID}/actions/bridge", {"call_control_id": "v3:o"}) == {
        "call_control_id_to_bridge_with": "v3:o"
    }
    out = validate_command("POST", f"/calls/{CCID}/actions/pay", {"prompts": {"payment-card-number": "Card"}})
    assert out == {"prompts": {"payment_card_number": "Card"}}


def test_path_values_are_not_returned_in_the_body():
    assert validate_command("PATCH", "/conferences/c1/participants/p1", {"beep_enabled": "never"}) == {
        "beep_enabled": "never"
    }


# ---------------------------------------------------------------------------------------------
# Commands: rejected bodies
# ---------------------------------------------------------------------------------------------

SPEAK = f"/calls/{CCID}/actions/speak"
DIAL_MIN = {"connection_id": "1", "from": "+15550001111", "to": "+15550002222"}

BAD_COMMANDS = [
    pytest.param(
        "POST", SPEAK, {"payload": "Hi", "voice": "female", "langauge": "en-US"}, ("langauge",), "extra_forbidden",
        id="typo-key",
    ),
    pytest.param(
        "POST", f"/calls/{CCID}/actions/gather_using_speak",
        {"payload": "Press 1", "voice": "female", "maximum_digit": 1}, ("maximum_digit",), "extra_forbidden",
        id="gather-typo-key",
    ),
    pytest.param(
        "POST", SPEAK, {"payload": "Hi", "voice": "female", "service_level": "gold"}, ("service_level",),
        "literal_error", id="wrong-enum",
    ),
    pytest.param(
        "POST", f"/calls/{CCID}/actions/record_start", {"channels": "stereo", "format": "mp3"}, ("channels",),
        "literal_error", id="record-wrong-enum",
    ),
    pytest.param(
        "POST", "/calls", {**DIAL_MIN, "timeout_secs": "30"}, ("timeout_secs",), "int_type", id="string-for-int",
    ),
    pytest.param(
        "POST", "/calls", {**DIAL_MIN, "timeout_secs": True}, ("timeout_secs",), "int_type", id="bool-for-int",
    ),
    pytest.param(
        "POST", f"/calls/{CCID}/actions/gather_using_speak",
        {"payload": "Press 1", "voice": "female", "maximum_digits": "4"}, ("maximum_digits",), "int_type",
        id="gather-string-for-int",
    ),
    pytest.param(
        "POST", SPEAK, {"payload": "Hi", "voice": "female", "language": None}, ("language",), "literal_error",
        id="null-enum",
    ),
    pytest.param(
        "POST", SPEAK, {"payload": "Hi", "voice": "female", "client_state": None}, ("client_state",),
        "string_type", id="null-string",
    ),
    pytest.param(
        "POST", "/calls", {**DIAL_MIN, "custom_headers": [{"name": "X-A", "value": "1"}, {"name": "X-B", "valeu": "2"}]},
        ("custom_headers", 1, "valeu"), "extra_forbidden", id="dial-custom_headers-bad-item",
    ),
    pytest.param(
        "POST", "/calls", {**DIAL_MIN, "custom_headers": [{"name": 7, "value": "1"}]},
        ("custom_headers", 0, "name"), "string_type", id="dial-custom_headers-wrong-type",
    ),
    pytest.param(
        "POST", "/calls", {**DIAL_MIN, "sip_headers": [{"name": "X-Foo", "value": "1"}]},
        ("sip_headers", 0, "name"), "literal_error", id="dial-sip_headers-bad-name",
    ),
    pytest.param(
        "POST", "/calls", {**DIAL_MIN, "answering_machine_detection_config": {"total_analysis_time_milis": 5000}},
        ("answering_machine_detection_config", "total_analysis_time_milis"), "extra_forbidden",
        id="dial-amd-config-typo",
    ),
    pytest.param(
        "POST", "/calls", {**DIAL_MIN, "answering_machine_detection_config": {"total_analysis_time_millis": "5s"}},
        ("answering_machine_detection_config", "total_analysis_time_millis"), "int_type",
        id="dial-amd-config-wrong-type",
    ),
    pytest.param(
        "POST", "/calls", {**DIAL_MIN, "webhook_retries_policies": {"call.answered": {"retries_ms": [1000, "2s"]}}},
        ("webhook_retries_policies", "call.answered", "retries_ms", 1), "int_type",
        id="dial-retries-policy-bad-item",
    ),
    pytest.param(
        "POST", "/calls", {"connection_id": "1", "from_": "+15550001111", "to": "+15550002222"},
        ("from_",), "wire_alias", id="dial-python-keyword-from_",
    ),
    pytest.param(
        "POST", "/calls", {"connection_id": "1", "to": "+15550002222"}, ("from",), "missing", id="dial-missing-from",
    ),
    pytest.param(
        "POST", f"/calls/{CCID}/actions/bridge", {"call_control_id_to_bridge_with": "v3:o"},
        ("call_control_id_to_bridge_with",), "wire_alias", id="bridge-python-keyword",
    ),
    pytest.param(
        "POST", f"/calls/{CCID}/actions/pay", {"prompts": {"payment-card-numbr": "Card"}},
        ("prompts", "payment-card-numbr"), "extra_forbidden", id="pay-prompt-typo",
    ),
    pytest.param(
        "POST", f"/calls/{CCID}/actions/pay", {"prompts": {"payment_card_number": "Card"}},
        ("prompts", "payment_card_number"), "wire_alias", id="pay-prompt-underscore",
    ),
    pytest.param(
        "POST", f"/calls/{CCID}/actions/pay", {"prompts": {"security-code": [{"text": "x", "card_type": "visa2"}]}},
        ("prompts", "security-code", 0, "card_type"), "literal_error", id="pay-prompt-list-bad-item",
    ),
    pytest.param(
        "POST", f"/calls/{CCID}/actions/pay", {"amount": "10.00"}, ("amount",), "float_type", id="pay-string-amount",
    ),
    pytest.param(
        "POST", f"/calls/{CCID}/actions/record_start", {"format": "mp3"}, ("channels",), "missing",
        id="record-missing-required",
    ),
    pytest.param(
        "POST", "/conferences", {"call_control_id": CCID, "name": "r", "beep_enabled": "sometimes"},
        ("beep_enabled",), "literal_error", id="conference-create-wrong-enum",
    ),
    pytest.param(
        "PATCH", "/conferences/c1/participants/p1", {"id": "c1", "beep_enabled": "never"}, ("id",),
        "extra_forbidden", id="path-key-in-body",
    ),
    pytest.param(
        "GET", f"/calls/{CCID}", {"unexpected": 1}, ("unexpected",), "extra_forbidden", id="body-on-no-params-endpoint",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "loc", "etype"), BAD_COMMANDS)
def test_rejects_bad_command_bodies(method, path, body, loc, etype):
    with pytest.raises(ValidationError) as exc:
        validate_command(method, path, body)
    errors = _error_types(exc)
    assert errors.get(loc) == etype, errors


def test_rejects_non_object_body():
    with pytest.raises(ValidationError):
        validate_command("POST", SPEAK, ["payload", "Hi"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/calls/{CCID}/actions/speek"),
        ("POST", f"/calls/{CCID}/actions/playback"),  # the segment is playback_start
        ("POST", "/calls/actions/speak"),  # missing call_control_id segment
        ("POST", "/v1/calls"),
        ("POST", "/texml/calls"),
    ],
)
def test_unknown_path_is_a_clear_error(method, path):
    with pytest.raises(UnknownCommandError, match="no Telnyx SDK command matches"):
        validate_command(method, path, {})


def test_wrong_http_method_is_a_clear_error():
    with pytest.raises(UnknownCommandError, match="PUT /calls/.*/actions/client_state_update"):
        validate_command("POST", f"/calls/{CCID}/actions/client_state_update", {"client_state": "e30="})


def test_resolve_command_reports_template_and_path_values():
    key, cls, values = ts.resolve_command("post", f"/v2/calls/{CCID}/actions/record_start")
    assert key == ("POST", "/calls/{call_control_id}/actions/record_start")
    assert cls.__name__ == "ActionStartRecordingParams"
    assert values == {"call_control_id": CCID}
    key, _, values = ts.resolve_command("POST", "/calls/v3%3Aa%2Fb/actions/bridge")
    assert key == ("POST", "/calls/{call_control_id_to_bridge}/actions/bridge")
    assert values == {"call_control_id_to_bridge": "v3:a/b"}


# ---------------------------------------------------------------------------------------------
# COMMANDS table: completeness against the SDK, agreement with the spec
# ---------------------------------------------------------------------------------------------

# (method, template) -> (SDK method, params class) as listed in sections 2, 2b, 3 and 4 of the spec.
SPEC_COMMANDS = {
    ("POST", "/calls"): ("calls.dial", "telnyx.types.call_dial_params.CallDialParams"),
    ("POST", "/calls/{call_control_id}/actions/answer"): ("calls.actions.answer", "telnyx.types.calls.action_answer_params.ActionAnswerParams"),
    ("POST", "/calls/{call_control_id}/actions/hangup"): ("calls.actions.hangup", "telnyx.types.calls.action_hangup_params.ActionHangupParams"),
    ("POST", "/calls/{call_control_id}/actions/reject"): ("calls.actions.reject", "telnyx.types.calls.action_reject_params.ActionRejectParams"),
    ("POST", "/calls/{call_control_id}/actions/speak"): ("calls.actions.speak", "telnyx.types.calls.action_speak_params.ActionSpeakParams"),
    ("POST", "/calls/{call_control_id}/actions/playback_start"): ("calls.actions.start_playback", "telnyx.types.calls.action_start_playback_params.ActionStartPlaybackParams"),
    ("POST", "/calls/{call_control_id}/actions/playback_stop"): ("calls.actions.stop_playback", "telnyx.types.calls.action_stop_playback_params.ActionStopPlaybackParams"),
    ("POST", "/calls/{call_control_id}/actions/gather"): ("calls.actions.gather", "telnyx.types.calls.action_gather_params.ActionGatherParams"),
    ("POST", "/calls/{call_control_id}/actions/gather_using_speak"): ("calls.actions.gather_using_speak", "telnyx.types.calls.action_gather_using_speak_params.ActionGatherUsingSpeakParams"),
    ("POST", "/calls/{call_control_id}/actions/gather_using_audio"): ("calls.actions.gather_using_audio", "telnyx.types.calls.action_gather_using_audio_params.ActionGatherUsingAudioParams"),
    ("POST", "/calls/{call_control_id}/actions/gather_using_ai"): ("calls.actions.gather_using_ai", "telnyx.types.calls.action_gather_using_ai_params.ActionGatherUsingAIParams"),
    ("POST", "/calls/{call_control_id}/actions/gather_stop"): ("calls.actions.stop_gather", "telnyx.types.calls.action_stop_gather_params.ActionStopGatherParams"),
    ("POST", "/calls/{call_control_id}/actions/record_start"): ("calls.actions.start_recording", "telnyx.types.calls.action_start_recording_params.ActionStartRecordingParams"),
    ("POST", "/calls/{call_control_id}/actions/record_stop"): ("calls.actions.stop_recording", "telnyx.types.calls.action_stop_recording_params.ActionStopRecordingParams"),
    ("POST", "/calls/{call_control_id}/actions/record_pause"): ("calls.actions.pause_recording", "telnyx.types.calls.action_pause_recording_params.ActionPauseRecordingParams"),
    ("POST", "/calls/{call_control_id}/actions/record_resume"): ("calls.actions.resume_recording", "telnyx.types.calls.action_resume_recording_params.ActionResumeRecordingParams"),
    ("POST", "/calls/{call_control_id}/actions/transfer"): ("calls.actions.transfer", "telnyx.types.calls.action_transfer_params.ActionTransferParams"),
    ("POST", "/calls/{call_control_id_to_bridge}/actions/bridge"): ("calls.actions.bridge", "telnyx.types.calls.action_bridge_params.ActionBridgeParams"),
    ("POST", "/calls/{call_control_id}/actions/enqueue"): ("calls.actions.enqueue", "telnyx.types.calls.action_enqueue_params.ActionEnqueueParams"),
    ("POST", "/calls/{call_control_id}/actions/leave_queue"): ("calls.actions.leave_queue", "telnyx.types.calls.action_leave_queue_params.ActionLeaveQueueParams"),
    ("POST", "/calls/{call_control_id}/actions/refer"): ("calls.actions.refer", "telnyx.types.calls.action_refer_params.ActionReferParams"),
    ("POST", "/calls/{call_control_id}/actions/send_dtmf"): ("calls.actions.send_dtmf", "telnyx.types.calls.action_send_dtmf_params.ActionSendDtmfParams"),
    ("POST", "/calls/{call_control_id}/actions/streaming_start"): ("calls.actions.start_streaming", "telnyx.types.calls.action_start_streaming_params.ActionStartStreamingParams"),
    ("POST", "/calls/{call_control_id}/actions/streaming_stop"): ("calls.actions.stop_streaming", "telnyx.types.calls.action_stop_streaming_params.ActionStopStreamingParams"),
    ("POST", "/calls/{call_control_id}/actions/transcription_start"): ("calls.actions.start_transcription", "telnyx.types.calls.action_start_transcription_params.ActionStartTranscriptionParams"),
    ("POST", "/calls/{call_control_id}/actions/transcription_stop"): ("calls.actions.stop_transcription", "telnyx.types.calls.action_stop_transcription_params.ActionStopTranscriptionParams"),
    ("POST", "/calls/{call_control_id}/actions/siprec_start"): ("calls.actions.start_siprec", "telnyx.types.calls.action_start_siprec_params.ActionStartSiprecParams"),
    ("POST", "/calls/{call_control_id}/actions/siprec_stop"): ("calls.actions.stop_siprec", "telnyx.types.calls.action_stop_siprec_params.ActionStopSiprecParams"),
    ("POST", "/calls/{call_control_id}/actions/suppression_start"): ("calls.actions.start_noise_suppression", "telnyx.types.calls.action_start_noise_suppression_params.ActionStartNoiseSuppressionParams"),
    ("POST", "/calls/{call_control_id}/actions/suppression_stop"): ("calls.actions.stop_noise_suppression", "telnyx.types.calls.action_stop_noise_suppression_params.ActionStopNoiseSuppressionParams"),
    ("POST", "/calls/{call_control_id}/actions/ai_assistant_start"): ("calls.actions.start_ai_assistant", "telnyx.types.calls.action_start_ai_assistant_params.ActionStartAIAssistantParams"),
    ("POST", "/calls/{call_control_id}/actions/ai_assistant_stop"): ("calls.actions.stop_ai_assistant", "telnyx.types.calls.action_stop_ai_assistant_params.ActionStopAIAssistantParams"),
    ("POST", "/calls/{call_control_id}/actions/conversation_relay_start"): ("calls.actions.start_conversation_relay", "telnyx.types.calls.action_start_conversation_relay_params.ActionStartConversationRelayParams"),
    ("POST", "/calls/{call_control_id}/actions/conversation_relay_stop"): ("calls.actions.stop_conversation_relay", "telnyx.types.calls.action_stop_conversation_relay_params.ActionStopConversationRelayParams"),
    ("POST", "/calls/{call_control_id}/actions/pay"): ("calls.actions.pay", "telnyx.types.calls.action_pay_params.ActionPayParams"),
    ("PUT", "/calls/{call_control_id}/actions/client_state_update"): ("calls.actions.update_client_state", "telnyx.types.calls.action_update_client_state_params.ActionUpdateClientStateParams"),
    ("POST", "/calls/{call_control_id}/actions/fork_start"): ("calls.actions.start_forking", "telnyx.types.calls.action_start_forking_params.ActionStartForkingParams"),
    ("POST", "/calls/{call_control_id}/actions/fork_stop"): ("calls.actions.stop_forking", "telnyx.types.calls.action_stop_forking_params.ActionStopForkingParams"),
    ("POST", "/calls/{call_control_id}/actions/send_sip_info"): ("calls.actions.send_sip_info", "telnyx.types.calls.action_send_sip_info_params.ActionSendSipInfoParams"),
    ("POST", "/calls/{call_control_id}/actions/ai_assistant_add_messages"): ("calls.actions.add_ai_assistant_messages", "telnyx.types.calls.action_add_ai_assistant_messages_params.ActionAddAIAssistantMessagesParams"),
    ("POST", "/calls/{call_control_id}/actions/ai_assistant_join"): ("calls.actions.join_ai_assistant", "telnyx.types.calls.action_join_ai_assistant_params.ActionJoinAIAssistantParams"),
    ("POST", "/calls/{call_control_id}/actions/switch_supervisor_role"): ("calls.actions.switch_supervisor_role", "telnyx.types.calls.action_switch_supervisor_role_params.ActionSwitchSupervisorRoleParams"),
    ("GET", "/calls/{call_control_id}"): ("calls.retrieve_status", None),
    ("POST", "/conferences"): ("conferences.create", "telnyx.types.conference_create_params.ConferenceCreateParams"),
    ("POST", "/conferences/{id}/actions/join"): ("conferences.actions.join", "telnyx.types.conferences.action_join_params.ActionJoinParams"),
    ("POST", "/conferences/{id}/actions/leave"): ("conferences.actions.leave", "telnyx.types.conferences.action_leave_params.ActionLeaveParams"),
    ("POST", "/conferences/{id}/actions/mute"): ("conferences.actions.mute", "telnyx.types.conferences.action_mute_params.ActionMuteParams"),
    ("POST", "/conferences/{id}/actions/unmute"): ("conferences.actions.unmute", "telnyx.types.conferences.action_unmute_params.ActionUnmuteParams"),
    ("POST", "/conferences/{id}/actions/hold"): ("conferences.actions.hold", "telnyx.types.conferences.action_hold_params.ActionHoldParams"),
    ("POST", "/conferences/{id}/actions/unhold"): ("conferences.actions.unhold", "telnyx.types.conferences.action_unhold_params.ActionUnholdParams"),
    ("POST", "/conferences/{id}/actions/play"): ("conferences.actions.play", "telnyx.types.conferences.action_play_params.ActionPlayParams"),
    ("POST", "/conferences/{id}/actions/speak"): ("conferences.actions.speak", "telnyx.types.conferences.action_speak_params.ActionSpeakParams"),
    ("POST", "/conferences/{id}/actions/stop"): ("conferences.actions.stop", "telnyx.types.conferences.action_stop_params.ActionStopParams"),
    ("POST", "/conferences/{id}/actions/record_start"): ("conferences.actions.record_start", "telnyx.types.conferences.action_record_start_params.ActionRecordStartParams"),
    ("POST", "/conferences/{id}/actions/record_stop"): ("conferences.actions.record_stop", "telnyx.types.conferences.action_record_stop_params.ActionRecordStopParams"),
    ("POST", "/conferences/{id}/actions/record_pause"): ("conferences.actions.record_pause", "telnyx.types.conferences.action_record_pause_params.ActionRecordPauseParams"),
    ("POST", "/conferences/{id}/actions/record_resume"): ("conferences.actions.record_resume", "telnyx.types.conferences.action_record_resume_params.ActionRecordResumeParams"),
    ("PATCH", "/conferences/{id}/participants/{participant_id}"): ("conferences.update_participant", "telnyx.types.conference_update_participant_params.ConferenceUpdateParticipantParams"),
    ("POST", "/conferences/{id}/actions/update"): ("conferences.actions.update", "telnyx.types.conferences.action_update_params.ActionUpdateParams"),
    ("POST", "/conferences/{id}/actions/end"): ("conferences.actions.end_conference", "telnyx.types.conferences.action_end_conference_params.ActionEndConferenceParams"),
    ("POST", "/conferences/{id}/actions/gather_using_audio"): ("conferences.actions.gather_dtmf_audio", "telnyx.types.conferences.action_gather_dtmf_audio_params.ActionGatherDtmfAudioParams"),
    ("POST", "/conferences/{id}/actions/send_dtmf"): ("conferences.actions.send_dtmf", "telnyx.types.conferences.action_send_dtmf_params.ActionSendDtmfParams"),
    ("GET", "/conferences/{id}"): ("conferences.retrieve", "telnyx.types.conference_retrieve_params.ConferenceRetrieveParams"),
    ("GET", "/conferences"): ("conferences.list", "telnyx.types.conference_list_params.ConferenceListParams"),
    ("GET", "/conferences/{conference_id}/participants"): ("conferences.list_participants", "telnyx.types.conference_list_participants_params.ConferenceListParticipantsParams"),
    ("GET", "/conferences/{id}/participants/{participant_id}"): ("conferences.retrieve_participant", None),
    ("GET", "/queues/{queue_name}"): ("queues.retrieve", None),
    ("GET", "/queues/{queue_name}/calls/{call_control_id}"): ("queues.calls.retrieve", None),
    ("GET", "/queues/{queue_name}/calls"): ("queues.calls.list", "telnyx.types.queues.call_list_params.CallListParams"),
    ("POST", "/queues"): ("queues.create", "telnyx.types.queue_create_params.QueueCreateParams"),
    ("POST", "/queues/{queue_name}"): ("queues.update", "telnyx.types.queue_update_params.QueueUpdateParams"),
    ("GET", "/queues"): ("queues.list", "telnyx.types.queue_list_params.QueueListParams"),
    ("DELETE", "/queues/{queue_name}"): ("queues.delete", None),
    ("PATCH", "/queues/{queue_name}/calls/{call_control_id}"): ("queues.calls.update", "telnyx.types.queues.call_update_params.CallUpdateParams"),
    ("DELETE", "/queues/{queue_name}/calls/{call_control_id}"): ("queues.calls.remove", None),
}


def _dotted(cls) -> str | None:
    return None if cls is None else f"{cls.__module__}.{cls.__name__}"


def test_commands_table_matches_the_spec():
    derived = {key: (SDK_METHODS[key], _dotted(cls)) for key, cls in COMMANDS.items()}
    assert derived == SPEC_COMMANDS
    assert len(COMMANDS) == 75


def _public_methods(cls) -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") and member.__qualname__.startswith(cls.__name__ + ".")
    }


def test_every_call_action_of_the_sdk_has_an_entry():
    from telnyx.resources.calls.actions import ActionsResource

    methods = _public_methods(ActionsResource)
    assert len(methods) >= 40
    covered = {m.removeprefix("calls.actions.") for m in SDK_METHODS.values() if m.startswith("calls.actions.")}
    assert methods - covered == set(), f"call actions missing from COMMANDS: {sorted(methods - covered)}"
    assert covered - methods == set()


@pytest.mark.parametrize(("prefix", "module", "clsname"), ts.RESOURCE_CLASSES)
def test_every_resource_method_has_an_entry(prefix, module, clsname):
    cls = getattr(importlib.import_module(module), clsname)
    covered = {m.rsplit(".", 1)[1] for m in SDK_METHODS.values() if m.rsplit(".", 1)[0] == prefix}
    assert _public_methods(cls) == covered


def _dummy(param: inspect.Parameter):
    text = str(param.annotation)
    if "Iterable" in text or "SequenceNotStr" in text or "List" in text:
        return []
    if text.startswith("bool"):
        return True
    if text.startswith("int") or text.startswith("float"):
        return 1
    return "x"


@pytest.mark.parametrize(("prefix", "module", "clsname"), ts.RESOURCE_CLASSES)
def test_sdk_requests_resolve_to_the_derived_entries(prefix, module, clsname, monkeypatch):
    """Cross-check the source-derived table at run time: call every SDK method with the HTTP
    layer and maybe_transform intercepted, and check the (verb, concrete path) it requests
    resolves to its own entry, whose params class is the one the SDK transformed with."""
    mod = importlib.import_module(module)
    seen_types: list = []
    real_transform = mod.maybe_transform

    def spy_transform(data, expected_type, *a, **kw):
        seen_types.append(expected_type)
        return real_transform(data, expected_type, *a, **kw)

    monkeypatch.setattr(mod, "maybe_transform", spy_transform)
    client = telnyx.Telnyx(api_key="KEY_TEST", base_url="http://127.0.0.1:9/v2", max_retries=0)
    resource = getattr(importlib.import_module(module), clsname)(client)
    requests: list[tuple[str, str]] = []
    for attr, verb in {"_post": "POST", "_put": "PUT", "_patch": "PATCH", "_get": "GET",
                       "_get_api_list": "GET", "_delete": "DELETE"}.items():
        monkeypatch.setattr(resource, attr, lambda path, *a, _verb=verb, **kw: requests.append((_verb, path)))

    for name in sorted(_public_methods(type(resource))):
        method = getattr(resource, name)
        args, kwargs = [], {}
        for p in inspect.signature(method).parameters.values():
            if p.default is not inspect.Parameter.empty:
                continue
            if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD or p.kind is inspect.Parameter.POSITIONAL_ONLY:
                args.append(CCID)
            elif p.kind is inspect.Parameter.KEYWORD_ONLY:
                kwargs[p.name] = _dummy(p)
        requests.clear()
        seen_types.clear()
        method(*args, **kwargs)
        assert len(requests) == 1, name
        key, params_cls, _ = ts.resolve_command(*requests[0])
        assert SDK_METHODS[key] == f"{prefix}.{name}", (name, requests[0])
        assert params_cls is (seen_types[0] if seen_types else None), name


def test_bodies_sent_by_the_real_sdk_pass_the_oracle():
    """The oracle agrees with the SDK's own serialisation (aliases, nested lists)."""
    sent: list[tuple[str, str, dict]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        sent.append((request.method, request.url.raw_path.decode(), body))
        if request.url.path == "/v2/calls":
            return httpx.Response(200, json={"data": {"call_control_id": "v3:new", "call_leg_id": "l",
                                                      "call_session_id": "s", "is_alive": False,
                                                      "record_type": "call"}})
        return httpx.Response(200, json={"data": {"result": "ok"}})

    client = telnyx.Telnyx(api_key="KEY_TEST", base_url="http://fake.test/v2", max_retries=0,
                           http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    client.calls.actions.speak(CCID, payload="Hello", voice="female", client_state="e30=")
    client.calls.dial(connection_id="123", from_="+15550001111", to=["+15550002222"], timeout_secs=30,
                      custom_headers=[{"name": "X-A", "value": "1"}],
                      answering_machine_detection_config={"total_analysis_time_millis": 5000})
    client.calls.actions.bridge(CCID, call_control_id_to_bridge_with="v3:other")
    client.calls.actions.pay(CCID, amount=1.5, prompts={"payment_card_number": "Card",
                                                       "security_code": [{"text": "CVV", "card_type": "amex"}]})
    client.calls.actions.update_client_state(CCID, client_state="e30=")
    client.conferences.create(call_control_id=CCID, name="room")
    client.conferences.update_participant("p1", id="c1", beep_enabled="never")
    assert len(sent) == 7
    for method, path, body in sent:
        validate_command(method, path, body)
    assert sent[2][2] == {"call_control_id": "v3:other"}
    assert "payment-card-number" in sent[3][2]["prompts"]


# ---------------------------------------------------------------------------------------------
# Webhooks
# ---------------------------------------------------------------------------------------------

COMMON = {
    "call_control_id": CCID,
    "call_leg_id": "2dc6fc34-f9e0-11ea-b68e-02420a0f7768",
    "call_session_id": "2dc1b3c8-f9e0-11ea-bc5a-02420a0f7768",
    "client_state": "e30=",
    "connection_id": "7267xxxxxxxxxxxxxx",
    "from": "+15550001111",
    "to": "+15550002222",
}
NO_FROM_TO = {k: v for k, v in COMMON.items() if k not in ("from", "to")}


def envelope(event_type: str, payload: dict, **data) -> dict:
    return {
        "data": {
            "record_type": "event",
            "event_type": event_type,
            "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
            "occurred_at": "2024-01-01T12:00:00.000000Z",
            "payload": payload,
            **data,
        }
    }


GOOD_WEBHOOKS = {
    "call.initiated": envelope("call.initiated", {
        **COMMON,
        "direction": "incoming",
        "state": "parked",
        "caller_id_name": "Alice",
        "start_time": "2024-01-01T12:00:00.000000Z",
        "custom_headers": [{"name": "X-Texml", "value": "1"}],
        "sip_headers": [{"name": "User-to-User", "value": "3132"}],
        "shaken_stir_attestation": "A",
        "shaken_stir_validated": True,
        "offered_codecs": "PCMU,PCMA",
        "tags": ["tag1"],
    }),
    "call.answered": envelope("call.answered", {
        **COMMON, "state": "answered", "start_time": "2024-01-01T12:00:00Z", "tags": [],
    }),
    "call.hangup": envelope("call.hangup", {
        **COMMON,
        "hangup_cause": "normal_clearing",
        "hangup_source": "caller",
        "sip_hangup_cause": "16",
        "state": "hangup",
        "start_time": "2024-01-01T12:00:00Z",
        "call_quality_stats": {
            "inbound": {"mos": "4.4", "packet_count": "1000", "jitter_max_variance": "2"},
            "outbound": {"packet_count": "1000", "skip_packet_count": "0"},
        },
    }),
    "call.gather.ended": envelope("call.gather.ended", {**COMMON, "digits": "1234#", "status": "valid"}),
    "call.speak.ended": envelope("call.speak.ended", {**NO_FROM_TO, "status": "completed"}),
    "call.recording.saved": envelope("call.recording.saved", {
        **{k: v for k, v in NO_FROM_TO.items() if k != "call_control_id"},
        "channels": "single",
        "recording_started_at": "2024-01-01T12:00:00Z",
        "recording_ended_at": "2024-01-01T12:01:00Z",
        "recording_urls": {"mp3": "https://rec.example.test/a.mp3"},
        "public_recording_urls": {"mp3": "https://pub.example.test/a.mp3", "wav": "https://pub.example.test/a.wav"},
    }),
    "call.dtmf.received": envelope("call.dtmf.received", {**COMMON, "digit": "#"}),
}


@pytest.mark.parametrize("event_type", sorted(GOOD_WEBHOOKS))
def test_accepts_correct_webhooks(event_type):
    model = validate_webhook(GOOD_WEBHOOKS[event_type])
    assert model.data.event_type == event_type
    assert model.data.payload is not None


def test_returns_the_sdk_model_with_aliases_applied():
    model = validate_webhook(GOOD_WEBHOOKS["call.initiated"])
    assert type(model).__name__ == "CallInitiatedWebhookEvent"
    assert model.data.payload.from_ == "+15550001111"


def test_null_values_are_allowed_where_the_sdk_allows_them():
    validate_webhook(envelope("call.answered", {**COMMON, "client_state": None}))


def test_meta_sibling_is_tolerated_but_checked():
    validate_webhook({**GOOD_WEBHOOKS["call.answered"], "meta": {"attempt": 1, "delivered_to": "https://x.test"}})
    with pytest.raises(ValidationError) as exc:
        validate_webhook({**GOOD_WEBHOOKS["call.answered"], "meta": {"attempt": "1"}})
    assert _error_types(exc) == {("meta", "attempt"): "int_type"}


def test_documented_sdk_gaps_are_tolerated_unless_disabled():
    body = envelope("call.recording.saved", {**NO_FROM_TO, "recording_id": "r-1", "format": "mp3",
                                             "channels": "dual"})
    validate_webhook(body)  # call_control_id / recording_id / format: spec section 12.6
    with pytest.raises(ValidationError) as exc:
        validate_webhook(body, allow_extra={})
    assert set(_error_types(exc)) == {("data", "payload", k) for k in ("call_control_id", "recording_id", "format")}
    with pytest.raises(ValidationError) as exc:
        validate_webhook(envelope("call.recording.saved", {**NO_FROM_TO, "recording_id": 5}))
    assert _error_types(exc) == {("data", "payload", "recording_id"): "string_type"}


def _with(event_type: str, path: tuple, value) -> dict:
    body = copy.deepcopy(GOOD_WEBHOOKS[event_type])
    target = body
    for seg in path[:-1]:
        target = target[seg]
    target[path[-1]] = value
    return body


def _without(body: dict, path: tuple) -> dict:
    body = copy.deepcopy(body)
    target = body
    for seg in path[:-1]:
        target = target[seg]
    del target[path[-1]]
    return body


BAD_WEBHOOKS = [
    pytest.param(_with("call.hangup", ("data", "payload", "hangup_cuase"), "normal_clearing"),
                 ("data", "payload", "hangup_cuase"), "extra_forbidden", id="hangup-misspelled-key"),
    pytest.param(_with("call.gather.ended", ("data", "payload", "digit"), "1"),
                 ("data", "payload", "digit"), "extra_forbidden", id="gather-ended-misspelled-key"),
    pytest.param(_with("call.hangup", ("data", "payload", "hangup_cause"), "hangup"),
                 ("data", "payload", "hangup_cause"), "literal_error", id="hangup-wrong-enum"),
    pytest.param(_with("call.gather.ended", ("data", "payload", "status"), "completed"),
                 ("data", "payload", "status"), "literal_error", id="gather-ended-wrong-enum"),
    pytest.param(_with("call.speak.ended", ("data", "payload", "status"), "finished"),
                 ("data", "payload", "status"), "literal_error", id="speak-ended-wrong-enum"),
    pytest.param(_with("call.initiated", ("data", "payload", "direction"), "inbound"),
                 ("data", "payload", "direction"), "literal_error", id="initiated-wrong-enum"),
    pytest.param(_with("call.answered", ("data", "payload", "state"), "parked"),
                 ("data", "payload", "state"), "literal_error", id="answered-wrong-const"),
    pytest.param(_with("call.initiated", ("data", "payload", "shaken_stir_validated"), "true"),
                 ("data", "payload", "shaken_stir_validated"), "bool_type", id="string-for-bool"),
    pytest.param(_with("call.initiated", ("data", "payload", "start_time"), "noon"),
                 ("data", "payload", "start_time"), "datetime_parsing", id="bad-datetime"),
    pytest.param(_with("call.dtmf.received", ("data", "payload", "digit"), 5),
                 ("data", "payload", "digit"), "string_type", id="int-for-string"),
    pytest.param(_with("call.initiated", ("data", "payload", "sip_headers"), [{"name": "X-Foo", "value": "1"}]),
                 ("data", "payload", "sip_headers", 0, "name"), "literal_error", id="nested-list-enum"),
    pytest.param(_with("call.hangup", ("data", "payload", "call_quality_stats", "inbound", "moss"), "4"),
                 ("data", "payload", "call_quality_stats", "inbound", "moss"), "extra_forbidden",
                 id="nested-misspelled-key"),
    pytest.param(_with("call.initiated", ("data", "payload", "custom_headers"), [{"name": "a", "value": "b", "vlaue": "c"}]),
                 ("data", "payload", "custom_headers", 0, "vlaue"), "extra_forbidden", id="list-item-misspelled-key"),
    pytest.param(_with("call.dtmf.received", ("data", "payload", "from_"), "+1"),
                 ("data", "payload", "from_"), "extra_forbidden", id="python-name-from_"),
    pytest.param(_with("call.speak.ended", ("data", "payload", "dtmf"), "1"),
                 ("data", "payload", "dtmf"), "extra_forbidden", id="speak-ended-unknown-key"),
    pytest.param(_with("call.answered", ("data", "ocurred_at"), "2024-01-01T12:00:00Z"),
                 ("data", "ocurred_at"), "extra_forbidden", id="envelope-misspelled-key"),
    pytest.param(_with("call.answered", ("data", "record_type"), "events"),
                 ("data", "record_type"), "literal_error", id="envelope-record-type"),
    pytest.param({**GOOD_WEBHOOKS["call.answered"], "metadata": {}},
                 ("metadata",), "extra_forbidden", id="top-level-unknown-key"),
]


@pytest.mark.parametrize(("payload", "loc", "etype"), BAD_WEBHOOKS)
def test_rejects_bad_webhooks(payload, loc, etype):
    with pytest.raises(ValidationError) as exc:
        validate_webhook(payload)
    errors = _error_types(exc)
    assert errors.get(loc) == etype, errors


def test_misspelled_key_is_reported_alongside_type_errors():
    body = _with("call.hangup", ("data", "payload", "hangup_cause"), "bogus")
    body["data"]["payload"]["hangup_sorce"] = "caller"
    with pytest.raises(ValidationError) as exc:
        validate_webhook(body)
    assert _error_types(exc) == {
        ("data", "payload", "hangup_cause"): "literal_error",
        ("data", "payload", "hangup_sorce"): "extra_forbidden",
    }


def test_unknown_or_missing_event_type():
    with pytest.raises(UnknownEventTypeError):
        validate_webhook(envelope("call.sip_info.received", {}))  # referenced but not modelled
    with pytest.raises(UnknownEventTypeError):
        validate_webhook(_without(GOOD_WEBHOOKS["call.answered"], ("data", "event_type")))
    with pytest.raises(ValidationError):
        validate_webhook({"event_type": "call.answered", "payload": {}})  # no "data" wrapper


def test_webhook_models_cover_the_call_control_events_of_the_spec():
    spec_events = """call.initiated call.answered call.hangup call.bridged call.speak.started call.speak.ended
    call.playback.started call.playback.ended call.dtmf.received call.gather.ended call.recording.saved
    call.recording.error call.recording.transcription.saved call.machine.detection.ended
    call.machine.greeting.ended call.machine.premium.detection.started call.machine.premium.detection.ended
    call.machine.premium.greeting.ended call.machine.premium.call_screening.detected call.enqueued
    call.dequeued call.refer.started call.refer.completed call.refer.failed streaming.started
    streaming.stopped streaming.failed call.transcription call.ai_gather.ended call.ai_gather.partial_results
    call.ai_gather.message_history_updated call.conversation.created call.conversation.ended
    call.conversation.start_failed call.conversation_insights.generated siprec.started siprec.stopped
    siprec.failed call.fork.started call.fork.stopped call.hold call.unhold call.payment.progress
    call.payment.completed call.deepfake_detection.result call.deepfake_detection.error call.cost
    call.analyzed conference.created conference.ended conference.floor.changed
    conference.participant.joined conference.participant.left conference.participant.playback.started
    conference.participant.playback.ended conference.participant.speak.started
    conference.participant.speak.ended conference.playback.started conference.playback.ended
    conference.speak.started conference.speak.ended conference.recording.saved""".split()
    assert len(spec_events) == 62
    assert set(spec_events) <= set(ts.WEBHOOK_MODELS)
    assert ts.WEBHOOK_MODELS["call.dequeued"][0].__name__ == "CallLeftQueueWebhookEvent"


def test_conference_floor_changed_is_modelled_without_the_data_wrapper():
    body = {"data": {"record_type": "event", "event_type": "conference.floor.changed", "id": "e1",
                     "payload": {"call_control_id": CCID, "conference_id": "c1"}}}
    model = validate_webhook(body)
    assert type(model).__name__ == "ConferenceFloorChanged"
    with pytest.raises(ValidationError) as exc:
        validate_webhook({"data": {**body["data"], "payload": {"conference_idd": "c1"}}})
    assert _error_types(exc) == {("data", "payload", "conference_idd"): "extra_forbidden"}
