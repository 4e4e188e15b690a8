"""Performance figures for texml, printed as one JSON object.

Run from the repository root: `python benchmarks/run.py`. Each figure is the best of several
timed repeats (the least disturbed by whatever else the machine is doing), in microseconds per
operation unless its name says otherwise. Targets live in the issues and the README, not here:
this script measures and prints, it never fails.

The `serve_*` figures come from whole calls: `texml serve` (SQLite store) and `texml sim` in
separate processes on loopback (see `serve_figures`), then the same calls against a bare
FastAPI relay (`benchmarks/bare_relay.py`) in the same run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

import texml  # noqa: E402
from compiler import CallContext, compile_verb  # noqa: E402

# The reference document: a realistic ~1.5 KB IVR menu (prompts, a two-input Gather, a Dial).
REFERENCE_IVR = ROOT / "examples" / "ivr" / "welcome.xml"


def best_us(func: Callable[[], object], *, number: int, repeat: int = 7) -> float:
    """Microseconds per call: the best of `repeat` runs of `number` calls."""
    func()  # warm up caches and lazy imports
    return min(timeit.repeat(func, number=number, repeat=repeat)) / number * 1e6


def parse_figures(source: bytes) -> dict[str, float]:
    doc = texml.parse(source)
    if not doc.ok:
        raise SystemExit(f"the reference document is invalid: {doc.errors}")
    parse_us = best_us(lambda: texml.parse(source), number=2000)
    lxml_us = best_us(lambda: etree.fromstring(source), number=2000)
    return {
        "parse_us": round(parse_us, 2),
        "parse_ratio_lxml": round(parse_us / lxml_us, 2),
    }


def compile_figures(source: bytes) -> dict[str, float]:
    """Compiling every verb of the parsed document: each verb's step and its first commands."""
    doc = texml.parse(source)
    ids = iter(range(10**12))
    ctx = CallContext(
        call_control_id="v3:bench", connection_id="conn", from_="+15550001111", to="+15550002222",
        client_state="e30=", new_id=lambda: f"cmd-{next(ids)}",
        document_url="https://app.example.com/ivr/welcome.xml",
    )  # fmt: skip

    def compile_document() -> None:
        for verb in doc.verbs:
            compile_verb(verb, ctx).start()

    return {"compile_us": round(best_us(compile_document, number=2000), 2)}


def runtime_figures() -> dict[str, float]:
    """The interpreter core alone: one webhook in, the next verb's command out."""
    from texml.runtime import AppConfig, CallSession, FetchDocument

    says = "".join(f"<Say>Prompt number {i}</Say>" for i in range(200))
    document = f"<Response>{says}</Response>".encode()
    ids = iter(range(10**12))

    def fresh() -> CallSession:
        session = CallSession(
            config=AppConfig(account_sid="acct", voice_url="https://app.example.com/voice"),
            call_control_id="v3:bench", connection_id="conn", from_="+15550001111",
            to="+15550002222", client_state="e30=", new_id=lambda: f"cmd-{next(ids)}",
        )  # fmt: skip
        [fetch] = [e for e in session.start(0.0) if isinstance(e, FetchDocument)]
        session.on_fetched(fetch.token, 0.0, status=200, content_type="text/xml", body=document)
        session.on_webhook({"data": {"event_type": "call.answered", "id": "a",
                                     "payload": {"call_control_id": "v3:bench"}}}, 0.0)  # fmt: skip
        return session

    # What Telnyx sends for each <Say>: speech started, then ended (which starts the next).
    envelopes = [
        {"data": {"event_type": f"call.speak.{kind}", "id": f"ev-{i}-{kind}",
                  "payload": {"call_control_id": "v3:bench", "status": "completed"}}}
        for i in range(199) for kind in ("started", "ended")
    ]  # fmt: skip

    def run_events() -> int:
        session = fresh()
        speaks = 0
        for i, envelope in enumerate(envelopes):
            for effect in session.on_webhook(envelope, float(i)):
                speaks += getattr(getattr(effect, "command", None), "action", None) == "speak"
        return speaks

    # Each `ended` must start the next <Say>, or the figure measures nothing.
    if run_events() != 199:
        raise SystemExit("runtime benchmark: the events did not advance the document")

    setup_us = best_us(fresh, number=20, repeat=5)
    total_us = best_us(run_events, number=20, repeat=5)
    return {"runtime_event_us": round((total_us - setup_us) / len(envelopes), 2)}


def dryrun_figures() -> dict[str, float]:
    """Whole dry-run calls of the example IVR, from its files, one after another."""
    from texml.dryrun import DryRun, Scenario
    from texml.sim import parse_input_item

    def one_call() -> None:
        scenario = Scenario(inputs=[parse_input_item("3"), parse_input_item("123456")])
        result = DryRun(str(REFERENCE_IVR), scenario).run()
        assert result.status == "completed" and not result.error, result

    per_call_us = best_us(one_call, number=10, repeat=5)
    return {"dryrun_calls_per_s": round(1e6 / per_call_us, 1)}


