"""Test-time oracle: check Call Control command bodies and webhook payloads against the
official ``telnyx`` SDK's own types (spec: /work/shared/spec/call-control.md, sections 7, 11, 12).

Public API
----------
``validate_body(params_cls, body, *, strict_types=True) -> dict``
    Validate a wire JSON body against an SDK ``TypedDict`` params class. Unknown keys, Python-only
    SDK keys (``from_``), wrong enum values, wrong types (no lax coercion) and ``null`` all fail;
    nested typed dicts are checked and lazy ``Iterable[...]`` fields are materialised so bad
    items surface (with their full location).
``COMMANDS: dict[(http_method, path_template), params_cls | None]``
    Every command of the SDK's call, conference and queue resources, derived by reading the
    resource source (the path each method requests and the params type it transforms the
    body/query with). ``None`` means the endpoint takes no body/query parameters.
``SDK_METHODS: dict[(http_method, path_template), str]``
    The SDK method behind each entry, e.g. ``"calls.actions.start_recording"``.
``resolve_command(method, path) -> ((method, template), params_cls | None, path_values)``
``validate_command(method, path, body) -> dict``
    Find the entry for a concrete request path (``/calls/v3:abc/actions/speak``, with or
    without the ``/v2`` prefix, query string or scheme/host) and validate the body.
``validate_webhook(payload, *, allow_extra=None) -> pydantic model``
    Validate a full webhook envelope (``{"data": {"event_type": ..., "payload": {...}}}``)
    against the SDK model for its event type, in strict JSON mode, and reject every key the
    SDK model does not declare (the SDK models themselves use ``extra="allow"``).

All schema failures are raised as ``pydantic.ValidationError`` (unknown keys use the
``extra_forbidden`` error type); an unknown command path raises ``UnknownCommandError`` and an
unmodelled event type ``UnknownEventTypeError`` (both ``LookupError``).
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import re
import typing
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import pydantic
import typing_extensions as te
from pydantic import ConfigDict, TypeAdapter, ValidationError
from pydantic.warnings import TypedDictExtraConfigWarning
from pydantic_core import InitErrorDetails, PydanticCustomError
from telnyx._utils import PropertyInfo  # private, but it is how the SDK stores JSON aliases

__all__ = [
    "COMMANDS",
    "SDK_METHODS",
    "RESOURCE_CLASSES",
    "SDK_GAP_EXTRAS",
    "WEBHOOK_MODELS",
    "UnknownCommandError",
    "UnknownEventTypeError",
    "resolve_command",
    "validate_body",
    "validate_command",
    "validate_webhook",
]


class UnknownCommandError(LookupError):
    """No SDK command matches the (method, path) pair."""


class UnknownEventTypeError(LookupError):
    """The webhook's ``data.event_type`` is not modelled by the SDK."""


def _error(title: str, errors: list[tuple[str, tuple, Any, str]]) -> ValidationError:
    """Build a pydantic ValidationError from (type, loc, input, message) tuples."""
    return _reraise(title, [{"type": t, "loc": loc, "input": v, "msg": m} for t, loc, v, m in errors])


# ---------------------------------------------------------------------------------------------
# Request bodies (TypedDict params classes) - the section 11 recipe, extended
# ---------------------------------------------------------------------------------------------

_WRAPPERS = (te.Required, te.NotRequired, te.Annotated, typing.Required, typing.NotRequired)
try:  # ReadOnly only exists in newer typing_extensions
    _WRAPPERS += (te.ReadOnly,)
except AttributeError:  # pragma: no cover
    pass


def _unwrap(ann: Any) -> tuple[Any, str | None]:
    """Strip Required/NotRequired/Annotated; return (inner type, JSON alias if any)."""
    alias = None
    while typing.get_origin(ann) in _WRAPPERS:
        args = typing.get_args(ann)
        if typing.get_origin(ann) in (te.Annotated,):
            alias = next((m.alias for m in args[1:] if isinstance(m, PropertyInfo) and m.alias), alias)
        ann = args[0]
    return ann, alias


