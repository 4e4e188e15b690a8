"""Hypothesis strategies that build valid TeXML ASTs, derived from the models' own metadata.

Nothing here lists verbs by hand. For a model class the strategy reads:

- `cls.XML_ATTRS` and the field annotations: each attribute is either absent (left to its
  default; required fields are always present) or drawn from its annotation — `Literal`
  members, `int`/`float`/`Decimal` within the field's `ge`/`le`, `XmlBool`, short XML-safe text,
  space/comma separated lists of the item strategy, unions of their arms;
- `cls.TEXT` for the element's text;
- `cls.CHILDREN` for its children (recursive; at most `MAX_CHILDREN` per element).

Some fields have a format that the annotation alone does not say (a `wss://` URL, JSON text, an
E.164 number, ...): `OVERRIDES` gives those fields their own strategy. Rules across fields and
children are kept in two small tables, `FIXUPS` (attribute/text rules such as "exactly one of
text, digits, ringTone") and `CHILD_RULES` (children cardinality such as "exactly one child" or
"needs a <Parameters>"). The node is then built with `cls.model_validate`; a ValidationError
that slips through rejects the example (`assume`), which the tables keep rare.
"""

from __future__ import annotations

import dataclasses
import json
import math
import string
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from hypothesis import assume
from hypothesis import strategies as st
from pydantic import ValidationError

from verbs import Response
from verbs.aigather import AIGather, Assistant, Parameters, Tool
from verbs.base import Node, Text, _ListStyle
from verbs.connect import AIAssistant, Connect, ConversationRelay, Language
from verbs.dial import Dial, Number, Sip
from verbs.gather import Gather
from verbs.http_request import (
    Header, HttpRequest, HttpResponse, Request, ResponseField, StatusCode,
)  # fmt: skip
from verbs.pay import Pay, Prompt
from verbs.play import Play
from verbs.record import Record
from verbs.redirect import Redirect
from verbs.refer import Refer, ReferSip
from verbs.say import Say
from verbs.start import Siprec, Start, Stop, Stream, Suppression, Transcription

MAX_CHILDREN = 3
# Below this depth (Response = 0) elements get only the children they must have.
MAX_DEPTH = 5

# --- scalar strategies ---------------------------------------------------------------------------

# XML-safe printable characters: letters, marks, numbers, punctuation, symbols and spaces (no
# control characters, surrogates or unassigned code points, which XML cannot carry).
_PRINTABLE = st.characters(categories=("L", "M", "N", "P", "S", "Zs"))
_WORD_CHAR = st.characters(categories=("L", "M", "N", "P", "S"))


def _trimmed(
    alphabet: st.SearchStrategy[str], min_size: int, max_size: int
) -> st.SearchStrategy[str]:
    # str.strip() is what the parser uses on text, so "no leading/trailing whitespace" means
    # Python's notion of whitespace (which includes U+00A0, U+3000, ...).
    return (
        st.text(alphabet, min_size=max(min_size, 1), max_size=max_size)
        .map(str.strip)
        .filter(lambda s: min_size <= len(s) <= max_size and (s or min_size == 0))
    )


def short_text(min_size: int = 1, max_size: int = 20) -> st.SearchStrategy[str]:
    """Short XML-safe text with no leading or trailing whitespace."""
    ascii_chars = st.sampled_from(string.ascii_letters + string.digits + " .-_/:")
    ascii_text = _trimmed(ascii_chars, min_size, max_size)
    return st.one_of(ascii_text, _trimmed(_PRINTABLE, min_size, max_size))


def word() -> st.SearchStrategy[str]:
    """One short word: no whitespace at all (an item of a space-separated list)."""
    return st.text(_WORD_CHAR, min_size=1, max_size=12)


def url(schemes: tuple[str, ...] = ("https",)) -> st.SearchStrategy[str]:
    path = st.text(st.sampled_from(string.ascii_lowercase + string.digits + "-_/"), max_size=15)
    host = st.sampled_from(["example.com", "api.example.com", "media.example.org", "10.0.0.1:8443"])
    return st.builds(lambda s, h, p: f"{s}://{h}/{p}", st.sampled_from(schemes), host, path)


