"""Terminal output for the CLI: progress on stderr, answers on stdout.

Rich bars only when stderr is a terminal; plain lines otherwise; no colour when
NO_COLOR is set or the stream is not a terminal (clig.dev).
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO

from rich.console import Console
from rich.live import Live
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from docq.progress import SILENT, Reporter
from docq.types import Answer


def is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def console_for(stream: IO[str]) -> Console:
    tty = is_tty(stream)
    return Console(
        file=stream,
        force_terminal=tty,
        no_color=bool(os.environ.get("NO_COLOR")) or not tty,
        highlight=False,
        soft_wrap=not tty,
    )


class RichReporter:
    """Bars with counts, rate and ETA on a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def start(self, label: str, total: float | None, unit: str = "") -> None:
        self.finish()
        if unit == "B":
            columns = [DownloadColumn(), TransferSpeedColumn()]
        else:
            columns = [MofNCompleteColumn(), TextColumn(f"{unit}"), TextColumn("{task.fields[rate]}")]
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            *columns,
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("[dim]{task.fields[detail]}"),
            console=self.console,
            transient=True,
        )
        self._progress.start()
        self._started = time.perf_counter()
        self._task = self._progress.add_task(label, total=total, detail="", rate="")

    def advance(self, amount: float = 1, detail: str = "") -> None:
        if self._progress is not None and self._task is not None:
            task = self._progress.tasks[0]
            elapsed = max(time.perf_counter() - self._started, 1e-6)
            rate = f"{(task.completed + amount) / elapsed:.1f}/s"
            self._progress.update(self._task, advance=amount, detail=detail[:60], rate=rate)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None

    def note(self, message: str) -> None:
        self.console.print(message, markup=False)


class LineReporter:
    """No bars when stderr is not a terminal: only the notes, as plain lines."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def start(self, label: str, total: float | None, unit: str = "") -> None:
        pass

    def advance(self, amount: float = 1, detail: str = "") -> None:
        pass

    def finish(self) -> None:
        pass

    def note(self, message: str) -> None:
        print(message, file=self.stream, flush=True)


def reporter_for(quiet: bool = False) -> Reporter:
    if quiet:
        return SILENT
    if is_tty(sys.stderr):
        return RichReporter(console_for(sys.stderr))
    return LineReporter(sys.stderr)


class AnswerStream:
    """Shows an answer as it is generated: live on a terminal, not at all otherwise
    (piped output gets only the final text). A new route restarts the live text."""

    def __init__(self, console: Console | None) -> None:
        self.console = console
        self._text = ""
        self._live: Live | None = None

    def __call__(self, piece: str) -> None:
        if self.console is None:
            return
        if self._live is None:
            self._live = Live("", console=self.console, transient=True, refresh_per_second=12)
            self._live.start()
        self._text += piece
        self._live.update(self._text.strip())

    def restart(self) -> None:
        self._text = ""
        if self._live is not None:
            self._live.update("")

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def render_answer(result: Answer, console: Console, plain: bool) -> None:
    """The answer on stdout, then its sources (dim on a terminal)."""
    from pathlib import Path

    if result.abstained:
        console.print("Not found in the documents.", markup=False)
    else:
        console.print(result.text, markup=False, highlight=False)
    if not result.citations:
        return
    if plain:
        console.print("\nSources:", markup=False)
    for n, c in enumerate(result.citations, start=1):
        where = f"{c.source}" + (f", page {c.page}" if c.page is not None else "")
        if plain:
            console.print(f'[{n}] {where}: "{c.text}"', markup=False, soft_wrap=True)
        else:
            name = Path(c.source).name + (f":{c.page}" if c.page is not None else "")
            quote = c.text if len(c.text) <= 160 else c.text[:157] + "…"
            console.print(f"  [{n}] {name}  “{quote}”", style="dim", markup=False, highlight=False)
