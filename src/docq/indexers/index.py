"""The document index: the catalog plus the two indexes derived from it, kept in step.

Writes go catalog first (one transaction per file), then Chroma; BM25 is rebuilt from
the catalog whenever the generation it was built from is out of date. `repair` finishes
whatever an interrupted writer left: tombstoned ids leave Chroma, pending files enter it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from docq.config import Settings
from docq.indexers.bm25 import BM25Index
from docq.indexers.embeddings import LlamaEmbedder
from docq.indexers.hybrid import reciprocal_rank_fusion
from docq.indexers.vectors import VectorStore, collection_name, connect
from docq.progress import SILENT, Reporter
from docq.store.catalog import Catalog
from docq.types import Chunk, FileRecord, ScoredChunk


@dataclass(frozen=True)
class Health:
    catalog_chunks: int
    vectors: int
    bm25_entries: int
    bm25_current: bool
    pending_files: int
    tombstones: int
    missing_vectors: int  # in the catalog, not in Chroma
    orphan_vectors: int  # in Chroma, not in the catalog

    @property
    def consistent(self) -> bool:
        return (
            self.bm25_current
            and self.pending_files == 0
            and self.tombstones == 0
            and self.missing_vectors == 0
            and self.orphan_vectors == 0
        )


@dataclass(frozen=True)
class RepairReport:
    removed_vectors: int
    restored_files: int

    def __bool__(self) -> bool:
        return bool(self.removed_vectors or self.restored_files)


class DocumentIndex:
    def __init__(self, settings: Settings, reporter: Reporter = SILENT) -> None:
        self.settings = settings
        self.reporter = reporter
        self.catalog = Catalog(settings.catalog_path)

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> DocumentIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def embedder(self) -> LlamaEmbedder:
        from docq.llm.device import gpu_layers
        from docq.models.embedder import ensure_embedding_model

        path = ensure_embedding_model(self.settings.models_dir, self.settings.embed_model, self.reporter)
        return LlamaEmbedder(path, n_threads=self.settings.threads, n_gpu_layers=gpu_layers(self.settings))

    @cached_property
    def vectors(self) -> VectorStore:
        return VectorStore(
            connect(self.settings.chroma_path, self.settings.chroma_url),
            self.embedder,
            collection_name(self.catalog.index_id()),
        )

    # -- BM25 ----------------------------------------------------------------------------

    _bm25: BM25Index | None = None

    def bm25(self) -> BM25Index:
        """The lexical index for the catalog as it is now; rebuilt when out of date."""
        generation = self.catalog.generation()
        if self._bm25 is not None and self._bm25.generation == generation:
            return self._bm25
        loaded = BM25Index.load(self.settings.bm25_path)
        if loaded is None or loaded.generation != generation:
            loaded = self.rebuild_bm25()
        self._bm25 = loaded
        return loaded

    def rebuild_bm25(self) -> BM25Index:
        generation = self.catalog.generation()
        index = BM25Index.build(((c.id, c.indexed_text()) for c in self.catalog.iter_chunks()), generation)
        index.save(self.settings.bm25_path)
        self._bm25 = index
        return index

    # -- writing (the caller holds store.lock.write_lock) ------------------------------------

    def store_file(self, *, chunks: Sequence[Chunk], embeddings: np.ndarray, **fields: object) -> FileRecord:
        """Replace a file's content everywhere; see Catalog.replace_file for the fields."""
        record = self.catalog.replace_file(chunks=chunks, embeddings=embeddings, **fields)  # type: ignore[arg-type]
        self._sync_vectors([record])
        return record

    def forget(self, records: Sequence[FileRecord]) -> None:
        if not records:
            return
        self.catalog.forget(r.id for r in records)
        self._drop_tombstones()

    def _drop_tombstones(self) -> int:
        dead = self.catalog.tombstones()
        if dead:
            self.vectors.delete(dead)
            self.catalog.clear_tombstones(dead)
        return len(dead)

    def _sync_vectors(self, records: Sequence[FileRecord]) -> None:
        """Make Chroma hold exactly the catalog's chunks of these files, then mark them ready."""
        self._drop_tombstones()
        for record in records:
            chunks = self.catalog.chunks_for_file(record.id)
            vectors = self.catalog.embeddings([c.id for c in chunks])
            missing = [c for c in chunks if c.id not in vectors]
            if missing:  # stored vectors dropped (new embedding model): embed again
                fresh = dict(zip((c.id for c in missing), self.embedder.embed([c.indexed_text() for c in missing])))
                self.catalog.store_embeddings(fresh)
                vectors.update(fresh)
            if chunks:
                self.vectors.upsert(chunks, np.stack([vectors[c.id] for c in chunks]))
        self.catalog.mark_ready(r.id for r in records)

    def repair(self) -> RepairReport:
        """Finish what an interrupted writer left undone, then make sure Chroma holds exactly
        the catalog's chunks (a lost or replaced vector store is rebuilt from the catalog)."""
        removed = self._drop_tombstones()
        pending = self.catalog.pending_files()
        if pending:
            self._sync_vectors(pending)
        restored = len(pending)
        if self.vectors.count() != self.catalog.counts().chunks:  # cheap check; diff only on mismatch
            held = self.vectors.ids()
            wanted = self.catalog.chunk_ids()
            orphans = sorted(held - wanted)
            if orphans:
                self.vectors.delete(orphans)
                removed += len(orphans)
            missing = wanted - held
            if missing:
                stale = [
                    r for r in self.catalog.files() if any(c.id in missing for c in self.catalog.chunks_for_file(r.id))
                ]
                self._sync_vectors(stale)
                restored += len(stale)
        return RepairReport(removed_vectors=removed, restored_files=restored)

    def reindex(self) -> None:
        """Rebuild Chroma and BM25 from the catalog alone."""
        client = self.vectors.client
        # Chroma raises different types for "no such collection" across versions.
        with contextlib.suppress(Exception):
            client.delete_collection(self.vectors.collection.name)
        self.__dict__.pop("vectors", None)
        self.catalog.clear_tombstones(self.catalog.tombstones())
        self._sync_vectors(self.catalog.files())
        self.rebuild_bm25()

    # -- reading --------------------------------------------------------------------------

    def health(self) -> Health:
        counts = self.catalog.counts()
        catalog_ids = self.catalog.chunk_ids()
        vector_ids = self.vectors.ids()
        saved = BM25Index.load(self.settings.bm25_path)
        return Health(
            catalog_chunks=counts.chunks,
            vectors=len(vector_ids),
            bm25_entries=len(saved) if saved else 0,
            # an empty catalog has nothing for BM25 to hold: no file is as good as a current one
            bm25_current=(saved is not None and saved.generation == self.catalog.generation()) or counts.chunks == 0,
            pending_files=counts.pending,
            tombstones=counts.tombstones,
            missing_vectors=len(catalog_ids - vector_ids),
            orphan_vectors=len(vector_ids - catalog_ids),
        )

    def whole_document(self, record: FileRecord) -> Chunk:
        """A file as one passage, offsets as in its chunks (pages joined as at ingest)."""
        from docq.indexers.chunking import join_pages

        pages = self.catalog.pages(record.id)
        text, _ = join_pages(pages)
        numbers = [p.number for p in pages]
        return Chunk(
            id=f"file:{record.id}",
            source=record.path,
            ordinal=-1,
            text=text,
            tokens=record.tokens,
            char_start=0,
            char_end=len(text),
            page_start=numbers[0] if numbers else None,
            page_end=numbers[-1] if numbers else None,
            title=record.title,
        )

    def locate(self, source: str, offset: int) -> tuple[Chunk | None, int | None]:
        """The chunk and page holding a character offset of a file's text."""
        import bisect

        from docq.indexers.chunking import join_pages

        record = self.catalog.file_by_path(source)
        if record is None:
            return None, None
        pages = self.catalog.pages(record.id)
        _, starts = join_pages(pages)
        page = pages[bisect.bisect_right(starts, offset) - 1].number if pages else None
        holder = next((c for c in self.catalog.chunks_for_file(record.id) if c.char_start <= offset < c.char_end), None)
        return holder, page

    def search(
        self, query: str, k: int, *, dense: bool = True, lexical: bool = True, pool: int | None = None
    ) -> list[ScoredChunk]:
        """Hybrid search: BM25 and dense rankings fused by reciprocal rank, best first.

        Ids the catalog no longer holds (a concurrent forget) are dropped, so readers
        only ever see the catalog's truth."""
        pool = pool or max(4 * k, 20)
        rankings: dict[str, list[str]] = {}
        if lexical:
            rankings["bm25"] = [cid for cid, _ in self.bm25().search(query, pool)]
        if dense:
            query_vector = self.embedder.embed([query])[0]
            rankings["dense"] = [cid for cid, _ in self.vectors.search(query_vector, pool)]
        fused = reciprocal_rank_fusion(rankings)
        chunks = self.catalog.chunks_by_ids([cid for cid, _, _ in fused[: k * 2]])
        results = [ScoredChunk(chunks[cid], score, ranks) for cid, score, ranks in fused if cid in chunks]
        return results[:k]
