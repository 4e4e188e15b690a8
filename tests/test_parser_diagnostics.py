"""Each diagnostic the parser produces, with the line and column a user is pointed to."""

from __future__ import annotations

import pytest

import texml
from texml import Code, Severity
from verbs import Dial, Gather, Number, Say


def only(doc: texml.Document, code: Code) -> texml.Diagnostic:
    found = [d for d in doc.diagnostics if d.code is code]
    assert len(found) == 1, doc.diagnostics
    return found[0]


def test_valid_document_has_no_diagnostics() -> None:
    doc = texml.parse("<Response><Say>Hello</Say><Hangup/></Response>", filename="a.xml")
    assert doc.diagnostics == ()
    assert doc.ok
    assert doc.filename == "a.xml"
    assert [type(v).__name__ for v in doc.verbs] == ["Say", "Hangup"]


def test_every_node_keeps_its_line_and_column() -> None:
    source = (
        "<Response>\n"
        "  <Gather numDigits=\"1\">\n"
        "    <Say>Press one</Say>  <Play>https://x.test/a.mp3</Play>\n"
        "  </Gather>\n"
        "</Response>\n"
    )
    gather = texml.parse(source).verbs[0]
    assert isinstance(gather, Gather)
    assert (gather.line, gather.column) == (2, 3)
    say, play = gather.children
    assert (say.line, say.column) == (3, 5)
    assert (play.line, play.column) == (3, 27)


def test_columns_count_characters_not_bytes() -> None:
    doc = texml.parse("<Response><Say>Grüße</Say><Say>é</Say></Response>")
    assert [v.column for v in doc.verbs] == [11, 27]


def test_not_well_formed_points_at_the_problem() -> None:
    doc = texml.parse("<Response>\n  <Say>Hello</Sai>\n</Response>\n", filename="bad.xml")
    d = only(doc, Code.NOT_WELL_FORMED)
    assert d.severity is Severity.ERROR
    assert (d.file, d.line, d.column) == ("bad.xml", 2, 19)
    assert "mismatch" in d.message
    assert d.hint
    assert doc.verbs == ()


def test_unescaped_ampersand_hint() -> None:
    doc = texml.parse('<Response><Redirect>/next?a=1&b=2</Redirect></Response>')
    d = only(doc, Code.NOT_WELL_FORMED)
    assert "&amp;" in (d.hint or "")


def test_root_must_be_response() -> None:
    d = only(texml.parse("<response><Say>Hi</Say></response>"), Code.BAD_ROOT)
    assert (d.line, d.column) == (1, 1)
    assert "case-sensitive" in (d.hint or "")
    d = only(texml.parse("<Twiml/>"), Code.BAD_ROOT)
    assert "<Response>" in (d.hint or "")


def test_unknown_verb_is_an_error_with_did_you_mean() -> None:
    doc = texml.parse("<Response>\n  <Sya>Hi</Sya>\n  <say>Hi</say>\n  <Frobnicate/>\n</Response>")
    unknown = [d for d in doc.diagnostics if d.code is Code.UNKNOWN_ELEMENT]
    assert [(d.line, d.column) for d in unknown] == [(2, 3), (3, 3), (4, 3)]
    assert all(d.severity is Severity.ERROR for d in unknown)
    assert unknown[0].hint == "did you mean <Say>?"
    assert "case-sensitive" in (unknown[1].hint or "")
    assert "<Response> may contain" in (unknown[2].hint or "")
    assert not doc.ok


def test_misplaced_verb_says_where_it_belongs() -> None:
    doc = texml.parse("<Response><Dial><Say>Hi</Say><Number>+15551234567</Number></Dial></Response>")
    d = only(doc, Code.MISPLACED_ELEMENT)
    assert "<Say> may not appear inside <Dial>" in d.message
    assert (d.line, d.column) == (1, 17)
    assert "<Dial> may contain" in (d.hint or "")
    # the rest of the document is still read
    dial = doc.verbs[0]
    assert isinstance(dial, Dial) and dial.children == (Number(text="+15551234567"),)


def test_noun_at_top_level_is_placed() -> None:
    d = only(texml.parse("<Response><Number>+15551234567</Number></Response>"), Code.MISPLACED_ELEMENT)
    assert "belongs inside <Dial>" in (d.hint or "")


