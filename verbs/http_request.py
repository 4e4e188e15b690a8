"""`<HttpRequest>`: call an HTTP API from the call flow and map response fields into variables.
Telnyx-only; it has no TwiML equivalent.

    <HttpRequest async="false" action="https://example.com/next">
      <Request url="https://api.example.com/contacts" method="POST">
        <Headers>
          <Header><Key>Authorization</Key><Value>Bearer {{#secret}}k{{/secret}}</Value></Header>
        </Headers>
        <Body><![CDATA[{"number": "{{From}}"}]]></Body>
      </Request>
      <Response>
        <Type>JSON</Type>
        <StatusCode>200</StatusCode>
        <Content><Field><Name>contact.name.first</Name><Value>caller_name</Value></Field></Content>
      </Response>
    </HttpRequest>
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Annotated, ClassVar

from pydantic import Field, model_validator

from verbs.base import HttpMethod, Lint, Node, Text, Verb, XmlBool

VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _at_most_one(element: str, children: tuple[Node, ...], *tags: str) -> None:
    counts = Counter(child.TAG for child in children)
    repeated = [f"<{tag}>" for tag in tags if counts[tag] > 1]
    if repeated:
        raise ValueError(f"<{element}> takes at most one of: {', '.join(repeated)}")


def _key_value(element: str, children: tuple[Node, ...], first: str, second: str) -> None:
    counts = Counter(child.TAG for child in children)
    if counts[first] != 1 or counts[second] != 1:
        raise ValueError(f"<{element}> needs exactly one <{first}> and one <{second}>")


# --- <Request> -------------------------------------------------------------------------------


class HeaderKey(Node):
    """`<Key>`: a header name."""

    TAG: ClassVar[str] = "Key"
    TEXT: ClassVar[Text] = Text.REQUIRED

    text: Annotated[str, Field(min_length=1)]


class HeaderValue(Node):
    """`<Value>` inside `<Header>`: the header's value (Mustache variables allowed)."""

    TAG: ClassVar[str] = "Value"
    TEXT: ClassVar[Text] = Text.REQUIRED

    text: str


class Header(Node):
    TAG: ClassVar[str] = "Header"
    CHILDREN: ClassVar = {"Key": HeaderKey, "Value": HeaderValue}

    children: tuple[HeaderKey | HeaderValue, ...] = ()

    @model_validator(mode="after")
    def _pair(self) -> Header:
        _key_value("Header", self.children, "Key", "Value")
        return self

    @property
    def key(self) -> str:
        return next(c.text for c in self.children if isinstance(c, HeaderKey))

    @property
    def value(self) -> str:
        return next(c.text for c in self.children if isinstance(c, HeaderValue))


class Headers(Node):
    TAG: ClassVar[str] = "Headers"
    CHILDREN: ClassVar = {"Header": Header}

    children: tuple[Header, ...] = ()


class Body(Node):
    """The request body, usually in CDATA (Mustache variables allowed)."""

    TAG: ClassVar[str] = "Body"
    TEXT: ClassVar[Text] = Text.REQUIRED

    text: str


class Request(Node):
    """The outbound HTTP request."""

    TAG: ClassVar[str] = "Request"
    CHILDREN: ClassVar = {"Headers": Headers, "Body": Body}

    url: Annotated[str, Field(min_length=1)]
    method: HttpMethod | None = None
    # The "Sending HTTP requests" tutorial puts async here; the verb page puts it on <HttpRequest>.
    async_: XmlBool | None = Field(default=None, alias="async")

    children: tuple[Headers | Body, ...] = ()

    @model_validator(mode="after")
    def _children(self) -> Request:
        _at_most_one("Request", self.children, "Headers", "Body")
        return self

    @property
    def headers(self) -> tuple[Header, ...]:
        return tuple(h for c in self.children if isinstance(c, Headers) for h in c.children)

    @property
    def body(self) -> str | None:
        return next((c.text for c in self.children if isinstance(c, Body)), None)

    def lint(self) -> list[Lint]:
        out: list[Lint] = []
        if self.async_ is not None:
            out.append(Lint(
                "async belongs on <HttpRequest>; one Telnyx tutorial puts it on <Request> with the "
                "opposite meaning",
                attribute="async",
                hint='move it to <HttpRequest>: async="false" waits for the response',
            ))
        if self.method == "GET" and self.body is not None:
            out.append(Lint(
                "a GET request with a <Body>", attribute="method", hint='use method="POST"',
            ))
        return out


# --- <Response> inside <HttpRequest> ---------------------------------------------------------


class ResponseType(Node):
    """`<Type>`: the response body's format (JSON)."""

    TAG: ClassVar[str] = "Type"
    TEXT: ClassVar[Text] = Text.REQUIRED

    text: Annotated[str, Field(min_length=1)]

    def lint(self) -> list[Lint]:
        if self.text.strip().upper() != "JSON":
            return [Lint(f"response type {self.text!r} is not documented; only JSON is")]
        return []


