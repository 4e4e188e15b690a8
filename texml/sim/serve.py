"""`texml sim`: the Call Control simulator as a local server.

    texml sim --port 8765 --webhook-url http://127.0.0.1:8000/webhooks [--webhook-url URL2 ...]
              [--speed 10] [--host 127.0.0.1] [--dial NUMBER=OUTCOME ...] [--parallel N]
              [--faults duplicate=0.05,late=0.05,reorder=0.05,error5xx=0.05,slow=0.02]
              [--seed N]

The first line printed is `public key: <base64>`, the Ed25519 key its webhooks are signed with
(give it to the interpreter as Telnyx's public key); then the server runs until interrupted.
Point the telnyx SDK (or anything else) at `http://HOST:PORT/v2`; start calls with
`POST /sim/calls` (see `texml.sim.server`).

`--parallel N` lets up to N webhooks be in flight at once (in order within each call; 1, the
default, sends them one at a time in the order of events). `--faults` injects faults on purpose,
each with a probability: `duplicate` (a webhook delivered twice), `late` (held back
`late_seconds`, 1 s, while later ones go out), `reorder` (swapped with the next of its call),
`error5xx` (a command answered 503: half of the time after it ran, the reply lost) and `slow`
(a command's reply comes `slow_seconds`, 0.7 s, late). `--seed` makes the fault draws and ids
repeatable. `GET /sim/stats` counts what was injected, and the commands run per command id.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from texml.sim.script import parse_dial_outcome


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="texml sim",
        description="Serve the Call Control API (/v2/...) and the simulator's control API "
        "(/sim/...), sending signed webhooks to --webhook-url.",
    )
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (8765)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--webhook-url", action="append", required=True, metavar="URL",
                        help="where webhooks go; repeat it to deal them out in turn")  # fmt: skip
    parser.add_argument("--speed", type=float, default=1.0,
                        help="how much faster than the wall clock calls run (1)")  # fmt: skip
    parser.add_argument("--dial", action="append", default=[], metavar="NUMBER=OUTCOME",
                        help="how numbers dialled without link_to answer: answered, busy, "
                        "no-answer, failed or machine; NUMBER may be * (default answered)")  # fmt: skip
    parser.add_argument("--parallel", type=int, default=1, metavar="N",
                        help="webhooks in flight at once, in order within a call (1)")  # fmt: skip
    parser.add_argument("--faults", default="", metavar="NAME=P,...",
                        help="inject faults with these probabilities: duplicate, late, reorder, "
                        "error5xx, slow (also late_seconds=, slow_seconds=)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=None,
                        help="seed for fault draws and ids (random)")  # fmt: skip
    parser.add_argument("--connection-id", default="sim-connection", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server; 0 when it stops normally, 2 on a usage error."""
    parser = _parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.speed <= 0:
        parser.error("--speed must be above 0")
    if not 0 < args.port < 65536:
        parser.error("--port must be 1-65535")
    plan = {}
    for item in args.dial:
        number, sep, outcome = item.partition("=")
        if not sep or not number:
            parser.error(f"--dial {item!r}: write NUMBER=OUTCOME, e.g. +15551234567=busy")
        try:
            plan[number] = parse_dial_outcome(outcome)
        except ValueError as exc:
            parser.error(str(exc))
    for url in args.webhook_url:
        if not url.startswith(("http://", "https://")):
            parser.error(f"--webhook-url {url!r}: give an http(s) URL")
    if args.parallel < 1:
        parser.error("--parallel must be at least 1")

    from texml.sim.server import Faults, LiveSimulator, create_app

    try:
        faults = Faults.parse(args.faults)
    except ValueError as exc:
        parser.error(f"--faults: {exc}")

    import uvicorn

    host = f"[{args.host}]" if ":" in args.host else args.host
    live = LiveSimulator(args.webhook_url, speed=args.speed,
                         public_url=f"http://{host}:{args.port}",
                         connection_id=args.connection_id, seed=args.seed, faults=faults,
                         parallel=args.parallel)  # fmt: skip
    live.sim.dial_plan.update(plan)
    print(f"public key: {live.signer.public_key}", flush=True)
    extra = f", faults {args.faults}" if faults.any else ""
    print(f"texml sim: Call Control API at http://{host}:{args.port}/v2, webhooks to "
          f"{', '.join(args.webhook_url)}, speed x{args.speed:g}{extra}",
          file=sys.stderr, flush=True)  # fmt: skip
    uvicorn.run(create_app(live), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
