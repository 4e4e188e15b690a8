"""Why a fetched document cannot be run, in Twilio's error-code vocabulary.

Ported apps already log and alert on these numbers, so texml uses them as `ErrorCode` on
fallback requests and in traces.
"""

from __future__ import annotations

HTTP_RETRIEVAL_FAILURE = "11200"  # the reply was not 2xx
HTTP_CONNECTION_FAILURE = "11205"  # no reply: refused, timed out, DNS...
RESPONSE_TOO_LARGE = "11750"
DOCUMENT_PARSE_FAILURE = "12100"
INVALID_CONTENT_TYPE = "12300"

ACCEPTED_CONTENT_TYPES = frozenset({"text/xml", "application/xml", "text/plain", "text/html"})


class FetchError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def check_reply(status: int | None, content_type: str | None, body: bytes, error: str | None,
                max_bytes: int) -> None:  # fmt: skip
    """Raise `FetchError` unless the reply can hold a TeXML document."""
    if status is None:
        raise FetchError(HTTP_CONNECTION_FAILURE, f"no reply ({error or 'connection failed'})")
    if not 200 <= status < 300:
        raise FetchError(HTTP_RETRIEVAL_FAILURE, f"the application answered HTTP {status}")
    if content_type is not None:
        media_type = content_type.split(";")[0].strip().lower()
        if media_type and media_type not in ACCEPTED_CONTENT_TYPES and not media_type.endswith("+xml"):
            raise FetchError(
                INVALID_CONTENT_TYPE,
                f"the reply is {media_type}, not XML (answer with Content-Type: text/xml)",
            )
    if len(body) > max_bytes:
        raise FetchError(
            RESPONSE_TOO_LARGE, f"the document is {len(body):,} bytes; the limit is {max_bytes:,}"
        )
