"""The `docq` command: parse, call the library, render. No logic beyond that.

Exit codes: 0 ok · 1 error · 2 usage · 3 not found in the documents (abstained) ·
4 some files failed to ingest · 5 another process is writing the index · 130 interrupted.
"""

from __future__ import annotations

import functools
import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from docq import __version__
from docq.errors import DocqError, ExitCode

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
    if verbose:
        traceback.print_exc(file=sys.stderr)
    print(f"docq: {message}", file=sys.stderr)
    raise typer.Exit(code)


def handles_errors(fn: F) -> F:
    """Expected failures become one line on stderr and their exit code; a traceback only with --verbose."""

    @functools.wraps(fn)
    def wrapper(ctx: typer.Context, *args: Any, **kwargs: Any) -> Any:
        state = _state(ctx)
        try:
            return fn(ctx, *args, **kwargs)
        except DocqError as exc:
            _fail(str(exc), int(exc.exit_code), state.verbose)
        except KeyboardInterrupt:
            _fail("interrupted; anything half-written is repaired by the next run", 130, state.verbose)
        except BrokenPipeError:  # `docq ask ... | head`: the reader left, nothing to report
            _quiet_stdout()
            raise typer.Exit(0) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:  # the OS, SQLite, Chroma: one line naming the file, not a traceback
            from docq.errors import describe_failure

            _fail(describe_failure(exc, _data_dir(state)), int(ExitCode.ERROR), state.verbose)

    return wrapper  # type: ignore[return-value]


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


def _settings(ctx: typer.Context, **flags: Any):  # type: ignore[no-untyped-def]
    from docq.config import load_settings

    return load_settings({**_state(ctx).overrides, **flags})


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
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (recursive) to index.", show_default=False)],
    chunk_tokens: Annotated[Optional[int], typer.Option(help="Chunk size in tokens [default: 200].")] = None,
    chunk_overlap: Annotated[
        Optional[int], typer.Option(help="Tokens shared by neighbouring chunks [default: 40].")
    ] = None,
    max_file_mb: Annotated[Optional[int], typer.Option(help="Refuse larger files [default: 64].")] = None,
    follow_symlinks: Annotated[
        Optional[bool], typer.Option("--follow-symlinks", help="Follow symlinks that leave the folder.")
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for another writer instead of failing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
) -> None:
    """Index PDF, text and markdown files. Unchanged files are skipped, changed ones
    replaced, deleted ones dropped.

    Example: docq ingest ~/papers notes.md
    """
    with _library(ctx, **_knob_flags(locals())) as docs:
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
def reindex(
    ctx: typer.Context,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for another writer instead of failing.")] = False,
) -> None:
    """Rebuild the vector and BM25 indexes from the catalog."""
    with _library(ctx) as docs:
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

RouteOpt = Annotated[Optional[str], typer.Option("--route", help="auto, rag, memo or full [default: auto].")]
ShapeOpt = Annotated[
    Optional[str],
    typer.Option(
        "--shape",
        help="Answer shape: auto (from the question), fact, explain, summary, document, yesno or list [default: auto].",
    ),
]
ShortOpt = Annotated[Optional[bool], typer.Option("--short", help="A phrase: same as --shape fact.")]
LongOpt = Annotated[Optional[bool], typer.Option("--long", help="A few cited sentences: same as --shape explain.")]
TopK = Annotated[Optional[int], typer.Option("--top-k", help="Passages given to the model [default: 4].")]
Compress = Annotated[
    Optional[bool],
    typer.Option(
        "--compress/--no-compress", help="Cut passages to the sentences that bear on the question [default: on]."
    ),
]
MaxContext = Annotated[
    Optional[int], typer.Option("--max-context-tokens", help="Token budget for document text (0: the router decides).")
]
Reorder = Annotated[
    Optional[str],
    typer.Option("--reorder", help="Strongest passages at both ends: auto (from 6 passages), on or off."),
]
NoReorder = Annotated[Optional[bool], typer.Option("--no-reorder", help="Same as --reorder off.")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="Answer model: name, .gguf path or hf:ORG/REPO/FILE.")]
DraftModel = Annotated[Optional[str], typer.Option("--draft-model", help="Light model for memo clues.")]
NCtx = Annotated[Optional[int], typer.Option("--n-ctx", help="Context size in tokens [default: 16384].")]
NThreads = Annotated[Optional[int], typer.Option("--n-threads", help="CPU threads (0: all).")]
NBatch = Annotated[Optional[int], typer.Option("--n-batch", help="Prompt tokens per batch [default: 512].")]
NGpuLayers = Annotated[Optional[int], typer.Option("--n-gpu-layers", help="Layers on the GPU (-1: all if possible).")]
KvType = Annotated[Optional[str], typer.Option("--kv-type", help="KV cache type: auto, f16, q8_0, q4_0.")]
FlashAttn = Annotated[Optional[str], typer.Option("--flash-attn", help="auto, on or off.")]
LlmUrl = Annotated[Optional[str], typer.Option("--llm-url", help="OpenAI-compatible llama.cpp server URL.")]


def _knob_flags(params: dict[str, Any]) -> dict[str, Any]:
    """A command's parameters named after Settings knobs, as overrides (None: not given)."""
    from docq.config import KNOBS

    flags = {name: value for name, value in params.items() if name in KNOBS}
    if params.get("no_reorder"):
        flags["reorder"] = "off"
    if params.get("short"):
        flags["shape"] = "fact"
    if params.get("long"):
        flags["shape"] = "explain"
    flags.pop("route", None)  # a route is a choice per question, resolved by _route
    return flags