@functools.lru_cache(maxsize=None)
def _aliases(td: type) -> dict[str, tuple[str, Any]]:
    """JSON key -> (python key, annotation) for one TypedDict."""
    out: dict[str, tuple[str, Any]] = {}
    for key, ann in typing.get_type_hints(td, include_extras=True).items():
        inner, alias = _unwrap(ann)
        out[alias or key] = (key, inner)
    return out


def _is_union(tp: Any) -> bool:
    import types as _types

    return typing.get_origin(tp) in (typing.Union, _types.UnionType)


def _typeddict_arm(tp: Any, value: dict) -> Any:
    """The TypedDict arm of a union that knows most of the keys of ``value`` (or None)."""
    arms = [_unwrap(a)[0] for a in typing.get_args(tp) if a is not type(None)]
    tds = [a for a in arms if te.is_typeddict(a)]
    return max(tds, key=lambda td: sum(k in _aliases(td) for k in value)) if tds else None


_MAPPINGS = (dict, Mapping, typing.Dict, typing.Mapping)


def _to_python_keys(tp: Any, value: Any, loc: tuple = (), bad: list | None = None) -> Any:
    """Rename wire (JSON) keys to the SDK's Python keys, recursively, following the type.

    A Python-only key (``from_``, ``call_control_id_to_bridge_with``, ``payment_card_number``)
    is not a valid wire key: it is dropped and recorded in ``bad`` as (loc, value, wire name).
    """
    bad = [] if bad is None else bad
    tp, _ = _unwrap(tp)
    origin = typing.get_origin(tp)
    if te.is_typeddict(tp) and isinstance(value, dict):
        al = _aliases(tp)
        python_only = {py: wire for wire, (py, _) in al.items() if py != wire and py not in al}
        out = {}
        for k, v in value.items():
            if k in al:
                out[al[k][0]] = _to_python_keys(al[k][1], v, loc + (k,), bad)
            elif k in python_only:
                bad.append((loc + (k,), v, python_only[k]))
            else:
                out[k] = v  # unknown key: left for extra="forbid" to report
        return out
    if _is_union(tp):
        arms = [_unwrap(a)[0] for a in typing.get_args(tp) if a is not type(None)]
        if isinstance(value, dict):
            arm = _typeddict_arm(tp, value)
            if arm is None:
                arm = next((a for a in arms if typing.get_origin(a) in _MAPPINGS), None)
            return _to_python_keys(arm, value, loc, bad) if arm is not None else value
        if isinstance(value, list):
            arm = next(
                (a for a in arms if typing.get_args(a) and not te.is_typeddict(a)
                 and typing.get_origin(a) not in _MAPPINGS and not _is_union(a)),
                None,
            )
            return _to_python_keys(arm, value, loc, bad) if arm is not None else value
        return value
    if isinstance(value, dict) and origin in _MAPPINGS:
        args = typing.get_args(tp)
        if len(args) != 2:
            return value
        return {k: _to_python_keys(args[1], v, loc + (k,), bad) for k, v in value.items()}
    if isinstance(value, list) and typing.get_args(tp):
        inner = typing.get_args(tp)[0]
        return [_to_python_keys(inner, v, loc + (i,), bad) for i, v in enumerate(value)]
    return value


def _wire_loc(tp: Any, loc: tuple) -> tuple:
    """Best effort: rewrite a pydantic error location (Python keys) to wire (JSON) keys."""
    out: list = []
    for i, seg in enumerate(loc):
        tp, _ = _unwrap(tp)
        if _is_union(tp):
            tds = [_unwrap(a)[0] for a in typing.get_args(tp) if te.is_typeddict(_unwrap(a)[0])]
            tp = next((td for td in tds if isinstance(seg, str) and
                       any(py == seg for py, _ in _aliases(td).values())), tp)
        if te.is_typeddict(tp) and isinstance(seg, str):
            hit = next(((w, ann) for w, (py, ann) in _aliases(tp).items() if py == seg), None)
            if hit is None:
                return tuple(out) + tuple(loc[i:])
            out.append(hit[0])
            tp = hit[1]
        elif isinstance(seg, int) and typing.get_args(tp):
            out.append(seg)
            tp = typing.get_args(tp)[0]
        elif isinstance(seg, str) and typing.get_origin(tp) in _MAPPINGS and len(typing.get_args(tp)) == 2:
            out.append(seg)
            tp = typing.get_args(tp)[1]
        else:
            return tuple(out) + tuple(loc[i:])
    return tuple(out)


