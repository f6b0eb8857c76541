"""Bounded work and no connection state for the served ledger (issue 18).

Datasette's time limit is a progress handler: SQLite calls it between
virtual-machine instructions, so it cannot stop one long function call
(``printf('%.*c', 900000000, 'x')`` ran 9.7 s and took gigabytes), and SQL
can call functions that change the connection (``fts3_tokenizer`` with an
argument reads or writes a pointer) or show the server's file paths
(``pragma_database_list``). :func:`guard_connection` closes all of this on
each connection Datasette opens to a ledger database (the plugin's
``prepare_connection`` hook calls it; other databases are left alone):

- **size caps** (``Connection.setlimit``): the longest string or blob a
  statement may make, the longest SQL text, expression depth, compound
  selects, LIKE pattern length, bound parameters, function arguments,
  attached databases, program size.
- **one call stays short**: the built-in functions whose single call can run
  for seconds however small the limits (``printf``/``format`` with a huge
  width, ``instr``/``replace`` on long needles, ``like``/``glob``/``trim``
  whose cost is text length times pattern length) are replaced by guarded
  versions. ``instr`` and ``replace`` use Python's linear-time string search;
  the others check their arguments' size and then call SQLite's own
  function on a private in-memory connection, so results are exactly
  SQLite's. A call over its budget fails the query at once with
  "user-defined function raised exception".
- **an authorizer** refuses ``fts3_tokenizer``, ``load_extension`` and
  ``fts5`` (pointer-passing) calls and ATTACH/DETACH, and answers the
  pragmas that disclose file paths (``database_list``,
  ``temp_store_directory``, ``data_store_directory``) with no rows.

- **a watchdog** interrupts any statement still running half a second past
  the time limit (:class:`Watchdog`): the progress handler runs only every
  1,000 instructions, and one instruction on a large value can take long.

The bound on how many visitors' queries run at once is in
:mod:`ledger.web.heavy`.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time

# The longest string or blob any statement may make or read: far above any
# source text a ledger holds, and small enough that a few at once stay well
# inside the server's memory.
MAX_LENGTH = 32 * 1024 * 1024
LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: MAX_LENGTH,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 200,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 50,
    sqlite3.SQLITE_LIMIT_VDBE_OP: 250_000,
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 100,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1_000,
    # above max_returned_rows: Datasette looks up a page's foreign-key labels with one parameter per value
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: 5_000,
    sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 10,
    sqlite3.SQLITE_LIMIT_WORKER_THREADS: 0,
}
# The widest printf/format field: wider is never needed to show a value
MAX_FORMAT_WIDTH = 100_000
# text length x pattern length above which one like/glob/trim call is
# refused: about a tenth of a second of SQLite's worst case on this machine
MAX_PATTERN_WORK = 50_000_000

DENIED_FUNCTIONS = frozenset({"fts3_tokenizer", "load_extension", "fts5"})
PATH_PRAGMAS = frozenset({"database_list", "temp_store_directory", "data_store_directory"})


class FunctionTooCostly(ValueError):
    """A guarded SQL function was asked for more work than one call may do."""


# ---------------------------------------------------------------- the authorizer


def authorize(action, arg1, arg2, db_name, trigger):
    """The connection's authorizer: refuse state-changing and pointer
    functions and attaching; path pragmas give no rows."""
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in PATH_PRAGMAS:
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK


# ---------------------------------------------------------------- guarded functions

_private = threading.local()


def _builtin(name: str, *args):
    """SQLite's own ``name(*args)``, on a private connection of this thread
    that has none of the guarded replacements."""
    conn = getattr(_private, "conn", None)
    if conn is None:
        conn = _private.conn = sqlite3.connect(":memory:")
        for limit, value in LIMITS.items():
            conn.setlimit(limit, value)
    sql = f"SELECT {name}({', '.join('?' * len(args))})"
    return conn.execute(sql, args).fetchone()[0]


SPEC_RE = re.compile(r"%([-+ 0#,!]*)(\*|\d+)?(?:\.(\*|\d*))?(l{0,2})([a-zA-Z%])?")


def _width(value) -> int:
    try:
        return abs(int(float(value)))
    except (TypeError, ValueError, OverflowError):
        return 0


def guarded_printf(fmt=None, *args):
    """``printf``/``format`` with every field width and precision at most
    MAX_FORMAT_WIDTH (SQLite's own takes time in proportion to them)."""
    text = fmt.decode("utf-8", "replace") if isinstance(fmt, bytes) else fmt
    if isinstance(text, str):
        i = 0
        for m in SPEC_RE.finditer(text):
            if m.group(5) == "%" or m.group(5) is None:
                continue
            for part in (m.group(2), m.group(3)):
                if part == "*":
                    value = _width(args[i]) if i < len(args) else 0
                    i += 1
                else:
                    value = int(part) if part else 0
                if value > MAX_FORMAT_WIDTH:
                    raise FunctionTooCostly(f"printf field width {value} is over {MAX_FORMAT_WIDTH}")
            i += 1
    return _builtin("printf", fmt, *args)


def guarded_instr(haystack, needle):
    """``instr`` in linear time for two texts or two blobs; SQLite's own otherwise."""
    if (isinstance(haystack, str) and isinstance(needle, str)) or (
        isinstance(haystack, bytes) and isinstance(needle, bytes)
    ):
        return haystack.find(needle) + 1
    return _builtin("instr", haystack, needle)


def guarded_replace(text, old, new):
    """``replace`` in linear time for texts; SQLite's own otherwise."""
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        if old == "":
            return text
        if len(new) > len(old) and len(text) + text.count(old) * (len(new) - len(old)) > MAX_LENGTH:
            raise FunctionTooCostly("replace() would make a text longer than the length limit")
        return text.replace(old, new)
    return _builtin("replace", text, old, new)


def _pattern_guard(name: str, pattern_arg: int):
    """SQLite's ``name`` after checking text length x pattern length."""
    other = 1 - pattern_arg

    def call(*args):
        a, b = args[pattern_arg], args[other]
        if isinstance(a, (str, bytes)) and isinstance(b, (str, bytes)) and len(a) * len(b) > MAX_PATTERN_WORK:
            raise FunctionTooCostly(f"{name}() of {len(b)} characters with a pattern of {len(a)} is too costly")
        return _builtin(name, *args)

    return call


GUARDED = [
    ("printf", -1, guarded_printf),
    ("format", -1, guarded_printf),
    ("instr", 2, guarded_instr),
    ("replace", 3, guarded_replace),
    # like(pattern, text[, escape]) and glob(pattern, text): pattern first
    ("like", 2, _pattern_guard("like", 0)),
    ("like", 3, _pattern_guard("like", 0)),
    ("glob", 2, _pattern_guard("glob", 0)),
    # trim(text, characters): the characters are the "pattern"
    ("trim", 2, _pattern_guard("trim", 1)),
    ("ltrim", 2, _pattern_guard("ltrim", 1)),
    ("rtrim", 2, _pattern_guard("rtrim", 1)),
]


# ---------------------------------------------------------------- the watchdog

# How long past the time limit a statement may run before the watchdog
# interrupts it, and how often it looks
WATCHDOG_GRACE_S = 0.5
WATCHDOG_EVERY_S = 0.05


class Watchdog:
    """Interrupts a statement that runs past its time limit.

    Datasette's progress handler is called every 1,000 virtual-machine
    instructions, and one instruction on a 32 MiB value can take a tenth of a
    second: ``select length(randomblob(32000000)) from (a recursive count)``
    ran 44 s under a 1 s limit. ``Connection.interrupt()`` is checked at every
    loop step instead. A statement's start is seen through the connection's
    trace callback (called when a statement starts running, cached or not);
    one thread checks every ``WATCHDOG_EVERY_S`` and interrupts a connection
    whose statement started more than its limit plus ``WATCHDOG_GRACE_S``
    ago. An interrupt that reaches a connection after its statement ended
    does nothing (SQLite clears it when the next statement starts).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._started: dict[int, tuple] = {}  # id(conn) -> (conn, deadline)
        self._thread = None

    def watch(self, conn: sqlite3.Connection, limit_s: float) -> None:
        key = id(conn)

        def started(_sql):
            # held only until the deadline passes (connections take no weak references)
            with self._lock:
                self._started[key] = (conn, time.monotonic() + limit_s + WATCHDOG_GRACE_S)

        conn.set_trace_callback(started)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ledger-sql-watchdog", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(WATCHDOG_EVERY_S)
            now = time.monotonic()
            with self._lock:
                due = [(k, conn) for k, (conn, deadline) in self._started.items() if now > deadline]
                for k, _ in due:
                    del self._started[k]
            for _, conn in due:
                try:
                    conn.interrupt()
                except sqlite3.ProgrammingError:
                    pass  # closed meanwhile


WATCHDOG = Watchdog()


def guard_connection(conn: sqlite3.Connection, time_limit_ms: int | None = None) -> None:
    """Cap sizes, replace the functions one call of which can run long,
    install the authorizer, and (given the time limit) have the watchdog
    stop any statement that outlives it, on one of Datasette's connections."""
    for limit, value in LIMITS.items():
        conn.setlimit(limit, value)
    for name, nargs, fn in GUARDED:
        conn.create_function(name, nargs, fn, deterministic=True)
    conn.set_authorizer(authorize)
    if time_limit_ms:
        WATCHDOG.watch(conn, time_limit_ms / 1000)
