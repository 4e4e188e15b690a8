"""Which endpoint a request is, and whether its body is one the API would take.

The simulator is as strict as the official SDK's types (`texml.sim.fields`): a required field
missing, a field the command does not have (a typo such as `langauge`), a value of the wrong
JSON type or outside its enumeration, and `null` are all refused with a 422 that names the
field. Nested objects (`voice_settings`, `answering_machine_detection_config`, ...) are only
checked to be objects: the interpreter's tests check those against the SDK itself, and a dry
run should fail on what the real API would certainly refuse, not on the simulator's guesses.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from texml.sim.errors import SimError, invalid
from texml.sim.fields import FIELDS, FieldSpec

Route = tuple[str, str]  # (HTTP method, path template), a key of FIELDS

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    regex = "".join(f"(?P<{p}>[^/]+)" if i % 2 else re.escape(p) for i, p in enumerate(parts))
    return re.compile(f"^{regex}/?$")


_ROUTES: list[tuple[Route, re.Pattern[str]]] = [(key, _pattern(key[1])) for key in FIELDS]


def normalise_path(path: str) -> str:
    """The path relative to `/v2`, without scheme, host or query (`/v2/calls` -> `/calls`)."""
    p = urlsplit(path).path if ("://" in path or "?" in path) else path
    if not p.startswith("/"):
        p = "/" + p
    if p == "/v2" or p.startswith("/v2/"):
        p = p[3:] or "/"
    return p


def resolve(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The endpoint for a request and its path parameters (percent-decoded)."""
    m = method.upper()
    p = normalise_path(path)
    other_methods: list[str] = []
    for route, pattern in _ROUTES:
        hit = pattern.match(p)
        if hit is None:
            continue
        if route[0] == m:
            return route, {k: unquote(v) for k, v in hit.groupdict().items()}
        other_methods.append(route[0])
    if other_methods:
        raise SimError(422, "10015", "Invalid method",
                       f"{m} {p}: this path takes {', '.join(sorted(set(other_methods)))}")  # fmt: skip
    action = p.rsplit("/actions/", 1)[1] if "/actions/" in p else None
    if action is not None:
        known = sorted({r[1].rsplit("/", 1)[1] for r, _ in _ROUTES if "/actions/" in r[1]})
        near = difflib.get_close_matches(action, known, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise SimError(422, "10015", "Unknown command",
                       f"{m} {p}: Call Control has no command {action!r}{hint}")  # fmt: skip
    raise SimError(404, "10005", "Resource not found", f"{m} {p}: no such Call Control endpoint")


def validate(route: Route, body: Any) -> dict[str, Any]:
    """Check a request body (a query for GET) against the endpoint's fields; return it."""
    if body is None:
        body = {}
    if not isinstance(body, Mapping):
        raise invalid("the request body must be a JSON object")
    fields = FIELDS[route]
    query = route[0] in ("GET", "DELETE")
    for name in body:
        if name not in fields:
            near = difflib.get_close_matches(str(name), list(fields), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            what = "query parameter" if query else "field"
            raise invalid(f"{route[0]} {route[1]} has no {what} {name!r}{hint}", str(name))
    for name, spec in fields.items():
        if name not in body:
            if spec[2]:
                raise invalid(f"{name!r} is required by {route[0]} {route[1]}", name)
            continue
        if not query:  # query values arrive as text; only their names are checked
            _check(name, body[name], spec)
    return dict(body)


def _check(name: str, value: Any, spec: FieldSpec) -> None:
    kind, values, _ = spec
    if value is None:
        raise invalid(f"{name!r} may not be null: leave the field out instead", name)
    if kind in ("enum", "intenum"):
        if isinstance(value, bool) or value not in (values or ()):
            shown = ", ".join(repr(v) for v in (values or ())[:12])
            more = ", ..." if values and len(values) > 12 else ""
            raise invalid(f"{name!r} is {value!r}; it must be one of {shown}{more}", name)
        return
    if not any(_is(k, value) for k in kind.split("|")):
        wanted = " or ".join(_NAMES[k] for k in kind.split("|"))
        raise invalid(f"{name!r} must be {wanted}, not {type(value).__name__} {value!r}", name)


_NAMES = {"str": "a string", "int": "an integer", "num": "a number", "bool": "true or false",
          "list": "an array", "dict": "an object"}  # fmt: skip


def _is(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "num":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list)
    if kind == "dict":
        return isinstance(value, dict)
    return False


__all__ = ["Route", "normalise_path", "resolve", "validate"]
