"""<Start>/<Stop> -> *_start / *_stop commands and status-callback watches
(texml-verbs-connect.md §9-§16; call-control.md streaming_*, transcription_*, suppression_*,
siprec_*, record_start; the TranscriptionEngine*ConfigParam types)."""

from __future__ import annotations

import importlib
import itertools
import typing
from typing import Any

import pytest

import texml
from compiler import CallContext, Command, Done, Effect, Send, Step, Watch, compile_verb, sends
from compiler.stt import LANGUAGES, MODELS, engine_config, pick_language
from tests.support.telnyx_schema import _unwrap, validate_command

CALL = "v3:call-1"
STATE = {"client_state": "c3RhdGU="}


def step_for(xml: str) -> Step:
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    ids = itertools.count(1)
    ctx = CallContext(CALL, "conn-1", "+15550001111", "+15550002222", "c3RhdGU=",
                      new_id=lambda: f"id-{next(ids)}",
                      document_url="https://app.example.com/flow/main.xml")  # fmt: skip
    return compile_verb(doc.verbs[0], ctx)


def run(xml: str) -> list[Effect]:
    step = step_for(xml)
    effects = step.start()
    assert step.done and effects[-1] == Done()
    for command in sends(effects):
        validate_command(command.method, command.resolved_path(CALL), command.body)
    return effects[:-1]


def bodies(effects: list[Effect]) -> list[tuple[str, dict[str, Any]]]:
    return [(c.action, {k: v for k, v in c.body.items() if k not in ("client_state", "command_id")})
            for c in sends(effects)]  # fmt: skip


FULL_START = """
<Start>
  <Stream url="wss://media.example.com/s" track="both_tracks" name="s1" codec="OPUS"
          bidirectionalMode="rtp" bidirectionalCodec="G722" bidirectionalSamplingRate="16000"
          statusCallback="stream-status" statusCallbackMethod="GET" enableReconnect="false">
    <Parameter name="agent" value="7"/><Parameter name="lang" value="en"/>
  </Stream>
  <Transcription language="en-US" interimResults="true" transcriptionEngine="Google"
          transcriptionTracks="both" transcriptionCallback="/stt" transcriptionCallbackMethod="GET"
          model="phone_call" hints="texml, telnyx"/>
  <Suppression direction="both" noiseSuppressionEngine="Krisp" model="krisp-viva-tel-v2.kef"
          suppressionLevel="80"/>
  <Siprec connectorName="srs" name="rec1" track="inbound_track" statusCallback="/siprec"
          includeMetadataCustomHeaders="true" secure="true" sessionTimeoutSecs="900">
    <Parameter name="x" value="y"/>
  </Siprec>
  <Recording recordingStatusCallback="rec-status" recordingStatusCallbackMethod="GET"
          recordingStatusCallbackEvent="in-progress completed absent" channels="mono"
          track="inbound" trim="trim-silence" format="wav"/>
</Start>
"""


def test_every_start_child_and_attribute() -> None:
    effects = run(FULL_START)
    assert bodies(effects) == [
        ("streaming_start", {
            "stream_url": "wss://media.example.com/s", "stream_track": "both_tracks",
            "stream_codec": "OPUS", "stream_bidirectional_mode": "rtp",
            "stream_bidirectional_codec": "G722", "stream_bidirectional_sampling_rate": 16000,
            "custom_parameters": [{"name": "agent", "value": "7"}, {"name": "lang", "value": "en"}],
        }),
        ("transcription_start", {
            "transcription_engine": "Google",
            "transcription_engine_config": {
                "transcription_engine": "Google", "model": "phone_call", "language": "en",
                "interim_results": True, "hints": ["texml", "telnyx"],
            },
            "transcription_tracks": "both",
        }),
        ("suppression_start", {
            "direction": "both", "noise_suppression_engine": "Krisp",
            "noise_suppression_engine_config": {"model": "krisp-viva-tel-v2.kef",
                                                "suppression_level": 80.0},
        }),
        ("siprec_start", {
            "siprec_track": "inbound_track", "connector_name": "srs",
            "include_metadata_custom_headers": True, "secure": True, "session_timeout_secs": 900,
        }),
        ("record_start", {"channels": "single", "format": "wav", "recording_track": "inbound",
                          "trim": "trim-silence"}),
    ]  # fmt: skip
    siprec = sends(effects)[3]
    assert siprec.body == {**bodies([Send(siprec)])[0][1], **STATE}  # no command_id
    base = "https://app.example.com"
    assert [e for e in effects if isinstance(e, Watch)] == [
        Watch("streaming.started", "stream", f"{base}/flow/stream-status", "GET"),
        Watch("streaming.stopped", "stream", f"{base}/flow/stream-status", "GET"),
        Watch("streaming.failed", "stream", f"{base}/flow/stream-status", "GET"),
        Watch("call.transcription", "transcription", f"{base}/stt", "GET"),
        Watch("siprec.started", "siprec", f"{base}/siprec", "POST"),
        Watch("siprec.stopped", "siprec", f"{base}/siprec", "POST"),
        Watch("siprec.failed", "siprec", f"{base}/siprec", "POST"),
        Watch("call.recording.saved", "recording", f"{base}/flow/rec-status", "GET"),
    ]


