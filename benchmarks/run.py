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


def main() -> None:
    source = REFERENCE_IVR.read_bytes()
    figures: dict[str, object] = {"reference_bytes": len(source)}
    figures.update(parse_figures(source))
    figures.update(compile_figures(source))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
