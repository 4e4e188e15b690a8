"""The interpreter: a sans-I/O `CallSession` per call, and the effects its drivers perform."""

from texml.runtime.effects import (
    CallOver, CancelTimer, Effect, FetchDocument, MakeHttpRequest, PostCallback, SendCommand,
    StartTimer, Trace,
)  # fmt: skip
from texml.runtime.session import APPLICATION_ERROR, AppConfig, CallSession

__all__ = [
    "APPLICATION_ERROR", "AppConfig", "CallOver", "CallSession", "CancelTimer", "Effect",
    "FetchDocument", "MakeHttpRequest", "PostCallback", "SendCommand", "StartTimer", "Trace",
]  # fmt: skip
