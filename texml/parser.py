"""Text -> `Document`: the verb AST plus diagnostics.

The XML is read by lxml with every dangerous feature off: no DTD (a document that declares one
is refused before parsing), no entity expansion, no network, a size limit and libxml2's depth
limit. Reading never raises on bad input; everything wrong ends up in `Document.diagnostics`,
with the file, line and column it is about.

Elements are built bottom-up into the frozen models of `verbs`. Attribute values go to pydantic
as the strings they are in the XML; the models convert and range-check them, and the parser
turns pydantic's complaints into diagnostics that name the attribute and where it is.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import re
import threading
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree
from pydantic import ValidationError

from texml.diagnostics import Code, Diagnostic, Severity
from verbs import ALL_TAGS, PARENTS, Response, Say, Verb
from verbs.base import Node, Text, literal_members
from verbs.twiml import SSML_ELEMENTS, TWIML_ONLY_ELEMENTS

DEFAULT_MAX_BYTES = 64 * 1024  # Twilio's limit for a fetched document (its error 11750).

# Start tags, skipping what may hide a '<' that is not one: comments, CDATA, PIs, declarations.
_QUICK_TAG = re.compile(rb"<[A-Za-z_]")
_TEMPLATE_ONLY = re.compile(r"(?:\s*\{\{[^{}]*\}\})+\s*")
_TOKEN = re.compile(rb"<(?:!--.*?-->|!\[CDATA\[.*?\]\]>|\?.*?\?>|![^>]*>|/|([A-Za-z_][\w.:-]*))", re.S)


@dataclass(frozen=True)
class Document:
    """A parsed TeXML document: its verbs, and everything the parser had to say about it."""

    verbs: tuple[Verb, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    filename: str | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings allowed)."""
        return not self.errors


_parsers = threading.local()  # lxml parsers must not be shared between threads


def _xml_parser() -> etree.XMLParser:
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_blank_text=False,
        )
        _parsers.parser = parser
    return parser


