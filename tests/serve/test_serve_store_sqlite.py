"""The SQLite store: what the `Store` protocol promises, including across two store objects
(as two processes would have) on one file."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from texml.serve.store import LockTimeout, Store, open_store
from texml.serve.store_sqlite import SqliteStore


def run(tmp_path: Path, test: Callable[..., Awaitable[Any]], stores: int = 1, **options: Any) -> Any:
    async def go() -> Any:
        opened = [SqliteStore(str(tmp_path / "calls.db"), **options) for _ in range(stores)]
        try:
            return await test(*opened)
        finally:
            for store in opened:
                await store.close()

    return asyncio.run(go())


def test_it_is_a_store_and_opens_from_a_url(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(store, SqliteStore) and isinstance(store, Store)
    assert store.path == str(tmp_path / "x.db")
    asyncio.run(store.close())
    with pytest.raises(ValueError):
        open_store("sqlite:///")
    with pytest.raises(ValueError):
        open_store("postgres://x")


def test_calls_are_saved_loaded_counted_and_deleted(tmp_path: Path) -> None:
    async def test(a: SqliteStore, b: SqliteStore) -> None:
        assert await a.load("v3:1") is None and await a.active_calls() == 0
        await a.save("v3:1", '{"v":1}')
        await a.save("v3:2", "two")
        await a.save("v3:1", "one again")
        assert await b.load("v3:1") == "one again"  # the other store sees it
        assert await b.active_calls() == 2
        await a.set_timer("v3:1", "t1:pause", 5.0)
        await b.delete("v3:1")
        assert await a.load("v3:1") is None and await a.active_calls() == 1
        assert await a.claim_due_timers(10.0) == []  # its timers went with it

    run(tmp_path, test, stores=2)


def test_the_file_survives_the_store(tmp_path: Path) -> None:
    async def first(store: SqliteStore) -> None:
        await store.save("v3:1", "state")
        await store.set_timer("v3:1", "t3:pause", 100.0)

    async def second(store: SqliteStore) -> None:
        assert await store.load("v3:1") == "state"
        assert await store.claim_due_timers(200.0, lease=30) == [("v3:1", "t3:pause", 230.0)]

    run(tmp_path, first)
    run(tmp_path, second)


def test_a_lock_excludes_across_two_stores_on_one_file(tmp_path: Path) -> None:
    async def test(a: SqliteStore, b: SqliteStore) -> None:
        order: list[str] = []

        async def hold(store: SqliteStore, name: str, seconds: float) -> None:
            async with store.lock("v3:1"):
                order.append(f"{name} in")
                await asyncio.sleep(seconds)
                order.append(f"{name} out")

        first = asyncio.create_task(hold(a, "a", 0.3))
        await asyncio.sleep(0.05)
        await asyncio.gather(hold(b, "b", 0.0), hold(a, "a2", 0.0), first)
        assert order[:2] == ["a in", "a out"]
        assert sorted(order[2:]) == ["a2 in", "a2 out", "b in", "b out"]
        # Another call's lock is not held up meanwhile.
        async with a.lock("v3:1"):
            start = time.monotonic()
            async with b.lock("v3:2"):
                assert time.monotonic() - start < 0.2

    run(tmp_path, test, stores=2)


def test_a_lock_held_too_long_times_out(tmp_path: Path) -> None:
    async def test(a: SqliteStore, b: SqliteStore) -> None:
        async with a.lock("v3:1"):
            with pytest.raises(LockTimeout):
                async with b.lock("v3:1"):
                    pass
            with pytest.raises(TimeoutError):  # within one store too
                async with a.lock("v3:1"):
                    pass
        async with b.lock("v3:1"):  # free again
            pass

    run(tmp_path, test, stores=2, lock_wait=0.3)


def test_a_lease_outlives_a_holder_that_stopped(tmp_path: Path) -> None:
    async def test(a: SqliteStore, b: SqliteStore) -> None:
        # A holder on another host that stopped renewing: its lease runs out.
        a._quick_db.execute("INSERT INTO locks VALUES ('v3:1', 'gone', 'elsewhere', 1, ?)", (time.time() + 0.4,))
        start = time.monotonic()
        async with b.lock("v3:1"):
            assert 0.3 < time.monotonic() - start < 2.0
        # A holder on this host whose process has died (kill -9): taken over at once.
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        a._quick_db.execute("INSERT INTO locks VALUES ('v3:2', 'dead', ?, ?, ?)",
                      (a._host, int(dead.stdout), time.time() + 60))  # fmt: skip
        start = time.monotonic()
        async with b.lock("v3:2"):
            assert time.monotonic() - start < 0.5

    run(tmp_path, test, stores=2)


def test_a_held_lease_is_renewed(tmp_path: Path) -> None:
    async def test(a: SqliteStore, b: SqliteStore) -> None:
        async with a.lock("v3:1"):
            await asyncio.sleep(0.6)  # three leases long: renewed meanwhile
            with pytest.raises(LockTimeout):
                async with b.lock("v3:1"):
                    pass

    run(tmp_path, test, stores=2, lock_lease=0.2, lock_wait=0.2)


def test_due_timers_are_claimed_once(tmp_path: Path) -> None:
    async def test(a: SqliteStore, b: SqliteStore) -> None:
        for n in range(60):
            await a.set_timer(f"v3:{n % 7}", f"t{n}:x", 100.0 + n)
        await a.set_timer("v3:late", "t1:x", 500.0)
        await a.set_timer("v3:gone", "t1:x", 101.0)
        await a.cancel_timer("v3:gone", "t1:x")
        await a.set_timer("v3:moved", "t1:x", 50.0)
        await a.set_timer("v3:moved", "t1:x", 400.0)  # set again: the new time counts

        async def claim(store: SqliteStore) -> list[tuple[str, str, float]]:
            got: list[tuple[str, str, float]] = []
            while batch := await store.claim_due_timers(200.0, limit=7, lease=1000):
                got += batch
                await asyncio.sleep(0)
            return got

        claims = await asyncio.gather(*(claim(s) for s in (a, b, a, b)))
        everything = [t for batch in claims for t in batch]
        assert len(everything) == 60 == len(set(everything))  # each exactly once
        assert sorted(t[1] for t in everything) == sorted(f"t{n}:x" for n in range(60))
        assert await b.claim_due_timers(450.0, lease=1000) == [("v3:moved", "t1:x", 1450.0)]
        assert await b.claim_due_timers(499.0) == []
        # Not finished, they come due again after their lease: v3:late, then the rest.
        assert await b.claim_due_timers(1100.0) == [("v3:late", "t1:x", 1160.0)]
        assert len(await a.claim_due_timers(1200.0)) == 60 + 1  # and v3:late again (1160)

    run(tmp_path, test, stores=2)


def test_first_seen_is_true_once_per_key_until_it_expires(tmp_path: Path) -> None:
    async def test(a: SqliteStore, b: SqliteStore) -> None:
        assert await a.first_seen("webhook:ev-1", 60) is True
        assert await b.first_seen("webhook:ev-1", 60) is False  # the other process agrees
        assert await a.first_seen("webhook:ev-1", 60) is False
        assert await b.first_seen("webhook:ev-2", 0.2) is True
        results = await asyncio.gather(*(s.first_seen("webhook:ev-3", 60) for s in (a, b, a, b)))
        assert sorted(results) == [False, False, False, True]
        await asyncio.sleep(0.3)
        assert await a.first_seen("webhook:ev-2", 60) is True  # expired: new again
        assert await a.ping()

    run(tmp_path, test, stores=2)


def test_a_write_lock_held_by_another_process_never_blocks_the_event_loop(tmp_path: Path) -> None:
    """Operations run on the event loop while the file is free; when another process holds
    its write lock they wait on the worker thread instead, and finish once it is let go."""
    import sqlite3

    async def test(store: SqliteStore) -> None:
        await store.save("c1", "before")
        other = sqlite3.connect(str(tmp_path / "calls.db"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # as a second process in the middle of a write
        other.execute("INSERT INTO seen VALUES ('other', 1e12)")
        try:
            saving = asyncio.ensure_future(store.save("c1", "after"))
            leasing = asyncio.ensure_future(store.first_seen("k", 60))
            ticks = 0
            for _ in range(10):  # the loop keeps turning while they wait for the file
                await asyncio.sleep(0.01)
                ticks += 1
            assert ticks == 10 and not saving.done() and not leasing.done()
            assert await store.load("c1") == "before"  # reads go on (WAL)
        finally:
            other.execute("COMMIT")
            other.close()
        await asyncio.wait_for(asyncio.gather(saving, leasing), 5)
        assert leasing.result() is True
        assert await store.load("c1") == "after"
        assert not await store.first_seen("k", 60)

    run(tmp_path, test)


def test_writes_of_one_loop_turn_share_one_commit_and_a_failing_one_spoils_no_other(tmp_path: Path) -> None:
    async def test(store: SqliteStore) -> None:
        statements: list[str] = []
        store._quick_db.set_trace_callback(statements.append)

        def broken(db: Any) -> None:
            db.execute("INSERT INTO calls VALUES ('bad', 'x', 0)")
            raise ValueError("this write fails")

        async def bad() -> None:
            await store._write(broken)

        saves = [store.save(f"c{i}", f"state {i}") for i in range(50)]
        results = await asyncio.gather(*saves, store.first_seen("k", 60), bad(),
                                       return_exceptions=True)  # fmt: skip
        assert results[:50] == [None] * 50 and results[50] is True
        assert isinstance(results[51], ValueError)
        assert [await store.load(f"c{i}") for i in (0, 49)] == ["state 0", "state 49"]
        assert await store.load("bad") is None  # its rows went with it
        assert await store.active_calls() == 50
        # One batch (rolled back because of the bad write), then each write on its own.
        assert statements.count("BEGIN IMMEDIATE") == 1 + 52
        statements.clear()
        await asyncio.gather(*(store.save(f"c{i}", "again") for i in range(50)))
        assert statements.count("BEGIN IMMEDIATE") == 1 and statements.count("COMMIT") == 1

    run(tmp_path, test)
