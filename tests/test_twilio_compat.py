"""Every element and attribute the official `twilio` SDK can emit is read as TeXML or explained.

A team porting a TwiML app builds its documents with `twilio.twiml.voice_response`. Whatever
that builder can produce, texml must either accept it or say (with a hint) what to write
instead — never crash, never drop it silently. The element graph is discovered by introspecting
the SDK, not written by hand, so new TwiML elements and attributes show up here when the
`twilio` package is upgraded.
"""

from __future__ import annotations

import functools
import heapq
import inspect
import itertools
import re
from dataclasses import dataclass

import pytest

import texml
from texml import Code, Severity
from verbs import ALL_TAGS, Response
from verbs.base import Node, Text
from verbs.twiml import SSML_ELEMENTS

voice_response = pytest.importorskip("twilio.twiml.voice_response")
from twilio.twiml import TwiML, lower_camel  # noqa: E402

# Methods every TwiML element has that do not build a child element.
_TWIML_BASE_METHODS = frozenset(name for name in vars(TwiML) if not name.startswith("_"))


# --- discovering the element graph ------------------------------------------------------------


def _element_classes() -> list[type[TwiML]]:
    return [
        cls for _, cls in inspect.getmembers(voice_response, inspect.isclass)
        if issubclass(cls, TwiML) and cls.__module__ == voice_response.__name__
    ]  # fmt: skip


def _builders(cls: type[TwiML]) -> list[str]:
    """The public methods of `cls` that nest a child element (say, dial, number, break_, ...)."""
    names = set()
    for klass in cls.__mro__:
        if issubclass(klass, TwiML) and klass is not TwiML:
            names.update(name for name, member in vars(klass).items()
                         if callable(member) and not name.startswith("_")
                         and name not in _TWIML_BASE_METHODS)  # fmt: skip
    return sorted(names)


def _value_param(child_cls: type[TwiML]) -> str | None:
    """The constructor parameter twilio writes as the element's text (message, url, ...)."""
    for p in inspect.signature(child_cls.__init__).parameters.values():
        if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD:
            return p.name
    return None


def _placeholder(param: str, method: str) -> str:
    """A plausible value for a twilio parameter, from its name."""
    name = param.lower()
    if (method, name) in _PLAUSIBLE_ON:
        return _PLAUSIBLE_ON[method, name]
    if method in ("stream", "conversation_relay") and name == "url":
        return "wss://example.com/media"
    if name in ("phone_number", "number"):
        return "+15551234567"
    if "sip_url" in name or name == "sip":
        return "sip:alice@example.com"
    if name in ("message", "words"):
        return "Hello"
    if name in _PLAUSIBLE:
        return _PLAUSIBLE[name]
    if name.endswith("method"):
        return "POST"
    if name.endswith("url") or name.endswith("callback"):
        return "https://example.com/hook"
    if name in ("action", "wait_url", "redirect"):
        return "https://example.com/next"
    return _PLAUSIBLE.get(name, "example")