class StatusCode(Node):
    """`<StatusCode>`: the HTTP status the response is expected to have."""

    TAG: ClassVar[str] = "StatusCode"
    TEXT: ClassVar[Text] = Text.REQUIRED

    text: Annotated[str, Field(pattern=r"^\s*[1-5][0-9]{2}\s*$")]

    @property
    def code(self) -> int:
        return int(self.text)


class FieldName(Node):
    """`<Name>`: a path into the response body, e.g. `contact.name.first` or `records[0].Name`."""

    TAG: ClassVar[str] = "Name"
    TEXT: ClassVar[Text] = Text.REQUIRED

    text: Annotated[str, Field(min_length=1)]


class FieldValue(Node):
    """`<Value>` inside `<Field>`: the variable to create (`{{name}}`; an `action` parameter)."""

    TAG: ClassVar[str] = "Value"
    TEXT: ClassVar[Text] = Text.REQUIRED

    text: Annotated[str, Field(min_length=1)]

    def lint(self) -> list[Lint]:
        if not VARIABLE_NAME.match(self.text.strip()):
            return [Lint(
                f"{self.text!r} is an awkward variable name for {{{{...}}}}",
                hint="use letters, digits and _, e.g. caller_name",
            )]
        return []


class ResponseField(Node):
    """`<Field>`: copy one value of the response body into a variable."""

    TAG: ClassVar[str] = "Field"
    CHILDREN: ClassVar = {"Name": FieldName, "Value": FieldValue}

    children: tuple[FieldName | FieldValue, ...] = ()

    @model_validator(mode="after")
    def _pair(self) -> ResponseField:
        _key_value("Field", self.children, "Name", "Value")
        return self

    @property
    def path(self) -> str:
        return next(c.text for c in self.children if isinstance(c, FieldName))

    @property
    def variable(self) -> str:
        return next(c.text for c in self.children if isinstance(c, FieldValue))


class Content(Node):
    TAG: ClassVar[str] = "Content"
    CHILDREN: ClassVar = {"Field": ResponseField}

    children: tuple[ResponseField, ...] = ()


_UNDOCUMENTED_IN_RESPONSE = (
    "the docs mention it inside <HttpRequest><Response> but not what it does; texml ignores it"
)


class HttpResponse(Node):
    """`<Response>` inside `<HttpRequest>`: the expected response and the values to extract."""

    TAG: ClassVar[str] = "Response"
    CHILDREN: ClassVar = {
        "Type": ResponseType,
        "StatusCode": StatusCode,
        "Content": Content,
        "Headers": Headers,
        "Body": Body,
    }
    TOLERATED_CHILDREN: ClassVar = {
        "Headers": _UNDOCUMENTED_IN_RESPONSE,
        "Body": _UNDOCUMENTED_IN_RESPONSE,
    }

    children: tuple[ResponseType | StatusCode | Content | Headers | Body, ...] = ()

    @model_validator(mode="after")
    def _children(self) -> HttpResponse:
        _at_most_one("Response", self.children, "Type", "StatusCode", "Content", "Headers", "Body")
        return self

    @property
    def fields(self) -> tuple[ResponseField, ...]:
        return tuple(f for c in self.children if isinstance(c, Content) for f in c.children)


# --- <HttpRequest> ---------------------------------------------------------------------------


class HttpRequest(Verb):
    TAG: ClassVar[str] = "HttpRequest"
    CHILDREN: ClassVar = {"Request": Request, "Response": HttpResponse}

    # false: wait for the response, then call `action` (the verb page's meaning).
    async_: XmlBool = Field(default=False, alias="async")
    action: str | None = None

    children: tuple[Request | HttpResponse, ...] = ()

    @model_validator(mode="after")
    def _children(self) -> HttpRequest:
        if not any(isinstance(c, Request) for c in self.children):
            raise ValueError(
                '<HttpRequest> needs a <Request>, e.g. <Request url="https://api.example.com/x" '
                'method="GET"/>'
            )
        _at_most_one("HttpRequest", self.children, "Request", "Response")
        return self

    @property
    def request(self) -> Request:
        return next(c for c in self.children if isinstance(c, Request))

    @property
    def response(self) -> HttpResponse | None:
        return next((c for c in self.children if isinstance(c, HttpResponse)), None)

    @property
    def is_async(self) -> bool:
        """Whether the call moves on without waiting; `async` on `<Request>` wins when present."""
        request_async = self.request.async_
        return self.async_ if request_async is None else request_async

    def lint(self) -> list[Lint]:
        out: list[Lint] = []
        request_async = self.request.async_
        set_on_both = request_async is not None and "async_" in self.model_fields_set
        if set_on_both and request_async != self.async_:
            out.append(Lint(
                "async on <HttpRequest> and on <Request> disagree; texml uses the one on <Request>",
                attribute="async",
            ))
        if self.is_async and self.action is not None:
            out.append(Lint(
                "action is only requested when async is false",
                attribute="action",
                hint='set async="false" to wait for the response and request action',
            ))
        return out