def _materialize(value: Any, loc: tuple, errors: list[dict]) -> Any:
    """Turn pydantic's lazy ValidatorIterators (``Iterable[...]`` fields) into lists, collecting
    the item errors with their full location (the iterator itself reports only the index)."""
    if isinstance(value, Iterator):
        items = []
        while True:
            try:
                item = next(value)
            except StopIteration:
                break
            except ValidationError as exc:
                errors.extend({**e, "loc": loc + tuple(e["loc"])} for e in exc.errors())
                continue
            items.append(_materialize(item, loc + (len(items),), errors))
        return items
    if isinstance(value, dict):
        return {k: _materialize(v, loc + (k,), errors) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_materialize(v, loc + (i,), errors) for i, v in enumerate(value)]
    return value


@functools.lru_cache(maxsize=None)
def _strict_adapter(params_cls: type) -> TypeAdapter:
    strict_cls = type(
        params_cls.__name__,
        (params_cls,),
        {"__pydantic_config__": ConfigDict(extra="forbid"), "__module__": params_cls.__module__},
    )
    with warnings.catch_warnings():  # open (extra_items=object) objects stay open; silence that
        warnings.simplefilter("ignore", TypedDictExtraConfigWarning)
        return TypeAdapter(strict_cls)


def validate_body(params_cls: type, body: Mapping[str, Any], *, strict_types: bool = True) -> dict:
    """Validate a wire JSON body against an SDK params ``TypedDict``.

    Raises ``pydantic.ValidationError`` (error locations use wire keys) on unknown keys
    (``extra_forbidden``), Python-only SDK keys such as ``from_`` (``wire_alias``), wrong enums
    (``literal_error``), wrong types - no ``"30"`` -> 30 coercion with ``strict_types`` -, ``null``,
    missing required keys, and bad items of nested objects and of lazy ``Iterable[...]`` lists.
    Returns the validated body with Python (SDK keyword) keys and lists materialised.
    """
    if not te.is_typeddict(params_cls):
        raise TypeError(f"{params_cls!r} is not an SDK params TypedDict")
    if not isinstance(body, Mapping):
        raise _error(
            params_cls.__name__,
            [("dict_type", (), body, f"body must be a JSON object, got {type(body).__name__}")],
        )
    bad: list[tuple] = []
    data = _to_python_keys(params_cls, dict(body), (), bad)
    errors: list[dict] = []
    result: Any = None
    try:
        result = _strict_adapter(params_cls).validate_python(data, strict=strict_types)
    except ValidationError as exc:
        errors.extend(exc.errors())
    else:
        result = _materialize(result, (), errors)
    for e in errors:
        e["loc"] = _wire_loc(params_cls, tuple(e["loc"]))
    errors.extend(
        {"type": "wire_alias", "loc": loc, "input": v,
         "msg": f"{loc[-1]!r} is the SDK's Python keyword; the JSON key is {wire!r}"}
        for loc, v, wire in bad
    )
    if errors:
        raise _reraise(params_cls.__name__, errors)
    return result


def _reraise(title: str, errors: list[dict]) -> ValidationError:
    """Rebuild a ValidationError from ``errors()``-style dicts (locations possibly rewritten)."""
    details: list[InitErrorDetails] = []
    for e in errors:
        d: dict = {"type": e["type"], "loc": tuple(e["loc"]), "input": e.get("input")}
        if "ctx" in e:
            d["ctx"] = e["ctx"]
        try:
            ValidationError.from_exception_data(title, [d])  # is it a built-in error type?
        except Exception:
            d = {"type": PydanticCustomError(e["type"], e.get("msg", e["type"]).replace("{", "(").replace("}", ")")),
                 "loc": tuple(e["loc"]), "input": e.get("input")}
        details.append(d)
    return ValidationError.from_exception_data(title, details)