# Plausible values for parameters whose names say little about them (TwiML semantics).
_PLAUSIBLE: dict[str, str] = {
    "name": "room-1", "identity": "alice", "client_identity": "alice", "body": '{"k": "v"}',
    "sid": "AP00000000000000000000000000000000", "application_sid": "AP00000000000000000000000000000000",
    "sim_sid": "HS00000000000000000000000000000000", "connector_name": "agent",
    "service_instance_sid": "IS00000000000000000000000000000000", "ai_connector": "connector",
    "connector": "connector", "code": "en-US", "strength": "medium", "for_": "payment-card-number",
    "length": "2", "digits": "1234", "reason": "busy", "method": "POST", "input": "dtmf",
    "value": "v", "language": "en-US", "voice": "alice", "loop": "2", "timeout": "10",
    "time_limit": "600", "caller_id": "+15550100000", "record": "record-from-answer",
    "trim": "trim-silence", "num_digits": "1", "finish_on_key": "#", "speech_timeout": "auto",
    "max_length": "60", "play_beep": "true", "hangup_on_star": "true", "answer_on_bridge": "true",
    "ring_tone": "us", "track": "inbound_track", "beep": "true", "muted": "false",
    "start_conference_on_enter": "true", "end_conference_on_exit": "true",
    "max_participants": "10", "wait_method": "POST", "status_callback_event": "initiated answered",
    "recording_status_callback_event": "completed", "send_digits": "1234", "username": "u",
    "password": "p", "max_queue_size": "10", "wait_url_method": "POST", "charge_amount": "10.00",
    "currency": "usd", "max_attempts": "2", "payment_connector": "Default", "timeout_secs": "5",
    "partial_result_callback_method": "POST", "profanity_filter": "true", "enhanced": "true",
    "speech_model": "phone_call", "hints": "sales, support", "barge_in": "true",
    "transcribe": "true", "channels": "mono", "attempt": "1", "card_type": "visa",
    "error_type": "timeout", "interpret_as": "telephone", "role": "alice", "rate": "slow",
    "pitch": "low", "volume": "loud", "level": "strong", "alphabet": "ipa", "ph": "t@",
    "alias": "World", "xml_lang": "en-US", "time": "1s", "format": "mp3", "sequential": "true",
    "interruptible": "true", "dtmf_detection": "true", "welcome_greeting": "Hi", "debug": "true",
    "action_on_empty_result": "true", "valid_digits": "123", "machine_detection": "Enable",
    "machine_detection_timeout": "30", "payment_method": "credit-card",
    "welcome_greeting_interruptible": "any", "transcription_engine": "Google",
}  # fmt: skip


# The same parameter name means different things on different elements.
_PLAUSIBLE_ON: dict[tuple[str, str], str] = {
    ("conference", "status_callback_event"): "start end join leave",
    ("conference", "record"): "record-from-start",
}


def _call(parent: TwiML, method: str, *, text: bool = True, extra: dict[str, str] | None = None) -> TwiML:
    """Call a builder with a plausible value for every parameter it requires, for the element's
    text (unless `text` is false: an element that will hold children), and for `extra`."""
    func = getattr(parent, method)
    params = inspect.signature(func).parameters
    kwargs = {
        p.name: _placeholder(p.name, method) for p in params.values()
        if p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }  # fmt: skip
    if text:
        probe = func(**kwargs)
        parent.verbs.pop()  # discover the child's class, then build it again with its text
        value = _value_param(type(probe))
        if value and value in params and value not in kwargs:
            kwargs[value] = _placeholder(value, method)
    kwargs.update(extra or {})
    return func(**kwargs)


@dataclass(frozen=True)
class Edge:
    path: tuple[str, ...]  # builder methods from VoiceResponse to the parent
    parent_tag: str
    method: str
    child_tag: str
    child_cls: type[TwiML]

    @property
    def id(self) -> str:
        return f"{self.parent_tag}->{self.child_tag}"


def _discover() -> list[Edge]:
    """Every parent -> child edge the SDK can build, each parent reached by the shortest path
    of elements TeXML accepts (<Prompt> through <Pay>, not at the top where the SDK also puts
    it), or failing that the shortest path."""
    edges: dict[tuple[str, str], Edge] = {}
    best: dict[type[TwiML], tuple[int, int]] = {voice_response.VoiceResponse: (0, 0)}
    order = itertools.count()
    heap: list[tuple[int, int, int, type[TwiML], tuple[str, ...]]] = [
        (0, 0, next(order), voice_response.VoiceResponse, ())
    ]
    while heap:
        rejected, length, _, cls, path = heapq.heappop(heap)
        if best[cls] < (rejected, length):
            continue
        parent, tags = _descend(path)
        for method in _builders(cls):
            child = _call(parent, method)
            key = (parent.name, child.name)
            edges.setdefault(key, Edge(path, parent.name, method, child.name, type(child)))
            cost = (rejected + (_texml_model((*tags, child.name)) is None), length + 1)
            if cost < best.get(type(child), (1 << 30, 0)):
                best[type(child)] = cost
                heapq.heappush(heap, (*cost, next(order), type(child), (*path, method)))
    return sorted(edges.values(), key=lambda e: (len(e.path), e.id))