# --- texml serve, end to end ------------------------------------------------------------------

SERVE_CALLS = 64  # calls at once, for the throughput: enough to keep every process busy
SERVE_LIGHT_CALLS = 8  # calls at once, for the latency: well under what saturates
SERVE_REPEATS = 5  # throughput rounds of each stack, taken in turns; the best counts
SERVE_SAYS = 20  # <Say>s per call: each is a speak command and two webhooks
SERVE_SPEED = 100.0  # the simulator's clock: a second of speech takes 10 ms
SERVE_TIMEOUT = 60.0  # seconds for one round of calls


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Processes:
    """Subprocesses of one measurement, each logging to a file; all ended on exit."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.running: list[tuple[subprocess.Popen[str], Path]] = []

    def start(self, name: str, argv: list[str], *, stdout: int = subprocess.DEVNULL
              ) -> subprocess.Popen[str]:  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("TEXML_")}
        env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        log = self.tmp / f"{name}.log"
        with open(log, "w") as err:
            process = subprocess.Popen([sys.executable, *argv], stdout=stdout, stderr=err,
                                       text=True, cwd=ROOT, env=env)  # fmt: skip
        self.running.append((process, log))
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for _, log in self.running)

    def __enter__(self) -> _Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        for process, _ in reversed(self.running):
            process.terminate()
        for process, _ in self.running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


def _wait(check: Callable[[], bool], timeout: float, what: str, procs: _Processes) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"serve benchmark: timed out waiting for {what}\n{procs.logs()}")
        time.sleep(0.05)


class _Stack:
    """`texml sim` and an app in front of it (started by `start_app(port, api_base,
    public_key)`, which returns a URL that answers once the app listens); `round(n)` plays n
    calls at once and returns the simulator's stats of them."""

    def __init__(self, procs: _Processes, start_app: Callable[[int, str, str], str]) -> None:
        import httpx

        self.procs = procs
        port, sim_port = _free_port(), _free_port()
        sim = procs.start(f"sim-{sim_port}", [
            "-m", "texml.sim.serve", "--port", str(sim_port), "--speed", str(SERVE_SPEED),
            "--parallel", str(SERVE_CALLS), "--webhook-url", f"http://127.0.0.1:{port}/webhooks",
        ], stdout=subprocess.PIPE)  # fmt: skip
        assert sim.stdout is not None
        public_key = sim.stdout.readline().removeprefix("public key: ").strip()
        self.base = base = f"http://127.0.0.1:{sim_port}"
        self.app_url = f"http://127.0.0.1:{port}"
        health = start_app(port, f"{base}/v2", public_key)
        _wait(lambda: httpx.get(f"{base}/sim/stats", timeout=1).status_code == 200, 20,
              "texml sim", procs)  # fmt: skip
        _wait(lambda: httpx.get(health, timeout=1).status_code < 500, 20, "the app", procs)
        self._calls(5)  # warm-up: imports, connections, the database

    def _calls(self, n: int) -> None:
        import httpx

        base = self.base
        with httpx.Client(timeout=10) as client, ThreadPoolExecutor(16) as pool:
            ids = set(pool.map(lambda _: client.post(f"{base}/sim/calls", json={}).json()[
                "call_control_id"], range(n)))  # fmt: skip
            assert len(ids) == n

            def ended() -> bool:  # the stats are cheap to make; the list of calls is not
                return client.get(f"{base}/sim/stats").json()["calls"]["alive"] == 0

            _wait(ended, SERVE_TIMEOUT, f"{n} calls to end", self.procs)

    def round(self, n: int) -> dict:
        import httpx

        httpx.delete(f"{self.base}/sim/stats")
        self._calls(n)
        stats = httpx.get(f"{self.base}/sim/stats").json()
        executed = stats["counts"].get("executed", 0)
        if executed != n * (SERVE_SAYS + 2):  # answer, the speaks, hang-up: the work was done
            raise SystemExit(f"serve benchmark: {executed} commands ran, expected "
                             f"{n * (SERVE_SAYS + 2)}\n{self.procs.logs()}")  # fmt: skip
        return dict(stats)