def test_every_start_child_with_no_attributes() -> None:
    effects = run('<Start><Stream url="wss://m.example.com"/><Transcription/><Suppression/>'
                  "<Siprec/><Recording/></Start>")  # fmt: skip
    assert bodies(effects) == [
        ("streaming_start", {"stream_url": "wss://m.example.com"}),
        ("transcription_start", {"transcription_engine": "Google", "transcription_engine_config":
                                 {"transcription_engine": "Google", "language": "en"}}),
        ("suppression_start", {"direction": "inbound", "noise_suppression_engine": "Denoiser"}),
        ("siprec_start", {"siprec_track": "both_tracks"}),
        ("record_start", {"channels": "dual", "format": "mp3"}),
    ]  # fmt: skip
    assert not any(isinstance(e, Watch) for e in effects)


def test_recording_callback_without_completed_has_no_webhook_to_watch() -> None:
    effects = run('<Start><Recording recordingStatusCallback="/r" '
                  'recordingStatusCallbackEvent="in-progress"/></Start>')  # fmt: skip
    assert not any(isinstance(e, Watch) for e in effects)


def test_aicoustics_suppression() -> None:
    effects = run('<Start><Suppression noiseSuppressionEngine="AiCoustics" family="quail" '
                  'size="vf" enhancementLevel="0.5"/></Start>')  # fmt: skip
    assert bodies(effects)[0][1]["noise_suppression_engine_config"] == {
        "family": "quail", "size": "vf_l", "enhancement_level": 0.5,
    }


def test_stop_children_become_stop_commands() -> None:
    effects = run('<Stop><Stream name="s1"/><Transcription/><Suppression/><Siprec name="r"/>'
                  "</Stop>")  # fmt: skip
    assert [(c.action, dict(c.body)) for c in sends(effects)] == [
        ("streaming_stop", {**STATE, "command_id": "id-1"}),
        ("transcription_stop", {**STATE, "command_id": "id-2"}),
        ("suppression_stop", {**STATE, "command_id": "id-3"}),
        ("siprec_stop", {**STATE, "command_id": "id-4"}),
    ]


def test_plan_lists_the_commands() -> None:
    step = step_for('<Start><Siprec connectorName="srs"/></Start>')
    assert step.plan() == [Command("POST", "/calls/{call_control_id}/actions/siprec_start",
                                   {"siprec_track": "both_tracks", "connector_name": "srs",
                                    **STATE})]  # fmt: skip


# --- transcription engines --------------------------------------------------------------------

ENGINE_CASES = [
    ('transcriptionEngine="A" language="fr-FR"',
     {"transcription_engine": "Google", "language": "fr"}),
    ('transcriptionEngine="B" model="openai/whisper-large-v3-turbo" language="de"',
     {"transcription_engine": "Telnyx", "transcription_model": "openai/whisper-large-v3-turbo",
      "language": "de"}),
    ('transcriptionEngine="Deepgram" keyterms="Telnyx" smartFormat="false" interimResults="true"',
     {"transcription_engine": "deepgram/nova-3", "transcription_model": "deepgram/nova-3",
      "language": "en-US", "interim_results": True, "keyterms": ["Telnyx"],
      "smart_format": False}),
    ('transcriptionEngine="Deepgram" model="deepgram/nova-2" hints="a, b" language="sv"',
     {"transcription_engine": "deepgram/nova-2", "transcription_model": "deepgram/nova-2",
      "language": "sv-SE", "hints": ["a", "b"]}),
    ('transcriptionEngine="Azure" region="westeurope" apiKeyRef="az" language="nl-NL"',
     {"transcription_engine": "Azure", "region": "westeurope", "api_key_ref": "az",
      "language": "nl"}),
    ('transcriptionEngine="xAI" model="xai/grok-stt"',
     {"transcription_engine": "xAI", "transcription_model": "xai/grok-stt", "language": "en"}),
    ('transcriptionEngine="AssemblyAI" model="assemblyai/universal-streaming"',
     {"transcription_engine": "AssemblyAI",
      "transcription_model": "assemblyai/universal-streaming"}),
    ('transcriptionEngine="Speechmatics" language="en-GB"',
     {"transcription_engine": "Speechmatics", "language": "en-GB"}),
    ('transcriptionEngine="Soniox" language="it-IT" model="soniox/stt-rt-v4"',
     {"transcription_engine": "Soniox", "transcription_model": "soniox/stt-rt-v4",
      "language": "it"}),
    ('transcriptionEngine="Parakeet" model="nvidia/parakeet-v3"',
     {"transcription_engine": "Parakeet", "transcription_model": "nvidia/parakeet-v3"}),
    ('transcriptionEngine="Humain" language="ar"',
     {"transcription_engine": "Humain", "language": "ar"}),
    ('transcriptionEngine="Reson8" language="fy"',
     {"transcription_engine": "Reson8", "language": "fy"}),
    ('transcriptionEngine="Cohere" language="ja"', {"transcription_engine": "Cohere"}),
]  # fmt: skip


