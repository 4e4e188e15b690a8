"""The stores behind `texml serve`: the same behaviour from SQLite and from a real redis-server.

Each test opens stores through a factory: two stores opened by one factory share one database,
as two `texml serve` processes would. The Redis-only tests at the end cover what only a lease
can do: a killed holder's lock expires, a live holder's does not.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.serve.conftest_redis import RedisServer, redis_server, redis_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
Factory = Callable[..., Any]  # (**options) -> a fresh store on the shared database


def _sqlite_factory(tmp_path: Path) -> Factory:
    try:
        from texml.serve.store_sqlite import SqliteStore
    except ImportError as exc:  # built alongside this file; absent only mid-way
        pytest.skip(f"texml.serve.store_sqlite is not there yet ({exc})")
    path = tmp_path / "texml.db"
    return lambda **options: SqliteStore(str(path), **options)


@pytest.fixture(params=["sqlite", "redis"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    if request.param == "sqlite":
        return _sqlite_factory(tmp_path)
    url = request.getfixturevalue("redis_url")
    from texml.serve.store_redis import RedisStore

    return lambda **options: RedisStore(url, **options)


def run(make: Factory, body: Callable[..., Awaitable[None]], stores: int = 1) -> None:
    """Run `body(store, ...)` with `stores` stores on one database, closed afterwards."""

    async def go() -> None:
        opened = [make() for _ in range(stores)]
        try:
            await body(*opened)
        finally:
            for store in opened:
                await store.close()

    asyncio.run(go())


# --- both stores ---------------------------------------------------------------------------------


def test_state_is_saved_loaded_and_deleted(make_store: Factory) -> None:
    async def body(store: Any, other: Any) -> None:
        assert await store.load("v3:a") is None
        assert await store.active_calls() == 0
        await store.save("v3:a", '{"v":1}')
        await store.save("v3:b", '{"b":"é"}')
        assert await other.load("v3:a") == '{"v":1}'
        assert await other.load("v3:b") == '{"b":"é"}'
        await store.save("v3:a", '{"v":2}')
        assert await other.load("v3:a") == '{"v":2}'
        assert await other.active_calls() == 2
        await other.delete("v3:a")
        await other.delete("v3:nobody")  # nothing to delete is fine
        assert await store.load("v3:a") is None
        assert await store.active_calls() == 1

    run(make_store, body, stores=2)


def test_a_call_is_locked_by_one_holder_at_a_time(make_store: Factory) -> None:
    """Many holders on one call, spread over two stores: never two inside at once, and each
    read-modify-write sees the one before it."""

    async def body(first: Any, second: Any) -> None:
        inside = 0
        await first.save("v3:x", "0")

        async def bump(store: Any) -> None:
            nonlocal inside
            async with store.lock("v3:x"):
                inside += 1
                assert inside == 1
                value = int(await store.load("v3:x"))
                await asyncio.sleep(0.001)
                await store.save("v3:x", str(value + 1))
                inside -= 1

        await asyncio.gather(*(bump(first if i % 2 else second) for i in range(40)))
        assert await first.load("v3:x") == "40"

    run(make_store, body, stores=2)


def test_other_calls_are_not_blocked(make_store: Factory) -> None:
    async def body(first: Any, second: Any) -> None:
        async with first.lock("v3:busy"):
            started = time.monotonic()
            async with second.lock("v3:free"):
                pass
            async with first.lock("v3:free"):
                pass
            assert time.monotonic() - started < 1.0

    run(make_store, body, stores=2)


def test_a_lock_is_freed_when_its_holder_fails(make_store: Factory) -> None:
    async def body(store: Any, other: Any) -> None:
        with pytest.raises(RuntimeError):
            async with store.lock("v3:x"):
                raise RuntimeError("boom")
        task = asyncio.create_task(asyncio.sleep(10))
        with pytest.raises(asyncio.CancelledError):
            async with store.lock("v3:x"):
                task.cancel()
                await task
        started = time.monotonic()
        async with other.lock("v3:x"):
            pass
        assert time.monotonic() - started < 1.0

    run(make_store, body, stores=2)


def test_timers_fire_when_due_earliest_first(make_store: Factory) -> None:
    async def body(store: Any, other: Any) -> None:
        await store.set_timer("v3:a", "gather", 105.0)
        await store.set_timer("v3:b", "idle", 101.5)
        await store.set_timer("v3:a", "ring", 200.0)
        assert await other.claim_due_timers(100.0) == []
        # Claimed: returned with the time they come due again unless finished (now + lease).
        assert await other.claim_due_timers(150.0, limit=1, lease=60) == [("v3:b", "idle", 210.0)]
        assert await other.claim_due_timers(150.0, lease=60) == [("v3:a", "gather", 210.0)]
        assert await store.claim_due_timers(150.0) == []  # claimed once
        await store.set_timer("v3:a", "ring", 120.0)  # setting again moves it
        assert await other.claim_due_timers(150.0, lease=60) == [("v3:a", "ring", 210.0)]

    run(make_store, body, stores=2)


def test_cancelled_and_deleted_calls_timers_never_fire(make_store: Factory) -> None:
    async def body(store: Any) -> None:
        await store.set_timer("v3:a", "gather", 1.0)
        await store.set_timer("v3:a", "other", 2.0)
        await store.set_timer("v3:b", "gather", 3.0)
        await store.cancel_timer("v3:a", "gather")
        await store.cancel_timer("v3:a", "never-set")
        await store.save("v3:b", "{}")
        await store.delete("v3:b")
        assert [t[:2] for t in await store.claim_due_timers(10.0)] == [("v3:a", "other")]

    run(make_store, body)


def test_a_claimed_timer_not_finished_comes_due_again(make_store: Factory) -> None:
    """The claiming process died before handling it: after the lease, another one claims it;
    finished, it is gone; set again meanwhile, finishing the old claim leaves the new one."""

    async def body(store: Any, other: Any) -> None:
        await store.set_timer("v3:a", "t1:pause", 100.0)
        await store.set_timer("v3:a", "t1:gather", 100.0)
        claimed = await store.claim_due_timers(100.0, lease=30)  # ... and the process dies
        assert sorted(t[1] for t in claimed) == ["t1:gather", "t1:pause"]
        assert await other.claim_due_timers(129.0) == []
        again = await other.claim_due_timers(130.0, lease=30)
        assert sorted(again) == [("v3:a", "t1:gather", 160.0), ("v3:a", "t1:pause", 160.0)]
        await other.finish_timer("v3:a", "t1:pause", 160.0)
        await store.set_timer("v3:a", "t1:gather", 500.0)  # handling it set it again
        await other.finish_timer("v3:a", "t1:gather", 160.0)  # that claim is finished...
        assert await store.claim_due_timers(10_000.0) == [("v3:a", "t1:gather", 10_000.0 + 60)]
        await store.finish_timer("v3:a", "t1:gather", 10_060.0)
        assert await other.claim_due_timers(1e9) == []  # ...and nothing is left

    run(make_store, body, stores=2)


def test_each_timer_is_claimed_by_exactly_one_process(make_store: Factory) -> None:
    async def body(*stores: Any) -> None:
        for i in range(300):
            await stores[0].set_timer(f"v3:{i}", "t", float(i % 7))
        claimed: list[tuple[str, str, float]] = []

        async def poll(store: Any) -> None:
            while batch := await store.claim_due_timers(10.0, limit=7):
                claimed.extend(batch)
                await asyncio.sleep(0)

        await asyncio.gather(*(poll(s) for s in stores))
        assert sorted(c[0] for c in claimed) == sorted(f"v3:{i}" for i in range(300))

    run(make_store, body, stores=4)


def test_first_seen_is_true_once_per_key_until_it_expires(make_store: Factory) -> None:
    async def body(store: Any, other: Any) -> None:
        results = await asyncio.gather(*(s.first_seen("ev-1", 60) for s in [store, other] * 5))
        assert sorted(results) == [False] * 9 + [True]
        assert await other.first_seen("ev-2", 60) is True
        assert await store.first_seen("short", 0.2) is True
        assert await other.first_seen("short", 0.2) is False
        await asyncio.sleep(0.5)
        assert await other.first_seen("short", 0.2) is True

    run(make_store, body, stores=2)


def test_everything_survives_a_restart(make_store: Factory) -> None:
    async def before(store: Any) -> None:
        await store.save("v3:a", "state")
        await store.set_timer("v3:a", "gather", 5.0)
        await store.first_seen("ev", 60)

    async def after(store: Any) -> None:
        assert await store.load("v3:a") == "state"
        assert await store.active_calls() == 1
        assert await store.first_seen("ev", 60) is False
        assert await store.claim_due_timers(6.0, lease=10) == [("v3:a", "gather", 16.0)]
        async with store.lock("v3:a"):  # nobody holds it after a clean close
            pass

    run(make_store, before)
    run(make_store, after)


# --- Redis only: leases -------------------------------------------------------------------------


def test_redis_lock_wait_is_bounded(redis_url: str) -> None:  # noqa: F811
    from texml.serve.store_redis import LockTimeout, RedisStore

    async def body() -> None:
        holder, waiter = RedisStore(redis_url), RedisStore(redis_url, lock_wait=0.3)
        try:
            async with holder.lock("v3:x"):
                started = time.monotonic()
                with pytest.raises(LockTimeout, match="v3:x"):
                    async with waiter.lock("v3:x"):
                        pass
                assert 0.25 < time.monotonic() - started < 2.0
            async with waiter.lock("v3:x"):  # free again
                pass
        finally:
            await holder.close()
            await waiter.close()

    asyncio.run(body())


def test_redis_locks_are_always_freed_even_when_a_renewal_is_in_flight(redis_url: str) -> None:  # noqa: F811
    """Many short holds with a tiny lease: freeing a lock while its lease renewal is running
    once hung the holder for good (and so the call). Every hold must end."""
    from texml.serve.store_redis import RedisStore

    async def body() -> None:
        store = RedisStore(redis_url, lock_lease=0.03)
        hung = 0

        async def cycle(i: int) -> None:
            nonlocal hung
            for n in range(30):
                try:
                    async with asyncio.timeout(5):
                        async with store.lock(f"v3:busy-{i}"):
                            await asyncio.sleep(0.011 * (n % 3))
                except TimeoutError:
                    hung += 1
                    return

        try:
            await asyncio.gather(*(cycle(i) for i in range(40)))
        finally:
            await store.close()
        assert hung == 0

    asyncio.run(body())


def test_redis_lease_is_renewed_while_the_holder_lives(redis_url: str) -> None:  # noqa: F811
    from texml.serve.store_redis import RedisStore

    async def body() -> None:
        holder = RedisStore(redis_url, lock_lease=0.3)
        other = RedisStore(redis_url, lock_lease=0.3, lock_wait=5)
        order: list[str] = []
        try:

            async def hold() -> None:
                async with holder.lock("v3:x"):
                    order.append("holder in")
                    await asyncio.sleep(1.2)  # four leases long
                    await holder.save("v3:x", "holder")  # still ours: the save is accepted
                    order.append("holder out")

            async def take() -> None:
                await asyncio.sleep(0.1)
                async with other.lock("v3:x"):
                    order.append("other in")

            await asyncio.gather(hold(), take())
            assert order == ["holder in", "holder out", "other in"]
        finally:
            await holder.close()
            await other.close()

    asyncio.run(body())


def test_redis_lock_of_a_killed_process_expires(redis_url: str) -> None:  # noqa: F811
    """A process takes a call's lock and is killed (-9) holding it: after the lease, another
    process gets the call."""
    from texml.serve.store_redis import RedisStore

    script = textwrap.dedent(f"""
        import asyncio, sys
        from texml.serve.store_redis import RedisStore
        async def main():
            store = RedisStore({redis_url!r}, lock_lease=1.0)
            async with store.lock("v3:x"):
                print("locked", flush=True)
                await asyncio.sleep(60)
        asyncio.run(main())
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    async def body() -> None:
        store = RedisStore(redis_url, lock_wait=10)
        try:
            started = time.monotonic()
            async with store.lock("v3:x"):
                waited = time.monotonic() - started
            assert waited < 1.5, waited  # at most the dead holder's lease
        finally:
            await store.close()

    asyncio.run(body())


