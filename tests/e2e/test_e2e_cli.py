"""`texml run` as a subprocess: the examples, and an application served over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from calls import APPLICATION_ERROR, doc

ROOT = Path(__file__).resolve().parents[2]

EXAMPLES = {
    "ivr": ["examples/ivr/welcome.xml", "--input", "3", "--input", "123456"],
    "voicemail": ["examples/voicemail/voicemail.xml", "--input", "talk:8", "--input", "#"],
    "voicemail-no-input": ["examples/voicemail/voicemail.xml"],
    "queue": ["examples/queue/caller.xml", "--input", "0", "--input", "talk:3"],
    "queue-no-input": ["examples/queue/caller.xml"],
}


def texml_run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "texml.cli", "run", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def jsonl(stdout: str) -> list[dict]:
    lines = [line for line in stdout.splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]
    for event in events:
        assert isinstance(event["t"], (int, float)) and isinstance(event["kind"], str), event
    return events


@pytest.mark.parametrize("example", list(EXAMPLES))
def test_example_jsonl(example) -> None:
    done = texml_run(*EXAMPLES[example], "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    events = jsonl(done.stdout)
    assert events[-1]["kind"] == "end"
    assert events[-1]["status"] == "completed"
    assert [e["kind"] for e in events].count("end") == 1
    times = [e["t"] for e in events]
    assert times == sorted(times)
    kinds = {e["kind"] for e in events}
    assert {"fetch", "command", "webhook", "hear"} <= kinds
    assert ("input" in kinds) == ("--input" in EXAMPLES[example])


@pytest.mark.parametrize("example", list(EXAMPLES))
def test_example_text(example) -> None:
    done = texml_run(*EXAMPLES[example])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and "call ended: completed" in lines[-1]
    assert any("caller hears:" in line for line in lines)
    assert any("-> POST file://" in line for line in lines)


def test_ivr_example_reaches_the_account_balance() -> None:
    done = texml_run(*EXAMPLES["ivr"], "--format", "jsonl")
    heard = [e.get("say") for e in jsonl(done.stdout) if e["kind"] == "hear"]
    assert "Thank you. Account 123456 has a balance of zero dollars." in heard
    fetched = [e["url"].rsplit("/", 1)[-1] for e in jsonl(done.stdout) if e["kind"] == "fetch"]
    assert fetched == ["welcome.xml", "menu.xml", "billing.xml", "billing-account.xml", "goodbye.xml"]


def test_run_against_an_http_application_with_callbacks(app) -> None:
    app.route("/voice", doc('<Gather action="/menu" numDigits="1"><Say>Press a key</Say></Gather>'))
    app.route("/menu", lambda p: doc(f"<Say>You pressed {p.get('Digits')}</Say>"))
    done = texml_run(app.url("/voice"), "--input", "5", "--status-callback", app.url("/status"),
                     "--format", "jsonl")  # fmt: skip
    assert done.returncode == 0, done.stderr
    events = jsonl(done.stdout)
    assert events[-1]["kind"] == "end"
    heard = [e.get("say") for e in events if e["kind"] == "hear"]
    assert heard == ["Press a key", "You pressed 5"]
    assert app.requests_to("/menu")[0].params["Digits"] == "5"
    statuses = [r.params["CallStatus"] for r in app.requests_to("/status")]
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]


def test_run_exits_1_on_an_application_error(app) -> None:
    app.route("/voice", "boom", status=500, content_type="text/plain")
    done = texml_run(app.url("/voice"), "--format", "jsonl")
    assert done.returncode == 1
    events = jsonl(done.stdout)
    assert APPLICATION_ERROR in [e.get("say") for e in events if e["kind"] == "hear"]
    assert "11200" in [e.get("code") for e in events if e["kind"] == "diagnostic"]


def test_run_with_a_fallback_url_exits_0(app) -> None:
    app.route("/voice", "boom", status=500, content_type="text/plain")
    app.route("/fallback", doc("<Say>Fallback here</Say>"))
    done = texml_run(app.url("/voice"), "--fallback-url", app.url("/fallback"))
    assert done.returncode == 0, done.stdout
    assert 'caller hears: "Fallback here"' in done.stdout
    [fallback] = app.requests_to("/fallback")
    assert fallback.params["ErrorCode"] == "11200"


def test_run_usage_errors_exit_2() -> None:
    assert texml_run("examples/no-such-file.xml").returncode == 2
    assert texml_run("examples/ivr/welcome.xml", "--input", "speech:").returncode == 2
    assert texml_run("examples/ivr/welcome.xml", "--dial", "nonsense").returncode == 2


def test_run_reject_never_answers_in_the_jsonl(app) -> None:
    app.route("/voice", doc('<Reject reason="busy"/>'))
    done = texml_run(app.url("/voice"), "--format", "jsonl", "--status-callback", app.url("/status"))
    assert done.returncode == 0, done.stderr
    events = jsonl(done.stdout)
    commands = [e["path"].rsplit("/", 1)[-1] for e in events if e["kind"] == "command"]
    assert commands == ["reject"]  # no answer command
    assert [e for e in events if e["kind"] == "hear"] == []
    assert events[-1] == {**events[-1], "kind": "end", "status": "busy", "duration": 0}
    statuses = [r.params["CallStatus"] for r in app.requests_to("/status")]
    assert statuses == ["initiated", "ringing", "busy"]