def _descend(path: tuple[str, ...], response: TwiML | None = None) -> tuple[TwiML, tuple[str, ...]]:
    """The element reached by calling `path` from a VoiceResponse, and the tags on the way.

    Elements on the way hold children, so they get no text unless TeXML requires it (<Sip>),
    and the attributes TeXML reports missing (<Prompt for>, <Stream url>).
    """
    node: TwiML = response if response is not None else voice_response.VoiceResponse()
    tags = ["Response"]
    for method, extra in zip(path, _path_attributes(path)):
        child = _call(node, method, text=False, extra=extra)
        model = _texml_model((*tags, child.name))
        if model is not None and model.TEXT is Text.REQUIRED:
            node.verbs.pop()
            child = _call(node, method, text=True, extra=extra)
        node = child
        tags.append(node.name)
    return node, tuple(tags)


@functools.lru_cache(maxsize=None)
def _path_attributes(path: tuple[str, ...]) -> tuple[dict[str, str], ...]:
    """For each element on `path`, the attributes TeXML says it is missing."""
    extras: list[dict[str, str]] = [{} for _ in path]
    for _ in range(3):
        response = voice_response.VoiceResponse()
        node: TwiML = response
        steps = []
        for method, extra in zip(path, extras):
            params = inspect.signature(getattr(node, method)).parameters
            node = _call(node, method, text=False, extra=extra)
            steps.append((node.name, {lower_camel(TwiML.MAP.get(p, p)): p for p in params}, method))
        added = False
        for d in texml.parse(str(response)).errors:
            m = re.search(r"^<(\S+)> needs the (\S+) attribute", d.message)
            if d.code is not Code.MISSING_ATTRIBUTE or not m:
                continue
            for extra, (tag, by_xml_name, method) in zip(extras, steps):
                param = by_xml_name.get(m.group(2))
                if tag == m.group(1) and param and param not in extra:
                    extra[param] = _placeholder(param, method)
                    added = True
        if not added:
            break
    return tuple(extras)


def _replay(path: tuple[str, ...]) -> TwiML:
    return _descend(path)[0]


def _build(edge: Edge, extra: dict[str, str] | None = None) -> str:
    """The smallest valid document with the edge, as far as the SDK can make one.

    The child gets its text, then any attribute TeXML reports missing (`<Parameter/>` needs a
    name, `<Stream/>` a url); if TeXML needs it to hold something (`<Connect/>`), the first of
    its own SDK children that makes the document valid. If nothing does, the bare child.
    """
    attrs = dict(extra or {})
    params = inspect.signature(getattr(_replay(edge.path), edge.method)).parameters
    by_xml_name = {lower_camel(TwiML.MAP.get(p, p)): p for p in params}
    for _ in range(3):
        bare = _document(edge, attrs, None)
        missing = [
            by_xml_name[m.group(1)] for d in texml.parse(bare).errors
            if d.code is Code.MISSING_ATTRIBUTE and _mentions(d, edge.child_tag)
            for m in [re.search(r"needs the (\S+) attribute", d.message)]
            if m and m.group(1) in by_xml_name and by_xml_name[m.group(1)] not in attrs
        ]  # fmt: skip
        if not missing:
            break
        attrs.update({p: _placeholder(p, edge.method) for p in missing})
    if texml.parse(bare).ok:
        return bare
    for method in _builders(edge.child_cls):
        completed = _document(edge, attrs, method)
        if texml.parse(completed).ok:
            return completed
    return bare


def _document(edge: Edge, extra: dict[str, str], grandchild: str | None) -> str:
    response = voice_response.VoiceResponse()
    node, _ = _descend(edge.path, response)
    child = _call(node, edge.method, extra=extra, text=grandchild is None)
    if grandchild is not None:
        _call(child, grandchild)
    return str(response)


def _tags_on_path(edge: Edge) -> tuple[str, ...]:
    """The tags from <Response> down to the edge's parent."""
    return _descend(edge.path)[1]


def _texml_model(tags: tuple[str, ...]) -> type[Node] | None:
    """The texml model for the last of `tags`, following CHILDREN from <Response>."""
    cls: type[Node] = Response
    for tag in tags[1:]:
        nxt = cls.CHILDREN.get(tag)
        if nxt is None:
            return None
        cls = nxt
    return cls


