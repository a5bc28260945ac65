"""How long-running library calls report progress without knowing about terminals.

The library calls a `Reporter`; the CLI hands in one that draws rich bars on a TTY,
prints plain lines otherwise, or stays silent. Library users get `SILENT` by default.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Reporter(Protocol):
    def start(self, label: str, total: float | None, unit: str = "") -> None:
        """Begin a measured step (one bar); `total` None when unknown."""

    def advance(self, amount: float = 1, detail: str = "") -> None:
        """Move the current step forward; `detail` is a short status (file name...)."""

    def finish(self) -> None:
        """End the current step."""

    def note(self, message: str) -> None:
        """A line for the user (a skipped file, a repair) that must stay visible."""


class _Silent:
    def start(self, label: str, total: float | None, unit: str = "") -> None:
        pass

    def advance(self, amount: float = 1, detail: str = "") -> None:
        pass

    def finish(self) -> None:
        pass

    def note(self, message: str) -> None:
        pass


SILENT: Reporter = _Silent()


@contextmanager
def step(reporter: Reporter, label: str, total: float | None, unit: str = "") -> Iterator[Reporter]:
    reporter.start(label, total, unit)
    try:
        yield reporter
    finally:
        reporter.finish()
