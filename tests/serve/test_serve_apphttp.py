"""The application client of `texml serve` (`texml.serve.apphttp`) on its aiohttp path, against
a real HTTP server on loopback: forms and bodies as sent, redirects followed, replies bounded,
and failures sorted into the kinds the engine acts on."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

import texml.serve.apphttp as apphttp
from texml.serve.apphttp import AppClient, AppHttpError


def run(routes: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]],
        test: Callable[[AppClient, str], Awaitable[Any]]) -> Any:  # fmt: skip
    async def go() -> Any:
        app = web.Application()
        for path, handler in routes.items():
            app.router.add_route("*", path, handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        client = AppClient()
        try:
            return await test(client, f"http://127.0.0.1:{port}")
        finally:
            await client.aclose()
            await runner.cleanup()

    return asyncio.run(go())


def test_forms_bodies_and_headers_arrive_as_sent_and_redirects_are_followed() -> None:
    seen: list[tuple[str, str, dict[str, str], bytes]] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append((request.method, str(request.rel_url), dict(request.headers), await request.read()))
        return web.Response(text="<Response/>", content_type="text/xml")

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/doc?from=moved")

    async def test(client: AppClient, base: str) -> None:
        got = await client.exchange("POST", f"{base}/doc", form={"CallSid": "v3:a b", "Digits": "1#"},
                                    max_bytes=1000)  # fmt: skip
        assert (got.status, got.content_type, got.body) == (200, "text/xml; charset=utf-8", b"<Response/>")
        redirected = await client.exchange("GET", f"{base}/moved", max_bytes=1000)
        assert redirected.status == 200
        await client.exchange("PUT", f"{base}/doc", headers={"X-Key": "k"}, content=b'{"a":1}',
                              max_bytes=1000)  # fmt: skip

    run({"/doc": echo, "/moved": moved}, test)
    (method, url, headers, body), (_, url2, _, _), (put, _, put_headers, put_body) = seen
    assert (method, url) == ("POST", "/doc") and body == b"CallSid=v3%3Aa+b&Digits=1%23"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["User-Agent"] == "texml"
    assert url2 == "/doc?from=moved"
    assert (put, put_headers["X-Key"], put_body) == ("PUT", "k", b'{"a":1}')


def test_a_long_reply_is_read_only_a_little_past_the_limit() -> None:
    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(100):  # 10 MB, were it all read
            await response.write(b"x" * 100_000)
        return response

    got = run({"/big": big}, lambda client, base: client.exchange("GET", f"{base}/big", max_bytes=5000))
    assert got.status == 200 and len(got.body) == 5001  # more than the limit: refused by the caller


def test_failures_are_sorted_into_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apphttp, "TOTAL_TIMEOUT", 0.3)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="late")

    async def drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]

    async def test(client: AppClient, base: str) -> list[str]:
        kinds = []
        for url in (f"http://127.0.0.1:{closed}/x", f"{base}/slow", f"{base}/drop", "http://[bad"):
            with pytest.raises(AppHttpError) as caught:
                await client.exchange("GET", url, max_bytes=100)
            kinds.append(caught.value.kind)
        return kinds

    assert run({"/slow": slow, "/drop": drop}, test) == ["unreached", "no_reply", "unreached", "failed"]


def test_documents_and_callbacks_are_signed_as_telnyx_and_as_twilio_would() -> None:
    """The official `twilio` package's RequestValidator accepts X-Twilio-Signature, and the
    Ed25519 signature verifies over `timestamp|raw body` with the printed public key."""
    from nacl.signing import VerifyKey
    from twilio.request_validator import RequestValidator

    from texml.runtime.sources import with_query
    from texml.serve.outgoing import RequestSigner, new_signing_key

    key, public = new_signing_key()
    signer = RequestSigner(key, "twilio-auth-token-1")
    assert signer.public_key == public
    seen: list[tuple[str, str, dict[str, str], bytes]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append((request.method, str(request.url), dict(request.headers), await request.read()))
        return web.Response(text="<Response/>", content_type="text/xml")

    params = {"CallSid": "v3:a+b/c", "Digits": "1#", "SpeechResult": "oui, à bientôt", "Empty": ""}

    async def test(client: AppClient, base: str) -> None:
        signed = AppClient(signer=signer)
        try:
            await signed.exchange("POST", f"{base}/voice?x=1", form=params, max_bytes=1000, sign=True)
            await signed.exchange("GET", str(with_query(f"{base}/voice", params)), max_bytes=1000,
                                  sign=True)  # fmt: skip
            await signed.exchange("POST", f"{base}/voice", content=b"{}", max_bytes=1000)  # not asked
        finally:
            await signed.aclose()

    run({"/voice": record}, test)
    validator = RequestValidator("twilio-auth-token-1")
    (post, post_url, post_headers, post_body), (get, get_url, get_headers, _), (_, _, plain, _) = seen
    assert post == "POST" and get == "GET"
    assert validator.validate(post_url, params, post_headers["X-Twilio-Signature"])
    assert validator.validate(get_url, {}, get_headers["X-Twilio-Signature"])
    assert not validator.validate(post_url, {**params, "Digits": "2"}, post_headers["X-Twilio-Signature"])
    verify = VerifyKey(base64.b64decode(public))
    for headers, body in ((post_headers, post_body), (get_headers, b"")):
        stamp = headers["telnyx-timestamp"]
        verify.verify(stamp.encode() + b"|" + body, base64.b64decode(headers["telnyx-signature-ed25519"]))
    assert "X-Twilio-Signature" not in plain and "telnyx-timestamp" not in plain
