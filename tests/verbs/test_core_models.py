"""The models of <AIGather>, <Record>, <Hangup>, <Reject>, <Redirect>, <Refer>, <HttpRequest>
and <Pay> (spec: texml-verbs-core.md §5-§12), built from XML-like string values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from verbs.aigather import (
    AIGather,
    AIGatherTranscription,
    Assistant,
    Greeting,
    InterruptionSettings,
    Message,
    MessageHistory,
    Parameters,
    Tool,
    Tools,
    Voice,
)
from verbs.hangup import Hangup, Reject
from verbs.http_request import (
    Body,
    Content,
    FieldName,
    FieldValue,
    Header,
    HeaderKey,
    HeaderValue,
    Headers,
    HttpRequest,
    HttpResponse,
    Request,
    ResponseField,
    ResponseType,
    StatusCode,
)
from verbs.parameter import Parameter
from verbs.pay import Pay, Prompt
from verbs.pause import Pause
from verbs.record import Record
from verbs.redirect import Redirect
from verbs.refer import Refer, ReferSip
from verbs.say import Say

SCHEMA = '{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}'

# Exact TeXML attribute names per element, as the spec spells them.
XML_ATTRS = {
    AIGather: {"action", "method"},
    Greeting: set(),
    Voice: {"name", "api_key_ref", "voice_speed"},
    Parameters: set(),
    MessageHistory: set(),
    Message: {"role"},
    Tools: set(),
    Tool: set(),
    InterruptionSettings: {"enable"},
    AIGatherTranscription: {"model"},
    Assistant: {"model", "api_key_ref", "instructions"},
    Record: {
        "action", "method", "finishOnKey", "timeout", "maxLength", "playBeep", "trim", "channels",
        "recordingStatusCallback", "recordingStatusCallbackMethod", "recordingStatusCallbackEvent",
        "transcription", "transcriptionCallback", "transcriptionEngine", "transcriptionModel",
        "transcriptionLanguage", "format",
    },
    Hangup: set(),
    Reject: {"reason"},
    Redirect: {"method"},
    Refer: {"action", "method"},
    ReferSip: set(),
    HttpRequest: {"async", "action"},
    Request: {"url", "method", "async"},
    Headers: set(),
    Header: set(),
    HeaderKey: set(),
    HeaderValue: set(),
    Body: set(),
    HttpResponse: set(),
    ResponseType: set(),
    StatusCode: set(),
    Content: set(),
    ResponseField: set(),
    FieldName: set(),
    FieldValue: set(),
    Pay: {
        "action", "method", "statusCallback", "statusCallbackMethod", "paymentConnector",
        "chargeAmount", "currency", "paymentToken", "paymentMethod", "transactionType",
        "description", "maxAttempts", "timeout", "interDigitTimeout", "voice", "language",
        "serviceLevel", "parameters", "prompts", "metadata",
    },
    Prompt: {"for", "attempt", "cardType", "errorType"},
}  # fmt: skip


@pytest.mark.parametrize("model", list(XML_ATTRS), ids=lambda m: m.__name__)
def test_xml_attrs_are_texml_spellings(model):
    assert set(model.XML_ATTRS) == XML_ATTRS[model]


def test_tags_and_verbs():
    assert AIGatherTranscription.TAG == "Transcription"
    assert HttpResponse.TAG == "Response"
    assert ReferSip.TAG == "Sip"
    assert (HeaderKey.TAG, HeaderValue.TAG, FieldName.TAG, FieldValue.TAG, ResponseField.TAG) == (
        "Key", "Value", "Name", "Value", "Field",
    )  # fmt: skip
    verbs = {AIGather, Record, Hangup, Reject, Redirect, Refer, HttpRequest, Pay}
    for model in XML_ATTRS:
        assert model.IS_VERB is (model in verbs), model.__name__


# --- <AIGather> ------------------------------------------------------------------------------


def parameters() -> Parameters:
    return Parameters.model_validate({"text": SCHEMA})


def test_aigather_children():
    voice = Voice.model_validate({"name": "Telnyx.NaturalHD.Orion", "voice_speed": "1.5"})
    assert voice.voice_speed == 1.5 and voice.api_key_ref is None
    default_voice = Voice.model_validate({})
    assert (default_voice.name, default_voice.voice_speed) == ("Telnyx.NaturalHD.Astra", 1.0)
    assert Voice.model_validate({"name": "ElevenLabs.m.v", "api_key_ref": "k"}).api_key_ref == "k"

    assert Greeting.model_validate({"text": "Hi"}).text == "Hi"
    assert Greeting.model_validate({}).text is None
    assert parameters().json_schema["required"] == ["name"]

    history = MessageHistory.model_validate({"children": (
        Message.model_validate({"role": "assistant", "text": "Hello"}),
        Message.model_validate({"role": "user", "text": "Hi"}),
    )})  # fmt: skip
    assert [m.role for m in history.children] == ["assistant", "user"]

    tool = Tool.model_validate({"text": '{"type": "hangup", "hangup": {"description": "bye"}}'})
    tools = Tools.model_validate({"children": (tool,)})
    assert tools.children[0].definition["type"] == "hangup"
    assert InterruptionSettings.model_validate({"enable": "false"}).enable is False
    assert InterruptionSettings.model_validate({}).enable is None
    transcription = AIGatherTranscription.model_validate({"model": "distil-whisper"})
    assert transcription.model == "distil-whisper"
    assistant = Assistant.model_validate(
        {"model": "openai/gpt-4", "api_key_ref": "k", "instructions": "Be brief",
         "children": (tools,)}
    )
    assert (assistant.model, assistant.api_key_ref) == ("openai/gpt-4", "k")
    assert assistant.children == (tools,)


def test_aigather():
    gather = AIGather.model_validate({
        "action": "https://example.com/done", "method": "get", "children": (
            Greeting.model_validate({"text": "Hi"}), Voice.model_validate({}), parameters(),
        ),
    })  # fmt: skip
    assert gather.method == "GET"
    assert gather.parameters == parameters()
    assert gather.lint() == []
    assert AIGather.model_validate({"children": (parameters(),)}).method == "POST"
    assert AIGather.model_validate({"children": (parameters(),)}).lint()[0].attribute == "action"


def test_aigather_invalid():
    with pytest.raises(ValidationError, match="needs a <Parameters>"):
        AIGather.model_validate({"children": (Greeting.model_validate({"text": "Hi"}),)})
    with pytest.raises(ValidationError, match="repeated: <Parameters>"):
        AIGather.model_validate({"children": (parameters(), parameters())})
    with pytest.raises(ValidationError):
        AIGather.model_validate({"method": "PUT", "children": (parameters(),)})
    with pytest.raises(ValidationError, match="JSON object"):
        Parameters.model_validate({"text": "{not json"})
    with pytest.raises(ValidationError, match="JSON object"):
        Parameters.model_validate({"text": "[1, 2]"})
    with pytest.raises(ValidationError, match="JSON object"):
        Tool.model_validate({"text": '"hangup"'})
    for speed in ("0", "2.5"):
        with pytest.raises(ValidationError):
            Voice.model_validate({"voice_speed": speed})
    with pytest.raises(ValidationError):
        Voice.model_validate({"voiceSpeed": "1"})  # TeXML spells it voice_speed here
    with pytest.raises(ValidationError):
        Message.model_validate({"role": "system", "text": "x"})
    with pytest.raises(ValidationError):
        InterruptionSettings.model_validate({"enable": "yes"})


def test_aigather_lint():
    assert [lint.attribute for lint in Voice.model_validate(
        {"name": "Polly.Joanna", "api_key_ref": "k", "voice_speed": "1.2"}
    ).lint()] == ["api_key_ref", "voice_speed"]  # fmt: skip
    assert Voice.model_validate({"name": "Joanna"}).lint()[0].attribute == "name"
    assert Parameters.model_validate({"text": '{"type": "object"}'}).lint()



def test_tool_needs_a_voice_api_tool_type():
    # The Voice API refuses a tool without one, so the document is invalid, not merely odd.
    with pytest.raises(ValidationError, match='needs a "type"'):
        Tool.model_validate({"text": "{}"})
    with pytest.raises(ValidationError, match='settings under "hangup"'):
        Tool.model_validate({"text": '{"type": "hangup"}'})
    tool = Tool.model_validate({"text": '{"type": "hangup", "hangup": {"description": "bye"}}'})
    assert tool.definition["type"] == "hangup"


# --- <Record> --------------------------------------------------------------------------------


def test_record_defaults():
    record = Record.model_validate({})
    assert record.method == "POST"
    assert record.finish_on_key == "1234567890*#"
    assert (record.timeout, record.max_length, record.play_beep) == (0, 3600, True)
    assert (record.trim, record.channels, record.format) == (None, "dual", "mp3")
    assert record.recording_status_callback_event == ("completed",)
    assert (record.transcription, record.transcription_engine) == (False, "A")
    assert (record.transcription_model, record.transcription_language) == (None, "en-US")
    assert record.lint() == []


def test_record_from_strings():
    record = Record.model_validate({
        "action": "/done", "method": "get", "finishOnKey": "#", "timeout": "5", "maxLength": "0",
        "playBeep": "false", "trim": "trim-silence", "channels": "single",
        "recordingStatusCallback": "/rec", "recordingStatusCallbackMethod": "GET",
        "recordingStatusCallbackEvent": "in-progress completed", "transcription": "true",
        "transcriptionCallback": "/tx", "transcriptionEngine": "deepgram",
        "transcriptionModel": "deepgram/nova-3", "transcriptionLanguage": "de", "format": "wav",
    })  # fmt: skip
    assert (record.method, record.timeout, record.max_length) == ("GET", 5, 0)
    assert record.play_beep is False
    assert record.recording_status_callback_event == ("in-progress", "completed")
    assert (record.transcription, record.transcription_engine) == (True, "Deepgram")
    assert record.xml_attributes()["transcriptionEngine"] == "Deepgram"
    assert record.lint() == []


@pytest.mark.parametrize("attrs", [
    {"maxLength": "14401"}, {"maxLength": "-1"}, {"timeout": "-1"}, {"finishOnKey": "a"},
    {"trim": "yes"}, {"channels": "stereo"}, {"format": "ogg"}, {"playBeep": "1"},
    {"recordingStatusCallbackEvent": "started"}, {"transcriptionEngine": "Google"},
    {"method": "PUT"}, {"transcribe": "true"},
])  # fmt: skip
def test_record_invalid(attrs):
    with pytest.raises(ValidationError):
        Record.model_validate(attrs)


def test_record_model_must_match_engine():
    with pytest.raises(ValidationError, match='transcriptionEngine="Deepgram"'):
        Record.model_validate({"transcriptionModel": "deepgram/nova-2"})
    with pytest.raises(ValidationError, match="needs a Deepgram transcriptionModel"):
        Record.model_validate({"transcriptionEngine": "Deepgram", "transcriptionModel": "google/x"})


def test_record_twiml():
    assert Record.TWIML_ATTRS["transcribe"].maps_to == "transcription"
    assert Record.TWIML_ATTRS["transcribeCallback"].maps_to == "transcription_callback"
    # TwiML values: accepted, reported.
    record = Record.model_validate(
        {"trim": "do-not-trim", "recordingStatusCallback": "/r",
         "recordingStatusCallbackEvent": "absent"}
    )
    assert {lint.attribute for lint in record.lint()} == {"trim", "recordingStatusCallbackEvent"}
    [lint] = Record.model_validate({"transcriptionCallback": "/tx"}).lint()
    assert lint.attribute == "transcriptionCallback"


# --- <Hangup>, <Reject>, <Redirect> ------------------------------------------------------------


def test_hangup_reject():
    assert Hangup.model_validate({}) == Hangup()
    assert Reject.model_validate({}).reason == "rejected"
    assert Reject.model_validate({"reason": "busy"}).reason == "busy"


def test_hangup_reject_invalid():
    with pytest.raises(ValidationError):
        Hangup.model_validate({"reason": "busy"})
    with pytest.raises(ValidationError):
        Reject.model_validate({"reason": "Busy"})


def test_redirect():
    redirect = Redirect.model_validate({"text": "https://example.com/next"})
    assert (redirect.method, redirect.text) == ("POST", "https://example.com/next")
    assert Redirect.model_validate({"method": "get", "text": "/next"}).method == "GET"
    with pytest.raises(ValidationError):
        Redirect.model_validate({"text": ""})
    with pytest.raises(ValidationError):
        Redirect.model_validate({"method": "DELETE", "text": "/next"})


# --- <Refer> ---------------------------------------------------------------------------------


def test_refer():
    sip = ReferSip.model_validate({"text": "sip:john@example.com"})
    refer = Refer.model_validate({"action": "/after", "children": (sip,)})
    assert (refer.method, refer.target) == ("POST", "sip:john@example.com")
    assert ReferSip.model_validate({"text": "SIPS:a@b.example"}).text == "SIPS:a@b.example"


def test_refer_invalid():
    with pytest.raises(ValidationError, match="sip: or sips:"):
        ReferSip.model_validate({"text": "+15551234567"})
    with pytest.raises(ValidationError, match="needs a <Sip>"):
        Refer.model_validate({})
    sip = ReferSip.model_validate({"text": "sip:a@b.example"})
    with pytest.raises(ValidationError, match="single <Sip>"):
        Refer.model_validate({"children": (sip, sip)})
    with pytest.raises(ValidationError):
        Refer.model_validate({"method": "PUT", "children": (sip,)})


# --- <HttpRequest> ---------------------------------------------------------------------------


def header(key: str, value: str) -> Header:
    return Header.model_validate({"children": (
        HeaderKey.model_validate({"text": key}), HeaderValue.model_validate({"text": value}),
    )})  # fmt: skip


def field(path: str, variable: str) -> ResponseField:
    return ResponseField.model_validate({"children": (
        FieldName.model_validate({"text": path}), FieldValue.model_validate({"text": variable}),
    )})  # fmt: skip


def test_http_request():
    request = Request.model_validate({
        "url": "https://api.example.com/contacts", "method": "post", "children": (
            Headers.model_validate({"children": (header("Content-Type", "application/json"),)}),
            Body.model_validate({"text": '{"n": "{{From}}"}'}),
        ),
    })  # fmt: skip
    assert (request.method, request.async_, request.body) == ("POST", None, '{"n": "{{From}}"}')
    assert [(h.key, h.value) for h in request.headers] == [("Content-Type", "application/json")]
    response = HttpResponse.model_validate({"children": (
        ResponseType.model_validate({"text": "JSON"}),
        StatusCode.model_validate({"text": "200"}),
        Content.model_validate({"children": (field("contact.name.first", "caller_name"),)}),
    )})  # fmt: skip
    assert response.children[1].code == 200
    assert [(f.path, f.variable) for f in response.fields] == [
        ("contact.name.first", "caller_name"),
    ]

    verb = HttpRequest.model_validate(
        {"async": "false", "action": "/next", "children": (request, response)}
    )
    assert (verb.async_, verb.is_async) == (False, False)
    assert (verb.request, verb.response) == (request, response)
    assert verb.lint() == []
    assert HttpRequest.model_validate({"children": (request,)}).async_ is False
    assert Request.model_validate({"url": "https://x.example"}).method is None


def test_http_request_async_on_request():
    request = Request.model_validate({"url": "https://x.example", "async": "true"})
    assert request.async_ is True
    assert request.lint()[0].attribute == "async"
    verb = HttpRequest.model_validate({"action": "/next", "children": (request,)})
    assert verb.is_async is True
    assert [lint.attribute for lint in verb.lint()] == ["action"]


def test_http_request_invalid():
    request = Request.model_validate({"url": "https://x.example"})
    with pytest.raises(ValidationError, match="needs a <Request>"):
        HttpRequest.model_validate({})
    with pytest.raises(ValidationError, match="at most one of: <Request>"):
        HttpRequest.model_validate({"children": (request, request)})
    with pytest.raises(ValidationError):
        HttpRequest.model_validate({"async": "maybe", "children": (request,)})
    with pytest.raises(ValidationError):
        Request.model_validate({"method": "GET"})  # url is required
    with pytest.raises(ValidationError):
        Request.model_validate({"url": "https://x.example", "method": "PATCH"})
    with pytest.raises(ValidationError, match="exactly one <Key> and one <Value>"):
        Header.model_validate({"children": (HeaderKey.model_validate({"text": "A"}),)})
    with pytest.raises(ValidationError, match="exactly one <Name> and one <Value>"):
        ResponseField.model_validate({"children": (FieldValue.model_validate({"text": "a"}),)})
    for code in ("20", "600", "OK"):
        with pytest.raises(ValidationError):
            StatusCode.model_validate({"text": code})
    with pytest.raises(ValidationError):
        FieldName.model_validate({"text": ""})


def test_http_response_lint():
    assert ResponseType.model_validate({"text": "XML"}).lint()
    assert ResponseType.model_validate({"text": "json"}).lint() == []
    assert FieldValue.model_validate({"text": "caller name"}).lint()
    assert set(HttpResponse.TOLERATED_CHILDREN) == {"Headers", "Body"}


# --- <Pay> -----------------------------------------------------------------------------------


def test_pay_defaults():
    pay = Pay.model_validate({})
    assert (pay.action, pay.method, pay.status_callback_method) == (None, "POST", "POST")
    assert (pay.payment_connector, pay.charge_amount, pay.currency) == ("Default", None, "USD")
    assert (pay.payment_method, pay.transaction_type, pay.effective_transaction_type) == (
        "credit-card", None, "tokenize",
    )  # fmt: skip
    assert (pay.max_attempts, pay.timeout, pay.inter_digit_timeout) == (1, 5, 5)
    assert (pay.voice, pay.language, pay.service_level) == ("female", "en-US", "premium")
    assert pay.lint() == []


def test_pay_from_strings():
    say = Say.model_validate({"text": "Enter your card number"})
    prompt = Prompt.model_validate({
        "for": "payment-card-number", "attempt": "2 3", "cardType": "amex visa",
        "errorType": "timeout invalid-card-number", "children": (say, Pause.model_validate({})),
    })  # fmt: skip
    assert (prompt.for_, prompt.attempt) == ("payment-card-number", (2, 3))
    assert prompt.card_type == ("amex", "visa")
    assert prompt.error_type == ("timeout", "invalid-card-number")
    pay = Pay.model_validate({
        "action": "/paid", "statusCallback": "/progress", "chargeAmount": "10.50",
        "currency": "usd",
        "maxAttempts": "3", "timeout": "600", "interDigitTimeout": "1", "transactionType": "charge",
        "parameters": '{"a": "1", "b": "2"}', "metadata": '{"order": 7}',
        "children": (prompt, Parameter.model_validate({"name": "b", "value": "3"})),
    })  # fmt: skip
    assert (pay.charge_amount, pay.currency) == (Decimal("10.50"), "USD")
    assert (pay.max_attempts, pay.timeout, pay.inter_digit_timeout) == (3, 600, 1)
    assert pay.effective_transaction_type == "charge"
    assert pay.connector_parameters == {"a": "1", "b": "3"}
    assert pay.xml_attributes()["chargeAmount"] == "10.50"
    assert pay.lint() == []
    assert Pay.model_validate({"chargeAmount": "5"}).effective_transaction_type == "charge"


@pytest.mark.parametrize("attrs", [
    {"maxAttempts": "0"}, {"maxAttempts": "4"}, {"timeout": "0"}, {"timeout": "601"},
    {"interDigitTimeout": "601"}, {"currency": "EUR"}, {"paymentMethod": "paypal"},
    {"transactionType": "refund"}, {"serviceLevel": "basic"}, {"chargeAmount": "-1"},
    {"chargeAmount": "ten"}, {"method": "PUT"}, {"parameters": "[1]"}, {"prompts": "{oops"},
    {"metadata": "not json"}, {"transactionType": "charge"},
    {"transactionType": "charge", "chargeAmount": "0"},
    {"tokenType": "reusable"},
])  # fmt: skip
def test_pay_invalid(attrs):
    with pytest.raises(ValidationError):
        Pay.model_validate(attrs)


@pytest.mark.parametrize("attrs", [
    {}, {"for": "card"}, {"for": "expiration-date", "attempt": "0"},
    {"for": "expiration-date", "attempt": "4"}, {"for": "expiration-date", "attempt": "first"},
    {"for": "expiration-date", "cardType": "Amex"}, {"for": "expiration-date", "errorType": "busy"},
])  # fmt: skip
def test_prompt_invalid(attrs):
    with pytest.raises(ValidationError):
        Prompt.model_validate(attrs)


def test_pay_twiml_and_lint():
    assert {
        "input", "securityCode", "tokenType", "bankAccountType", "postalCode",
        "minPostalCodeLength", "validCardTypes",
    } <= set(Pay.TWIML_ATTRS)  # fmt: skip
    assert not set(Pay.TWIML_ATTRS) & set(Pay.XML_ATTRS)
    say = Say.model_validate({"text": "x"})
    ach_prompt = Prompt.model_validate({"for": "bank-routing-number", "children": (say,)})
    late_prompt = Prompt.model_validate(
        {"for": "security-code", "attempt": "3", "children": (say,)}
    )
    assert len(Pay.model_validate({"children": (ach_prompt, late_prompt)}).lint()) == 2
    assert Pay.model_validate({"transactionType": "tokenize", "chargeAmount": "1"}).lint()
    twiml_step = Prompt.model_validate({"for": "payment-processing", "children": (say,)})
    assert twiml_step.lint()[0].attribute == "for"
    assert Prompt.model_validate({"for": "postal-code"}).lint()  # empty prompt
