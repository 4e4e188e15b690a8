"""The Mustache dialect of TeXML Bins, for local documents and `<HttpRequest>`.

Telnyx renders TeXML Bins with Mustache before running them: `{{Name}}` from the request
parameters, `{{#if From == +1555...}} ... {{#elseif ...}} ... {{#else}} ... {{/if}}` (only `==` and
`!=`), `{{#url_encode}}...{{/url_encode}}`, `{{#secret}}name{{/secret}}` and list sections
`{{#Name}}...{{.}}...{{/Name}}`. `texml run` renders local files the same way, which is how a
folder of static documents can branch on `Digits`; `<HttpRequest>` fills its URL, headers and
body with it. A missing variable renders empty, as in Mustache.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

_TAG = re.compile(r"\{\{\s*([#/^]?)\s*([^}]*?)\s*\}\}")
_CONDITION = re.compile(r"^(?:\{\{\s*)?([\w.\[\]-]+)(?:\s*\}\})?\s*(==|!=)\s*(.*?)$")
MAX_OUTPUT = 1_000_000  # characters: a template that expands past this is cut off


class TemplateError(ValueError):
    pass


def render(
    template: str,
    variables: Mapping[str, object],
    *,
    escape_xml: bool = False,
    secrets: Mapping[str, str] | None = None,
) -> str:
    """Render `template`; `escape_xml` escapes substituted values for an XML document."""
    if "{{" not in template:
        return template
    tokens = _tokenize(template)
    out, rest = _render(tokens, 0, variables, escape_xml, secrets or {}, None)
    if rest != len(tokens):
        raise TemplateError(f"unexpected {{{{/{tokens[rest][2]}}}}}")
    return out[:MAX_OUTPUT]


def _tokenize(template: str) -> list[tuple[str, str, str]]:
    """(kind, text, name): kind is "text", "var", "open", "close" or "else"/"elseif"."""
    tokens: list[tuple[str, str, str]] = []
    position = 0
    for match in _TAG.finditer(template):
        if match.start() > position:
            tokens.append(("text", template[position : match.start()], ""))
        sigil, name = match.group(1), match.group(2)
        if sigil == "#" and name.startswith("elseif "):
            tokens.append(("elseif", "", name[7:].strip()))
        elif sigil == "#" and name == "else":
            tokens.append(("else", "", ""))
        elif sigil in ("#", "^"):
            tokens.append(("open" if sigil == "#" else "invert", "", name))
        elif sigil == "/":
            tokens.append(("close", "", name))
        else:
            tokens.append(("var", "", name))
        position = match.end()
    if position < len(template):
        tokens.append(("text", template[position:], ""))
    return tokens


def _render(tokens: list[tuple[str, str, str]], i: int, variables: Mapping[str, object],
            escape_xml: bool, secrets: Mapping[str, str],
            closing: str | None) -> tuple[str, int]:  # fmt: skip
    """Render from token `i` until the close of section `closing`; (text, index after)."""
    parts: list[str] = []
    while i < len(tokens):
        kind, text, name = tokens[i]
        if kind == "text":
            parts.append(text)
        elif kind == "var":
            value = _lookup(variables, name)
            parts.append(_text(value, escape_xml))
        elif kind in ("close", "else", "elseif"):
            if closing is None:
                raise TemplateError(f"{{{{/{name}}}}} without its opening tag")
            return "".join(parts), i
        elif kind in ("open", "invert"):
            rendered, i = _section(tokens, i, variables, escape_xml, secrets)
            parts.append(rendered)
            continue
        i += 1
    if closing is not None:
        raise TemplateError(f"{{{{#{closing}}}}} is never closed")
    return "".join(parts), i


def _section(tokens: list[tuple[str, str, str]], i: int, variables: Mapping[str, object],
             escape_xml: bool, secrets: Mapping[str, str]) -> tuple[str, int]:  # fmt: skip
    kind, _, name = tokens[i]
    word = name.split()[0] if name else ""
    if kind == "open" and word == "if":
        return _conditional(tokens, i, variables, escape_xml, secrets)
    inner, end = _render(tokens, i + 1, variables, escape_xml, secrets, name)
    after = end + 1
    if kind == "open" and name == "url_encode":
        raw, _ = _render(tokens, i + 1, variables, False, secrets, name)
        return quote(raw, safe=""), after
    if kind == "open" and name == "secret":
        raw, _ = _render(tokens, i + 1, variables, False, secrets, name)
        return _text(secrets.get(raw.strip(), ""), escape_xml), after
    value = _lookup(variables, name)
    truthy = bool(value) and value not in ("false", "0")
    if kind == "invert":
        return (inner if not truthy else ""), after
    if isinstance(value, list | tuple):
        parts = []
        for item in value:
            scope = {**variables, ".": item}
            rendered, _ = _render(tokens, i + 1, scope, escape_xml, secrets, name)
            parts.append(rendered)
        return "".join(parts), after
    return (inner if truthy else ""), after


def _conditional(tokens: list[tuple[str, str, str]], i: int, variables: Mapping[str, object],
                 escape_xml: bool, secrets: Mapping[str, str]) -> tuple[str, int]:  # fmt: skip
    """`{{#if A == B}} ... {{#elseif A != C}} ... {{#else}} ... {{/if}}`."""
    chosen: str | None = None
    condition: str | None = tokens[i][2][2:].strip()
    i += 1
    while True:
        body, i = _render(tokens, i, variables, escape_xml, secrets, "if")
        if chosen is None and (condition is None or _holds(condition, variables)):
            chosen = body
        kind, _, name = tokens[i]
        if kind == "close":
            return chosen or "", i + 1
        condition = name if kind == "elseif" else None
        i += 1


def _holds(condition: str, variables: Mapping[str, object]) -> bool:
    match = _CONDITION.match(condition)
    if not match:  # a bare name: "is it set"
        return bool(_lookup(variables, condition.strip("{} ")))
    left, op, right = match.groups()
    value = str(_lookup(variables, left) or "")
    right = right.strip().strip("\"'")
    return (value == right) if op == "==" else (value != right)


def _lookup(variables: Mapping[str, object], name: str) -> object:
    if name in variables:
        return variables[name]
    if name.endswith("[]") and name[:-2] in variables:
        return variables[name[:-2]]
    return variables.get(name + "[]", "")


def _text(value: object, escape_xml: bool) -> str:
    text = "" if value is None else str(value)
    return xml_escape(text, {'"': "&quot;"}) if escape_xml else text