# ---------------------------------------------------------------------------------------------
# COMMANDS: derived from the SDK resource source
# ---------------------------------------------------------------------------------------------

# (prefix of the SDK method name, module, sync resource class name)
RESOURCE_CLASSES: tuple[tuple[str, str, str], ...] = (
    ("calls", "telnyx.resources.calls.calls", "CallsResource"),
    ("calls.actions", "telnyx.resources.calls.actions", "ActionsResource"),
    ("conferences", "telnyx.resources.conferences.conferences", "ConferencesResource"),
    ("conferences.actions", "telnyx.resources.conferences.actions", "ActionsResource"),
    ("queues", "telnyx.resources.queues.queues", "QueuesResource"),
    ("queues.calls", "telnyx.resources.queues.calls", "CallsResource"),
)

_HTTP = {
    "_post": "POST",
    "_put": "PUT",
    "_patch": "PATCH",
    "_get": "GET",
    "_get_api_list": "GET",
    "_delete": "DELETE",
}


def _request_of(fn: ast.FunctionDef) -> tuple[str, str, list[tuple[str, str]], set[str] | None]:
    """(HTTP method, path template, [(params module name, class name)], body keys) of one method."""
    calls = [
        n
        for n in ast.walk(fn)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id == "self"
        and n.func.attr in _HTTP
    ]
    if len(calls) != 1:
        raise RuntimeError(f"{fn.name}: expected one self._<verb>(...) request, found {len(calls)}")
    call = calls[0]
    first = call.args[0]
    if isinstance(first, ast.Call) and getattr(first.func, "id", None) == "path_template":
        first = first.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        raise RuntimeError(f"{fn.name}: cannot read the request path from the source")
    params = sorted(
        {
            (n.value.id, n.attr)
            for n in ast.walk(call)
            if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name)
            and n.value.id.endswith("_params")
            and n.attr.endswith("Params")
        }
    )
    # keys the method puts in the body / query dict handed to maybe_transform
    keys: set[str] | None = None
    for n in ast.walk(call):
        if (
            isinstance(n, ast.Call)
            and getattr(n.func, "id", None) == "maybe_transform"
            and n.args
            and isinstance(n.args[0], ast.Dict)
        ):
            keys = {k.value for k in n.args[0].keys if isinstance(k, ast.Constant)}
    return _HTTP[call.func.attr], first.value, params, keys


def _derive_commands() -> tuple[dict, dict, dict]:
    commands: dict[tuple[str, str], type | None] = {}
    methods: dict[tuple[str, str], str] = {}
    body_keys: dict[tuple[str, str], set[str] | None] = {}
    for prefix, modname, clsname in RESOURCE_CLASSES:
        mod = importlib.import_module(modname)
        tree = ast.parse(inspect.getsource(mod))
        cls_node = next(
            n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == clsname
        )
        for fn in cls_node.body:
            if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("_"):
                continue
            if any(  # sub-resource accessors and with_raw_response etc.
                getattr(d, "id", getattr(d, "attr", None)) in ("cached_property", "property")
                for d in fn.decorator_list
            ):
                continue
            http, template, params, keys = _request_of(fn)
            if len(params) > 1:
                raise RuntimeError(f"{prefix}.{fn.name}: several params classes {params}")
            params_cls = getattr(getattr(mod, params[0][0]), params[0][1]) if params else None
            key = (http, template)
            if key in commands:
                raise RuntimeError(f"duplicate command {key}: {methods[key]} and {prefix}.{fn.name}")
            commands[key] = params_cls
            methods[key] = f"{prefix}.{fn.name}"
            body_keys[key] = keys
    return commands, methods, body_keys


