"""Every file docq writes, in the data dir and in the cache: never through a link.

A data dir may sit on shared storage that others can write. A symbolic link planted there
under a name docq writes (the lock, a temporary file, a backup, a KV state) would make a
colleague's docq overwrite any file that colleague may write. So a file is written under
a fresh temporary name that cannot already exist (a random part, opened with O_EXCL and
O_NOFOLLOW), then renamed over its real name: a rename replaces a link, never its target.
A file kept open in place (the lock, the catalog and its journal files) is refused when
it is a link.

Temporary names end in `-PID` (`NAME.tmp-RANDOM-PID`), so the next writer can remove what
a killed one left (store.orphans).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from docq.errors import DocqError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class LinkRefusedError(DocqError):
    """A file docq would write or keep open in place is a symbolic link."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path}: is a symbolic link; docq never writes through links in its data dir or cache "
            "(someone else may have planted it): remove the link"
        )


def refuse_link(path: Path) -> None:
    """Raise LinkRefusedError when `path` is a symbolic link (a missing path is fine)."""
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise LinkRefusedError(path)
    except FileNotFoundError:
        pass


def refuse_links_under(folder: Path) -> None:
    """Raise LinkRefusedError for the first link at or under `folder` (for a store another
    library writes in place, such as Chroma's files)."""
    refuse_link(folder)
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in (*dirs, *files):
            refuse_link(Path(root) / name)


def open_in_place(path: Path, flags: int, mode: int = 0o644) -> int:
    """os.open that refuses a link at `path` (for files kept open: the write lock)."""
    try:
        return os.open(path, flags | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as exc:
        if _NOFOLLOW and exc.errno == 40:  # ELOOP: the last component is a link
            raise LinkRefusedError(path) from None
        raise


def temporary_beside(target: Path, kind: str = "tmp") -> Path:
    """Create an empty file beside `target` under a name nobody could have planted;
    returns its path (the caller writes it, then `publish`es or removes it)."""
    while True:
        path = target.with_name(f"{target.name}.{kind}-{secrets.token_hex(6)}-{os.getpid()}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o644)
        except FileExistsError:  # 48 random bits taken: try another
            continue
        os.close(fd)
        return path


def publish(temporary: Path, target: Path) -> None:
    """Rename a finished temporary file over `target` (a link there is replaced, not followed)."""
    os.replace(temporary, target)


@contextlib.contextmanager
def replacing(target: Path, kind: str = "tmp") -> Iterator[Path]:
    """A fresh temporary file beside `target` to write; renamed over `target` when the
    block succeeds, removed when it fails."""
    temporary = temporary_beside(target, kind)
    try:
        yield temporary
        publish(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_file(target: Path, data: bytes, *, sync: bool = False) -> None:
    """Write `data` to `target` atomically and without following a link."""
    with replacing(target) as temporary:
        fd = os.open(temporary, os.O_WRONLY | _NOFOLLOW | _CLOEXEC)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if sync:
                f.flush()
                os.fsync(f.fileno())


def read_regular(path: Path, max_bytes: int) -> bytes | None:
    """The bytes of a regular file of at most `max_bytes`; None for a link, a device, a
    folder, a larger file or one that cannot be read (nothing read back is believed
    before its size is: a link to /dev/zero would never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            return None
        data = f.read(max_bytes + 1)
    return data if len(data) <= max_bytes else None


def is_regular_file(path: Path) -> bool:
    """A regular file itself, not a link to one."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