def test_twiml_only_elements_name_the_texml_way() -> None:
    doc = texml.parse(
        "<Response>\n<Dial><Client>alice</Client></Dial>\n"
        "<Connect><Room>r</Room></Connect>\n<Connect><VirtualAgent connectorName='x'/></Connect>\n"
        "</Response>"
    )
    twiml = [d for d in doc.diagnostics if d.code is Code.TWIML_ONLY_ELEMENT]
    assert [(d.line, d.column) for d in twiml] == [(2, 7), (3, 10), (4, 10)]
    assert "<Sip>" in (twiml[0].hint or "")
    assert "<Conference>" in (twiml[1].hint or "")
    assert "<AIAssistant" in (twiml[2].hint or "")
    assert all(d.severity is Severity.ERROR for d in twiml)


def test_missing_required_attribute() -> None:
    doc = texml.parse("<Response>\n<Start>\n  <Stream track='both_tracks'/>\n</Start>\n</Response>")
    d = only(doc, Code.MISSING_ATTRIBUTE)
    assert (d.line, d.column) == (3, 3)
    assert "url" in d.message and "wss://" in (d.hint or "")


def test_missing_required_text() -> None:
    d = only(texml.parse("<Response>\n <Say voice='alice'/>\n</Response>"), Code.MISSING_TEXT)
    assert (d.line, d.column, d.severity) == (2, 2, Severity.ERROR)
    assert "<Say>" in d.message


@pytest.mark.parametrize(
    ("xml", "attribute", "column", "fragment"),
    [
        ('<Say loop="eleven">x</Say>', "loop", 11, "whole number"),
        ('<Say loop="11">x</Say>', "loop", 11, "between 0 and 10"),
        ('<Pause length="0"/>', "length", 13, "between 1 and 180"),
        ('<Gather timeout="121"/>', "timeout", 14, "between 1 and 120"),
        ('<Gather input="dtmf video"/>', "input", 14, "one of: dtmf, speech"),
        ('<Play loop="2" digits="12x">', "digits", 21, "not allowed"),
        ('<Dial hangupOnStar="yes"><Number>+15551234567</Number></Dial>', "hangupOnStar", 12, "true or false"),
    ],
)
def test_invalid_values_point_at_the_attribute(xml: str, attribute: str, column: int, fragment: str) -> None:
    if xml.startswith("<Play"):
        xml += "</Play>"
    doc = texml.parse(f"<Response>\n     {xml}\n</Response>")
    d = only(doc, Code.INVALID_VALUE)
    assert d.severity is Severity.ERROR
    assert (d.line, d.column) == (2, column)
    assert d.message.startswith(f"{attribute}=")
    assert fragment in d.message


def test_enum_wrong_case_hint() -> None:
    d = only(texml.parse('<Response><Say gender="male">x</Say></Response>'), Code.INVALID_VALUE)
    assert d.hint == "did you mean Male? Values are case-sensitive"


def test_invalid_value_keeps_the_rest_of_the_verb() -> None:
    doc = texml.parse('<Response><Say loop="99" voice="alice">Hi</Say></Response>')
    assert not doc.ok
    assert doc.verbs == (Say(voice="alice", text="Hi"),)


def test_cross_attribute_rule() -> None:
    doc = texml.parse('<Response>\n<Gather minDigits="5" maxDigits="2"/></Response>')
    d = only(doc, Code.INVALID_ELEMENT)
    assert (d.line, d.column) == (2, 1)
    assert "minDigits (5) is more than maxDigits (2)" in d.message


def test_unknown_attribute_is_a_warning_with_did_you_mean() -> None:
    doc = texml.parse(
        "<Response>\n"
        '  <Gather numdigits="1" timeOut="3" colour="red"><Say>Hi</Say></Gather>\n'
        "</Response>"
    )
    warnings = [d for d in doc.diagnostics if d.code is Code.UNKNOWN_ATTRIBUTE]
    assert [(d.line, d.column) for d in warnings] == [(2, 11), (2, 25), (2, 37)]
    assert all(d.severity is Severity.WARNING for d in warnings)
    assert warnings[0].hint.startswith("did you mean numDigits?")
    assert "case-sensitive" in warnings[0].hint
    assert warnings[1].hint.startswith("did you mean timeout?")
    assert "<Gather> takes:" in (warnings[2].hint or "")
    assert doc.ok  # warnings only; the attributes are ignored
    gather = doc.verbs[0]
    assert isinstance(gather, Gather) and gather.num_digits is None and gather.timeout == 5


