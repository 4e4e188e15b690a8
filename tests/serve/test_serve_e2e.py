"""`texml serve` end to end: the server and the Call Control simulator (`texml sim`) run as
separate processes talking HTTP on loopback; documents come from a small local HTTP app.

- an inbound IVR: the caller's digits reach the app, status callbacks arrive, the call ends;
- an outbound call through the TeXML REST API;
- a live redirect and a hang-up through the REST API, mid-call;
- `kill -9` of the server during a call, and a restart on the same SQLite file: the call ends
  as it would have.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from nacl.signing import VerifyKey
from twilio.request_validator import RequestValidator

from tests.e2e.app import TestApp
from tests.serve.serve_procs import ServeProcess, SimProcess, free_port, wait_until, webhook_url
from texml.serve.outgoing import new_signing_key

ACCOUNT = "AC-test"
TOKEN = "rest-secret"
APP_SIGNING_KEY, APP_PUBLIC_KEY = new_signing_key()  # texml's key for its requests to the app
TWILIO_TOKEN = "ported-app-auth-token"


def doc(*verbs: str) -> str:
    return "<Response>" + "".join(verbs) + "</Response>"


@pytest.fixture
def app() -> Iterator[TestApp]:
    server = TestApp().start()
    server.route("/status", "", status=204, content_type=None)
    try:
        yield server
    finally:
        server.stop()


class Stack:
    """The test app, `texml sim` and `texml serve`, wired together."""

    def __init__(self, app: TestApp, tmp: Path, *, speed: float = 10.0,
                 dial: tuple[str, ...] = ("+15550006666=machine:5",)) -> None:  # fmt: skip
        self.app = app
        self.tmp = tmp
        self.port = free_port()
        self.sim = SimProcess.start([webhook_url(self.port)], tmp, speed=speed, dial=dial)
        self.serve: ServeProcess | None = None

    def start_serve(self) -> ServeProcess:
        self.serve = ServeProcess.start(self.port, self.tmp, sim=self.sim, args=[
            "--voice-url", self.app.url("/voice"), "--status-callback", self.app.url("/status"),
            "--rest-token", TOKEN, "--account-sid", ACCOUNT,
            "--signing-key", APP_SIGNING_KEY, "--twilio-auth-token", TWILIO_TOKEN,
        ])  # fmt: skip
        return self.serve

    def stop(self) -> None:
        if self.serve is not None:
            self.serve.stop()
        self.sim.stop()

    def statuses(self, call_id: str) -> list[str]:
        return [r.params.get("CallStatus", "") for r in self.app.requests_to("/status")
                if r.params.get("CallSid") == call_id]  # fmt: skip

    def rest(self, path: str = "", **form: str) -> httpx.Response:
        assert self.serve is not None
        url = f"{self.serve.base}/v2/texml/Accounts/{ACCOUNT}/Calls{path}"
        return httpx.post(url, data=form, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)


@pytest.fixture
def stack(app: TestApp, tmp_path: Path) -> Iterator[Stack]:
    the_stack = Stack(app, tmp_path)
    try:
        the_stack.start_serve()
        yield the_stack
    finally:
        the_stack.stop()


def test_inbound_ivr(stack: Stack) -> None:
    app = stack.app
    app.route("/voice", doc('<Gather action="/menu" numDigits="1"><Say>Press one for sales</Say></Gather>',
                            "<Say>We did not get that</Say>"))  # fmt: skip
    app.route("/menu", lambda p: doc(f"<Say>You chose {p.get('Digits')}</Say>",
                                     '<Gather action="/account" numDigits="3" timeout="3"/>'))  # fmt: skip
    app.route("/account", lambda p: doc(f"<Say>Account {p.get('Digits')}. Goodbye</Say>", "<Hangup/>"))

    call_id = stack.sim.new_call(inputs=["1", "123"])
    stack.sim.wait_status(call_id, "hangup", serve=stack.serve)

    [voice] = app.requests_to("/voice")
    assert voice.method == "POST" and voice.params["CallSid"] == call_id
    assert voice.params["Direction"] == "inbound" and voice.params["AccountSid"] == ACCOUNT
    # Every request to the app is signed: as Telnyx signs TeXML requests (texml's own key) and
    # as Twilio would (the official validator accepts it), status callbacks included.
    for request in [voice, *app.requests_to("/menu"), *app.requests_to("/status")]:
        stamp = request.headers["telnyx-timestamp"]
        VerifyKey(base64.b64decode(APP_PUBLIC_KEY)).verify(
            stamp.encode() + b"|" + request.body,
            base64.b64decode(request.headers["telnyx-signature-ed25519"]))
        url = app.url(request.path) + (f"?{urlencode(request.query)}" if request.query else "")
        assert RequestValidator(TWILIO_TOKEN).validate(url, request.form,
                                                       request.headers["x-twilio-signature"])  # fmt: skip
    assert app.requests_to("/menu")[0].params["Digits"] == "1"
    assert app.requests_to("/account")[0].params["Digits"] == "123"
    assert stack.sim.heard(call_id) == ["Press one for sales", "You chose 1", "Account 123. Goodbye"]
    wait_until(lambda: "completed" in stack.statuses(call_id), 10, "the completed callback")
    assert stack.statuses(call_id) == ["initiated", "ringing", "in-progress", "completed"]
    assert stack.sim.call(call_id)["call"]["hangup_source"] == "callee"  # texml hung up

    assert stack.serve is not None
    metrics = stack.serve.metrics()
    assert metrics["webhooks"] >= 8 and metrics["calls_started"] == metrics["calls_ended"] == 1
    assert metrics["fetches"] == 3 and metrics["fetch_errors"] == 0 and metrics["callbacks"] == 4
    logs = stack.serve.logs()
    assert any(e["msg"] == "call ended" and e["call"] == call_id and e["status"] == "completed"
               for e in logs)  # fmt: skip
    health = httpx.get(f"{stack.serve.base}/healthz").json()
    assert health["status"] == "ok"
    # The finished call is kept --retain-seconds (2), then deleted.
    wait_until(lambda: stack.serve.metrics()["active_calls"] == 0, 10, "the call to be cleaned up")


def test_outbound_call_through_the_rest_api(stack: Stack) -> None:
    app = stack.app
    app.route("/outbound", doc("<Say>This is an outbound call</Say>"))
    reply = stack.rest(To="+15550003333", From="+15550002222", Url=app.url("/outbound"),
                       StatusCallback=app.url("/status"),
                       StatusCallbackEvent="initiated answered completed")  # fmt: skip
    assert reply.status_code == 200, reply.text
    resource = reply.json()
    call_id = resource["sid"]
    assert resource["status"] == "queued" and resource["direction"] == "outbound-api"
    assert resource["from"] == "+15550002222" and resource["to"] == "+15550003333"
    assert resource["account_sid"] == ACCOUNT and resource["uri"].endswith(f"/Calls/{call_id}.json")

    leg = stack.sim.wait_status(call_id, "hangup", serve=stack.serve)
    assert leg["call"]["direction"] == "outgoing" and leg["call"]["answered_at"] is not None
    [fetch] = app.requests_to("/outbound")
    assert fetch.params["CallSid"] == call_id and fetch.params["Direction"] == "outbound-api"
    assert fetch.params["CallStatus"] == "in-progress"
    assert stack.sim.heard(call_id) == ["This is an outbound call"]
    wait_until(lambda: "completed" in stack.statuses(call_id), 10, "the completed callback")
    assert stack.statuses(call_id) == ["initiated", "in-progress", "completed"]
    got = httpx.get(f"{stack.serve.base}/v2/texml/Accounts/{ACCOUNT}/Calls/{call_id}",
                    headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert got.status_code == 200 and got.json()["status"] == "completed"

    assert "texml-unapplied-fields" not in reply.headers

    # Inline TeXML runs without a fetch; fields texml does not apply are named, not dropped
    # in silence.
    reply = stack.rest(To="+15550004444", From="+15550002222", Texml=doc("<Say>Inline words</Say>"),
                       RecordingStatusCallback=app.url("/rec"), Trim="do-not-trim")  # fmt: skip
    assert reply.status_code == 200, reply.text
    assert reply.headers["texml-unapplied-fields"] == "RecordingStatusCallback, Trim"
    inline_id = reply.json()["sid"]
    stack.sim.wait_status(inline_id, "hangup", serve=stack.serve)
    assert stack.sim.heard(inline_id) == ["Inline words"]

    # A Url that fails goes to the FallbackUrl, with the FallbackMethod.
    app.route("/broken", "oops", status=500)
    app.route("/backup", doc("<Say>The backup speaks</Say>"))
    reply = stack.rest(To="+15550005555", From="+15550002222", Url=app.url("/broken"),
                       FallbackUrl=app.url("/backup"), FallbackMethod="GET")  # fmt: skip
    assert reply.status_code == 200, reply.text
    backup_id = reply.json()["sid"]
    stack.sim.wait_status(backup_id, "hangup", serve=stack.serve)
    assert stack.sim.heard(backup_id) == ["The backup speaks"]
    [backup] = app.requests_to("/backup")
    assert backup.method == "GET" and backup.params["ErrorCode"] == "11200"
    assert backup.params["ErrorUrl"] == app.url("/broken")

    # Machine detection beside the document (AsyncAmd): the verdict goes to its own callback.
    app.route("/amd", "", status=204, content_type=None)
    app.route("/pitch", doc("<Say>Hello there</Say>", '<Pause length="5"/>'))
    reply = stack.rest(To="+15550006666", From="+15550002222", Url=app.url("/pitch"),
                       MachineDetection="Enable", AsyncAmd="true",
                       AsyncAmdStatusCallback=app.url("/amd"), AsyncAmdStatusCallbackMethod="POST")  # fmt: skip
    assert reply.status_code == 200, reply.text
    assert "texml-unapplied-fields" not in reply.headers
    machine_id = reply.json()["sid"]
    wait_until(lambda: app.requests_to("/amd"), 20, "the AsyncAmd callback",
               stack.serve.log if stack.serve else None)  # fmt: skip
    [amd] = app.requests_to("/amd")
    assert amd.params["AnsweredBy"] == "machine_start" and amd.params["CallSid"] == machine_id
    [pitch] = app.requests_to("/pitch")
    assert "AnsweredBy" not in pitch.params  # the document did not wait for the verdict
    stack.sim.wait_status(machine_id, "hangup", serve=stack.serve)

    # Refusals: no token, a wrong account, a missing number.
    assert httpx.post(f"{stack.serve.base}/v2/texml/Accounts/{ACCOUNT}/Calls",
                      data={"To": "+1", "From": "+2"}).status_code == 401  # fmt: skip
    wrong = httpx.post(f"{stack.serve.base}/v2/texml/Accounts/other/Calls", data={"To": "+1"},
                       headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert wrong.status_code == 404
    assert stack.rest(From="+15550002222").status_code == 422


def test_live_redirect_and_hang_up_through_the_rest_api(stack: Stack) -> None:
    app = stack.app
    app.route("/voice", doc('<Say loop="0">Please hold</Say>'))
    app.route("/moved", doc("<Say>You have been moved</Say>", '<Pause length="30"/>'))

    call_id = stack.sim.new_call()
    wait_until(lambda: "Please hold" in stack.sim.heard(call_id), 10, "the hold message")
    reply = stack.rest(f"/{call_id}", Url=app.url("/moved"), Method="GET")
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "in-progress"
    wait_until(lambda: "You have been moved" in stack.sim.heard(call_id), 10, "the new document",
               stack.serve.log if stack.serve else None)  # fmt: skip
    [moved] = app.requests_to("/moved")
    assert moved.method == "GET" and moved.params["CallSid"] == call_id
    assert stack.sim.call(call_id)["status"] != "hangup"  # in the 30 s pause now

    reply = stack.rest(f"/{call_id}.json", Status="completed")
    assert reply.status_code == 200, reply.text
    stack.sim.wait_status(call_id, "hangup", serve=stack.serve)
    wait_until(lambda: "completed" in stack.statuses(call_id), 10, "the completed callback")
    assert stack.statuses(call_id).count("completed") == 1
    # Once it has ended, it cannot be changed; unknown calls are 404.
    late = stack.rest(f"/{call_id}", Url=app.url("/moved"))
    assert late.status_code == 409, late.text
    assert stack.rest("/v3:nobody", Status="completed").status_code == 404
    assert stack.rest(f"/{call_id}", Status="busy").status_code == 422


def test_kill_9_mid_call_and_restart_on_the_same_store(stack: Stack) -> None:
    app = stack.app
    app.route("/voice", doc("<Say>Before</Say>", '<Pause length="4"/>', "<Say>After the pause</Say>"))
    call_id = stack.sim.new_call()
    wait_until(lambda: "Before" in stack.sim.heard(call_id), 10, "the first words")
    time.sleep(0.8)  # the speech has ended (0.1 s at speed 10): the pause timer is stored
    assert stack.serve is not None
    stack.serve.kill9()
    time.sleep(0.5)
    stack.serve = stack.serve.restart()
    stack.sim.wait_status(call_id, "hangup", serve=stack.serve)
    assert stack.sim.heard(call_id) == ["Before", "After the pause"]
    wait_until(lambda: "completed" in stack.statuses(call_id), 10, "the completed callback")
    assert stack.statuses(call_id) == ["initiated", "ringing", "in-progress", "completed"]
    assert len(app.requests_to("/voice")) == 1
