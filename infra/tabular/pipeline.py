"""The loop every import shares: read and clean the rows, report a key seen twice, write the
clean rows a chunk at a time.

:func:`stream_chunks` runs it in the caller's thread, or ``pipelined``: the rows are read and
cleaned in a second thread while this one writes the previous chunk, so the database works while
Python cleans (the client import; measured in docs/benchmarks.md). Both give the same writes,
report, error order and progress calls.
"""

import queue
import sys
import threading

from django.utils import timezone, translation

from .report import RowError

CHUNK = 2000  # rows written at a time, unless the import says otherwise


def stream_chunks(
    table, report, *, clean, duplicate, write, progress=None, size=CHUNK, pipelined=False
):
    """The loop both imports share: clean each row (``clean(row, values)`` gives an item with
    a ``key``, or None with the row's errors reported), report a key seen twice
    (``duplicate(row, item, first_row)`` gives the RowError), and ``write`` clean rows ``size``
    at a time. Rows are written even after an error (the caller rolls back at the end), so a
    preview counts what every valid row would do. ``progress(rows read, rows in the file)``
    after each chunk and at the end.

    ``pipelined``: the rows are read and cleaned in a second thread while this one writes the
    previous chunk (the database works while Python cleans), with the same result: see
    _stream_pipelined. ``clean`` then takes a third argument, where to add the row's errors
    (``add_error``, ``error_count``), and must not use the database."""
    if pipelined:
        _stream_pipelined(table, report, clean, duplicate, write, progress, size)
        return
    seen: dict[str, int] = {}
    chunk = []
    for row, values in table.rows():
        report.total += 1
        item = clean(row, values)
        if item is None:
            continue
        first = seen.setdefault(item.key, row)
        if first != row:
            report.add_error(duplicate(row, item, first))
            continue
        chunk.append(item)
        if len(chunk) >= size:
            write(chunk)
            chunk = []
            if progress:
                progress(report.total, table.total_rows)
    if chunk:
        write(chunk)
    if progress:
        progress(report.total, table.total_rows)


class _ErrorBatch:
    """The row errors the reading thread found since its last message (``add_error`` and
    ``error_count`` as ImportReport's): handed to the writing thread with the next chunk."""

    __slots__ = ("errors",)

    def __init__(self):
        self.errors: list[RowError] = []

    @property
    def error_count(self) -> int:
        return len(self.errors)

    def add_error(self, error: RowError) -> None:
        self.errors.append(error)


_SWITCH_INTERVAL = 0.0005  # seconds
_QUEUED_CHUNKS = 2  # chunks read ahead of the writer: bounds memory
_STOP_TIMEOUT = 30  # seconds to wait for the reading thread once told to stop


def _stream_pipelined(table, report, clean, duplicate, write, progress, size):
    """stream_chunks with the reading in a thread of its own.

    The reading thread reads, cleans and checks the rows for duplicate keys (no database) and
    queues messages ``(rows read so far, row errors since the last message, chunk or None,
    last)``: a message per full chunk, one per ``size`` errors without a chunk (memory stays
    bounded), and a last one. This thread applies each message in order as the sequential loop
    would have at that point: the rows read and the errors into ``report``, then ``write`` and
    ``progress``. So ``report`` (and the order of its errors), the writes and the progress
    calls are those of the sequential loop, and all of them happen in this thread. An
    exception of the reading thread (ImportFileError found mid-stream) is raised here when its
    turn comes, after the chunks read before it were written, as the sequential loop would. An
    exception here (a failed write) stops the reading thread; neither side waits for ever."""
    messages = queue.Queue(maxsize=_QUEUED_CHUNKS)
    stop = threading.Event()
    reader = threading.Thread(
        target=_read_ahead,
        args=(table, clean, duplicate, size, messages, stop),
        # Messages are formatted in the caller's language and dates in its time zone, which
        # are per thread.
        kwargs={"language": translation.get_language(), "zone": timezone.get_current_timezone()},
        name="import-reader",
        daemon=True,
    )
    # The writer waits on PostgreSQL ~1,750 times per 100,000 rows and then needs the GIL back
    # from the reader: at the default 5 ms switch interval that wait is a good part of the
    # import (docs/benchmarks.md). A shorter interval while the import runs; restored after.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, _SWITCH_INTERVAL))
    reader.start()
    try:
        while True:
            try:
                message = messages.get(timeout=1)
            except queue.Empty:
                if not reader.is_alive() and messages.empty():
                    raise RuntimeError("the import's reading thread ended early") from None
                continue
            if isinstance(message, BaseException):
                raise message
            total, errors, chunk, last = message
            report.total = total
            for error in errors:
                report.add_error(error)
            if chunk:
                write(chunk)
            if progress and (chunk or last):
                progress(report.total, table.total_rows)
            if last:
                break
    finally:
        stop.set()
        reader.join(_STOP_TIMEOUT)
        sys.setswitchinterval(interval)


def _read_ahead(table, clean, duplicate, size, messages, stop, *, language, zone):
    """The reading thread of _stream_pipelined."""

    def send(message) -> bool:
        while not stop.is_set():
            try:
                messages.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    chunk, errors, total = [], _ErrorBatch(), 0
    try:
        with translation.override(language), timezone.override(zone):
            seen: dict[str, int] = {}
            rows = table.rows()
            try:
                for row, values in rows:
                    if stop.is_set():
                        return
                    total += 1
                    item = clean(row, values, errors)
                    if item is not None:
                        first = seen.setdefault(item.key, row)
                        if first != row:
                            errors.add_error(duplicate(row, item, first))
                        else:
                            chunk.append(item)
                            if len(chunk) >= size:
                                if not send((total, errors.errors, chunk, False)):
                                    return
                                chunk, errors = [], _ErrorBatch()
                                continue
                    if errors.error_count >= size:
                        if not send((total, errors.errors, None, False)):
                            return
                        errors = _ErrorBatch()
            finally:
                rows.close()
            send((total, errors.errors, chunk, True))
    except BaseException as err:  # handed to the writing thread, raised there
        # First the rows read and the errors found before it, as the sequential loop has
        # them in the report when the exception leaves it (the unfinished chunk is not
        # written).
        if send((total, errors.errors, None, False)):
            send(err)
