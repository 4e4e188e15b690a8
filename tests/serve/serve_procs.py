"""`texml serve` and `texml sim` as separate processes on loopback, for end-to-end tests.

```python
serve_port = free_port()
sim = SimProcess.start([webhook_url(serve_port)], tmp_path, speed=10)
serve = ServeProcess.start(serve_port, tmp_path, sim=sim, args=["--voice-url", app.url("/voice")])
call_id = sim.new_call(inputs=["1"])
sim.wait_status(call_id, "hangup")
serve.kill9(); serve = serve.restart()  # same port, same store file
```

Each process writes its stderr to a file in the test's tmp_path (shown when a wait fails);
`stop()` (always call it in teardown) ends it and waits for it, so no zombie is left behind.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def webhook_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/webhooks"


def wait_until(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition",
               log: Callable[[], str] | None = None) -> Any:  # fmt: skip
    """Poll `check` until it returns something truthy; fail with `what` (and `log()`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}" + (f"\n{log()}" if log else ""))
        time.sleep(0.05)


@dataclass
class _Process:
    process: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-6000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _spawn(argv: Sequence[str], log_path: Path, *, stdout: Any = subprocess.DEVNULL) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("TEXML_")}
    with open(log_path, "w", encoding="utf-8") as log:
        return subprocess.Popen([sys.executable, *argv], stdout=stdout, stderr=log, text=True,
                                cwd=ROOT, env=env)  # fmt: skip


@dataclass
class SimProcess(_Process):
    base: str = ""
    public_key: str = ""

    @classmethod
    def start(cls, webhook_urls: Sequence[str], tmp: Path, *, speed: float = 10.0,
              dial: Sequence[str] = ()) -> SimProcess:  # fmt: skip
        port = free_port()
        argv = ["-m", "texml.sim.serve", "--port", str(port), "--speed", str(speed)]
        for url in webhook_urls:
            argv += ["--webhook-url", url]
        for item in dial:
            argv += ["--dial", item]
        log_path = tmp / f"sim-{port}.log"
        process = _spawn(argv, log_path, stdout=subprocess.PIPE)
        sim = cls(process, log_path, base=f"http://127.0.0.1:{port}")
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert first.startswith("public key: "), first + sim.log()
            sim.public_key = first.removeprefix("public key: ").strip()
            wait_until(lambda: sim._answers(), START_TIMEOUT, "texml sim to listen", sim.log)
        except BaseException:
            sim.stop()
            raise
        return sim

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"texml sim exited\n{self.log()}")
        try:
            httpx.get(f"{self.base}/sim/calls/none", timeout=1)
            return True
        except httpx.HTTPError:
            return False

    @property
    def api_base(self) -> str:
        return f"{self.base}/v2"

    def new_call(self, **spec: Any) -> str:
        reply = httpx.post(f"{self.base}/sim/calls", json=spec, timeout=5)
        assert reply.status_code == 200, reply.text
        return str(reply.json()["call_control_id"])

    def call(self, call_id: str) -> dict[str, Any]:
        reply = httpx.get(f"{self.base}/sim/calls/{call_id}", timeout=5)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def wait_status(self, call_id: str, status: str, timeout: float = 20.0,
                    serve: _Process | None = None) -> dict[str, Any]:  # fmt: skip
        def logs() -> str:
            return (f"sim call: {json.dumps(self.call(call_id), indent=1)[-4000:]}\n"
                    f"--- serve log ---\n{serve.log() if serve else ''}\n--- sim log ---\n{self.log()}")  # fmt: skip

        return dict(wait_until(lambda: (c := self.call(call_id))["status"] == status and c,
                               timeout, f"call {call_id} to be {status}", logs))  # fmt: skip

    def heard(self, call_id: str) -> list[str]:
        return [e["say"] for e in self.call(call_id)["events"] if e.get("kind") == "hear" and "say" in e]


@dataclass
class ServeProcess(_Process):
    port: int = 0
    argv: list[str] = field(default_factory=list)
    tmp: Path = Path(".")

    @classmethod
    def start(cls, port: int, tmp: Path, *, sim: SimProcess | None = None, public_key: str | None = None,
              store: str | None = None, args: Sequence[str] = ()) -> ServeProcess:  # fmt: skip
        argv = ["-m", "texml.serve.serve", "--port", str(port),
                "--store", store or f"sqlite:///{tmp / 'texml.db'}",
                "--connection-id", "sim-connection", "--api-key", "KEY_TEST",
                "--retain-seconds", "2"]  # fmt: skip
        if sim is not None:
            argv += ["--api-base", sim.api_base]
        key = public_key or (sim.public_key if sim else None)
        argv += ["--public-key", key] if key else ["--insecure-skip-verification"]
        argv += list(args)
        return cls._launch(argv, port, tmp)

    @classmethod
    def _launch(cls, argv: list[str], port: int, tmp: Path) -> ServeProcess:
        n = len(list(tmp.glob(f"serve-{port}-*.log")))
        log_path = tmp / f"serve-{port}-{n}.log"
        serve = cls(_spawn(argv, log_path), log_path, port=port, argv=argv, tmp=tmp)
        try:
            wait_until(serve._healthy, START_TIMEOUT, "texml serve to listen", serve.log)
        except BaseException:
            serve.stop()
            raise
        return serve

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"texml serve exited ({self.process.returncode})\n{self.log()}")
        try:
            return httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill9(self) -> None:
        """SIGKILL: no shutdown, no flush; reaped at once so its pid is gone."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def restart(self) -> ServeProcess:
        """The same command again (same port, same store)."""
        return self._launch(self.argv, self.port, self.tmp)

    def metrics(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base}/metrics", timeout=5).json())

    def logs(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out


def client_state(call_id: str) -> str:
    return base64.b64encode(json.dumps({"call": call_id}).encode()).decode()


__all__ = ["ROOT", "ServeProcess", "SimProcess", "client_state", "free_port", "wait_until",
           "webhook_url"]