def e164() -> st.SearchStrategy[str]:
    return st.from_regex(r"\+[1-9][0-9]{1,14}", fullmatch=True)


def sip_uri() -> st.SearchStrategy[str]:
    user_chars = st.sampled_from(string.ascii_lowercase + string.digits + "+._-")
    user = st.text(user_chars, min_size=1, max_size=10)
    host = st.sampled_from(["example.com", "sip.telnyx.com", "pbx.example.org:5061"])
    scheme = st.sampled_from(["sip", "sips", "SIP"])
    return st.builds(lambda s, u, h: f"{s}:{u}@{h}", scheme, user, host)


_JSON_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), short_text(0, 10),
)
_JSON = st.recursive(
    _JSON_SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(short_text(1, 8), inner, max_size=3)
    ),
    max_leaves=6,
)


def json_object_text() -> st.SearchStrategy[str]:
    return st.dictionaries(short_text(1, 8), _JSON, max_size=3).map(json.dumps)


def json_text() -> st.SearchStrategy[str]:
    return _JSON.map(json.dumps)


def _tenths(low: float | None, high: float | None) -> st.SearchStrategy[float]:
    """Floats that survive str() -> float(): multiples of 0.1 in [low, high]."""
    lo = math.ceil(round((low if low is not None else -1000.0) * 10, 6))
    hi = math.floor(round((high if high is not None else 1000.0) * 10, 6))
    return st.integers(lo, hi).map(lambda k: round(k / 10, 1))


# --- annotations -> strategies -------------------------------------------------------------------


@dataclasses.dataclass
class _Constraints:
    ge: Any = None
    le: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    separator: str | None = None


def _constraints(metadata: list[Any]) -> _Constraints:
    found = _Constraints()
    for meta in metadata:
        if isinstance(meta, _ListStyle):
            found.separator = meta.separator
        for name in ("ge", "le", "min_length", "max_length", "pattern"):
            value = getattr(meta, name, None)
            if value is not None:
                setattr(found, name, value)
    return found


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """Strip Annotated layers, gathering their metadata (FieldInfo metadata included)."""
    metadata = list(metadata)
    while typing.get_origin(annotation) is Annotated:
        base, *extra = typing.get_args(annotation)
        for meta in extra:
            metadata.extend(getattr(meta, "metadata", ()) or ())
            metadata.append(meta)
        annotation = base
    return annotation, metadata


def strategy_for(annotation: Any, metadata: list[Any] = ()) -> st.SearchStrategy[Any]:
    """A strategy for values of `annotation` (with pydantic field metadata)."""
    annotation, metadata = _unwrap(annotation, list(metadata))
    rules = _constraints(metadata)
    origin = typing.get_origin(annotation)

    if origin in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(annotation) if a is not type(None)]
        return st.one_of(*(strategy_for(a, metadata if len(arms) == 1 else []) for a in arms))
    if origin is Literal:
        return st.sampled_from(typing.get_args(annotation))
    if origin is tuple:
        item_ann = typing.get_args(annotation)[0]
        if item_ann is str:
            # Items of a separated list: no separator inside, and nothing the split would strip.
            if rules.separator == " ":
                item = word()
            else:
                item = short_text(1, 12).filter(lambda s: "," not in s)
        else:
            item = strategy_for(item_ann)
        return st.lists(
            item, min_size=rules.min_length or 0, max_size=min(rules.max_length or 3, 3)
        ).map(tuple)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        # No upper bound in the metadata: any size (big values take the parser's slow path).
        return st.integers(rules.ge, rules.le)
    if annotation is float:
        return _tenths(rules.ge, rules.le)
    if annotation is Decimal:
        return st.decimals(
            min_value=rules.ge, max_value=Decimal("100000"), places=2,
            allow_nan=False, allow_infinity=False,
        )  # fmt: skip
    if annotation is str:
        low, high = rules.min_length or 0, min(rules.max_length or 20, 20)
        if rules.pattern is not None:
            return st.from_regex(rules.pattern, fullmatch=True).filter(
                lambda s: low <= len(s) <= max(high, 20)
            )
        return short_text(max(low, 1), high)
    raise TypeError(f"no strategy for annotation {annotation!r}")


