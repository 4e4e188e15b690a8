"""HTTP to the application, for `texml serve`: documents, status callbacks, `<HttpRequest>`s.

On aiohttp, like the Call Control client (`texml.serve.client`): a new call's document is
fetched while its webhook waits, and with several calls starting at once httpx took 15 ms per
fetch from a local server where aiohttp took 3 to 6 (see README, Performance). A `transport`
(an `httpx.AsyncBaseTransport`, such as `httpx.MockTransport`) sends through httpx instead:
the tests script the application with it.

Whatever the backend, a failure is an `AppHttpError` of one of three kinds, which is what the
callers decide on: `unreached` (no connection, or the connection dropped before any reply:
status callbacks are sent again then, as before), `no_reply` (sent, and no reply within the
time allowed: it may have arrived, so a callback is not sent again) and `failed` (anything
else: a bad URL, too many redirects...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import httpx
import yarl

from texml.runtime.sources import CONNECT_TIMEOUT, TOTAL_TIMEOUT
from texml.serve.outgoing import RequestSigner

MAX_CONNECTIONS = 200
CHUNK = 65536


class AppHttpError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "unreached", "no_reply" or "failed"


@dataclass(frozen=True)
class AppReply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes  # at most max_bytes + 1 bytes: more than max_bytes means it was longer

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


async def read_bounded(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The body, read until it ends or passes `max_bytes` (then `max_bytes` + 1 bytes: more
    than the limit, and the rest is not read). A single `read(n)` may stop at any chunk."""
    body = bytearray()
    while len(body) <= max_bytes:
        chunk = await response.content.read(CHUNK)
        if not chunk:
            break
        body += chunk
    return bytes(body[:max_bytes + 1])


class AppClient:
    """`signer` signs the requests made with `sign=True` (documents and status callbacks; not
    `<HttpRequest>`s, which go to other APIs)."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None, *,
                 signer: RequestSigner | None = None) -> None:  # fmt: skip
        self._transport = transport
        self._signer = signer if signer is not None and signer.active else None
        self._httpx: httpx.AsyncClient | None = None
        self._session: aiohttp.ClientSession | None = None

    async def exchange(self, method: str, url: str, *, form: Mapping[str, str] | None = None,
                       headers: Mapping[str, str] | None = None, content: bytes | None = None,
                       max_bytes: int, sign: bool = False) -> AppReply:  # fmt: skip
        """One request (redirects followed), its reply read up to `max_bytes` + 1 bytes. A
        `form` is sent form-encoded; the URL is sent exactly as given (it may be signed)."""
        url = str(url)
        headers = dict(headers or {})
        if form is not None:  # encoded here, so that the bytes signed are the bytes sent
            content = urlencode(dict(form)).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if sign and self._signer is not None:
            headers.update(self._signer.headers(url, content or b"", form))
        if self._transport is not None:
            return await self._through_httpx(method, url, None, headers, content, max_bytes)
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS), trust_env=True,
                timeout=aiohttp.ClientTimeout(total=TOTAL_TIMEOUT, sock_connect=CONNECT_TIMEOUT),
                headers={"User-Agent": "texml"},
            )  # fmt: skip
        try:
            target = yarl.URL(url, encoded=True)  # not requoted: as signed
            async with self._session.request(method, target, data=content, headers=headers) as response:
                body = await read_bounded(response, max_bytes)
                return AppReply(response.status, {k.lower(): v for k, v in response.headers.items()}, body)
        except aiohttp.ConnectionTimeoutError as exc:  # never connected: nothing was sent
            raise AppHttpError("unreached", f"{type(exc).__name__}: {exc}") from None
        except TimeoutError:
            raise AppHttpError("no_reply", "timed out") from None
        except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError,
                aiohttp.ClientOSError) as exc:  # fmt: skip
            raise AppHttpError("unreached", f"{type(exc).__name__}: {exc}") from None
        except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a URL aiohttp refuses
            raise AppHttpError("failed", f"{type(exc).__name__}: {exc}") from None

    async def _through_httpx(self, method: str, url: str, form: Mapping[str, str] | None,
                             headers: Mapping[str, str] | None, content: bytes | None,
                             max_bytes: int) -> AppReply:  # fmt: skip
        if self._httpx is None:
            self._httpx = httpx.AsyncClient(
                transport=self._transport, follow_redirects=True, headers={"User-Agent": "texml"},
                timeout=httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT))  # fmt: skip
        try:
            request = self._httpx.build_request(method, str(url), headers=dict(headers or {}),
                                                data=dict(form) if form is not None else None,
                                                content=content)  # fmt: skip
            response = await self._httpx.send(request, stream=True)
            try:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        break
            finally:
                await response.aclose()
        except httpx.ConnectTimeout as exc:  # never connected: nothing was sent
            raise AppHttpError("unreached", f"{type(exc).__name__}: {exc}") from None
        except httpx.TimeoutException:
            raise AppHttpError("no_reply", "timed out") from None
        except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError) as exc:
            raise AppHttpError("unreached", f"{type(exc).__name__}: {exc}") from None
        except httpx.HTTPError as exc:
            raise AppHttpError("failed", f"{type(exc).__name__}: {exc}" if str(exc)
                               else type(exc).__name__) from None  # fmt: skip
        return AppReply(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                        bytes(body[:max_bytes + 1]))  # fmt: skip

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._httpx is not None:
            await self._httpx.aclose()


__all__ = ["AppClient", "AppHttpError", "AppReply"]
