"""Whole calls with <Reject>, <Redirect>, <Refer>, <HttpRequest>, <Pay> and <AIGather>."""

from __future__ import annotations

import base64
import json

import pytest
from calls import common_params_ok, doc, sim_models

# --- <Reject> ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("reason", "cause", "status"), [
    ("busy", "USER_BUSY", "busy"),
    ("rejected", "CALL_REJECTED", "no-answer"),
])  # fmt: skip
def test_reject_as_first_verb_never_answers(app, play, reason, cause, status) -> None:
    app.route("/voice", doc(f'<Reject reason="{reason}"/>', "<Say>Never</Say>"))
    call = play("/voice", status_callback="/status")
    call.check(status, heard=[])
    assert call.duration == 0
    assert call.commands() == ["reject"]
    assert "answer" not in call.commands()  # never answered, never billed
    [reject] = [d["body"] for d in call.of("command")]
    assert reject["cause"] == cause
    callbacks = [r.params for r in app.requests_to("/status")]
    assert [p["CallStatus"] for p in callbacks] == ["initiated", "ringing", status]
    assert [p["SequenceNumber"] for p in callbacks] == ["0", "1", "2"]
    assert callbacks[-1]["CallDuration"] == "0"


def test_reject_once_answered_hangs_up_and_completes(app, play) -> None:
    app.route("/voice", doc("<Say>Sorry</Say>", '<Reject reason="busy"/>', "<Say>Never</Say>"))
    call = play("/voice")
    call.check("completed", heard=["Sorry"])
    assert call.commands() == ["answer", "speak", "hangup"]


# --- <Redirect> -------------------------------------------------------------------------------


def test_redirect_post_and_get_with_relative_urls(app, play) -> None:
    app.route("/app/voice", doc('<Redirect method="GET">step2</Redirect>'))
    app.route("/app/step2", doc("<Redirect>../final</Redirect>"))  # POST by default
    app.route("/final", doc("<Say>Arrived</Say>"))
    call = play("/app/voice")
    call.check("completed", heard=["Arrived"])
    assert app.paths() == ["/app/voice", "/app/step2", "/final"]
    voice, step2, final = app.requests
    assert (voice.method, step2.method, final.method) == ("POST", "GET", "POST")
    common_params_ok(step2, call_id=call.call_id, status="ringing")  # a redirect does not answer
    assert step2.form == {} and step2.query["CallSid"] == call.call_id
    assert final.form["CallSid"] == call.call_id
    assert call.fetched() == [app.url("/app/voice"), app.url("/app/step2"), app.url("/final")]


def test_redirect_get_keeps_the_urls_own_query(app, play) -> None:
    app.route("/voice", doc('<Redirect method="GET">/next?lang=fr&amp;step=2</Redirect>'))
    app.route("/next", lambda p: doc(f"<Say>{p.get('lang')} {p.get('step')}</Say>"))
    call = play("/voice")
    [request] = app.requests_to("/next")
    assert request.query.get("lang") == "fr" and request.query.get("step") == "2"
    assert request.query["CallSid"] == call.call_id
    call.check("completed", heard=["fr 2"])


def test_redirect_post_keeps_the_urls_own_query(app, play) -> None:
    app.route("/voice", doc("<Redirect>/next?lang=fr</Redirect>"))
    app.route("/next", lambda p: doc(f"<Say>{p.get('lang')}</Say>"))
    call = play("/voice")
    call.check("completed", heard=["fr"])
    [request] = app.requests_to("/next")
    assert request.query == {"lang": "fr"} and request.form["CallSid"] == call.call_id


# --- <Refer> ----------------------------------------------------------------------------------


