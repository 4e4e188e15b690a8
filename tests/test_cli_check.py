"""`texml check` as users and CI scripts run it: a subprocess, its exit status and its output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WELCOME = ROOT / "examples" / "ivr" / "welcome.xml"

TEXT_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning)\[(?P<code>[a-z-]+)\]: (?P<message>.+)$")
JSON_KEYS = {"file", "line", "column", "severity", "code", "message", "hint"}

VALID = "<Response>\n  <Say>Hello</Say>\n  <Hangup/>\n</Response>\n"
ERRORS = "<Response>\n  <Sya>Hi</Sya>\n  <Say loop=\"many\">x</Say>\n</Response>\n"
WARNINGS = '<Response>\n  <Gather numdigits="1"><Say>Press 1</Say></Gather>\n</Response>\n'


def check(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-m", "texml.cli", "check", *map(str, args)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def write(folder: Path, name: str, content: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def diagnostic_lines(stdout: str) -> list[re.Match[str]]:
    """The diagnostic lines of text output, each checked against the compiler format."""
    found = []
    for line in stdout.splitlines():
        if line.startswith("  hint: "):
            assert found, "a hint line before any diagnostic"
            continue
        match = TEXT_LINE.match(line)
        assert match, f"not a diagnostic line: {line!r}"
        found.append(match)
    return found


# --- exit status --------------------------------------------------------------------------------


def test_valid_file_exits_0_with_no_diagnostics() -> None:
    result = check(WELCOME)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.strip() == "1 file checked: 0 errors, 0 warnings"


def test_errors_exit_1(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.xml", ERRORS)
    result = check(bad)
    assert result.returncode == 1
    lines = diagnostic_lines(result.stdout)
    assert [(m["file"], m["line"], m["column"], m["severity"], m["code"]) for m in lines] == [
        (str(bad), "2", "3", "error", "unknown-element"),
        (str(bad), "3", "8", "error", "invalid-value"),
    ]
    assert "  hint: did you mean <Say>?" in result.stdout.splitlines()
    assert result.stderr.strip() == "1 file checked: 2 errors, 0 warnings"


def test_warnings_only_exit_0_and_1_with_strict(tmp_path: Path) -> None:
    warned = write(tmp_path, "warned.xml", WARNINGS)
    result = check(warned)
    assert result.returncode == 0, result.stdout
    [line] = diagnostic_lines(result.stdout)
    assert (line["severity"], line["code"], line["line"], line["column"]) == ("warning", "unknown-attribute", "2", "11")
    assert result.stderr.strip() == "1 file checked: 0 errors, 1 warning"

    strict = check("--strict", warned)
    assert strict.returncode == 1
    assert strict.stdout == result.stdout

    assert check("--strict", WELCOME).returncode == 0  # --strict with nothing to report


def test_max_bytes_option(tmp_path: Path) -> None:
    path = write(tmp_path, "flow.xml", VALID)
    small = check("--max-bytes", "20", "--format", "json", path)
    assert small.returncode == 1
    [d] = json.loads(small.stdout)
    assert (d["code"], d["line"], d["column"]) == ("too-large", 1, 1)
    assert "limit is 20" in d["message"]
    assert check("--max-bytes", str(len(VALID)), path).returncode == 0


# --- usage errors: exit 2 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("does-not-exist.xml",), "does-not-exist.xml: no such file or folder"),
        ((WELCOME, "does-not-exist.xml"), "no such file or folder"),
        (("--format", "xml", WELCOME), "invalid choice: 'xml'"),
        (("--bogus", WELCOME), "unrecognized arguments: --bogus"),
        (("--max-bytes", "lots", WELCOME), "'lots' is not a whole number"),
        (("--max-bytes", "0", WELCOME), "--max-bytes: must be at least 1"),
        ((), "the following arguments are required: PATH"),
    ],
    ids=["missing-path", "missing-among-good", "bad-format", "unknown-option", "bad-max-bytes",
         "zero-max-bytes", "no-path"],
)
def test_usage_errors_exit_2(args: tuple[str | Path, ...], says: str) -> None:
    result = check(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert says in result.stderr
    assert result.stdout == ""  # usage errors come before any report


def test_no_command_exits_2() -> None:
    result = subprocess.run([sys.executable, "-m", "texml.cli"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "COMMAND" in result.stderr


def test_folder_without_xml_files_exits_2(tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", "not TeXML")
    result = check(tmp_path)
    assert result.returncode == 2
    assert "no *.xml files" in result.stderr and str(tmp_path) in result.stderr


def test_a_file_that_cannot_be_read_exits_2(tmp_path: Path) -> None:
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        unreadable = write(tmp_path, "secret.xml", VALID)
        unreadable.chmod(0)
    elif Path("/proc/self/mem").exists():  # root reads any mode; this file fails with EIO
        unreadable = Path("/proc/self/mem")
    else:
        pytest.skip("no way to make an unreadable file here")
    result = check(WELCOME, unreadable)
    assert result.returncode == 2
    assert f"{unreadable}: cannot read it" in result.stderr
    assert result.stdout == ""


# --- output formats -----------------------------------------------------------------------------


def test_json_format(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.xml", ERRORS)
    warned = write(tmp_path, "warned.xml", WARNINGS)
    broken = write(tmp_path, "broken.xml", "<Response>\n<Say>a\n</Response>")
    result = check("--format", "json", bad, warned, broken, WELCOME)
    assert result.returncode == 1
    report = json.loads(result.stdout)  # one JSON document: the whole of stdout
    assert isinstance(report, list) and len(report) == 4
    for d in report:
        assert set(d) == JSON_KEYS
        assert isinstance(d["line"], int) and d["line"] >= 1
        assert isinstance(d["column"], int) and d["column"] >= 1
        assert d["severity"] in ("error", "warning")
        assert isinstance(d["message"], str) and d["message"]
        assert d["hint"] is None or isinstance(d["hint"], str) and d["hint"]
    assert [(Path(d["file"]).name, d["code"], d["severity"]) for d in report] == [
        ("bad.xml", "unknown-element", "error"),
        ("bad.xml", "invalid-value", "error"),
        ("warned.xml", "unknown-attribute", "warning"),
        ("broken.xml", "not-well-formed", "error"),
    ]
    assert report[0]["hint"] == "did you mean <Say>?"
    assert report[1]["hint"] is None  # loop="many": nothing to suggest; null, not ""
    assert result.stderr == ""


def test_json_format_with_nothing_to_report() -> None:
    result = check("--format", "json", WELCOME)
    assert result.returncode == 0
    assert json.loads(result.stdout) == []


def test_several_files_and_a_folder(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    write(flows, "a.xml", VALID)
    write(flows, "nested/deeper/b.xml", ERRORS)
    write(flows, "c.xml", WARNINGS)
    write(flows, "readme.txt", "<Sya/>")  # not *.xml: not checked
    (flows / "dir.xml").mkdir()  # a folder named like a document is not one
    single = write(tmp_path, "single.xml", "<Response><Frobnicate/></Response>")

    result = check(single, flows, "--format", "text")
    assert result.returncode == 1
    files = [Path(m["file"]) for m in diagnostic_lines(result.stdout)]
    assert files == [single, flows / "c.xml", flows / "nested/deeper/b.xml", flows / "nested/deeper/b.xml"]
    assert result.stderr.strip() == "4 files checked: 3 errors, 1 warning"


def test_relative_paths_are_reported_as_given(tmp_path: Path) -> None:
    write(tmp_path, "flow.xml", ERRORS)
    result = check("flow.xml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("flow.xml:2:3: error[unknown-element]: <Sya> is not a TeXML element\n")


def test_text_output_has_one_line_per_diagnostic_then_its_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "twiml.xml", '<Response>\n<Dial><Client>alice</Client></Dial>\n<Gather speechModel="phone_call"/>\n</Response>\n')
    lines = check(path).stdout.splitlines()
    assert lines[0] == f"{path}:2:7: error[twiml-only-element]: <Client> is TwiML, not TeXML"
    assert lines[1].startswith("  hint: ") and "<Sip>" in lines[1]
    assert lines[2].startswith(f"{path}:3:9: warning[twiml-only-attribute]: speechModel on <Gather>")
    assert lines[3].startswith("  hint: ")
    assert len(lines) == 4
