"""`<Hangup>` -> hangup; `<Reject>` -> reject (ringing call) or hangup (answered call).

Both end the call at once: the step does not wait for `call.hangup`, which the runtime sees
later as the end of the call.
"""

from __future__ import annotations

from compiler.step import Done, Effect, Send, Step
from verbs import Hangup, Reject


class HangupStep(Step[Hangup]):
    def start(self) -> list[Effect]:
        return self.finish(Done(end=True), Send(self.ctx.command("hangup")))


class RejectStep(Step[Reject]):
    """Refuse a ringing call with a SIP cause; TwiML reports the call `busy` (reason="busy")
    or `no-answer` (reason="rejected"), which `Done.outcome` carries for the runtime.

    Once the call is answered there is nothing to refuse: TeXML hangs it up (billed up to
    then), and the call's status is `completed`.
    """

    def start(self) -> list[Effect]:
        if self.ctx.answered:
            return self.finish(Done(end=True), Send(self.ctx.command("hangup")))
        busy = self.verb.reason == "busy"
        # USER_BUSY -> SIP 486 Busy Here; CALL_REJECTED -> SIP 603 Decline.
        body = {"cause": "USER_BUSY" if busy else "CALL_REJECTED"}
        outcome = "busy" if busy else "no-answer"
        return self.finish(Done(end=True, outcome=outcome), Send(self.ctx.command("reject", body)))
