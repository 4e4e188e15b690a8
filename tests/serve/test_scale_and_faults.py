"""`texml serve` at scale and under faults, every process separate and talking HTTP on loopback.

- Two `texml serve` processes share one real `redis-server`; `texml sim` deals webhooks out to
  them in turn, so consecutive events of one call land on different processes. An inbound IVR
  and an outbound REST call complete as on one process.
- A storm: over a thousand calls (inbound IVR calls, and outbound REST calls), with `texml sim`
  injecting duplicate, late and reordered webhooks, 5xx and slow command replies, while the
  application answers some documents and callbacks with 500s. Every call ends, no command
  takes effect twice (the simulator counts executions per `command_id`, and each call's
  executed commands are the ones its path through the documents needs, in order), and the
  application gets exactly one `completed` status callback per call. On Redis with two serve
  processes, and on SQLite with one.
"""

from __future__ import annotations

import collections
import os
import subprocess
import time
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.app import TestApp
from tests.serve.conftest_redis import RedisServer, redis_server  # noqa: F401
from tests.serve.serve_procs import (
    START_TIMEOUT, ServeProcess, SimProcess, _spawn, free_port, wait_until, webhook_url,
)  # fmt: skip

ACCOUNT = "AC-scale"
TOKEN = "rest-secret"
FAULTS = os.environ.get("STORM_FAULTS",  # another mix only when tuning by hand
                        "duplicate=0.05,late=0.05,reorder=0.05,error5xx=0.05,slow=0.02")
STORM_CALLS = int(os.environ.get("STORM_CALLS", "1000"))  # fewer only when tuning by hand
OUTBOUND_EVERY = 10  # one call in ten is an outbound REST call
APP_ERROR_ONE_IN = 20  # documents (and callbacks) the application fails with a 500


def doc(*verbs: str) -> str:
    return "<Response>" + "".join(verbs) + "</Response>"


def start_sim(webhook_urls: Sequence[str], tmp: Path, *, speed: float,
              args: Sequence[str] = ()) -> SimProcess:  # fmt: skip
    """`texml sim` with extra options (faults, parallel deliveries, a seed)."""
    port = free_port()
    argv = ["-m", "texml.sim.serve", "--port", str(port), "--speed", str(speed), *args]
    for url in webhook_urls:
        argv += ["--webhook-url", url]
    log_path = tmp / f"sim-{port}.log"
    sim = SimProcess(_spawn(argv, log_path, stdout=subprocess.PIPE), log_path,
                     base=f"http://127.0.0.1:{port}")  # fmt: skip
    try:
        assert sim.process.stdout is not None
        first = sim.process.stdout.readline()
        assert first.startswith("public key: "), first + sim.log()
        sim.public_key = first.removeprefix("public key: ").strip()
        wait_until(lambda: sim._answers(), START_TIMEOUT, "texml sim to listen", sim.log)
    except BaseException:
        sim.stop()
        raise
    return sim


def failing(key: str) -> bool:
    """Whether the application fails this request (the same answer every time it is asked)."""
    return zlib.crc32(key.encode()) % APP_ERROR_ONE_IN == 0


