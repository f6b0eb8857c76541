"""bench/crash_battery.py --summary: the table reported in RELIABILITY.md is counted from the log's lines."""

from bench.crash_battery import summary

LOG = """# 2026-12-07T12:06:02+00:00 kills=2 seed=1 only=['claim add']
claim add: kill 1/2 at 0.547 s into its run (work 0.21 s of 1.03 s), exit -9, before writing: checked
source add: kill 1/2 at 4.942 s into its work (work 8.30 s of 9.41 s), exit -9, files only: checked
.claim add: kill 2/2 at 0.110 s into its work (work 0.21 s of 1.03 s), exit 0, finished: checked
claim add: 2 kills over a 1.03 s run (0.21 s of work), 1 interrupted it: {'before writing': 1}
PASSED tests/test_crash_writers.py::test_kill_9_at_random_moments_loses_nothing[claim add]
PASSED tests/test_crash_writers.py::test_full_disk_is_a_clear_error_and_loses_nothing[claim add]
FAILED tests/test_crash_writers.py::test_full_disk_is_a_clear_error_and_loses_nothing[source add] - assert
"""


def test_summary_counts_each_command_s_kills_by_outcome(tmp_path):
    log = tmp_path / "battery.log"
    log.write_text(LOG, encoding="utf-8")
    lines = summary(log).splitlines()
    assert "| `claim add` | 2 | 1 | 0 | 0 | 1 | passed |" in lines
    assert "| `source add` | 1 | 0 | 1 | 0 | 0 | failed |" in lines
    assert lines[-1] == "3 kills checked in all."