def _route(value: str | None):  # type: ignore[no-untyped-def]
    from docq.types import Route

    if value is None or value == "auto":
        return None
    try:
        return Route(value)
    except ValueError:
        from docq.errors import UsageError

        raise UsageError(f"--route must be auto, rag, memo or full, not {value!r}") from None


@app.command()
@handles_errors
def ask(
    ctx: typer.Context,
    question: Annotated[Optional[str], typer.Argument(help="The question; read from stdin when omitted.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (see README) on stdout.")] = False,
    route: RouteOpt = None,
    shape: ShapeOpt = None,
    short: ShortOpt = None,
    long: LongOpt = None,
    top_k: TopK = None,
    compress: Compress = None,
    max_context_tokens: MaxContext = None,
    reorder: Reorder = None,
    no_reorder: NoReorder = None,
    model: ModelOpt = None,
    draft_model: DraftModel = None,
    n_ctx: NCtx = None,
    n_threads: NThreads = None,
    n_batch: NBatch = None,
    n_gpu_layers: NGpuLayers = None,
    kv_type: KvType = None,
    flash_attn: FlashAttn = None,
    llm_url: LlmUrl = None,
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
    from docq.render import AnswerStream, console_for, is_tty, render_answer

    if question is None:
        if is_tty(sys.stdin):
            raise UsageError("give a question, or pipe one on stdin: echo 'question' | docq ask")
        question = sys.stdin.read()
    question = _readable(question)
    docs = _library(ctx, **_knob_flags(locals()))
    forced = _route(route or docs.settings.route)
    state = _state(ctx)
    out = console_for(sys.stdout)
    live = AnswerStream(out if is_tty(sys.stdout) and not as_json else None)

    def on_route(decision: Any) -> None:
        live.restart()
        if not state.quiet:
            print(f"route: {decision.route.value} — {decision.reason}", file=sys.stderr, flush=True)

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


# -- eval -----------------------------------------------------------------------------------


@app.command("eval")
@handles_errors
def evaluate(
    ctx: typer.Context,
    set_dir: Annotated[Path, typer.Argument(help="Folder with docs/ and qa.jsonl.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Figures and per-question rows as JSON.")] = False,
    route: RouteOpt = None,
    shape: ShapeOpt = None,
    limit: Annotated[Optional[int], typer.Option("--limit", help="Only the first N questions.")] = None,
    compress: Compress = None,
    sample: Annotated[Optional[int], typer.Option("--sample", help="A random sample of N questions.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for --sample.")] = 0,
    split: Annotated[
        Optional[str],
        typer.Option("--split", help="tune or test: a fixed half of the set (tune rules on one, judge on the other)."),
    ] = None,
    top_k: TopK = None,
    max_context_tokens: MaxContext = None,
    reorder: Reorder = None,
    no_reorder: NoReorder = None,
    model: ModelOpt = None,
    draft_model: DraftModel = None,
    n_ctx: NCtx = None,
    n_threads: NThreads = None,
    kv_type: KvType = None,
    llm_url: LlmUrl = None,
) -> None:
    """Score docq on a QA set: EM, F1 (SQuAD normalisation), abstention precision/recall,
    retrieval recall@k, routes, prompt tokens and latency.

    Example: docq eval ../shared/eval/squad-normans --split tune --route rag
    """
    from docq.render import console_for, render_eval

    with _library(ctx, **_knob_flags(locals())) as docs:
        report = docs.eval(
            set_dir,
            route=_route(route or docs.settings.route),
            limit=limit,
            sample=sample,
            seed=seed,
            split=split,
        )
    if as_json:
        _print_json(report.to_dict())
        return
    render_eval(report, console_for(sys.stdout))


# -- doctor, cache --------------------------------------------------------------------------


@app.command()
@handles_errors
def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    model: ModelOpt = None,
    draft_model: DraftModel = None,
    n_gpu_layers: NGpuLayers = None,
    kv_type: KvType = None,
    flash_attn: FlashAttn = None,
    llm_url: LlmUrl = None,
    speed: Annotated[
        bool, typer.Option("--speed/--no-speed", help="Time a short answer to estimate seconds per question.")
    ] = True,
) -> None:
    """Effective settings (and where each came from), which model answers and how long a
    question takes on this machine, checksums, GPU offload, the KV-cache type chosen and
    why, and index health. Exit 1 if a check fails."""
    from docq.render import console_for, render_doctor

    with _library(ctx, **_knob_flags(locals())) as docs:
        report = docs.doctor(speed=speed)
    if as_json:
        _print_json(report.to_dict())
    else:
        render_doctor(report, console_for(sys.stdout))
    if not report.ok:
        raise typer.Exit(int(ExitCode.ERROR))


@cache_app.command("list")
@handles_errors
def cache_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False
) -> None:
    """Saved KV states, most recently used first."""
    from docq.render import console_for, render_cache

    docs = _library(ctx)
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


@cache_app.command("clear")
@handles_errors
def cache_clear(ctx: typer.Context) -> None:
    """Delete every saved KV state."""
    removed = _library(ctx).clear_cache()
    print(f"removed {removed} saved states", file=sys.stderr)


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
    try:
        app()
    except BrokenPipeError:  # stdout closed by its reader while rendering
        _quiet_stdout()
        sys.exit(0)
