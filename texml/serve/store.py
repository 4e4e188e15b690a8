"""Where calls live between inputs: the `Store` protocol and `open_store(url)`.

`texml serve` keeps no call in memory. For each input it takes the call's lock, loads its state
(`texml.runtime.state`), feeds the input, saves the state and lets go; so any process sharing
the store can carry on any call, and a restarted process carries on where the last one stopped.

- `lock(call_id)`: one holder at a time, across processes; waits a bounded time, then raises
  a `TimeoutError` (`LockTimeout`).
- `load`/`save`/`delete`: the call's state (text).
- `set_timer`/`cancel_timer`/`claim_due_timers`/`finish_timer`: timers kept with the call. A
  due timer is claimed atomically, so one process fires it: claiming moves it `lease` seconds
  ahead, and `finish_timer(call, name, claimed_at)` removes it once handled (unless it was set
  again meanwhile). A process that dies between the two loses nothing: the timer comes due
  again after the lease, and another process fires it (a session ignores a timer it has
  already handled).
- `first_seen(key, ttl)`: True the first time a key is seen within `ttl` seconds (replayed
  webhooks); `remember(keys, ttl)` marks keys seen without asking (the events of a call that
  is deleted, so that their replays are still known).
- `active_calls()`: how many calls are stored.

Implementations: `texml.serve.store_sqlite.SqliteStore` (`sqlite:///PATH`, the default; one
host) and `texml.serve.store_redis.RedisStore` (`redis://HOST:PORT/DB`; several processes or
hosts).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable


TIMER_LEASE = 60.0  # seconds a claimed timer waits to be finished before it comes due again


class LockTimeout(TimeoutError):
    """Another holder kept a call's lock longer than the store waits."""


@runtime_checkable
class Store(Protocol):
    def lock(self, call_id: str) -> AbstractAsyncContextManager[None]: ...

    async def load(self, call_id: str) -> str | None: ...

    async def save(self, call_id: str, state: str) -> None: ...

    async def delete(self, call_id: str) -> None: ...

    async def set_timer(self, call_id: str, name: str, at: float) -> None: ...

    async def cancel_timer(self, call_id: str, name: str) -> None: ...

    async def claim_due_timers(self, now: float, limit: int = 100,
                               lease: float = TIMER_LEASE) -> list[tuple[str, str, float]]: ...

    async def finish_timer(self, call_id: str, name: str, claimed_at: float) -> None: ...

    async def first_seen(self, key: str, ttl: float) -> bool: ...

    async def remember(self, keys: Sequence[str], ttl: float) -> None: ...

    async def active_calls(self) -> int: ...

    async def close(self) -> None: ...


def open_store(url: str) -> Store:
    """The store a `--store` URL names."""
    if url.startswith("sqlite://"):
        from texml.serve.store_sqlite import SqliteStore

        path = url.removeprefix("sqlite://")
        if path.startswith("/"):  # sqlite:///relative.db -> "relative.db"; sqlite:////abs -> "/abs"
            path = path[1:]
        if not path:
            raise ValueError("sqlite:///PATH: give the database file's path")
        return SqliteStore(path)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from texml.serve.store_redis import RedisStore

        store: Store = RedisStore(url)
        return store
    raise ValueError(f"unknown store {url!r}: use sqlite:///PATH or redis://HOST:PORT/DB")


__all__ = ["TIMER_LEASE", "LockTimeout", "Store", "open_store"]
