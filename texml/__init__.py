"""texml: a self-hosted TeXML interpreter that compiles to Telnyx Call Control."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from texml.diagnostics import Code, Diagnostic, Severity
from texml.parser import DEFAULT_MAX_BYTES, Document, parse
from verbs import Response, Verb

__version__ = "0.1.0"


def serialise(verbs: Document | Iterable[Verb]) -> str:
    """A document's verbs as TeXML text (`parse(serialise(doc)).verbs == doc.verbs`)."""
    if isinstance(verbs, Document):
        verbs = verbs.verbs
    root = Response(children=tuple(verbs)).to_element()
    body = etree.tostring(root, encoding="unicode", pretty_print=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body


__all__ = [
    "Code", "DEFAULT_MAX_BYTES", "Diagnostic", "Document", "Severity", "__version__", "parse",
    "serialise",
]  # fmt: skip
