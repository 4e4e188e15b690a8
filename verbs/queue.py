"""`<Enqueue>` and `<Leave>`: put the caller into a named queue, and take it out again."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from verbs.base import HttpMethod, Lint, Text, TwimlAttr, Verb


class Enqueue(Verb):
    """Wait in a queue until `<Dial><Queue>` takes the call, `<Leave>`, hang-up or time-out."""

    TAG: ClassVar[str] = "Enqueue"
    # The queue name. Telnyx's own example is a bare `<Enqueue/>` (what that does is ND).
    TEXT: ClassVar[Text] = Text.OPTIONAL
    TWIML_ATTRS: ClassVar = {
        "workflowSid": TwimlAttr(
            "TeXML has no TaskRouter: name the queue in the element's text and take calls "
            "from it with <Dial><Queue>"
        ),
        "maxQueueSize": TwimlAttr(
            "TeXML sets no queue size in markup (Telnyx queues hold 100 calls by default); "
            "maxWaitTimeSecs bounds the wait instead"
        ),
    }

    action: str | None = None
    method: HttpMethod = "POST"
    # A TeXML document run while waiting (<Play>, <Say>, <Gather>, <Pause>, <Hangup>,
    # <Redirect>, <Leave>), requested again each time it runs out.
    wait_url: str | None = None
    wait_url_method: HttpMethod = "POST"
    max_wait_time_secs: Annotated[int, Field(ge=1)] = 14400

    text: str | None = None

    def lint(self) -> list[Lint]:
        if not (self.text and self.text.strip()):
            return [Lint(
                "<Enqueue> names no queue; what the platform does with an unnamed queue is not "
                "documented",
                hint="write the queue name as the element's text, e.g. <Enqueue>support</Enqueue>",
            )]
        return []


class Leave(Verb):
    """Take the call out of its queue; used in an `<Enqueue waitUrl>` document."""

    TAG: ClassVar[str] = "Leave"
