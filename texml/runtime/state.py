"""A `CallSession` as JSON, so a call can live in a store between webhooks.

`texml serve` keeps no call in memory between inputs: it loads the session, feeds it one input,
and saves it again, atomically per call. That lets a restarted process (or another one sharing
the store) carry on any call where it stopped.

The encoding is generic over what sessions and compiled steps hold: plain values, lists, dicts,
tuples and sets (tagged), the frozen dataclasses of `compiler` and `texml.runtime`, verb nodes
(their class and fields), and steps (their class and attributes). The verbs of the running
document are stored as TeXML text. Functions are never stored: the id factory is given back on
load. Anything else is a programming error, reported as `TypeError` when saving.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import importlib
import json

import orjson
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from compiler.step import CallContext, Step
from texml.parser import parse
from texml.runtime.session import AppConfig, CallSession
from verbs import Response
from verbs.base import Node

VERSION = 1


def dumps(session: Any) -> str:
    """The session as a JSON document."""
    state = {k: v for k, v in vars(session).items() if k != "new_id"}
    state["verbs"] = _document(state["verbs"])
    return orjson.dumps({"v": VERSION, "session": _Encoder().attributes(state)}).decode()


def loads(text: str | bytes, *, new_id: Callable[[], str]) -> Any:
    """The session saved by `dumps`, with `new_id` as its id factory."""
    data = orjson.loads(text)
    if data.get("v") != VERSION:
        raise ValueError(f"unknown session format {data.get('v')!r}")
    state = _Decoder(new_id).decode(data["session"])
    state["verbs"] = _verbs(state["verbs"])
    session = CallSession.__new__(CallSession)
    vars(session).update(state)
    session.new_id = new_id
    return session


class _Documents:
    """The running documents, between their text and their verbs, both ways, for the last
    `size` documents used. A call's document rarely changes from one input to the next, and
    verbs are frozen, so a process serving many calls parses each document text once, not at
    every webhook (`loads`), and writes each loaded document's text back without serialising
    it again (`dumps` of the same tuple)."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.verbs: OrderedDict[str, tuple[Node, ...]] = OrderedDict()
        self.texts: OrderedDict[int, tuple[tuple[Node, ...], str]] = OrderedDict()

    def text(self, verbs: tuple[Node, ...]) -> str:
        known = self.texts.get(id(verbs))
        if known is not None and known[0] is verbs:  # the entry holds it: the id is not reused
            self.texts.move_to_end(id(verbs))
            return known[1]
        text = Response(children=tuple(verbs)).to_xml()
        self._remember(text, verbs)
        return text

    def parse(self, text: str) -> tuple[Node, ...]:
        verbs = self.verbs.get(text)
        if verbs is not None:
            self.verbs.move_to_end(text)
            return verbs
        doc = parse(text, max_bytes=len(text.encode()) + 1)
        if not doc.ok:  # the text was written by `_document`, so this is a bug, not bad input
            raise ValueError(f"stored document does not parse: {doc.errors[0]}")
        self._remember(text, doc.verbs)
        return doc.verbs

    def _remember(self, text: str, verbs: tuple[Node, ...]) -> None:
        self.verbs[text] = verbs
        self.texts[id(verbs)] = (verbs, text)
        for table in (self.verbs, self.texts):
            while len(table) > self.size:
                table.popitem(last=False)


_DOCUMENTS = _Documents()


def _document(verbs: tuple[Node, ...]) -> str:
    return _DOCUMENTS.text(verbs)


def _verbs(text: str) -> tuple[Node, ...]:
    return _DOCUMENTS.parse(text)


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _class(path: str) -> Any:
    module, _, name = path.partition(":")
    if not module.startswith(("compiler", "texml", "verbs")):
        raise ValueError(f"refusing to load {path!r}: not one of texml's own classes")
    target: Any = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


_PLAIN = frozenset({type(None), bool, int, float, str})
_IMMUTABLE = (Node, CallContext, AppConfig)  # kept in `_MEMO` once encoded
_MEMO_SIZE = 4096
_MEMO: dict[int, tuple[Any, Any]] = {}


