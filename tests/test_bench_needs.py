"""The benchmarks say what they need and how to install it before a run starts
(bench/needs.py), instead of failing halfway through."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _run(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(BENCH)!r}); {code}"],
        capture_output=True,
        text=True,
        env={"PATH": "/nonexistent", **env},
        timeout=60,
    )


def test_a_missing_tool_is_named_with_how_to_install_it():
    done = _run("import needs; needs.need_tool('wrk', 'the load generator')")
    assert done.returncode == 2
    assert "needs wrk (the load generator)" in done.stderr
    assert "apt-get install wrk" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_postgresql_server_that_does_not_answer_is_named():
    done = _run("import needs; needs.need_postgres('postgres://postgres@127.0.0.1:1/bench')")
    assert done.returncode == 2
    assert "needs a PostgreSQL server at 127.0.0.1:1" in done.stderr
    assert "pg_ctlcluster" in done.stderr
    assert "Traceback" not in done.stderr
