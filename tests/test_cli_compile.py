"""`texml compile` as a user runs it: the plan of each top-level verb."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.telnyx_schema import validate_command

ROOT = Path(__file__).resolve().parent.parent
WELCOME = ROOT / "examples" / "ivr" / "welcome.xml"


def texml(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "texml.cli", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_json_plan_of_the_example_ivr() -> None:
    result = texml("compile", WELCOME, "--format", "json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert set(plan) == {"file", "steps"} and plan["file"] == str(WELCOME)
    verbs = [(s["verb"], s["line"]) for s in plan["steps"]]
    assert verbs == [("Say", 4), ("Gather", 5), ("Say", 13), ("Gather", 14), ("Say", 17), ("Dial", 18)]
    ids = []
    for step in plan["steps"]:
        assert set(step) == {"verb", "line", "commands", "ends_on"}
        assert step["commands"], step
        assert step["ends_on"], step
        for command in step["commands"]:
            assert set(command) == {"method", "path", "body"}
            assert command["path"].startswith("/calls")
            path = command["path"].replace("{call_control_id}", "v3:example")
            validate_command(command["method"], path, command["body"])
            ids.append(command["body"].get("command_id"))
    assert len(ids) == len(set(ids)), "every command gets a fresh command_id"
    say = plan["steps"][0]["commands"][0]
    assert say["path"] == "/calls/{call_control_id}/actions/speak"
    assert say["body"]["voice"] == "AWS.Polly.Joanna"
    assert say["body"]["client_state"] == "{client_state}"
    dial = plan["steps"][-1]["commands"]
    assert [c["body"]["to"] for c in dial] == ["+15550100001", "sip:operator@acme.sip.telnyx.com"]


def test_text_plan_reads_like_a_table() -> None:
    result = texml("compile", WELCOME)
    assert result.returncode == 0, result.stderr
    assert "line    4  <Say>" in result.stdout
    assert "POST /calls/{call_control_id}/actions/gather_using_speak" in result.stdout
    assert "ends on: call.speak.ended" in result.stdout


def test_verbs_without_commands_are_explained(tmp_path: Path) -> None:
    doc = tmp_path / "pause.xml"
    doc.write_text('<Response><Pause length="2"/><Redirect>next.xml</Redirect></Response>')
    result = texml("compile", doc, "--format", "json")
    steps = json.loads(result.stdout)["steps"]
    assert [s["commands"] for s in steps] == [[], []]
    assert "no command: run by texml itself" in texml("compile", doc).stdout


def test_invalid_document_prints_diagnostics_and_exits_1(tmp_path: Path) -> None:
    doc = tmp_path / "bad.xml"
    doc.write_text("<Response>\n<Say loop='99'>hi</Say>\n</Response>")
    result = texml("compile", doc, "--format", "json")
    assert result.returncode == 1
    assert f"{doc}:2:6: error[invalid-value]" in result.stdout


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = texml("compile", tmp_path / "nope.xml")
    assert result.returncode == 2
    assert "no such file" in result.stderr
