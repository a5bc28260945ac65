"""docq as a library: one object that owns an index (the catalog, Chroma, BM25), the models
and the KV cache, with the operations the CLI offers.

    from docq import Library

    with Library("~/papers-index") as docs:
        docs.ingest(["~/papers"])
        answer = docs.ask("Which paper introduces the TrueTime API?")
        print(answer.text, answer.citations[0].source)

Questions read the index as it is and never write to it (a read-only index answers);
`ingest`, `forget` and `reindex` take the data dir's write lock. Models load on first use
and stay loaded for the object's life, so a second question pays no loading.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docq.config import Settings, load_settings, with_overrides
from docq.errors import DocqError, UsageError
from docq.library.index import DocumentIndex
from docq.llm.backend import LLM, TokenSink
from docq.pipeline.ask import RouteListener
from docq.pipeline.question import Shape
from docq.progress import SILENT, Reporter
from docq.types import Answer, Route

if TYPE_CHECKING:
    from docq.evaluation.runner import EvalReport
    from docq.indexers.embeddings import LlamaEmbedder
    from docq.llm.kvcache import CacheEntry
    from docq.pipeline.doctor import DoctorReport
    from docq.pipeline.ingest import IngestReport
    from docq.pipeline.status import IndexStatus


class Library:
    """An index of your documents and the models that answer questions about them.

    `data_dir` (or `settings`, or keyword overrides of any setting such as
    `model="qwen2.5-coder-0.5b"`) says which index; settings not given come from the
    DOCQ_* environment, the config file and the defaults, as for the CLI."""

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        settings: Settings | None = None,
        reporter: Reporter = SILENT,
        **overrides: Any,
    ) -> None:
        if data_dir is not None:
            overrides["data_dir"] = Path(data_dir).expanduser()
        if settings is None:
            settings = load_settings(overrides)
        elif overrides:
            settings = with_overrides(settings, overrides)
        self.settings = settings
        self.reporter = reporter
        self._reader: DocumentIndex | None = None
        self._llm: LLM | None = None
        self._embedder: LlamaEmbedder | None = None

    # -- resources, loaded on first use ------------------------------------------------------

    @property
    def index(self) -> DocumentIndex:
        """The index opened for reading (never written through this handle)."""
        if self._reader is None:
            self._reader = DocumentIndex(self.settings, self.reporter, embedder=self.embedder)
        return self._reader

    @property
    def embedder(self) -> LlamaEmbedder:
        if self._embedder is None:
            from docq.indexers.embeddings import LlamaEmbedder
            from docq.llm.device import gpu_layers
            from docq.models.embedder import ensure_embedding_model

            path = ensure_embedding_model(self.settings.models_dir, self.settings.embed_model, self.reporter)
            self._embedder = LlamaEmbedder(
                path, n_threads=self.settings.threads, n_gpu_layers=gpu_layers(self.settings)
            )
        return self._embedder

    @property
    def llm(self) -> LLM:
        """The answer model."""
        if self._llm is None:
            from docq.llm.loading import open_llm

            self._llm = open_llm(self.settings, self.reporter)
        return self._llm

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
        self._llm = None
        self._close_reader()

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def _writing(self, wait: bool) -> Iterator[DocumentIndex]:
        """The index opened for writing under the data dir's lock; on success a current BM25
        and a backup of the catalog are saved. Readers opened before see the new state."""
        from docq.store.lock import write_lock

        self._close_reader()
        with (
            write_lock(self.settings.data_dir, wait=wait, reporter=self.reporter),
            DocumentIndex(self.settings, self.reporter, writable=True, embedder=self.embedder) as index,
        ):
            yield index
            index.settle()

    def ingest(self, paths: Sequence[str | Path], *, wait: bool = False) -> IngestReport:
        """Index files and folders: new ones added, changed ones replaced, unchanged ones
        skipped, files gone from an ingested folder dropped. A bad file is reported in the
        result (`failures`), never fatal to the others."""
        from docq.pipeline.ingest import ingest

        with self._writing(wait) as index:
            return ingest([Path(p) for p in paths], index, self.settings, self.reporter)

    def forget(self, paths: Sequence[str | Path], *, wait: bool = False) -> list[str]:
        """Drop files (or everything under folders) from the index; returns the paths dropped."""
        from docq.pipeline.ingest import forget

        with self._writing(wait) as index:
            return forget([Path(p) for p in paths], index)

    def reindex(self, *, wait: bool = False) -> None:
        """Rebuild Chroma and BM25 from the catalog (re-embedding if the embedding model changed)."""
        from docq.progress import step

        with self._writing(wait) as index:
            recorded = index.embedding_model()
            if recorded is not None and recorded != self.settings.embed_model:
                index.set_embedding_model(self.settings.embed_model, drop_vectors=True)
            with step(self.reporter, "rebuilding indexes from the catalog", None):
                index.reindex()

    # -- reading -------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        route: Route | str | None = None,
        shape: Shape | str | None = None,
        on_text: TokenSink | None = None,
        on_route: RouteListener | None = None,
    ) -> Answer:
        """Answer from the documents, with citations; `route` forces rag, memo or full
        (None: the `route` setting, "auto" by default: the router decides), `shape` the
        answer's shape (None: the `shape` setting, else read from the question). `on_text`
        receives the answer as it is generated."""
        from docq.pipeline.ask import ask

        route = self.settings.route if route is None else route
        if self.index.counts().chunks == 0:
            raise DocqError(f"the index at {self.settings.data_dir} is empty; run `docq ingest PATH` first")
        return ask(
            question,
            self.index,
            self,
            self.settings,
            route=_choice(Route, route, "route"),
            shape=_choice(Shape, shape, "shape"),
            on_text=on_text,
            on_route=on_route,
        )

    def status(self, *, files: bool = False) -> IndexStatus:
        """What the index holds and whether its parts agree."""
        from docq.pipeline.status import index_status

        return index_status(self.index, self.settings, with_files=files)

    def eval(
        self,
        set_dir: str | Path,
        *,
        route: Route | str | None = None,
        limit: int | None = None,
        sample: int | None = None,
        seed: int = 0,
        split: str | None = None,
        split_seed: str = "",
    ) -> EvalReport:
        """Score docq on a QA set (SET_DIR/docs and SET_DIR/qa.jsonl), in a scratch index of
        its own beside the models, with this library's settings."""
        from docq.evaluation.runner import run_eval

        route = self.settings.route if route is None else route
        return run_eval(
            Path(set_dir),
            self.settings,
            lambda settings: Library(settings=settings, reporter=self.reporter),
            route=_choice(Route, route, "route"),
            limit=limit,
            sample=sample,
            seed=seed,
            split=split,
            split_seed=split_seed,
            reporter=self.reporter,
        )

    def doctor(self, *, speed: bool = True) -> DoctorReport:
        """Effective settings, model files and speed, GPU offload, KV-cache choice, index health."""
        from docq.pipeline.doctor import run_doctor

        return run_doctor(self.settings, self.reporter, speed=speed, index_status=self.status)

    def warm_cache(self, limit: int | None = None) -> int:
        """With kv_reuse=passages: compute the KV state of every chunk not kept yet (a GPU's
        job: on 2 CPU cores it costs what reading each chunk in a question would). Returns
        how many were computed."""
        from docq.pipeline.prompts import answer_prompt
        from docq.pipeline.question import Question
        from docq.progress import step

        if self.settings.kv_reuse != "passages":
            raise UsageError("warming the cache keeps passage states: set kv_reuse=passages (--kv-reuse passages)")
        prepare = getattr(self.llm, "prepare", None)
        if prepare is None:
            raise UsageError("this backend keeps no passage states (a server keeps its own prompt cache)")
        chunks = [c for record in self.index.files() for c in self.index.chunks_of(record)][:limit]
        computed = 0
        with step(self.reporter, "computing passage states", len(chunks), "chunks"):
            for at in range(0, len(chunks), 8):
                batch = chunks[at : at + 8]
                computed += prepare(answer_prompt(Question.read("warm"), batch))
                self.reporter.advance(len(batch))
        return computed

    def cache_entries(self) -> list[CacheEntry]:
        """Saved KV states, most recently used first."""
        from docq.llm.loading import kv_cache

        return kv_cache(self.settings).entries()

    def clear_cache(self) -> int:
        """Delete every saved KV state; returns how many."""
        from docq.llm.loading import kv_cache

        return kv_cache(self.settings).clear()


def _choice(kind: Any, value: Any, name: str) -> Any:
    if value is None or isinstance(value, kind) or value == "auto":
        return None if value == "auto" else value
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise UsageError(f"{name} must be auto, {choices}, not {value!r}") from None
