"""At most a few visitors' own queries at once, so plain pages keep answering (issue 18).

Datasette runs every query on one small pool of threads (``num_sql_threads``,
3 by default). Three visitors each sending a query that runs to the time
limit hold all of them, and every page then waits behind them. A request
that runs SQL of the visitor's choosing against a ledger database (``?sql=``,
``?_where=``, a canned query, a streamed CSV) is *heavy*: at most
``HEAVY_SLOTS`` run at once, the next ``HEAVY_QUEUE`` wait (in the event
loop, holding no thread), and any beyond that, or any that waited
``HEAVY_WAIT_S``, get ``503 Service Unavailable`` with ``Retry-After``.
Claim, source, table and row pages never wait here.
"""

from __future__ import annotations

import asyncio
import urllib.parse
import weakref

HEAVY_SLOTS = 1
HEAVY_QUEUE = 8
HEAVY_WAIT_S = 10.0
HEAVY_PARAMS = ("sql", "_where", "_stream")


def request_parts(datasette, path: str) -> tuple[str | None, str | None]:
    """The database name and the table/view/canned query name a path is
    about (either None when the path names none)."""
    from datasette.utils import tilde_decode

    parts = [p for p in path.split("/") if p]
    if not parts or parts[0].startswith("-"):
        return None, None
    route = tilde_decode(parts[0].split(".")[0])
    name = next((n for n, db in datasette.databases.items() if getattr(db, "route", n) == route), None)
    second = tilde_decode(parts[1].split(".")[0]) if len(parts) > 1 else None
    return name, second


def is_heavy(datasette, database: str, second: str | None, params: dict) -> bool:
    """Whether a request to ``database`` runs SQL the visitor chose."""
    if any(k in params for k in HEAVY_PARAMS):
        return True
    if second is not None:
        queries = datasette.metadata("queries", database=database) or {}
        return second in queries
    return False


class HeavyGate:
    """The slots and the queue; one per Datasette app, a semaphore per event loop."""

    def __init__(self, slots: int = HEAVY_SLOTS, queue: int = HEAVY_QUEUE, wait_s: float = HEAVY_WAIT_S):
        self.slots, self.queue, self.wait_s = slots, queue, wait_s
        self.waiting = 0
        self._sems: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _sem(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop not in self._sems:
            self._sems[loop] = asyncio.Semaphore(self.slots)
        return self._sems[loop]

    async def run(self, app, scope, receive, send) -> None:
        sem = self._sem()
        if not sem.locked():
            await sem.acquire()  # a slot is free: no wait
        else:
            if self.waiting >= self.queue:
                await busy(send, "too many queries are waiting")
                return
            self.waiting += 1
            try:
                await asyncio.wait_for(sem.acquire(), self.wait_s)
            except asyncio.TimeoutError:
                await busy(send, f"no query slot came free within {self.wait_s:g} s")
                return
            finally:
                self.waiting -= 1
        try:
            await app(scope, receive, send)
        finally:
            sem.release()


async def busy(send, why: str) -> None:
    body = (
        f"The ledger server is busy running other visitors' queries ({why}). "
        "Pages still answer; try the query again in a few seconds.\n"
    ).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"retry-after", b"5"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def query_params(scope) -> dict:
    return urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
