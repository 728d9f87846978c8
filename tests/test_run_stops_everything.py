"""run.py stops everything it started, on SIGTERM as on Ctrl-C: runserver's autoreloader serves
from a child process, which a signal to the reloader alone left serving (seen twice)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A stand-in for runserver's autoreloader: it starts the process that serves (writing its pid)
# and waits; neither stops on its own.
RELOADER = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open(sys.argv[1], "w").write(str(child.pid))
time.sleep(300)
"""

SUPERVISOR = """
import sys
sys.path.insert(0, {root!r})
import run
sys.exit(run.supervise([[sys.executable, "-c", {reloader!r}, {pidfile!r}]]))
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_for(path: Path, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError("the stand-in reloader never started its child")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_the_reloaders_child_too(tmp_path, signum):
    pidfile = tmp_path / "child.pid"
    code = SUPERVISOR.format(root=str(ROOT), reloader=RELOADER, pidfile=str(pidfile))
    supervisor = subprocess.Popen([sys.executable, "-c", code])
    try:
        child = _wait_for(pidfile)
        assert _alive(child)
        supervisor.send_signal(signum)
        assert supervisor.wait(timeout=30) is not None
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the serving child outlived run.py"
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