def _mentions(diagnostic: texml.Diagnostic, tag: str) -> bool:
    return f"<{tag}>" in diagnostic.message or f"<{tag} " in diagnostic.message


def _nodes(verbs: tuple[Node, ...]) -> list[Node]:
    found: list[Node] = []
    stack = list(verbs)
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(getattr(node, "children", ()) or ())
    return found


EDGES = _discover()
EDGE_IDS = [e.id for e in EDGES]


# --- elements ---------------------------------------------------------------------------------


def test_the_sdk_graph_was_discovered() -> None:
    """Guard against introspection silently finding nothing (a changed SDK layout)."""
    reached = {voice_response.VoiceResponse} | {e.child_cls for e in EDGES}
    assert set(_element_classes()) - reached == set()  # every element class is reachable
    ids = set(EDGE_IDS)
    for expected in ("Response->Say", "Response->Dial", "Dial->Number", "Dial->Client",
                     "Gather->Say", "Connect->Stream", "Start->Siprec", "Say->break",
                     "Pay->Prompt", "Client->Identity", "Enqueue->Task"):  # fmt: skip
        assert expected in ids
    assert len(EDGES) > 80


@pytest.mark.parametrize("edge", EDGES, ids=EDGE_IDS)
def test_every_element_the_sdk_can_emit_is_texml_or_explained(edge: Edge) -> None:
    xml = _build(edge)
    doc = texml.parse(xml)  # must not raise
    errors = doc.errors
    tag = edge.child_tag
    if errors:
        for d in errors:
            assert d.hint, f"error without a hint for {edge.id} in {xml}: {d}"
            assert d.line >= 1 and d.column >= 1
        # The child is named, or an ancestor on its path is rejected (so it was never read).
        ancestors = _tags_on_path(edge)[1:]
        about = [d for d in doc.diagnostics if _mentions(d, tag)]
        about_ancestor = [
            d for d in errors if any(_mentions(d, a) for a in ancestors)
            and d.code in (Code.TWIML_ONLY_ELEMENT, Code.UNKNOWN_ELEMENT, Code.MISPLACED_ELEMENT)
        ]  # fmt: skip
        assert about or about_ancestor, f"no diagnostic about <{tag}> for {edge.id}: {doc.diagnostics}"
        return
    nodes = _nodes(doc.verbs)
    if tag in SSML_ELEMENTS:  # kept verbatim as SSML in the enclosing <Say>
        says = [n for n in nodes if getattr(n, "ssml", None)]
        assert any(f"<{tag}" in n.ssml for n in says), (xml, doc.verbs)
    else:
        assert any(type(n).TAG == tag for n in nodes), f"<{tag}> was accepted but not built: {xml}"


def test_twiml_only_elements_emitted_by_the_sdk_name_a_texml_alternative() -> None:
    """The SDK's verbs and nouns that TeXML lacks come back as twiml-only (not unknown), with a
    hint that names the TeXML element to use instead (or says to use attributes)."""
    unexplained, twiml_only = [], set()
    for edge in EDGES:
        if edge.child_tag in SSML_ELEMENTS:
            continue
        doc = texml.parse(_build(edge))
        for d in doc.diagnostics:
            if not _mentions(d, edge.child_tag):
                continue
            if d.code is Code.UNKNOWN_ELEMENT:
                unexplained.append(f"{edge.id}: {d.message}")
            if d.code is Code.TWIML_ONLY_ELEMENT:
                twiml_only.add(edge.child_tag)
                names = set(re.findall(r"<(\w+)", d.hint or "")) & ALL_TAGS
                if not names and "attribute" not in (d.hint or ""):
                    unexplained.append(f"{edge.id}: {d.hint}")
    assert unexplained == []
    assert {"Client", "Echo", "Room", "VirtualAgent", "Sms", "Task", "Sim"} <= twiml_only


# --- attributes -------------------------------------------------------------------------------

MAIN_VERBS = frozenset({
    "Say", "Play", "Pause", "Gather", "Record", "Dial", "Number", "Sip", "Conference", "Queue",
    "Enqueue", "Redirect", "Reject", "Refer", "Stream", "Connect", "Start", "Stop", "Siprec",
    "Transcription", "ConversationRelay", "Pay",
})  # fmt: skip


