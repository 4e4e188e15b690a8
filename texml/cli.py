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


if __name__ == "__main__":
    sys.exit(main())
