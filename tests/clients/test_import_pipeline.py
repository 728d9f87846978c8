"""Issue 6, performance: the client import reads and cleans rows in a second thread while the
caller's thread writes (stream_chunks(pipelined=True)). The pipelined loop must give exactly
what the sequential loop gives: the same writes, report, error order and progress calls, the
same file error at the same point, and no thread left behind when either side fails."""

import threading
from dataclasses import dataclass

import pytest
from django.utils import timezone, translation

from infra.tabular import ImportFileError, ImportReport, RowError, stream_chunks


@dataclass
class Item:
    key: str


class FakeTable:
    """rows() as Table.rows(): (row number, values); optionally a file error after a row."""

    def __init__(self, values, *, fail_after=None):
        self.values = values
        self.fail_after = fail_after
        self.total_rows = len(values)

    def rows(self):
        for n, v in enumerate(self.values, start=2):
            if self.fail_after is not None and n > self.fail_after:
                raise ImportFileError(f"bad bytes in row {n}")
            yield n, [v]


def run(table, *, pipelined, size=3, fail_write_at=None, seen_context=None):
    report = ImportReport()
    writes, progress = [], []

    def clean(row, values, sink=report):
        if seen_context is not None:
            seen_context.add((translation.get_language(), timezone.get_current_timezone_name()))
        value = values[0]
        if value.startswith("bad"):
            sink.add_error(RowError(row, "key", value, "bad value"))
            return None
        return Item(value)

    def write(chunk):
        if fail_write_at is not None and len(writes) == fail_write_at:
            raise RuntimeError("write failed")
        writes.append([i.key for i in chunk])

    try:
        stream_chunks(
            table,
            report,
            clean=clean,
            duplicate=lambda row, item, first: RowError(row, "key", item.key, f"dup of {first}"),
            write=write,
            progress=lambda done, total: progress.append((done, total)),
            size=size,
            pipelined=pipelined,
        )
        outcome = None
    except (ImportFileError, RuntimeError) as err:
        outcome = f"{type(err).__name__}: {err}"
    return {
        "outcome": outcome,
        "writes": writes,
        "progress": progress,
        "total": report.total,
        "errors": [(e.row, e.value, e.message) for e in report.errors],
        "error_count": report.error_count,
    }


VALUES = ["a", "bad1", "b", "a", "c", "d", "bad2", "e", "f", "b", "g", "h", "bad3", "i", "j"]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 100])
def test_the_pipelined_loop_gives_what_the_sequential_loop_gives(size):
    sequential = run(FakeTable(VALUES), pipelined=False, size=size)
    assert sequential["outcome"] is None and sequential["error_count"] == 5
    assert run(FakeTable(VALUES), pipelined=True, size=size) == sequential


def test_many_errors_without_a_full_chunk_are_all_reported_in_order():
    values = [f"bad{i}" for i in range(50)] + ["a"]
    sequential = run(FakeTable(values), pipelined=False, size=4)
    assert sequential["error_count"] == 50
    assert run(FakeTable(values), pipelined=True, size=4) == sequential


@pytest.mark.parametrize("fail_after", [2, 5, 9, 15])
def test_a_file_error_mid_stream_comes_after_the_same_writes(fail_after):
    sequential = run(FakeTable(VALUES, fail_after=fail_after), pipelined=False)
    assert sequential["outcome"].startswith("ImportFileError")
    pipelined = run(FakeTable(VALUES, fail_after=fail_after), pipelined=True)
    assert pipelined == sequential


@pytest.mark.parametrize("fail_write_at", [0, 1, 2])
def test_a_failed_write_stops_the_reader_with_the_report_of_that_point(fail_write_at):
    before = threading.active_count()
    sequential = run(FakeTable(VALUES * 20), pipelined=False, fail_write_at=fail_write_at)
    pipelined = run(FakeTable(VALUES * 20), pipelined=True, fail_write_at=fail_write_at)
    assert pipelined["outcome"] == "RuntimeError: write failed"
    assert pipelined == sequential
    assert threading.active_count() == before  # the reading thread has ended


def test_the_reader_uses_the_callers_language_and_time_zone():
    seen = set()
    with translation.override("zh-hans"), timezone.override("Asia/Shanghai"):
        run(FakeTable(VALUES), pipelined=True, seen_context=seen)
    assert seen == {("zh-hans", "Asia/Shanghai")}
    seen.clear()
    with translation.override("en"), timezone.override("UTC"):
        run(FakeTable(VALUES), pipelined=True, seen_context=seen)
    assert seen == {("en", "UTC")}