def test_refer_answered_reports_to_the_action(app, play) -> None:
    app.route("/voice", doc('<Refer action="/referred"><Sip>sip:agent@pbx.example.com</Sip></Refer>'))
    app.route("/referred", lambda p: doc(f"<Say>Refer {p.get('ReferCallStatus')}</Say>"))
    call = play("/voice")
    call.check("completed", heard=["Refer in-progress"])
    [refer] = [d["body"] for d in call.of("command") if d["path"].endswith("/refer")]
    assert refer["sip_address"] == "sip:agent@pbx.example.com"
    [request] = app.requests_to("/referred")
    common_params_ok(request, call_id=call.call_id, status="in-progress")
    assert request.params["ReferSipResponseCode"] == "202"
    assert request.params["NotifySipResponseCode"] == "200"


def test_refer_busy_fails_and_the_document_goes_on(app, play) -> None:
    app.route("/voice", doc(
        '<Refer action="/referred"><Sip>sip:agent@pbx.example.com</Sip></Refer>', "<Say>Not reached</Say>"
    ))  # fmt: skip
    app.route("/referred", lambda p: doc(f"<Say>Refer {p.get('ReferCallStatus')} {p.get('NotifySipResponseCode')}</Say>"))
    call = play("/voice", dial={"sip:agent@pbx.example.com": "busy"})
    call.check("completed", heard=["Refer busy 486"])


# --- <HttpRequest> ----------------------------------------------------------------------------

HTTP_REQUEST = """
<HttpRequest action="/greet">
  <Request url="/api/customers?number={{#url_encode}}{{From}}{{/url_encode}}" method="POST">
    <Headers>
      <Header><Key>Authorization</Key><Value>Bearer test-token</Value></Header>
      <Header><Key>Content-Type</Key><Value>application/json</Value></Header>
    </Headers>
    <Body>{"caller": "{{From}}", "call": "{{CallSid}}"}</Body>
  </Request>
  <Response>
    <Type>JSON</Type>
    <StatusCode>200</StatusCode>
    <Content>
      <Field><Name>customer.name.first</Name><Value>first_name</Value></Field>
      <Field><Name>orders[1].id</Name><Value>last_order</Value></Field>
      <Field><Name>vip</Name><Value>vip</Value></Field>
      <Field><Name>no.such.path</Name><Value>missing</Value></Field>
    </Content>
  </Response>
</HttpRequest>
"""


def test_http_request_fields_arrive_as_action_params(app, play) -> None:
    app.route("/voice", doc(HTTP_REQUEST))
    app.route("/api/customers", json.dumps({
        "customer": {"name": {"first": "Ada"}}, "orders": [{"id": 1}, {"id": "A-2"}], "vip": True,
    }), content_type="application/json")  # fmt: skip
    app.route("/greet", lambda p: doc(f"<Say>Hello {p.get('first_name')}, order {p.get('last_order')}</Say>"))
    call = play("/voice")
    call.check("completed", heard=["Hello Ada, order A-2"])
    [api] = app.requests_to("/api/customers")
    assert api.method == "POST"
    assert api.query == {"number": "+15550001111"}
    assert api.headers["authorization"] == "Bearer test-token"
    assert json.loads(api.body) == {"caller": "+15550001111", "call": call.call_id}
    [greet] = app.requests_to("/greet")
    assert greet.params["first_name"] == "Ada"
    assert greet.params["last_order"] == "A-2"
    assert greet.params["vip"] == "true"
    assert "missing" not in greet.params
    common_params_ok(greet, call_id=call.call_id, status="ringing")  # nothing answered it yet


def test_http_request_error_status_extracts_nothing_but_goes_on(app, play) -> None:
    app.route("/voice", doc(HTTP_REQUEST))
    app.route("/api/customers", '{"error": "down"}', status=503, content_type="application/json")
    app.route("/greet", lambda p: doc(f"<Say>Hello {p.get('first_name', 'stranger')}</Say>"))
    call = play("/voice")
    call.check("completed", heard=["Hello stranger"])
    assert "first_name" not in app.requests_to("/greet")[0].params


