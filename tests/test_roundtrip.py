"""Round trip: for every valid AST, `parse(serialise(verbs)).verbs == verbs`, without errors.

The ASTs come from `tests/strategies.py`, which derives them from the models' own metadata, so a
new verb or attribute is covered without touching this file.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

import texml
import verbs
from texml import Severity
from tests.strategies import document_strategy, document_with, parent_chain

NODE_MODELS = [cls for cls in verbs.ALL_MODELS if cls is not verbs.Response]

# Fields the generated documents leave at their defaults because of a known bug (none now).
KNOWN_BUGS: frozenset[tuple[type[verbs.Node], str]] = frozenset()


def _assert_round_trip(doc_verbs: tuple[verbs.Verb, ...]) -> None:
    text = texml.serialise(doc_verbs)
    parsed = texml.parse(text)
    errors = [d for d in parsed.diagnostics if d.severity is Severity.ERROR]
    assert not errors, f"{errors}\n{text}"
    assert parsed.verbs == doc_verbs, text


def test_every_model_has_a_place_in_a_document() -> None:
    for cls in NODE_MODELS:
        assert parent_chain(cls)[0] is verbs.Response


@pytest.mark.parametrize("cls", NODE_MODELS, ids=lambda cls: cls.__name__)
def test_round_trip_of_each_model(cls: type[verbs.Node]) -> None:
    @settings(max_examples=25, deadline=None)
    @given(document_with(cls, KNOWN_BUGS))
    def check(doc_verbs: tuple[verbs.Verb, ...]) -> None:
        _assert_round_trip(doc_verbs)

    check()


# Optional list attributes once serialised as Python tuple text; each keeps its own case.
OPTIONAL_LIST_CASES = [
    pytest.param(verbs.Gather(hints=("sales", "support")), id="Gather.hints"),
    pytest.param(verbs.Gather(keyterms=("billing",)), id="Gather.keyterms"),
    pytest.param(verbs.Start(children=(verbs.Transcription(hints=("Telnyx", "TeXML")),)),
                 id="Transcription.hints"),
    pytest.param(verbs.Start(children=(verbs.Transcription(keyterms=("TeXML",)),)),
                 id="Transcription.keyterms"),
    pytest.param(verbs.Pay(children=(verbs.Prompt(for_="expiration-date", attempt=(1, 2)),)),
                 id="Prompt.attempt"),
    pytest.param(verbs.Pay(children=(verbs.Prompt(for_="payment-card-number",
                                                  card_type=("amex",)),)),
                 id="Prompt.card_type"),
    pytest.param(verbs.Pay(children=(verbs.Prompt(for_="payment-card-number",
                                                  error_type=("timeout",)),)),
                 id="Prompt.error_type"),
]  # fmt: skip


@pytest.mark.parametrize("verb", OPTIONAL_LIST_CASES)
def test_optional_list_attribute_round_trip(verb: verbs.Verb) -> None:
    _assert_round_trip((verb,))


@settings(max_examples=200, deadline=None)
@given(document_strategy(KNOWN_BUGS))
def test_round_trip_of_whole_documents(doc_verbs: tuple[verbs.Verb, ...]) -> None:
    _assert_round_trip(doc_verbs)
