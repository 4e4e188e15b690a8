"""The SQLite store (`--store sqlite:///PATH`, the default): one file, survives restarts.

Tables: `calls` (id, state), `timers` (call id, name, due time), `locks` (a lease per locked
call: owner, host, pid, expiry) and `seen` (`first_seen` keys with their expiry). The file is in
WAL mode, and every write happens inside a `BEGIN IMMEDIATE` transaction, so read-then-write
steps (timer claims, lock leases, `first_seen`) are atomic against other processes on the file.

Group commit: the writes asked for during one turn of the event loop (under load, those of
many calls at once) go into one transaction, committed on the next turn; each caller gets
its own result once the commit is done. A commit costs far more than the rows it writes (a
call's state alone: ~60 µs in its own transaction, ~13 µs among ten), so this is where a busy
server saves the most. A write that fails takes nobody else's down: the batch is rolled back
and its writes are done again one by one.

Everything runs at once on the event loop, on a connection that never waits for the file's
write lock: statements are small and WAL commits do not sync, so this costs tens of
microseconds where a hop to a thread and back costs more (and, under load, waits for the GIL).
When another process holds the write lock, the batch (or read) runs on a worker thread's
connection instead, which waits for the lock (up to `BUSY_TIMEOUT`): the event loop itself
never waits on another process.

A call's lock is an asyncio lock within the process (waiters queue without touching the file)
plus a lease row, so that two processes (or two stores) on one file exclude each other too. The
lease is renewed while held; a holder that died frees it at once when it was on this host (its
pid is gone), else when the lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from texml.serve.store import TIMER_LEASE, LockTimeout

LOCK_LEASE = 10.0  # seconds a lease outlives a holder that stopped renewing it
LOCK_WAIT = 30.0  # longest wait for a call's lock, then LockTimeout
PURGE_EVERY = 60.0  # seconds between sweeps of expired `seen` keys
BUSY_TIMEOUT = 15.0  # seconds the worker thread waits for another process's write lock

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS timers (
    call_id TEXT NOT NULL, name TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (call_id, name));
CREATE INDEX IF NOT EXISTS timers_by_time ON timers (at);
CREATE TABLE IF NOT EXISTS locks (
    call_id TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
    expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires REAL NOT NULL);
"""


