"""Fixtures for the end-to-end tests: a real local HTTP application and whole dry-run calls.

- `app`: a running `TestApp` (tests/e2e/app.py) on 127.0.0.1 with an ephemeral port, with a
  `/status` route for status callbacks; stopped (and checked stopped) after the test.
- `play`: `play(path, inputs=[...], dial={...}, status_callback="/status", fallback=...)`
  plays a whole call whose first document is `app.url(path)` (see `calls.play_call`); every
  `command` event of the call is validated against the official SDK's types.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `app` and `calls` (no __init__.py here)

from app import TestApp  # noqa: E402
from calls import Played, play_call  # noqa: E402


@pytest.fixture
def app() -> Iterator[TestApp]:
    server = TestApp().start()
    server.route("/status", "", status=204, content_type=None)
    try:
        yield server
    finally:
        server.stop()
    assert not server.running, "the test app did not shut down"


@pytest.fixture
def play(app: TestApp) -> Any:
    def run(source: str, **kwargs: Any) -> Played:
        return play_call(app, source, **kwargs)

    return run