def parse(
    source: str | bytes,
    *,
    filename: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Document:
    """Parse a TeXML document. Never raises on bad input: see `Document.diagnostics`."""
    # A str with lone surrogates is not text; keep its bytes so libxml2 reports where.
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else bytes(source)
    if isinstance(source, str) and data.startswith(b"<?xml"):
        # The text is already decoded: an encoding declaration must not decode it again.
        data = re.sub(rb"^(<\?xml[^>]*?)\s+encoding=([\"'])[^\"']*\2", rb"\1", data, count=1)
    report = _Reporter(filename, data)
    if len(data) > max_bytes:
        report.at(1, 1, Severity.ERROR, Code.TOO_LARGE,
                  f"the document is {len(data):,} bytes; the limit is {max_bytes:,}",
                  "split the call flow into several documents linked with action URLs or "
                  "<Redirect>, or raise the limit (--max-bytes)")  # fmt: skip
        return report.document(())
    if _declares_dtd(data, report):
        return report.document(())
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (1, 1)
        message = (exc.msg or "not well-formed").split(", line ")[0].strip()
        report.at(line or 1, column or 1, Severity.ERROR, Code.NOT_WELL_FORMED,
                  f"not well-formed XML: {message}", _syntax_hint(message))  # fmt: skip
        return report.document(())
    if root.getroottree().docinfo.doctype:
        # A DTD the byte scan could not see (a UTF-16 document): parsed safely, still refused.
        _refuse_dtd(report, 1, 1)
        return report.document(())
    builder = _Builder(report, data, root)
    return report.document(builder.build_document(root))


def _syntax_hint(message: str) -> str | None:
    if "Excessive depth" in message:
        return "TeXML documents are only a few levels deep; this one nests far too deeply"
    if "EntityRef" in message:
        return "write & as &amp; (for example in URL query strings)"
    if "amplification" in message or "Entity" in message:
        return "entities are not expanded; write the text out in full"
    if "Document is empty" in message:
        return "a TeXML document is <Response>...</Response>"
    if "mismatch" in message:
        return "every <Tag> needs its matching </Tag> (or write it self-closing as <Tag/>)"
    return None


def _declares_dtd(data: bytes, report: _Reporter) -> bool:
    """Whether the prolog has a DOCTYPE (reported as an error): refused before parsing."""
    if data.find(b"<!DOCTYPE") < 0:
        return False
    for match in _TOKEN.finditer(data):
        if match.group(1) is not None:
            return False  # the root element starts first: any later "<!DOCTYPE" is not one
        if data.startswith(b"<!DOCTYPE", match.start()):
            _refuse_dtd(report, *report.position(match.start()))
            return True
    return False


def _refuse_dtd(report: _Reporter, line: int, column: int) -> None:
    report.at(line, column, Severity.ERROR, Code.DTD_FORBIDDEN,
              "a DOCTYPE declaration is not allowed in a TeXML document",
              "remove the <!DOCTYPE ...> line; TeXML needs no DTD and texml never "
              "loads or expands one")  # fmt: skip


def _stray(text: str | None) -> bool:
    """Text where none belongs, other than TeXML Bin template tags (`{{#if ...}}`)."""
    return bool(text) and not text.isspace() and not _TEMPLATE_ONLY.fullmatch(text)


def _has_tail_text(el: Any) -> bool:
    return any(_stray(c.tail) for c in el)


class _Reporter:
    def __init__(self, filename: str | None, data: bytes) -> None:
        self.filename = filename
        self.data = data
        self.diagnostics: list[Diagnostic] = []
        self._newlines: list[int] | None = None

    def at(self, line: int, column: int, severity: Severity, code: Code, message: str,
           hint: str | None = None) -> None:  # fmt: skip
        self.diagnostics.append(Diagnostic(self.filename, line, column, severity, code, message, hint))

    def position(self, offset: int) -> tuple[int, int]:
        """Line and column (in characters) of a byte offset."""
        if self._newlines is None:  # built once, on the first diagnostic that needs it
            self._newlines = [m.start() for m in re.finditer(rb"\n", self.data)]
        line = bisect.bisect_left(self._newlines, offset)
        line_start = self._newlines[line - 1] + 1 if line else 0
        column = len(self.data[line_start:offset].decode("utf-8", "replace")) + 1
        return line + 1, column

    def document(self, verbs: tuple[Verb, ...]) -> Document:
        self.diagnostics.sort(key=lambda d: (d.line, d.column))
        return Document(verbs, tuple(self.diagnostics), self.filename)


class _Where(typing.NamedTuple):
    """Where an element starts in the source, for the node and for diagnostics."""

    line: int
    column: int
    offset: int  # byte offset of its '<', or -1 when unknown


class _Builder:
    """Builds nodes from lxml elements, visiting them in document order.

    The n-th element visited is the n-th start tag of the text, which is how each node learns
    its column: libxml2 records only lines. Subtrees that are not built (an unknown element,
    SSML markup) are stepped over with `_skip`, so the count stays in step.
    """

    def __init__(self, report: _Reporter, data: bytes, root: Any) -> None:
        self.report = report
        self.data = data
        self.ascii = data.isascii()
        self.index = 0  # elements visited so far
        # Running position: the line of byte offset `last`, and where that line starts.
        self.line, self.last, self.line_start = 1, 0, 0
        count = sum(1 for _ in root.iter(etree.Element))
        starts = [m.start() for m in _QUICK_TAG.finditer(data)]
        if len(starts) != count:  # a comment or CDATA holds something like a tag
            starts = [m.start() for m in _TOKEN.finditer(data) if m.group(1) is not None]
        self.starts: list[int] | None = starts if len(starts) == count else None

    def _next(self, el: Any) -> _Where:
        index = self.index
        self.index += 1
        if self.starts is None:  # an encoding the byte scan cannot follow: lxml's line only
            return _Where(el.sourceline or 1, 1, -1)
        data = self.data
        offset = self.starts[index]
        newlines = data.count(b"\n", self.last, offset)
        if newlines:
            self.line += newlines
            self.line_start = data.rfind(b"\n", self.last, offset) + 1
        self.last = offset
        if self.ascii:
            return _Where(self.line, offset - self.line_start + 1, offset)
        column = len(data[self.line_start : offset].decode("utf-8", "replace")) + 1
        return _Where(self.line, column, offset)

    def _skip(self, el: Any) -> _Where:
        """Step over an element and its subtree; where the element is."""
        where = self._next(el)
        self.index += sum(1 for _ in el.iter(etree.Element)) - 1
        return where

    # --- reporting -----------------------------------------------------------------------

    def error(self, where: _Where, code: Code, message: str, hint: str | None = None,
              attribute: str | None = None) -> None:  # fmt: skip
        self._emit(where, Severity.ERROR, code, message, hint, attribute)

    def warn(self, where: _Where, code: Code, message: str, hint: str | None = None,
             attribute: str | None = None) -> None:  # fmt: skip
        self._emit(where, Severity.WARNING, code, message, hint, attribute)

    def _emit(self, where: _Where, severity: Severity, code: Code, message: str, hint: str | None,
              attribute: str | None) -> None:  # fmt: skip
        line, column = where.line, where.column
        if attribute is not None and where.offset >= 0:
            found = self._attribute_offset(where.offset, attribute)
            if found is not None:
                line, column = self.report.position(found)
        self.report.at(line, column, severity, code, message, hint)

    def _attribute_offset(self, tag_offset: int, attribute: str) -> int | None:
        end = self.data.find(b">", tag_offset)
        pattern = rb"\s(" + re.escape(attribute.encode()) + rb")\s*="
        match = re.compile(pattern).search(self.data, tag_offset, end if end >= 0 else len(self.data))
        return match.start(1) if match else None

    # --- building ------------------------------------------------------------------------

    def build_document(self, root: Any) -> tuple[Verb, ...]:
        tag = root.tag
        if tag != "Response":
            hint = "a TeXML document is <Response> ...verbs... </Response>"
            if tag.lower() == "response":
                hint = "element names are case-sensitive: write <Response>"
            self.error(self._skip(root), Code.BAD_ROOT, f"the root element is <{tag}>, not <Response>", hint)
            return ()
        node = self.build(root, Response)
        return node.children if node is not None else ()

    def build(self, el: Any, cls: type[Node]) -> Node | None:
        """Build one element as `cls`; None (with diagnostics) when it cannot be built."""
        where = self._next(el)
        attrs = dict(el.attrib)
        if attrs and not attrs.keys() <= cls.XML_ATTRS.keys():
            attrs = self._known_attributes(where, cls, attrs)

        children: tuple[Node, ...] | None = None
        children_lost = False
        text: str | None = None
        if cls is Say and len(el):
            text, ssml = self._say_markup(el, where)
            attrs["ssml"] = ssml
        else:
            if len(el):
                children, children_lost = self._children(el, cls)
            raw = el.text
            if cls.TEXT is Text.NONE:
                if _stray(raw) or children is not None and _has_tail_text(el):
                    self.warn(where, Code.UNEXPECTED_TEXT, f"text inside <{cls.TAG}> is ignored",
                              f"<{cls.TAG}> takes no text; remove it or move it into a verb "
                              "that speaks it, such as <Say>")  # fmt: skip
            elif raw and not raw.isspace():
                text = raw.strip()
            elif cls.TEXT is Text.REQUIRED:
                self.error(where, Code.MISSING_TEXT, f"<{cls.TAG}> is empty", _TEXT_HINTS.get(cls.TAG))
                return None

        values: dict[str, Any] = attrs
        values["line"], values["column"] = where.line, where.column
        if text is not None:
            values["text"] = text
        if children:
            values["children"] = children
        try:
            node = cls.model_validate(values)
        except ValidationError as exc:
            node = self._salvage(where, cls, values, exc, children_lost)
            if node is None:
                return None
        for lint in node.lint():
            self.warn(where, Code.SUSPICIOUS, lint.message, lint.hint, lint.attribute)
        return node

    def _children(self, el: Any, cls: type[Node]) -> tuple[tuple[Node, ...], bool]:
        children: list[Node] = []
        lost = False
        allowed = cls.CHILDREN
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comments and processing instructions
            child_cls = allowed.get(tag)
            if child_cls is None:
                self._misplaced(self._skip(child), tag, cls)
                lost = True
                continue
            tolerated = cls.TOLERATED_CHILDREN.get(tag)
            if tolerated:
                self.warn(self._peek(child), Code.UNDOCUMENTED_NESTING, f"<{tag}> inside <{cls.TAG}>: {tolerated}")
            node = self.build(child, child_cls)
            if node is None:
                lost = True
            else:
                children.append(node)
        return tuple(children), lost

    def _peek(self, el: Any) -> _Where:
        """Where the next element is, without moving past it."""
        saved = (self.index, self.line, self.last, self.line_start)
        where = self._next(el)
        self.index, self.line, self.last, self.line_start = saved
        return where

    def _misplaced(self, el: _Where, tag: str, parent_cls: type[Node]) -> None:
        parent = parent_cls.TAG
        if tag.startswith("{"):
            local = etree.QName(tag).localname
            self.error(el, Code.UNKNOWN_ELEMENT, f"<{local}> is in an XML namespace",
                       "TeXML elements take no namespace; remove the xmlns declaration")  # fmt: skip
            return
        if tag in TWIML_ONLY_ELEMENTS:
            self.error(el, Code.TWIML_ONLY_ELEMENT, f"<{tag}> is TwiML, not TeXML",
                       TWIML_ONLY_ELEMENTS[tag])  # fmt: skip
            return
        if tag in ALL_TAGS:
            self.error(el, Code.MISPLACED_ELEMENT, f"<{tag}> may not appear inside <{parent}>",
                       _placement_hint(tag, parent_cls))  # fmt: skip
            return
        suggestion = _closest(tag, ALL_TAGS | parent_cls.CHILDREN.keys())
        hint = f"did you mean <{suggestion}>?" if suggestion else _allowed_hint(parent_cls)
        if suggestion and suggestion.lower() == tag.lower():
            hint += " Element names are case-sensitive."
        self.error(el, Code.UNKNOWN_ELEMENT, f"<{tag}> is not a TeXML element", hint)

    def _known_attributes(self, where: _Where, cls: type[Node], attrs: dict[str, str]) -> dict[str, str]:
        """The attributes `cls` has; the others are reported (and TwiML twins mapped)."""
        known = {k: v for k, v in attrs.items() if k in cls.XML_ATTRS}
        for name, value in attrs.items():
            if name not in cls.XML_ATTRS:
                self._foreign_attribute(where, cls, name, value, known)
        return known

    def _foreign_attribute(self, el: _Where, cls: type[Node], name: str, value: str,
                           values: dict[str, Any]) -> None:  # fmt: skip
        tag = cls.TAG
        if name.startswith("{"):
            self.warn(el, Code.UNKNOWN_ATTRIBUTE, f"namespaced attribute {etree.QName(name).text} "
                      f"on <{tag}> is ignored", "TeXML attributes take no namespace")  # fmt: skip
            return
        twiml = cls.TWIML_ATTRS.get(name)
        if twiml is not None:
            if twiml.maps_to is not None:
                alias = cls.model_fields[twiml.maps_to].alias or twiml.maps_to
                values.setdefault(alias, value)
                self.warn(el, Code.TWIML_ONLY_ATTRIBUTE,
                          f"{name} on <{tag}> is TwiML's spelling; texml reads it as {alias}",
                          f"{twiml.hint}; hosted TeXML ignores {name}", name)  # fmt: skip
            else:
                self.warn(el, Code.TWIML_ONLY_ATTRIBUTE,
                          f"{name} on <{tag}> is TwiML only and is ignored", twiml.hint, name)
            return
        suggestion = _closest(name, cls.XML_ATTRS.keys())
        if suggestion:
            hint = f"did you mean {suggestion}?"
            if suggestion.lower() == name.lower():
                hint += " Attribute names are case-sensitive; hosted TeXML would silently ignore it."
        elif cls.XML_ATTRS:
            hint = f"<{tag}> takes: " + ", ".join(cls.XML_ATTRS)
        else:
            hint = f"<{tag}> takes no attributes"
        self.warn(el, Code.UNKNOWN_ATTRIBUTE, f"unknown attribute {name} on <{tag}> is ignored", hint, name)

    def _say_markup(self, el: Any, where: _Where) -> tuple[str, str]:
        """<Say> with SSML children: the plain words, and the markup kept verbatim."""
        for child in el:
            if isinstance(child.tag, str):
                child_where = self._skip(child)
                if child.tag not in SSML_ELEMENTS:
                    self._misplaced(child_where, child.tag, Say)
        inner = etree.tostring(el, encoding="unicode", with_tail=False)
        inner = inner[inner.index(">") + 1 : inner.rindex("</")]
        self.warn(where, Code.SSML, "SSML inside <Say> is not documented for TeXML",
                  "texml sends it to the TTS engine as SSML; hosted TeXML may read it out "
                  "differently")  # fmt: skip
        return " ".join("".join(el.itertext()).split()), inner.strip()

    def _salvage(self, el: _Where, cls: type[Node], values: dict[str, Any], exc: ValidationError,
                 children_lost: bool) -> Node | None:  # fmt: skip
        """Report a failed validation; rebuild without the bad attributes if that is enough."""
        by_field: dict[str, list[dict[str, Any]]] = {}
        whole: list[str] = []
        for err in exc.errors(include_url=False):
            loc = err["loc"]
            if not loc:
                whole.append(_strip_value_error(err["msg"]))
            else:
                by_field.setdefault(str(loc[0]), []).append(err)
        tag = cls.TAG
        for name, errs in by_field.items():
            if name == "children":
                continue  # reported where each child was built
            if name == "text":
                self.error(el, Code.INVALID_VALUE, f"text of <{tag}>: {_reasons(errs, cls, 'text')}")
                continue
            if errs[0]["type"] == "missing":
                self.error(el, Code.MISSING_ATTRIBUTE, f"<{tag}> needs the {name} attribute",
                           _MISSING_HINTS.get((tag, name)))  # fmt: skip
                continue
            raw = values.get(name)
            reason = _reasons(errs, cls, name)
            self.error(el, Code.INVALID_VALUE, f'{name}="{raw}" on <{tag}>: {reason}',
                       _value_hint(cls, name, raw), name)  # fmt: skip
        if whole and not children_lost:
            for message in whole:
                self.error(el, Code.INVALID_ELEMENT, message)
        if whole or any(errs[0]["type"] == "missing" for errs in by_field.values()):
            return None
        retry = {k: v for k, v in values.items() if k not in by_field}
        try:
            return cls.model_validate(retry)
        except ValidationError:
            return None


def _strip_value_error(message: str) -> str:
    return message.removeprefix("Value error, ")


def _reasons(errors: list[dict[str, Any]], cls: type[Node], name: str) -> str:
    reasons: list[str] = []
    for err in errors:
        reason = _reason(err, cls, name)
        if reason not in reasons:
            reasons.append(reason)
    return " or ".join(reasons)


def _reason(err: dict[str, Any], cls: type[Node], name: str) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type"):
        return "must be a number"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = _bounds(cls, name)
        if low is not None and high is not None:
            return f"must be between {low} and {high}"
        if "ge" in ctx:
            return f"must be at least {ctx['ge']}"
        if "le" in ctx:
            return f"must be at most {ctx['le']}"
        return _strip_value_error(err["msg"]).lower()
    if kind == "literal_error":
        return "must be one of: " + ", ".join(str(m) for m in _members(cls, name))
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if kind == "too_long":
        return f"has more than {ctx.get('max_length')} items"
    if kind == "string_pattern_mismatch":
        return f"has characters that are not allowed (allowed: {_pattern_words(ctx.get('pattern', ''))})"
    if kind == "value_error":
        return _strip_value_error(err["msg"])
    return _strip_value_error(err["msg"]).lower()


def _pattern_words(pattern: str) -> str:
    return {
        r"^[0-9*#]*$": "0-9, * and #",
        r"^[0-9*#wW]+$": "0-9, *, # and w for a half-second pause",
    }.get(pattern, f"the pattern {pattern}")


@functools.lru_cache(maxsize=None)
def _bounds(cls: type[Node], name: str) -> tuple[Any, Any]:
    field_info = _field(cls, name)
    if field_info is None:
        return None, None
    low = high = None
    for meta in _all_metadata(field_info.annotation, field_info.metadata):
        low = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else low
        high = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else high
    return low, high


def _all_metadata(annotation: Any, metadata: Iterable[Any]) -> list[Any]:
    import typing

    found = list(metadata)
    stack = [annotation]
    while stack:
        ann = stack.pop()
        if typing.get_origin(ann) is typing.Annotated:
            args = typing.get_args(ann)
            found.extend(args[1:])
            stack.append(args[0])
        else:
            stack.extend(a for a in typing.get_args(ann) if a is not type(None))
    # pydantic stores Field(ge=..) constraints as annotated_types objects
    return found


def _field(cls: type[Node], xml_name: str) -> Any:
    spec = cls.XML_ATTRS.get(xml_name)
    return cls.model_fields.get(spec.field) if spec else None


def _members(cls: type[Node], name: str) -> tuple[Any, ...]:
    """The allowed values of an enumerated attribute (or of the items of a list attribute)."""
    field_info = _field(cls, name)
    if field_info is None:
        return ()
    import typing

    stack = [field_info.annotation]
    while stack:
        annotation = stack.pop(0)
        members = literal_members(annotation)
        if members is not None:
            return members
        stack.extend(typing.get_args(annotation))
    return ()


def _value_hint(cls: type[Node], name: str, raw: Any) -> str | None:
    members = _members(cls, name)
    if members and isinstance(raw, str):
        for word in raw.split():
            for member in members:
                if isinstance(member, str) and member.lower() == word.lower() and member != word:
                    return f"did you mean {member}? Values are case-sensitive"
        close = difflib.get_close_matches(raw, [str(m) for m in members], n=1, cutoff=0.6)
        if close:
            return f"did you mean {close[0]}?"
    return None


def _closest(name: str, candidates: Iterable[str]) -> str | None:
    return _closest_in(name, tuple(candidates))


@functools.lru_cache(maxsize=1024)  # documents repeat their mistakes: suggest each once
def _closest_in(name: str, candidates: tuple[str, ...]) -> str | None:
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def _allowed_hint(cls: type[Node]) -> str:
    if not cls.CHILDREN:
        return f"<{cls.TAG}> takes no child elements"
    return f"<{cls.TAG}> may contain: " + ", ".join(f"<{t}>" for t in cls.CHILDREN)


def _placement_hint(tag: str, parent_cls: type[Node]) -> str:
    homes = sorted(PARENTS.get(tag, ()))
    where = " or ".join(f"<{p}>" for p in homes)
    hint = f"<{tag}> belongs inside {where}" if homes else ""
    allowed = _allowed_hint(parent_cls)
    return f"{hint}; {allowed}" if hint else allowed


_TEXT_HINTS = {
    "Say": "put the words to speak between <Say> and </Say>",
    "Play": "put the audio URL between <Play> and </Play>, or use digits=\"...\"",
    "Redirect": "put the URL of the next document between <Redirect> and </Redirect>",
    "Number": "put the phone number in E.164 between <Number> and </Number>, e.g. +15551234567",
    "Sip": "put the SIP URI between <Sip> and </Sip>, e.g. sip:alice@example.com",
    "Conference": "put the conference room name between <Conference> and </Conference>",
    "Queue": "put the name of the queue to take a caller from between <Queue> and </Queue>",
}

_MISSING_HINTS = {
    ("Stream", "url"): 'give the WebSocket URL, e.g. url="wss://example.com/media"',
    ("Request", "url"): 'give the URL to call, e.g. url="https://api.example.com/lookup"',
}
