"""`<HttpRequest>` -> no Call Control command: an HTTP request made by the runtime.

The request's URL, header values and body are sent as written: Mustache placeholders in them
(`{{From}}`, `{{#secret}}key{{/secret}}`, `{{#url_encode}}...{{/url_encode}}`) are filled in by
the runtime, which knows the call's variables and secrets; a step is pure and knows neither.

A `<Request>` without `method` is a POST when it has a `<Body>`, else a GET (TeXML does not
say). `async="true"`: the step ends as soon as the request is handed over. Otherwise it waits for
the reply, copies the `<Content><Field>` values out of its JSON body into variables named by
`<Value>`, and ends with them as parameters (requesting `action`, when set, with the
application's method). A reply that cannot be used — no reply, a status other than
`<StatusCode>` (any 2xx when there is none), or a body that is not JSON while fields are
expected — extracts nothing: the step still requests `action` (or continues), with no field
parameters and outcome "failed". A path missing from the body gives no parameter.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from compiler.step import Action, Done, Effect, Event, HttpCall, HttpResult, Step
from verbs import HttpRequest
from verbs.http_request import StatusCode

_MISSING = object()
# One step of a path: `name`, or `[index]` (also right after a name: `records[0]`).
_SEGMENT = re.compile(r"\.?([^.\[\]]+)|\[(-?\d+)\]")


def json_path(document: Any, path: str) -> Any:
    """The value at `path` (`contact.name.first`, `records[0].Name`, `[1]`) in parsed JSON, or
    `_MISSING` when there is none. Dots separate object keys; `[n]` indexes arrays."""
    value, pos = document, 0
    path = path.strip()
    while pos < len(path):
        match = _SEGMENT.match(path, pos)
        if match is None:
            return _MISSING
        key, index = match.groups()
        if key is not None:
            if not isinstance(value, dict) or key not in value:
                return _MISSING
            value = value[key]
        else:
            i = int(index)
            if not isinstance(value, list) or not -len(value) <= i < len(value):
                return _MISSING
            value = value[i]
        pos = match.end()
    return value


def as_parameter(value: Any) -> str:
    """A JSON value as a callback parameter: strings as they are, null as "", the rest as JSON
    (`true`, `42`, `{"a":1}`)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def extract_fields(body: bytes, fields: dict[str, str]) -> dict[str, str] | None:
    """`{variable: path}` read out of a JSON `body`: the variables found, or None when the body
    is not JSON."""
    try:
        document = json.loads(body)
    except ValueError:  # also UnicodeDecodeError
        return None
    out: dict[str, str] = {}
    for variable, path in fields.items():
        value = json_path(document, path)
        if value is not _MISSING:
            out[variable] = as_parameter(value)
    return out


def _accepted(status: int | None, expected: int | None) -> bool:
    if status is None:
        return False
    return status == expected if expected is not None else 200 <= status < 300


class HttpRequestStep(Step[HttpRequest]):
    # No webhook ends it: the runtime's `HttpResult` does.
    ENDS_ON: ClassVar = ()

    def start(self) -> list[Effect]:
        request = self.verb.request
        body = request.body
        method = request.method or ("POST" if body is not None else "GET")
        headers = {header.key: header.value for header in request.headers}
        url = self.ctx.url(request.url)
        assert url is not None
        call = HttpCall(url, method, headers, body)
        if self.verb.is_async:
            return self.finish(Done(), call)
        return [call]

    def on_event(self, event: Event) -> list[Effect]:
        if isinstance(event, HttpResult):
            return self._result(event)
        return super().on_event(event)

    def _result(self, result: HttpResult) -> list[Effect]:
        response = self.verb.response
        children = response.children if response else ()
        expected = next((c.code for c in children if isinstance(c, StatusCode)), None)
        fields = {f.variable.strip(): f.path for f in response.fields} if response else {}
        params: dict[str, str] | None = {}
        if not _accepted(result.status, expected):
            params = None
        elif fields:
            params = extract_fields(result.body, fields)
        action = None
        if self.verb.action is not None:
            url = self.ctx.url(self.verb.action)
            assert url is not None
            action = Action(url, self.ctx.voice_method)
        if params is None:
            return self.finish(Done(action=action, outcome="failed"))
        return self.finish(Done(params=params, action=action))
