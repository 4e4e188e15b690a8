"""Hostile documents are refused fast, with a clear error, without expanding or fetching anything.

A TeXML endpoint reads documents it did not write (an action URL can point anywhere), so the
parser must survive what attackers send: entity bombs, XXE, external DTDs, huge and deep
documents, broken encodings. Every case checks the same contract: `texml.parse` returns (never
raises), says what is wrong with a stable code at a real position, and does so quickly. The
time bounds are generous guards against hangs, not benchmarks.

The heaviest cases (tens of MB, tens of thousands of diagnostics) run in subprocesses started
when the module starts, so a hang is killed at its deadline instead of stalling the suite.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

import texml
from texml import Code, Severity

ROOT = Path(__file__).resolve().parent.parent
BOUND = 2.0  # seconds: generous; a hang, not a slow run, is what fails


def parse(source: str | bytes, **kwargs: object) -> tuple[texml.Document, float]:
    start = time.perf_counter()
    doc = texml.parse(source, **kwargs)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    assert elapsed < BOUND, f"took {elapsed:.2f}s"
    return doc, elapsed


def rejected(doc: texml.Document, code: Code, *words: str) -> texml.Diagnostic:
    """The document failed with `code` (first error), at a real position, saying `words`."""
    assert not doc.ok
    assert doc.verbs == ()
    first = doc.errors[0]
    assert first.code is code, doc.diagnostics
    assert first.severity is Severity.ERROR
    assert first.line >= 1 and first.column >= 1
    assert first.message.strip()
    for word in words:
        assert word.lower() in first.message.lower(), first.message
    return first


@pytest.fixture
def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if lxml is asked to parse anything: the document must be refused before that."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the document reached the XML parser")

    monkeypatch.setattr(etree, "fromstring", refuse)
    monkeypatch.setattr(etree, "XML", refuse)
    monkeypatch.setattr(etree, "parse", refuse)


@pytest.fixture
def listener() -> Iterator[tuple[int, socket.socket]]:
    """A real loopback TCP socket; a test asserts that nothing connected to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    try:
        yield server.getsockname()[1], server
    finally:
        server.close()


def assert_no_connection(server: socket.socket) -> None:
    time.sleep(0.05)  # a connect() would have completed by now on loopback
    try:
        conn, peer = server.accept()
    except BlockingIOError:
        return
    conn.close()
    pytest.fail(f"the parser connected to the test server from {peer}")


# --- documents --------------------------------------------------------------------------------


def billion_laughs(levels: int = 10) -> str:
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE Response [\n  ' + "\n  ".join(entities) + "\n]>\n"
        f"<Response><Say>&lol{levels - 1};</Say></Response>\n"
    )


def quadratic_blowup() -> str:
    big = "A" * 20_000
    return (
        f'<!DOCTYPE Response [<!ENTITY a "{big}">]>\n'
        f"<Response><Say>{'&a;' * 10_000}</Say></Response>"
    )


def xxe(path: str) -> str:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE Response [<!ENTITY x SYSTEM "file://{path}">]>\n'
        "<Response><Say>&x;</Say></Response>"
    )


def external_dtd(port: int) -> str:
    return (
        f'<!DOCTYPE Response SYSTEM "http://127.0.0.1:{port}/x.dtd">\n'
        "<Response><Say>&x;</Say></Response>"
    )


def parameter_entities(port: int) -> str:
    return (
        "<!DOCTYPE Response [\n"
        f'  <!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/p.dtd">\n'
        "  %remote;\n"
        '  <!ENTITY % local "<!ENTITY inner \'boom\'>">\n'
        "  %local;\n"
        "]>\n<Response><Say>&inner;</Say></Response>"
    )


def nested(tag: str, depth: int) -> str:
    return "<Response>" + f"<{tag}>" * depth + f"</{tag}>" * depth + "</Response>"


# --- entity expansion and external resources ---------------------------------------------------


def test_billion_laughs_is_refused_before_parsing(no_parsing: None) -> None:
    doc, _ = parse(billion_laughs())
    d = rejected(doc, Code.DTD_FORBIDDEN, "DOCTYPE")
    assert (d.line, d.column) == (2, 1)
    assert "DOCTYPE" in (d.hint or "")
    assert "lollol" not in repr(doc)
    assert len(doc.diagnostics) == 1


def test_quadratic_blowup_is_refused_without_expanding(no_parsing: None) -> None:
    source = quadratic_blowup()
    assert len(source) < texml.DEFAULT_MAX_BYTES  # it is the DTD, not the size, that is refused
    doc, _ = parse(source)
    rejected(doc, Code.DTD_FORBIDDEN, "DOCTYPE")
    assert "A" * 1000 not in repr(doc)


