"""One writer per data dir: ingest, forget and reindex take this lock; readers never do.

The lock is an OS file lock, so a killed process releases it; the pid file only names
the holder in the message the second process shows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from docq.errors import IndexLockedError
from docq.progress import SILENT, Reporter
from docq.store.catalog import check_data_dir


@contextmanager
def write_lock(data_dir: Path, wait: bool = False, reporter: Reporter = SILENT) -> Iterator[None]:
    check_data_dir(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(data_dir / "write.lock"))
    pid_file = data_dir / "write.lock.pid"
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = _holder(pid_file)
        if not wait:
            raise IndexLockedError(
                f"{data_dir}: another docq process is writing this index ({holder}); "
                "wait for it, or pass --wait to queue behind it"
            ) from None
        reporter.note(f"waiting for another docq process ({holder}) to finish writing {data_dir}")
        lock.acquire()
    try:
        pid_file.write_text(str(os.getpid()))
        yield
    finally:
        lock.release()


def _holder(pid_file: Path) -> str:
    try:
        return f"pid {int(pid_file.read_text().strip())}"
    except (OSError, ValueError):
        return "pid unknown"
