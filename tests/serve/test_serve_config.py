"""`texml serve` settings: flags over `TEXML_*` environment variables over the TOML file."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from texml.serve.config import ConfigError, ServeConfig, load_config
from texml.serve.serve import main

KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(32)).decode()


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "serve.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults() -> None:
    config = load_config(["--public-key", KEY], env={})
    assert config == ServeConfig(public_key=KEY)
    assert (config.host, config.port, config.store) == ("127.0.0.1", 8000, "sqlite:///texml.db")
    assert config.api_base == "https://api.telnyx.com/v2" and config.voice_method == "POST"
    assert config.status_callback_events == ("initiated", "ringing", "answered", "completed")


def test_flags_beat_environment_beat_file(tmp_path: Path) -> None:
    file = write(tmp_path, f'''
        public_key = "{KEY}"
        port = 9001
        voice_url = "https://file.example.com/voice"
        voice_method = "GET"
        status_callback_events = ["completed"]
        api_key = "from-file"
        retain_seconds = 5
    ''')  # fmt: skip
    env = {"TEXML_PORT": "9002", "TEXML_VOICE_URL": "https://env.example.com/voice",
           "TEXML_INSECURE_SKIP_VERIFICATION": "yes"}  # fmt: skip
    config = load_config(["--config", file, "--port", "9003"], env=env)
    assert config.port == 9003  # flag
    assert config.voice_url == "https://env.example.com/voice"  # environment over file
    assert config.voice_method == "GET" and config.api_key == "from-file"  # file only
    assert config.status_callback_events == ("completed",) and config.retain_seconds == 5.0
    assert config.insecure_skip_verification is True and config.public_key == KEY

    # The file can be named in the environment too; an empty variable does not count.
    config = load_config([], env={"TEXML_CONFIG": file, "TEXML_API_KEY": ""})
    assert config.port == 9001 and config.api_key == "from-file"
    config = load_config(["--public-key", OTHER_KEY], env={"TEXML_CONFIG": file,
                                                           "TEXML_PUBLIC_KEY": KEY})  # fmt: skip
    assert config.public_key == OTHER_KEY
    env_events = load_config(["--public-key", KEY],
                             env={"TEXML_STATUS_CALLBACK_EVENTS": "answered, completed"})  # fmt: skip
    assert env_events.status_callback_events == ("answered", "completed")


def test_app_config_carries_the_application_settings() -> None:
    config = load_config(["--public-key", KEY, "--voice-url", "https://a.example.com/v",
                          "--status-callback", "https://a.example.com/s", "--account-sid", "AC1",
                          "--status-callback-events", "completed"], env={})  # fmt: skip
    app = config.app_config()
    assert (app.account_sid, app.voice_url, app.status_callback) == (
        "AC1", "https://a.example.com/v", "https://a.example.com/s")
    assert app.status_callback_events == frozenset({"completed"})
    assert config.app_config(voice_url="https://b.example.com/x", fallback_url=None).voice_url == \
        "https://b.example.com/x"  # fmt: skip


@pytest.mark.parametrize("argv, env, message", [
    ([], {}, "no --public-key"),
    (["--public-key", "bm90LWEta2V5"], {}, "32-byte Ed25519"),
    (["--public-key", KEY, "--port", "0"], {}, "port 0"),
    (["--public-key", KEY, "--port", "x"], {}, "not a number"),
    (["--public-key", KEY, "--voice-method", "PUT"], {}, "use GET or POST"),
    (["--public-key", KEY, "--store", "mysql://x"], {}, "sqlite:///PATH"),
    (["--public-key", KEY, "--voice-url", "ftp://x"], {}, "http(s) URL"),
    (["--public-key", KEY], {"TEXML_INSECURE_SKIP_VERIFICATION": "maybe"}, "not a boolean"),
    (["--public-key", KEY], {"TEXML_STATUS_CALLBACK_EVENTS": "hungup"}, "unknown event"),
    (["--public-key", KEY, "--config", "/nonexistent/serve.toml"], {}, "cannot read"),
])  # fmt: skip
def test_bad_settings_say_what_to_do(argv: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(argv, env=env)


def test_a_file_with_unknown_or_broken_settings_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(["--config", write(tmp_path, f'public_key = "{KEY}"\nvoice_ur = "x"\n')], env={})
    with pytest.raises(ConfigError, match="not TOML"):
        load_config(["--config", write(tmp_path, "port = = 1")], env={})


def test_serve_refuses_to_start_without_a_key(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv("TEXML_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("TEXML_INSECURE_SKIP_VERIFICATION", raising=False)
    monkeypatch.delenv("TEXML_CONFIG", raising=False)
    assert main(["--port", "8123"]) == 2
    err = capsys.readouterr().err
    assert "no --public-key" in err and "--insecure-skip-verification" in err
    assert main(["--help"]) == 0
