"""Signatures on the requests `texml serve` makes to the application (texml-platform.md §4.3).

- Telnyx style, with texml's own Ed25519 key (`--signing-key`): `telnyx-timestamp` and
  `telnyx-signature-ed25519`, the signature over `{timestamp}|{raw body}`, exactly as Telnyx
  signs its TeXML requests. An app written for hosted TeXML verifies them with the public key
  that `texml serve` prints at start (and with `texml serve --new-signing-key`).
- Twilio style, with a shared secret standing in for the Auth Token (`--twilio-auth-token`):
  `X-Twilio-Signature`, base64 HMAC-SHA1 of the URL as requested followed by the form
  parameters sorted by name (name then value, no separators; nothing for a GET, whose
  parameters are in the URL), so that a ported app's `RequestValidator` accepts them.

The URL and the body signed are the very bytes sent: the client does not rewrite either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

from nacl.signing import SigningKey


class RequestSigner:
    def __init__(self, signing_key: str | None = None, twilio_auth_token: str | None = None,
                 *, clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self._key = SigningKey(base64.b64decode(signing_key)) if signing_key else None
        self._token = twilio_auth_token.encode() if twilio_auth_token else None
        self.clock = clock

    @property
    def active(self) -> bool:
        return self._key is not None or self._token is not None

    @property
    def public_key(self) -> str | None:
        """The base64 public key that verifies the Telnyx-style signatures (None: not signed)."""
        return base64.b64encode(bytes(self._key.verify_key)).decode() if self._key else None

    def headers(self, url: str, body: bytes, form: Mapping[str, str] | None) -> dict[str, str]:
        """The signature headers for a request to `url` with `body` (`form`: its form params,
        for a form POST)."""
        out: dict[str, str] = {}
        if self._key is not None:
            stamp = str(int(self.clock()))
            signature = self._key.sign(stamp.encode() + b"|" + body).signature
            out["telnyx-timestamp"] = stamp
            out["telnyx-signature-ed25519"] = base64.b64encode(signature).decode()
        if self._token is not None:
            data = url + "".join(f"{k}{v}" for k, v in sorted((form or {}).items()))
            digest = hmac.new(self._token, data.encode(), hashlib.sha1).digest()
            out["X-Twilio-Signature"] = base64.b64encode(digest).decode()
        return out


def new_signing_key() -> tuple[str, str]:
    """A new (signing key, public key) pair, both base64."""
    key = SigningKey.generate()
    return base64.b64encode(bytes(key)).decode(), base64.b64encode(bytes(key.verify_key)).decode()


__all__ = ["RequestSigner", "new_signing_key"]
