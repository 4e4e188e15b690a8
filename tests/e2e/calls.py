"""Helpers for the end-to-end tests: playing whole calls and looking at what happened.

`play_call(app, path, ...)` plays one inbound call whose first document is `app.url(path)`
through `texml.dryrun.DryRun` against the Call Control simulator and returns a `Played`.
Every `command` event of every call played this way is validated against the official
`telnyx` SDK's types (`validate_commands`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from app import Request, TestApp

from tests.support.telnyx_schema import validate_command
from texml.dryrun import DryRun, Event, Result, Scenario
from texml.runtime.sources import http_client
from texml.sim import Simulator, parse_dial_outcome, parse_input_item

# What every request to the application carries (README, Behaviour decisions).
COMMON_PARAMS = ("AccountSid", "CallSid", "CallSidLegacy", "ConnectionId", "From", "To",
                 "CallStatus", "Direction", "ApiVersion")  # fmt: skip
APPLICATION_ERROR = "An application error has occurred."
CALLER = "+15550001111"
CALLED = "+15550002222"


def doc(*verbs: str) -> str:
    """A TeXML document of these verbs."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n<Response>' + "".join(verbs) + "</Response>"


def validate_commands(events: Sequence[Event]) -> int:
    """Validate the body of every `command` event against the SDK; return how many there were."""
    count = 0
    for event in events:
        if event.kind != "command":
            continue
        data = event.data
        method, path, body = data["method"], data["path"], data.get("body")
        try:
            validate_command(method, path, body if method != "GET" else (body or None))
        except Exception as exc:  # noqa: BLE001 - say which command, then fail
            raise AssertionError(f"command {method} {path} {body!r} does not validate: {exc}") from exc
        count += 1
    return count


@dataclass
class Played:
    """A finished call: its `Result` and ways to look at it."""

    result: Result
    call_id: str

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def error(self) -> bool:
        return self.result.error

    @property
    def duration(self) -> int:
        return self.result.duration

    @property
    def events(self) -> list[Event]:
        return self.result.events

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [dict(e.data) for e in self.events if e.kind == kind]

    def timed(self, kind: str) -> list[tuple[float, dict[str, Any]]]:
        return [(e.t, dict(e.data)) for e in self.events if e.kind == kind]

    def heard(self, call: str | None = None) -> list[str]:
        """What the caller (or leg `call`) heard, in order: say texts, played URLs, `dtmf:...`."""
        who = call or self.call_id
        out = []
        for data in self.of("hear"):
            if data.get("call") not in (None, who):
                continue
            if "say" in data:
                out.append(data["say"])
            elif "play" in data:
                out.append(data["play"])
            elif "dtmf" in data:
                out.append(f"dtmf:{data['dtmf']}")
            else:
                out.append(json.dumps(data, sort_keys=True))
        return out

    def commands(self, leg: str | None = None) -> list[str]:
        """The commands sent, in order: the action (`speak`, `answer`, ...) for call actions,
        else `METHOD /path`. Only those about `leg` when given."""
        out = []
        for data in self.of("command"):
            path = data["path"]
            if leg is not None and not path.startswith(f"/calls/{leg}/"):
                continue
            out.append(path.rsplit("/", 1)[-1] if "/actions/" in path and path.startswith("/calls/")
                       else f"{data['method']} {path}")  # fmt: skip
        return out

    def command_times(self, action: str, leg: str | None = None) -> list[float]:
        leg = leg or self.call_id
        return [t for t, d in self.timed("command") if d["path"] == f"/calls/{leg}/actions/{action}"]

    def fetched(self) -> list[str]:
        """The URLs of every document requested, in order."""
        return [d["url"] for d in self.of("fetch")]

    def codes(self) -> list[str]:
        return [str(d.get("code")) for d in self.of("diagnostic")]

    def dialled(self) -> dict[str, str]:
        """Number dialled -> the leg's call_control_id."""
        return {d["to"]: d["leg"] for d in self.of("dial") if "leg" in d}

    def end(self) -> dict[str, Any]:
        ends = self.of("end")
        assert len(ends) == 1, f"expected one end event, got {ends}"
        return ends[0]

    def check(self, status: str, *, error: bool = False, heard: Sequence[str] | None = None) -> None:
        """The call ended with `status` (and `error`), one `end` event agrees, and the caller
        heard exactly `heard` (when given)."""
        assert (self.status, self.error) == (status, error), (self.status, self.error, self.codes())
        assert self.end()["status"] == status
        assert self.end()["duration"] == self.duration
        if heard is not None:
            assert self.heard() == list(heard), self.heard()


def short_client(seconds: float) -> httpx.Client:
    """texml's own HTTP client, giving up after `seconds` (tests timeouts without waiting 15 s)."""
    client = http_client()
    client.timeout = httpx.Timeout(seconds, connect=seconds)
    return client


def play_call(app: TestApp, source: str, *, inputs: Sequence[str] = (),
              dial: Mapping[str, Any] | None = None, status_callback: str | None = None,
              fallback: str | None = None, client: httpx.Client | None = None,
              from_: str = CALLER, to: str = CALLED) -> Played:  # fmt: skip
    """Play one call; `source`, `status_callback` and `fallback` may be app paths (`/voice`)."""

    def full(url: str | None) -> str | None:
        return app.url(url) if url is not None and url.startswith("/") else url

    scenario = Scenario(
        from_=from_, to=to, inputs=[parse_input_item(i) for i in inputs],
        dial={k: parse_dial_outcome(v) for k, v in (dial or {}).items()},
        status_callback=full(status_callback), fallback_url=full(fallback),
    )  # fmt: skip
    result = DryRun(str(full(source)), scenario, client=client).run()
    validate_commands(result.events)
    first = next(e for e in result.events if e.kind == "fetch")
    return Played(result, first.data["params"]["CallSid"])


def common_params_ok(request: Request, *, call_id: str, status: str, from_: str = CALLER,
                     to: str = CALLED) -> None:  # fmt: skip
    """`request` carries every common parameter, with these values."""
    params = request.params
    missing = [name for name in COMMON_PARAMS if name not in params]
    assert not missing, f"{request.path} lacks {missing}: {params}"
    assert params["CallSid"] == params["CallSidLegacy"] == call_id
    assert params["From"] == from_ and params["To"] == to
    assert params["CallStatus"] == status
    assert params["Direction"] == "inbound"
    assert params["ApiVersion"] == "2010-04-01"
    assert params["AccountSid"] and params["ConnectionId"]


def status_callbacks(app: TestApp, path: str = "/status") -> list[dict[str, str]]:
    return [r.params for r in app.requests_to(path)]


def sim_models(action: str, body: Mapping[str, Any]) -> bool:
    """Whether the simulator models a call action (it answers 90099 for those it does not)."""
    sim = Simulator()
    call = sim.start_inbound_call()
    sim.command("POST", f"/calls/{call}/actions/answer", {})
    status, reply = sim.command("POST", f"/calls/{call}/actions/{action}", dict(body))
    codes = {str(e.get("code")) for e in reply.get("errors", [])} if isinstance(reply, dict) else set()
    return "90099" not in codes


__all__ = [
    "APPLICATION_ERROR", "CALLED", "CALLER", "COMMON_PARAMS", "Played", "common_params_ok", "doc",
    "play_call", "short_client", "sim_models", "status_callbacks", "validate_commands",
]  # fmt: skip
