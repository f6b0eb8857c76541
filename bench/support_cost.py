"""What `ledger verify`'s support check (issue 14) costs, beside the bare
substr() scan of every span in the same run, with the folding helpers as
they are and as they were before issue 15's speed-ups (``str.translate`` in
``fold_text``, the folds for ASCII text in ``_words``, the span's word set
rebuilt per word of the value in ``_fast_exact``). CPU seconds, medians.

    python -m bench.support_cost DB [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import unicodedata

from bench.workers import SUBSTR_SCAN_SQL


def cpu(fn, repeat):
    runs = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        runs.append(time.process_time() - t)
    return statistics.median(runs)


@contextlib.contextmanager
def as_before():
    from ledger.core import normalize
    from ledger.core import support

    def fold_text(text):
        text = unicodedata.normalize("NFKC", text).translate(normalize._TRANSLATE)
        return " ".join(text.split())

    def _words(text):
        t = fold_text(support._INVISIBLE_RE.sub("", text)).casefold().replace("'s ", " ").replace("'", "")
        if t.endswith("'s"):
            t = t[:-2]
        return support._WORD_RE.findall(t)

    def _fast_exact(value, span):
        v = value.strip().casefold()
        return bool(v) and v.isascii() and v in span.casefold() and all(w in set(_words(span)) for w in _words(value))

    saved = (support.fold_text, support._words, support._fast_exact)
    support.fold_text, support._words, support._fast_exact = fold_text, _words, _fast_exact
    try:
        yield
    finally:
        support.fold_text, support._words, support._fast_exact = saved


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    from ledger.core import support
    from ledger.store.db import open_db

    db = open_db(a.db, create=False)
    claims = db.execute("SELECT count(*) FROM claims").fetchone()[0]
    scan = cpu(lambda: db.execute(SUBSTR_SCAN_SQL).fetchone(), a.repeat)
    now = cpu(lambda: support.check_ledger(db), a.repeat)
    with as_before():
        before = cpu(lambda: support.check_ledger(db), a.repeat)
    print(f"{claims:,} claims: substr() scan {scan:.3f}s cpu; support check {now:.3f}s ({now / scan:.2f}x the scan); "
          f"with the helpers as before {before:.3f}s ({before / scan:.2f}x); speed-up {before / now:.2f}x")


if __name__ == "__main__":
    main()
