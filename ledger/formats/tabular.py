"""Claims as CSV (for spreadsheets) and JSON Lines (for scripts).

Both hold one claim per row with the claim-file fields (see ``ledger
import``) plus ``id``, ``source`` (the source's slug) and the exact span as
``start``/``end`` (code points, end excluded); ``status`` is the claim's
state now (``ledger/states.py``), so a retracted claim says ``retracted``.
Importing an export into a
ledger holding the same sources gives the same claim ids, spans and fields:
``start``/``end`` anchor first, the quote confirms them.

CSV follows RFC 4180: UTF-8 without a byte-order mark, CRLF between records,
fields with commas, quotes or line breaks quoted (line breaks inside a field
kept exactly, ``\\r\\n`` included). An empty cell means "no value". A cell a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return, and not a number) is written with a leading
apostrophe (``ledger/csvsafe.py``, issue 18); ``exact=True`` (``ledger export
--format csv --exact-cells``) writes every cell exactly as stored, for round
trips.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterator

from ledger.core.claim import FILE_FIELDS, OPTIONAL, REQUIRED, Record
from ledger.core.codec import decode
from ledger.core.csvsafe import neutralise
from ledger.core.errors import InvalidClaimFile, LedgerError

COLUMNS = ("id", "source", *FILE_FIELDS[:4], "start", "end", *FILE_FIELDS[4:])
INT_COLUMNS = ("start", "end", "occurrence")
FLOAT_COLUMNS = ("confidence",)
# a quote or note can be long; the csv module's default cell limit is 128 KiB
MAX_CELL = 64 * 1024 * 1024


class InvalidOutput(LedgerError):
    """An export cannot be written where it was asked to go."""


def output_file(out: str | Path, fmt: str) -> Path:
    """The file an export writes, its folder made; a directory is refused by name."""
    out = Path(out)
    if out.is_dir():
        raise InvalidOutput(f"{out} is a directory; --format {fmt} writes one file: give a file path, e.g. {out / ('claims.' + fmt)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def write_csv(f, rows, columns=COLUMNS, exact: bool = False) -> int:
    """Write a header and one record per row to an open text file (opened
    with ``newline=""``); return the number of rows. A cell a spreadsheet
    would run as a formula gets a leading apostrophe unless ``exact``."""
    w = csv.writer(f, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(columns)
    cell = _cell if exact else (lambda v: neutralise(_cell(v)))
    n = 0
    for row in rows:
        w.writerow([cell(row.get(k)) for k in columns])
        n += 1
    return n


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)  # shortest text that reads back to the same float
    return str(v)


def iter_csv_records(path: str | Path, shown: str) -> Iterator[Record]:
    """The claims of a CSV file as raw records (typed cells converted), each
    with the line its record starts on."""
    text = decode(Path(path).read_bytes(), shown)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        known = set(REQUIRED) | set(OPTIONAL)
        seen = set()
        for name in header:
            if name in seen:
                raise InvalidClaimFile(f"{shown}:1: column `{name}` appears twice in the header")
            seen.add(name)
            if name not in known:
                raise InvalidClaimFile(
                    f"{shown}:1: unknown column `{name}`; claim columns are: {', '.join(REQUIRED + OPTIONAL)}"
                )
        missing = [k for k in REQUIRED if k not in seen]
        if missing:
            raise InvalidClaimFile(f"{shown}:1: missing column(s) {', '.join(f'`{m}`' for m in missing)}")
        index = 0
        line = reader.line_num + 1
        for cells in reader:
            start_line, line = line, reader.line_num + 1
            if not any(cells):
                continue  # a blank line
            index += 1
            if len(cells) != len(header):
                raise InvalidClaimFile(
                    f"{shown}:{start_line}: record has {len(cells)} cells, the header has {len(header)}; "
                    "quote cells that hold commas"
                )
            data = {}
            for name, cell in zip(header, cells):
                if cell == "":
                    continue
                data[name] = _typed(name, cell)
            yield Record(data, shown, start_line, index)
    except csv.Error as e:
        raise InvalidClaimFile(f"{shown}:{reader.line_num}: malformed CSV: {e}") from None


def _typed(name: str, cell: str):
    """Numbers for numeric columns when they read as numbers; anything else is
    left as text for validation to report with the claim's location."""
    try:
        if name in INT_COLUMNS:
            return int(cell)
        if name in FLOAT_COLUMNS:
            return float(cell)
    except ValueError:
        pass
    return cell
