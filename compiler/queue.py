"""Queues: `<Enqueue>` puts the caller in a named queue, `<Leave>` takes it out, and
`<Dial><Queue>` connects the caller to the call waiting longest in a queue.

Call Control queues are created on first use and report `call.enqueued` / `call.dequeued`
(reason `bridged`, `bridging-in-process`, `leave`, `timeout` or `hangup`). There is no
"unbridged" event: a bridge is over when one of the two calls hangs up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from compiler.dial import DialStep
from compiler.legs import MAX_TIME_LIMIT, event_time, whole_seconds
from compiler.step import (
    Action, CallContext, CancelTimer, Command, CommandFailed, CommandResult, DocumentDone, Done,
    Effect, Event, RunDocument, Send, SetTimer, Step, StopDocument, TimerFired, Webhook,
)  # fmt: skip
from verbs import Dial, Enqueue, Leave, Queue

# `<Enqueue/>` without a name: what TeXML does is not documented; such calls share this queue.
DEFAULT_QUEUE = "default"
WAIT = "wait"
# A backstop for Call Control's own max_wait_time_secs (call.dequeued reason timeout), so a
# lost webhook cannot leave the caller waiting for ever.
MAX_WAIT_TIMER = "max-wait"
MAX_WAIT_GRACE = 30
# <Dial><Queue> on an empty queue looks again every few seconds until the Dial timeout, as
# TwiML waits for a caller to arrive.
POLL_TIMER = "queue-poll"
POLL_SECONDS = 5
TIME_LIMIT = "time-limit"

# call.dequeued reasons that mean the call was taken by a <Dial><Queue> (or a bridge).
_BRIDGED = ("bridged", "bridging-in-process")


class EnqueueStep(Step[Enqueue]):
    """Wait in a queue until dequeued, `<Leave>`, hang-up or `maxWaitTimeSecs`.

    The action gets TwiML's `QueueResult` (`bridged`, `leave`, `hangup`, `queue-full`,
    `system-error`, and `timeout`, which TwiML does not have: Call Control's reason when
    maxWaitTimeSecs ran out), `QueueSid` (the queue name) and `QueueTime` (seconds waited).
    Without `waitUrl` the caller waits in silence (TeXML's default wait audio is undocumented).
    """

    ENDS_ON: ClassVar = ("call.dequeued", "call.hangup")

    def __init__(self, verb: Enqueue, ctx: CallContext) -> None:
        super().__init__(verb, ctx)
        self.queue = (verb.text or "").strip() or DEFAULT_QUEUE
        self.enqueue: Command | None = None
        self.waiting = False  # the wait document runs
        self.timer = False
        self.bridged = False
        self.entered_at: datetime | None = None
        self.queue_time: str | None = None  # Call Control's wait_time_secs, once known

    def start(self) -> list[Effect]:
        effects: list[Effect] = [] if self.ctx.answered else [Send(self.ctx.command("answer"))]
        body = {"queue_name": self.queue, "max_wait_time_secs": self.verb.max_wait_time_secs}
        self.enqueue = self.ctx.command("enqueue", body)
        return [*effects, Send(self.enqueue)]

    def on_event(self, event: Event) -> list[Effect]:
        if self.done:
            return []
        if isinstance(event, CommandResult) and event.command == self.enqueue:
            return self._in_queue()
        if isinstance(event, CommandFailed) and event.command == self.enqueue:
            full = "full" in event.detail.lower()
            return self._end("queue-full" if full else "system-error", outcome="failed")
        if isinstance(event, DocumentDone) and event.name == WAIT and event.hangup:
            # <Hangup> in the wait document.
            self.waiting = False
            hangup = Send(self.ctx.command("hangup"))
            return [hangup, *self._end("hangup", end=True, outcome="hangup")]
        if isinstance(event, TimerFired) and event.name == MAX_WAIT_TIMER:
            self.timer = False
            leave = Send(self.ctx.command("leave_queue"))
            return [leave, *self._end("timeout", outcome="timeout")]
        if isinstance(event, Webhook):
            return self._on_webhook(event)
        return []

    def _in_queue(self, event: Webhook | None = None) -> list[Effect]:
        if self.entered_at is None and event is not None:
            self.entered_at = event_time(event)
        if self.waiting or self.timer:
            return []
        self.timer = True
        effects: list[Effect] = [
            SetTimer(MAX_WAIT_TIMER, self.verb.max_wait_time_secs + MAX_WAIT_GRACE)
        ]
        wait = self.ctx.url(self.verb.wait_url)
        if wait:
            # Repeated until the call leaves the queue, which maxWaitTimeSecs bounds.
            self.waiting = True
            method = self.verb.wait_url_method
            params = {"QueueSid": self.queue}
            effects.append(RunDocument(WAIT, wait, method, repeat=True, params=params))
        return effects

    def _on_webhook(self, event: Webhook) -> list[Effect]:
        kind, payload = event.event_type, event.payload
        own = event.leg in (None, self.ctx.call_control_id)
        if kind == "call.enqueued" and own:
            return self._in_queue(event)
        if kind == "call.bridged" and own and not self.bridged:
            # Taken by a bridge; call.dequeued (reason bridged) may not have come yet.
            self.bridged = True
            return self._stop_waiting()
        if kind == "call.dequeued" and own:
            if isinstance(payload.get("wait_time_secs"), int):
                self.queue_time = str(payload["wait_time_secs"])
            reason = payload.get("reason")
            if reason in _BRIDGED:
                self.bridged = True  # the step now waits for the bridge to end
                return self._stop_waiting()
            if reason == "hangup":
                return self._end("hangup", end=True, outcome="hangup", event=event)
            if reason in ("leave", "timeout"):
                return self._end(str(reason), outcome=str(reason), event=event)
            return []
        if kind == "call.hangup":
            if own:
                result = "bridged" if self.bridged else "hangup"
                return self._end(result, end=True, outcome="hangup", event=event)
            if self.bridged:  # the caller that took this call hung up: go on, as TwiML does
                return self._end("bridged", outcome="completed", event=event)
        return []

    def _stop_waiting(self) -> list[Effect]:
        effects: list[Effect] = []
        if self.waiting:
            self.waiting = False
            effects.append(StopDocument(WAIT))
        if self.timer:
            self.timer = False
            effects.append(CancelTimer(MAX_WAIT_TIMER))
        return effects

    def _end(
        self, result: str, *, end: bool = False, outcome: str, event: Webhook | None = None
    ) -> list[Effect]:
        queue_time = self.queue_time
        if queue_time is None:
            queue_time = whole_seconds(self.entered_at, event_time(event) if event else None)
        params = {"QueueResult": result, "QueueSid": self.queue, "QueueTime": queue_time}
        url = self.ctx.url(self.verb.action)
        action = Action(url, self.verb.method) if url else None
        effects = [] if end else self._stop_waiting()
        if end and self.timer:
            effects.append(CancelTimer(MAX_WAIT_TIMER))
        return self.finish(Done(params, action, end=end, outcome=outcome), *effects)


class LeaveStep(Step[Leave]):
    """`<Leave>` (in an `<Enqueue waitUrl>` document): the `<Enqueue>` step of the call then
    sees `call.dequeued` with reason `leave` and ends with QueueResult `leave`."""

    def start(self) -> list[Effect]:
        return self.finish(Done(), Send(self.ctx.command("leave_queue")))


class QueueDialStep(DialStep):
    """`<Dial><Queue>`: bridge the caller with the call that has waited longest in the queue.

    The queue's calls are listed first (`GET /queues/{name}/calls`) and the head is bridged by
    its call_control_id, rather than with the bridge's `queue` field: so the step knows the
    other call and can tell when that bridge ends, and `prevent_double_bridge` keeps two agents
    from taking the same caller. An empty queue is looked at again every few seconds until the
    Dial `timeout` (DialCallStatus `no-answer`). The Queue `url` document cannot be played to
    the dequeued caller: Call Control dequeues a call only by bridging it, and that call's own
    `<Enqueue>` still owns it until then.
    """

    ENDS_ON: ClassVar = ("call.hangup",)

    def __init__(self, verb: Dial, ctx: CallContext) -> None:
        super().__init__(verb, ctx)
        noun = verb.children[0]
        assert isinstance(noun, Queue)
        self.queue = noun.text.strip()
        self.lookup: Command | None = None
        self.bridge: Command | None = None
        self.partner: str | None = None
        self.bridged = False
        self.bridged_at: datetime | None = None
        self.waited = 0
        self.refused = False  # a bridge was refused (the caller left or was taken)
        self.polling = False
        self.timer = False

    def start(self) -> list[Effect]:
        return [*self.answer_if_ringing(), self._look()]

    def _look(self) -> Send:
        self.lookup = Command("GET", f"/queues/{quote(self.queue, safe='')}/calls", {})
        return Send(self.lookup)

    def _wait_or_give_up(self) -> list[Effect]:
        if self.waited < self.verb.timeout:
            seconds = min(POLL_SECONDS, self.verb.timeout - self.waited)
            self.waited += seconds
            self.polling = True
            return [SetTimer(POLL_TIMER, seconds)]
        status = "failed" if self.refused else "no-answer"
        return self._end({"DialCallStatus": status, "DialBridged": "false"}, outcome=status)

    def on_event(self, event: Event) -> list[Effect]:
        if self.done:
            return []
        if isinstance(event, CommandResult):
            if event.command == self.lookup:
                return self._take_head(event.data)
            if event.command == self.bridge:
                return self._connected(None)
            return []
        if isinstance(event, CommandFailed):
            if event.command == self.lookup:  # no such queue yet: as good as empty
                return self._wait_or_give_up()
            if event.command == self.bridge:
                self.partner, self.refused = None, True
                return self._wait_or_give_up()
            return []
        if isinstance(event, TimerFired):
            if event.name == POLL_TIMER and self.partner is None:
                self.polling = False
                return [self._look()]
            if event.name == TIME_LIMIT and self.partner:
                return self._hang_up_partner()
            return []
        if isinstance(event, Webhook):
            return self._on_webhook(event)
        return []

    def _take_head(self, data: Any) -> list[Effect]:
        head = _head_of_queue(data)
        if head is None:
            return self._wait_or_give_up()
        self.partner = str(head["call_control_id"])
        body = {
            "call_control_id": self.partner,
            # The caller stays up for the rest of its document when the other call leaves.
            "park_after_unbridge": "self",
            # Two agents may list the same head of the queue: the second bridge is refused.
            "prevent_double_bridge": True,
        }
        self.bridge = self.ctx.command("bridge", body)
        return [Send(self.bridge)]

    def _connected(self, event: Webhook | None) -> list[Effect]:
        if event is not None and self.bridged_at is None:
            self.bridged_at = event_time(event)
        if self.bridged:
            return []
        self.bridged = True
        if self.verb.time_limit == MAX_TIME_LIMIT:
            return []
        self.timer = True
        return [SetTimer(TIME_LIMIT, self.verb.time_limit)]

    def _on_webhook(self, event: Webhook) -> list[Effect]:
        kind = event.event_type
        own = event.leg in (None, self.ctx.call_control_id)
        if own and kind == "call.bridged" and self.partner:
            return self._connected(event)
        if own and kind == "call.hangup":
            return self._end(self._params(event), end=True, outcome="hangup")
        if own and kind == "call.dtmf.received":
            star = self.verb.hangup_on_star and event.payload.get("digit") == "*"
            return self._hang_up_partner() if star and self.bridged else []
        if kind == "call.hangup" and self.partner and event.leg == self.partner:
            return self._end(self._params(event), outcome="completed")
        return []

    def _hang_up_partner(self) -> list[Effect]:
        # Without client_state: the other call's webhooks must keep naming its own session.
        return [Send(self.ctx.command("hangup", leg=self.partner, with_client_state=False))]

    def _params(self, event: Webhook) -> dict[str, str]:
        if not self.bridged:
            return {"DialCallStatus": "canceled", "DialBridged": "false", "QueueSid": self.queue}
        return {
            "DialCallStatus": "completed",
            "DialCallSid": self.partner or "",
            "DialCallDuration": whole_seconds(self.bridged_at, event_time(event)),
            "DialBridged": "true",
            "QueueSid": self.queue,
        }

    def _end(self, params: dict[str, str], *, end: bool = False, outcome: str) -> list[Effect]:
        effects: list[Effect] = []
        if self.timer:
            effects.append(CancelTimer(TIME_LIMIT))
        if self.polling:
            effects.append(CancelTimer(POLL_TIMER))
        return self.finish(Done(params, self.action(), end=end, outcome=outcome), *effects)


def _head_of_queue(data: Any) -> dict[str, Any] | None:
    """The queued call with the lowest position, from a list reply."""
    calls = data.get("data", []) if isinstance(data, dict) else data
    alive = [
        call for call in (calls if isinstance(calls, list) else [])
        if isinstance(call, dict) and call.get("call_control_id") and call.get("is_alive", True)
    ]  # fmt: skip
    return min(alive, key=lambda call: call.get("queue_position", 0), default=None)


__all__ = ["DEFAULT_QUEUE", "EnqueueStep", "LeaveStep", "QueueDialStep"]