class Fleet:
    """The application, `texml sim` and N `texml serve` processes on one store."""

    def __init__(self, tmp: Path, store: str, *, serves: int, speed: float,
                 sim_args: Sequence[str] = (), app_errors: bool = False) -> None:  # fmt: skip
        self.tmp = tmp
        self.app = TestApp().start()
        self.serves: list[ServeProcess] = []
        self.sim: SimProcess | None = None
        try:
            self._routes(app_errors)
            ports = [free_port() for _ in range(serves)]
            self.sim = start_sim([webhook_url(p) for p in ports], tmp, speed=speed, args=sim_args)
            for port in ports:
                self.serves.append(ServeProcess.start(port, tmp, sim=self.sim, store=store, args=[
                    "--voice-url", self.app.url("/voice"),
                    "--fallback-url", self.app.url("/fallback"),
                    "--status-callback", self.app.url("/status"),
                    "--rest-token", TOKEN, "--account-sid", ACCOUNT, "--log-level", "warning",
                ]))  # fmt: skip
        except BaseException:
            self.stop()
            raise

    def _routes(self, app_errors: bool) -> None:
        def broken(params: dict[str, str], name: str) -> bool:
            return app_errors and failing(f"{params.get('CallSid')}{name}")

        def voice(p: dict[str, str]) -> Any:
            if broken(p, "/voice"):
                return 500, "text/plain", "the application failed"
            return doc('<Gather action="/menu" numDigits="1"><Say>Press one for sales</Say>'
                       "</Gather>", "<Say>We did not get that</Say>")  # fmt: skip

        def menu(p: dict[str, str]) -> Any:
            if broken(p, "/menu"):
                return 500, "text/plain", "the application failed"
            return doc(f"<Say>You chose {p.get('Digits')}</Say>", "<Hangup/>")

        def status(p: dict[str, str]) -> Any:
            if broken(p, f"/status{p.get('CallStatus')}"):
                return 500, "text/plain", "the application failed"
            return 204, None, b""

        self.app.route("/voice", voice)
        self.app.route("/menu", menu)
        self.app.route("/fallback", doc("<Say>Sorry, something went wrong</Say>"))
        self.app.route("/outbound", doc("<Say>This is an outbound call</Say>"))
        self.app.route("/status", status)

    @property
    def the_sim(self) -> SimProcess:
        assert self.sim is not None
        return self.sim

    def logs(self) -> str:
        parts = [f"--- serve {s.port} ---\n{s.log()}" for s in self.serves]
        return "\n".join(parts) + f"\n--- sim ---\n{self.sim.log() if self.sim else ''}"

    def rest(self, serve: ServeProcess, **form: str) -> httpx.Response:
        return httpx.post(f"{serve.base}/v2/texml/Accounts/{ACCOUNT}/Calls", data=form,
                          headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)  # fmt: skip

    def outbound(self, serve: ServeProcess, to: str) -> str:
        reply = self.rest(serve, To=to, From="+15550002222", Url=self.app.url("/outbound"))
        assert reply.status_code == 200, reply.text
        return str(reply.json()["sid"])

    def statuses(self) -> dict[str, list[str]]:
        """Each call's status callbacks, in their SequenceNumber order: callbacks are sent by
        whichever process handled the input, so with several processes they may arrive out of
        order (as Twilio's may; SequenceNumber is there to order them)."""
        out: dict[str, list[tuple[int, str]]] = collections.defaultdict(list)
        for r in self.app.requests_to("/status"):
            out[r.params.get("CallSid", "")].append(
                (int(r.params.get("SequenceNumber", "0")), r.params.get("CallStatus", "")))
        return {call: [status for _, status in sorted(seen)] for call, seen in out.items()}

    def sim_calls(self) -> dict[str, dict[str, Any]]:
        reply = httpx.get(f"{self.the_sim.base}/sim/calls", timeout=30)
        return {c["call_control_id"]: c for c in reply.json()["calls"]}

    def sim_stats(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.the_sim.base}/sim/stats", timeout=30).json())

    def stop(self) -> None:
        for serve in self.serves:
            serve.stop()
        if self.sim is not None:
            self.sim.stop()
        self.app.stop()


@pytest.fixture
def redis_store(redis_server: RedisServer) -> str:  # noqa: F811
    redis_server.flush()
    return redis_server.url()


# --- two processes, one Redis --------------------------------------------------------------------