def test_xxe_reads_no_file(tmp_path: Path) -> None:
    marker = f"texml-secret-{secrets.token_hex(8)}"
    secret = tmp_path / "secret.txt"
    secret.write_text(marker)
    passwd = Path("/etc/passwd")
    passwd_text = passwd.read_text(errors="replace") if passwd.exists() else ""
    for source in (xxe("/etc/passwd"), xxe(str(secret))):
        doc, _ = parse(source)
        d = rejected(doc, Code.DTD_FORBIDDEN, "DOCTYPE")
        assert (d.line, d.column) == (2, 1)
        everything = repr(doc) + "".join(str(x) for x in doc.diagnostics)
        assert marker not in everything
        for line in passwd_text.splitlines()[:5]:
            assert line not in everything


def test_external_dtd_is_never_fetched(listener: tuple[int, socket.socket]) -> None:
    port, server = listener
    doc, _ = parse(external_dtd(port))
    d = rejected(doc, Code.DTD_FORBIDDEN, "DOCTYPE")
    assert (d.line, d.column) == (1, 1)
    assert_no_connection(server)


def test_parameter_entities_are_never_expanded_or_fetched(listener: tuple[int, socket.socket]) -> None:
    port, server = listener
    doc, _ = parse(parameter_entities(port))
    rejected(doc, Code.DTD_FORBIDDEN, "DOCTYPE")
    assert "boom" not in repr(doc)
    assert_no_connection(server)


@pytest.mark.parametrize(
    ("prefix", "line", "column"),
    [
        ("", 1, 1),
        ('<?xml version="1.0" encoding="UTF-8"?>\n', 2, 1),
        ("<!-- a comment first -->\n\n", 3, 1),
        ("\n   ", 2, 4),
        ('<?xml version="1.0"?><?pi <Response>?>', 1, 39),
    ],
    ids=["bare", "after-declaration", "after-comment", "after-whitespace", "after-pi"],
)
def test_doctype_is_found_wherever_the_prolog_puts_it(prefix: str, line: int, column: int) -> None:
    doc, _ = parse(prefix + '<!DOCTYPE Response [<!ENTITY x "y">]><Response><Say>&x;</Say></Response>')
    d = rejected(doc, Code.DTD_FORBIDDEN)
    assert (d.line, d.column) == (line, column)


def test_doctype_after_a_byte_order_mark_is_refused() -> None:
    doc, _ = parse(b'\xef\xbb\xbf<!DOCTYPE Response [<!ENTITY x "y">]><Response/>')
    rejected(doc, Code.DTD_FORBIDDEN)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_doctype_in_a_utf16_or_utf32_document_is_refused(
    encoding: str, listener: tuple[int, socket.socket]
) -> None:
    port, server = listener
    source = (
        f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n'
        f'<!DOCTYPE Response SYSTEM "http://127.0.0.1:{port}/x.dtd" [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        "<Response><Say>&x;</Say></Response>"
    ).encode(encoding)
    doc, _ = parse(source)
    assert_no_connection(server)  # this part holds today: nothing is fetched or expanded
    assert "root:" not in repr(doc)
    rejected(doc, Code.DTD_FORBIDDEN)


def test_a_comment_that_mentions_doctype_is_not_a_doctype() -> None:
    doc, _ = parse("<!-- no <!DOCTYPE here, please -->\n<Response><Hangup/></Response>")
    assert doc.ok, doc.diagnostics


def test_undeclared_entity_without_a_dtd_is_not_well_formed() -> None:
    doc, _ = parse("<Response>\n  <Say>&xxe;</Say>\n</Response>")
    d = rejected(doc, Code.NOT_WELL_FORMED, "xxe")
    assert d.line == 2
    assert d.hint


# --- size --------------------------------------------------------------------------------------


def test_ten_megabytes_is_too_large_before_parsing(no_parsing: None) -> None:
    source = b"<Response>" + b"<Say>hello</Say>" * 655_360 + b"</Response>"
    assert len(source) > 10_000_000
    doc, _ = parse(source)
    d = rejected(doc, Code.TOO_LARGE, "bytes", "limit")
    assert (d.line, d.column) == (1, 1)
    assert f"{len(source):,}" in d.message and f"{texml.DEFAULT_MAX_BYTES:,}" in d.message
    assert "--max-bytes" in (d.hint or "")
    assert len(doc.diagnostics) == 1


def test_too_large_counts_utf8_bytes_of_str_input(no_parsing: None) -> None:
    doc, _ = parse("<Response><Say>" + "é" * 40_000 + "</Say></Response>")  # 80 KB as UTF-8
    rejected(doc, Code.TOO_LARGE)