class SqliteStore:
    """The `Store` protocol (`texml.serve.store`) on one SQLite file."""

    def __init__(self, path: str, *, lock_lease: float = LOCK_LEASE,
                 lock_wait: float = LOCK_WAIT) -> None:  # fmt: skip
        self.path = path
        self.lock_lease = lock_lease
        self.lock_wait = lock_wait
        self._host = socket.gethostname()
        self._pid = os.getpid()
        self._tokens = itertools.count(1)
        self._owner = f"{self._host}:{self._pid}:{id(self):x}"
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="texml-sqlite")
        self._local: dict[str, tuple[asyncio.Lock, int]] = {}
        self._held: dict[str, str] = {}  # call id -> lease token, while this store holds it
        self._renewer: asyncio.TimerHandle | None = None
        self._renewer_loop: asyncio.AbstractEventLoop | None = None
        self._last_purge = 0.0
        # Errors (a path that cannot be opened) show at start.
        self._waiting_db = self._executor.submit(self._connect, BUSY_TIMEOUT).result()
        self._quick_db = self._connect(0.0, setup=False)  # the first one made the schema
        self._batch: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any]]] = []

    def _connect(self, timeout: float, *, setup: bool = True) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                             timeout=timeout)  # fmt: skip
        db.execute("PRAGMA synchronous=NORMAL")  # a process crash loses nothing committed
        if setup:
            db.execute("PRAGMA journal_mode=WAL")  # kept in the file
            db.executescript(_SCHEMA)
        return db

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`fn(db)` at once on the loop's connection; on the worker thread's if the file is
        busy (in WAL mode reads rarely are)."""
        try:
            return fn(self._quick_db)
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, self._waiting_db)

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """`fn(db)`, which writes, in the next group commit (see the module's docstring); the
        future has its result once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._batch.append((fn, future))
        if len(self._batch) == 1:
            loop.call_soon(self._commit)
        return future

    def _commit(self) -> None:
        batch, self._batch = self._batch, []
        try:
            outcomes = self._commit_batch(self._quick_db, batch)
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                outcomes = [(None, exc)] * len(batch)
            else:  # another process is writing: wait for it on the worker thread
                loop = asyncio.get_running_loop()
                try:
                    waited = loop.run_in_executor(self._executor, self._commit_batch,
                                                  self._waiting_db, batch)  # fmt: skip
                except RuntimeError as closed:  # the store is closing
                    outcomes = [(None, closed)] * len(batch)
                else:
                    waited.add_done_callback(lambda done: _settle(batch, done))
                    return
        except Exception as exc:  # noqa: BLE001 - e.g. closed: every caller hears it
            outcomes = [(None, exc)] * len(batch)
        for (_, future), (result, error) in zip(batch, outcomes, strict=True):
            _resolve(future, result, error)

    def _commit_batch(self, db: sqlite3.Connection, batch: list[tuple[Callable[[sqlite3.Connection], Any], Any]]
                      ) -> list[tuple[Any, BaseException | None]]:  # fmt: skip
        """Run the writes in one transaction; if one fails, each again in its own. Raises a
        busy error (nothing done) when the write lock cannot be had."""
        try:
            return [(result, None) for result in self._transaction(
                db, lambda db: [fn(db) for fn, _ in batch])]  # fmt: skip
        except sqlite3.OperationalError as exc:
            if _busy(exc) or len(batch) == 1:
                raise
        except Exception:  # noqa: BLE001 - one bad write: find it, the rest go on
            if len(batch) == 1:
                raise
        outcomes: list[tuple[Any, BaseException | None]] = []
        for fn, _ in batch:
            try:
                outcomes.append((self._transaction(db, fn), None))
            except Exception as exc:  # noqa: BLE001 - that caller's error
                outcomes.append((None, exc))
        return outcomes

    @staticmethod
    def _transaction(db: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`fn` in a write transaction taken at once (BEGIN IMMEDIATE)."""
        db.execute("BEGIN IMMEDIATE")
        try:
            result = fn(db)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return result

    # --- locks --------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lock(self, call_id: str) -> AsyncIterator[None]:
        """Hold the call's lock (across processes); LockTimeout after `lock_wait` seconds."""
        deadline = time.monotonic() + self.lock_wait
        local = self._local_lock(call_id)
        try:
            if local.locked():  # another input of this call is being handled here: queue
                try:
                    async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                        await local.acquire()
                except TimeoutError:
                    raise LockTimeout(f"call {call_id} stayed locked in this process") from None
            else:
                await local.acquire()  # free: taken at once
            try:
                token = await self._lease(call_id, deadline)
                self._held[call_id] = token
                self._renewing()
                try:
                    yield
                finally:
                    del self._held[call_id]
                    # Shielded: a cancelled holder still frees the call at once.
                    await asyncio.shield(self._write(lambda db: self._release(db, call_id, token)))
            finally:
                local.release()
        finally:
            self._drop_local(call_id)

    def _renewing(self) -> None:
        """Make sure the renewer runs: one timer callback on the event loop renews every lease
        this store holds, each third of `lock_lease` (not a task per lock: a lock then costs
        no task, and letting it go waits for nothing)."""
        loop = asyncio.get_running_loop()
        if self._renewer is None or self._renewer_loop is not loop:  # (a store outlives a loop)
            self._renewer_loop = loop
            self._renewer = loop.call_later(self.lock_lease / 3, self._renew_held)

    def _renew_held(self) -> None:
        self._renewer = None
        if not self._held:
            return  # started again by the next lock
        held = list(self._held.items())
        self._write(lambda db: self._renew(db, held)).add_done_callback(_quiet)
        self._renewing()

    def _local_lock(self, call_id: str) -> asyncio.Lock:
        lock, users = self._local.get(call_id, (None, 0))
        lock = lock or asyncio.Lock()
        self._local[call_id] = (lock, users + 1)
        return lock

    def _drop_local(self, call_id: str) -> None:
        lock, users = self._local[call_id]
        if users <= 1:
            del self._local[call_id]
        else:
            self._local[call_id] = (lock, users - 1)

    async def _lease(self, call_id: str, deadline: float) -> str:
        token = f"{self._owner}:{next(self._tokens)}"
        wait = 0.005
        while not await self._write(lambda db: self._try_lease(db, call_id, token)):
            if time.monotonic() + wait > deadline:
                raise LockTimeout(f"call {call_id} stayed locked by another process")
            await asyncio.sleep(wait)
            wait = min(wait * 2, 0.05)
        return token

    def _try_lease(self, db: sqlite3.Connection, call_id: str, token: str) -> bool:
        # Most leases are free (or long expired): one statement takes them.
        now = time.time()
        taken = db.execute(
            "INSERT INTO locks VALUES (?, ?, ?, ?, ?) ON CONFLICT (call_id) DO UPDATE SET "
            "owner = excluded.owner, host = excluded.host, pid = excluded.pid, "
            "expires = excluded.expires WHERE locks.expires <= ?",
            (call_id, token, self._host, self._pid, now + self.lock_lease, now))  # fmt: skip
        if taken.rowcount == 1:
            return True
        # Held: unless its holder died here (same transaction: nobody takes it meanwhile).
        row = db.execute("SELECT host, pid, expires FROM locks WHERE call_id = ?",
                         (call_id,)).fetchone()  # fmt: skip
        if row is not None and row[2] > now and not self._dead(row[0], row[1]):
            return False
        db.execute("INSERT OR REPLACE INTO locks VALUES (?, ?, ?, ?, ?)",
                   (call_id, token, self._host, self._pid, now + self.lock_lease))  # fmt: skip
        return True

    def _dead(self, host: str, pid: int) -> bool:
        """Whether a lease's holder is a process of this host that no longer runs."""
        if host != self._host or pid == self._pid:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def _renew(self, db: sqlite3.Connection, held: list[tuple[str, str]]) -> None:
        expires = time.time() + self.lock_lease
        db.executemany("UPDATE locks SET expires = ? WHERE call_id = ? AND owner = ?",
                       [(expires, call_id, token) for call_id, token in held])  # fmt: skip

    def _release(self, db: sqlite3.Connection, call_id: str, token: str) -> None:
        db.execute("DELETE FROM locks WHERE call_id = ? AND owner = ?", (call_id, token))

    # --- calls --------------------------------------------------------------------------------

    async def load(self, call_id: str) -> str | None:
        def read(db: sqlite3.Connection) -> str | None:
            row = db.execute("SELECT state FROM calls WHERE id = ?", (call_id,)).fetchone()
            return None if row is None else str(row[0])

        return await self._read(read)

    async def save(self, call_id: str, state: str) -> None:
        await self._write(lambda db: db.execute(
            "INSERT OR REPLACE INTO calls VALUES (?, ?, ?)", (call_id, state, time.time())))  # fmt: skip

    async def delete(self, call_id: str) -> None:
        def drop(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM calls WHERE id = ?", (call_id,))
            db.execute("DELETE FROM timers WHERE call_id = ?", (call_id,))

        await self._write(drop)

    async def active_calls(self) -> int:
        return await self._read(lambda db: int(db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]))

    # --- timers -------------------------------------------------------------------------------

    async def set_timer(self, call_id: str, name: str, at: float) -> None:
        await self._write(lambda db: db.execute(
            "INSERT OR REPLACE INTO timers VALUES (?, ?, ?)", (call_id, name, at)))  # fmt: skip

    async def cancel_timer(self, call_id: str, name: str) -> None:
        await self._write(lambda db: db.execute(
            "DELETE FROM timers WHERE call_id = ? AND name = ?", (call_id, name)))  # fmt: skip

    async def claim_due_timers(self, now: float, limit: int = 100, lease: float = TIMER_LEASE
                               ) -> list[tuple[str, str, float]]:  # fmt: skip
        """The timers due by `now` (earliest first), each moved to `now + lease` in the same
        transaction; returned with that time, for `finish_timer`."""
        claimed_at = now + lease

        def claim(db: sqlite3.Connection) -> list[tuple[str, str, float]]:
            due = db.execute("SELECT call_id, name FROM timers WHERE at <= ? ORDER BY at "
                             "LIMIT ?", (now, limit)).fetchall()  # fmt: skip
            db.executemany("UPDATE timers SET at = ? WHERE call_id = ? AND name = ?",
                           [(claimed_at, c, n) for c, n in due])  # fmt: skip
            return [(str(c), str(n), claimed_at) for c, n in due]

        # Most polls find nothing: look first without writing.
        def any_due(db: sqlite3.Connection) -> bool:
            return db.execute("SELECT 1 FROM timers WHERE at <= ? LIMIT 1", (now,)).fetchone() is not None

        if not await self._read(any_due):
            return []
        return await self._write(claim)

    async def finish_timer(self, call_id: str, name: str, claimed_at: float) -> None:
        await self._write(lambda db: db.execute(
            "DELETE FROM timers WHERE call_id = ? AND name = ? AND at = ?",
            (call_id, name, claimed_at)))  # fmt: skip

    # --- replays ------------------------------------------------------------------------------

    async def first_seen(self, key: str, ttl: float) -> bool:
        def mark(db: sqlite3.Connection) -> bool:
            now = time.time()
            if now - self._last_purge > PURGE_EVERY:
                db.execute("DELETE FROM seen WHERE expires <= ?", (now,))
                self._last_purge = now
            # New, or there but expired: (re)written, one row changed.
            cursor = db.execute(
                "INSERT INTO seen VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                "expires = excluded.expires WHERE seen.expires <= ?", (key, now + ttl, now))
            return cursor.rowcount == 1

        return await self._write(mark)

    async def remember(self, keys: Sequence[str], ttl: float) -> None:
        expires = time.time() + ttl

        def mark(db: sqlite3.Connection) -> None:
            db.executemany("INSERT INTO seen VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                           "expires = max(seen.expires, excluded.expires)",
                           [(key, expires) for key in keys])  # fmt: skip

        if keys:
            await self._write(mark)

    async def ping(self) -> bool:
        await self._read(lambda db: db.execute("SELECT 1").fetchone())
        return True

    async def close(self) -> None:
        def shut() -> None:
            self._waiting_db.close()

        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None
        with contextlib.suppress(sqlite3.Error):
            await asyncio.get_running_loop().run_in_executor(self._executor, shut)
            self._quick_db.close()
        self._executor.shutdown(wait=False)


def _busy(exc: sqlite3.OperationalError) -> bool:
    return exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # its caller was cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _settle(batch: list[tuple[Any, asyncio.Future[Any]]], done: asyncio.Future[Any]) -> None:
    """The outcomes of a batch committed on the worker thread."""
    if done.cancelled():
        outcomes: list[tuple[Any, BaseException | None]] = [(None, asyncio.CancelledError())] * len(batch)
    elif done.exception() is not None:
        outcomes = [(None, done.exception())] * len(batch)
    else:
        outcomes = done.result()
    for (_, future), (result, error) in zip(batch, outcomes, strict=True):
        _resolve(future, result, error)


def _quiet(future: asyncio.Future[Any]) -> None:
    """For writes nobody waits for (lease renewals): a failure is not worth a warning about
    an exception never retrieved; the lease runs out by itself."""
    if not future.cancelled():
        future.exception()


__all__ = ["SqliteStore"]

