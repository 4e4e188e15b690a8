"""Performance figures for texml, printed as one JSON object.

Run from the repository root: `python benchmarks/run.py`. Each figure is the best of several
timed repeats (the least disturbed by whatever else the machine is doing), in microseconds per
operation unless its name says otherwise. Targets live in the issues and the README, not here:
this script measures and prints, it never fails.
"""

from __future__ import annotations

import json
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

import texml  # noqa: E402
from compiler import CallContext, compile_verb  # noqa: E402

# The reference document: a realistic ~1.5 KB IVR menu (prompts, a two-input Gather, a Dial).
REFERENCE_IVR = ROOT / "examples" / "ivr" / "welcome.xml"


def best_us(func: Callable[[], object], *, number: int, repeat: int = 7) -> float:
    """Microseconds per call: the best of `repeat` runs of `number` calls."""
    func()  # warm up caches and lazy imports
    return min(timeit.repeat(func, number=number, repeat=repeat)) / number * 1e6


def parse_figures(source: bytes) -> dict[str, float]:
    doc = texml.parse(source)
    if not doc.ok:
        raise SystemExit(f"the reference document is invalid: {doc.errors}")
    parse_us = best_us(lambda: texml.parse(source), number=2000)
    lxml_us = best_us(lambda: etree.fromstring(source), number=2000)
    return {
        "parse_us": round(parse_us, 2),
        "parse_ratio_lxml": round(parse_us / lxml_us, 2),
    }


def compile_figures(source: bytes) -> dict[str, float]:
    """Compiling every verb of the parsed document: each verb's step and its first commands."""
    doc = texml.parse(source)
    ids = iter(range(10**12))
    ctx = CallContext(
        call_control_id="v3:bench", connection_id="conn", from_="+15550001111", to="+15550002222",
        client_state="e30=", new_id=lambda: f"cmd-{next(ids)}",
        document_url="https://app.example.com/ivr/welcome.xml",
    )  # fmt: skip

    def compile_document() -> None:
        for verb in doc.verbs:
            compile_verb(verb, ctx).start()

    return {"compile_us": round(best_us(compile_document, number=2000), 2)}


def runtime_figures() -> dict[str, float]:
    """The interpreter core alone: one webhook in, the next verb's command out."""
    from texml.runtime import AppConfig, CallSession, FetchDocument

    says = "".join(f"<Say>Prompt number {i}</Say>" for i in range(200))
    document = f"<Response>{says}</Response>".encode()
    ids = iter(range(10**12))

    def fresh() -> CallSession:
        session = CallSession(
            config=AppConfig(account_sid="acct", voice_url="https://app.example.com/voice"),
            call_control_id="v3:bench", connection_id="conn", from_="+15550001111",
            to="+15550002222", client_state="e30=", new_id=lambda: f"cmd-{next(ids)}",
        )  # fmt: skip
        [fetch] = [e for e in session.start(0.0) if isinstance(e, FetchDocument)]
        session.on_fetched(fetch.token, 0.0, status=200, content_type="text/xml", body=document)
        session.on_webhook({"data": {"event_type": "call.answered", "id": "a",
                                     "payload": {"call_control_id": "v3:bench"}}}, 0.0)  # fmt: skip
        return session

    # What Telnyx sends for each <Say>: speech started, then ended (which starts the next).
    envelopes = [
        {"data": {"event_type": f"call.speak.{kind}", "id": f"ev-{i}-{kind}",
                  "payload": {"call_control_id": "v3:bench", "status": "completed"}}}
        for i in range(199) for kind in ("started", "ended")
    ]  # fmt: skip

    def run_events() -> int:
        session = fresh()
        speaks = 0
        for i, envelope in enumerate(envelopes):
            for effect in session.on_webhook(envelope, float(i)):
                speaks += getattr(getattr(effect, "command", None), "action", None) == "speak"
        return speaks

    # Each `ended` must start the next <Say>, or the figure measures nothing.
    if run_events() != 199:
        raise SystemExit("runtime benchmark: the events did not advance the document")

    setup_us = best_us(fresh, number=20, repeat=5)
    total_us = best_us(run_events, number=20, repeat=5)
    return {"runtime_event_us": round((total_us - setup_us) / len(envelopes), 2)}


def dryrun_figures() -> dict[str, float]:
    """Whole dry-run calls of the example IVR, from its files, one after another."""
    from texml.dryrun import DryRun, Scenario
    from texml.sim import parse_input_item

    def one_call() -> None:
        scenario = Scenario(inputs=[parse_input_item("3"), parse_input_item("123456")])
        result = DryRun(str(REFERENCE_IVR), scenario).run()
        assert result.status == "completed" and not result.error, result

    per_call_us = best_us(one_call, number=10, repeat=5)
    return {"dryrun_calls_per_s": round(1e6 / per_call_us, 1)}


def main() -> None:
    source = REFERENCE_IVR.read_bytes()
    figures: dict[str, object] = {"reference_bytes": len(source)}
    figures.update(parse_figures(source))
    figures.update(compile_figures(source))
    figures.update(runtime_figures())
    figures.update(dryrun_figures())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
