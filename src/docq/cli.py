"""The `docq` command: parse, call the library, render. No logic beyond that.

Exit codes: 0 ok · 1 error · 2 usage · 3 not found in the documents (abstained) ·
4 some files failed to ingest · 5 another process is writing the index · 130 interrupted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import json
import sys
import traceback
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from docq.errors import DocqError, ExitCode
from docq.version import __version__

app = typer.Typer(
    name="docq",
    help="Answer questions about your own documents with a local LLM.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=(
        "Examples:\n\n"
        "  docq ingest ~/papers\n\n"
        '  docq ask "Which paper reports the largest context window?"\n\n'
        '  echo "Who wrote it?" | docq ask --json | jq .answer\n\n'
        "Exit codes: 0 ok, 1 error, 2 usage, 3 not found in the documents, "
        "4 some files failed to ingest, 5 index locked by another process."
    ),
)
cache_app = typer.Typer(help="Saved KV states of documents (the full route's prefill cache).", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@dataclass
class CliState:
    overrides: dict[str, Any] = field(default_factory=dict)
    verbose: bool = False
    quiet: bool = False


F = TypeVar("F", bound=Callable[..., Any])


def _state(ctx: typer.Context) -> CliState:
    return ctx.find_root().obj or CliState()


def _fail(message: str, code: int, verbose: bool) -> None:
    from docq.render import visible

    if verbose:
        traceback.print_exc(file=sys.stderr)
    print(f"docq: {visible(message)}", file=sys.stderr)
    _said.add(code)
    raise typer.Exit(code)


_said: set[int] = set()  # exit codes whose one line has been printed


def handles_errors(fn: F) -> F:
    """Expected failures become one line on stderr and their exit code; a traceback only with --verbose."""

    @functools.wraps(fn)
    def wrapper(ctx: typer.Context, *args: Any, **kwargs: Any) -> Any:
        state = _state(ctx)
        try:
            result = fn(ctx, *args, **kwargs)
            sys.stdout.flush()  # a full or failing stdout is reported here, not at exit
            return result
        except DocqError as exc:
            _fail(str(exc), int(exc.exit_code), state.verbose)
        except KeyboardInterrupt:
            _fail("interrupted; anything half-written is repaired by the next run", 130, state.verbose)
        except BrokenPipeError:  # `docq ask ... | head`: the reader left, nothing to report
            _quiet_stdout()
            raise typer.Exit(0) from None
        except (typer.Exit, typer.Abort, SystemExit):
            with contextlib.suppress(OSError):
                sys.stdout.flush()
            raise
        except _OutputError as exc:  # `docq status > /dev/full`: the output's fault, not the index's
            _quiet_stdout()
            _fail(f"cannot write to standard output ({exc.strerror or exc})", int(ExitCode.ERROR), state.verbose)
        except Exception as exc:  # the OS, SQLite, Chroma: one line naming the file, not a traceback
            from docq.errors import describe_failure

            _fail(describe_failure(exc, _data_dir(state)), int(ExitCode.ERROR), state.verbose)

    return wrapper  # type: ignore[return-value]


class _OutputError(OSError):
    """Writing to standard output failed (a full disk behind a redirection, a closed pipe)."""


class _GuardedOutput:
    """Standard output whose failures say they are standard output's, so they are not
    blamed on the data dir (whose disk may be another one)."""

    def __init__(self, stream: typing.TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _OutputError(exc.errno, exc.strerror) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _OutputError(exc.errno, exc.strerror) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _quiet_stdout() -> None:
    """The reader of stdout is gone: point stdout at /dev/null so the flush at exit does
    not fail again (Python would print an error and exit 1)."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _data_dir(state: CliState) -> Path:
    try:
        from docq.config import load_settings

        return load_settings(state.overrides).data_dir
    except DocqError:
        return Path(state.overrides.get("data_dir") or ".")


