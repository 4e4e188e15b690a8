"""Telnyx webhook signatures: Ed25519 over `timestamp|raw body` (spec call-control.md §9).

`WebhookVerifier.verify` checks the two headers Telnyx sends (`telnyx-signature-ed25519`, base64
of the signature, and `telnyx-timestamp`, Unix seconds) against the account's public key, on
the exact bytes received, and refuses timestamps more than 300 s from now either way (the
official SDK's window). Replayed event ids are refused by the server with the store's
`first_seen`, so that every process sharing the store agrees (see `texml.serve.app`).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Mapping

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"


class SignatureError(Exception):
    """The webhook is not provably from Telnyx, or not from now. `reason` is a short code:
    `unsigned`, `malformed`, `stale` or `forged`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class WebhookVerifier:
    def __init__(self, public_key: str | bytes, *, tolerance: float = TOLERANCE_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        raw = public_key if isinstance(public_key, bytes) else base64.b64decode(public_key)
        self._key = VerifyKey(raw)
        self.tolerance = tolerance
        self.clock = clock

    def verify(self, raw_body: bytes, headers: Mapping[str, str]) -> int:
        """Raise `SignatureError` unless the body is signed by the key, and recent; return the
        signed timestamp."""
        lowered = {k.lower(): v for k, v in headers.items()}
        signature_b64 = lowered.get(SIGNATURE_HEADER)
        stamp = lowered.get(TIMESTAMP_HEADER)
        if not signature_b64 or not stamp:
            raise SignatureError("unsigned", f"no {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
        try:
            timestamp = int(stamp.strip())
            signature = base64.b64decode(signature_b64, validate=True)
        except (ValueError, binascii.Error):
            raise SignatureError("malformed", "the signature or timestamp header is malformed") from None
        if len(signature) != 64:
            raise SignatureError("malformed", "the signature is not 64 bytes")
        skew = self.clock() - timestamp
        if abs(skew) > self.tolerance:
            raise SignatureError("stale", f"the timestamp is {skew:+.0f} s from now "
                                          f"(more than {self.tolerance:g} s)")  # fmt: skip
        try:
            self._key.verify(stamp.encode() + b"|" + raw_body, signature)
        except BadSignatureError:
            raise SignatureError("forged", "the signature does not match the body") from None
        return timestamp


__all__ = ["SignatureError", "TOLERANCE_SECONDS", "WebhookVerifier"]
