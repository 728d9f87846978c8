"""Issue 6: a 100,000-row file through the command stays under the memory bound (500 MB).

The import runs in a fresh Python process (so that its peak is its own, not this test run's)
on a fresh SQLite database file, and reports its peak resident memory: VmHWM of
/proc/self/status, the high-water mark of its own address space. Not ru_maxrss: Linux carries
the parent's peak over an exec (subprocess forks the pytest process), so under a long test run
ru_maxrss reported the test runner's 500 MB, not the import's 150 MB."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from tests.factories import make_uscc

ROWS = 100_000
BOUND_MB = 500
CHILD = """
import os, resource, sys, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("import_clients", sys.argv[1])
from clients.models import Client
print("clients", Client.objects.count())
try:
    with open("/proc/self/status") as status:
        peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
except OSError:  # no /proc (not Linux): ru_maxrss, which may include the parent's peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("peak_kb", peak)
"""


def test_a_100000_row_file_imports_within_the_memory_bound(tmp_path):
    path = tmp_path / "clients.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write("企业名称,统一社会信用代码,城市,地址,员工人数,联系人,联系电话,电子邮箱\r\n")
        for n in range(ROWS):
            out.write(
                f"测试科技有限公司{n},{make_uscc(n)},北京,北京市海淀区{n}号,{10 + n % 500},"
                f"张三,010-{n:08d},a{n}@example.cn\r\n"
            )
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="certbody.settings.test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    values = dict(line.split() for line in done.stdout.splitlines() if line.count(" ") == 1)
    assert int(values["clients"]) == ROWS
    peak_mb = int(values["peak_kb"]) / 1024
    print(f"peak RSS of the 100,000-row import: {peak_mb:.0f} MB")
    assert peak_mb < BOUND_MB
