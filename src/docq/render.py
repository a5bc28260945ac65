"""Terminal output for the CLI: progress on stderr, answers on stdout.

Rich bars only when stderr is a terminal; plain lines otherwise; no colour when
NO_COLOR is set or the stream is not a terminal (clig.dev).
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO, TYPE_CHECKING

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

if TYPE_CHECKING:
    from docq.evaluation.runner import EvalReport
    from docq.llm.kvcache import CacheEntry
    from docq.pipeline.doctor import DoctorReport
    from docq.pipeline.status import IndexStatus


def is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """`docq ask ... | head`: the reader has what it wanted. Rich exits 1 here; a
        reader that leaves early is no failure, so docq goes on quietly (and exits 0)."""
        self.quiet = True
        raise BrokenPipeError


def console_for(stream: IO[str]) -> Console:
    tty = is_tty(stream)
    return _Console(
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
            self._progress.update(self._task, advance=amount, detail=detail[:72], rate=rate)

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
        console.print(result.text, markup=False, highlight=False, soft_wrap=plain)
    if not result.citations:
        return
    if plain:
        console.print("\nSources:", markup=False)
    for n, c in enumerate(result.citations, start=1):
        title = f"{c.title} — " if c.title and c.title != Path(c.source).stem else ""
        if plain:
            where = f"{title}{c.source}" + (f", page {c.page}" if c.page is not None else "")
            console.print(f'[{n}] {where}: "{c.text}"', markup=False, soft_wrap=True)
        else:
            name = Path(c.source).name + (f":{c.page}" if c.page is not None else "")
            quote = c.text if len(c.text) <= 160 else c.text[:157] + "…"
            console.print(f"  [{n}] {title}{name}  “{quote}”", style="dim", markup=False, highlight=False)


# -- reports of the other commands (stdout) ---------------------------------------------


def render_status(st: IndexStatus, console: Console) -> None:
    if st.consistent:
        consistent = "yes"
    elif st.pending_files:
        consistent = f"no: {st.pending_files} file(s) half-indexed by an interrupted run; `docq ingest` finishes them"
    elif st.vector_store != "chroma":
        consistent = f"no: {st.vector_store}; run `docq reindex`"
    else:
        consistent = (
            f"no: {st.missing_vectors} missing, {st.orphan_vectors} orphan vectors; run `docq ingest` or `docq reindex`"
        )
    rows = [
        ("data dir", st.data_dir),
        ("vectors at", st.chroma),
        ("files", f"{st.files:,}" + (f" ({st.pending_files} pending)" if st.pending_files else "")),
        ("pages", f"{st.pages:,}"),
        ("chunks", f"{st.chunks:,} ({st.tokens:,} tokens)"),
        ("vectors", f"{st.vectors:,}" if st.vector_store == "chroma" else f"not checked: {st.vector_store}"),
        ("bm25 entries", f"{st.bm25_entries:,}" + ("" if st.bm25_current else " (out of date)")),
        ("consistent", consistent),
        ("answer model", st.answer_model + ("" if st.answer_model_ready else " (assembled on first use)")),
        ("embedding model", st.embed_model),
    ]
    for name, value in rows:
        console.print(f"{name:<16} {value}", markup=False)
    for f in st.file_list:
        record = f.record
        pending = ", pending" if record.status != "ready" else ""
        read_by = ", ".join(
            f"{n} {'without text' if name == 'none' else f'by {name}'}"
            for name, n in sorted(f.extractors.items())
            if name
        )
        console.print(f"  {record.path}", markup=False)
        console.print(
            f"      “{record.title}” · {record.kind.value}, {record.pages} page{'s' if record.pages != 1 else ''}, "
            f"{record.tokens:,} tokens" + (f" · pages {read_by}" if read_by else "") + pending,
            markup=False,
        )


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render_eval(report: EvalReport, console: Console) -> None:
    from rich.table import Table

    split = "" if report.split == "all" else f", {report.split} half"
    table = Table(title=f"docq eval {report.set_name} ({report.questions} questions{split})")
    columns = ["EM", "F1", "right", "grounded", "abstain P", "abstain R", f"recall@{report.k}", "prompt tok"]
    for column in (*columns, "TTFT p50", "total p50"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{report.em:.3f}",
        f"{report.f1:.3f}",
        f"{report.right:.3f}",
        _ratio(report.grounded),
        _ratio(report.abstention_precision),
        _ratio(report.abstention_recall),
        _ratio(report.recall_at_k),
        f"{report.mean_prompt_tokens:,.0f}",
        f"{report.median_first_token_ms / 1000:.1f}s",
        f"{report.median_total_ms / 1000:.1f}s",
    )
    routes = Table(title="by route")
    for column in ("route", "questions", "F1", "prompt tok", "total p50"):
        routes.add_column(column, justify="right")
    for name, figures in sorted(report.routes.items()):
        routes.add_row(
            name,
            str(figures.questions),
            f"{figures.f1:.3f}",
            f"{figures.mean_prompt_tokens:,.0f}",
            f"{figures.median_total_ms / 1000:.1f}s",
        )
    console.print(table)
    console.print(routes)
    if report.grounded is not None:
        kinds = Table(title="by kind")
        for column in ("kind", "questions", "right", "grounded"):
            kinds.add_column(column, justify="right")
        for name, kind in sorted(report.kinds.items()):
            kinds.add_row(name, str(kind.questions), str(kind.right), str(kind.grounded))
        console.print(kinds)


def render_doctor(report: DoctorReport, console: Console) -> None:
    console.print("settings (value · source · environment variable)", style="bold", markup=False)
    for name, value, source, env in report.settings:
        console.print(f"  {name:<20} {value or '-'}  · {source} · {env}", markup=False)
    console.print(
        "decision constants (value · where it comes from; --set group.name=value)", style="bold", markup=False
    )
    for name, value, why in report.tuning:
        console.print(f"  {name:<32} {value}  · {why}", markup=False)
    console.print("checks", style="bold", markup=False)
    for check in report.checks:
        mark = "ok  " if check.ok else "FAIL"
        console.print(f"  {mark} {check.name:<16} {check.detail}", markup=False)


def render_cache(entries: list[CacheEntry], cap_mb: int, console: Console) -> None:
    total = sum(e.size for e in entries)
    console.print(f"{len(entries)} saved states, {total / 2**20:,.1f} MB of {cap_mb:,} MB", markup=False)
    for e in entries:
        age = (time.time() - e.last_used) / 60
        console.print(
            f"  {e.path.name}  {e.tokens:,} tokens  {e.size / 2**20:,.1f} MB  used {age:,.0f} min ago  {e.model}",
            markup=False,
        )
