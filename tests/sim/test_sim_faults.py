"""`texml sim`'s injected faults, parallel deliveries and command counts: the simulator app runs
in-process (its clock and deliveries running), webhooks go over HTTP to a local receiver."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.sim.test_sim_server import Receiver
from texml.sim.server import Faults, LiveSimulator, create_app

Body = Callable[[httpx.AsyncClient, LiveSimulator, Receiver], Awaitable[None]]


def drive(body: Body, *, faults: Faults | None = None, parallel: int = 1,
          receivers: int = 1) -> list[Receiver]:  # fmt: skip
    """Run `body(client, live, receiver)` against a running simulator at speed 50."""
    targets = [Receiver() for _ in range(receivers)]
    live = LiveSimulator([r.url for r in targets], speed=50, seed=3, faults=faults,
                         parallel=parallel)  # fmt: skip
    app = create_app(live)

    async def go() -> None:
        transport = httpx.ASGITransport(app=app)
        async with live.running(), httpx.AsyncClient(transport=transport,
                                                     base_url="http://sim") as client:  # fmt: skip
            await body(client, live, targets[0])

    try:
        asyncio.run(go())
    finally:
        for r in targets:
            r.close()
    return targets


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


def ids(receiver: Receiver) -> list[str]:
    return [json.loads(raw)["data"]["id"] for raw, _ in receiver.deliveries]


async def call(client: httpx.AsyncClient) -> str:
    """A call that rings until it is answered; its caller does nothing."""
    reply = await client.post("/sim/calls", json={})
    return reply.json()["call_control_id"]


def test_faults_parse_and_check() -> None:
    faults = Faults.parse("duplicate=0.05, late=0.1,reorder=0,error5xx=0.05,slow=0.02,"
                          "late_seconds=0.5")  # fmt: skip
    assert (faults.duplicate, faults.late, faults.error5xx, faults.late_seconds) == (
        0.05, 0.1, 0.05, 0.5)
    assert faults.any and not Faults.parse("").any
    for bad in ("dup=0.1", "late", "late=x", "late=2", "late=0.6,reorder=0.6", "slow_seconds=-1"):
        with pytest.raises(ValueError):
            Faults.parse(bad)


def test_no_faults_by_default_and_commands_are_counted() -> None:
    async def body(client: httpx.AsyncClient, live: LiveSimulator, rx: Receiver) -> None:
        call_id = await call(client)
        await until(lambda: len(rx.deliveries) == 1)
        for _ in range(2):  # the same command id twice: it runs once
            reply = await client.post(f"/v2/calls/{call_id}/actions/answer",
                                      json={"command_id": "c-1"})  # fmt: skip
            assert reply.status_code == 200
        await client.post(f"/v2/calls/{call_id}/actions/hangup", json={})
        await until(lambda: len(rx.deliveries) >= 3)  # answered, hangup
        commands = (await client.get(f"/sim/calls/{call_id}")).json()["commands"]
        assert commands == [{"command_id": "c-1", "action": "answer", "requests": 2,
                             "executed": 1, "replies": [200, 200]},
                            {"command_id": None, "action": "hangup", "requests": 1,
                             "executed": 1, "replies": [200]}]  # fmt: skip
        stats = (await client.get("/sim/stats")).json()
        counts = stats["counts"]
        assert counts["commands"] == 3 and counts["executed"] == 2 and counts["repeats"] == 1
        assert not any(k.startswith("fault_") for k in counts)
        assert stats["executed_twice"] == []
        assert stats["reaction_ms"]["count"] == 1  # initiated -> answer
        assert stats["calls"] == {"total": 1, "alive": 0}

    drive(body)


def test_duplicates_go_to_the_next_url() -> None:
    async def body(client: httpx.AsyncClient, live: LiveSimulator, rx: Receiver) -> None:
        await call(client)
        await until(lambda: live.stats["delivered"] == 2)

    first, second = drive(body, faults=Faults(duplicate=1.0), receivers=2)
    assert ids(first) == ids(second) and len(ids(first)) == 1


def test_late_webhooks_arrive_after_later_ones() -> None:
    async def body(client: httpx.AsyncClient, live: LiveSimulator, rx: Receiver) -> None:
        live.faults = Faults(late=1.0, late_seconds=0.3)
        call_id = await call(client)  # call.initiated is held back
        await asyncio.sleep(0.05)
        live.faults = Faults()
        await client.post(f"/v2/calls/{call_id}/actions/answer", json={})
        await until(lambda: len(rx.deliveries) >= 2)
        kinds = [json.loads(raw)["data"]["event_type"] for raw, _ in rx.deliveries]
        assert kinds[0] == "call.answered" and "call.initiated" in kinds[1:]
        assert live.stats["fault_late"] == 1

    drive(body)


def test_reordered_webhooks_swap_with_the_next() -> None:
    async def body(client: httpx.AsyncClient, live: LiveSimulator, rx: Receiver) -> None:
        live.faults = Faults(reorder=1.0)
        call_id = await call(client)  # call.initiated is held for the next one
        await asyncio.sleep(0.05)  # under REORDER_WAIT
        live.faults = Faults()
        await client.post(f"/v2/calls/{call_id}/actions/answer", json={})
        await until(lambda: len(rx.deliveries) >= 2)
        kinds = [json.loads(raw)["data"]["event_type"] for raw, _ in rx.deliveries][:2]
        assert kinds == ["call.answered", "call.initiated"]
        # Alone, a held webhook still goes out.
        live.faults = Faults(reorder=1.0)
        await call(client)
        await asyncio.sleep(0.05)
        live.faults = Faults()
        await until(lambda: len(rx.deliveries) >= 3, timeout=2)

    drive(body)


def test_5xx_replies_and_lost_replies() -> None:
    async def body(client: httpx.AsyncClient, live: LiveSimulator, rx: Receiver) -> None:
        live.faults = Faults()
        calls = [await call(client) for _ in range(20)]
        live.faults = Faults(error5xx=1.0)
        for call_id in calls:
            reply = await client.post(f"/v2/calls/{call_id}/actions/answer",
                                      json={"command_id": f"a-{call_id}"})  # fmt: skip
            assert reply.status_code == 503
        live.faults = Faults()
        for call_id in calls:  # the retry, with the same command id
            reply = await client.post(f"/v2/calls/{call_id}/actions/answer",
                                      json={"command_id": f"a-{call_id}"})  # fmt: skip
            assert reply.status_code == 200
        counts = live.stats
        assert counts["fault_5xx"] + counts["fault_lost_reply"] == 20
        assert counts["fault_5xx"] and counts["fault_lost_reply"]  # both kinds, seeded
        assert counts["executed"] == 20 and counts["repeats"] == counts["fault_lost_reply"]
        for call_id in calls:
            [entry] = (await client.get(f"/sim/calls/{call_id}")).json()["commands"]
            assert entry["executed"] == 1 and entry["requests"] == 2
            assert entry["replies"] == [503, 200]

    drive(body)


def test_slow_replies_come_after_the_command_ran() -> None:
    async def body(client: httpx.AsyncClient, live: LiveSimulator, rx: Receiver) -> None:
        call_id = await call(client)
        live.faults = Faults(slow=1.0, slow_seconds=0.4)
        started = time.monotonic()
        reply = await client.post(f"/v2/calls/{call_id}/actions/answer", json={})
        assert reply.status_code == 200 and time.monotonic() - started >= 0.4
        assert (await client.get(f"/sim/calls/{call_id}")).json()["call"]["answered_at"]
        assert live.stats["fault_slow"] == 1

    drive(body)


def test_parallel_deliveries_keep_each_calls_order() -> None:
    """Eight webhooks in flight at once, in order within each call."""

    async def body(client: httpx.AsyncClient, live: LiveSimulator, rx: Receiver) -> None:
        calls = [await call(client) for _ in range(8)]
        for call_id in calls:
            await client.post(f"/v2/calls/{call_id}/actions/answer", json={})
            await client.post(f"/v2/calls/{call_id}/actions/hangup", json={})
        await until(lambda: sum(1 for raw, _ in rx.deliveries if "call.hangup" in raw) == 8)
        per_call: dict[str, list[str]] = {}
        for raw, _ in rx.deliveries:
            data = json.loads(raw)["data"]
            per_call.setdefault(data["payload"]["call_control_id"], []).append(data["event_type"])
        for kinds in per_call.values():
            assert kinds == ["call.initiated", "call.answered", "call.hangup"]
        await until(lambda: live.stats["delivered"] == 24)  # counted once the reply is in
        stats = (await client.get("/sim/stats")).json()
        assert stats["deliveries_per_s"] and stats["counts"]["webhooks"] == 24

    drive(body, parallel=8)


def test_cli_reads_the_fault_options() -> None:
    from texml.sim.serve import main

    for argv in (["--webhook-url", "http://x", "--faults", "dup=1"],
                 ["--webhook-url", "http://x", "--parallel", "0"]):  # fmt: skip
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
