"""`<Refer>` -> refer. The step ends on `call.refer.completed` or `call.refer.failed`.

The `action` parameters come from the refer webhooks:
- `ReferCallStatus`: `in-progress` when the transfer target answered (completed), else
  derived from the final NOTIFY code (`busy`, `no-answer`, `canceled`, `failed`).
- `NotifySipResponseCode`: the webhook's `sip_notify_response`, when present.
- `ReferSipResponseCode`: Call Control does not report the reply to the REFER itself; once
  `call.refer.started` (or `.completed`) arrives the REFER was accepted, which SIP does with
  `202 Accepted`, so `202` is reported then. A REFER refused at once reports no code.
Without `action` the next verb runs (TeXML does not say; Twilio-compatible platforms do this).
"""

from __future__ import annotations

from typing import ClassVar

from compiler.step import (
    Action, CallContext, CommandFailed, Done, Effect, Event, Send, Step, Webhook,
)  # fmt: skip
from verbs import Refer

_NOTIFY_STATUS = {
    486: "busy", 600: "busy",
    408: "no-answer", 480: "no-answer",
    487: "canceled",
}  # fmt: skip


class ReferStep(Step[Refer]):
    ENDS_ON: ClassVar = ("call.refer.completed", "call.refer.failed")

    def __init__(self, verb: Refer, ctx: CallContext) -> None:
        super().__init__(verb, ctx)
        self.accepted = False

    def start(self) -> list[Effect]:
        return [Send(self.ctx.command("refer", {"sip_address": self.verb.target}))]

    def on_event(self, event: Event) -> list[Effect]:
        if isinstance(event, Webhook) and event.event_type.startswith("call.refer."):
            if event.leg not in (None, self.ctx.call_control_id):
                return []
            notify = event.payload.get("sip_notify_response")
            if event.event_type == "call.refer.started":
                self.accepted = True
                return []
            if event.event_type == "call.refer.completed":
                self.accepted = True
                return self._done("in-progress", notify)
            if event.event_type == "call.refer.failed":
                status = _NOTIFY_STATUS.get(notify, "failed") if isinstance(notify, int) else None
                return self._done(status or "failed", notify, outcome="failed")
            return []
        if isinstance(event, CommandFailed) and event.command.action == "refer":
            return self._done("failed", None, outcome="failed")
        return super().on_event(event)

    def _done(self, status: str, notify: object, *, outcome: str = "completed") -> list[Effect]:
        params = {"ReferCallStatus": status}
        if self.accepted:
            params["ReferSipResponseCode"] = "202"
        if isinstance(notify, int):
            params["NotifySipResponseCode"] = str(notify)
        action = None
        if self.verb.action is not None:
            url = self.ctx.url(self.verb.action)
            assert url is not None
            action = Action(url, self.verb.method)
        return self.finish(Done(params=params, action=action, outcome=outcome))