# --- per-class tables ----------------------------------------------------------------------------

# Fields whose format the annotation does not carry ("text" is the element's text).
OVERRIDES: dict[type[Node], dict[str, st.SearchStrategy[Any]]] = {
    Stream: {"url": url(("wss", "ws"))},
    ConversationRelay: {"url": url(("wss",)), "background_audio_value": url()},
    Language: {"background_audio_value": url()},
    Pay: {
        "parameters": json_object_text(),
        "prompts": json_object_text(),
        "metadata": json_text(),
    },
    Prompt: {
        "card_type": st.lists(
            st.sampled_from(["visa", "mastercard", "amex", "discover", "jcb", "diners-club"]),
            max_size=3,
        ).map(tuple),
    },
    Siprec: {"session_timeout_secs": st.one_of(st.just(0), st.integers(90, 14440))},
    Number: {"text": e164()},
    Sip: {"text": sip_uri()},
    ReferSip: {"text": sip_uri()},
    Dial: {"text": e164()},
    Play: {"text": url()},
    Redirect: {"text": url()},
    Parameters: {"text": json_object_text()},
    Tool: {"text": short_text().map(
        lambda d: json.dumps({"type": "hangup", "hangup": {"description": d}}))},
    StatusCode: {"text": st.integers(100, 599).map(str)},
    Say: {"text": short_text(1, 60)},
}

Fixup = Callable[[Callable[[st.SearchStrategy[Any]], Any], dict[str, Any]], None]


def _play(draw: Any, kw: dict[str, Any]) -> None:
    # Exactly one source: an audio URL as text, digits, or ringTone.
    keep = draw(st.sampled_from(["text", "digits", "ring_tone"]))
    for name in ("text", "digits", "ring_tone"):
        if name != keep:
            kw.pop(name, None)
    if keep not in kw:
        kw[keep] = draw(_field_strategy(Play, keep))


def _dial(draw: Any, kw: dict[str, Any]) -> None:
    # A bare number as text, or nouns, never both.
    if kw.get("children"):
        kw.pop("text", None)
    elif "text" not in kw:
        kw["text"] = draw(_field_strategy(Dial, "text"))


def _gather(draw: Any, kw: dict[str, Any]) -> None:
    low, high = kw.get("min_digits", 1), kw.get("max_digits", 128)
    if low > high:
        kw["min_digits"], kw["max_digits"] = high, low


def _record(draw: Any, kw: dict[str, Any]) -> None:
    # A vendor/model transcriptionModel must match the engine (Deepgram both ways).
    model = kw.get("transcription_model")
    if model and "/" in model:
        if model.split("/", 1)[0].lower() == "deepgram":
            kw["transcription_engine"] = "Deepgram"
        elif kw.get("transcription_engine") == "Deepgram":
            kw["transcription_engine"] = draw(st.sampled_from(["A", "B"]))


def _transcription(draw: Any, kw: dict[str, Any]) -> None:
    if kw.get("transcription_engine") == "Azure" and not kw.get("region"):
        kw["region"] = draw(st.sampled_from(["eastus", "westeurope"]))


def _suppression(draw: Any, kw: dict[str, Any]) -> None:
    if kw.get("size") == "vf":
        kw["family"] = "quail"


def _background_audio(cls: type[Node]) -> Fixup:
    def fix(draw: Any, kw: dict[str, Any]) -> None:
        if "background_audio_type" in kw and "background_audio_value" not in kw:
            kw["background_audio_value"] = draw(_field_strategy(cls, "background_audio_value"))
        elif "background_audio_value" in kw and "background_audio_type" not in kw:
            kw["background_audio_type"] = "media_url"

    return fix


def _ai_assistant(draw: Any, kw: dict[str, Any]) -> None:
    if not kw.get("id") and not kw.get("join"):
        kw["id"] = draw(st.from_regex(r"assistant-[0-9a-f]{8}", fullmatch=True))


_SSML_BREAKS = ('<break time="500ms"/>', '<break strength="strong"/>')