@pytest.mark.parametrize(("attributes", "config"), ENGINE_CASES)
def test_each_engine_gets_its_own_config(attributes: str, config: dict[str, Any]) -> None:
    (command,) = sends(run(f"<Start><Transcription {attributes}/></Start>"))
    assert command.body["transcription_engine_config"] == config


def test_deepgram_models_without_a_config_type_send_the_engine_only() -> None:
    (command,) = sends(run('<Start><Transcription transcriptionEngine="Deepgram" '
                           'model="deepgram/flux"/></Start>'))  # fmt: skip
    assert "transcription_engine_config" not in command.body
    assert command.body["transcription_engine"] == "Deepgram"


def test_azure_needs_a_known_region() -> None:
    assert engine_config("Azure", region="mars-1") == {}


@pytest.mark.parametrize(
    ("language", "allowed", "picked"),
    [("en", ("en-US", "en-GB"), "en-US"), ("en-GB", ("en-US", "en-GB"), "en-GB"),
     ("pt-PT", ("pt", "en"), "pt"), ("xx", ("en",), None), (None, ("en",), None),
     ("zh_TW", ("zh",), "zh")],
)  # fmt: skip
def test_pick_language(language: str | None, allowed: tuple[str, ...], picked: str | None) -> None:
    assert pick_language(language, allowed) == picked


_SDK_CONFIGS = {
    "Google": "transcription_engine_google_config_param.TranscriptionEngineGoogleConfigParam",
    "Telnyx": "transcription_engine_telnyx_config_param.TranscriptionEngineTelnyxConfigParam",
    "Azure": "transcription_engine_azure_config_param.TranscriptionEngineAzureConfigParam",
    "xAI": "transcription_engine_xai_config_param.TranscriptionEngineXaiConfigParam",
    "AssemblyAI": "transcription_engine_assemblyai_config_param."
                  "TranscriptionEngineAssemblyaiConfigParam",
    "Speechmatics": "transcription_engine_speechmatics_config_param."
                    "TranscriptionEngineSpeechmaticsConfigParam",
    "Soniox": "transcription_engine_soniox_config_param.TranscriptionEngineSonioxConfigParam",
    "Parakeet": "transcription_engine_parakeet_config_param.TranscriptionEngineParakeetConfigParam",
    "Humain": "transcription_engine_humain_config_param.TranscriptionEngineHumainConfigParam",
    "Reson8": "transcription_engine_reson8_config_param.TranscriptionEngineReson8ConfigParam",
    "Cohere": "transcription_engine_cohere_config_param.TranscriptionEngineCohereConfigParam",
    "deepgram/nova-2": "deepgram_nova2_config_param.DeepgramNova2ConfigParam",
    "deepgram/nova-3": "deepgram_nova3_config_param.DeepgramNova3ConfigParam",
}  # fmt: skip


def _sdk_values(variant: str, field: str) -> tuple[str, ...]:
    module, name = _SDK_CONFIGS[variant].rsplit(".", 1)
    cls = getattr(importlib.import_module(f"telnyx.types.calls.{module}"), name)
    hints = typing.get_type_hints(cls, include_extras=True)
    return typing.get_args(_unwrap(hints[field])[0]) if field in hints else ()


@pytest.mark.parametrize("variant", sorted(LANGUAGES))
def test_language_tables_match_the_sdk(variant: str) -> None:
    assert LANGUAGES[variant] == _sdk_values(variant, "language")


@pytest.mark.parametrize("variant", sorted(MODELS))
def test_model_tables_match_the_sdk(variant: str) -> None:
    field = "model" if variant == "Google" else "transcription_model"
    assert MODELS[variant] == _sdk_values(variant, field)
