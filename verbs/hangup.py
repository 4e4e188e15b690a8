"""`<Hangup>` and `<Reject>`: end the call."""

from __future__ import annotations

from typing import ClassVar, Literal

from verbs.base import Verb


class Hangup(Verb):
    """End the call; later verbs never run."""

    TAG: ClassVar[str] = "Hangup"


class Reject(Verb):
    """Refuse the call. As the first verb of an inbound call it is never answered (not billed)."""

    TAG: ClassVar[str] = "Reject"

    reason: Literal["rejected", "busy"] = "rejected"
