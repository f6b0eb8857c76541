"""ledger.core.atomic: whole-file replacement, the full-disk case, and the writer lock across processes."""

import os
import subprocess
import sys
import time


from ledger.core.atomic import append_atomic, write_atomic, writer_lock


def test_write_atomic_replaces_whole_and_leaves_no_temporary(tmp_path):
    p = tmp_path / "claims" / "a.yml"
    write_atomic(p, b"one\n")
    write_atomic(p, b"two\n")
    assert p.read_bytes() == b"two\n"
    assert sorted(os.listdir(p.parent)) == ["a.yml"]


def test_append_atomic_adds_separator_only_when_missing(tmp_path):
    p = tmp_path / "log.txt"
    append_atomic(p, b"a", separator=b"\n")
    append_atomic(p, b"b\n", separator=b"\n")
    append_atomic(p, b"c\n", separator=b"\n")
    assert p.read_bytes() == b"a\nb\nc\n"


def test_full_disk_keeps_the_previous_version(tmp_path):
    # RLIMIT_FSIZE stands in for a full disk: the write fails part-way (EFBIG) in a child process
    p = tmp_path / "big.yml"
    p.write_bytes(b"x" * 1000)
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "from ledger.core.atomic import write_atomic, WriteError\n"
        "try:\n"
        f"    write_atomic({str(p)!r}, b'y' * 100000)\n"
        "except WriteError as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 3, r.stderr
    assert "previous version is kept" in r.stdout
    assert p.read_bytes() == b"x" * 1000
    assert sorted(os.listdir(tmp_path)) == ["big.yml"]


def test_kill_during_write_leaves_old_or_new_never_partial(tmp_path):
    p = tmp_path / "c.yml"
    old, new = b"old\n" * 250_000, b"new\n" * 250_000
    p.write_bytes(old)
    code = f"from ledger.core.atomic import write_atomic\nwhile True:\n    write_atomic({str(p)!r}, b'new\\n' * 250_000)\n"
    for delay in (0.05, 0.1, 0.15, 0.2, 0.3):
        proc = subprocess.Popen([sys.executable, "-c", code])
        time.sleep(delay)
        proc.kill()
        proc.wait()
        assert p.read_bytes() in (old, new)


def test_writer_lock_serialises_processes_and_is_reentrant(tmp_path):
    with writer_lock(tmp_path):
        with writer_lock(tmp_path):  # re-entrant within the process
            pass
        code = (
            "import sys, time\nfrom ledger.core.atomic import writer_lock\n"
            f"print('waiting', flush=True)\nwith writer_lock({str(tmp_path)!r}):\n    print(time.time())\n"
        )
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline() == "waiting\n"
        time.sleep(0.5)
        released = time.time()
    out, _ = proc.communicate(timeout=20)
    assert float(out) >= released  # the child got the lock only after we let it go


def test_writer_lock_excludes_other_threads_of_the_process(tmp_path):
    # re-entrancy is per thread: a second thread waits like a second process (four importer threads
    # used to walk in as "re-entrant" and then fail with a KeyError on the way out)
    import threading

    inside, overlaps, errors = [0], [], []

    def work():
        try:
            for _ in range(20):
                with writer_lock(tmp_path):
                    with writer_lock(tmp_path):
                        inside[0] += 1
                        overlaps.append(inside[0])
                        time.sleep(0.001)
                        inside[0] -= 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert max(overlaps) == 1 and len(overlaps) == 80
