"""The document index: the catalog plus the two indexes derived from it, kept in step.
Only the library opens it; the rest of docq reaches documents through its methods
(pipeline.corpus describes what routes and ingest may ask of it).

Writes go catalog first (one transaction per file), then Chroma; BM25 is rebuilt from
the catalog whenever the generation it was built from is out of date. `repair` finishes
whatever an interrupted writer left: tombstoned ids leave Chroma, pending files enter it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from docq.config import Settings
from docq.errors import DocqError, VectorStoreError, backup_path
from docq.indexers.bm25 import BM25Index
from docq.indexers.cards import Card, make_card
from docq.indexers.embeddings import LlamaEmbedder
from docq.indexers.hybrid import reciprocal_rank_fusion
from docq.indexers.vectors import (
    CatalogVectors,
    VectorStore,
    collection_name,
    connect,
    forget_clients,
    vector_store_trouble,
)
from docq.pipeline.corpus import Health, RepairReport
from docq.progress import SILENT, Reporter
from docq.store.catalog import Catalog, CatalogCounts, check_data_dir
from docq.store.writes import refuse_links_under
from docq.text import analyze
from docq.types import Chunk, FileRecord, Page, ScoredChunk

LEGACY_BM25 = "bm25.pkl"  # release 1-3 pickled BM25 here; never read, removed on the next save


class DocumentIndex:
    """The catalog and its derived indexes. Opened for writing (ingest, forget, reindex;
    the caller holds the write lock) it creates, migrates and repairs; opened for reading
    (ask, status) it never writes: a stale BM25 is rebuilt in memory, and when Chroma
    cannot be opened (a read-only folder, damaged files) dense search reads the vectors
    the catalog keeps."""

    def __init__(
        self,
        settings: Settings,
        reporter: Reporter = SILENT,
        *,
        writable: bool = False,
        embedder: LlamaEmbedder | None = None,
    ) -> None:
        self.settings = settings
        self.reporter = reporter
        self.writable = writable
        if embedder is not None:
            self.__dict__["embedder"] = embedder  # shared with the library's other index
        check_data_dir(settings.data_dir)
        self.catalog = Catalog(settings.catalog_path, readonly=not writable)
        self._notes: set[str] = set()
        self._opened_at = self.catalog.generation()
        self.vector_store_problem = ""  # why Chroma was not used, when it was not

    def _note_once(self, message: str) -> None:
        if message not in self._notes:
            self._notes.add(message)
            self.reporter.note(message)

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
    def vectors(self) -> VectorStore | CatalogVectors:
        if self.writable and not self.settings.chroma_url:
            refuse_links_under(self.settings.chroma_path)  # Chroma writes its files in place
        try:
            store = VectorStore(
                connect(self.settings.chroma_path, self.settings.chroma_url),
                self.embedder,
                collection_name(self.catalog.index_id()),
            )
            store.count()  # Chroma reads its segment files lazily: make it read them now
            return store
        except DocqError:
            raise
        except Exception as exc:  # chromadb raises many types (sqlite, Rust bindings, HNSW files)
            return self._without_chroma(exc)

    def _without_chroma(self, exc: Exception) -> CatalogVectors:
        """A reader goes on with the catalog's vectors; a writer stops (it would leave
        Chroma behind the catalog)."""
        where = self.settings.chroma_url or str(self.settings.chroma_path)
        reason = vector_store_trouble(exc, self.settings.chroma_path)
        if self.writable or self.settings.chroma_url:
            raise VectorStoreError(
                f"{where}: {reason}; `docq reindex` moves it aside and rebuilds it from the catalog"
            ) from exc
        self.vector_store_problem = reason
        self._note_once(f"{where}: {reason}; dense search reads the catalog's vectors instead")
        fallback = CatalogVectors(self.catalog)
        self.__dict__["vectors"] = fallback
        return fallback

    def _dense(self, query: str, pool: int) -> list[tuple[str, float]]:
        query_vector = self.embedder.embed([query])[0]
        try:
            return self.vectors.search(query_vector, pool)
        except DocqError:
            raise
        except Exception as exc:
            return self._without_chroma(exc).search(query_vector, pool)

    @property
    def store(self) -> VectorStore:
        """Chroma itself, for writing: a writer never falls back to the catalog's vectors."""
        vectors = self.vectors
        if not isinstance(vectors, VectorStore):
            raise VectorStoreError(f"{self.settings.chroma_path}: {self.vector_store_problem}")
        return vectors

    # -- BM25 ----------------------------------------------------------------------------

    _bm25: BM25Index | None = None

    def bm25(self) -> BM25Index:
        """The lexical index for the catalog as it is now. One that is missing, damaged or
        out of date is rebuilt from the catalog: saved by a writer, kept in memory by a
        reader (readers never write)."""
        generation = self.catalog.generation()
        if self._bm25 is not None and self._bm25.generation == generation:
            return self._bm25
        loaded = self._saved_bm25()
        if loaded is None:
            if self.writable:
                return self.rebuild_bm25()
            self._note_once(
                f"{self.settings.bm25_path}: missing or older than the catalog; rebuilt in memory "
                "for this run (the next `docq ingest` or `docq reindex` saves it)"
            )
            loaded = self._build_bm25()
        self._bm25 = loaded
        return loaded

    def _saved_bm25(self) -> BM25Index | None:
        """The saved index if it matches the catalog: same generation, same chunk count."""
        loaded = BM25Index.load(self.settings.bm25_path)
        if loaded is None or loaded.generation != self.catalog.generation():
            return None
        if len(loaded) != self.catalog.counts().chunks:
            return None
        return loaded

    def _build_bm25(self) -> BM25Index:
        generation = self.catalog.generation()
        return BM25Index.build(((c.id, c.indexed_text()) for c in self.catalog.iter_chunks()), generation)

    def rebuild_bm25(self) -> BM25Index:
        index = self._build_bm25()
        index.save(self.settings.bm25_path)
        (self.settings.data_dir / LEGACY_BM25).unlink(missing_ok=True)
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
            self.store.delete(dead)
            self.catalog.clear_tombstones(dead)
        return len(dead)

    def _sync_vectors(self, records: Sequence[FileRecord]) -> None:
        """Make Chroma hold exactly the catalog's chunks of these files, then mark them ready."""
        self._drop_tombstones()
        for record in records:
            chunks = self.catalog.chunks_for_file(record.id)
            width = self.embedder.dimensions
            vectors = {k: v for k, v in self.catalog.embeddings([c.id for c in chunks]).items() if v.shape == (width,)}
            missing = [c for c in chunks if c.id not in vectors]
            if missing:  # stored vectors dropped (new embedding model): embed again
                fresh = dict(zip((c.id for c in missing), self.embedder.embed([c.indexed_text() for c in missing])))
                self.catalog.store_embeddings(fresh)
                vectors.update(fresh)
            if chunks:
                self.store.upsert(chunks, np.stack([vectors[c.id] for c in chunks]))
        self.catalog.mark_ready(r.id for r in records)

    def repair(self) -> RepairReport:
        """Finish what an interrupted writer left undone, then make sure Chroma holds exactly
        the catalog's chunks (a lost or replaced vector store is rebuilt from the catalog)."""
        removed = self._drop_tombstones()
        pending = self.catalog.pending_files()
        if pending:
            self._sync_vectors(pending)
        restored = len(pending)
        if self.store.count() != self.catalog.counts().chunks:  # cheap check; diff only on mismatch
            held = self.store.ids()
            wanted = self.catalog.chunk_ids()
            orphans = sorted(held - wanted)
            if orphans:
                self.store.delete(orphans)
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
        """Rebuild Chroma and BM25 from the catalog alone. The embedded store is moved
        aside first and deleted once the new one is built, so it works however damaged
        Chroma's own files are; a Chroma server's collection is dropped and made again."""
        self.__dict__.pop("vectors", None)
        old: Path | None = None
        if self.settings.chroma_url:
            client = connect(self.settings.chroma_path, self.settings.chroma_url)
            # Chroma raises different types for "no such collection" across versions.
            with contextlib.suppress(Exception):
                client.delete_collection(collection_name(self.catalog.index_id()))
        elif os.path.islink(self.settings.chroma_path):
            os.unlink(self.settings.chroma_path)  # a planted link: removed, its target untouched
        elif os.path.lexists(self.settings.chroma_path):
            forget_clients()
            # a fresh empty folder to rename it onto: nothing planted under a known name is touched
            old = Path(tempfile.mkdtemp(prefix="chroma.old-", dir=self.settings.data_dir))
            self.settings.chroma_path.rename(old)
        self.catalog.clear_tombstones(self.catalog.tombstones())
        self._sync_vectors(self.catalog.files())
        self.rebuild_bm25()
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def settle(self) -> None:
        """After a writer's changes: a current BM25 on disk (the next question starts fast)
        and a backup copy of the catalog, when anything changed or none exists yet."""
        self.bm25()
        if self.catalog.generation() != self._opened_at or not backup_path(self.settings.catalog_path).is_file():
            self.backup_catalog()

    def backup_catalog(self) -> None:
        """Copy the catalog beside itself (catalog.sqlite.bak), the way back should it ever
        be damaged; a failed copy (a full disk) is reported, never fatal."""
        target = backup_path(self.settings.catalog_path)
        try:
            self.catalog.backup(target)
        except (OSError, sqlite3.Error) as exc:
            self.reporter.note(f"{target}: could not write the catalog's backup copy ({exc})")

    # -- what ingest asks (the caller holds the write lock) -----------------------------------

    def file(self, path: str) -> FileRecord | None:
        return self.catalog.file_by_path(path)

    def files(self, under: str | None = None) -> list[FileRecord]:
        return self.catalog.files(under)

    def files_with_sha256(self, sha256: str) -> list[FileRecord]:
        return self.catalog.files_with_sha256(sha256)

    def touch(self, record: FileRecord, size: int, mtime_ns: int) -> None:
        self.catalog.touch(record.id, size, mtime_ns)

    def set_title(self, record: FileRecord, title: str) -> None:
        self.catalog.set_title(record.id, title)

    def card_of(self, record: FileRecord) -> Card | None:
        text = self.catalog.cards().get(record.id, "")
        return Card.from_json(text) if text else None

    def set_card(self, record: FileRecord, card: str) -> None:
        self.catalog.set_card(record.id, card)

    _cards: tuple[int, list[tuple[FileRecord, Card]]] | None = None

    def cards(self) -> list[tuple[FileRecord, Card]]:
        """Every document with its card, in path order; a card missing or damaged in the
        catalog (an index from before cards) is made from the stored pages, in memory."""
        generation = self.catalog.generation()
        if self._cards is not None and self._cards[0] == generation:
            return self._cards[1]
        stored = self.catalog.cards()
        found = []
        for record in sorted(self.catalog.files(), key=lambda r: r.path):
            card = Card.from_json(stored[record.id]) if stored.get(record.id) else None
            if card is None:
                card = make_card(record.title or Path(record.path).stem, self.catalog.pages(record.id))
            found.append((record, card))
        self._cards = (generation, found)
        return found

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed(texts)

    def embedding_model(self) -> str | None:
        """The embedding model the stored vectors were made with (None before the first file)."""
        return self.catalog.get_meta("embed_model")

    def set_embedding_model(self, name: str, *, drop_vectors: bool = False) -> None:
        if drop_vectors:
            self.catalog.drop_embeddings()  # re-embedded by the next sync
        self.catalog.set_meta("embed_model", name)

    # -- reading --------------------------------------------------------------------------

    def health(self) -> Health:
        counts = self.catalog.counts()
        catalog_ids = self.catalog.chunk_ids()
        vectors = self.vectors
        # Without Chroma there is nothing to compare: its agreement is unknown, not broken.
        try:
            vector_ids = vectors.ids() if isinstance(vectors, VectorStore) else set(catalog_ids)
        except DocqError:
            raise
        except Exception as exc:
            self._without_chroma(exc)
            vector_ids = set(catalog_ids)
        saved = BM25Index.load(self.settings.bm25_path)
        current = saved is not None and saved.generation == self.catalog.generation() and len(saved) == counts.chunks
        return Health(
            catalog_chunks=counts.chunks,
            vectors=len(vector_ids),
            bm25_entries=len(saved) if saved else 0,
            # an empty catalog has nothing for BM25 to hold: no file is as good as a current one
            bm25_current=current or counts.chunks == 0,
            pending_files=counts.pending,
            tombstones=counts.tombstones,
            missing_vectors=len(catalog_ids - vector_ids),
            orphan_vectors=len(vector_ids - catalog_ids),
            vector_store=self.vector_store_problem or "chroma",
        )

    def generation(self) -> int:
        return self.catalog.generation()

    def counts(self) -> CatalogCounts:
        return self.catalog.counts()

    def pages_of(self, record: FileRecord) -> list[Page]:
        return self.catalog.pages(record.id)

    def chunks_of(self, record: FileRecord) -> list[Chunk]:
        return self.catalog.chunks_for_file(record.id)

    def extractors(self, record: FileRecord) -> dict[str, int]:
        return self.catalog.extractors(record.id)

    def coverage(self, term: str) -> float:
        """How far the corpus writes `term` (pipeline.evidence.term_coverage: the one rule
        for the corpus and the passages)."""
        from docq.pipeline.evidence import term_coverage

        return term_coverage(term, self)

    def has_word(self, word: str, exact: bool = False) -> bool:
        """The corpus writes this word in some form (BM25's vocabulary), or `exact`ly."""
        words = analyze(word)
        return bool(words) and self.bm25().has_word(words[0], exact=exact)

    def has_phrase(self, term: str) -> bool:
        """Some chunk writes these words as one phrase (looked for among BM25's best ten)."""
        from docq.pipeline.evidence import phrase_key

        key = phrase_key(term)
        return any(key in phrase_key(hit.chunk.indexed_text()) for hit in self.search(term, 10, dense=False))

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
            rankings["dense"] = [cid for cid, _ in self._dense(query, pool)]
        fused = reciprocal_rank_fusion(rankings, k=self.settings.tuning.retrieval.rrf_k)
        chunks = self.catalog.chunks_by_ids([cid for cid, _, _ in fused[: k * 2]])
        results = [ScoredChunk(chunks[cid], score, ranks) for cid, score, ranks in fused if cid in chunks]
        return results[:k]
