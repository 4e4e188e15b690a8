"""The `texml` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from texml.parser import DEFAULT_MAX_BYTES, parse

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sim"]:  # its options are the simulator server's own
        from texml.sim.serve import main as serve

        return serve(argv[1:])
    if argv[:1] == ["serve"]:
        from texml.serve.serve import main as serve_texml

        return serve_texml(argv[1:])
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except _UsageError as exc:
        print(f"texml {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `texml compile ... | head`
        sys.stderr.close()
        return EXIT_OK


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="texml",
        description="A self-hosted TeXML interpreter that compiles to Telnyx Call Control.",
    )
    from texml import __version__

    parser.add_argument("--version", action="version", version=f"texml {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="check TeXML documents for errors and porting problems",
        description="Check TeXML documents. Exit 0 when there are no errors (with --strict: no "
        "warnings either), 1 when there are, 2 on usage errors.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="files, or folders of *.xml files")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument(
        "--max-bytes", type=_positive_int, default=DEFAULT_MAX_BYTES, metavar="N",
        help=f"largest document accepted (default {DEFAULT_MAX_BYTES})",
    )  # fmt: skip
    check.set_defaults(run=_check)

    plan = commands.add_parser(
        "compile",
        help="show the Call Control commands each verb of a document starts with",
        description="Compile a TeXML document and print, for each top-level verb, the Call "
        "Control commands it starts with and the webhook events that end it. Invalid documents "
        "print the diagnostics of `texml check` and exit 1.",
    )
    plan.add_argument("path", metavar="PATH", help="a TeXML file")
    plan.add_argument("--format", choices=("text", "json"), default="text")
    plan.set_defaults(run=_compile)

    run = commands.add_parser(
        "run",
        help="dry-run a whole call against the built-in Call Control simulator",
        description="Play a whole inbound call through SOURCE (a TeXML file or an http(s) URL) "
        "with a scripted caller, against the built-in Call Control simulator: no phone, account "
        "or tunnel. Exit 0 when the call ends normally, 1 on an application error.",
    )
    run.add_argument("source", metavar="SOURCE", help="a TeXML file, or an http(s) URL")
    run.add_argument("--input", action="append", default=[], metavar="ITEM",
                     help="what the caller does next: digits (1, 42#), speech:TEXT, "
                     "talk:SECONDS, silence or hangup (repeatable, used in order)")  # fmt: skip
    run.add_argument("--dial", action="append", default=[], metavar="NUMBER=OUTCOME",
                     help="how a dialled number answers: answered, busy, no-answer, failed or "
                     "machine; NUMBER may be * (default: answered)")  # fmt: skip
    run.add_argument("--from", dest="from_", metavar="E164", help="the caller's number")
    run.add_argument("--to", metavar="E164", help="the number called")
    run.add_argument("--status-callback", metavar="URL", help="where call-progress callbacks go")
    run.add_argument("--method", choices=("GET", "POST"), type=str.upper, default=None,
                     help="how documents are requested by default: the application's method "
                     "(POST unless set)")  # fmt: skip
    run.add_argument("--fallback-url", metavar="URL",
                     help="requested (with ErrorCode, ErrorUrl) when a document fails")  # fmt: skip
    run.add_argument("--scenario", metavar="FILE.toml", help="inputs, dial outcomes and numbers in a file")
    run.add_argument("--format", choices=("text", "jsonl"), default="text")
    run.set_defaults(run=_run)

    # Listed for --help; `main` hands their arguments to the servers before parsing.
    commands.add_parser("serve", help="run the production TeXML endpoint (texml serve --help)",
                        add_help=False)  # fmt: skip
    commands.add_parser("sim", help="run the Call Control simulator as a local server "
                        "(texml sim --help)", add_help=False)  # fmt: skip
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _documents(paths: Sequence[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.xml") if p.is_file())
            if not found:
                raise _UsageError(f"{raw}: no *.xml files in this folder")
            yield from found
        elif path.is_file():
            yield path
        else:
            raise _UsageError(f"{raw}: no such file or folder")


def _check(args: argparse.Namespace) -> int:
    paths = list(_documents(args.paths))  # all usage errors before any output
    diagnostics = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise _UsageError(f"{path}: cannot read it ({exc.strerror})") from exc
        diagnostics.extend(parse(data, filename=str(path), max_bytes=args.max_bytes).diagnostics)

    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    if args.format == "json":
        print(json.dumps([d.to_json() for d in diagnostics], indent=2))
    else:
        for diagnostic in diagnostics:
            print(diagnostic)
        files = f"{len(paths)} file{'s' if len(paths) != 1 else ''}"
        print(f"{files} checked: {errors} error{'s' * (errors != 1)}, "
              f"{warnings} warning{'s' * (warnings != 1)}", file=sys.stderr)  # fmt: skip
    failed = errors > 0 or (args.strict and warnings > 0)
    return EXIT_PROBLEMS if failed else EXIT_OK


def _compile(args: argparse.Namespace) -> int:
    from texml.plan import plan_document, render_plan

    path = Path(args.path)
    if not path.is_file():
        raise _UsageError(f"{args.path}: no such file")
    doc = parse(path.read_bytes(), filename=str(path))
    if not doc.ok:
        for diagnostic in doc.diagnostics:
            print(diagnostic)
        return EXIT_PROBLEMS
    plan = plan_document(doc, document_url=path.resolve().as_uri())
    if args.format == "json":
        print(json.dumps(plan, indent=2))
    else:
        print(render_plan(plan))
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from texml.dryrun import DryRun, Scenario, iter_lines
    from texml.sim import parse_dial_outcome, parse_input_item

    source = args.source
    if not source.startswith(("http://", "https://")) and not Path(source).is_file():
        raise _UsageError(f"{source}: no such file")
    try:
        scenario = Scenario.load(Path(args.scenario)) if args.scenario else Scenario()
        scenario.inputs += [parse_input_item(item) for item in args.input]
        for item in args.dial:
            number, sep, outcome = item.partition("=")
            if not sep or not number:
                raise ValueError(f"--dial {item!r}: write NUMBER=OUTCOME, e.g. +15551234567=busy")
            scenario.dial[number] = parse_dial_outcome(outcome)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    scenario.from_ = args.from_ or scenario.from_
    scenario.to = args.to or scenario.to
    scenario.status_callback = args.status_callback or scenario.status_callback
    scenario.fallback_url = args.fallback_url or scenario.fallback_url
    scenario.method = args.method or scenario.method

    def show(event):  # type: ignore[no-untyped-def]
        call = dry_run.session.call_control_id if dry_run.session else None
        for line in iter_lines([event], args.format, call):
            print(line, flush=True)

    dry_run = DryRun(source, scenario, on_event=show)
    result = dry_run.run()
    return EXIT_PROBLEMS if result.error else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
