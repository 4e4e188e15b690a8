"""The TeXML verb AST: one frozen pydantic model per verb and noun.

`Response` is the document root; `Response.CHILDREN` maps each verb's tag to its model, and
each model's `CHILDREN` does the same for the elements it may hold. `ALL_TAGS` is every tag
TeXML has, and `PARENTS` says where each may stand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from verbs.aigather import AIGather
from verbs.base import Node, Text, Verb
from verbs.connect import AIAssistant, Connect, ConversationRelay, Language
from verbs.dial import Conference, Dial, Number, Queue, Sip
from verbs.gather import Gather
from verbs.hangup import Hangup, Reject
from verbs.http_request import HttpRequest
from verbs.parameter import Parameter
from verbs.pause import Pause
from verbs.pay import Pay, Prompt
from verbs.play import Play
from verbs.queue import Enqueue, Leave
from verbs.record import Record
from verbs.redirect import Redirect
from verbs.refer import Refer
from verbs.say import Say
from verbs.start import Recording, Siprec, Start, Stop, Stream, Suppression, Transcription

VERBS: tuple[type[Verb], ...] = (
    Say, Play, Pause, Gather, AIGather, Record, Hangup, Reject, Redirect, Refer, HttpRequest,
    Pay, Dial, Enqueue, Leave, Start, Stop, Connect,
)  # fmt: skip


class Response(Node):
    """The document root: the verbs to run, in order."""

    TAG: ClassVar[str] = "Response"
    TEXT: ClassVar[Text] = Text.NONE
    CHILDREN: ClassVar[Mapping[str, type[Node]]] = {v.TAG: v for v in VERBS}

    children: tuple[Verb, ...] = ()


def _walk() -> tuple[frozenset[str], dict[str, frozenset[str]], tuple[type[Node], ...]]:
    parents: dict[str, set[str]] = {}
    models: list[type[Node]] = []
    seen: set[type[Node]] = set()
    stack: list[type[Node]] = [Response]
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        models.append(cls)
        for tag, child in cls.CHILDREN.items():
            parents.setdefault(tag, set()).add(cls.TAG)
            stack.append(child)
    tags = frozenset(parents) | {"Response"}
    return tags, {t: frozenset(p) for t, p in parents.items()}, tuple(models)


ALL_TAGS, PARENTS, ALL_MODELS = _walk()

__all__ = [
    "AIAssistant", "AIGather", "ALL_MODELS", "ALL_TAGS", "Conference", "Connect",
    "ConversationRelay", "Dial", "Enqueue", "Gather", "Hangup", "HttpRequest", "Language",
    "Leave", "Node", "Number", "PARENTS", "Parameter", "Pause", "Pay", "Play", "Prompt", "Queue",
    "Record", "Recording", "Redirect", "Refer", "Reject", "Response", "Say", "Sip", "Siprec",
    "Start", "Stop", "Stream", "Suppression", "Transcription", "VERBS", "Verb",
]  # fmt: skip
