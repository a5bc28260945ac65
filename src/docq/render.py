"""Terminal output for the CLI: progress on stderr, answers on stdout.

Rich bars only when stderr is a terminal; plain lines otherwise; no colour when
NO_COLOR is set or the stream is not a terminal (clig.dev).
"""

from __future__ import annotations

import os
import re
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
from rich.text import Text

from docq.progress import SILENT, Reporter
from docq.types import Answer

if TYPE_CHECKING:
    from docq.evaluation.runner import EvalReport
    from docq.llm.kvcache import CacheEntry
    from docq.pipeline.doctor import DoctorReport
    from docq.pipeline.status import IndexStatus


# Characters that would act on a terminal or hide text instead of showing: C0 and C1
# controls (ESC starts a terminal command, CR overwrites a line), DEL, and the invisible
# format characters that reorder or hide text (bidi overrides, zero-width, BOM).
_ACTING = "\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_ACTING_IN_TEXT = re.compile(f"[{_ACTING}]")
_ACTING_IN_NAME = re.compile(f"[{_ACTING}\\n\\t]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, lines: bool = False) -> str:
    """`text` with every character that would act on a terminal written as an escape
    (ESC as `\\x1b`): what a document, a file name or a title holds is shown, never obeyed.
    `lines` keeps line breaks and tabs (an answer, a quote); names and one-line messages
    show them escaped too, so a file name cannot split a listing."""
    return (_ACTING_IN_TEXT if lines else _ACTING_IN_NAME).sub(_escape, text)


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
            self._progress.update(self._task, advance=amount, detail=visible(detail)[:72], rate=rate)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None

    def note(self, message: str) -> None:
        self.console.print(visible(message), markup=False, highlight=False)


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
        print(visible(message), file=self.stream, flush=True)


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
        self._live.update(Text(visible(self._text.strip(), lines=True)))

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
        console.print(visible(result.text, lines=True), markup=False, highlight=False, soft_wrap=plain)
    if not result.citations:
        return
    if plain:
        console.print("\nSources:", markup=False)
    for n, c in enumerate(result.citations, start=1):
        title = f"{visible(c.title)} — " if c.title and c.title != Path(c.source).stem else ""
        quote = visible(c.text, lines=True)
        if plain:
            where = f"{title}{visible(c.source)}" + (f", page {c.page}" if c.page is not None else "")
            console.print(f'[{n}] {where}: "{quote}"', markup=False, highlight=False, soft_wrap=True)
        else:
            name = visible(Path(c.source).name) + (f":{c.page}" if c.page is not None else "")
            quote = quote if len(quote) <= 160 else quote[:157] + "…"
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
        console.print(f"{name:<16} {visible(str(value))}", markup=False, highlight=False)
    for f in st.file_list:
        record = f.record
        pending = ", pending" if record.status != "ready" else ""
        read_by = ", ".join(
            f"{n} {'without text' if name == 'none' else f'by {name}'}"
            for name, n in sorted(f.extractors.items())
            if name
        )
        console.print(f"  {visible(record.path)}", markup=False, highlight=False)
        console.print(
            f"      “{visible(record.title)}” · {record.kind.value}, {record.pages} page{'s' if record.pages != 1 else ''}, "
            f"{record.tokens:,} tokens" + (f" · pages {read_by}" if read_by else "") + pending,
            markup=False,
            highlight=False,
        )
        if f.card is not None and (f.card.year or f.card.authors):
            year = f"{f.card.year} · " if f.card.year else ""
            console.print(f"      {year}{visible(f.card.authors)}", markup=False, highlight=False)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render_eval(report: EvalReport, console: Console) -> None:
    from rich.table import Table

    split = "" if report.split == "all" else f", {report.split} half"
    table = Table(title=f"docq eval {visible(report.set_name)} ({report.questions} questions{split})")
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
        console.print(f"  {name:<20} {visible(value) or '-'}  · {source} · {env}", markup=False, highlight=False)
    console.print(
        "decision constants (value · where it comes from; --set group.name=value)", style="bold", markup=False
    )
    for name, value, why in report.tuning:
        console.print(f"  {name:<32} {value}  · {why}", markup=False)
    console.print("checks", style="bold", markup=False)
    for check in report.checks:
        mark = "ok  " if check.ok else "FAIL"
        console.print(f"  {mark} {check.name:<16} {visible(check.detail)}", markup=False, highlight=False)


def render_cache(entries: list[CacheEntry], cap_mb: int, console: Console) -> None:
    total = sum(e.size for e in entries)
    console.print(f"{len(entries)} saved states, {total / 2**20:,.1f} MB of {cap_mb:,} MB", markup=False)
    for e in entries:
        age = (time.time() - e.last_used) / 60
        console.print(
            f"  {e.path.name}  {e.tokens:,} tokens  {e.size / 2**20:,.1f} MB  used {age:,.0f} min ago  {visible(e.model)}",
            markup=False,
            highlight=False,
        )