def test_a_document_exactly_at_the_limit_is_read() -> None:
    head, tail = b"<Response><Say>", b"</Say></Response>"
    source = head + b"a" * (1000 - len(head) - len(tail)) + tail
    doc, _ = parse(source, max_bytes=1000)
    assert doc.ok
    doc, _ = parse(source, max_bytes=999)
    rejected(doc, Code.TOO_LARGE)


# --- depth and breadth -------------------------------------------------------------------------


def test_ten_thousand_nested_gathers() -> None:
    source = nested("Gather", 10_000)
    doc, _ = parse(source)  # 170 KB: over the default limit
    rejected(doc, Code.TOO_LARGE)
    doc, _ = parse(source, max_bytes=1_000_000)
    d = rejected(doc, Code.NOT_WELL_FORMED, "depth")
    assert "deep" in (d.hint or "")


def test_three_hundred_nested_elements() -> None:
    source = nested("Gather", 300)
    assert len(source) < texml.DEFAULT_MAX_BYTES
    doc, _ = parse(source)
    d = rejected(doc, Code.NOT_WELL_FORMED, "depth")
    assert "deep" in (d.hint or "")


def test_fifty_thousand_siblings() -> None:
    source = "<Response>\n" + "<Hangup/>" * 50_000 + "\n</Response>"
    doc, _ = parse(source, max_bytes=1_000_000)
    assert doc.ok and doc.diagnostics == ()
    assert len(doc.verbs) == 50_000
    assert (doc.verbs[-1].line, doc.verbs[-1].column) == (2, 9 * 49_999 + 1)


def test_ten_thousand_unknown_siblings() -> None:
    """One error each (with a did-you-mean search each): still linear."""
    doc, _ = parse("<Response>" + "<X/>" * 10_000 + "</Response>", max_bytes=1_000_000)
    assert not doc.ok
    assert len(doc.errors) == 10_000
    assert {d.code for d in doc.errors} == {Code.UNKNOWN_ELEMENT}
    assert (doc.errors[-1].line, doc.errors[-1].column) == (1, 11 + 4 * 9_999)


# --- encodings and degenerate input ------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (b"<Response><Say>caf\xe9 \xff\xfe</Say></Response>", ("encoding",)),
        (b"\xff\xfe\xfd", ()),
        (b"<Response><Say>a\x00b</Say></Response>", ("0x0",)),
        ("<Response><Say>a\x00b</Say></Response>", ("0x0",)),
        ("", ("empty",)),
        (b"", ("empty",)),
        ("   \n\t  \n", ()),
        (b"\r\n\r\n", ()),
        ("<Response><Say>Hi</Say>", ()),
        ("<Response><Say>Hi</Say></Response><Response/>", ("extra",)),
    ],
    ids=["invalid-utf8", "garbage", "nul-bytes", "nul-str", "empty-str", "empty-bytes",
         "whitespace-str", "whitespace-bytes", "truncated", "two-roots"],  # fmt: skip
)
def test_broken_bytes_are_not_well_formed(source: str | bytes, words: tuple[str, ...]) -> None:
    doc, _ = parse(source)
    rejected(doc, Code.NOT_WELL_FORMED, "not well-formed", *words)


def test_messages_have_no_trailing_newline() -> None:
    doc, _ = parse(b"<Response><Say>a\x00b</Say></Response>")
    message = doc.errors[0].message
    assert message == message.strip(), repr(message)


def test_str_with_a_lone_surrogate_does_not_raise() -> None:
    doc = texml.parse("<Response><Say>caf\udce9</Say></Response>")
    assert not doc.ok
    assert doc.errors[0].line >= 1 and doc.errors[0].column >= 1


def test_str_and_bytes_read_the_same() -> None:
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>Grüße, 世界</Say>\n  <Sya/>\n</Response>'
    from_str, _ = parse(text, filename="a.xml")
    from_bytes, _ = parse(text.encode("utf-8"), filename="a.xml")
    assert from_str.verbs == from_bytes.verbs
    assert from_str.diagnostics == from_bytes.diagnostics
    assert [v.text for v in from_str.verbs] == ["Grüße, 世界"]
    assert [(d.line, d.column, d.code) for d in from_str.diagnostics] == [(4, 3, Code.UNKNOWN_ELEMENT)]


def test_bytes_in_a_declared_legacy_encoding() -> None:
    source = '<?xml version="1.0" encoding="ISO-8859-1"?><Response><Say>café</Say></Response>'
    doc, _ = parse(source.encode("latin-1"))
    assert doc.ok and doc.verbs[0].text == "café"


def test_bytearray_input() -> None:
    doc, _ = parse(bytearray(b"<Response><Hangup/></Response>"))
    assert doc.ok and len(doc.verbs) == 1


# --- texml check on the same files -------------------------------------------------------------