class _Encoder:
    """Values to JSON. A dataclass met twice (a step's `winner` is also in its `legs`) is
    written once and referred to after, so it is one object again when loaded.

    Verb nodes, call contexts and the app's settings are immutable, and a call keeps the same
    ones from one input to the next: their encodings are kept (`_MEMO`, by identity, up to
    `_MEMO_SIZE`) and reused rather than walked again at every save."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}
        self.keep: list[Any] = []  # holds what `seen` refers to, so ids are not reused

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        enc = self.encode
        plain = _PLAIN
        # Most items are plain: tested inline, a call each saved (this runs at every save).
        if kind is list:
            return [v if type(v) in plain else enc(v) for v in value]
        if kind is dict:
            if all(type(k) is str and k[:1] != "$" for k in value):
                return self.attributes(value)
            return {"$d": [[enc(k), enc(v)] for k, v in value.items()]}
        if kind is tuple:
            return {"$t": [v if type(v) in plain else enc(v) for v in value]}
        if isinstance(value, _IMMUTABLE):
            known = _MEMO.get(id(value))
            if known is not None and known[0] is value:  # held there: the id is not reused
                return known[1]
            encoded = self._immutable(value)
            if len(_MEMO) >= _MEMO_SIZE:
                _MEMO.clear()
            _MEMO[id(value)] = (value, encoded)
            return encoded
        if isinstance(value, bool | int | float | str):  # subclasses (enums)
            return value
        if isinstance(value, list):
            return [enc(v) for v in value]
        if isinstance(value, tuple):
            return {"$t": [enc(v) for v in value]}
        if isinstance(value, set | frozenset):
            items = sorted((enc(v) for v in value), key=json.dumps)
            return {"$s" if isinstance(value, set) else "$fs": items}
        if isinstance(value, dict):
            if all(isinstance(k, str) and not k.startswith("$") for k in value):
                return {k: enc(v) for k, v in value.items()}
            return {"$d": [[enc(k), enc(v)] for k, v in value.items()]}
        if isinstance(value, bytes):
            return {"$b": base64.b64encode(value).decode()}
        if isinstance(value, datetime.datetime):
            return {"$dt": value.isoformat()}
        if isinstance(value, Step):
            return {"$step": _path(type(value)), "a": self.attributes(vars(value))}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            frozen = type(value).__dataclass_params__.frozen  # type: ignore[attr-defined]
            if not frozen and id(value) in self.seen:
                return {"$ref": self.seen[id(value)]}
            out: dict[str, Any] = {"$dc": _path(type(value))}
            if not frozen:  # a frozen one is a value: equal copies will do
                out["$id"] = self.seen[id(value)] = len(self.seen)
                self.keep.append(value)
            out["f"] = {f.name: enc(getattr(value, f.name)) for f in dataclasses.fields(value)}
            return out
        raise TypeError(f"cannot store a {type(value).__name__} in a call's state")

    def attributes(self, values: dict[str, Any]) -> dict[str, Any]:
        """A dict whose keys are plain names (an object's attributes): its values encoded."""
        enc, plain = self.encode, _PLAIN
        return {k: v if type(v) in plain else enc(v) for k, v in values.items()}

    def _immutable(self, value: Any) -> Any:
        enc = self.encode
        if isinstance(value, Node):
            fields = {n: enc(getattr(value, n)) for n in type(value).model_fields}
            return {"$node": _path(type(value)), "f": fields}
        if isinstance(value, CallContext):
            fields = {f.name: enc(getattr(value, f.name)) for f in dataclasses.fields(value)
                      if f.name != "new_id"}  # fmt: skip
            return {"$ctx": fields}
        fields = {f.name: enc(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$dc": _path(type(value)), "f": fields}


class _Decoder:
    def __init__(self, new_id: Callable[[], str]) -> None:
        self.new_id = new_id
        self.objects: dict[int, Any] = {}

    def decode(self, value: Any) -> Any:
        dec = self.decode
        if isinstance(value, list):
            return [dec(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "$t" in value:
            return tuple(dec(v) for v in value["$t"])
        if "$s" in value:
            return {dec(v) for v in value["$s"]}
        if "$fs" in value:
            return frozenset(dec(v) for v in value["$fs"])
        if "$d" in value:
            return {dec(k): dec(v) for k, v in value["$d"]}
        if "$b" in value:
            return base64.b64decode(value["$b"])
        if "$dt" in value:
            return datetime.datetime.fromisoformat(value["$dt"])
        if "$node" in value:
            return _class(value["$node"]).model_validate({k: dec(v) for k, v in value["f"].items()})
        if "$ctx" in value:
            return CallContext(new_id=self.new_id, **{k: dec(v) for k, v in value["$ctx"].items()})
        if "$step" in value:
            step = object.__new__(_class(value["$step"]))  # no __init__, no __new__ dispatch
            vars(step).update({k: dec(v) for k, v in value["a"].items()})
            return step
        if "$ref" in value:
            return self.objects[value["$ref"]]
        if "$dc" in value:
            obj = _class(value["$dc"])(**{k: dec(v) for k, v in value["f"].items()})
            if "$id" in value:
                self.objects[value["$id"]] = obj
            return obj
        return {k: dec(v) for k, v in value.items()}
