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
from collections.abc import Callable
from typing import Any

from compiler.step import CallContext, Step
from texml.parser import parse
from verbs import Response
from verbs.base import Node

VERSION = 1


def dumps(session: Any) -> str:
    """The session as a JSON document."""
    state = {k: v for k, v in vars(session).items() if k != "new_id"}
    state["verbs"] = _document(state["verbs"])
    return json.dumps({"v": VERSION, "session": _Encoder().encode(state)}, separators=(",", ":"))


def loads(text: str | bytes, *, new_id: Callable[[], str]) -> Any:
    """The session saved by `dumps`, with `new_id` as its id factory."""
    from texml.runtime.session import CallSession

    data = json.loads(text)
    if data.get("v") != VERSION:
        raise ValueError(f"unknown session format {data.get('v')!r}")
    state = _Decoder(new_id).decode(data["session"])
    state["verbs"] = _verbs(state["verbs"])
    session = CallSession.__new__(CallSession)
    vars(session).update(state)
    session.new_id = new_id
    return session


def _document(verbs: tuple[Node, ...]) -> str:
    return Response(children=tuple(verbs)).to_xml()


def _verbs(text: str) -> tuple[Node, ...]:
    doc = parse(text, max_bytes=len(text.encode()) + 1)
    if not doc.ok:  # the text was written by `_document`, so this is a bug, not bad input
        raise ValueError(f"stored document does not parse: {doc.errors[0]}")
    return doc.verbs


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


class _Encoder:
    """Values to JSON. A dataclass met twice (a step's `winner` is also in its `legs`) is
    written once and referred to after, so it is one object again when loaded."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}
        self.keep: list[Any] = []  # holds what `seen` refers to, so ids are not reused

    def encode(self, value: Any) -> Any:
        enc = self.encode
        if value is None or isinstance(value, bool | int | float | str):
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
        if isinstance(value, Node):
            fields = {n: enc(getattr(value, n)) for n in type(value).model_fields}
            return {"$node": _path(type(value)), "f": fields}
        if isinstance(value, CallContext):
            fields = {f.name: enc(getattr(value, f.name)) for f in dataclasses.fields(value)
                      if f.name != "new_id"}  # fmt: skip
            return {"$ctx": fields}
        if isinstance(value, Step):
            return {"$step": _path(type(value)), "a": {k: enc(v) for k, v in vars(value).items()}}
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