def test_texml_check_rejects_every_hostile_file(tmp_path: Path, listener: tuple[int, socket.socket]) -> None:
    port, server = listener
    files = {
        "billion-laughs.xml": (billion_laughs(), "dtd-forbidden"),
        "quadratic.xml": (quadratic_blowup(), "dtd-forbidden"),
        "xxe.xml": (xxe("/etc/passwd"), "dtd-forbidden"),
        "external-dtd.xml": (external_dtd(port), "dtd-forbidden"),
        "parameter-entities.xml": (parameter_entities(port), "dtd-forbidden"),
        "ten-mb.xml": (b"<Response>" + b"<Say>hello</Say>" * 655_360 + b"</Response>", "too-large"),
        "deep.xml": (nested("Gather", 300), "not-well-formed"),
        "invalid-utf8.xml": (b"<Response><Say>\xff\xfe</Say></Response>", "not-well-formed"),
        "nul.xml": (b"<Response><Say>a\x00b</Say></Response>", "not-well-formed"),
        "empty.xml": (b"", "not-well-formed"),
        "whitespace.xml": (b"  \n  ", "not-well-formed"),
    }
    paths = []
    for name, (content, _) in files.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        paths.append(str(path))

    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "texml.cli", "check", "--format", "json", *paths],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert time.perf_counter() - start < 10 * BOUND
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)
    for name, (_, code) in files.items():
        mine = [d for d in found if Path(d["file"]).name == name]
        assert mine and mine[0]["code"] == code, (name, mine)
        assert mine[0]["severity"] == "error" and mine[0]["line"] >= 1 and mine[0]["column"] >= 1
    assert "root:" not in result.stdout
    assert_no_connection(server)

    text = subprocess.run(
        [sys.executable, "-m", "texml.cli", "check", paths[0], paths[2]],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert text.returncode == 1
    lines = [line for line in text.stdout.splitlines() if not line.startswith("  hint:")]
    assert lines == [
        f"{paths[0]}:2:1: error[dtd-forbidden]: a DOCTYPE declaration is not allowed in a TeXML document",
        f"{paths[2]}:2:1: error[dtd-forbidden]: a DOCTYPE declaration is not allowed in a TeXML document",
    ]


# --- the heavy cases, in subprocesses that are killed at their deadline ------------------------

_HEAVY_SCRIPT = """
import json, os, sys, time
if hasattr(os, "nice"):
    os.nice(5)  # leave the CPU to the other tests first; the deadline is generous
import texml
kind = sys.argv[1]
if kind == "two-mb-one-line":
    source = b"<Response>" + b"<Say>hello</Say>" * 125_000 + b"</Response>"
elif kind == "attribute-warnings":
    source = b"<Response>" + b'<Gather colour="red"/>' * 50_000 + b"</Response>"
start = time.perf_counter()
doc = texml.parse(source, max_bytes=20_000_000)
elapsed = time.perf_counter() - start
print(json.dumps({"elapsed": elapsed, "ok": doc.ok, "verbs": len(doc.verbs),
                  "codes": sorted({d.code.value for d in doc.diagnostics}),
                  "diagnostics": len(doc.diagnostics)}))
"""


@dataclass
class _Heavy:
    process: subprocess.Popen[str]
    started: float

    def result(self, bound: float) -> dict[str, object]:
        """The child's report, or a failure if it has not finished `bound` s after starting
        (plus the interpreter's start-up, which is not the parser's fault)."""
        deadline = self.started + bound + 1.5
        try:
            out, err = self.process.communicate(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            pytest.fail(f"still parsing after {bound:.0f} s (killed)")
        assert self.process.returncode == 0, err
        report = json.loads(out)
        assert report["elapsed"] < bound, f"took {report['elapsed']:.1f} s"
        return report


@pytest.fixture(scope="module", autouse=True)
def heavy() -> Iterator[dict[str, _Heavy]]:
    """Start the heavy parses when the module starts, so they overlap the other tests."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = {
        kind: _Heavy(
            subprocess.Popen([sys.executable, "-c", _HEAVY_SCRIPT, kind], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
            time.monotonic(),
        )  # fmt: skip
        for kind in ("two-mb-one-line", "attribute-warnings")
    }
    yield runs
    for run in runs.values():
        if run.process.poll() is None:
            run.process.kill()
            run.process.communicate()


def test_two_megabytes_on_one_line_with_a_raised_limit_is_linear(heavy: dict[str, _Heavy]) -> None:
    report = heavy["two-mb-one-line"].result(bound=60.0)  # linear: ~1 s idle
    assert report["ok"] and report["verbs"] == 125_000


def test_fifty_thousand_attribute_warnings_are_bounded(heavy: dict[str, _Heavy]) -> None:
    report = heavy["attribute-warnings"].result(bound=30.0)  # linear: <1 s idle
    assert report["ok"] and report["diagnostics"] == 50_000
    assert report["codes"] == ["unknown-attribute"]