@dataclass(frozen=True)
class AttrCase:
    edge: Edge
    param: str
    xml_name: str

    @property
    def id(self) -> str:
        return f"{self.edge.id}.{self.xml_name}"


def _attribute_cases() -> list[AttrCase]:
    cases = []
    for edge in EDGES:
        if edge.child_tag not in MAIN_VERBS:
            continue
        parent = _replay(edge.path)
        params = inspect.signature(getattr(parent, edge.method)).parameters
        value = _value_param(edge.child_cls)
        for p in params.values():
            if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.name == value:
                continue
            xml_name = lower_camel(TwiML.MAP.get(p.name, p.name))
            cases.append(AttrCase(edge, p.name, xml_name))
    return cases


ATTR_CASES = _attribute_cases()


def test_the_sdk_attributes_were_discovered() -> None:
    names = {c.id for c in ATTR_CASES}
    for expected in ("Response->Gather.speechModel", "Response->Dial.answerOnBridge",
                     "Dial->Number.statusCallbackEvent", "Response->Say.voice",
                     "Connect->ConversationRelay.ttsProvider", "Start->Transcription.track"):  # fmt: skip
        assert expected in names
    assert len(ATTR_CASES) > 200


def _classify(case: AttrCase) -> tuple[str, texml.Document, str]:
    """How texml treats one SDK attribute: known, twiml-only, unknown-with-hint, unknown."""
    value = _placeholder(case.param, case.edge.method)
    xml = _build(case.edge, extra={case.param: value})
    assert f' {case.xml_name}="' in xml, xml
    doc = texml.parse(xml)
    about = [d for d in doc.diagnostics if re.search(rf"\b{re.escape(case.xml_name)}\b", d.message)]
    codes = {d.code for d in about}
    model = _texml_model((*_tags_on_path(case.edge), case.edge.child_tag))
    if model is not None and case.xml_name in model.XML_ATTRS:
        assert codes <= {Code.INVALID_VALUE, Code.SUSPICIOUS, Code.INVALID_ELEMENT}, (xml, about)
        if not doc.errors:  # read, not dropped: the node holds a value for it
            field = model.XML_ATTRS[case.xml_name].field
            held = [getattr(n, field) for n in _nodes(doc.verbs) if type(n) is model]
            assert held and all(v is not None for v in held), (xml, held)
        return "known", doc, xml
    if Code.TWIML_ONLY_ATTRIBUTE in codes:
        return "twiml-only", doc, xml
    if Code.UNKNOWN_ATTRIBUTE in codes:
        hint = next(d.hint or "" for d in about if d.code is Code.UNKNOWN_ATTRIBUTE)
        return ("unknown-did-you-mean" if hint.startswith("did you mean") else "unknown"), doc, xml
    if model is None:  # the element itself is TwiML-only (reported as such)
        return "element-rejected", doc, xml
    return "silently-dropped", doc, xml


@pytest.mark.parametrize("case", ATTR_CASES, ids=[c.id for c in ATTR_CASES])
def test_every_sdk_attribute_is_read_or_reported(case: AttrCase) -> None:
    kind, doc, xml = _classify(case)
    assert kind != "silently-dropped", f"{case.xml_name} on <{case.edge.child_tag}> vanished: {xml}"
    if kind == "element-rejected":  # a TwiML-only element, or one TeXML has only elsewhere
        rejected = (Code.TWIML_ONLY_ELEMENT, Code.UNKNOWN_ELEMENT, Code.MISPLACED_ELEMENT)
        assert any(d.code in rejected for d in doc.errors), doc.diagnostics
    for d in doc.diagnostics:
        if d.code in (Code.TWIML_ONLY_ATTRIBUTE, Code.UNKNOWN_ATTRIBUTE):
            assert d.severity is Severity.WARNING
            assert d.hint, d


def twiml_attributes_without_a_texml_hint() -> list[str]:
    """For the lead (not a test): SDK attributes that end up as plain unknown-attribute."""
    return sorted({c.id for c in ATTR_CASES
                   if _classify(c)[0] in ("unknown", "unknown-did-you-mean")})  # fmt: skip

