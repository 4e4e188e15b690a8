"""The baseline of the serve benchmark: a bare FastAPI app that relays one command per webhook.

    python benchmarks/bare_relay.py --port 8100 --api-base http://127.0.0.1:8765/v2 --says 20

It does the least a Call Control app can do to run the benchmark's call (answer, N speaks,
hang up): no signature check, no store, no document, no callbacks — per call, a counter in
memory. Each webhook that asks for a command gets it sent (and its reply awaited) before the
webhook is answered, with the same HTTP client (aiohttp) as `texml serve`; so `serve_ratio_bare` in `benchmarks/run.py` is
texml's throughput over what uvicorn, FastAPI and httpx alone allow on the same machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import AsyncIterator

import aiohttp
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response


def create_app(api_base: str, says: int) -> FastAPI:
    spoken: dict[str, int] = {}
    clients: list[aiohttp.ClientSession] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The HTTP client `texml serve` sends its commands with (aiohttp, 200 connections).
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200),
                                         timeout=aiohttp.ClientTimeout(total=5.0)) as client:  # fmt: skip
            clients.append(client)
            yield

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/webhooks")
    async def webhook(request: Request) -> Response:
        data = json.loads(await request.body())["data"]
        kind, call = data["event_type"], data["payload"].get("call_control_id")
        action, body = None, {}
        if kind == "call.initiated":
            action = "answer"
        elif kind in ("call.answered", "call.speak.ended"):
            n = spoken.get(call, 0)
            if n < says:
                spoken[call] = n + 1
                action, body = "speak", {"payload": f"Prompt number {n}", "voice": "female"}
            else:
                spoken.pop(call, None)
                action = "hangup"
        if action is not None:
            async with clients[0].post(f"{api_base}/calls/{call}/actions/{action}", json=body) as reply:
                await reply.read()
        return Response(status_code=200)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-base", required=True)
    parser.add_argument("--says", type=int, default=20)
    args = parser.parse_args()
    uvicorn.run(create_app(args.api_base, args.says), host="127.0.0.1", port=args.port,
                log_level="warning", access_log=False)  # fmt: skip


if __name__ == "__main__":
    main()
