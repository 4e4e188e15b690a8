"""Refusals, shaped like Telnyx's error replies: `{"errors": [{"code", "title", "detail"}]}`.

A command the simulator refuses raises `SimError`; `Simulator.command` turns it into the HTTP
status and JSON reply Telnyx would send, so a client (the interpreter, or the official SDK
against `texml sim`) sees the same thing it would see from the real API. Only 90018 ("Call has
already ended") and 10005 ("Resource not found") are Telnyx's documented codes; the others are
the simulator's own choice of Telnyx-style codes, stable so that tests may rely on them.
"""

from __future__ import annotations

from typing import Any

NOT_FOUND = "10005"  # Telnyx: resource not found
INVALID_BODY = "10015"  # a body the API would refuse (missing or mistyped field)
CALL_ENDED = "90018"  # Telnyx: "Call has already ended"
WRONG_STATE = "90034"  # the call is not in a state that allows the command
NOT_MODELLED = "90099"  # a valid command the simulator does not model


class SimError(Exception):
    """A refused command: HTTP `status` with one Telnyx-style error."""

    def __init__(self, status: int, code: str, title: str, detail: str,
                 pointer: str | None = None) -> None:  # fmt: skip
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.pointer = pointer

    def reply(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "title": self.title, "detail": self.detail}
        if self.pointer:
            error["source"] = {"pointer": self.pointer}
        return {"errors": [error]}


def not_found(what: str, ident: str) -> SimError:
    return SimError(404, NOT_FOUND, "Resource not found", f"no {what} {ident!r} in the simulator")


def invalid(detail: str, field: str | None = None) -> SimError:
    pointer = f"/{field}" if field else None
    return SimError(422, INVALID_BODY, "Invalid parameter", detail, pointer)


def call_ended(call_control_id: str) -> SimError:
    return SimError(422, CALL_ENDED, "Call has already ended",
                    f"call {call_control_id} has already ended; it takes no more commands")  # fmt: skip


def wrong_state(detail: str) -> SimError:
    return SimError(422, WRONG_STATE, "Invalid call state", detail)


__all__ = ["SimError", "call_ended", "invalid", "not_found", "wrong_state"]
