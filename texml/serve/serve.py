"""`texml serve`: the TeXML interpreter as a server (see `texml.serve.app` for its routes).

    texml serve --public-key BASE64 --api-key KEY --connection-id ID \\
                --voice-url https://app.example.com/voice [--store sqlite:///texml.db] ...

Settings come from flags, `TEXML_*` environment variables and `--config FILE.toml`
(`texml.serve.config`). Logs are JSON lines on stderr.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_USAGE = 0, 2
GC_THRESHOLD = 20_000  # allocations between young collections (Python's default: 700)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until interrupted; 0 when it stops normally, 2 on a usage error."""
    from texml.serve.config import ConfigError, load_config

    args = list(sys.argv[1:] if argv is None else argv)
    if "--new-signing-key" in args:
        from texml.serve.outgoing import new_signing_key

        key, public = new_signing_key()
        print(f"signing key: {key}\npublic key: {public}")
        print("give the signing key to texml serve (--signing-key or TEXML_SIGNING_KEY) and the "
              "public key to the application, which verifies telnyx-signature-ed25519 with it",
              file=sys.stderr)  # fmt: skip
        return EXIT_OK
    try:
        config = load_config(args)
    except ConfigError as exc:
        print(f"texml serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help, or argparse's own usage errors
        return int(exc.code or 0)

    import uvicorn

    from texml.serve.app import create_app
    from texml.serve.logs import setup_logging
    from texml.serve.store import open_store

    setup_logging(config.log_level)
    try:
        store = open_store(config.store)
    except (ValueError, OSError) as exc:
        print(f"texml serve: --store {config.store}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - e.g. sqlite3.OperationalError: say it plainly
        print(f"texml serve: cannot open the store {config.store}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    host = f"[{config.host}]" if ":" in config.host else config.host
    notes = []
    if config.insecure_skip_verification and not config.public_key:
        notes.append("WEBHOOK SIGNATURES ARE NOT CHECKED")
    if not config.voice_url:
        notes.append("no --voice-url: inbound calls hear an application error")
    if config.signing_key:
        from texml.serve.outgoing import RequestSigner

        notes.append(f"requests to the app signed; public key {RequestSigner(config.signing_key).public_key}")
    print(f"texml serve: webhooks at http://{host}:{config.port}/webhooks, Call Control at "
          f"{config.api_base}, store {config.store}" + "".join(f"; {n}" for n in notes),
          file=sys.stderr, flush=True)  # fmt: skip
    app = create_app(config, store=store)
    # Everything loaded so far lives as long as the process: out of the collector's sight, and
    # collections rarer (a webhook allocates thousands of short-lived objects, freed by their
    # reference counts; cycles are rare), as long-running Python servers commonly do.
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning", access_log=False,
                server_header=False)  # fmt: skip
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
