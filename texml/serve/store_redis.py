"""The Redis store: calls shared by several `texml serve` processes or hosts.

`--store redis://HOST:PORT/DB` (or `rediss://`, `unix://`). Everything lives under one key
prefix (`texml:` unless told otherwise):

- `{p}call:{id}`: the call's state (the JSON of `texml.runtime.state.dumps`);
- `{p}calls`: the set of stored call ids (`active_calls` is its size: no SCAN);
- `{p}lock:{id}`: the call's lock, a random token set with `SET NX PX` (a lease): released by a
  Lua compare-and-delete, so a holder whose lease ran out never frees somebody else's lock; the
  lease is renewed while the lock is held, so it only runs out when the holder is gone (killed,
  or stalled longer than the lease) and then another process takes the call over;
- `{p}timers`: a sorted set of `[call id, name]` by due time, claimed by a Lua script that reads
  the due members and moves them a lease ahead at once, so one process fires each (and, should
  it die before `finish_timer`, another fires it after the lease);
  `{p}tnames:{id}` lists a call's timers, so deleting the call deletes them too;
- `{p}seen:{key}`: `first_seen` markers (`SET NX PX`), which expire by themselves.

Scripts touch several keys, so the store needs one Redis server (or a primary), not a cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import redis.asyncio as aioredis

from texml.serve.store import TIMER_LEASE, LockTimeout

LOCK_LEASE = 10.0  # seconds a lock outlives its holder (renewed every third of it while held)
LOCK_WAIT = 30.0  # longest wait for a call's lock; then LockTimeout

# Free a lock only if it is still ours.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# Extend a lock's lease only if it is still ours.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# Save, but only while we still hold the lock (ARGV[2] is the token, '' when not locked here):
# a process whose lease ran out must not overwrite the state its successor wrote.
_SAVE = """
if ARGV[2] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[3])
return 1
"""
# KEYS: timers zset, call's timer names; ARGV: member, due time.
_SET_TIMER = """
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""
_CANCEL_TIMER = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
"""
# KEYS: timers zset; ARGV: now, limit, the claimed timers' new due time.
# Returns the members claimed.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for i = 1, #due do
  redis.call('ZADD', KEYS[1], ARGV[3], due[i])
end
return due
"""
# KEYS: timers zset, call's timer names; ARGV: member, the due time it was claimed with.
_FINISH_TIMER = """
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if at and tonumber(at) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[2], ARGV[1])
end
return 1
"""
# KEYS: state, calls set, timers zset, the call's timer names; ARGV: call id.
_DELETE = """
local names = redis.call('SMEMBERS', KEYS[4])
for _, member in ipairs(names) do redis.call('ZREM', KEYS[3], member) end
redis.call('DEL', KEYS[1], KEYS[4])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
"""


class LockLost(RuntimeError):
    """A save came after this process's lease on the call ran out (another took it over)."""



RENEWAL_STOP_WAIT = 1.0  # seconds to let a lease renewal in flight finish when a lock is freed

