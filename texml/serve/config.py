"""`texml serve`'s settings: command-line flags, `TEXML_*` environment variables, a TOML file.

Each setting can come from three places; the first that gives it wins:

1. a flag: `--voice-url https://app.example.com/voice`;
2. an environment variable: `TEXML_VOICE_URL=...` (the flag's name, upper case, `_` for `-`);
3. the TOML file named by `--config` (or `TEXML_CONFIG`): `voice_url = "..."`.

Booleans in the environment are `1/true/yes/on` or `0/false/no/off`; lists
(`status_callback_events`) are space- or comma-separated there and TOML arrays in the file.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from texml.runtime import AppConfig

DEFAULT_ACCOUNT_SID = "00000000-0000-4000-8000-000000000000"
CALLBACK_EVENTS = ("initiated", "ringing", "answered", "completed")


class ConfigError(ValueError):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None  # Call Control API key (Bearer)
    public_key: str | None = None  # Telnyx's Ed25519 webhook key, base64
    insecure_skip_verification: bool = False
    connection_id: str | None = None  # the Call Control application that places outbound calls
    account_sid: str = DEFAULT_ACCOUNT_SID
    voice_url: str | None = None
    voice_method: str = "POST"
    fallback_url: str | None = None
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: tuple[str, ...] = CALLBACK_EVENTS
    store: str = "sqlite:///texml.db"
    api_base: str = "https://api.telnyx.com/v2"
    rest_token: str | None = None  # Bearer token of the TeXML REST API; no token: API off
    signing_key: str | None = None  # texml's Ed25519 key (base64) signing requests to the app
    twilio_auth_token: str | None = None  # secret for X-Twilio-Signature on requests to the app
    retain_seconds: float = 60.0  # a finished call stays this long (late webhooks), then goes
    log_level: str = "info"
    config_file: str | None = field(default=None, compare=False)

    def app_config(self, **overrides: Any) -> AppConfig:
        """The TeXML application settings calls run with (REST requests may override some)."""
        values: dict[str, Any] = {
            "account_sid": self.account_sid,
            "voice_url": self.voice_url or "",
            "voice_method": self.voice_method,
            "fallback_url": self.fallback_url,
            "status_callback": self.status_callback,
            "status_callback_method": self.status_callback_method,
            "status_callback_events": frozenset(self.status_callback_events),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return AppConfig(**values)


# name -> (kind, help). kind: str | int | float | bool | method | events
_SETTINGS: dict[str, tuple[str, str]] = {
    "host": ("str", "address to listen on (127.0.0.1)"),
    "port": ("int", "port to listen on (8000)"),
    "api_key": ("str", "Telnyx API key, sent as Bearer on Call Control commands"),
    "public_key": ("str", "Telnyx's webhook public key (base64 Ed25519), from the portal"),
    "insecure_skip_verification": ("bool", "accept unsigned webhooks (tests only)"),
    "connection_id": ("str", "Call Control application id that places outbound calls"),
    "account_sid": ("str", "AccountSid sent to the application and used in REST paths"),
    "voice_url": ("str", "the application's first document for inbound calls"),
    "voice_method": ("method", "GET or POST for documents (POST)"),
    "fallback_url": ("str", "requested with ErrorCode and ErrorUrl when a document fails"),
    "status_callback": ("str", "where call-progress callbacks go"),
    "status_callback_method": ("method", "GET or POST for status callbacks (POST)"),
    "status_callback_events": ("events", "which of initiated ringing answered completed"),
    "store": ("str", "sqlite:///PATH (default sqlite:///texml.db) or redis://HOST:PORT/DB"),
    "api_base": ("str", "Call Control API base (https://api.telnyx.com/v2; texml sim: .../v2)"),
    "rest_token": ("str", "Bearer token for the TeXML REST API (/v2/texml/...); none: off"),
    "signing_key": ("str", "sign requests to the app as Telnyx does, with this Ed25519 key "
                           "(base64; make one with --new-signing-key)"),
    "twilio_auth_token": ("str", "also sign them with X-Twilio-Signature, this as the Auth Token"),
    "retain_seconds": ("float", "seconds a finished call is kept for late webhooks (60)"),
    "log_level": ("str", "debug, info, warning or error (info)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="texml serve",
        description="Run the TeXML interpreter as a server: Call Control webhooks at "
        "POST /webhooks, the TeXML REST API under /v2/texml, GET /healthz and GET /metrics. "
        "Every option can also be set as a TEXML_* environment variable or in --config FILE.",
    )
    parser.add_argument("--config", metavar="FILE.toml", help="settings file (TOML)")
    parser.add_argument("--new-signing-key", action="store_true",
                        help="print a new --signing-key and its public key, and exit")  # fmt: skip
    for name, (kind, text) in _SETTINGS.items():
        flag = "--" + name.replace("_", "-")
        if kind == "bool":
            parser.add_argument(flag, action="store_true", default=None, help=text)
        else:
            parser.add_argument(flag, default=None, help=text, metavar=name.upper())
    return parser


def load_config(argv: Sequence[str] | None = None,
                env: Mapping[str, str] | None = None) -> ServeConfig:  # fmt: skip
    """The settings from flags (`argv`), then `env` (default `os.environ`), then the file."""
    env = os.environ if env is None else env
    args = build_parser().parse_args(list(argv) if argv is not None else [])
    file_name = args.config or env.get("TEXML_CONFIG")
    from_file = _read_file(file_name) if file_name else {}
    values: dict[str, Any] = {}
    for name, (kind, _) in _SETTINGS.items():
        flag = getattr(args, name)
        env_value = env.get("TEXML_" + name.upper())
        if flag is not None:
            raw, where = flag, f"--{name.replace('_', '-')}"
        elif env_value is not None and env_value != "":
            raw, where = env_value, f"TEXML_{name.upper()}"
        elif name in from_file:
            raw, where = from_file[name], f"{file_name}: {name}"
        else:
            continue
        values[name] = _convert(kind, raw, where)
    config = ServeConfig(**values, config_file=file_name)
    _check(config)
    return config


def _read_file(name: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(Path(name).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--config {name}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--config {name}: not TOML ({exc})") from None
    known = {f.name for f in fields(ServeConfig)} - {"config_file"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{name}: unknown setting(s) {', '.join(unknown)}; the settings are "
                          f"{', '.join(sorted(known))}")  # fmt: skip
    return {k.replace("-", "_"): v for k, v in data.items()}


def _convert(kind: str, raw: Any, where: str) -> Any:
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{where}: {raw!r} is not a boolean (true or false)")
    if kind in ("int", "float"):
        try:
            return int(raw) if kind == "int" else float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: {raw!r} is not a number") from None
    if kind == "method":
        method = str(raw).upper()
        if method not in ("GET", "POST"):
            raise ConfigError(f"{where}: {raw!r}: use GET or POST")
        return method
    if kind == "events":
        items = raw if isinstance(raw, list) else str(raw).replace(",", " ").split()
        events = tuple(str(i).strip().lower() for i in items if str(i).strip())
        bad = [e for e in events if e not in CALLBACK_EVENTS]
        if bad:
            raise ConfigError(f"{where}: unknown event(s) {', '.join(bad)}; use "
                              f"{' '.join(CALLBACK_EVENTS)}")  # fmt: skip
        return events
    return str(raw)


def _is_key(text: str) -> bool:
    """Whether `text` is the base64 of 32 bytes (an Ed25519 public key or signing seed)."""
    try:
        return len(base64.b64decode(text, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def _check(config: ServeConfig) -> None:
    if not 0 < config.port < 65536:
        raise ConfigError(f"port {config.port}: use 1-65535")
    if config.public_key:
        if not _is_key(config.public_key):
            raise ConfigError("--public-key: give the base64 of a 32-byte Ed25519 public key "
                              "(Mission Control > Keys & Credentials > Public Key)")  # fmt: skip
    elif not config.insecure_skip_verification:
        raise ConfigError("no --public-key (TEXML_PUBLIC_KEY): webhooks cannot be verified. Give "
                          "Telnyx's public key, or --insecure-skip-verification for local tests")  # fmt: skip
    if config.signing_key and not _is_key(config.signing_key):
        raise ConfigError("--signing-key: give the base64 of a 32-byte Ed25519 key "
                          "(texml serve --new-signing-key makes one)")  # fmt: skip
    if not config.store.startswith(("sqlite://", "redis://", "rediss://", "unix://")):
        raise ConfigError(f"--store {config.store!r}: use sqlite:///PATH or redis://HOST:PORT/DB")
    for name in ("voice_url", "fallback_url", "status_callback", "api_base"):
        value = getattr(config, name)
        if value and not value.startswith(("http://", "https://")):
            raise ConfigError(f"--{name.replace('_', '-')} {value!r}: give an http(s) URL")
    if config.retain_seconds < 0:
        raise ConfigError("--retain-seconds: 0 or more")
    if config.log_level.lower() not in ("debug", "info", "warning", "error"):
        raise ConfigError(f"--log-level {config.log_level!r}: debug, info, warning or error")


__all__ = ["CALLBACK_EVENTS", "ConfigError", "ServeConfig", "build_parser", "load_config"]