def test_redis_stale_holder_neither_frees_nor_overwrites(redis_url: str) -> None:  # noqa: F811
    """A holder stalled past its lease lost the call: its release leaves the new holder's lock
    alone and its save is refused (LockLost), so the new holder's state stands."""
    from texml.serve.store_redis import LockLost, RedisStore

    async def body() -> None:
        stale = RedisStore(redis_url, lock_lease=0.2)
        fresh = RedisStore(redis_url, lock_wait=5)
        try:
            stale_in = asyncio.Event()
            fresh_in = asyncio.Event()
            fresh_may_leave = asyncio.Event()

            async def stale_holder() -> None:
                async with stale.lock("v3:x"):
                    stale_in.set()
                    await fresh_in.wait()
                    with pytest.raises(LockLost):
                        await stale.save("v3:x", "stale")
                # Its release ran while `fresh` holds the lock: the lock must still be there.
                assert await fresh._redis.get("texml:lock:v3:x") is not None  # noqa: SLF001
                fresh_may_leave.set()

            async def fresh_holder() -> None:
                await stale_in.wait()
                # The stale holder's lease runs out (as if it stalled): its renewals now fail.
                await stale._redis.pexpire("texml:lock:v3:x", 1)  # noqa: SLF001
                async with fresh.lock("v3:x"):
                    await fresh.save("v3:x", "fresh")
                    fresh_in.set()
                    await fresh_may_leave.wait()

            await asyncio.gather(stale_holder(), fresh_holder())
            assert await fresh.load("v3:x") == "fresh"
        finally:
            await stale.close()
            await fresh.close()

    asyncio.run(body())


def test_redis_store_keeps_to_its_prefix(redis_server: RedisServer) -> None:  # noqa: F811
    from texml.serve.store_redis import RedisStore

    redis_server.flush()

    async def body() -> None:
        a = RedisStore(redis_server.url(), prefix="a:")
        b = RedisStore(redis_server.url(), prefix="b:")
        try:
            await a.save("v3:x", "A")
            await a.set_timer("v3:x", "t", 1.0)
            assert await b.load("v3:x") is None and await b.active_calls() == 0
            assert await b.claim_due_timers(2.0) == []
            assert await a.ping() is True
            assert set(await a._redis.keys("*")) == {  # noqa: SLF001
                "a:call:v3:x", "a:calls", "a:timers", "a:tnames:v3:x"}
        finally:
            await a.close()
            await b.close()

    asyncio.run(body())
