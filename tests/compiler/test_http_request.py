"""<HttpRequest> -> an HttpCall made by the runtime; JSON fields -> parameters
(texml-verbs-core.md §11)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

import texml
from compiler import (
    Action, CallContext, Done, HttpCall, HttpResult, Step, Webhook, compile_verb,
)  # fmt: skip
from compiler.http_request import _MISSING, as_parameter, extract_fields, json_path

CALL = "v3:call-1"

CONTACT = {
    "contact": {"name": {"first": "Ada", "last": "Lovelace"}, "vip": True, "age": 36},
    "records": [{"Name": "first"}, {"Name": "second", "tags": ["a", "b"]}],
    "empty": None,
    "a.b": "dotted key",
}


# --- the JSON path function -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("contact.name.first", "Ada"),
        ("contact.vip", True),
        ("contact.age", 36),
        ("records[0].Name", "first"),
        ("records[1].tags[1]", "b"),
        ("records[-1].Name", "second"),
        ("records", CONTACT["records"]),
        (" contact.name.last ", "Lovelace"),
        ("empty", None),
    ],
)
def test_json_path_finds_values(path: str, expected: Any) -> None:
    assert json_path(CONTACT, path) == expected


@pytest.mark.parametrize(
    "path",
    ["contact.name.middle", "records[2].Name", "records.Name", "contact[0]", "records[x]",
     "contact..name", "nothing", "contact.name.first.more", "a.b"],
)  # fmt: skip
def test_json_path_reports_missing_values(path: str) -> None:
    assert json_path(CONTACT, path) is _MISSING


def test_json_path_indexes_a_top_level_array() -> None:
    assert json_path([{"id": 7}], "[0].id") == 7


@pytest.mark.parametrize(
    ("value", "text"),
    [("x", "x"), (None, ""), (True, "true"), (False, "false"), (42, "42"), (1.5, "1.5"),
     ({"a": [1, "é"]}, '{"a":[1,"é"]}')],
)  # fmt: skip
def test_values_become_parameter_text(value: Any, text: str) -> None:
    assert as_parameter(value) == text


def test_extract_fields_skips_missing_paths_and_rejects_non_json() -> None:
    body = json.dumps(CONTACT).encode()
    assert extract_fields(body, {"name": "contact.name.first", "x": "no.such"}) == {"name": "Ada"}
    assert extract_fields(b"<html>", {"name": "contact"}) is None
    assert extract_fields(b"\xff\xfe", {"name": "contact"}) is None


# --- the step ---------------------------------------------------------------------------------

SYNC = """
<HttpRequest action="next.xml">
  <Request url="https://api.example.com/contacts?from={{From}}" method="POST">
    <Headers>
      <Header><Key>Authorization</Key><Value>Bearer {{#secret}}crm_key{{/secret}}</Value></Header>
      <Header><Key>Content-Type</Key><Value>application/json</Value></Header>
    </Headers>
    <Body><![CDATA[{"number": "{{From}}"}]]></Body>
  </Request>
  <Response>
    <Type>JSON</Type>
    <StatusCode>200</StatusCode>
    <Content>
      <Field><Name>contact.name.first</Name><Value>caller_name</Value></Field>
      <Field><Name>records[0].Name</Name><Value>first_record</Value></Field>
      <Field><Name>missing.path</Name><Value>nothing</Value></Field>
    </Content>
  </Response>
</HttpRequest>
"""


def step_for(xml: str, voice_method: str = "GET") -> Step:
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    ids = itertools.count(1)
    ctx = CallContext(CALL, "conn-1", "+15550001111", "+15550002222", "c3RhdGU=",
                      new_id=lambda: f"id-{next(ids)}",
                      document_url="https://app.example.com/flows/main.xml",
                      voice_method=voice_method)  # type: ignore[arg-type]  # fmt: skip
    return compile_verb(doc.verbs[0], ctx)


def test_sync_request_is_sent_as_written_with_placeholders_left_for_the_runtime() -> None:
    step = step_for(SYNC)
    assert step.start() == [HttpCall(
        "https://api.example.com/contacts?from={{From}}", "POST",
        {"Authorization": "Bearer {{#secret}}crm_key{{/secret}}",
         "Content-Type": "application/json"},
        '{"number": "{{From}}"}',
    )]  # fmt: skip
    assert not step.done
    assert step.plan() == []


def test_sync_reply_fills_the_variables_and_requests_the_action() -> None:
    step = step_for(SYNC)
    step.start()
    effects = step.on_event(HttpResult(200, json.dumps(CONTACT).encode()))
    assert effects == [Done(
        params={"caller_name": "Ada", "first_record": "first"},
        action=Action("https://app.example.com/flows/next.xml", "GET"),
    )]  # fmt: skip


@pytest.mark.parametrize(
    "result",
    [HttpResult(None), HttpResult(500, b'{"contact": {}}'), HttpResult(201, b"{}"),
     HttpResult(200, b"not json")],
)  # fmt: skip
def test_unusable_reply_extracts_nothing_and_still_requests_the_action(result: HttpResult) -> None:
    step = step_for(SYNC, voice_method="POST")
    step.start()
    assert step.on_event(result) == [Done(
        action=Action("https://app.example.com/flows/next.xml", "POST"), outcome="failed",
    )]  # fmt: skip


def test_without_status_code_any_2xx_is_accepted_and_no_action_continues() -> None:
    xml = """<HttpRequest><Request url="https://api.example.com/x"/>
      <Response><Content><Field><Name>id</Name><Value>the_id</Value></Field></Content></Response>
    </HttpRequest>"""
    step = step_for(xml)
    assert step.start() == [HttpCall("https://api.example.com/x", "GET", {}, None)]
    assert step.on_event(HttpResult(204, b'{"id": 5}')) == [Done(params={"the_id": "5"})]
    step = step_for(xml)
    step.start()
    assert step.on_event(HttpResult(302, b'{"id": 5}')) == [Done(outcome="failed")]


def test_reply_without_fields_needs_no_json() -> None:
    step = step_for('<HttpRequest><Request url="https://api.example.com/ping" method="GET"/>'
                    "</HttpRequest>")  # fmt: skip
    step.start()
    assert step.on_event(HttpResult(200, b"pong")) == [Done()]


def test_async_request_moves_on_at_once() -> None:
    step = step_for('<HttpRequest async="true"><Request url="https://api.example.com/log">'
                    "<Body>hi</Body></Request></HttpRequest>")  # fmt: skip
    effects = step.start()
    assert effects == [HttpCall("https://api.example.com/log", "POST", {}, "hi"), Done()]
    assert step.done


def test_async_on_request_wins() -> None:
    step = step_for('<HttpRequest async="false"><Request url="https://api.example.com/x" '
                    'async="true"/></HttpRequest>')  # fmt: skip
    assert step.start()[-1] == Done()


def test_hangup_while_waiting_ends_the_call() -> None:
    step = step_for(SYNC)
    step.start()
    assert step.on_event(Webhook("call.hangup", {"call_control_id": CALL})) == [
        Done(end=True, outcome="hangup")
    ]