def _say(draw: Any, kw: dict[str, Any]) -> None:
    # Sometimes SSML: `ssml` is the inner markup as lxml writes it, `text` its plain words.
    if draw(st.integers(0, 3)) == 0:
        before, after = draw(short_text(1, 15)), draw(short_text(1, 15))
        markup = draw(st.sampled_from(_SSML_BREAKS))
        kw["ssml"] = f"{_escape(before)} {markup} {_escape(after)}"
        kw["text"] = " ".join(f"{before} {after}".split())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pay(draw: Any, kw: dict[str, Any]) -> None:
    if kw.get("transaction_type") == "charge" and not kw.get("charge_amount"):
        kw["charge_amount"] = draw(st.decimals(Decimal("0.01"), Decimal("1000"), places=2))


# Rules across fields, applied to the drawn kwargs before validation.
FIXUPS: dict[type[Node], Fixup] = {
    Play: _play,
    Dial: _dial,
    Gather: _gather,
    Record: _record,
    Transcription: _transcription,
    Suppression: _suppression,
    ConversationRelay: _background_audio(ConversationRelay),
    Language: _background_audio(Language),
    AIAssistant: _ai_assistant,
    Pay: _pay,
    Say: _say,
}


@dataclasses.dataclass(frozen=True)
class ChildRule:
    """How many children of which tags an element holds."""

    min_size: int = 0
    max_size: int = MAX_CHILDREN
    required: tuple[str, ...] = ()  # tags that must be present (once each)
    unique: bool = False  # at most one child per tag
    alone: frozenset[str] = frozenset()  # tags that must be the only child


CHILD_RULES: dict[type[Node], ChildRule] = {
    Connect: ChildRule(min_size=1, max_size=1),
    Refer: ChildRule(min_size=1, max_size=1),
    Start: ChildRule(min_size=1),
    Stop: ChildRule(min_size=1),
    AIGather: ChildRule(required=("Parameters",), unique=True),
    Assistant: ChildRule(max_size=1),
    Header: ChildRule(required=("Key", "Value"), unique=True, max_size=2),
    ResponseField: ChildRule(required=("Name", "Value"), unique=True, max_size=2),
    Request: ChildRule(unique=True),
    HttpResponse: ChildRule(unique=True),
    HttpRequest: ChildRule(required=("Request",), unique=True),
    Dial: ChildRule(alone=frozenset({"Conference", "Queue"})),
}

# --- building nodes ------------------------------------------------------------------------------


def _field_strategy(cls: type[Node], name: str) -> st.SearchStrategy[Any]:
    override = OVERRIDES.get(cls, {}).get(name)
    if override is not None:
        return override
    info = cls.model_fields[name]
    if name == "text":
        return short_text(1, 20)
    return strategy_for(info.annotation, info.metadata)


def _child_tags(draw: Any, cls: type[Node], depth: int, include: str | None) -> list[str]:
    """The tags of the children to build, in document order."""
    rule = CHILD_RULES.get(cls, ChildRule())
    tags = list(cls.CHILDREN)
    if not tags:
        return []
    chosen = list(rule.required)
    if include is not None:
        if include in rule.alone:
            return [include]
        if include not in chosen:
            chosen.append(include)
    pool = [t for t in tags if not (rule.unique and t in chosen) and t not in rule.alone]
    room = rule.max_size - len(chosen)
    want_min = max(rule.min_size - len(chosen), 0)
    want_max = room if depth < MAX_DEPTH else want_min
    extra: list[str] = []
    if not chosen and rule.alone and depth < MAX_DEPTH and draw(st.integers(0, 3)) == 0:
        return [draw(st.sampled_from(sorted(rule.alone)))]
    if pool and want_max > 0:
        if rule.unique:
            extra = draw(st.lists(st.sampled_from(pool), min_size=min(want_min, len(pool)),
                                  max_size=min(want_max, len(pool)), unique=True))
        else:
            extra = draw(st.lists(st.sampled_from(pool), min_size=want_min, max_size=want_max))
    elif want_min > 0 and not pool:
        extra = [draw(st.sampled_from(tags)) for _ in range(want_min)]
    return draw(st.permutations(chosen + extra))


Avoid = frozenset[tuple[type[Node], str]]