COMMANDS, SDK_METHODS, _BODY_KEYS = _derive_commands()

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _template_regex(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    rx = "".join(
        f"(?P<{p}>[^/]+)" if i % 2 else re.escape(p) for i, p in enumerate(parts)
    )
    return re.compile(rf"^{rx}/?$")


_MATCHERS = [(key, _template_regex(key[1])) for key in COMMANDS]


def _path_keys(key: tuple[str, str]) -> set[str]:
    """Params keys that are sent in the URL, not the body (conference update_participant `id`,
    queue call update `queue_name`): the placeholders that are also params keys."""
    cls = COMMANDS[key]
    if cls is None:
        return set()
    return set(_PLACEHOLDER.findall(key[1])) & set(typing.get_type_hints(cls))


def _normalise_path(path: str) -> str:
    p = urlsplit(path).path if "://" in path or "?" in path or "#" in path else path
    if not p.startswith("/"):
        p = "/" + p
    if p == "/v2" or p.startswith("/v2/"):
        p = p[3:] or "/"
    return p


def resolve_command(method: str, path: str) -> tuple[tuple[str, str], type | None, dict[str, str]]:
    """Match a concrete request to COMMANDS: ((method, template), params class, path values)."""
    m = method.upper()
    p = _normalise_path(path)
    same_path: list[str] = []
    for key, rx in _MATCHERS:
        hit = rx.match(p)
        if not hit:
            continue
        if key[0] == m:
            return key, COMMANDS[key], {k: unquote(v) for k, v in hit.groupdict().items()}
        same_path.append(f"{key[0]} {key[1]}")
    if same_path:
        raise UnknownCommandError(
            f"{m} {p}: the SDK has no {m} command for this path (it has: {', '.join(same_path)})"
        )
    last = p.rstrip("/").rsplit("/", 1)[-1]
    near = sorted(f"{k[0]} {k[1]}" for k in COMMANDS if k[1].rsplit("/", 1)[-1] == last)
    hint = f"; templates ending in '/{last}': {', '.join(near)}" if near else ""
    raise UnknownCommandError(
        f"{m} {p}: no Telnyx SDK command matches this path (path is taken relative to /v2){hint}"
    )


def validate_command(method: str, path: str, body: Mapping[str, Any] | None) -> dict:
    """Validate the JSON body of a request to the fake Call Control server.

    ``path`` is the concrete request path (``/calls/v3:abc/actions/speak``; a ``/v2`` prefix,
    a query string or a full URL are accepted). For GET endpoints pass the query parameters as
    a (nested) dict. Raises ``UnknownCommandError`` for an unknown path or method and
    ``pydantic.ValidationError`` for a body that the SDK type rejects.
    """
    key, params_cls, path_values = resolve_command(method, path)
    title = f"{key[0]} {key[1]} ({SDK_METHODS[key]})"
    if params_cls is None:
        if body:
            raise _error(
                title,
                [("extra_forbidden", (k,), v, "") for k, v in dict(body).items()],
            )
        return {}
    if body is None:
        body = {}
    if not isinstance(body, Mapping):
        raise _error(title, [("dict_type", (), body, "body must be a JSON object")])
    body = dict(body)
    path_keys = _path_keys(key)
    misplaced = [k for k in path_keys if k in body]
    if misplaced:  # the SDK sends these in the URL only
        raise _error(title, [("extra_forbidden", (k,), body[k], "") for k in misplaced])
    for k in path_keys:
        body[k] = path_values[k]
    out = validate_body(params_cls, body)
    for k in path_keys:
        out.pop(k, None)
    return out


# ---------------------------------------------------------------------------------------------
# Webhooks
# ---------------------------------------------------------------------------------------------


def _model_of(ann: Any) -> type[pydantic.BaseModel] | None:
    ann, _ = _unwrap(ann)
    if isinstance(ann, type) and issubclass(ann, pydantic.BaseModel):
        return ann
    if _is_union(ann):
        models = [a for a in typing.get_args(ann) if isinstance(a, type) and issubclass(a, pydantic.BaseModel)]
        return models[0] if len(models) == 1 else None
    return None


def _event_types(model: type[pydantic.BaseModel]) -> list[str]:
    field = model.model_fields.get("event_type")
    if field is None:
        return []
    ann, _ = _unwrap(field.annotation)
    arms = typing.get_args(ann) if _is_union(ann) else (ann,)
    out: list[str] = []
    for arm in arms:
        if typing.get_origin(arm) in (typing.Literal, te.Literal):
            out.extend(a for a in typing.get_args(arm) if isinstance(a, str))
    return out


def _derive_webhook_models() -> dict[str, tuple[type[pydantic.BaseModel], bool]]:
    """event_type -> (SDK model, wrapped). ``wrapped``: the model is the whole envelope
    (``{"data": ...}``); otherwise (``conference.floor.changed``) it models ``data`` itself."""
    from telnyx.types.unwrap_webhook_event import UnwrapWebhookEvent

    out: dict[str, tuple[type[pydantic.BaseModel], bool]] = {}
    for member in typing.get_args(UnwrapWebhookEvent):
        member, _ = _unwrap(member)
        found: list[tuple[str, bool]] = []
        data = member.model_fields.get("data")
        inner = _model_of(data.annotation) if data is not None else None
        if inner is not None:
            found = [(et, True) for et in _event_types(inner)]
        if not found:
            found = [(et, False) for et in _event_types(member)]
        for et, wrapped in found:
            if et in out and out[et][0] is not member:
                raise RuntimeError(f"event type {et!r} modelled twice: {out[et][0]} and {member}")
            out[et] = (member, wrapped)
    return out


WEBHOOK_MODELS = _derive_webhook_models()

# Keys real deliveries carry but the SDK models do not declare (spec section 12, item 6).
# Tolerated by default (type-checked as strings); pass ``allow_extra={}`` for pure SDK strictness.
_FROM_TO = frozenset({"from", "to"})
SDK_GAP_EXTRAS: dict[str, frozenset[str]] = {
    "call.gather.ended": frozenset({"gather_id"}),
    "call.recording.saved": frozenset({"call_control_id", "recording_id", "format"}),
    "call.speak.started": _FROM_TO,
    "call.speak.ended": _FROM_TO,
    "call.playback.started": _FROM_TO,
    "call.playback.ended": _FROM_TO,
    "call.enqueued": _FROM_TO,
    "call.dequeued": _FROM_TO,
    "streaming.started": _FROM_TO,
    "streaming.stopped": _FROM_TO,
    "streaming.failed": _FROM_TO,
}


class _Meta(te.TypedDict, total=False):
    """Sibling ``meta`` object of other webhook families; tolerated on voice webhooks (section 7)."""

    attempt: int
    delivered_to: str


def _wire_fields(model: type[pydantic.BaseModel]) -> dict[str, str]:
    return {(f.alias or name): name for name, f in model.model_fields.items()}


def _unknown_keys(raw: Any, value: Any, loc: tuple, out: list[tuple]) -> None:
    """Walk the raw JSON and the validated model together; collect keys the model lacks."""
    if isinstance(value, pydantic.BaseModel):
        if not isinstance(raw, dict):
            return
        wire = _wire_fields(type(value))
        for k, v in raw.items():
            if k not in wire:
                out.append((loc + (k,), v))
            else:
                _unknown_keys(v, getattr(value, wire[k]), loc + (k,), out)
    elif isinstance(value, (list, tuple)) and isinstance(raw, list):
        for i, (r, v) in enumerate(zip(raw, value)):
            _unknown_keys(r, v, loc + (i,), out)
    elif isinstance(value, dict) and isinstance(raw, dict):
        for k, r in raw.items():
            if k in value:
                _unknown_keys(r, value[k], loc + (k,), out)


def validate_webhook(
    payload: Mapping[str, Any], *, allow_extra: Mapping[str, Iterable[str]] | None = None
) -> pydantic.BaseModel:
    """Validate a webhook envelope as Telnyx sends it against the SDK model for its event type.

    Strict JSON-mode validation: wrong enum values, wrong JSON types (``"3"`` for an integer,
    ``1`` for a string) and malformed datetimes fail; the SDK declares every webhook field
    optional and nullable, so ``null`` and absent keys pass. Every key the SDK model does not
    declare - at any depth, including the Python name ``from_`` for ``from`` - is reported as
    ``extra_forbidden`` (the SDK models themselves allow extras), except a top-level ``meta``
    sibling (``attempt``/``delivered_to``, checked) and the documented SDK gaps in
    ``SDK_GAP_EXTRAS`` (payload-level string keys; override with ``allow_extra``, ``{}`` = none).
    Returns the parsed SDK model (``CallHangupWebhookEvent`` etc.).
    """
    if not isinstance(payload, Mapping):
        raise TypeError(f"webhook payload must be a dict, got {type(payload).__name__}")
    data = payload.get("data")
    if not isinstance(data, Mapping):
        raise _error("webhook", [("dict_type", ("data",), data, "the envelope needs a 'data' object")])
    event_type = data.get("event_type")
    if event_type not in WEBHOOK_MODELS:
        raise UnknownEventTypeError(
            f"data.event_type {event_type!r} is not modelled by the telnyx SDK's UnwrapWebhookEvent union"
        )
    model, wrapped = WEBHOOK_MODELS[event_type]
    title = f"{event_type} webhook ({model.__name__})"
    errors: list[dict] = []

    envelope = {k: v for k, v in payload.items() if k != "meta"}
    if "meta" in payload:
        try:
            validate_body(_Meta, payload["meta"])
        except ValidationError as exc:
            errors += [{**e, "loc": ("meta",) + tuple(e["loc"])} for e in exc.errors()]

    # documented SDK gaps: take them out before validation, check they are strings
    gaps = SDK_GAP_EXTRAS if allow_extra is None else allow_extra
    tolerated = set(gaps.get(event_type, ())) - _payload_fields(model, wrapped)
    raw_payload = data.get("payload")
    if tolerated and isinstance(raw_payload, Mapping) and tolerated & set(raw_payload):
        raw_payload = dict(raw_payload)
        for k in sorted(tolerated & set(raw_payload)):
            v = raw_payload.pop(k)
            if v is not None and not isinstance(v, str):
                errors.append({"type": "string_type", "loc": ("data", "payload", k), "input": v,
                               "msg": "Input should be a valid string"})
        envelope["data"] = {**data, "payload": raw_payload}

    if wrapped:
        target, prefix = envelope, ()
    else:  # conference.floor.changed: the SDK models the inside of "data"
        errors += [{"type": "extra_forbidden", "loc": (k,), "input": envelope[k]}
                   for k in envelope if k != "data"]
        target, prefix = envelope["data"], ("data",)

    parsed: pydantic.BaseModel | None = None
    try:
        parsed = model.model_validate_json(json.dumps(target), strict=True)
        shape = parsed
    except ValidationError as exc:
        errors += [{**e, "loc": prefix + tuple(e["loc"])} for e in exc.errors()]
        # still report misspelled keys: walk an unvalidated (SDK `construct`) parse instead
        try:
            shape = model.construct(**target)
        except Exception:  # pragma: no cover - construct is lenient by design
            shape = None

    unknown: list[tuple] = []
    if shape is not None:
        _unknown_keys(target, shape, prefix, unknown)
    errors += [{"type": "extra_forbidden", "loc": loc, "input": v} for loc, v in unknown]
    if errors or parsed is None:
        raise _reraise(title, errors)
    return parsed


@functools.lru_cache(maxsize=None)
def _payload_fields(model: type[pydantic.BaseModel], wrapped: bool) -> frozenset[str]:
    """Wire keys the SDK declares under ``data.payload`` for one webhook model."""
    data_model = _model_of(model.model_fields["data"].annotation) if wrapped else model
    field = data_model.model_fields.get("payload") if data_model else None
    pl = _model_of(field.annotation) if field else None
    return frozenset(_wire_fields(pl)) if pl else frozenset()