def test_twiml_only_attributes() -> None:
    doc = texml.parse(
        "<Response>\n"
        '<Gather speechModel="phone_call" enhanced="true" input="speech"/>\n'
        '<Record transcribe="true" transcribeCallback="/t"/>\n'
        "</Response>"
    )
    twiml = {d.message.split()[0]: d for d in doc.diagnostics if d.code is Code.TWIML_ONLY_ATTRIBUTE}
    assert set(twiml) == {"speechModel", "enhanced", "transcribe", "transcribeCallback"}
    assert all(d.severity is Severity.WARNING for d in twiml.values())
    assert "transcriptionEngine" in (twiml["speechModel"].hint or "")
    assert (twiml["speechModel"].line, twiml["speechModel"].column) == (2, 9)
    assert "useEnhanced" in (twiml["enhanced"].hint or "")
    gather, record = doc.verbs
    assert gather.use_enhanced is True  # TwiML spelling mapped to the TeXML field
    assert record.transcription is True and record.transcription_callback == "/t"


def test_unexpected_text_is_a_warning() -> None:
    doc = texml.parse("<Response>\n  Hello there\n  <Hangup/>\n</Response>")
    d = only(doc, Code.UNEXPECTED_TEXT)
    assert d.severity is Severity.WARNING and (d.line, d.column) == (1, 1)


def test_pause_in_gather_is_tolerated_with_a_warning() -> None:
    doc = texml.parse("<Response><Gather><Pause length='2'/><Say>Hi</Say></Gather></Response>")
    d = only(doc, Code.UNDOCUMENTED_NESTING)
    assert d.severity is Severity.WARNING
    assert doc.ok


def test_ssml_in_say_is_kept_as_markup() -> None:
    doc = texml.parse('<Response><Say>Hello <break time="1s"/> <emphasis>world</emphasis></Say></Response>')
    say = doc.verbs[0]
    assert isinstance(say, Say)
    assert say.text == "Hello world"
    assert say.ssml == 'Hello <break time="1s"/> <emphasis>world</emphasis>'
    assert only(doc, Code.SSML).severity is Severity.WARNING
    assert texml.parse(texml.serialise(doc)).verbs == doc.verbs


def test_non_e164_number_is_suspicious() -> None:
    d = only(texml.parse("<Response><Dial><Number>555-1234</Number></Dial></Response>"), Code.SUSPICIOUS)
    assert d.severity is Severity.WARNING and "E.164" in d.message


def test_diagnostics_are_sorted_and_formatted_like_a_compiler() -> None:
    doc = texml.parse("<Response>\n<Say loop='x'>a</Say>\n<Sya/>\n</Response>", filename="f.xml")
    assert [d.line for d in doc.diagnostics] == [2, 3]
    assert str(doc.diagnostics[0]).startswith("f.xml:2:6: error[invalid-value]: loop=\"x\" on <Say>")
    assert "\n  hint: did you mean <Say>?" in str(doc.diagnostics[1])


def test_str_input_with_an_encoding_declaration() -> None:
    doc = texml.parse('<?xml version="1.0" encoding="ISO-8859-1"?><Response><Say>é</Say></Response>')
    assert doc.ok and doc.verbs[0].text == "é"


def test_comments_and_cdata_do_not_shift_positions() -> None:
    source = (
        "<Response><!-- <Say>not this</Say> -->\n"
        "<AIGather><Parameters><![CDATA[{\"type\": \"object\", \"x\": \"<Say>\"}]]></Parameters></AIGather>\n"
        "<Say>here</Say></Response>"
    )
    doc = texml.parse(source)
    assert doc.ok, doc.diagnostics
    assert (doc.verbs[1].line, doc.verbs[1].column) == (3, 1)


def test_texml_bin_template_tags_are_not_stray_text() -> None:
    doc = texml.parse(
        "<Response>\n{{#if Digits == 1}}<Say>one</Say>{{#else}}<Say>other</Say>{{/if}}\n</Response>"
    )
    assert doc.diagnostics == ()
    d = only(texml.parse("<Response>{{#if x}} hello <Hangup/></Response>"), Code.UNEXPECTED_TEXT)
    assert d.severity is Severity.WARNING
