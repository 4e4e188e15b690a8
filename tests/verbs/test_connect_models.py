"""The call-connecting verbs and nouns: Dial's nouns, Enqueue/Leave, Start/Stop, Connect."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from verbs.base import Node, Text, Verb
from verbs.connect import AIAssistant, Connect, ConversationRelay, Language
from verbs.dial import Conference, Dial, Number, Queue, Sip
from verbs.parameter import Parameter
from verbs.queue import Enqueue, Leave
from verbs.start import (
    Recording, Siprec, Start, Stop, StopSiprec, StopStream, StopSuppression, StopTranscription,
    Stream, Suppression, Transcription,
)  # fmt: skip


def build(model: type[Node], /, **values: Any) -> Any:
    return model.model_validate(values)


def fails(model: type[Node], /, **values: Any) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(values)
    return str(info.value)


def lints(node: Node) -> list[str | None]:
    return [w.attribute for w in node.lint()]


WSS = "wss://media.example.com/stream"
NUMBER = Number(text="+15551234567")
SIP = Sip(text="sip:alice@example.com")
CONFERENCE = Conference(text="room")
QUEUE = Queue(text="support")
STREAM = Stream(url=WSS)
ASSISTANT = AIAssistant(id="assistant-1")


# --- XML attribute names: exactly TeXML's ---

XML_ATTRS = {
    Sip: {
        "username", "password", "statusCallback", "statusCallbackEvent", "statusCallbackMethod",
        "url", "method", "machineDetection", "detectionMode", "machineDetectionTimeout",
        "machineDetectionPromptEndTimeout", "sipRegion",
        # As on <Number>: the docs also send the AMD result here (spec §1.5).
        "amdStatusCallback", "amdStatusCallbackMethod",
    },
    Conference: {
        "muted", "startConferenceOnEnter", "endConferenceOnExit", "maxParticipants", "beep",
        "participantLabel", "record", "recordBeep", "recordingStatusCallback",
        "recordingStatusCallbackMethod", "recordingStatusCallbackEvent", "recordingTimeout",
        "trim", "sendRecordingUrl", "statusCallback", "statusCallbackMethod",
        "statusCallbackEvent", "waitUrl", "waitMethod",
    },
    Queue: {"url", "method"},
    Enqueue: {"action", "method", "waitUrl", "waitUrlMethod", "maxWaitTimeSecs"},
    Leave: set(),
    Start: set(),
    Stop: set(),
    Stream: {
        "url", "track", "name", "codec", "bidirectionalMode", "bidirectionalCodec",
        "bidirectionalSamplingRate", "statusCallback", "statusCallbackMethod", "enableReconnect",
    },
    StopStream: {"name"},
    Transcription: {
        "language", "interimResults", "transcriptionEngine", "transcriptionTracks",
        "transcriptionCallback", "transcriptionCallbackMethod", "model", "hints", "keyterms",
        "smartFormat", "apiKeyRef", "region",
    },
    StopTranscription: set(),
    Suppression: {
        "direction", "noiseSuppressionEngine", "model", "suppressionLevel", "family", "size",
        "enhancementLevel",
    },
    StopSuppression: set(),
    Siprec: {
        "connectorName", "name", "track", "statusCallback", "statusCallbackMethod",
        "includeMetadataCustomHeaders", "secure", "sessionTimeoutSecs",
    },
    StopSiprec: {"name"},
    Recording: {
        "recordingStatusCallback", "recordingStatusCallbackMethod",
        "recordingStatusCallbackEvent", "channels", "track", "trim", "format",
    },
    Connect: {"action", "method"},
    ConversationRelay: {
        "url", "welcomeGreeting", "voice", "language", "transcriptionProvider", "interruptible",
        "welcomeGreetingInterruptible", "dtmfDetection", "backgroundAudioType",
        "backgroundAudioValue",
    },
    Language: {
        "code", "ttsProvider", "voice", "transcriptionProvider", "speechModel",
        "backgroundAudioType", "backgroundAudioValue",
    },
    AIAssistant: {"id", "join", "participantName", "participantRole"},
}


@pytest.mark.parametrize("model", list(XML_ATTRS), ids=lambda m: m.__name__)
def test_xml_attribute_names(model: type[Node]) -> None:
    assert set(model.XML_ATTRS) == XML_ATTRS[model]


@pytest.mark.parametrize("model", list(XML_ATTRS), ids=lambda m: m.__name__)
def test_twiml_attrs_are_not_texml_attrs(model: type[Node]) -> None:
    assert not set(model.TWIML_ATTRS) & set(model.XML_ATTRS)
    for spelling in model.TWIML_ATTRS.values():
        assert spelling.hint
        assert spelling.maps_to is None or spelling.maps_to in model.model_fields


def test_tags_text_and_kinds() -> None:
    verbs = {Dial, Enqueue, Leave, Start, Stop, Connect}
    for model in XML_ATTRS:
        assert issubclass(model, Verb) == (model in verbs), model
    assert {m.TAG for m in (Stream, StopStream)} == {"Stream"}
    assert {m.TAG for m in (Transcription, StopTranscription)} == {"Transcription"}
    assert {m.TAG for m in (Suppression, StopSuppression)} == {"Suppression"}
    assert {m.TAG for m in (Siprec, StopSiprec)} == {"Siprec"}
    assert Sip.TEXT is Conference.TEXT is Queue.TEXT is Text.REQUIRED
    assert Enqueue.TEXT is Text.OPTIONAL
    assert Leave.TEXT is Stream.TEXT is Connect.TEXT is AIAssistant.TEXT is Text.NONE


# --- <Sip> ---


def test_sip_from_strings() -> None:
    sip = build(
        Sip, username="u", password="p", statusCallback="/cb",
        statusCallbackEvent="initiated amd dtmf", statusCallbackMethod="get", url="/whisper",
        method="GET", machineDetection="DetectMessageEnd", detectionMode="PremiumCallScreening",
        machineDetectionTimeout="5000", machineDetectionPromptEndTimeout="2000",
        sipRegion="Middle East", text="sips:bob@example.com;transport=tls",
    )  # fmt: skip
    assert sip.status_callback_event == ("initiated", "amd", "dtmf")
    assert sip.status_callback_method == "GET"
    assert sip.machine_detection_timeout == 5000
    assert sip.machine_detection_prompt_end_timeout == 2000
    assert sip.sip_region == "Middle East"
    assert sip.text == "sips:bob@example.com;transport=tls"
    assert sip.lint() == []


def test_sip_defaults() -> None:
    sip = build(Sip, text="SIP:alice@example.com")
    assert (sip.username, sip.password, sip.url, sip.status_callback) == (None,) * 4
    assert sip.status_callback_event == ("completed",)
    assert sip.method == sip.status_callback_method == "POST"
    assert sip.machine_detection == "Disable"
    assert sip.detection_mode == "Regular"
    assert sip.machine_detection_timeout == 3500
    assert sip.sip_region == "US"
    assert sip.xml_attributes() == {}


@pytest.mark.parametrize("values", [
    {"text": "alice@example.com"},
    {"text": "+15551234567"},
    {"text": ""},
    {},
    {"text": "sip:a@b", "machineDetectionTimeout": "499"},
    {"text": "sip:a@b", "machineDetectionPromptEndTimeout": "120001"},
    {"text": "sip:a@b", "statusCallbackEvent": "initiated bogus"},
    {"text": "sip:a@b", "sendDigits": "123"},
    {"text": "sip:a@b", "sipRegion": "Asia"},
])  # fmt: skip
def test_sip_invalid(values: dict[str, Any]) -> None:
    fails(Sip, **values)


def test_sip_lints_password_without_username() -> None:
    assert lints(build(Sip, password="p", text="sip:a@b")) == ["password"]


def test_sip_twiml_attrs() -> None:
    assert "sendDigits" in Sip.TWIML_ATTRS
    assert "machineDetectionSpeechThreshold" in Sip.TWIML_ATTRS


# --- <Conference> ---


def test_conference_from_strings() -> None:
    conf = build(
        Conference, muted="true", startConferenceOnEnter="false", endConferenceOnExit="TRUE",
        maxParticipants="2", beep="onExit", participantLabel="agent", record="record-from-start",
        recordBeep="false", recordingStatusCallback="/rec", recordingStatusCallbackMethod="GET",
        recordingStatusCallbackEvent="in-progress completed absent", recordingTimeout="14400",
        trim="trim-silence", sendRecordingUrl="false", statusCallback="/conf",
        statusCallbackMethod="GET", statusCallbackEvent="start end join leave speaker",
        waitUrl="/wait", waitMethod="get", text="sales",
    )  # fmt: skip
    assert conf.muted is True and conf.start_conference_on_enter is False
    assert conf.end_conference_on_exit is True
    assert conf.max_participants == 2
    assert conf.beep == "onExit"
    assert conf.record == "record-from-start" and conf.record_beep is False
    assert conf.recording_status_callback_event == ("in-progress", "completed", "absent")
    assert conf.recording_timeout == 14400
    assert conf.status_callback_event == ("start", "end", "join", "leave", "speaker")
    assert conf.wait_method == "GET"
    assert conf.text == "sales"
    assert conf.lint() == []


def test_conference_defaults() -> None:
    fails(Conference)
    conf = build(Conference, text="room")
    assert conf.muted is False
    assert conf.start_conference_on_enter is True
    assert conf.end_conference_on_exit is False
    assert conf.max_participants == 250
    assert conf.beep is True
    assert conf.participant_label is None
    assert conf.record == "do-not-record"
    assert conf.record_beep is True
    assert conf.recording_status_callback_event == ("completed",)
    assert conf.recording_timeout == 0
    assert conf.trim == "do-not-trim"
    assert conf.send_recording_url is True
    assert conf.status_callback_event == ()
    assert conf.wait_url is None
    assert conf.wait_method == conf.status_callback_method == "POST"
    assert conf.xml_attributes() == {}


@pytest.mark.parametrize("beep, expected", [
    ("true", True), ("False", False), ("onEnter", "onEnter"), ("onExit", "onExit"),
])  # fmt: skip
def test_conference_beep(beep: str, expected: object) -> None:
    assert build(Conference, beep=beep, text="r").beep == expected


@pytest.mark.parametrize("values", [
    {"text": ""},
    {"text": None},
    {"maxParticipants": "1"},
    {"maxParticipants": "251"},
    {"beep": "sometimes"},
    {"record": "record-from-answer"},
    {"recordingTimeout": "14401"},
    {"trim": "trim"},
    {"statusCallbackEvent": "start mute"},
    {"participantLabel": "x" * 129},
    {"coach": "v3:abc"},
])  # fmt: skip
def test_conference_invalid(values: dict[str, Any]) -> None:
    fails(Conference, **{"text": "room", **values})


def test_conference_lints() -> None:
    assert lints(build(Conference, statusCallbackEvent="join", text="r")) == ["statusCallbackEvent"]
    assert lints(build(Conference, recordingStatusCallback="/r", text="r")) == [
        "recordingStatusCallback"
    ]


def test_conference_twiml_attrs() -> None:
    twiml = set(Conference.TWIML_ATTRS)
    assert {"coach", "jitterBufferSize", "region", "eventCallbackUrl"} <= twiml


# --- <Queue> ---


def test_queue() -> None:
    queue = build(Queue, url="/about-to-connect", method="get", text="support")
    assert (queue.url, queue.method, queue.text) == ("/about-to-connect", "GET", "support")
    default = build(Queue, text="support")
    assert (default.url, default.method) == (None, "POST")
    fails(Queue)
    fails(Queue, text="")
    fails(Queue, text="q", method="PUT")
    assert {"reservationSid", "postWorkActivitySid"} <= set(Queue.TWIML_ATTRS)


# --- <Dial> with every noun ---


def test_dial_children() -> None:
    assert Dial.CHILDREN == {"Number": Number, "Sip": Sip, "Conference": Conference, "Queue": Queue}
    dial = build(Dial, children=(NUMBER, SIP, Number(text="+15557654321")))
    assert dial.children == (NUMBER, SIP, Number(text="+15557654321"))
    for alone in (CONFERENCE, QUEUE):
        assert build(Dial, action="/after", children=(alone,)).children == (alone,)


@pytest.mark.parametrize("children", [
    (CONFERENCE, NUMBER),
    (SIP, QUEUE),
    (CONFERENCE, CONFERENCE),
    (QUEUE, CONFERENCE),
])  # fmt: skip
def test_dial_conference_or_queue_alone(children: tuple[Node, ...]) -> None:
    assert "must be the only noun" in fails(Dial, children=children)


def test_dial_still_checks_destinations() -> None:
    fails(Dial)
    fails(Dial, text="+15551234567", children=(CONFERENCE,))
    fails(Dial, children=(Parameter(name="x"),))


def test_dial_lints() -> None:
    conf = build(Dial, record="record-from-answer", hangupOnStar="true", children=(CONFERENCE,))
    assert lints(conf) == ["record", "hangupOnStar"]
    assert "Conference record" in conf.lint()[0].hint
    assert lints(build(Dial, record="record-from-answer", children=(QUEUE,))) == ["record"]
    sip = build(Dial, record="record-from-answer", hangupOnStar="true", children=(SIP,))
    assert lints(sip) == []
    assert lints(build(Dial, children=(CONFERENCE,))) == []


# --- <Enqueue>, <Leave> ---


def test_enqueue_from_strings() -> None:
    enqueue = build(
        Enqueue, action="/done", method="GET", waitUrl="/wait", waitUrlMethod="get",
        maxWaitTimeSecs="60", text="support",
    )  # fmt: skip
    assert enqueue.max_wait_time_secs == 60
    assert (enqueue.method, enqueue.wait_url_method) == ("GET", "GET")
    assert enqueue.text == "support"
    assert enqueue.lint() == []


def test_enqueue_defaults_and_empty_name() -> None:
    enqueue = build(Enqueue)
    assert (enqueue.action, enqueue.wait_url, enqueue.text) == (None, None, None)
    assert enqueue.method == enqueue.wait_url_method == "POST"
    assert enqueue.max_wait_time_secs == 14400
    assert lints(enqueue) == [None]
    assert lints(build(Enqueue, text="  ")) == [None]


@pytest.mark.parametrize("values", [
    {"maxWaitTimeSecs": "0"}, {"maxWaitTimeSecs": "soon"}, {"waitUrlMethod": "PUT"},
    {"workflowSid": "WW1"}, {"children": ()},
])  # fmt: skip
def test_enqueue_invalid(values: dict[str, Any]) -> None:
    fails(Enqueue, text="q", **values)


def test_enqueue_twiml_attrs() -> None:
    assert {"workflowSid", "maxQueueSize"} <= set(Enqueue.TWIML_ATTRS)


def test_leave() -> None:
    assert build(Leave) == Leave()
    fails(Leave, text="x")
    fails(Leave, action="/x")


# --- <Stream> ---


def test_stream_from_strings() -> None:
    stream = build(
        Stream, url="ws://localhost:8080/audio", track="both_tracks", name="fork",
        codec="AMR-WB", bidirectionalMode="rtp", bidirectionalCodec="G722",
        bidirectionalSamplingRate="16000", statusCallback="/stream", statusCallbackMethod="get",
        enableReconnect="false", children=(Parameter(name="a", value="1"), Parameter(name="b")),
    )  # fmt: skip
    assert stream.track == "both_tracks"
    assert stream.codec == "AMR-WB"
    assert stream.bidirectional_sampling_rate == 16000
    assert stream.enable_reconnect is False
    assert [p.name for p in stream.children] == ["a", "b"]
    assert stream.lint() == []
    assert stream.xml_attributes()["bidirectionalSamplingRate"] == "16000"


def test_stream_defaults() -> None:
    stream = build(Stream, url=WSS)
    assert stream.track == "inbound_track"
    assert stream.name is None
    assert stream.codec == "default"
    assert stream.bidirectional_mode == "mp3"
    assert stream.bidirectional_codec == "PCMU"
    assert stream.bidirectional_sampling_rate == 8000
    assert stream.status_callback_method == "POST"
    assert stream.enable_reconnect is True
    assert stream.children == ()
    assert stream.xml_attributes() == {"url": WSS}
    assert Stream.CHILDREN == {"Parameter": Parameter}


@pytest.mark.parametrize("values", [
    {},
    {"url": "https://example.com/stream"},
    {"url": "example.com"},
    {"url": WSS, "track": "inbound"},
    {"url": WSS, "codec": "G729"},
    {"url": WSS, "bidirectionalMode": "pcm"},
    {"url": WSS, "bidirectionalSamplingRate": "44100"},
    {"url": WSS, "enableReconnect": "yes"},
    {"url": WSS, "connectorName": "c"},
    {"url": WSS, "children": (NUMBER,)},
])  # fmt: skip
def test_stream_invalid(values: dict[str, Any]) -> None:
    fails(Stream, **values)


def test_stream_lints_codec_without_rtp() -> None:
    assert lints(build(Stream, url=WSS, bidirectionalCodec="PCMA")) == ["bidirectionalCodec"]
    assert "connectorName" in Stream.TWIML_ATTRS


# --- <Transcription> ---


def test_transcription_from_strings() -> None:
    t = build(
        Transcription, language="de", interimResults="true", transcriptionEngine="google",
        transcriptionTracks="both", transcriptionCallback="/t", transcriptionCallbackMethod="GET",
        model="phone_call", apiKeyRef="key", region="eu",
    )  # fmt: skip
    assert t.transcription_engine == "Google"
    assert t.interim_results is True
    assert t.transcription_tracks == "both"
    assert t.transcription_callback_method == "GET"
    assert t.lint() == []


def test_transcription_defaults() -> None:
    t = build(Transcription)
    assert t.language == "en"
    assert t.interim_results is False
    assert t.transcription_engine == "Google"
    assert t.transcription_tracks == "inbound"
    assert t.transcription_callback is None
    assert t.transcription_callback_method == "POST"
    assert (t.model, t.hints, t.keyterms, t.api_key_ref, t.region) == (None,) * 5
    assert t.smart_format is True
    assert t.xml_attributes() == {}


@pytest.mark.parametrize("given, canonical, engine", [
    ("a", "A", "Google"), ("B", "B", "Telnyx"), ("DEEPGRAM", "Deepgram", "Deepgram"),
    ("xai", "xAI", "xAI"), ("reson8", "Reson8", "Reson8"),
])  # fmt: skip
def test_transcription_engines(given: str, canonical: str, engine: str) -> None:
    t = build(Transcription, transcriptionEngine=given)
    assert (t.transcription_engine, t.engine) == (canonical, engine)


def test_transcription_lists() -> None:
    t = build(Transcription, transcriptionEngine="Deepgram", model="deepgram/nova-2",
              hints="sales, support")
    assert t.hints == ("sales", "support")
    t = build(Transcription, transcriptionEngine="Deepgram", keyterms="Telnyx,TeXML")
    assert t.keyterms == ("Telnyx", "TeXML")
    assert t.lint() == []


@pytest.mark.parametrize("values", [
    {"transcriptionEngine": "Whisper"},
    {"transcriptionEngine": "C"},
    {"transcriptionTracks": "inbound_track"},
    {"interimResults": "1"},
    {"transcriptionCallbackMethod": "PUT"},
    {"transcriptionEngine": "Azure"},
    {"transcriptionEngine": "azure", "region": ""},
    {"statusCallbackUrl": "/t"},
])  # fmt: skip
def test_transcription_invalid(values: dict[str, Any]) -> None:
    fails(Transcription, **values)


def test_transcription_azure_with_region() -> None:
    assert build(Transcription, transcriptionEngine="Azure", region="eastus").region == "eastus"


@pytest.mark.parametrize("values, attributes", [
    ({"interimResults": "true", "transcriptionEngine": "Telnyx"}, ["interimResults"]),
    ({"interimResults": "true", "transcriptionEngine": "A"}, []),
    ({"transcriptionEngine": "Telnyx", "model": "deepgram/nova-3"}, ["model"]),
    ({"transcriptionEngine": "Telnyx", "model": "openai/whisper-large-v3-turbo"}, []),
    ({"transcriptionEngine": "Deepgram", "hints": "a"}, ["hints"]),
    ({"transcriptionEngine": "Google", "keyterms": "a"}, ["keyterms"]),
    ({"transcriptionEngine": "Google", "smartFormat": "false"}, ["smartFormat"]),
])  # fmt: skip
def test_transcription_lints(values: dict[str, Any], attributes: list[str]) -> None:
    assert lints(build(Transcription, **values)) == attributes


def test_transcription_twiml_attrs() -> None:
    twiml = Transcription.TWIML_ATTRS
    assert twiml["partialResults"].maps_to == "interim_results"
    assert twiml["languageCode"].maps_to == "language"
    assert twiml["statusCallbackUrl"].maps_to == "transcription_callback"
    assert twiml["track"].maps_to is None
    assert twiml["speechModel"].maps_to is None
    assert "transcriptionTracks" in twiml["track"].hint


# --- <Suppression> ---


def test_suppression_from_strings() -> None:
    krisp = build(
        Suppression, direction="both", noiseSuppressionEngine="Krisp",
        model="krisp-viva-pro-v1.kef", suppressionLevel="55.5",
    )  # fmt: skip
    assert krisp.direction == "both"
    assert krisp.suppression_level == 55.5
    assert krisp.lint() == []
    ai = build(Suppression, noiseSuppressionEngine="AiCoustics", family="quail", size="vf",
               enhancementLevel="0.25")
    assert (ai.family, ai.size, ai.enhancement_level) == ("quail", "vf", 0.25)
    assert ai.lint() == []


def test_suppression_defaults() -> None:
    s = build(Suppression)
    assert s.direction == "inbound"
    assert s.noise_suppression_engine == "Denoiser"
    assert (s.model, s.suppression_level) == (None, None)
    assert (s.family, s.size, s.enhancement_level) == ("sparrow", "s", 0.8)
    assert s.xml_attributes() == {}
    assert s.lint() == []


@pytest.mark.parametrize("values", [
    {"direction": "inbound_track"},
    {"noiseSuppressionEngine": "RNNoise"},
    {"model": "krisp-other.kef"},
    {"suppressionLevel": "100.1"},
    {"suppressionLevel": "-1"},
    {"enhancementLevel": "1.5"},
    {"family": "robin"},
    {"size": "m"},
    {"size": "vf"},
    {"size": "vf", "family": "sparrow"},
])  # fmt: skip
def test_suppression_invalid(values: dict[str, Any]) -> None:
    fails(Suppression, **values)


def test_suppression_lints_engine_specific_attributes() -> None:
    assert lints(build(Suppression, model="krisp-viva-ss-v1.kef", suppressionLevel="10")) == [
        "model", "suppressionLevel",
    ]  # fmt: skip
    assert lints(build(Suppression, noiseSuppressionEngine="Krisp", family="sparrow")) == ["family"]
    assert lints(build(Suppression, noiseSuppressionEngine="AiCoustics",
                       suppressionLevel="10", size="l")) == ["suppressionLevel"]


# --- <Siprec> ---


def test_siprec_from_strings() -> None:
    s = build(
        Siprec, connectorName="srs", name="rec1", track="inbound_track", statusCallback="/s",
        statusCallbackMethod="GET", includeMetadataCustomHeaders="true", secure="true",
        sessionTimeoutSecs="90", children=(Parameter(name="k", value="v"),),
    )  # fmt: skip
    assert s.include_metadata_custom_headers is True and s.secure is True
    assert s.session_timeout_secs == 90
    assert s.children == (Parameter(name="k", value="v"),)
    assert s.lint() == []
    assert Siprec.CHILDREN == {"Parameter": Parameter}


def test_siprec_defaults() -> None:
    s = build(Siprec, connectorName="srs")
    assert s.name is None
    assert s.track == "both_tracks"
    assert s.status_callback_method == "POST"
    assert s.include_metadata_custom_headers is False and s.secure is False
    assert s.session_timeout_secs == 1800
    assert build(Siprec, connectorName="srs", sessionTimeoutSecs="0").session_timeout_secs == 0
    longest = build(Siprec, connectorName="srs", sessionTimeoutSecs="14440")
    assert longest.session_timeout_secs == 14440


@pytest.mark.parametrize("values", [
    {"sessionTimeoutSecs": "89"},
    {"sessionTimeoutSecs": "1"},
    {"sessionTimeoutSecs": "14441"},
    {"sessionTimeoutSecs": "-1"},
    {"track": "both"},
    {"secure": "yes"},
])  # fmt: skip
def test_siprec_invalid(values: dict[str, Any]) -> None:
    fails(Siprec, connectorName="srs", **values)


def test_siprec_lints_missing_connector() -> None:
    assert lints(build(Siprec)) == ["connectorName"]


# --- <Recording> ---


def test_recording() -> None:
    r = build(
        Recording, recordingStatusCallback="/r", recordingStatusCallbackMethod="GET",
        recordingStatusCallbackEvent="in-progress completed", channels="mono", track="inbound",
        trim="trim-silence", format="wav",
    )  # fmt: skip
    assert r.recording_status_callback_event == ("in-progress", "completed")
    assert (r.channels, r.track, r.trim, r.format) == ("mono", "inbound", "trim-silence", "wav")
    d = build(Recording)
    assert d.recording_status_callback is None
    assert d.recording_status_callback_method == "POST"
    assert d.recording_status_callback_event == ("completed",)
    assert (d.channels, d.track, d.trim, d.format) == ("dual", "both", None, "mp3")
    for values in ({"channels": "stereo"}, {"track": "both_tracks"}, {"format": "ogg"},
                   {"recordingStatusCallbackEvent": "started"}):
        fails(Recording, **values)


# --- <Start>, <Stop> ---


def test_start() -> None:
    children = (
        STREAM, Transcription(), Suppression(), Siprec(connector_name="srs"), Recording(),
    )  # fmt: skip
    assert build(Start, children=children).children == children
    assert set(Start.CHILDREN) == {"Stream", "Transcription", "Suppression", "Siprec", "Recording"}
    assert "action" in Start.TWIML_ATTRS


@pytest.mark.parametrize("values", [
    {}, {"children": ()}, {"children": (StopStream(),)}, {"children": (NUMBER,)},
    {"action": "/x", "children": (STREAM,)},
])  # fmt: skip
def test_start_invalid(values: dict[str, Any]) -> None:
    fails(Start, **values)


def test_stop_nouns() -> None:
    for model in (StopStream, StopTranscription, StopSuppression, StopSiprec):
        assert build(model).xml_attributes() == {}
    assert build(StopStream, name="fork").name == "fork"
    assert build(StopSiprec, name="rec1").name == "rec1"
    fails(StopStream, url=WSS)
    fails(StopTranscription, language="en")
    fails(StopSuppression, direction="both")
    fails(StopSiprec, connectorName="srs")
    assert "name" in StopTranscription.TWIML_ATTRS


def test_stop() -> None:
    children = (StopStream(name="fork"), StopTranscription(), StopSuppression(), StopSiprec())
    assert build(Stop, children=children).children == children
    assert Stop.CHILDREN == {
        "Stream": StopStream, "Transcription": StopTranscription,
        "Suppression": StopSuppression, "Siprec": StopSiprec,
    }  # fmt: skip


@pytest.mark.parametrize("values", [
    {}, {"children": ()}, {"children": (STREAM,)}, {"children": (Recording(),)},
])  # fmt: skip
def test_stop_invalid(values: dict[str, Any]) -> None:
    fails(Stop, **values)


# --- <Connect> and its nouns ---


@pytest.mark.parametrize("child", [STREAM, ConversationRelay(url=WSS), ASSISTANT])
def test_connect_one_child(child: Node) -> None:
    connect = build(Connect, action="/after", method="get", children=(child,))
    assert (connect.action, connect.method, connect.children) == ("/after", "GET", (child,))
    assert build(Connect, children=(child,)).method == "POST"


@pytest.mark.parametrize("children", [
    (), (STREAM, ASSISTANT), (ASSISTANT, ASSISTANT), (NUMBER,), (Language(code="en"),),
])  # fmt: skip
def test_connect_invalid(children: tuple[Node, ...]) -> None:
    fails(Connect, children=children)


def test_connect_lints_action_with_stream() -> None:
    assert lints(build(Connect, action="/a", children=(STREAM,))) == ["action"]
    assert lints(build(Connect, action="/a", children=(ASSISTANT,))) == []
    assert lints(build(Connect, children=(STREAM,))) == []


def test_conversation_relay_from_strings() -> None:
    languages = (
        Language.model_validate({
            "code": "fr", "ttsProvider": "google", "voice": "fr-FR-Standard-A",
            "transcriptionProvider": "deepgram", "speechModel": "nova-2",
            "backgroundAudioType": "media_url", "backgroundAudioValue": "https://a/b.mp3",
        }),
        Language(code="en"),
    )
    relay = build(
        ConversationRelay, url=WSS, welcomeGreeting="Hi", voice="Telnyx.NaturalHD.astra",
        language="en", transcriptionProvider="deepgram", interruptible="speech",
        welcomeGreetingInterruptible="false", dtmfDetection="true",
        backgroundAudioType="media_url", backgroundAudioValue="https://a/office.mp3",
        children=(*languages, Parameter(name="customer", value="42")),
    )  # fmt: skip
    assert relay.interruptible == "speech"
    assert relay.welcome_greeting_interruptible == "none"
    assert relay.dtmf_detection is True
    assert relay.children[0].tts_provider == "google"
    assert relay.children[0].speech_model == "nova-2"
    assert relay.lint() == []
    assert ConversationRelay.CHILDREN == {"Language": Language, "Parameter": Parameter}


def test_conversation_relay_defaults() -> None:
    relay = build(ConversationRelay, url=WSS)
    assert (relay.welcome_greeting, relay.voice, relay.language) == (None, None, None)
    assert relay.transcription_provider is None
    assert relay.interruptible == relay.welcome_greeting_interruptible == "any"
    assert relay.dtmf_detection is False
    assert (relay.background_audio_type, relay.background_audio_value) == (None, None)
    assert relay.xml_attributes() == {"url": WSS}
    assert build(ConversationRelay, interruptible="TRUE", url=WSS).interruptible == "any"


@pytest.mark.parametrize("values", [
    {"url": "https://relay.example.com"},
    {"interruptible": "always"},
    {"welcomeGreetingInterruptible": "yes"},
    {"dtmfDetection": "on"},
    {"backgroundAudioType": "media_url"},
    {"backgroundAudioValue": "https://a/b.mp3"},
    {"backgroundAudioType": "url", "backgroundAudioValue": "https://a/b.mp3"},
    {"ttsProvider": "google"},
    {"children": (STREAM,)},
])  # fmt: skip
def test_conversation_relay_invalid(values: dict[str, Any]) -> None:
    fails(ConversationRelay, **{"url": WSS, **values})


def test_conversation_relay_lints_missing_url() -> None:
    assert lints(build(ConversationRelay)) == ["url"]
    assert "ttsLanguage" in ConversationRelay.TWIML_ATTRS


def test_language_invalid() -> None:
    fails(Language)
    fails(Language, code="")
    fails(Language, code="en", backgroundAudioType="media_url")
    fails(Language, code="en", ttsLanguage="en")


def test_ai_assistant() -> None:
    a = build(AIAssistant, id="assistant-123")
    assert (a.id, a.join, a.participant_name, a.participant_role) == (
        "assistant-123", None, None, "user",
    )  # fmt: skip
    assert a.lint() == []
    j = build(AIAssistant, join="conv-1", participantName="Supervisor", participantRole="assistant")
    assert (j.join, j.participant_name, j.participant_role) == ("conv-1", "Supervisor", "assistant")
    assert j.lint() == []


def test_ai_assistant_invalid() -> None:
    assert "needs id" in fails(AIAssistant)
    fails(AIAssistant, id="")
    fails(AIAssistant, id="a", participantRole="agent")
    fails(AIAssistant, id="a", text="hello")


def test_ai_assistant_lints() -> None:
    assert lints(build(AIAssistant, id="a", join="c")) == ["id"]
    assert lints(build(AIAssistant, id="a", participantName="n", participantRole="user")) == [
        "participantName", "participantRole",
    ]  # fmt: skip
