"""What a `CallSession` asks its driver to do, and what the driver tells it back.

The session is sans-I/O (like h11): it never opens a socket or reads the clock. Every method
takes the current time (`now`, seconds) and returns a list of these effects; the driver performs
them and feeds the outcomes back as method calls (`on_command_reply`, `on_fetched`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from compiler import Command

Method = Literal["GET", "POST"]


@dataclass(frozen=True)
class SendCommand:
    """Send `command` (its path resolved for `call_control_id`); reply with `on_command_reply`."""

    command: Command
    call_control_id: str
    token: int  # echoed in the reply, so a late reply to an old step is recognised

    @property
    def path(self) -> str:
        return self.command.resolved_path(self.call_control_id)


@dataclass(frozen=True)
class FetchDocument:
    """Request a TeXML document; reply with `on_fetched(token, ...)`."""

    url: str
    method: Method
    params: Mapping[str, str]
    token: int


@dataclass(frozen=True)
class PostCallback:
    """A status callback to the application. Fire and forget: nothing comes back."""

    url: str
    method: Method
    params: Mapping[str, str]


@dataclass(frozen=True)
class MakeHttpRequest:
    """An `<HttpRequest>`: reply with `on_http_reply(token, status, body)`."""

    url: str
    method: str
    headers: Mapping[str, str]
    body: str | None
    token: int


@dataclass(frozen=True)
class StartTimer:
    """Call `on_timer(name)` at time `at` (unless cancelled first)."""

    name: str
    at: float


@dataclass(frozen=True)
class CancelTimer:
    name: str


@dataclass(frozen=True)
class Trace:
    """Something worth telling the person following the call (the `jsonl` events)."""

    kind: str  # fetch | command | webhook | callback | end | diagnostic
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallOver:
    """The call has ended and nothing more will happen; the session may be forgotten."""

    status: str  # completed | busy | no-answer | failed | canceled
    duration: int  # seconds from answer to hang-up (0 if never answered)
    error: bool = False  # it ended through the application-error path


Effect = SendCommand | FetchDocument | PostCallback | MakeHttpRequest | StartTimer | CancelTimer | Trace | CallOver