def test_http_request_async_does_not_wait(app, play) -> None:
    app.route("/voice", doc(
        '<HttpRequest async="true"><Request url="/api/log" method="GET"/></HttpRequest>', "<Say>Go on</Say>",
    ))  # fmt: skip
    app.route("/api/log", "{}", content_type="application/json")
    call = play("/voice")
    call.check("completed", heard=["Go on"])
    [log] = app.requests_to("/api/log")
    assert log.method == "GET"


# --- <Pay> ------------------------------------------------------------------------------------

PAY_BODY = {"connector_name": "stripe", "amount": 10}


def test_pay_with_a_test_card_succeeds(app, play) -> None:
    if not sim_models("pay", PAY_BODY):
        pytest.skip("the simulator does not model pay yet")
    app.route("/voice", doc(
        '<Pay action="/paid" paymentConnector="stripe" chargeAmount="10.00" currency="usd" '
        'statusCallback="/pay-status"/>',
    ))  # fmt: skip
    app.route("/paid", lambda p: doc(f"<Say>Payment {p.get('Result')}</Say>"))
    app.route("/pay-status", "")
    call = play("/voice", inputs=["4111111111111111#", "1230", "94107#", "123#"])
    [paid] = app.requests_to("/paid")
    params = paid.params
    common_params_ok(paid, call_id=call.call_id, status="in-progress")
    assert params["Result"] == "success"
    assert params.get("ChargeId")
    card = params.get("PaymentCardNumber", "")
    assert card.endswith("1111") and "4111111111111111" not in card  # masked
    call.check("completed")
    assert call.heard()[-1] == "Payment success"
    [pay] = [d["body"] for d in call.of("command") if d["path"].endswith("/pay")]
    assert pay["connector_name"] == "stripe"
    statuses = [r.params.get("Status") for r in app.requests_to("/pay-status")]
    assert statuses and statuses[-1] == "completed"


def test_pay_with_a_bad_card_fails(app, play) -> None:
    if not sim_models("pay", PAY_BODY):
        pytest.skip("the simulator does not model pay yet")
    app.route("/voice", doc('<Pay action="/paid" paymentConnector="stripe" chargeAmount="10.00"/>'))
    app.route("/paid", lambda p: doc(f"<Say>Payment {p.get('Result')}</Say>"))
    call = play("/voice", inputs=["4242424242424241#"])
    [paid] = app.requests_to("/paid")
    assert paid.params["Result"] != "success"
    assert paid.params.get("PayResult", "failed") == "failed"
    call.check("completed")


# --- <AIGather> -------------------------------------------------------------------------------

AI_GATHER = """
<AIGather action="/gathered">
  <Parameters>{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}</Parameters>
  <Greeting>Hi, what is your name?</Greeting>
</AIGather>
"""


def test_ai_gather_posts_the_result(app, play) -> None:
    if not sim_models("gather_using_ai", {"parameters": {"type": "object"}}):
        pytest.skip("the simulator does not model gather_using_ai yet")
    app.route("/voice", doc(AI_GATHER, "<Say>Not reached</Say>"))
    app.route("/gathered", lambda p: doc(f"<Say>Status {p.get('Status')}</Say>"))
    call = play("/voice", inputs=["speech:my name is Ada"])
    [gathered] = app.requests_to("/gathered")
    common_params_ok(gathered, call_id=call.call_id, status="in-progress")
    assert gathered.params["Status"] == "valid"
    result = json.loads(base64.b64decode(gathered.params["Base64Result"]))
    assert result["status"] == "valid" and "Ada" in json.dumps(result["result"])
    history = json.loads(base64.b64decode(gathered.params["Base64MessageHistory"]))
    assert [m["role"] for m in history][:2] == ["assistant", "user"]
    call.check("completed", heard=["Hi, what is your name?", "Status valid"])
    [command] = [d["body"] for d in call.of("command") if d["path"].endswith("/gather_using_ai")]
    assert command["greeting"] == "Hi, what is your name?"
