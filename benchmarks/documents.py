"""The application of the serve benchmark: serves the files of a folder over HTTP/1.1 with
keep-alive (uvicorn), as a TeXML app would, so that fetching a new call's document costs
what it costs in production rather than a new connection and thread per request
(`python -m http.server`).

    python benchmarks/documents.py --port 8200 --directory /tmp/docs
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import uvicorn


def create_app(directory: Path) -> Any:
    files = {f"/{p.name}": p.read_bytes() for p in directory.iterdir() if p.is_file()}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        body = files.get(scope["path"])
        status, headers = (200, [(b"content-type", b"text/xml")]) if body is not None else (404, [])
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body or b""})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--directory", type=Path, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.directory), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False)  # fmt: skip


if __name__ == "__main__":
    main()
