"""docq's own exception type and the exit codes the CLI documents."""

from __future__ import annotations

import errno
import os
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3  # the documents do not hold the answer (abstention)
    INGEST_PARTIAL = 4  # some files failed; the others were ingested
    LOCKED = 5  # another docq process holds the write lock
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


class DocqError(Exception):
    """An expected failure: the CLI prints it as one line, no traceback."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ModelError(DocqError):
    """A model file is missing, corrupt or cannot be loaded."""


class ReadError(DocqError):
    """A file that cannot be ingested; the message is the reason, without the path."""


class IndexLockedError(DocqError):
    exit_code = ExitCode.LOCKED


class UsageError(DocqError):
    exit_code = ExitCode.USAGE


class NoIndexError(DocqError):
    """A reading command pointed at a folder that holds no index."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(
            f"{data_dir}: no docq index here; run `docq ingest PATH` first, or check --data-dir / DOCQ_HOME for a typo"
        )


class CatalogDamagedError(DocqError):
    """The catalog (the source of truth) cannot be read as a database."""

    def __init__(self, path: Path, reason: str) -> None:
        backup = backup_path(path)
        if _readable_catalog(backup):
            advice = (
                f"a copy from the last good ingest is at {backup}: "
                f"`mv {path} {path}.damaged && cp {backup} {path} && docq reindex`, "
                "then `docq ingest` your folders again to pick up later changes"
            )
        else:
            damaged = " (its backup copy is damaged too)" if os.path.lexists(backup) else ""
            advice = f"move {path.parent} aside and run `docq ingest` on your documents again to rebuild it{damaged}"
        super().__init__(f"{path}: the catalog is damaged ({reason}); {advice}")


def _readable_catalog(path: Path) -> bool:
    """A backup worth offering: a regular file SQLite reads whole, holding docq's tables."""
    import sqlite3
    import stat

    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except (OSError, sqlite3.Error):
        return False
    try:
        if conn.execute("PRAGMA quick_check").fetchone() != ("ok",):
            return False
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {"meta", "files", "chunks"} <= tables
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def backup_path(catalog: Path) -> Path:
    return catalog.with_name(catalog.name + ".bak")


class VectorStoreError(DocqError):
    """Chroma cannot be opened or written; the catalog still holds every chunk and vector."""


_NO_ROOM = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
_NO_ACCESS = (errno.EACCES, errno.EPERM, errno.EROFS)


def describe_failure(exc: BaseException, data_dir: Path) -> str:
    """One line for a failure docq did not raise itself (the OS, SQLite, Chroma), naming
    the file and what to do. Every one of them leaves the index as the last completed
    step left it: the catalog commits one file at a time."""
    import sqlite3

    message = " ".join(str(exc).split())
    lowered = message.lower()
    catalog = data_dir / "catalog.sqlite"
    if (isinstance(exc, OSError) and exc.errno in _NO_ROOM) or "disk is full" in lowered or "no space" in lowered:
        where = getattr(exc, "filename", None) or (catalog if isinstance(exc, sqlite3.Error) else data_dir)
        return f"{where}: no space left on the disk ({free_space(data_dir)}); free some and run the command again"
    if (
        (isinstance(exc, OSError) and exc.errno in _NO_ACCESS)
        or "readonly database" in lowered
        or "read-only" in lowered
    ):
        where = getattr(exc, "filename", None) or (catalog if isinstance(exc, sqlite3.Error) else data_dir)
        return (
            f"{where}: permission denied for user {_user()}; ingest, forget and reindex need write access "
            f"to {data_dir} (ask and status read a read-only index as it is)"
        )
    if "i/o error" in lowered:
        where = getattr(exc, "filename", None) or (catalog if isinstance(exc, sqlite3.Error) else data_dir)
        return f"{where}: the disk refused a write ({message[:80]}; {free_space(data_dir)}); free space or check the disk, then run the command again"
    if isinstance(exc, sqlite3.DatabaseError):
        return str(CatalogDamagedError(catalog, message))
    if type(exc).__module__.startswith("chromadb"):
        return (
            f"{data_dir / 'chroma'}: the vector store failed ({message[:120]}; {free_space(data_dir)}); "
            "if the disk is full, free space and run the command again, else `docq reindex` rebuilds it from the catalog"
        )
    if isinstance(exc, MemoryError):
        return "out of memory; try a smaller model (--model qwen2.5-coder-0.5b) or fewer passages (--top-k)"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or message}"
    return f"unexpected error: {type(exc).__name__}: {message[:200]} (run with --verbose for the traceback)"


def free_space(data_dir: Path) -> str:
    import shutil

    probe = data_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return "free space unknown"
    return f"{free / 2**20:,.0f} MB free on {probe}"


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
