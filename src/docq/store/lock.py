"""One writer per data dir: ingest, forget and reindex take this lock; readers never do.

The lock is an OS lock (flock) on `write.lock`, so a killed process releases it; the
holder writes its pid into the file it holds, only to name itself in the message a
second writer shows. The file is opened without following a link (store.writes): a link
planted under its name is refused, never written through.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from docq.errors import IndexLockedError
from docq.progress import SILENT, Reporter
from docq.store.catalog import check_data_dir
from docq.store.writes import open_in_place

LOCK_FILE = "write.lock"
_POLL = 0.2  # seconds between tries while waiting (--wait)


@contextmanager
def write_lock(data_dir: Path, wait: bool = False, reporter: Reporter = SILENT) -> Iterator[None]:
    check_data_dir(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_FILE
    fd = open_in_place(path, os.O_RDWR | os.O_CREAT)
    try:
        if not _try_lock(fd):
            holder = _holder(fd)
            if not wait:
                raise IndexLockedError(
                    f"{data_dir}: another docq process is writing this index ({holder}); "
                    "wait for it, or pass --wait to queue behind it"
                )
            reporter.note(f"waiting for another docq process ({holder}) to finish writing {data_dir}")
            while not _try_lock(fd):
                time.sleep(_POLL)  # short sleeps: Ctrl-C is answered between them
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(fd: int) -> str:
    try:
        return f"pid {int(os.pread(fd, 32, 0).decode().strip())}"
    except (OSError, ValueError):
        return "pid unknown"
