"""docq's own exception type and the exit codes the CLI documents."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3  # the documents do not hold the answer (abstention)
    INGEST_PARTIAL = 4  # some files failed; the others were ingested
    LOCKED = 5  # another docq process holds the write lock


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