class RedisStore:
    """The `Store` protocol (`texml.serve.store`) on Redis, with the asyncio client."""

    def __init__(self, url: str, *, prefix: str = "texml:", lock_lease: float = LOCK_LEASE,
                 lock_wait: float = LOCK_WAIT, client: Any = None) -> None:  # fmt: skip
        if lock_lease <= 0 or lock_wait < 0:
            raise ValueError("lock_lease must be above 0 and lock_wait at least 0")
        self.url = url
        self.prefix = prefix
        self.lock_lease = lock_lease
        self.lock_wait = lock_wait
        self._redis = client or aioredis.from_url(url, decode_responses=True)
        self._release = self._redis.register_script(_RELEASE)
        self._renew = self._redis.register_script(_RENEW)
        self._save = self._redis.register_script(_SAVE)
        self._set_timer = self._redis.register_script(_SET_TIMER)
        self._cancel_timer = self._redis.register_script(_CANCEL_TIMER)
        self._claim = self._redis.register_script(_CLAIM)
        self._finish_timer = self._redis.register_script(_FINISH_TIMER)
        self._delete = self._redis.register_script(_DELETE)
        # In-process waiters queue on an asyncio lock, so only one of them polls Redis.
        self._local: dict[str, tuple[asyncio.Lock, int]] = {}
        self._tokens: dict[str, str] = {}  # calls locked by this store: their tokens

    # --- keys ---------------------------------------------------------------------------------

    def _key(self, kind: str, call_id: str = "") -> str:
        return f"{self.prefix}{kind}{call_id}"

    @staticmethod
    def _member(call_id: str, name: str) -> str:
        return json.dumps([call_id, name], separators=(",", ":"))

    # --- locks --------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lock(self, call_id: str) -> AsyncIterator[None]:
        """Hold the call's lock across processes; LockTimeout after `lock_wait` seconds."""
        deadline = time.monotonic() + self.lock_wait
        local = self._local_lock(call_id)
        try:
            try:
                await asyncio.wait_for(local.acquire(), self.lock_wait)
            except TimeoutError:
                raise LockTimeout(f"call {call_id}: its lock is busy in this process") from None
            try:
                token = await self._acquire(call_id, deadline)
                self._tokens[call_id] = token
                stop = asyncio.Event()
                renewal = asyncio.create_task(self._keep(call_id, token, stop))
                try:
                    yield
                finally:
                    # Ask the renewal loop to stop rather than cancel a Redis call in flight
                    # (a cancelled renewal could swallow the cancellation and never end), and
                    # wait for it only a bounded time.
                    stop.set()
                    _, pending = await asyncio.wait({renewal}, timeout=RENEWAL_STOP_WAIT)
                    for task in pending:
                        task.cancel()
                    self._tokens.pop(call_id, None)
                    # Shielded: a cancelled handler must still free the call for the others.
                    await asyncio.shield(self._release(keys=[self._key("lock:", call_id)],
                                                       args=[token]))  # fmt: skip
            finally:
                local.release()
        finally:
            self._drop_local(call_id)

    def _local_lock(self, call_id: str) -> asyncio.Lock:
        lock, users = self._local.get(call_id) or (asyncio.Lock(), 0)
        self._local[call_id] = (lock, users + 1)
        return lock

    def _drop_local(self, call_id: str) -> None:
        lock, users = self._local[call_id]
        if users == 1:
            del self._local[call_id]
        else:
            self._local[call_id] = (lock, users - 1)

    async def _acquire(self, call_id: str, deadline: float) -> str:
        token = secrets.token_hex(16)
        key = self._key("lock:", call_id)
        lease_ms = max(1, int(self.lock_lease * 1000))
        pause = 0.002
        while not await self._redis.set(key, token, nx=True, px=lease_ms):
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockTimeout(f"call {call_id}: its lock stayed busy for {self.lock_wait:g} s "
                                  "(another process is handling it, or died holding it less "
                                  f"than {self.lock_lease:g} s ago)")  # fmt: skip
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)
        return token

    async def _keep(self, call_id: str, token: str, stop: asyncio.Event) -> None:
        """Renew the lease while the lock is held, until `stop` is set."""
        key = self._key("lock:", call_id)
        lease_ms = max(1, int(self.lock_lease * 1000))
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.lock_lease / 3)
                return
            except TimeoutError:
                pass
            with contextlib.suppress(Exception):  # a blip: the next renewal may still make it
                await self._renew(keys=[key], args=[token, lease_ms])

    # --- state --------------------------------------------------------------------------------

    async def load(self, call_id: str) -> str | None:
        return await self._redis.get(self._key("call:", call_id))

    async def save(self, call_id: str, state: str) -> None:
        token = self._tokens.get(call_id, "")
        saved = await self._save(
            keys=[self._key("call:", call_id), self._key("calls"), self._key("lock:", call_id)],
            args=[state, token, call_id],
        )  # fmt: skip
        if not saved:
            raise LockLost(f"call {call_id}: the lock's lease ran out before the save; another "
                           "process has the call now")  # fmt: skip

    async def delete(self, call_id: str) -> None:
        """Forget the call: its state and its timers."""
        await self._delete(keys=[self._key("call:", call_id), self._key("calls"),
                                 self._key("timers"), self._key("tnames:", call_id)],
                           args=[call_id])  # fmt: skip

    # --- timers -------------------------------------------------------------------------------

    async def set_timer(self, call_id: str, name: str, at: float) -> None:
        """Due at `at` (Unix seconds); setting a timer again moves it."""
        await self._set_timer(keys=[self._key("timers"), self._key("tnames:", call_id)],
                              args=[self._member(call_id, name), repr(float(at))])  # fmt: skip

    async def cancel_timer(self, call_id: str, name: str) -> None:
        await self._cancel_timer(keys=[self._key("timers"), self._key("tnames:", call_id)],
                                 args=[self._member(call_id, name)])  # fmt: skip

    async def claim_due_timers(self, now: float, limit: int = 100, lease: float = TIMER_LEASE
                               ) -> list[tuple[str, str, float]]:  # fmt: skip
        """The timers due by `now`, earliest first, each moved to `now + lease` at once (no
        other process gets them meanwhile); returned with that time, for `finish_timer`."""
        if limit <= 0:
            return []
        claimed_at = float(now + lease)
        members = await self._claim(keys=[self._key("timers")],
                                    args=[repr(float(now)), int(limit), repr(claimed_at)])  # fmt: skip
        out = []
        for member in members:
            call_id, name = json.loads(member)
            out.append((call_id, name, claimed_at))
        return out

    async def finish_timer(self, call_id: str, name: str, claimed_at: float) -> None:
        await self._finish_timer(keys=[self._key("timers"), self._key("tnames:", call_id)],
                                 args=[self._member(call_id, name), repr(float(claimed_at))])  # fmt: skip

    # --- the rest -----------------------------------------------------------------------------

    async def first_seen(self, key: str, ttl: float) -> bool:
        """True the first time `key` is seen within `ttl` seconds, in any process."""
        ttl_ms = max(1, int(ttl * 1000))
        return bool(await self._redis.set(self._key("seen:", key), "1", nx=True, px=ttl_ms))

    async def remember(self, keys: Sequence[str], ttl: float) -> None:
        if not keys:
            return
        ttl_ms = max(1, int(ttl * 1000))
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(self._key("seen:", key), "1", px=ttl_ms)
            await pipe.execute()

    async def active_calls(self) -> int:
        return int(await self._redis.scard(self._key("calls")))

    async def ping(self) -> bool:
        """Whether Redis answers (for `/healthz`)."""
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False

    async def close(self) -> None:
        await self._redis.aclose()


__all__ = ["LOCK_LEASE", "LOCK_WAIT", "LockLost", "LockTimeout", "RedisStore"]