def serve_figures() -> dict[str, float]:
    """Webhooks through `texml serve` (SQLite store): inbound calls, each a document of
    SERVE_SAYS `<Say>`s, against `texml sim` (SERVE_SPEED times the wall clock) in another
    process on loopback; and the same calls through a bare FastAPI relay
    (`benchmarks/bare_relay.py`) against a second simulator, in the same run. Both stacks run
    side by side and take turns, round by round, so that both see the machine as it is then.

    - `serve_webhooks_per_s`: SERVE_CALLS calls at once (saturation): webhooks delivered per
      second, from the first delivery to the last (the best of SERVE_REPEATS rounds).
    - `serve_p50_ms`, `serve_p99_ms`: "webhook received -> command sent" as `texml serve`
      measures it (`GET /metrics`: from a webhook's arrival to each command it causes going
      out, the document fetch of a new call included), over the warm-up and SERVE_LIGHT_CALLS
      calls at once (light load, so queueing does not swamp the figure).
    - `serve_roundtrip_*_ms`: the same reaction as the simulator sees it, from sending a
      webhook to receiving the next command for that call (both loopback hops and the
      simulator's own delays included), at light load and (`_saturated`) in the throughput
      round; `bare_roundtrip_*_ms` are the bare relay's.
    - `serve_ratio_bare`: the throughput over that of the bare relay (one command per webhook
      that needs one, with the same HTTP client, no signature check, no store, no document),
      measured the same way; `bare_*` are its own figures."""
    import httpx

    says = "".join(f"<Say>Prompt number {i}</Say>" for i in range(SERVE_SAYS))
    with tempfile.TemporaryDirectory(prefix="texml-bench-") as name:
        tmp = Path(name)
        (tmp / "bench.xml").write_text(f"<Response>{says}</Response>")
        with _Processes(tmp) as procs:
            docs_port = _free_port()
            procs.start("documents", [str(ROOT / "benchmarks" / "documents.py"), "--port",
                                      str(docs_port), "--directory", str(tmp)])  # fmt: skip

            def serve(port: int, api_base: str, public_key: str) -> str:
                procs.start(f"serve-{port}", [
                    "-m", "texml.serve.serve", "--port", str(port), "--api-base", api_base,
                    "--public-key", public_key, "--store", f"sqlite:///{tmp / 'bench.db'}",
                    "--connection-id", "sim-connection", "--api-key", "KEY_BENCH",
                    "--voice-url", f"http://127.0.0.1:{docs_port}/bench.xml",
                    "--voice-method", "GET", "--log-level", "warning",
                ])  # fmt: skip
                return f"http://127.0.0.1:{port}/healthz"

            def bare(port: int, api_base: str, public_key: str) -> str:
                procs.start(f"bare-{port}", [
                    str(ROOT / "benchmarks" / "bare_relay.py"), "--port", str(port),
                    "--api-base", api_base, "--says", str(SERVE_SAYS),
                ])  # fmt: skip
                return f"http://127.0.0.1:{port}/docs-none"  # any reply means it listens

            served_stack, relayed_stack = _Stack(procs, serve), _Stack(procs, bare)
            served_light = served_stack.round(SERVE_LIGHT_CALLS)
            inside = httpx.get(served_stack.app_url + "/metrics").json()  # as serve saw it
            relayed_light = relayed_stack.round(SERVE_LIGHT_CALLS)
            served_rounds, relayed_rounds = [], []
            for _ in range(SERVE_REPEATS):
                served_rounds.append(served_stack.round(SERVE_CALLS))
                relayed_rounds.append(relayed_stack.round(SERVE_CALLS))

    def best(rounds: list[dict]) -> dict:
        # The best of a few rounds, as for the other figures: the least disturbed by the machine.
        return max(rounds, key=lambda stats: stats["deliveries_per_s"] or 0.0)

    served, relayed = best(served_rounds), best(relayed_rounds)
    rate, bare_rate = served["deliveries_per_s"], relayed["deliveries_per_s"]
    return {
        "serve_webhooks_per_s": rate,
        "serve_p50_ms": inside["webhook_to_command_p50_ms"],
        "serve_p99_ms": inside["webhook_to_command_p99_ms"],
        "serve_ratio_bare": round(rate / bare_rate, 2),
        "serve_roundtrip_p50_ms": served_light["reaction_ms"]["p50"],
        "serve_roundtrip_p99_ms": served_light["reaction_ms"]["p99"],
        "serve_roundtrip_p50_saturated_ms": served["reaction_ms"]["p50"],
        "serve_roundtrip_p99_saturated_ms": served["reaction_ms"]["p99"],
        "bare_webhooks_per_s": bare_rate,
        "bare_roundtrip_p50_ms": relayed_light["reaction_ms"]["p50"],
        "bare_roundtrip_p99_ms": relayed_light["reaction_ms"]["p99"],
    }


def main() -> None:
    source = REFERENCE_IVR.read_bytes()
    figures: dict[str, object] = {"reference_bytes": len(source)}
    figures.update(parse_figures(source))
    figures.update(compile_figures(source))
    figures.update(runtime_figures())
    figures.update(dryrun_figures())
    figures.update(serve_figures())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
