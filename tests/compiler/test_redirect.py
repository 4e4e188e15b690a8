"""<Redirect> -> no command, the next document (texml-verbs-core.md §9)."""

from __future__ import annotations

import itertools

import texml
from compiler import Action, CallContext, Done, compile_verb


def run(xml: str, document_url: str | None = "https://app.example.com/ivr/main.xml") -> list:
    doc = texml.parse(f"<Response>{xml}</Response>")
    assert doc.errors == [], doc.errors
    ids = itertools.count(1)
    ctx = CallContext("v3:call-1", "conn-1", "+15550001111", "+15550002222", "c3RhdGU=",
                      new_id=lambda: f"id-{next(ids)}", document_url=document_url)  # fmt: skip
    step = compile_verb(doc.verbs[0], ctx)
    effects = step.start()
    assert step.done and step.plan() == []
    return effects


def test_redirect_requests_the_url_with_post_by_default() -> None:
    assert run("<Redirect>https://other.example.com/next</Redirect>") == [
        Done(action=Action("https://other.example.com/next", "POST"))
    ]


def test_relative_url_and_get() -> None:
    assert run('<Redirect method="GET">menu.xml?x=1</Redirect>') == [
        Done(action=Action("https://app.example.com/ivr/menu.xml?x=1", "GET"))
    ]


def test_relative_url_without_a_document_url_is_kept() -> None:
    assert run("<Redirect>/next</Redirect>", document_url=None) == [
        Done(action=Action("/next", "POST"))
    ]