def build_node(
    draw: Any, cls: type[Node], depth: int = 1, include: Node | None = None,
    avoid: Avoid = frozenset(), presence: str = "any",
) -> Node:
    """Draw one valid `cls` node; with `include`, that node is one of its children.

    `avoid` names (model, field) pairs to leave at their defaults (for known bugs, which have
    their own strict-xfail tests). `presence` says which optional attributes of this node are
    set: "any" (drawn), "all" or "none" (children are drawn as usual).
    """
    kw: dict[str, Any] = {}
    fields = cls.model_fields
    for spec in cls.XML_ATTRS.values():
        info = fields[spec.field]
        if (cls, spec.field) in avoid and not info.is_required():
            continue
        wanted = {"all": True, "none": False}.get(presence)
        if info.is_required() or (draw(st.booleans()) if wanted is None else wanted):
            kw[spec.field] = draw(_field_strategy(cls, spec.field))

    if "text" in fields and cls.TEXT is not Text.NONE:
        if cls.TEXT is Text.REQUIRED or draw(st.booleans()):
            kw["text"] = draw(_field_strategy(cls, "text"))

    if cls.CHILDREN:
        include_tag = include.TAG if include is not None else None
        tags = _child_tags(draw, cls, depth, include_tag)
        children: list[Node] = []
        placed = False
        for tag in tags:
            if include is not None and not placed and tag == include_tag:
                children.append(include)
                placed = True
            else:
                children.append(build_node(draw, cls.CHILDREN[tag], depth + 1, avoid=avoid))
        if children:
            kw["children"] = tuple(children)

    fixup = FIXUPS.get(cls)
    if fixup is not None:
        fixup(draw, kw)
    try:
        return cls.model_validate(kw)
    except ValidationError:
        assume(False)  # last resort: the tables above should make this rare
        raise


@st.composite
def _node(draw: Any, cls: type[Node], avoid: Avoid, presence: str = "any") -> Node:
    return build_node(draw, cls, avoid=avoid, presence=presence)


def node_strategy(
    cls: type[Node], avoid: Avoid = frozenset(), presence: str = "any"
) -> st.SearchStrategy[Node]:
    """Valid nodes of model `cls` (with valid children); see `build_node` for `presence`."""
    return _node(cls, frozenset(avoid), presence)


VERB_MODELS: tuple[type[Node], ...] = tuple(Response.CHILDREN.values())


def document_strategy(avoid: Avoid = frozenset()) -> st.SearchStrategy[tuple[Node, ...]]:
    """A document's verbs: 1-5 valid top-level verbs."""
    verb = st.sampled_from(VERB_MODELS).flatmap(lambda cls: node_strategy(cls, avoid))
    return st.lists(verb, min_size=1, max_size=5).map(tuple)


# --- nouns in context ----------------------------------------------------------------------------


def parent_chain(cls: type[Node]) -> tuple[type[Node], ...]:
    """The shortest chain of models from `Response` down to the parent of `cls`."""
    frontier: list[tuple[type[Node], ...]] = [(Response,)]
    seen: set[type[Node]] = {Response}
    while frontier:
        nxt: list[tuple[type[Node], ...]] = []
        for chain in frontier:
            for child in chain[-1].CHILDREN.values():
                if child is cls:
                    return chain
                if child not in seen:
                    seen.add(child)
                    nxt.append(chain + (child,))
        frontier = nxt
    raise LookupError(f"{cls.__name__} cannot appear in a document")


@st.composite
def document_with(draw: Any, cls: type[Node], avoid: Avoid = frozenset()) -> tuple[Node, ...]:
    """A valid document (its verbs) holding a generated `cls` node in its nearest context."""
    chain = parent_chain(cls)
    node = build_node(draw, cls, depth=len(chain), avoid=avoid)
    for depth, parent in reversed(list(enumerate(chain))):
        if parent is Response:
            break
        node = build_node(draw, parent, depth=depth, include=node, avoid=avoid)
    verb = st.sampled_from(VERB_MODELS).flatmap(lambda c: node_strategy(c, avoid))
    before = draw(st.lists(verb, max_size=1))
    return (*before, node)


__all__ = [
    "CHILD_RULES", "FIXUPS", "OVERRIDES", "VERB_MODELS", "build_node", "document_strategy",
    "document_with", "node_strategy", "parent_chain", "strategy_for",
]  # fmt: skip