def knob_options(*groups: str) -> Callable[[F], F]:
    """Add a flag for every setting of these groups (config.KNOBS) to a command, generated
    from the settings table so the flags cannot drift from it; the command receives the
    given ones as `knobs` (a dict of overrides, None meaning "not given")."""
    from docq.config import KNOBS, field_type

    chosen = [k for k in KNOBS.values() if k.group in groups]

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)
        extra = []
        for knob in chosen:
            flag = knob.name.replace("_", "-")
            kind = field_type(knob.name)
            names = [f"--{flag}/--no-{flag}"] if kind is bool else [f"--{flag}"]
            choices = f" ({', '.join(knob.choices)})" if knob.choices else ""
            option = typer.Option(*names, help=f"{knob.help[:1].upper()}{knob.help[1:]}{choices} [env: {knob.env}].")
            extra.append(
                inspect.Parameter(
                    knob.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=None,
                    annotation=Annotated[Optional[kind if kind is not Path else str], option],  # type: ignore[valid-type]
                )
            )

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs["knobs"] = {k.name: kwargs.pop(k.name, None) for k in chosen}
            return fn(*args, **kwargs)

        hints = typing.get_type_hints(fn, include_extras=True)  # the command's own, resolved
        kept = [p.replace(annotation=hints[p.name]) for p in signature.parameters.values() if p.name != "knobs"]
        parameters = [*kept, *extra]
        wrapper.__signature__ = signature.replace(parameters=parameters, return_annotation=None)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper  # type: ignore[return-value]

    return decorate


SetOpt = Annotated[
    Optional[list[str]],
    typer.Option("--set", help="Set a decision constant, e.g. --set answer.abstain_threshold=0.6 (see `docq doctor`)."),
]


def _settings(ctx: typer.Context, **flags: Any):  # type: ignore[no-untyped-def]
    from docq.config import load_settings
    from docq.tuning import parse_assignments

    assignments = parse_assignments(flags.pop("set", None))
    settings = load_settings({**_state(ctx).overrides, **flags})
    if assignments:
        settings = dataclasses.replace(settings, tuning=settings.tuning.with_values(assignments))
    return settings


def _library(ctx: typer.Context, **flags: Any):  # type: ignore[no-untyped-def]
    """The library over the index the global options name, with this command's flags."""
    from docq.library import Library

    return Library(settings=_settings(ctx, **flags), reporter=_reporter(ctx))