def test_two_serve_processes_share_calls_through_redis(redis_store: str, tmp_path: Path) -> None:
    fleet = Fleet(tmp_path, redis_store, serves=2, speed=10)
    try:
        sim, (first, second) = fleet.the_sim, fleet.serves
        call_id = sim.new_call(inputs=["1"])
        outbound_id = fleet.outbound(second, "+15550003333")
        sim.wait_status(call_id, "hangup", serve=first)
        sim.wait_status(outbound_id, "hangup", serve=second)

        assert sim.heard(call_id) == ["Press one for sales", "You chose 1"]
        assert sim.heard(outbound_id) == ["This is an outbound call"]
        assert [r.params["Digits"] for r in fleet.app.requests_to("/menu")] == ["1"]
        wait_until(lambda: all("completed" in fleet.statuses()[c] for c in (call_id, outbound_id)),
                   10, "the completed callbacks", fleet.logs)  # fmt: skip
        statuses = fleet.statuses()
        for call in (call_id, outbound_id):
            assert statuses[call] == ["initiated", "ringing", "in-progress", "completed"]
        # Both processes did part of the work: the webhooks went to each in turn.
        handled = [s.metrics()["webhooks"] for s in fleet.serves]
        assert all(n >= 3 for n in handled), handled
        for sim_call in fleet.sim_calls().values():
            assert all(c["executed"] == 1 for c in sim_call["commands"]), sim_call
        # Either process sees the calls, and cleans them up once (--retain-seconds 2).
        wait_until(lambda: all(s.metrics()["active_calls"] == 0 for s in fleet.serves), 15,
                   "the calls to be cleaned up", fleet.logs)  # fmt: skip
    finally:
        fleet.stop()


# --- the storm -----------------------------------------------------------------------------------


# What each kind of call has Call Control do, in order, when every command takes effect once.
EXPECTED = {
    "ivr": ["answer", "gather_using_speak", "speak", "hangup"],
    "voice-error": ["answer", "speak", "hangup"],  # the fallback document
    "menu-error": ["answer", "gather_using_speak", "speak", "hangup"],
    "outbound": ["dial", "speak", "hangup"],
}


def kind_of(call_id: str, outbound: set[str]) -> str:
    if call_id in outbound:
        return "outbound"
    if failing(f"{call_id}/voice"):
        return "voice-error"
    if failing(f"{call_id}/menu"):
        return "menu-error"
    return "ivr"


