"""Valid examples parse to the expected models.

Every verb and noun (every class in `verbs.ALL_MODELS`) has at least one realistic TeXML snippet
here, written the way the Telnyx docs write them (see the TeXML verb references). Each must parse
with no diagnostics at all into exactly the expected model instance, built in the test with the
Python field names. The comparison is strict about types (`loop="2"` is the int 2, `"true"` the
bool True, `chargeAmount="10.50"` a Decimal, lists are tuples), which plain `==` is not
(`1 == True == 1.0`).

`test_every_model_has_an_example` fails when a model is added without an example here.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

import texml
import verbs
from verbs import (
    AIAssistant, AIGather, Conference, Connect, ConversationRelay, Dial, Enqueue, Gather, Hangup,
    HttpRequest, Language, Leave, Number, Parameter, Pause, Pay, Play, Prompt, Queue, Record,
    Recording, Redirect, Refer, Reject, Response, Say, Sip, Siprec, Start, Stop, Stream,
    Suppression, Transcription,
)  # fmt: skip
from verbs.aigather import (
    AIGatherTranscription, Assistant, Greeting, InterruptionSettings, Message, MessageHistory,
    Parameters, Tool, Tools, Voice,
)  # fmt: skip
from verbs.base import Node
from verbs.http_request import (
    Body, Content, FieldName, FieldValue, Header, HeaderKey, HeaderValue, Headers, HttpResponse,
    Request, ResponseField, ResponseType, StatusCode,
)  # fmt: skip
from verbs.refer import ReferSip
from verbs.start import StopSiprec, StopStream, StopSuppression, StopTranscription

SCHEMA = (
    '{"type": "object", "properties": {"name": {"type": "string", "description": '
    '"the caller\'s name"}, "date": {"type": "string", "description": "the appointment '
    'date"}}, "required": ["name", "date"]}'
)
HANGUP_TOOL = '{"type": "hangup", "hangup": {"description": "Hang up when the caller is done"}}'
TRANSFER_TOOL = (
    '{"type": "transfer", "transfer": {"targets": [{"name": "sales", "to": "+15551234567"}]}}'
)

# (id, the verbs inside <Response>, the expected verbs)
EXAMPLES: list[tuple[str, str, tuple[verbs.Verb, ...]]] = [
    # --- <Say> ---------------------------------------------------------------------------------
    (
        "say-defaults",
        "<Say>Welcome to Telnyx.</Say>",
        (Say(text="Welcome to Telnyx."),),
    ),
    (
        "say-alice-loop",
        '<Say voice="alice" language="en-US" loop="2">Thank you for calling.</Say>',
        (Say(voice="alice", language="en-US", loop=2, text="Thank you for calling."),),
    ),
    (
        "say-azure",
        '<Say voice="Azure.en-US-AvaMultilingualNeural" gender="Female" effect="eq_telecomhp8k" '
        'voiceSpeed="1.5" api_key_ref="azure_tts_key" region="eastus">'
        "Your call is important to us.</Say>",
        (Say(
            voice="Azure.en-US-AvaMultilingualNeural", gender="Female", effect="eq_telecomhp8k",
            voice_speed=1.5, api_key_ref="azure_tts_key", region="eastus",
            text="Your call is important to us.",
        ),),
    ),  # fmt: skip
    (
        "say-telnyx-qwen",
        '<Say voice="Telnyx.Qwen3TTS.Cherry" languageBoost="Spanish" loop="0" '
        'pronunciationDictId="3f6c2a1e-5b7d-4c8e-9f0a-1b2c3d4e5f60">Hola, bienvenido.</Say>',
        (Say(
            voice="Telnyx.Qwen3TTS.Cherry", language_boost="Spanish", loop=0,
            pronunciation_dict_id="3f6c2a1e-5b7d-4c8e-9f0a-1b2c3d4e5f60", text="Hola, bienvenido.",
        ),),
    ),  # fmt: skip
    # --- <Play> --------------------------------------------------------------------------------
    (
        "play-url",
        '<Play loop="3">https://example.com/audio/welcome.mp3</Play>',
        (Play(loop=3, text="https://example.com/audio/welcome.mp3"),),
    ),
    (
        "play-digits",
        '<Play digits="ww1234#"/>',
        (Play(digits="ww1234#"),),
    ),
    (
        "play-ring-tone",
        '<Play ringTone="uk" loop="0"/>',
        (Play(ring_tone="uk", loop=0),),
    ),
    (
        "play-media-storage",
        '<Play mediaStorage="true" failoverUrl="greeting_backup" continueOnError="true">'
        "greeting</Play>",
        (Play(media_storage=True, failover_url="greeting_backup", continue_on_error=True,
              text="greeting"),),
    ),  # fmt: skip
    # --- <Pause> -------------------------------------------------------------------------------
    (
        "pause",
        '<Say>Please wait.</Say><Pause length="5"/><Pause/>',
        (Say(text="Please wait."), Pause(length=5), Pause()),
    ),
    # --- <Gather> ------------------------------------------------------------------------------
    (
        "gather-dtmf-speech",
        '<Gather action="https://example.com/gather_result" input="dtmf speech" timeout="10" '
        'numDigits="4" finishOnKey="*" speechTimeout="auto" transcriptionEngine="deepgram" '
        'model="deepgram/nova-3" keyterms="billing, technical support" profanityFilter="false" '
        'language="en-GB">'
        '<Say voice="alice">Please enter or say your account PIN.</Say>'
        "<Play>https://example.com/audio/beep.mp3</Play>"
        "</Gather>",
        (Gather(
            action="https://example.com/gather_result", input=("dtmf", "speech"), timeout=10,
            num_digits=4, finish_on_key="*", speech_timeout="auto",
            transcription_engine="Deepgram", model="deepgram/nova-3",
            keyterms=("billing", "technical support"), profanity_filter=False, language="en-GB",
            children=(
                Say(voice="alice", text="Please enter or say your account PIN."),
                Play(text="https://example.com/audio/beep.mp3"),
            ),
        ),),
    ),  # fmt: skip
    (
        "gather-digits-azure",
        '<Gather method="GET" actionOnEmptyResult="true" input="speech" speechTimeout="3" '
        'validDigits="123" invalidDigitsAction="https://example.com/invalid" minDigits="1" '
        'maxDigits="3" partialResultCallback="https://example.com/partial" '
        'partialResultCallbackMethod="GET" useEnhanced="true" hints="sales, support, billing" '
        'smartFormat="false" transcriptionEngine="Azure" apiKeyRef="azure_stt_key" '
        'region="eastus"/>',
        (Gather(
            method="GET", action_on_empty_result=True, input=("speech",), speech_timeout=3,
            valid_digits="123", invalid_digits_action="https://example.com/invalid",
            min_digits=1, max_digits=3, partial_result_callback="https://example.com/partial",
            partial_result_callback_method="GET", use_enhanced=True,
            hints=("sales", "support", "billing"), smart_format=False,
            transcription_engine="Azure", api_key_ref="azure_stt_key", region="eastus",
        ),),
    ),  # fmt: skip
    # --- <AIGather> ----------------------------------------------------------------------------
    (
        "aigather-full",
        '<AIGather action="https://example.com/ai_gather_result" method="POST">'
        "<Greeting>Hi! I need a few details to book your appointment.</Greeting>"
        '<Voice name="Telnyx.NaturalHD.Astra" voice_speed="1.2"/>'
        f"<Parameters><![CDATA[{SCHEMA}]]></Parameters>"
        "<MessageHistory>"
        '<Message role="assistant">Hello, how can I help you today?</Message>'
        '<Message role="user">I would like to book an appointment.</Message>'
        "</MessageHistory>"
        '<InterruptionSettings enable="true"/>'
        '<Transcription model="deepgram/nova-3"/>'
        '<Assistant model="openai/gpt-4" api_key_ref="openai_key" '
        'instructions="Be brief and polite.">'
        f"<Tools><Tool><![CDATA[{HANGUP_TOOL}]]></Tool></Tools>"
        "</Assistant>"
        "</AIGather>",
        (AIGather(
            action="https://example.com/ai_gather_result", method="POST",
            children=(
                Greeting(text="Hi! I need a few details to book your appointment."),
                Voice(name="Telnyx.NaturalHD.Astra", voice_speed=1.2),
                Parameters(text=SCHEMA),
                MessageHistory(children=(
                    Message(role="assistant", text="Hello, how can I help you today?"),
                    Message(role="user", text="I would like to book an appointment."),
                )),
                InterruptionSettings(enable=True),
                AIGatherTranscription(model="deepgram/nova-3"),
                Assistant(
                    model="openai/gpt-4", api_key_ref="openai_key",
                    instructions="Be brief and polite.",
                    children=(Tools(children=(Tool(text=HANGUP_TOOL),)),),
                ),
            ),
        ),),
    ),  # fmt: skip
    (
        "aigather-elevenlabs-tools",
        '<AIGather action="https://example.com/ai_gather_result">'
        '<Voice name="ElevenLabs.eleven_multilingual_v2.Rachel" api_key_ref="elevenlabs_key"/>'
        f"<Parameters><![CDATA[{SCHEMA}]]></Parameters>"
        "<Tools>"
        f"<Tool><![CDATA[{HANGUP_TOOL}]]></Tool>"
        f"<Tool><![CDATA[{TRANSFER_TOOL}]]></Tool>"
        "</Tools>"
        "<Greeting/>"
        "</AIGather>",
        (AIGather(
            action="https://example.com/ai_gather_result",
            children=(
                Voice(name="ElevenLabs.eleven_multilingual_v2.Rachel",
                      api_key_ref="elevenlabs_key"),
                Parameters(text=SCHEMA),
                Tools(children=(Tool(text=HANGUP_TOOL), Tool(text=TRANSFER_TOOL))),
                Greeting(),
            ),
        ),),
    ),  # fmt: skip
    # --- <Record> ------------------------------------------------------------------------------
    (
        "record-defaults",
        "<Say>Leave a message after the beep.</Say>"
        '<Record action="https://example.com/voicemail"/>',
        (Say(text="Leave a message after the beep."),
         Record(action="https://example.com/voicemail")),
    ),  # fmt: skip
    (
        "record-full",
        '<Record action="https://example.com/recording_done" method="GET" finishOnKey="#" '
        'timeout="5" maxLength="120" playBeep="false" trim="trim-silence" channels="single" '
        'recordingStatusCallback="https://example.com/recording_status" '
        'recordingStatusCallbackMethod="GET" recordingStatusCallbackEvent="in-progress completed" '
        'transcription="true" transcriptionCallback="https://example.com/transcription" '
        'transcriptionEngine="deepgram" transcriptionModel="deepgram/nova-3" '
        'transcriptionLanguage="en-GB" format="wav"/>',
        (Record(
            action="https://example.com/recording_done", method="GET", finish_on_key="#",
            timeout=5, max_length=120, play_beep=False, trim="trim-silence", channels="single",
            recording_status_callback="https://example.com/recording_status",
            recording_status_callback_method="GET",
            recording_status_callback_event=("in-progress", "completed"),
            transcription=True, transcription_callback="https://example.com/transcription",
            transcription_engine="Deepgram", transcription_model="deepgram/nova-3",
            transcription_language="en-GB", format="wav",
        ),),
    ),  # fmt: skip
    # --- <Hangup>, <Reject>, <Redirect> --------------------------------------------------------
    (
        "hangup",
        "<Say>Goodbye.</Say><Hangup/>",
        (Say(text="Goodbye."), Hangup()),
    ),
    (
        "reject",
        '<Reject reason="busy"/>',
        (Reject(reason="busy"),),
    ),
    (
        "reject-default",
        "<Reject/>",
        (Reject(),),
    ),
    (
        "redirect",
        '<Redirect method="GET">https://example.com/next.xml</Redirect>',
        (Redirect(method="GET", text="https://example.com/next.xml"),),
    ),
    # --- <Refer> -------------------------------------------------------------------------------
    (
        "refer",
        '<Refer action="https://example.com/refer_result" method="GET">'
        "<Sip>sip:john@example.com</Sip>"
        "</Refer>",
        (Refer(action="https://example.com/refer_result", method="GET",
               children=(ReferSip(text="sip:john@example.com"),)),),
    ),  # fmt: skip
    # --- <HttpRequest> -------------------------------------------------------------------------
    (
        "http-request",
        '<HttpRequest async="false" action="https://example.com/greet_caller.xml">'
        '<Request url="https://api.example.com/contacts/lookup" method="POST">'
        "<Headers>"
        "<Header><Key>Authorization</Key>"
        "<Value>Bearer {{#secret}}crm_token{{/secret}}</Value></Header>"
        "<Header><Key>Content-Type</Key><Value>application/json</Value></Header>"
        "</Headers>"
        '<Body><![CDATA[{"number": "{{From}}"}]]></Body>'
        "</Request>"
        "<Response>"
        "<Type>JSON</Type>"
        "<StatusCode>200</StatusCode>"
        "<Content>"
        "<Field><Name>contact.name.first</Name><Value>caller_name</Value></Field>"
        "<Field><Name>records[0].Id</Name><Value>record_id</Value></Field>"
        "</Content>"
        "</Response>"
        "</HttpRequest>",
        (HttpRequest(
            async_=False, action="https://example.com/greet_caller.xml",
            children=(
                Request(
                    url="https://api.example.com/contacts/lookup", method="POST",
                    children=(
                        Headers(children=(
                            Header(children=(
                                HeaderKey(text="Authorization"),
                                HeaderValue(text="Bearer {{#secret}}crm_token{{/secret}}"),
                            )),
                            Header(children=(
                                HeaderKey(text="Content-Type"),
                                HeaderValue(text="application/json"),
                            )),
                        )),
                        Body(text='{"number": "{{From}}"}'),
                    ),
                ),
                HttpResponse(children=(
                    ResponseType(text="JSON"),
                    StatusCode(text="200"),
                    Content(children=(
                        ResponseField(children=(
                            FieldName(text="contact.name.first"), FieldValue(text="caller_name"),
                        )),
                        ResponseField(children=(
                            FieldName(text="records[0].Id"), FieldValue(text="record_id"),
                        )),
                    )),
                )),
            ),
        ),),
    ),  # fmt: skip
    (
        "http-request-async-get",
        '<HttpRequest async="true">'
        '<Request url="https://api.example.com/notify?call={{CallSid}}" method="GET"/>'
        "</HttpRequest>",
        (HttpRequest(async_=True, children=(
            Request(url="https://api.example.com/notify?call={{CallSid}}", method="GET"),
        )),),
    ),  # fmt: skip
    # --- <Pay> ---------------------------------------------------------------------------------
    (
        "pay-charge",
        '<Pay paymentConnector="stripe_connector" chargeAmount="10.50" currency="usd" '
        'paymentMethod="credit-card" transactionType="charge" description="Order 1234" '
        'maxAttempts="2" timeout="10" interDigitTimeout="3" voice="male" language="en-US" '
        'action="https://example.com/pay_done" method="GET" '
        'statusCallback="https://example.com/pay_status" statusCallbackMethod="GET" '
        "metadata='{\"order_id\": \"1234\"}'>"
        '<Prompt for="payment-card-number" attempt="1 2">'
        "<Say>Please enter your card number.</Say></Prompt>"
        '<Prompt for="payment-card-number" errorType="invalid-card-number" cardType="amex visa">'
        '<Say>That card number is not valid.</Say><Pause length="1"/></Prompt>'
        '<Prompt for="expiration-date"><Play>https://example.com/audio/expiry.mp3</Play></Prompt>'
        '<Parameter name="customer_id" value="cus_123"/>'
        "</Pay>",
        (Pay(
            payment_connector="stripe_connector", charge_amount=Decimal("10.50"), currency="USD",
            payment_method="credit-card", transaction_type="charge", description="Order 1234",
            max_attempts=2, timeout=10, inter_digit_timeout=3, voice="male", language="en-US",
            action="https://example.com/pay_done", method="GET",
            status_callback="https://example.com/pay_status", status_callback_method="GET",
            metadata='{"order_id": "1234"}',
            children=(
                Prompt(for_="payment-card-number", attempt=(1, 2),
                       children=(Say(text="Please enter your card number."),)),
                Prompt(for_="payment-card-number", error_type=("invalid-card-number",),
                       card_type=("amex", "visa"),
                       children=(Say(text="That card number is not valid."), Pause(length=1))),
                Prompt(for_="expiration-date",
                       children=(Play(text="https://example.com/audio/expiry.mp3"),)),
                Parameter(name="customer_id", value="cus_123"),
            ),
        ),),
    ),  # fmt: skip
    (
        "pay-ach-tokenize",
        "<Pay paymentMethod=\"ach-debit\" parameters='{\"mode\": \"test\"}' "
        'paymentToken="tok_123" serviceLevel="premium">'
        '<Prompt for="bank-routing-number"><Say>Enter your routing number.</Say></Prompt>'
        '<Parameter name="account_holder" value="Jane Doe"/>'
        '<Parameter name="note"/>'
        "</Pay>",
        (Pay(
            payment_method="ach-debit", parameters='{"mode": "test"}', payment_token="tok_123",
            children=(
                Prompt(for_="bank-routing-number",
                       children=(Say(text="Enter your routing number."),)),
                Parameter(name="account_holder", value="Jane Doe"),
                Parameter(name="note"),
            ),
        ),),
    ),  # fmt: skip
    # --- <Dial> --------------------------------------------------------------------------------
    (
        "dial-bare-number",
        "<Dial>+15551234567</Dial>",
        (Dial(text="+15551234567"),),
    ),
    (
        "dial-number-sip",
        '<Dial action="https://example.com/dial_done" method="GET" callerId="+15550001111" '
        'fromDisplayName="Support Line" hangupOnStar="true" timeout="20" timeLimit="600" '
        'record="record-from-answer-dual" recordingChannels="dual" recordMaxLength="300" '
        'recordingStatusCallback="https://example.com/recording" '
        'recordingStatusCallbackMethod="GET" recordingStatusCallbackEvent="in-progress completed" '
        'sendRecordingUrl="false" ringTone="de" answerOnBridge="true" sequential="true" '
        'passDiversionHeader="true" machineDetectionSpeechThreshold="2400" '
        'machineDetectionSpeechEndThreshold="1200" machineDetectionSilenceTimeout="5000">'
        '<Number statusCallback="https://example.com/number_status" '
        'statusCallbackEvent="initiated ringing answered amd completed" '
        'statusCallbackMethod="GET" url="https://example.com/whisper.xml" method="GET" '
        'sendDigits="ww1234" machineDetection="DetectMessageEnd" detectionMode="Premium" '
        'machineDetectionTimeout="5000" amdStatusCallback="https://example.com/amd" '
        'amdStatusCallbackMethod="GET" sipRegion="Europe">+15551234567</Number>'
        '<Sip username="alice" password="s3cret" machineDetection="Enable" '
        'detectionMode="PremiumCallScreening" machineDetectionPromptEndTimeout="3000" '
        'sipRegion="Middle East">sip:alice@example.sip.telnyx.com</Sip>'
        "</Dial>",
        (Dial(
            action="https://example.com/dial_done", method="GET", caller_id="+15550001111",
            from_display_name="Support Line", hangup_on_star=True, timeout=20, time_limit=600,
            record="record-from-answer-dual", recording_channels="dual", record_max_length=300,
            recording_status_callback="https://example.com/recording",
            recording_status_callback_method="GET",
            recording_status_callback_event=("in-progress", "completed"),
            send_recording_url=False, ring_tone="de", answer_on_bridge=True, sequential=True,
            pass_diversion_header=True, machine_detection_speech_threshold=2400,
            machine_detection_speech_end_threshold=1200, machine_detection_silence_timeout=5000,
            children=(
                Number(
                    status_callback="https://example.com/number_status",
                    status_callback_event=("initiated", "ringing", "answered", "amd", "completed"),
                    status_callback_method="GET", url="https://example.com/whisper.xml",
                    method="GET", send_digits="ww1234", machine_detection="DetectMessageEnd",
                    detection_mode="Premium", machine_detection_timeout=5000,
                    amd_status_callback="https://example.com/amd",
                    amd_status_callback_method="GET", sip_region="Europe", text="+15551234567",
                ),
                Sip(
                    username="alice", password="s3cret", machine_detection="Enable",
                    detection_mode="PremiumCallScreening",
                    machine_detection_prompt_end_timeout=3000, sip_region="Middle East",
                    text="sip:alice@example.sip.telnyx.com",
                ),
            ),
        ),),
    ),  # fmt: skip
    (
        "dial-conference",
        '<Dial action="https://example.com/left_conference">'
        '<Conference muted="false" startConferenceOnEnter="true" endConferenceOnExit="true" '
        'maxParticipants="10" beep="onEnter" participantLabel="agent-7" '
        'record="record-from-start" recordBeep="false" '
        'recordingStatusCallback="https://example.com/conf_recording" '
        'recordingStatusCallbackMethod="GET" '
        'recordingStatusCallbackEvent="in-progress completed absent" recordingTimeout="30" '
        'trim="trim-silence" sendRecordingUrl="false" '
        'statusCallback="https://example.com/conf_status" statusCallbackMethod="GET" '
        'statusCallbackEvent="start end join leave speaker" '
        'waitUrl="https://example.com/hold_music.mp3" waitMethod="GET">Room1234</Conference>'
        "</Dial>",
        (Dial(action="https://example.com/left_conference", children=(
            Conference(
                muted=False, start_conference_on_enter=True, end_conference_on_exit=True,
                max_participants=10, beep="onEnter", participant_label="agent-7",
                record="record-from-start", record_beep=False,
                recording_status_callback="https://example.com/conf_recording",
                recording_status_callback_method="GET",
                recording_status_callback_event=("in-progress", "completed", "absent"),
                recording_timeout=30, trim="trim-silence", send_recording_url=False,
                status_callback="https://example.com/conf_status",
                status_callback_method="GET",
                status_callback_event=("start", "end", "join", "leave", "speaker"),
                wait_url="https://example.com/hold_music.mp3", wait_method="GET",
                text="Room1234",
            ),
        )),),
    ),  # fmt: skip
    (
        "dial-conference-beep-false",
        '<Dial><Conference beep="false" startConferenceOnEnter="false">'
        "Moderated</Conference></Dial>",
        (Dial(children=(
            Conference(beep=False, start_conference_on_enter=False, text="Moderated"),
        )),),
    ),  # fmt: skip
    (
        "dial-queue",
        '<Dial><Queue url="https://example.com/about_to_connect.xml" method="GET">'
        "support</Queue></Dial>",
        (Dial(children=(
            Queue(url="https://example.com/about_to_connect.xml", method="GET", text="support"),
        )),),
    ),  # fmt: skip
    # --- <Enqueue>, <Leave> --------------------------------------------------------------------
    (
        "enqueue",
        '<Enqueue action="https://example.com/queue_result" method="GET" '
        'waitUrl="https://example.com/wait.xml" waitUrlMethod="GET" maxWaitTimeSecs="300">'
        "support</Enqueue>",
        (Enqueue(action="https://example.com/queue_result", method="GET",
                 wait_url="https://example.com/wait.xml", wait_url_method="GET",
                 max_wait_time_secs=300, text="support"),),
    ),  # fmt: skip
    (
        "leave",
        "<Say>You are being moved to voicemail.</Say><Leave/>",
        (Say(text="You are being moved to voicemail."), Leave()),
    ),
    # --- <Start> -------------------------------------------------------------------------------
    (
        "start-everything",
        "<Start>"
        '<Stream url="wss://example.com/media" name="call_audio" track="both_tracks" codec="PCMA" '
        'bidirectionalMode="rtp" bidirectionalCodec="G722" bidirectionalSamplingRate="16000" '
        'statusCallback="https://example.com/stream_status" statusCallbackMethod="GET" '
        'enableReconnect="false">'
        '<Parameter name="customer" value="acme"/>'
        "</Stream>"
        '<Transcription language="en" transcriptionEngine="Deepgram" model="deepgram/nova-3" '
        'keyterms="Telnyx, TeXML" transcriptionTracks="both" '
        'transcriptionCallback="https://example.com/transcription" '
        'transcriptionCallbackMethod="GET" smartFormat="false"/>'
        '<Suppression direction="both" noiseSuppressionEngine="Krisp" '
        'model="krisp-viva-tel-v2.kef" suppressionLevel="80.5"/>'
        '<Siprec connectorName="siprec_srs" name="compliance" track="inbound_track" '
        'statusCallback="https://example.com/siprec_status" statusCallbackMethod="GET" '
        'includeMetadataCustomHeaders="true" secure="true" sessionTimeoutSecs="900">'
        '<Parameter name="agent_id" value="42"/>'
        "</Siprec>"
        '<Recording recordingStatusCallback="/recording_status" '
        'recordingStatusCallbackMethod="GET" '
        'recordingStatusCallbackEvent="in-progress completed absent" channels="mono" '
        'track="inbound" trim="trim-silence" format="wav"/>'
        "</Start>"
        "<Say>This call is recorded.</Say>",
        (Start(children=(
            Stream(
                url="wss://example.com/media", name="call_audio", track="both_tracks",
                codec="PCMA", bidirectional_mode="rtp", bidirectional_codec="G722",
                bidirectional_sampling_rate=16000,
                status_callback="https://example.com/stream_status",
                status_callback_method="GET", enable_reconnect=False,
                children=(Parameter(name="customer", value="acme"),),
            ),
            Transcription(
                language="en", transcription_engine="Deepgram", model="deepgram/nova-3",
                keyterms=("Telnyx", "TeXML"), transcription_tracks="both",
                transcription_callback="https://example.com/transcription",
                transcription_callback_method="GET", smart_format=False,
            ),
            Suppression(direction="both", noise_suppression_engine="Krisp",
                        model="krisp-viva-tel-v2.kef", suppression_level=80.5),
            Siprec(
                connector_name="siprec_srs", name="compliance", track="inbound_track",
                status_callback="https://example.com/siprec_status",
                status_callback_method="GET", include_metadata_custom_headers=True, secure=True,
                session_timeout_secs=900, children=(Parameter(name="agent_id", value="42"),),
            ),
            Recording(
                recording_status_callback="/recording_status",
                recording_status_callback_method="GET",
                recording_status_callback_event=("in-progress", "completed", "absent"),
                channels="mono", track="inbound", trim="trim-silence", format="wav",
            ),
        )), Say(text="This call is recorded.")),
    ),  # fmt: skip
    (
        "start-legacy-engine-aicoustics",
        "<Start>"
        '<Transcription interimResults="true" transcriptionEngine="A" language="en-US"/>'
        '<Suppression noiseSuppressionEngine="AiCoustics" family="quail" size="vf" '
        'enhancementLevel="0.5"/>'
        '<Siprec connectorName="siprec_srs" sessionTimeoutSecs="0"/>'
        "</Start>",
        (Start(children=(
            Transcription(interim_results=True, transcription_engine="A", language="en-US"),
            Suppression(noise_suppression_engine="AiCoustics", family="quail", size="vf",
                        enhancement_level=0.5),
            Siprec(connector_name="siprec_srs", session_timeout_secs=0),
        )),),
    ),  # fmt: skip
    (
        "start-azure-transcription",
        '<Start><Transcription transcriptionEngine="azure" region="eastus" '
        'apiKeyRef="azure_stt_key" hints="Telnyx, TeXML" language="fr-FR"/></Start>',
        (Start(children=(
            Transcription(transcription_engine="Azure", region="eastus",
                          api_key_ref="azure_stt_key", hints=("Telnyx", "TeXML"),
                          language="fr-FR"),
        )),),
    ),  # fmt: skip
    # --- <Stop> --------------------------------------------------------------------------------
    (
        "stop-everything",
        '<Stop><Stream name="call_audio"/><Transcription/><Suppression/>'
        '<Siprec name="compliance"/></Stop>',
        (Stop(children=(
            StopStream(name="call_audio"), StopTranscription(), StopSuppression(),
            StopSiprec(name="compliance"),
        )),),
    ),  # fmt: skip
    (
        "stop-stream-bare",
        "<Stop><Stream/></Stop>",
        (Stop(children=(StopStream(),)),),
    ),
    # --- <Connect> -----------------------------------------------------------------------------
    (
        "connect-conversation-relay",
        '<Connect action="https://example.com/relay_done" method="GET">'
        '<ConversationRelay url="wss://relay.example.com/ws" welcomeGreeting="Hi! How can I help?" '
        'voice="Telnyx.NaturalHD.astra" language="en" transcriptionProvider="deepgram" '
        'interruptible="speech" welcomeGreetingInterruptible="false" dtmfDetection="true" '
        'backgroundAudioType="media_url" backgroundAudioValue="https://example.com/office.mp3">'
        '<Language code="fr-FR" ttsProvider="telnyx" voice="Telnyx.NaturalHD.astra" '
        'transcriptionProvider="deepgram" speechModel="nova-2"/>'
        '<Language code="es-ES" ttsProvider="google" voice="es-ES-Standard-A" '
        'transcriptionProvider="google" backgroundAudioType="media_url" '
        'backgroundAudioValue="https://example.com/oficina.mp3"/>'
        '<Parameter name="customer_name" value="Jane"/>'
        "</ConversationRelay>"
        "</Connect>",
        (Connect(action="https://example.com/relay_done", method="GET", children=(
            ConversationRelay(
                url="wss://relay.example.com/ws", welcome_greeting="Hi! How can I help?",
                voice="Telnyx.NaturalHD.astra", language="en", transcription_provider="deepgram",
                interruptible="speech", welcome_greeting_interruptible="none",
                dtmf_detection=True, background_audio_type="media_url",
                background_audio_value="https://example.com/office.mp3",
                children=(
                    Language(code="fr-FR", tts_provider="telnyx", voice="Telnyx.NaturalHD.astra",
                             transcription_provider="deepgram", speech_model="nova-2"),
                    Language(code="es-ES", tts_provider="google", voice="es-ES-Standard-A",
                             transcription_provider="google", background_audio_type="media_url",
                             background_audio_value="https://example.com/oficina.mp3"),
                    Parameter(name="customer_name", value="Jane"),
                ),
            ),
        )),),
    ),  # fmt: skip
    (
        "connect-ai-assistant",
        '<Connect action="https://example.com/assistant_done">'
        '<AIAssistant id="assistant-2a8a3c8f-1b2c-4d5e-8f90-123456789abc"/>'
        "</Connect>",
        (Connect(action="https://example.com/assistant_done", children=(
            AIAssistant(id="assistant-2a8a3c8f-1b2c-4d5e-8f90-123456789abc"),
        )),),
    ),  # fmt: skip
    (
        "connect-ai-assistant-join",
        '<Connect><AIAssistant join="conv_8a1f" participantName="Supervisor" '
        'participantRole="assistant"/></Connect>',
        (Connect(children=(
            AIAssistant(join="conv_8a1f", participant_name="Supervisor",
                        participant_role="assistant"),
        )),),
    ),  # fmt: skip
    (
        "connect-stream",
        '<Connect><Stream url="wss://bot.example.com/audio" bidirectionalMode="mp3">'
        '<Parameter name="lang" value="en"/></Stream></Connect>',
        (Connect(children=(
            Stream(url="wss://bot.example.com/audio", bidirectional_mode="mp3",
                   children=(Parameter(name="lang", value="en"),)),
        )),),
    ),  # fmt: skip
]


def _document(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  {body}\n</Response>\n'


def _assert_same(actual: Any, expected: Any, path: str) -> None:
    """Equal, and of the same type all the way down (so 1 is not True and "2" is not 2)."""
    assert type(actual) is type(expected), f"{path}: {actual!r} is not a {type(expected).__name__}"
    if isinstance(expected, Node):
        for name in type(expected).model_fields:
            if name in ("line", "column"):
                continue
            _assert_same(getattr(actual, name), getattr(expected, name), f"{path}.{name}")
    elif isinstance(expected, tuple):
        assert len(actual) == len(expected), f"{path}: {actual!r} != {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            _assert_same(a, e, f"{path}[{i}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"
        if isinstance(expected, Decimal):
            assert str(actual) == str(expected), f"{path}: {actual!r} != {expected!r}"


@pytest.mark.parametrize(
    ("body", "expected"), [pytest.param(b, e, id=i) for i, b, e in EXAMPLES]
)  # fmt: skip
def test_valid_example_parses_to_expected_models(
    body: str, expected: tuple[verbs.Verb, ...]
) -> None:
    doc = texml.parse(_document(body), filename="example.xml")
    assert doc.diagnostics == ()
    assert doc.verbs == expected
    _assert_same(Response(children=doc.verbs), Response(children=expected), "Response")


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.child_nodes:
        yield from _walk(child)


def test_every_model_has_an_example() -> None:
    covered = {
        type(node)
        for _, _, expected in EXAMPLES
        for node in _walk(Response(children=expected))
    }  # fmt: skip
    missing = sorted(cls.__name__ for cls in verbs.ALL_MODELS if cls not in covered)
    assert not missing, f"models without a valid example in this file: {missing}"


def test_example_ids_are_unique() -> None:
    ids = [i for i, _, _ in EXAMPLES]
    assert len(ids) == len(set(ids))