def _reporter(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from docq.render import reporter_for

    return reporter_for(quiet=_state(ctx).quiet)


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _version(value: bool) -> None:
    if value:
        print(f"docq {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        Optional[Path], typer.Option("--data-dir", help="Index location [env: DOCQ_HOME; default: user data dir].")
    ] = None,
    models_dir: Annotated[
        Optional[Path], typer.Option("--models-dir", help="Assembled model files [env: DOCQ_MODELS_DIR].")
    ] = None,
    chroma_url: Annotated[
        Optional[str],
        typer.Option("--chroma-url", help="Use a Chroma server, e.g. http://host:8000 [env: DOCQ_CHROMA_URL]."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Tracebacks and details on stderr.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    ctx.obj = CliState(
        overrides={"data_dir": data_dir, "models_dir": models_dir, "chroma_url": chroma_url},
        verbose=verbose,
        quiet=quiet,
    )


# -- ingest, forget, reindex, status -----------------------------------------------------


@app.command()
@handles_errors
@knob_options("ingest", "embed")
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (recursive) to index.", show_default=False)],
    wait: Annotated[bool, typer.Option("--wait", help="Wait for another writer instead of failing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
    knobs: dict[str, Any] | None = None,
) -> None:
    """Index PDF, text, markdown, HTML and DOCX files. Unchanged files are skipped, changed
    ones replaced, deleted ones dropped.

    Example: docq ingest ~/papers notes.md
    """
    with _library(ctx, **(knobs or {})) as docs:
        report = docs.ingest(paths, wait=wait)
    if as_json:
        _print_json(
            {
                "added": report.added,
                "updated": report.updated,
                "skipped": report.skipped,
                "removed": report.removed,
                "ignored": report.ignored,
                "failed": [{"path": f.path, "reason": f.reason} for f in report.failures],
                "pages": report.pages,
                "chunks": report.chunks,
                "seconds": round(report.seconds, 3),
                "stage_seconds": {k: round(v, 3) for k, v in report.stage_seconds.items()},
            }
        )
    if not _state(ctx).quiet or report.failures:
        print(report.summary(), file=sys.stderr)
    if report.failures:
        raise typer.Exit(int(ExitCode.INGEST_PARTIAL))


@app.command()
@handles_errors
def forget(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to drop from the index.", show_default=False)],
    wait: Annotated[bool, typer.Option("--wait", help="Wait for another writer instead of failing.")] = False,
) -> None:
    """Drop files from the index (the files themselves are not touched)."""
    with _library(ctx) as docs:
        dropped = docs.forget(paths, wait=wait)
    if not _state(ctx).quiet:
        print(f"forgot {len(dropped)} file{'s' if len(dropped) != 1 else ''}", file=sys.stderr)


@app.command()
@handles_errors
@knob_options("embed")
def reindex(
    ctx: typer.Context,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for another writer instead of failing.")] = False,
    knobs: dict[str, Any] | None = None,
) -> None:
    """Rebuild the vector and BM25 indexes from the catalog (re-embedding with a new
    --embed-model). Damaged Chroma files are moved aside first."""
    with _library(ctx, **(knobs or {})) as docs:
        docs.reindex(wait=wait)
    if not _state(ctx).quiet:
        print("indexes rebuilt from the catalog", file=sys.stderr)


@app.command()
@handles_errors
def status(
    ctx: typer.Context,
    files: Annotated[bool, typer.Option("--files", help="List every indexed file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """What the index holds, and whether the vector and BM25 indexes agree with the catalog."""
    with _library(ctx) as docs:
        st = docs.status(files=files)
    if as_json:
        _print_json(st.to_dict())
        return
    from docq.render import console_for, render_status

    render_status(st, console_for(sys.stdout))


# -- ask ------------------------------------------------------------------------------------

ShortOpt = Annotated[Optional[bool], typer.Option("--short", help="A phrase: same as --shape fact.")]
LongOpt = Annotated[Optional[bool], typer.Option("--long", help="A few cited sentences: same as --shape explain.")]


def _aliases(knobs: dict[str, Any] | None, short: bool | None = None, long: bool | None = None) -> dict[str, Any]:
    """The knob flags, with --short and --long as the shapes they stand for."""
    flags = dict(knobs or {})
    if short:
        flags["shape"] = "fact"
    if long:
        flags["shape"] = "explain"
    return flags


def _route(value: str | None):  # type: ignore[no-untyped-def]
    from docq.types import Route

    return None if value is None or value == "auto" else Route(value)


@app.command()
@handles_errors
@knob_options("answer", "model", "embed", "cache")
def ask(
    ctx: typer.Context,
    question: Annotated[Optional[str], typer.Argument(help="The question; read from stdin when omitted.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (see README) on stdout.")] = False,
    short: ShortOpt = None,
    long: LongOpt = None,
    tune: SetOpt = None,
    knobs: dict[str, Any] | None = None,
) -> None:
    """Answer a question from the indexed documents, with citations.

    The answer takes the shape the question asks for: a phrase for who/what/when, a few
    cited sentences for how/why, a paragraph for "summarize", the document's title for
    "which paper", yes or no, or a list.

    Examples:

      docq ask "Who was the duke in the battle of Hastings?"

      docq ask --long "How did the Normans come to rule England?"

      echo "When was the Duchy founded?" | docq ask --json
    """
    from docq.errors import UsageError
    from docq.pipeline.ask import answer_to_dict
    from docq.render import AnswerStream, console_for, is_tty, render_answer, visible

    if question is None:
        if is_tty(sys.stdin):
            raise UsageError("give a question, or pipe one on stdin: echo 'question' | docq ask")
        question = _stdin().read()
    question = _readable(question)
    docs = _library(ctx, **_aliases(knobs, short, long), set=tune)
    forced = _route(docs.settings.route)
    state = _state(ctx)
    out = console_for(sys.stdout)
    live = AnswerStream(out if is_tty(sys.stdout) and not as_json else None)

    def on_route(decision: Any) -> None:
        live.restart()
        if not state.quiet:
            print(f"route: {decision.route.value} — {visible(decision.reason)}", file=sys.stderr, flush=True)

    with docs:
        try:
            result = docs.ask(question, route=forced, on_text=live, on_route=on_route)
        finally:
            live.close()
    if as_json:
        _print_json(answer_to_dict(result))
    else:
        render_answer(result, out, plain=not is_tty(sys.stdout))
    if result.abstained:
        raise typer.Exit(int(ExitCode.NOT_FOUND))


@app.command()
@handles_errors
@knob_options("answer", "model", "embed", "cache")
def chat(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per answer (JSON lines) on stdout.")] = False,
    tune: SetOpt = None,
    knobs: dict[str, Any] | None = None,
) -> None:
    """Ask one question after another with the models, the index and the KV states kept in
    memory: only the first question pays for loading. Line editing and history on a
    terminal (arrow keys; history kept in the user's cache); one question per line on
    stdin otherwise. An empty line or Ctrl-D ends it; Ctrl-C stops the answer in progress.

    Example: docq chat
    """
    from docq import interrupts
    from docq.pipeline.ask import answer_to_dict
    from docq.render import AnswerStream, console_for, is_tty, render_answer, visible

    docs = _library(ctx, **(knobs or {}), set=tune)
    state = _state(ctx)
    out = console_for(sys.stdout)
    interactive = is_tty(sys.stdin)
    lines = _stdin()
    history = _line_editing(docs.settings.cache_dir / "chat-history") if interactive else None
    forced = _route(docs.settings.route)
    with docs:
        while True:
            try:
                line = input("? ") if interactive else lines.readline()
            except EOFError:
                break
            except UnicodeDecodeError:  # a terminal in another encoding: this line only
                print("docq: that line holds bytes that are not UTF-8; type it again", file=sys.stderr)
                continue
            question = _readable(line).strip()
            if not question:
                break
            live = AnswerStream(out if is_tty(sys.stdout) and not as_json else None)

            def on_route(decision: Any, live: AnswerStream = live) -> None:
                live.restart()
                if not state.quiet:
                    print(f"route: {decision.route.value} — {visible(decision.reason)}", file=sys.stderr, flush=True)

            try:
                result = docs.ask(question, route=forced, on_text=live, on_route=on_route)
            except KeyboardInterrupt:
                live.close()
                interrupts.reset()  # this Ctrl-C stopped this answer, not the next one
                print("docq: answer interrupted", file=sys.stderr)
                continue
            except DocqError as exc:
                live.close()
                print(f"docq: {visible(str(exc))}", file=sys.stderr)
                continue
            live.close()
            if as_json:
                _print_json(answer_to_dict(result))
            else:
                render_answer(result, out, plain=not is_tty(sys.stdout))
                out.print("")
    if history is not None:
        history()


def _line_editing(history_file: Path) -> Callable[[], None] | None:
    """Readline editing and history for `input()`; returns what saves the history."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return None
    from docq.store.writes import is_regular_file

    if is_regular_file(history_file):
        with contextlib.suppress(OSError):
            readline.read_history_file(history_file)
    readline.set_history_length(1000)

    def save() -> None:
        from docq.store.writes import replacing

        with contextlib.suppress(OSError):
            history_file.parent.mkdir(parents=True, exist_ok=True)
            with replacing(history_file) as fresh:  # never written through a planted link
                readline.write_history_file(fresh)

    return save


# -- eval -----------------------------------------------------------------------------------


@app.command("eval")
@handles_errors
@knob_options("answer", "model", "embed", "cache", "ingest")
def evaluate(
    ctx: typer.Context,
    set_dir: Annotated[Path, typer.Argument(help="Folder with docs/ and qa.jsonl.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Figures and per-question rows as JSON.")] = False,
    limit: Annotated[Optional[int], typer.Option("--limit", help="Only the first N questions.")] = None,
    sample: Annotated[Optional[int], typer.Option("--sample", help="A random sample of N questions.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for --sample.")] = 0,
    split: Annotated[
        Optional[str],
        typer.Option("--split", help="tune or test: a fixed half of the set (tune rules on one, judge on the other)."),
    ] = None,
    split_seed: Annotated[
        str,
        typer.Option("--split-seed", help="Which halving of the set (a new one for sets whose test half was seen)."),
    ] = "",
    tune: SetOpt = None,
    knobs: dict[str, Any] | None = None,
) -> None:
    """Score docq on a QA set: EM, F1 (SQuAD normalisation), abstention precision/recall,
    retrieval recall@k, routes, prompt tokens and latency.

    Example: docq eval ../shared/eval/squad-normans --split tune --route rag
    """
    from docq.render import console_for, render_eval

    with _library(ctx, **(knobs or {}), set=tune) as docs:
        report = docs.eval(
            set_dir,
            route=_route(docs.settings.route),
            limit=limit,
            sample=sample,
            seed=seed,
            split=split,
            split_seed=split_seed,
        )
    if as_json:
        _print_json(report.to_dict())
        return
    render_eval(report, console_for(sys.stdout))


# -- doctor, cache --------------------------------------------------------------------------


@app.command()
@handles_errors
@knob_options("model", "embed", "cache")
def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    speed: Annotated[
        bool, typer.Option("--speed/--no-speed", help="Time a short answer to estimate seconds per question.")
    ] = True,
    tune: SetOpt = None,
    knobs: dict[str, Any] | None = None,
) -> None:
    """Effective settings (and where each came from), the decision constants and their
    provenance, which model answers and how long a question takes on this machine,
    checksums, GPU offload, the KV-cache type chosen and why, and index health. Exit 1 if
    a check fails."""
    from docq.render import console_for, render_doctor

    with _library(ctx, **(knobs or {}), set=tune) as docs:
        report = docs.doctor(speed=speed)
    if as_json:
        _print_json(report.to_dict())
    else:
        render_doctor(report, console_for(sys.stdout))
    if not report.ok:
        raise typer.Exit(int(ExitCode.ERROR))


@cache_app.command("list")
@handles_errors
@knob_options("cache")
def cache_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    knobs: dict[str, Any] | None = None,
) -> None:
    """Saved KV states, most recently used first."""
    from docq.render import console_for, render_cache

    docs = _library(ctx, **(knobs or {}))
    entries = docs.cache_entries()
    if as_json:
        _print_json(
            [
                {"file": str(e.path), "bytes": e.size, "tokens": e.tokens, "model": e.model, "last_used": e.last_used}
                for e in entries
            ]
        )
        return
    render_cache(entries, docs.settings.cache_max_mb, console_for(sys.stdout))


@cache_app.command("warm")
@handles_errors
@knob_options("model", "cache")
def cache_warm(
    ctx: typer.Context,
    limit: Annotated[Optional[int], typer.Option("--limit", help="Only the first N chunks.")] = None,
    knobs: dict[str, Any] | None = None,
) -> None:
    """Compute the KV state of every indexed chunk ahead of questions (with --kv-reuse
    passages), so the first question over any passage reads it from the cache. Worth it
    on a GPU; on a CPU it costs what reading every chunk once does."""
    with _library(ctx, **(knobs or {})) as docs:
        computed = docs.warm_cache(limit)
    print(f"computed {computed} passage states", file=sys.stderr)


@cache_app.command("clear")
@handles_errors
def cache_clear(ctx: typer.Context) -> None:
    """Delete every saved KV state."""
    removed = _library(ctx).clear_cache()
    print(f"removed {removed} saved states", file=sys.stderr)


def _stdin() -> typing.TextIO:
    """Standard input as UTF-8 whatever the locale, bytes that are not UTF-8 kept as
    surrogates (`_readable` shows them as U+FFFD with a note) instead of failing the read."""
    import io

    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # replaced by a test harness or an embedding program
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding="utf-8", errors="surrogateescape")


def _readable(question: str) -> str:
    """Bytes that are not UTF-8 (argv carries them as surrogates) read as U+FFFD, with a note,
    as they do on stdin, instead of failing deep inside the tokenizer."""
    try:
        raw = question.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = question.encode("utf-8", "replace")
    text = raw.decode("utf-8", "replace")
    if text != question:
        print("docq: the question holds bytes that are not UTF-8; they read as '\ufffd'", file=sys.stderr)
    return text


def run() -> None:
    sys.stdout = _GuardedOutput(sys.stdout)  # type: ignore[assignment]
    try:
        app()
    except BrokenPipeError:  # stdout closed by its reader while rendering
        _quiet_stdout()
        sys.exit(0)
    except KeyboardInterrupt:  # outside a command (parsing its flags): nothing was started
        print("docq: interrupted", file=sys.stderr)
        sys.exit(130)
    except SystemExit as exit:
        # Typer turns a Ctrl-C outside the command itself (while it parses flags or imports)
        # into a silent exit 130: say it, as everywhere else.
        if exit.code == 130 and 130 not in _said:
            print("docq: interrupted", file=sys.stderr)
        raise