def poll(check: Any, timeout: float, what: str, fleet: Fleet) -> None:
    """`wait_until` at a gentler pace: each look asks the simulator about every call."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{fleet.logs()[-8000:]}")
        time.sleep(0.5)


def storm(fleet: Fleet, calls: int, *, rate: float) -> dict[str, Any]:
    """Start `calls` calls at `rate` a second (one in OUTBOUND_EVERY through the REST API of
    the serve processes in turn), wait for all to end and check the invariants."""
    sim = fleet.the_sim
    started = time.monotonic()
    inbound: list[str] = []
    outbound: set[str] = set()

    def start(n: int) -> tuple[str, bool]:
        wait = started + n / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        if n % OUTBOUND_EVERY == OUTBOUND_EVERY - 1:
            serve = fleet.serves[(n // OUTBOUND_EVERY) % len(fleet.serves)]
            return fleet.outbound(serve, f"+1555{n:07d}"), True
        return sim.new_call(inputs=["1"], **{"from": f"+1444{n:07d}"}), False

    with ThreadPoolExecutor(16) as pool:
        for call_id, is_outbound in pool.map(start, range(calls)):
            (outbound.add if is_outbound else inbound.append)(call_id)
    ours = set(inbound) | outbound
    assert len(ours) == calls

    def all_ended() -> bool:
        states = fleet.sim_calls()
        return all(states[c]["status"] == "hangup" for c in ours)

    try:
        poll(all_ended, 60 + calls / rate, "every call to end", fleet)
    except AssertionError:
        states = fleet.sim_calls()
        stuck = [c for c in ours if states[c]["status"] != "hangup"]
        raise AssertionError(f"{len(stuck)} of {calls} calls never ended, e.g. "
                             f"{[fleet.the_sim.call(c) for c in stuck[:2]]}") from None
    ended = time.monotonic()

    def all_completed() -> bool:
        statuses = fleet.statuses()
        return all("completed" in statuses.get(c, []) for c in ours)

    try:
        poll(all_completed, 30, "a completed callback for every call", fleet)
    except AssertionError:
        statuses = fleet.statuses()
        missing = {c: statuses.get(c) for c in ours if "completed" not in statuses.get(c, [])}
        raise AssertionError(f"{len(missing)} calls had no completed callback: "
                             f"{list(missing.items())[:5]}; e.g. "
                             f"{[fleet.the_sim.call(c) for c in list(missing)[:2]]}") from None
    time.sleep(1.5)  # room for a second `completed`, if one were coming

    # Every call ended, through texml's own hang-up (the sim's idle timer never had to).
    states = fleet.sim_calls()
    wrong = {c: states[c]["commands"] for c in ours
             if [x["action"] for x in states[c]["commands"] if x["executed"]]
             != EXPECTED[kind_of(c, outbound)]}  # fmt: skip
    assert not wrong, (f"{len(wrong)} calls ran other commands than expected, e.g. "
                       f"{list(wrong.items())[:3]}")  # fmt: skip
    # No command took effect twice.
    stats = fleet.sim_stats()
    assert stats["executed_twice"] == []
    for c in ours:
        assert all(x["executed"] <= 1 for x in states[c]["commands"])
    # Exactly one `completed` status callback per call, and none for calls that are not ours.
    statuses = fleet.statuses()
    completed = collections.Counter(c for c, seen in statuses.items() for s in seen
                                    if s == "completed")  # fmt: skip
    assert set(completed) == ours and set(completed.values()) == {1}, completed.most_common(3)
    for c in ours:  # each status once, in order
        assert statuses[c] == ["initiated", "ringing", "in-progress", "completed"], (c, statuses[c])

    # The faults really happened, in numbers.
    counts = stats["counts"]
    injected = {"duplicate": ["fault_duplicate"], "late": ["fault_late"],
                "reorder": ["fault_reorder"], "error5xx": ["fault_5xx", "fault_lost_reply"],
                "slow": ["fault_slow"]}  # fmt: skip
    for name in (item.split("=")[0] for item in FAULTS.split(",")):
        for counter in injected[name]:
            assert counts.get(counter, 0) >= 5, (counter, counts)
    kinds = collections.Counter(kind_of(c, outbound) for c in ours)
    assert kinds["voice-error"] >= 10 and kinds["menu-error"] >= 10, kinds
    metrics = [s.metrics() for s in fleet.serves]
    assert sum(m["command_retries"] for m in metrics) >= counts.get("fault_5xx", 0)
    assert sum(m["fetch_errors"] for m in metrics) >= kinds["voice-error"] + kinds["menu-error"]
    return {"seconds": round(ended - started, 1), "counts": counts, "kinds": dict(kinds),
            "metrics": metrics}


SIM_STORM_ARGS = ["--faults", FAULTS, "--parallel", "64", "--seed", "11",
                  "--dial", "*=answered:never"]  # callees stay until texml hangs up


def test_storm_of_faults_on_redis_with_two_processes(redis_store: str, tmp_path: Path) -> None:
    fleet = Fleet(tmp_path, redis_store, serves=2, speed=10, sim_args=SIM_STORM_ARGS,
                  app_errors=True)  # fmt: skip
    try:
        result = storm(fleet, STORM_CALLS, rate=20)
        print("redis storm:", result)
        assert all(m["webhooks"] > STORM_CALLS for m in result["metrics"])  # both took a share
    finally:
        fleet.stop()


def test_storm_of_faults_on_sqlite(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path, f"sqlite:///{tmp_path / 'texml.db'}", serves=1, speed=10,
                  sim_args=SIM_STORM_ARGS, app_errors=True)  # fmt: skip
    try:
        print("sqlite storm:", storm(fleet, STORM_CALLS, rate=20))
    finally:
        fleet.stop()
