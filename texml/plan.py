"""`texml compile`: the plan of a document, verb by verb."""

from __future__ import annotations

import itertools
import json
from typing import Any

from compiler import CallContext, compile_verb
from texml.parser import Document

# Placeholders for what only a live call knows.
PLAN_CONTEXT = {
    "call_control_id": "{call_control_id}",
    "connection_id": "{connection_id}",
    "from_": "{from}",
    "to": "{to}",
    "client_state": "{client_state}",
}


def plan_document(doc: Document, *, document_url: str | None = None) -> dict[str, Any]:
    """The commands each top-level verb starts with and the events that end it."""
    counter = itertools.count(1)
    ctx = CallContext(**PLAN_CONTEXT, new_id=lambda: f"cmd-{next(counter)}", document_url=document_url)
    steps = []
    for verb in doc.verbs:
        step = compile_verb(verb, ctx)
        steps.append({
            "verb": verb.TAG,
            "line": verb.line,
            "commands": [command.to_json() for command in step.plan()],
            "ends_on": list(step.ends_on),
        })  # fmt: skip
    return {"file": doc.filename, "steps": steps}


def render_plan(plan: dict[str, Any]) -> str:
    """The plan as a table a person can read."""
    lines = [f"{plan['file']}:"]
    for step in plan["steps"]:
        lines.append(f"  line {step['line']:>4}  <{step['verb']}>")
        if not step["commands"]:
            lines.append("             (no command: run by texml itself)")
        for command in step["commands"]:
            body = {k: v for k, v in command["body"].items() if k not in ("command_id", "client_state")}
            lines.append(f"             {command['method']} {command['path']}")
            if body:
                lines.append(f"               {json.dumps(body, ensure_ascii=False)}")
        if step["ends_on"]:
            lines.append(f"             ends on: {', '.join(step['ends_on'])}")
    return "\n".join(lines)
