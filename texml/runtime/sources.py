"""Where documents come from: local files (dry runs) and the application's HTTP server.

Both give a `Reply` the session checks (`texml.runtime.errors.check_reply`). Local files are
rendered with the TeXML Bins template dialect (`texml.runtime.templating`) using the request's
parameters, which lets a folder of static files act as a small application.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from texml.runtime.templating import TemplateError, render

CONNECT_TIMEOUT = 5.0  # seconds (Twilio's, per connection attempt)
TOTAL_TIMEOUT = 15.0  # seconds for the whole reply


@dataclasses.dataclass(frozen=True)
class Reply:
    status: int | None  # None: no reply at all
    content_type: str | None
    body: bytes
    error: str | None = None


def file_url(path: str | Path) -> str:
    return Path(path).resolve().as_uri()


def read_local(url: str, params: Mapping[str, str], max_bytes: int) -> Reply:
    """A `file:` URL: the file's text, rendered with the request parameters."""
    path = Path(unquote(urlsplit(url).path))
    try:
        size = path.stat().st_size
        if size > max_bytes:  # do not read a huge file just to refuse it
            return Reply(200, "application/xml", b" " * (max_bytes + 1))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Reply(404, None, b"", f"no such file: {path}")
    except (OSError, UnicodeDecodeError) as exc:
        return Reply(500, None, b"", f"cannot read {path}: {exc}")
    try:
        text = render(text, params, escape_xml=True)
    except TemplateError as exc:
        return Reply(500, None, b"", f"{path}: template error: {exc}")
    return Reply(200, "application/xml", text.encode("utf-8"))


def fetch_http(client: httpx.Client, url: str, method: str, params: Mapping[str, str],
               max_bytes: int, headers: Mapping[str, str] | None = None) -> Reply:  # fmt: skip
    """GET with the parameters in the query string, or POST them form-encoded."""
    try:
        request = (
            client.build_request("GET", with_query(url, params), headers=headers)
            if method == "GET"
            else client.build_request("POST", url, data=dict(params), headers=headers)
        )
        response = client.send(request, stream=True)
        try:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:  # stop reading: the reply is refused anyway
                    break
        finally:
            response.close()
        return Reply(response.status_code, response.headers.get("content-type"), bytes(body))
    except httpx.TimeoutException:
        return Reply(None, None, b"", "timed out")
    except httpx.HTTPError as exc:
        return Reply(None, None, b"", str(exc) or type(exc).__name__)


def with_query(url: str, params: Mapping[str, str]) -> httpx.URL:
    """`url` with `params` added to the query it already has (GET requests keep both)."""
    return httpx.URL(url).copy_merge_params(dict(params))


def http_client() -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT),
        follow_redirects=True,
        headers={"User-Agent": "texml"},
    )
